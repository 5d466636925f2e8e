"""Building indicators — FAR, height and density limits (POLICY.md §4).

The limit of a parcel comes, in order, from: a zone where the pack lifts the limit
("unlimited", yuhuan 四.16); the parcel's own planning condition (``plan_far_max``,
``plan_height_max_m``, ``plan_density_max``) — replacing the pack's number
(``plan_condition: overrides``, tiantai 四（五）) or adding to it (``also_applies``,
yuhuan's 24 m "且应满足…"); the pack's number for the parcel's zone or for outside
zones. A limit the pack leaves to the plan ("plan") with no planning condition given is
``insufficient_data``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landtool.policy import Rule, compare
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, ratio
from landtool.verdicts import by_reason, declare, only, parcel_verdicts

__all__ = ["density_max", "far_max", "height_max"]

#: Reason codes of the three limit rules (sentences: landtool/messages/*/indicator.yaml).
LIMIT_REASONS = ("not_industrial", "unlimited", "no_plan", "within_limit", "over_limit")
declare("indicator.far_max", (*LIMIT_REASONS, "no_floor_area"))
declare("indicator.height_max", (*LIMIT_REASONS, "no_height", "limit_unconfirmed"))
declare("indicator.density_max", (*LIMIT_REASONS, "no_footprint"))


def _in_any_zone(frame: pd.DataFrame, zone_type: str) -> np.ndarray:
    column = f"in_{zone_type}"
    return frame[column].to_numpy(bool) if column in frame else np.zeros(len(frame), bool)


def _limit_verdicts(
    frame: pd.DataFrame,
    rule: Rule,
    pack_id: str,
    *,
    param: str,
    value: pd.Series,
    plan: pd.Series,
    decimals: int,
    unit: str,
    what,
    no_value: tuple[str, np.ndarray],
    headroom_per_unit: np.ndarray | float,
    pack_limit: np.ndarray | None = None,
    extra_limit: np.ndarray | None = None,
    extra_value: np.ndarray | None = None,
    extra_unconfirmed: np.ndarray | None = None,
) -> pd.DataFrame:
    """Shared logic of the three limit rules (see module docstring).

    ``what`` names the measure in the sentences (a code of ``terms.what``, per row or
    one); ``no_value`` is the reason code and, per row, the inputs missing where the
    measure is unknown. ``headroom_per_unit`` converts a difference in the measured unit
    to the headroom unit (site area for FAR → floor area in m²; 1 for height in m).

    ``extra_limit`` (height-limit zones, a clearance raster) is compared with
    ``extra_value``, the height of the building with the least headroom under it (not
    the tallest building, which may stand where the limit is higher); it binds where
    its headroom is no larger than the pack's or plan's (a tie is the extra limit's: it
    is never 原则上). Where ``extra_unconfirmed`` holds (a building the raster does not
    fully cover), no pass is given.
    """
    n = len(frame)
    spec = rule[param]
    # The pack's setting per parcel: a number, "plan" or "unlimited"; zones override it.
    setting = np.full(n, spec.value, dtype=object)
    # Parcels flagged with a ``zone_rule_exempt`` field (tiantai: 工业地产项目除外) keep the
    # pack's general setting inside zones.
    exempt = np.zeros(n, bool)
    for flag in rule.value("zone_rule_exempt") or []:
        exempt |= frame[flag].fillna(False).to_numpy(bool)
    for zone_type, zone_value in (rule.value("zones") or {}).items():
        setting[_in_any_zone(frame, zone_type) & ~exempt] = zone_value
    relaxed = np.zeros(n, bool) if pack_limit is None else ~np.isnan(pack_limit)
    setting[relaxed] = pack_limit[relaxed] if pack_limit is not None else setting[relaxed]
    numeric = np.array([isinstance(s, (int, float)) and not isinstance(s, bool) for s in setting])
    pack_number = np.where(numeric, setting, np.nan).astype(float)
    plan_value = plan.to_numpy(float)
    has_plan = ~np.isnan(plan_value)
    also = rule.value("plan_condition", "overrides") == "also_applies"

    limit = np.where(has_plan, plan_value, pack_number)
    source = np.where(has_plan, "plan", "pack").astype(object)
    if also:  # both apply: the stricter one binds
        stricter_pack = numeric & has_plan & (pack_number < plan_value)
        limit = np.where(stricter_pack, pack_number, limit)
        source[stricter_pack] = "pack"
    source[relaxed & ~has_plan] = "standard_land"

    measured = value.to_numpy(float)
    industrial = frame["is_industrial"].to_numpy(bool)
    unlimited = setting == "unlimited"
    no_plan = (setting == "plan") & ~has_plan
    limit = np.where(unlimited | no_plan, np.nan, limit)
    # Extra limits (height-limit zones, an airport clearance raster) bind where stricter.
    extra = np.full(n, np.nan) if extra_limit is None else np.asarray(extra_limit, dtype=float)
    under_extra = measured if extra_value is None else np.where(np.isnan(extra_value), measured, extra_value)
    has_extra = ~np.isnan(extra)
    with np.errstate(invalid="ignore"):
        extra_binds = has_extra & (np.isnan(limit) | (np.round(extra - under_extra, decimals) <= np.round(limit - measured, decimals)))
    unknown = np.isnan(measured)
    measured = np.where(extra_binds & ~unknown, under_extra, measured)
    limit = np.where(extra_binds, extra, limit)
    source[extra_binds] = "extra"
    unconfirmed = np.zeros(n, bool) if extra_unconfirmed is None else np.asarray(extra_unconfirmed, dtype=bool)
    ok = compare(measured, spec.op or "<=", limit, decimals=decimals)
    free = unlimited & ~has_extra  # no limit applies at all
    conditions = [~industrial, unknown, free & unconfirmed, free, no_plan & ~has_extra, no_plan & ok, ok & unconfirmed, ok]
    status = np.select(conditions, ["not_applicable", "insufficient_data", "insufficient_data", "pass", "insufficient_data", "insufficient_data", "insufficient_data", "pass"], "fail")
    reason = np.select(conditions, ["not_industrial", no_value[0], "limit_unconfirmed", "unlimited", "no_plan", "no_plan", "limit_unconfirmed", "within_limit"], "over_limit")
    headroom = (np.round(limit, decimals) - np.round(measured, decimals)) * headroom_per_unit
    decided = np.isin(reason, ("within_limit", "over_limit"))
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=np.round(measured, decimals),
        limit=limit,
        unit=unit,
        headroom=np.round(headroom, AREA_DECIMALS),
        # 原则上 belongs to the pack's own numbers, never to a plan or a height-limit zone
        discretionary=np.isin(source, ("pack", "standard_land")),
        args={
            "land_use": only(~industrial, frame["land_use"]),
            "what": what if np.ndim(what) == 0 else only(industrial, what),
            "source": only(decided, source),
            "missing": by_reason(reason, {no_value[0]: no_value[1], "limit_unconfirmed": ["height_limit_raster"], "no_plan": [plan.name]}),
            "plan_field": only(reason == "no_plan", plan.name),
        },
    )


#: What a parcel lacks, by the gap code that :func:`landtool.prepare.prepare` records
#: where a measure is unknown (``floor_area_gap``, ``height_gap``, ``footprint_gap``).
GAP_INPUTS = {
    "floor_area_gap": {
        "no_buildings_layer": ["gfa_m2", "buildings"],
        "no_building": ["gfa_m2", "building_on_parcel"],
        "building_floor_area": ["gfa_m2", "building_floor_area"],
        "building_off_parcel": ["gfa_m2", "building_location"],
    },
    "height_gap": {
        "no_height_source": ["height_m", "buildings", "height_raster"],
        "no_building": ["height_m", "building_on_parcel"],
        "building_height": ["building_height", "height_raster"],
        "raster_no_cells": ["raster_cells"],
        "raster_implausible": ["plausible_raster_heights"],
        "raster_no_building": ["height_m", "buildings"],  # no cell of the parcel reaches a building's height
        "building_off_parcel": ["height_m", "building_location"],
    },
    "footprint_gap": {
        "no_buildings_layer": ["buildings"],
        "no_building": ["building_on_parcel"],
        "building_off_parcel": ["building_location"],
    },
}


def missing_inputs(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Per parcel, the inputs named by its gap code in ``column`` (None where none)."""
    gaps = frame[column].to_numpy(dtype=object) if column in frame else np.full(len(frame), None, dtype=object)
    names = GAP_INPUTS[column]
    return np.array([names.get(g) if isinstance(g, str) else None for g in gaps] + [None], dtype=object)[:-1]


