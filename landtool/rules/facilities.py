"""Supporting-facility land share (POLICY.md §7; taizhou 二（十四）, tiantai 四（十七）).

Admin-office and living-service land (行政办公及生活服务设施用地) may take at most
``land_share_max`` (7 %) of a project's land; inside industrial parks (zones of type
``development_zone``), and outside them for grade A/B leading enterprises (龙头骨干企业)
with at least ``leading_min_area_mu`` (50 mu) of land, at most ``raised_land_share_max``
(15 %), and then its floor area at most ``raised_floor_share_max`` (30 %) of the total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landtool.policy import Rule, compare
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, mu_to_m2, ratio
from landtool.verdicts import NOT_INDUSTRIAL, parcel_verdicts

__all__ = ["land_share"]

EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "no_layer": {
        "zh": "未提供配套用地图层（--facility-land）",
        "en": "no facility-land layer given (--facility-land)",
    },
    "pass": {
        "zh": "配套用地占比 {value} ≤ {limit}（{case_zh}）",
        "en": "facility land share {value} is within {limit} ({case_en})",
    },
    "fail": {
        "zh": "配套用地占比 {value} 超过上限 {limit}（{case_zh}）",
        "en": "facility land share {value} exceeds {limit} ({case_en})",
    },
    "floor_fail": {
        "zh": "配套用地占比 {value} ≤ {limit}，但配套建筑面积占比 {floor_share} 超过 {floor_limit}（{case_zh}）",
        "en": "facility land share {value} is within {limit} but its floor-area share {floor_share} exceeds {floor_limit} ({case_en})",
    },
    "floor_missing": {
        "zh": "配套用地占比 {value} ≤ {limit}；放宽情形还须核对建筑面积占比，缺少建筑物数据",
        "en": "facility land share {value} is within {limit}; the raised limit also caps the floor-area share, which needs buildings",
    },
}

CASES = {
    "base": ("一般工业项目", "ordinary project"),
    "park": ("产业园区内项目，上限提高", "inside an industrial park: raised limit"),
    "leading": ("园区外A/B类龙头骨干企业50亩以上，上限提高", "grade A/B leading enterprise of 50 mu or more outside parks: raised limit"),
}


def land_share(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``facility.land_share``: facility land (m²) / parcel area (m²), as a ratio.

    Headroom is the facility land area (m²) still allowed.
    """
    area = frame["area_exact_m2"].to_numpy(float)
    facility = frame["facility_area_m2"].to_numpy(float)
    share = ratio(facility, area)
    park_column = f"in_{rule.value('raised_zone_type', 'development_zone')}"
    in_park = frame[park_column].to_numpy(bool) if park_column in frame else np.zeros(len(frame), bool)
    grades = {str(g).upper() for g in rule.value("leading_grades", [])}
    leading = (
        frame["leading_enterprise"].fillna(False).to_numpy(bool)
        & frame["grade"].fillna("").astype(str).str.upper().isin(grades).to_numpy()
        & compare(area, rule["leading_min_area_mu"].op or ">=", mu_to_m2(rule["leading_min_area_mu"].number), decimals=AREA_DECIMALS)
    )
    # The raised limits hold where the area focuses on affordable rental housing (pack setting).
    raised = (in_park | leading) & bool(rule.value("raised_limits_enabled", True))
    limit = np.where(raised, rule["raised_land_share_max"].number, rule["land_share_max"].number)
    land_ok = compare(share, rule["land_share_max"].op or "<=", limit, decimals=RATIO_DECIMALS)
    floor_limit = rule["raised_floor_share_max"].number
    floor_share = ratio(frame["facility_gfa_m2"], frame["gfa_m2"])
    floor_ok = compare(floor_share, rule["raised_floor_share_max"].op or "<=", floor_limit, decimals=RATIO_DECIMALS)
    floor_missing = np.isnan(floor_share)

    industrial = frame["is_industrial"].to_numpy(bool)
    conditions = [
        ~industrial,
        np.isnan(facility),
        ~land_ok,
        ~raised,
        floor_missing,
        floor_ok,
    ]
    status = np.select(conditions, ["not_applicable", "insufficient_data", "fail", "pass", "insufficient_data", "pass"], "fail")
    reason = np.select(conditions, ["not_industrial", "no_layer", "fail", "pass", "floor_missing", "pass"], "floor_fail")
    case = np.where(in_park, "park", np.where(leading, "leading", "base"))
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        explain=EXPLAIN,
        lang=lang,
        value=np.round(share, RATIO_DECIMALS),
        limit=limit,
        unit="ratio",
        extra={
            "case_zh": [CASES[c][0] for c in case],
            "case_en": [CASES[c][1] for c in case],
            "floor_share": np.round(floor_share, RATIO_DECIMALS),
            "floor_limit": floor_limit,
            "headroom": np.round(limit * area - facility, AREA_DECIMALS),
        },
    )


RULES = {"facility.land_share": land_share}
