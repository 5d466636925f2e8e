"""Fringe parcels — 零星边角地、夹心地 (POLICY.md §1; taizhou 二（五）, tiantai 四（六）, yuhuan 四.17).

An industrial enterprise doing zero-land renovation (零增地技改) may acquire surrounding
small leftover or enclosed land by agreement when the fringe land "累计面积不超过原用地
面积20%且不超过10亩" (yuhuan: 10 % and 3 亩) and the renovation raises FAR by 20 % or
more, or its floor area is 20 % or more of the floor area after renovation; the land so
acquired "原则上不允许分割转让".

A **fringe application** is a polygon with ``fringe_id`` and ``host_parcel_id``; the
host's renovation figures (``gfa_before_m2``, ``gfa_after_m2``, ``renovation_gfa_m2``)
come from its parcel row. Verdicts: per application (subject ``fringe``:
``fringe.adjacent``, ``fringe.no_split``) and per host (subject ``host``:
``fringe.area_cap`` on the cumulative area of all the host's applications,
``fringe.intensity``). :func:`fringe_candidates` lists, for each enterprise parcel, the
vacant or reserve land next to it that would fit under the pack's caps.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landtool.policy import Pack, Rule, compare
from landtool.prepare import VACANT_PATTERN
from landtool.result import STATUS_ORDER
from landtool.rules.transfers import (
    NOISE_M2,
    _clean,
    _rows_or_absent,
    _same_crs,
    _source_fid,
    _text_ids,
)
from landtool.units import AREA_DECIMALS, M2_PER_MU, RATIO_DECIMALS, mu_to_m2, ratio
from landtool.verdicts import not_in_policy, verdict_frame

__all__ = ["FRINGE_RULES", "HOST_RULES", "check_fringe", "fringe_candidates", "fringe_limits"]

#: Rules answered per fringe application.
FRINGE_RULES = ("fringe.adjacent", "fringe.no_split")
#: Rules answered per host parcel.
HOST_RULES = ("fringe.area_cap", "fringe.intensity")

#: Columns of the ``fringe_candidates`` layer.
CANDIDATE_COLUMNS = [
    "host_parcel_id",
    "owner",
    "candidate_ids",
    "n_candidates",
    "area_m2",
    "area_mu",
    "host_area_m2",
    "cap_m2",
    "cap_binding",
    "remaining_m2",
]

EXPLAIN = {
    "unknown_host": {
        "zh": "宿主宗地 {host} 不在宗地图层中，无法检查",
        "en": "host parcel {host} is not among the parcels: cannot be checked",
    },
    "no_geometry": {
        "zh": "零星地块图形为空或无效，无法检查",
        "en": "the fringe parcel has no usable geometry: cannot be checked",
    },
    "adjacent_touch": {
        "zh": "与宿主宗地 {host} 相接（距离 {value} 米，{snap} 米以内视为相接）{overlap_note}",
        "en": "touches host parcel {host} (distance {value} m; up to {snap} m counts as touching){overlap_note}",
    },
    "adjacent_gap": {
        "zh": "与宿主宗地 {host} 相距 {value} 米 ≤ 允许间距 {gap} 米",
        "en": "{value} m from host parcel {host}, within the allowed gap of {gap} m",
    },
    "adjacent_fail": {
        "zh": "与宿主宗地 {host} 相距 {value} 米，超过允许距离 {limit} 米（间距设定 {gap} 米，{snap} 米以内视为相接），不属“周边”",
        "en": "{value} m from host parcel {host}, beyond the allowed {limit} m (gap setting {gap} m, up to {snap} m counts as touching): not surrounding land",
    },
    "no_split": {
        "zh": "按本条协议出让的零星地块原则上不允许分割转让（标记随零星地块传递）",
        "en": "fringe land sold by agreement may in principle not be split for transfer (flag carried to the fringe parcel)",
    },
    "no_fringe_geometry": {
        "zh": "宿主宗地 {host} 的零星地块中有图形为空或无效的，无法计算累计面积",
        "en": "a fringe parcel of host {host} has no usable geometry: the cumulative area cannot be measured",
    },
    "cap_pass": {
        "zh": "{n_fringe} 块零星地累计 {value} 平方米 ≤ {limit} 平方米（{binding_zh}；原用地 {host_area} 平方米 × {ratio_pct}% = {ratio_limit} 平方米，上限 {cap_mu} 亩 = {cap_m2} 平方米）：{fringe_list}",
        "en": "the {n_fringe} fringe parcel(s) add up to {value} m², within {limit} m² ({binding_en}; host {host_area} m² × {ratio_pct}% = {ratio_limit} m², cap {cap_mu} mu = {cap_m2} m²): {fringe_list}",
    },
    "cap_fail": {
        "zh": "{n_fringe} 块零星地累计 {value} 平方米，超过 {limit} 平方米（{binding_zh}；原用地 {host_area} 平方米 × {ratio_pct}% = {ratio_limit} 平方米，上限 {cap_mu} 亩 = {cap_m2} 平方米）：{fringe_list}",
        "en": "the {n_fringe} fringe parcel(s) add up to {value} m², more than {limit} m² ({binding_en}; host {host_area} m² × {ratio_pct}% = {ratio_limit} m², cap {cap_mu} mu = {cap_m2} m²): {fringe_list}",
    },
    "intensity_rise": {
        "zh": "技改后容积率提高 {rise_pct}% ≥ {rise_min_pct}%（技改前 {gfa_before} 平方米 → 技改后 {gfa_after} 平方米，按原用地计算；技改建筑面积占比 {share_pct}%）",
        "en": "FAR rises by {rise_pct}% ≥ {rise_min_pct}% ({gfa_before} m² → {gfa_after} m² on the original site; renovation share {share_pct}%)",
    },
    "intensity_share": {
        "zh": "技改建筑面积占技改后总建筑面积 {share_pct}% ≥ {share_min_pct}%（技改建筑面积 {renovation} 平方米 / {gfa_after} 平方米；容积率提高 {rise_pct}%）",
        "en": "renovation floor area is {share_pct}% ≥ {share_min_pct}% of the floor area after renovation ({renovation} m² of {gfa_after} m²; FAR rise {rise_pct}%)",
    },
    "intensity_fail": {
        "zh": "容积率提高 {rise_pct}% < {rise_min_pct}%，且技改建筑面积占比 {share_pct}% < {share_min_pct}%（还需增加建筑面积 {shortfall} 平方米才达到容积率提高要求）",
        "en": "FAR rise {rise_pct}% < {rise_min_pct}% and renovation share {share_pct}% < {share_min_pct}% ({shortfall} m² more floor area would meet the FAR-rise condition)",
    },
    "intensity_missing": {
        "zh": "无法判断：{missing}（已知：容积率提高 {rise_pct}%，技改建筑面积占比 {share_pct}%）",
        "en": "cannot be decided: {missing} (known: FAR rise {rise_pct}%, renovation share {share_pct}%)",
    },
}

BINDING = {
    "ratio": ("比例上限较小", "the ratio limit binds"),
    "cap": ("亩数上限较小", "the area cap binds"),
    "both": ("两项上限相等", "both limits are equal"),
}


def fringe_limits(host_area_m2, rule: Rule) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(binding limit m², ratio limit m², cap m², binding name) per host area.

    The cumulative fringe area must be within ``area_ratio_max`` × host area **and**
    ``area_cap_mu``; the smaller of the two binds.
    """
    host = np.asarray(host_area_m2, dtype=float)
    ratio_limit = np.round(rule["area_ratio_max"].number * host, AREA_DECIMALS)
    cap = np.round(mu_to_m2(rule["area_cap_mu"].number), AREA_DECIMALS)
    cap_arr = np.full(host.shape, cap)
    limit = np.minimum(ratio_limit, cap_arr)
    binding = np.where(ratio_limit < cap_arr, "ratio", np.where(ratio_limit > cap_arr, "cap", "both")).astype(object)
    binding[np.isnan(ratio_limit)] = None
    return limit, ratio_limit, cap_arr, binding


