"""Fee exemptions and subsidies (POLICY.md §5, §6).

``incentive.fee_exempt_area`` (tiantai 四（七）): where the land contract agreed no FAR,
the floor area above FAR ``far_threshold`` (1.1) after a zero-land renovation pays no
municipal infrastructure fee. The amount is max(0, GFA − 1.1 × site area) in m²; the GFA
is the floor area after renovation (``gfa_after_m2``) where given, else the current one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landtool.policy import Rule, compare
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, ratio
from landtool.verdicts import NOT_INDUSTRIAL, parcel_verdicts

__all__ = ["fee_exempt_area"]

FEE_EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "contract_far": {
        "zh": "出让合同已约定容积率 {contract_far}，不适用“超过1.1部分免收”",
        "en": "the land contract agreed a FAR ({contract_far}): the above-1.1 exemption does not apply",
    },
    "no_gfa": {"zh": "缺少建筑面积，无法计算", "en": "floor area missing: cannot compute"},
    "none": {
        "zh": "容积率 {far} 未超过 {far_threshold}，无免收面积",
        "en": "FAR {far} is not above {far_threshold}: no exempt floor area",
    },
    "exempt": {
        "zh": "合同未约定容积率，容积率 {far} 超过 {far_threshold}（{limit} ㎡）部分 {value} ㎡ 免收市政基础设施配套费",
        "en": "no FAR in the contract: the {value} m² above FAR {far_threshold} ({limit} m²; FAR {far}) are exempt from the municipal infrastructure fee",
    },
}


def fee_exempt_area(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``incentive.fee_exempt_area`` (amount, m²): floor area above FAR 1.1, contract silent."""
    threshold = rule["far_threshold"]
    area = frame["area_exact_m2"].to_numpy(float)
    gfa = frame["gfa_after_m2"].fillna(frame["gfa_m2"]).to_numpy(float)
    far = ratio(gfa, area)
    above = compare(far, threshold.op or ">", threshold.number, decimals=RATIO_DECIMALS)
    contract_agreed = frame["contract_far"].notna().to_numpy()
    exempt = np.where(above & ~contract_agreed, np.round(gfa - threshold.number * area, AREA_DECIMALS), 0.0)
    conditions = [
        ~frame["is_industrial"].to_numpy(bool),
        contract_agreed,
        np.isnan(gfa),
        ~above,
    ]
    status = np.select(conditions, ["not_applicable", "not_applicable", "insufficient_data", "not_applicable"], "pass")
    reason = np.select(conditions, ["not_industrial", "contract_far", "no_gfa", "none"], "exempt")
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        explain=FEE_EXPLAIN,
        lang=lang,
        value=np.where(np.isnan(gfa), np.nan, exempt),
        limit=np.round(threshold.number * area, AREA_DECIMALS),  # the floor area at FAR 1.1, m²
        unit="m2",
        extra={"far": np.round(far, RATIO_DECIMALS), "contract_far": frame["contract_far"], "far_threshold": threshold.number},
    )


RULES = {"incentive.fee_exempt_area": fee_exempt_area}
