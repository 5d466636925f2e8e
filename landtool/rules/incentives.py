"""Fee exemption (POLICY.md §5).

``incentive.fee_exempt_area`` (tiantai 四（七）): where the land contract agreed no FAR,
the floor area above FAR ``far_threshold`` (1.1) after a **zero-land renovation** pays no
municipal infrastructure fee ("“零增地”技改后容积率超过1.1部分免收"). Only a renovation
applicant (a parcel with renovation figures) has such an area: any other parcel is
``not_applicable``, whatever its current floor area. The amount is
max(0, GFA after − 1.1 × site area) in m², where GFA after is ``gfa_after_m2``, else
``gfa_before_m2`` + ``renovation_gfa_m2``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landtool.policy import Rule, compare
from landtool.rules.landuse import renovation_applicant
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, ratio
from landtool.verdicts import declare, only, parcel_verdicts

__all__ = ["fee_exempt_area", "floor_area_after"]

declare("incentive.fee_exempt_area", ("not_industrial", "not_applicant", "contract_far", "no_floor_area_after", "not_above", "exempt"))


def floor_area_after(frame: pd.DataFrame) -> np.ndarray:
    """Floor area after the renovation (m²): ``gfa_after_m2``, else before + renovation; NaN if unknown."""
    derived = frame["gfa_before_m2"] + frame["renovation_gfa_m2"]
    return frame["gfa_after_m2"].fillna(derived).to_numpy(float)


def fee_exempt_area(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``incentive.fee_exempt_area`` (amount, m²): floor area above FAR 1.1, contract silent."""
    threshold = rule["far_threshold"]
    area = frame["area_exact_m2"].to_numpy(float)
    gfa = floor_area_after(frame)
    far = ratio(gfa, area)
    above = compare(far, threshold.op or ">", threshold.number, decimals=RATIO_DECIMALS)
    contract_agreed = frame["contract_far"].notna().to_numpy()
    exempt = np.where(above & ~contract_agreed, np.round(gfa - threshold.number * area, AREA_DECIMALS), 0.0)
    industrial = frame["is_industrial"].to_numpy(bool)
    conditions = [~industrial, ~renovation_applicant(frame), contract_agreed, np.isnan(gfa), ~above]
    status = np.select(conditions, ["not_applicable", "not_applicable", "not_applicable", "insufficient_data", "not_applicable"], "pass")
    reason = np.select(conditions, ["not_industrial", "not_applicant", "contract_far", "no_floor_area_after", "not_above"], "exempt")
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=np.where(status == "pass", exempt, np.nan),
        limit=np.round(threshold.number * area, AREA_DECIMALS),  # the floor area at FAR 1.1, m²
        unit="m2",
        args={
            "land_use": only(~industrial, frame["land_use"]),
            "far": only(np.isin(reason, ("not_above", "exempt")), np.round(far, RATIO_DECIMALS)),
            "contract_far": only(reason == "contract_far", frame["contract_far"]),
            "far_threshold": threshold.number,
            "missing": only(reason == "no_floor_area_after", ["gfa_after_m2"]),
        },
    )


RULES = {"incentive.fee_exempt_area": fee_exempt_area}