def _adjacency_settings(pack: Pack) -> tuple[float, float, str]:
    rule = pack.rule("fringe.adjacent")
    if rule is None:
        return 0.0, 0.0, "<="
    gap = float(rule.value("gap_m", 0.0))
    snap = float(rule.value("snap_tolerance_m", 0.0))
    op = rule["gap_m"].op if "gap_m" in rule.params and rule["gap_m"].op else "<="
    return gap, snap, op


def _pct(values) -> np.ndarray:
    """Ratios as percentages for sentences (6-decimal ratio → 4-decimal percent)."""
    return np.round(np.asarray(values, dtype=float) * 100, RATIO_DECIMALS - 2)


def check_fringe(applications: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame, pack: Pack, *, lang: str) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Check fringe-land applications: verdicts and the ``fringe`` layer.

    Parameters
    ----------
    applications
        Polygons with ``fringe_id`` and ``host_parcel_id`` (list earlier acquisitions
        under the same clause as well: the cap is cumulative), in the parcels' CRS.
    parcels
        The prepared parcel table; the host's area is its measured area
        (``area_exact_m2``), its renovation figures ``gfa_before_m2``,
        ``gfa_after_m2``, ``renovation_gfa_m2``.

    Notes
    -----
    The part of an application lying inside its host is not fringe land: only the area
    outside the host counts, and several applications of one host count by their union
    (overlapping applications are not counted twice).
    """
    crs = parcels.crs
    apps = _same_crs(applications, parcels, "fringe").reset_index(drop=True)
    n = len(apps)
    fid = _source_fid(apps)
    fringe_id = _text_ids(apps["fringe_id"] if "fringe_id" in apps else None, n, [f"#{f}" for f in fid])
    host = _text_ids(apps["host_parcel_id"] if "host_parcel_id" in apps else None, n, ["—"] * n)
    geoms, usable, _ = _clean(apps.geometry.to_numpy())

    attrs = parcels.reset_index(drop=True)
    pid_pos = pd.Series(np.arange(len(attrs)), index=attrs["parcel_id"].astype(str).to_numpy())
    host_pos = pd.Series(host).map(pid_pos).fillna(-1).astype(int).to_numpy()
    known = host_pos >= 0
    ok = usable & known
    host_geom_all = attrs.geometry.to_numpy()
    host_area_all = attrs["area_exact_m2"].to_numpy(float) if "area_exact_m2" in attrs else shapely.area(host_geom_all)

    distance = np.full(n, np.nan)
    overlap = np.full(n, np.nan)
    area = np.full(n, np.nan)
    counted = np.full(n, None, dtype=object)
    if ok.any():
        hg = host_geom_all[host_pos[ok]]
        distance[ok] = shapely.distance(geoms[ok], hg)
        overlap[ok] = shapely.area(shapely.intersection(geoms[ok], hg))
        counted[ok] = shapely.difference(geoms[ok], hg)
        area[ok] = shapely.area(counted[ok])
    area_raw = np.where(usable, shapely.area(np.where(usable, geoms, None)), np.nan) if n else np.zeros(0)
    area = np.where(usable & ~known, area_raw, area)

    gap, snap, gap_op = _adjacency_settings(pack)
    touching = compare(distance, "<=", snap, decimals=AREA_DECIMALS)
    within_gap = compare(distance, gap_op, gap, decimals=AREA_DECIMALS)

    # hosts, in order of appearance
    host_ids = pd.unique(pd.Series(host, dtype=object)).astype(object)
    h = len(host_ids)
    hidx = pd.Series(np.arange(h), index=host_ids)
    app_host = hidx.loc[host].to_numpy()
    h_pos = pd.Series(host_ids).map(pid_pos).fillna(-1).astype(int).to_numpy()
    h_known = h_pos >= 0
    h_area = np.where(h_known, host_area_all[np.maximum(h_pos, 0)], np.nan)
    n_fringe = np.bincount(app_host, minlength=h)
    # the cumulative area is known only when every application of the host has a geometry
    h_usable = np.bincount(app_host, weights=(~usable).astype(float), minlength=h) == 0
    cumulative = np.full(h, np.nan)
    if ok.any():
        union = pd.Series(list(counted[ok])).groupby(app_host[ok]).agg(lambda g: shapely.union_all(g.to_numpy()))
        cumulative[union.index.to_numpy(int)] = shapely.area(np.asarray(union.to_numpy(), dtype=object))
    fringe_list = []
    for hi in range(h):
        sel = np.flatnonzero(app_host == hi)
        unit = "平方米" if lang == "zh" else "m²"
        fringe_list.append(("、" if lang == "zh" else ", ").join(f"{fringe_id[i]} {area[i]:,.2f} {unit}" if not np.isnan(area[i]) else f"{fringe_id[i]} —" for i in sel))

    def app_frame(rule: Rule, status, reason, *, value=np.nan, limit=np.nan, unit="", extra=None) -> pd.DataFrame:
        return verdict_frame(
            rule, pack.id, subject="fringe", subject_id=fringe_id, parcel_id=host, status=status, reason=reason,
            explain=EXPLAIN, lang=lang, value=value, limit=limit, unit=unit, extra={"host": host, **(extra or {})},
        )

    def host_frame(rule: Rule, status, reason, *, value=np.nan, limit=np.nan, unit="", extra=None) -> pd.DataFrame:
        return verdict_frame(
            rule, pack.id, subject="host", subject_id=host_ids, parcel_id=host_ids, status=status, reason=reason,
            explain=EXPLAIN, lang=lang, value=value, limit=limit, unit=unit, extra={"host": host_ids, **(extra or {})},
        )

    def adjacent(rule: Rule) -> pd.DataFrame:
        conditions = [~known, ~usable, touching, within_gap]
        status = np.select(conditions, ["insufficient_data", "insufficient_data", "pass", "pass"], "fail")
        reason = np.select(conditions, ["unknown_host", "no_geometry", "adjacent_touch", "adjacent_gap"], "adjacent_fail")
        allowed = max(gap, snap)
        value = np.round(distance, AREA_DECIMALS)
        overlap_note = [
            (f"；其中 {o:,.2f} 平方米位于宿主宗地内，不计入零星地面积" if lang == "zh" else f"; {o:,.2f} m² of it lies inside the host and is not counted as fringe land")
            if not np.isnan(o) and o >= NOISE_M2 else ""
            for o in overlap
        ]
        # the limit is the distance actually allowed: the gap setting, or the snapping tolerance when larger
        return app_frame(rule, status, reason, value=value, limit=allowed, unit="m",
                         extra={"snap": snap, "gap": gap, "overlap_note": overlap_note, "headroom": np.round(allowed - value, AREA_DECIMALS)})

    def no_split(rule: Rule) -> pd.DataFrame:
        return app_frame(rule, np.full(n, "pass", dtype=object), np.full(n, "no_split", dtype=object))

    def area_cap(rule: Rule) -> pd.DataFrame:
        limit, ratio_limit, cap, binding = fringe_limits(h_area, rule)
        ok_ratio = compare(cumulative, rule["area_ratio_max"].op or "<=", ratio_limit, decimals=AREA_DECIMALS)
        ok_cap = compare(cumulative, rule["area_cap_mu"].op or "<=", cap, decimals=AREA_DECIMALS)
        conditions = [~h_known, ~h_usable, ok_ratio & ok_cap]
        status = np.select(conditions, ["insufficient_data", "insufficient_data", "pass"], "fail")
        reason = np.select(conditions, ["unknown_host", "no_fringe_geometry", "cap_pass"], "cap_fail")
        value = np.round(cumulative, AREA_DECIMALS)
        return host_frame(
            rule, status, reason, value=value, limit=np.where(h_known, limit, np.nan), unit="m2",
            extra={
                "n_fringe": n_fringe,
                "binding_zh": [BINDING[b][0] if b else "—" for b in binding],
                "binding_en": [BINDING[b][1] if b else "—" for b in binding],
                "host_area": np.round(h_area, AREA_DECIMALS),
                "ratio_pct": _pct(rule["area_ratio_max"].number),
                "ratio_limit": ratio_limit,
                "cap_mu": rule["area_cap_mu"].number,
                "cap_m2": cap,
                "fringe_list": fringe_list,
                "headroom": np.round(limit - value, AREA_DECIMALS),
            },
        )

    def intensity(rule: Rule) -> pd.DataFrame:
        rise_spec, share_spec = rule["far_rise_min"], rule["renovation_share_min"]

        def column(name):
            return _take_float(attrs, name, h_pos)

        before, after, renovation = column("gfa_before_m2"), column("gfa_after_m2"), column("renovation_gfa_m2")
        # on the host's original site: FAR after / FAR before − 1 = gfa_after / gfa_before − 1
        rise = np.round(ratio(after, before) - 1, RATIO_DECIMALS)
        share = np.round(ratio(renovation, after), RATIO_DECIMALS)
        rise_ok = compare(rise, rise_spec.op or ">=", rise_spec.number, decimals=RATIO_DECIMALS)
        share_ok = compare(share, share_spec.op or ">=", share_spec.number, decimals=RATIO_DECIMALS)
        either = str(rule.value("combine", "any")) != "all"
        rise_known, share_known = ~np.isnan(rise), ~np.isnan(share)
        if either:
            passed = rise_ok | share_ok
            failed = rise_known & share_known & ~passed
        else:
            passed = rise_ok & share_ok
            failed = (rise_known & ~rise_ok) | (share_known & ~share_ok)
        missing = []
        for i in range(h):
            miss = []
            if not rise_known[i]:
                miss.append("gfa_before_m2 / gfa_after_m2")
            if not share_known[i]:
                miss.append("renovation_gfa_m2 / gfa_after_m2")
            missing.append(("缺少 " if lang == "zh" else "missing ") + ", ".join(miss) if miss else "—")
        conditions = [~h_known, passed & rise_ok, passed, failed]
        status = np.select(conditions, ["insufficient_data", "pass", "pass", "fail"], "insufficient_data")
        reason = np.select(conditions, ["unknown_host", "intensity_rise", "intensity_share", "intensity_fail"], "intensity_missing")
        use_share = ((status == "pass") & ~rise_ok) | (~rise_known & share_known)
        value = np.where(use_share, share, rise)
        limit = np.where(use_share, share_spec.number, rise_spec.number)
        # floor area (m²) still missing for the FAR-rise condition (explanation of a fail)
        shortfall = np.round((1 + rise_spec.number) * before - after, AREA_DECIMALS)
        return host_frame(
            rule, status, reason, value=value, limit=limit, unit="ratio",
            extra={
                "rise_pct": _pct(rise), "share_pct": _pct(share), "rise_min_pct": _pct(rise_spec.number),
                "share_min_pct": _pct(share_spec.number), "gfa_before": before, "gfa_after": after, "renovation": renovation,
                "shortfall": shortfall, "missing": missing,
                # margin of the deciding condition, as a ratio
                "headroom": np.round(value - limit, RATIO_DECIMALS),
            },
        )

    parts = []
    if n:
        builders = {"fringe.adjacent": adjacent, "fringe.no_split": no_split}
        parts += [_rows_or_absent(pack, r, subject="fringe", subject_id=fringe_id, parcel_id=host, lang=lang, build=builders[r]) for r in FRINGE_RULES]
        host_builders = {"fringe.area_cap": area_cap, "fringe.intensity": intensity}
        parts += [_rows_or_absent(pack, r, subject="host", subject_id=host_ids, parcel_id=host_ids, lang=lang, build=host_builders[r]) for r in HOST_RULES]
    verdicts = pd.concat(parts, ignore_index=True) if parts else not_in_policy("fringe.adjacent", pack.id, subject="fringe", subject_id=[], parcel_id=[], lang=lang)

    # the fringe layer: one row per application, with its host's cumulative figures
    cap_rule = pack.rule("fringe.area_cap")
    if cap_rule is not None:
        limit, _, _, binding = fringe_limits(h_area, cap_rule)
    else:
        limit, binding = np.full(h, np.nan), np.full(h, None, dtype=object)

    def status_of(rule_id: str, subject: str, ids) -> np.ndarray:
        rows = verdicts[(verdicts["rule"] == rule_id) & (verdicts["subject"] == subject)]
        if len(rows) != len(ids):
            return np.full(len(ids), "not_applicable", dtype=object)
        return rows["status"].to_numpy(dtype=object)

    adjacent_status = status_of("fringe.adjacent", "fringe", fringe_id)
    cap_status = status_of("fringe.area_cap", "host", host_ids)[app_host] if n else np.array([], dtype=object)
    intensity_status = status_of("fringe.intensity", "host", host_ids)[app_host] if n else np.array([], dtype=object)
    requirement = [r for r in ("fringe.adjacent", "fringe.area_cap", "fringe.intensity") if (rr := pack.rule(r)) is not None and rr.kind != "info"]
    overall = []
    for a, c, i in zip(adjacent_status, cap_status, intensity_status, strict=True):
        counted_status = [s for r, s in zip(("fringe.adjacent", "fringe.area_cap", "fringe.intensity"), (a, c, i), strict=True) if r in requirement]
        overall.append(max(counted_status, key=STATUS_ORDER.__getitem__) if counted_status else "not_applicable")
    layer = pd.DataFrame(
        {
            "fringe_id": fringe_id,
            "host_parcel_id": host,
            "source_fid": fid,
            "area_m2": np.round(area, AREA_DECIMALS),
            "area_mu": np.round(area / M2_PER_MU, 4),
            "overlap_host_m2": np.round(overlap, AREA_DECIMALS),
            "distance_m": np.round(distance, AREA_DECIMALS),
            "host_area_m2": np.round(h_area[app_host], AREA_DECIMALS) if n else np.zeros(0),
            "host_fringe_total_m2": np.round(cumulative[app_host], AREA_DECIMALS) if n else np.zeros(0),
            "cap_m2": limit[app_host] if n else np.zeros(0),
            "cap_binding": binding[app_host] if n else np.array([], dtype=object),
            "remaining_m2": np.round(limit[app_host] - np.round(cumulative[app_host], AREA_DECIMALS), AREA_DECIMALS) if n else np.zeros(0),
            "status_adjacent": adjacent_status,
            "status_area_cap": cap_status,
            "status_intensity": intensity_status,
            "no_split": pack.rule("fringe.no_split") is not None,
            "status": overall,
        }
    )
    out_geom = np.where(usable, geoms, None) if n else np.array([], dtype=object)
    return verdicts, gpd.GeoDataFrame(layer, geometry=gpd.GeoSeries(list(out_geom), crs=crs), crs=crs)


def _take_float(frame: pd.DataFrame, column: str, pos: np.ndarray) -> np.ndarray:
    if column not in frame:
        return np.full(len(pos), np.nan)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
    return np.where(pos >= 0, values[np.maximum(pos, 0)], np.nan)


# --------------------------------------------------------------------------- discovery


def _empty_candidates(crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in CANDIDATE_COLUMNS}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def fringe_candidates(
    parcels: gpd.GeoDataFrame,
    pack: Pack,
    *,
    vacant: gpd.GeoDataFrame | None = None,
    max_combination: int = 3,
) -> gpd.GeoDataFrame:
    """Vacant or reserve land that could serve as fringe land of each enterprise parcel.

    Hosts are industrial parcels with an ``owner``. Candidates are parcels whose
    ``land_use`` names vacant or reserve land (空闲地, 储备地, 空地: :data:`VACANT_PATTERN`)
    and the features of ``vacant`` (id from ``parcel_id``, ``vacant_id`` or ``fringe_id``),
    lying within the pack's ``fringe.adjacent`` distance of the host (STRtree). Listed:
    each candidate whose area alone fits the host's cap (the smaller of
    ``area_ratio_max`` × host area and ``area_cap_mu``), and each combination of up to
    ``max_combination`` candidates whose total fits. Earlier fringe acquisitions of a
    host are not known here: ``remaining_m2`` is the room left by this candidate alone.

    Returns
    -------
    GeoDataFrame
        Columns :data:`CANDIDATE_COLUMNS`; the geometry is the candidates' union. Empty
        when the pack has no ``fringe.area_cap``.
    """
    crs = parcels.crs
    rule = pack.rule("fringe.area_cap")
    if rule is None or len(parcels) == 0:
        return _empty_candidates(crs)
    gap, snap, _ = _adjacency_settings(pack)
    reach = max(gap, snap)
    attrs = parcels.reset_index(drop=True)
    land_use = attrs["land_use"].astype(object).where(attrs["land_use"].notna(), "").astype(str) if "land_use" in attrs else pd.Series([""] * len(attrs))
    is_vacant = land_use.str.contains(VACANT_PATTERN, regex=True).to_numpy()
    industrial = attrs["is_industrial"].to_numpy(bool) if "is_industrial" in attrs else np.ones(len(attrs), bool)
    owner = attrs["owner"].to_numpy(dtype=object) if "owner" in attrs else np.full(len(attrs), None, dtype=object)
    has_owner = np.array([o is not None and o is not pd.NA and not (isinstance(o, float) and np.isnan(o)) and str(o).strip() != "" for o in owner])
    hosts = np.flatnonzero(industrial & has_owner & ~is_vacant)

    cand_geom = list(attrs.geometry.to_numpy()[is_vacant])
    cand_id = list(attrs["parcel_id"].astype(str).to_numpy()[is_vacant])
    if vacant is not None and len(vacant):
        v = _same_crs(vacant, parcels, "vacant").reset_index(drop=True)
        vgeom, vusable, _ = _clean(v.geometry.to_numpy())
        id_col = next((c for c in ("parcel_id", "vacant_id", "fringe_id") if c in v), None)
        vid = _text_ids(v[id_col] if id_col else None, len(v), [f"vacant-{f}" for f in _source_fid(v)])
        seen = set(cand_id)
        for g, i, u in zip(vgeom, vid, vusable, strict=True):
            if u and i not in seen:
                cand_geom.append(g)
                cand_id.append(str(i))
                seen.add(str(i))
    if not cand_geom or not len(hosts):
        return _empty_candidates(crs)
    cand_geom = np.asarray(cand_geom, dtype=object)
    cand_id = np.asarray(cand_id, dtype=object)
    cand_area = shapely.area(cand_geom)

    host_geom = attrs.geometry.to_numpy()[hosts]
    tree = shapely.STRtree(cand_geom)
    hq, cq = tree.query(host_geom, predicate="dwithin", distance=reach) if reach > 0 else tree.query(host_geom, predicate="intersects")
    host_ids = attrs["parcel_id"].astype(str).to_numpy()[hosts]
    keep = cand_id[cq] != host_ids[hq]
    hq, cq = hq[keep], cq[keep]
    host_area = attrs["area_exact_m2"].to_numpy(float)[hosts] if "area_exact_m2" in attrs else shapely.area(host_geom)
    limit, _, _, binding = fringe_limits(host_area, rule)
    op_ratio = rule["area_ratio_max"].op or "<="

    records = []
    pairs = pd.DataFrame({"h": hq, "c": cq})
    for h, grp in pairs.groupby("h", sort=True):
        cands = grp["c"].to_numpy()
        fits = compare(cand_area[cands], op_ratio, limit[h], decimals=AREA_DECIMALS)
        cands = cands[fits]
        cands = cands[np.argsort(cand_area[cands], kind="stable")]
        for size in range(1, max(1, int(max_combination)) + 1):
            if size > len(cands) or not compare(float(cand_area[cands[:size]].sum()), op_ratio, limit[h], decimals=AREA_DECIMALS):
                break  # even the smallest candidates together exceed the cap
            for combo in itertools.combinations(cands, size):
                total = float(cand_area[list(combo)].sum())
                if not compare(total, op_ratio, limit[h], decimals=AREA_DECIMALS):
                    continue
                records.append(
                    {
                        "host_parcel_id": host_ids[h],
                        "owner": str(owner[hosts[h]]),
                        "candidate_ids": "+".join(cand_id[list(combo)]),
                        "n_candidates": size,
                        "area_m2": round(total, AREA_DECIMALS),
                        "area_mu": round(total / M2_PER_MU, 4),
                        "host_area_m2": round(float(host_area[h]), AREA_DECIMALS),
                        "cap_m2": float(limit[h]),
                        "cap_binding": binding[h],
                        "remaining_m2": round(float(limit[h]) - round(total, AREA_DECIMALS), AREA_DECIMALS),
                        "geometry": shapely.union_all(cand_geom[list(combo)]),
                    }
                )
    if not records:
        return _empty_candidates(crs)
    out = gpd.GeoDataFrame(records, geometry="geometry", crs=crs)
    return out.sort_values(["host_parcel_id", "n_candidates", "area_m2"], ascending=[True, True, False], kind="stable").reset_index(drop=True)