def far_max(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``indicator.far_max``: FAR = gross floor area / measured site area (ratio).

    For a zero-land renovation (``gfa_after_m2`` given) the FAR after the renovation is
    checked: the limits of tiantai 四（五） govern "实施“零增地”技改和新供地的工业项目", i.e.
    the building being applied for. Headroom is the floor area (m²) still allowed:
    (limit − FAR) × site area. A parcel with no floor area — no ``gfa_m2`` and no
    building with a floor area assigned to it — is ``insufficient_data``, never FAR 0.
    """
    after = frame["gfa_after_m2"].notna().to_numpy()
    far = np.where(after, ratio(frame["gfa_after_m2"], frame["area_exact_m2"]), frame["far"].to_numpy(float))
    return _limit_verdicts(
        frame,
        rule,
        pack_id,
        param="far_max",
        value=pd.Series(far, index=frame.index),
        plan=frame["plan_far_max"],
        decimals=RATIO_DECIMALS,
        unit="ratio",
        what=np.where(after, "far_after", "far"),
        no_value=("no_floor_area", missing_inputs(frame, "floor_area_gap")),
        headroom_per_unit=frame["area_m2"].to_numpy(float),
    )


def height_max(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``indicator.height_max``: the tallest building's height on the parcel (m).

    Extra limits (``extra_height_max_m``: ``height_limit`` zones, a height-limit raster
    such as an airport clearance surface; taizhou 二（四） "应满足机场净空保护…") bind on
    top of the pack's limit wherever they are stricter.
    """
    return _limit_verdicts(
        frame,
        rule,
        pack_id,
        param="height_max_m",
        value=frame["height_m"],
        plan=frame["plan_height_max_m"],
        decimals=AREA_DECIMALS,
        unit="m",
        what="height",
        no_value=("no_height", missing_inputs(frame, "height_gap")),
        headroom_per_unit=1.0,
        extra_limit=frame["extra_height_max_m"].to_numpy(float) if "extra_height_max_m" in frame else None,
        extra_value=frame["extra_height_m"].to_numpy(float) if "extra_height_m" in frame else None,
        extra_unconfirmed=frame["extra_height_problem"].notna().to_numpy() if "extra_height_problem" in frame else None,
    )


def density_max(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``indicator.density_max``: building footprint area / site area (ratio, 0–1).

    New industrial projects on 标准地 may go up to ``standard_land_density_max``
    (taizhou 二（四）: "建筑密度一次性可放宽至60%"). Headroom is footprint area (m²).
    """
    relaxed = rule.value("standard_land_density_max")
    pack_limit = None
    if relaxed is not None:
        on_standard_land = frame["standard_land"].fillna(False).to_numpy(bool)
        pack_limit = np.where(on_standard_land, float(relaxed), np.nan)
    plan = frame["plan_density_max"]
    if pack_limit is not None:  # the relaxation replaces a stricter plan density on 标准地
        plan = plan.where(np.isnan(pack_limit) | (plan > pack_limit))
    return _limit_verdicts(
        frame,
        rule,
        pack_id,
        param="density_max",
        value=frame["density"],
        plan=plan,
        decimals=RATIO_DECIMALS,
        unit="ratio",
        what="density",
        no_value=("no_footprint", missing_inputs(frame, "footprint_gap")),
        headroom_per_unit=frame["area_m2"].to_numpy(float),
        pack_limit=pack_limit,
    )


RULES = {
    "indicator.far_max": far_max,
    "indicator.height_max": height_max,
    "indicator.density_max": density_max,
}
