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
from landtool.verdicts import parcel_verdicts

__all__ = ["density_max", "far_max", "height_max"]

EXPLAIN = {
    "not_industrial": {
        "zh": "非工业用地（{land_use}），不适用技术经济指标",
        "en": "not industrial land ({land_use}): indicator limits do not apply",
    },
    "unlimited": {
        "zh": "{what_zh}为 {value}，本政策在此不设上限",
        "en": "{what_en} is {value}; this policy sets no upper limit here",
    },
    "no_plan": {
        "zh": "本政策要求按规划条件控制，缺少{plan_field}（规划条件）",
        "en": "this policy defers to the planning condition; {plan_field} is missing",
    },
    "no_value": {
        "zh": "无法计算{what_zh}：缺少{needs}",
        "en": "cannot compute the {what_en}: {needs} missing",
    },
    "pass": {
        "zh": "{what_zh} {value} ≤ {source_zh}限值 {limit}",
        "en": "{what_en} {value} is within the {source_en} limit {limit}",
    },
    "fail": {
        "zh": "{what_zh} {value} 超过{source_zh}限值 {limit}",
        "en": "{what_en} {value} exceeds the {source_en} limit {limit}",
    },
}

SOURCES = {
    "plan": ("规划条件", "planning-condition"),
    "pack": ("政策", "policy"),
    "standard_land": ("标准地放宽", "standard-land relaxed"),
    "extra": ("限高区或净空", "height-limit zone or clearance"),
}


def _in_any_zone(frame: pd.DataFrame, zone_type: str) -> np.ndarray:
    column = f"in_{zone_type}"
    return frame[column].to_numpy(bool) if column in frame else np.zeros(len(frame), bool)


def _limit_verdicts(
    frame: pd.DataFrame,
    rule: Rule,
    pack_id: str,
    *,
    lang: str,
    param: str,
    value: pd.Series,
    plan: pd.Series,
    decimals: int,
    unit: str,
    what: tuple,
    needs: str,
    headroom_per_unit: np.ndarray | float,
    pack_limit: np.ndarray | None = None,
    extra_limit: np.ndarray | None = None,
) -> pd.DataFrame:
    """Shared logic of the three limit rules (see module docstring).

    ``headroom_per_unit`` converts a difference in the measured unit to the headroom
    unit (site area for FAR → floor area in m²; 1 for height in m).
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
    has_extra = ~np.isnan(extra)
    extra_binds = has_extra & (np.isnan(limit) | (extra < limit))
    limit = np.where(extra_binds, extra, limit)
    source[extra_binds] = "extra"
    no_value = np.isnan(measured)
    ok = compare(measured, spec.op or "<=", limit, decimals=decimals)
    conditions = [~industrial, unlimited & ~has_extra, no_plan & ~has_extra, no_value, no_plan & ok, ok]
    status = np.select(conditions, ["not_applicable", "pass", "insufficient_data", "insufficient_data", "insufficient_data", "pass"], "fail")
    reason = np.select(conditions, ["not_industrial", "unlimited", "no_plan", "no_value", "no_plan", "pass"], "fail")
    headroom = (np.round(limit, decimals) - np.round(measured, decimals)) * headroom_per_unit
    zh_src = [SOURCES[s][0] for s in source]
    en_src = [SOURCES[s][1] for s in source]
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        explain=EXPLAIN,
        lang=lang,
        value=np.round(measured, decimals),
        limit=limit,
        unit=unit,
        extra={
            "what_zh": what[0],
            "what_en": what[1],
            "source_zh": zh_src,
            "source_en": en_src,
            "plan_field": plan.name,
            "needs": needs,
            "land_use": frame["land_use"] if "land_use" in frame else "—",
            "headroom": np.round(headroom, AREA_DECIMALS),
        },
    )


def far_max(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``indicator.far_max``: FAR = gross floor area / measured site area (ratio).

    For a zero-land renovation (``gfa_after_m2`` given) the FAR after the renovation is
    checked: the limits of tiantai 四（五） govern "实施“零增地”技改和新供地的工业项目", i.e.
    the building being applied for. Headroom is the floor area (m²) still allowed:
    (limit − FAR) × site area.
    """
    after = frame["gfa_after_m2"].notna().to_numpy()
    far = np.where(after, ratio(frame["gfa_after_m2"], frame["area_exact_m2"]), frame["far"].to_numpy(float))
    return _limit_verdicts(
        frame,
        rule,
        pack_id,
        lang=lang,
        param="far_max",
        value=pd.Series(far, index=frame.index),
        plan=frame["plan_far_max"],
        decimals=RATIO_DECIMALS,
        unit="ratio",
        what=(np.where(after, "技改后容积率", "容积率"), np.where(after, "FAR after the renovation", "FAR")),
        needs="gfa_m2 / buildings",
        headroom_per_unit=frame["area_m2"].to_numpy(float),
    )


def height_max(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``indicator.height_max``: the tallest building's height on the parcel (m).

    Extra limits (``extra_height_max_m``: ``height_limit`` zones, a height-limit raster
    such as an airport clearance surface; taizhou 二（四） "应满足机场净空保护…") bind on
    top of the pack's limit wherever they are stricter.
    """
    return _limit_verdicts(
        frame,
        rule,
        pack_id,
        lang=lang,
        param="height_max_m",
        value=frame["height_m"],
        plan=frame["plan_height_max_m"],
        decimals=AREA_DECIMALS,
        unit="m",
        what=("建筑高度（米）", "building height (m)"),
        needs="height_m / buildings / --height-raster",
        headroom_per_unit=1.0,
        extra_limit=frame["extra_height_max_m"].to_numpy(float) if "extra_height_max_m" in frame else None,
    )


def density_max(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
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
        lang=lang,
        param="density_max",
        value=frame["density"],
        plan=plan,
        decimals=RATIO_DECIMALS,
        unit="ratio",
        what=("建筑密度", "building density"),
        needs="buildings",
        headroom_per_unit=frame["area_m2"].to_numpy(float),
        pack_limit=pack_limit,
    )


RULES = {
    "indicator.far_max": far_max,
    "indicator.height_max": height_max,
    "indicator.density_max": density_max,
}
