"""Supporting-facility land share (POLICY.md §7; taizhou 二（十四）, tiantai 四（十七））.

Admin-office and living-service land (行政办公及生活服务设施用地) may take at most
``land_share_max`` (7 %) of a project's land; inside industrial parks (zones of type
``raised_zone_type``, ``development_zone``), and outside them for grade A/B leading
enterprises (龙头骨干企业) with at least ``leading_min_area_mu`` (50 mu) of land, at most
``raised_land_share_max`` (15 %), and then its floor area at most
``raised_floor_share_max`` (30 %) of the total. The raised limits hold only where the
pack's ``raised_limits_enabled`` says so. Sentences: ``landtool/messages/<lang>/facility.yaml``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landtool.policy import Rule, compare
from landtool.rules.common import flag
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, mu_to_m2, ratio
from landtool.verdicts import declare, only, parcel_verdicts

__all__ = ["land_share"]

declare(
    "facility.land_share",
    ("not_industrial", "no_facility_layer", "within_limit", "over_limit", "leading_too_small", "floor_over_limit", "no_floor_area"),
)


def _lists(n: int, groups: dict[str, np.ndarray]) -> np.ndarray:
    """Per row, the list of input codes whose mask holds (None elsewhere), vectorized."""
    out = np.full(n, None, dtype=object)
    for names, mask in groups.items():
        holder = np.empty(1, dtype=object)
        holder[0] = list(names.split(","))
        out[np.asarray(mask, dtype=bool)] = holder
    return out


def _missing(frame: pd.DataFrame, no_layer: np.ndarray, no_floor: np.ndarray) -> np.ndarray:
    """What an insufficient_data verdict lacks: the facility layer, or what the floor-area share needs.

    Both floor areas come from the buildings on the parcel (``footprint_gap`` tells
    whether there was a buildings layer and a building on the parcel).
    """
    gap = frame["footprint_gap"].to_numpy(dtype=object) if "footprint_gap" in frame else np.full(len(frame), "no_buildings_layer", dtype=object)
    return _lists(
        len(frame),
        {
            "facility_land": no_layer,
            "buildings": no_floor & (gap == "no_buildings_layer"),
            "building_on_parcel": no_floor & (gap == "no_building"),
            "building_location": no_floor & (gap == "building_off_parcel"),
            "building_floor_area": no_floor & ~np.isin(gap, ("no_buildings_layer", "no_building", "building_off_parcel")),
        },
    )


def land_share(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``facility.land_share``: facility land (m²) / parcel area (m²), as a ratio.

    ``facility_area_m2`` is the facility land inside the parcel (NaN when no facility
    layer was given), ``facility_gfa_m2`` / ``gfa_m2`` the floor areas from the
    buildings. Headroom is the facility land area (m²) still allowed. The 50-mu
    threshold of leading enterprises is compared in m² at 0.01 m² (50 mu =
    33,333.33 m²), and the sentences show it so.
    """
    area = frame["area_exact_m2"].to_numpy(float)
    facility = frame["facility_area_m2"].to_numpy(float)
    share = ratio(facility, area)
    park_column = f"in_{rule.value('raised_zone_type', 'development_zone')}"
    in_park = frame[park_column].to_numpy(bool) if park_column in frame else np.zeros(len(frame), bool)
    grades = {str(g).upper() for g in rule.value("leading_grades", [])}
    leading_flag, _ = flag(frame["leading_enterprise"])
    grade_ok = frame["grade"].fillna("").astype(str).str.strip().str.upper().isin(grades).to_numpy()
    leading_min = rule["leading_min_area_mu"]
    leading_min_m2 = round(mu_to_m2(leading_min.number), AREA_DECIMALS)
    large = compare(area, leading_min.op or ">=", leading_min_m2, decimals=AREA_DECIMALS)
    leading = leading_flag & grade_ok
    enabled = bool(rule.value("raised_limits_enabled", True))
    qualifies = in_park | (leading & large)
    raised = qualifies & enabled
    base_limit, raised_limit = rule["land_share_max"].number, rule["raised_land_share_max"].number
    limit = np.where(raised, raised_limit, base_limit)
    land_ok = compare(share, rule["land_share_max"].op or "<=", limit, decimals=RATIO_DECIMALS)
    floor_limit = rule["raised_floor_share_max"].number
    floor_share = np.round(ratio(frame["facility_gfa_m2"], frame["gfa_m2"]), RATIO_DECIMALS)
    floor_ok = compare(floor_share, rule["raised_floor_share_max"].op or "<=", floor_limit, decimals=RATIO_DECIMALS)
    floor_missing = np.isnan(floor_share)
    # a grade A/B leading enterprise outside parks below the area that would raise its limit
    too_small = leading & ~large & ~in_park & enabled

    industrial = frame["is_industrial"].to_numpy(bool)
    conditions = [~industrial, np.isnan(facility), ~land_ok & too_small, ~land_ok, ~raised, floor_missing, floor_ok]
    status = np.select(conditions, ["not_applicable", "insufficient_data", "fail", "fail", "pass", "insufficient_data", "pass"], "fail")
    reason = np.select(
        conditions,
        ["not_industrial", "no_facility_layer", "leading_too_small", "over_limit", "within_limit", "no_floor_area", "within_limit"],
        "floor_over_limit",
    )
    case = np.select([in_park & enabled, leading & large & enabled, qualifies], ["park", "leading", "raised_off"], "base").astype(object)
    measured = ~np.isin(reason, ("not_industrial", "no_facility_layer"))
    on_floor = np.isin(reason, ("floor_over_limit",))
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=np.round(share, RATIO_DECIMALS),
        limit=limit,
        unit="ratio",
        headroom=np.round(limit * area - facility, AREA_DECIMALS),
        args={
            "land_use": only(~industrial, frame["land_use"]),
            "missing": _missing(frame, reason == "no_facility_layer", reason == "no_floor_area"),
            "facility_case": only(measured & (reason != "leading_too_small"), case),
            "facility_m2": only(measured, facility),
            "site_m2": only(measured, np.round(area, AREA_DECIMALS)),
            "leading_min_mu": only(reason == "leading_too_small", leading_min.number),
            "leading_min_m2": only(reason == "leading_too_small", leading_min_m2),
            "raised_limit": only(reason == "leading_too_small", raised_limit),
            "floor_share": only(on_floor, floor_share),
            "floor_limit": only(on_floor, floor_limit),
            "facility_gfa_m2": only(on_floor, frame["facility_gfa_m2"]),
            "gfa_m2": only(on_floor, frame["gfa_m2"]),
        },
    )


RULES = {"facility.land_share": land_share}
