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
``fringe.intensity``). The verdicts carry reason codes and args; the sentences are in
``landtool/messages/<lang>/fringe.yaml``.

Cost: a plan of k applications costs O(k) geometry work on the applications and their
hosts, plus one vectorized hash scan of the parcel ids to find the hosts — never a
geometry operation or a Python loop over the N parcels. :func:`fringe_candidates`
lists, for each enterprise parcel, the vacant or reserve land next to it that would fit
under the pack's caps (a whole-area search: one STRtree query, combinations built level
by level with vectorized joins).
"""

from __future__ import annotations


import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landtool.issues import empty_issues, issue_frame
from landtool.policy import Pack, Rule, compare
from landtool.prepare import VACANT_PATTERN
from landtool.result import STATUS_ORDER
from landtool.rules.proposals import (
    NOISE_M2,
    clean_polygons,
    positions,
    rows_or_absent,
    same_crs,
    source_fid,
    take_geometry,
    take_rows,
    text_ids,
)
from landtool.units import AREA_DECIMALS, M2_PER_MU, RATIO_DECIMALS, mu_to_m2, ratio
from landtool.verdicts import concat_tables, declare, not_in_policy, only, verdict_frame

__all__ = ["CANDIDATE_COLUMNS", "FRINGE_RULES", "HOST_RULES", "check_fringe", "fringe_candidates", "fringe_limits"]

#: Rules answered per fringe application.
FRINGE_RULES = ("fringe.adjacent", "fringe.no_split")
#: Rules answered per host parcel.
HOST_RULES = ("fringe.area_cap", "fringe.intensity")

#: Host ids that cannot be checked: no ``host_parcel_id``, or not among the parcels.
HOST_REASONS = ("no_host_id", "unknown_host")
declare("fringe.adjacent", (*HOST_REASONS, "no_geometry", "touches", "overlaps_host", "within_gap", "too_far"))
declare("fringe.no_split", ("carried",))
declare("fringe.area_cap", (*HOST_REASONS, "no_fringe_geometry", "within_cap", "over_cap"))
declare(
    "fringe.intensity",
    (*HOST_REASONS, "rise_met", "share_met", "both_met", "neither_met", "rise_below", "share_below", "missing_figures"),
)

#: Shown where an application names no host (its host subject id).
NO_HOST = "—"

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

#: Decimals of the ``area_mu`` columns: 1e-6 mu ≈ 0.0007 m², finer than the 0.01 m² areas are compared at.
MU_DECIMALS = 6


def fringe_limits(host_area_m2, rule: Rule) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(binding limit m², ratio limit m², cap m², binding code) per host area.

    The cumulative fringe area must be within ``area_ratio_max`` × host area **and**
    ``area_cap_mu``; the smaller of the two binds (code ``ratio``, ``cap`` or ``both``;
    None where the host area is unknown). Both limits are rounded to 0.01 m², the
    precision areas are compared at.
    """
    host = np.asarray(host_area_m2, dtype=float)
    ratio_limit = np.round(rule["area_ratio_max"].number * host, AREA_DECIMALS)
    cap = np.full(host.shape, np.round(mu_to_m2(rule["area_cap_mu"].number), AREA_DECIMALS))
    limit = np.minimum(ratio_limit, cap)
    binding = np.where(ratio_limit < cap, "ratio", np.where(ratio_limit > cap, "cap", "both")).astype(object)
    binding[np.isnan(ratio_limit)] = None
    return limit, ratio_limit, cap, binding


def _adjacency_settings(pack: Pack) -> tuple[float, float, str]:
    """(gap m, snapping tolerance m, operator of the gap) of the pack's ``fringe.adjacent``."""
    rule = pack.rule("fringe.adjacent")
    if rule is None:
        return 0.0, 0.0, "<="
    gap = float(rule.value("gap_m", 0.0))
    snap = float(rule.value("snap_tolerance_m", 0.0))
    op = rule["gap_m"].op if "gap_m" in rule.params and rule["gap_m"].op else "<="
    return gap, snap, op


def _objects(items: list) -> np.ndarray:
    """A 1-d object array of ``items`` (lists stay whole: one list per row)."""
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def _numbers(rows: pd.DataFrame, column: str) -> np.ndarray:
    """A number column of taken rows (NaN where missing or the column is absent)."""
    if column not in rows:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[column], errors="coerce").to_numpy(float)


def check_fringe(applications: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame, pack: Pack) -> tuple[pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Check fringe-land applications: verdicts and the ``fringe`` layer.

    Parameters
    ----------
    applications
        Polygons with ``fringe_id`` and ``host_parcel_id`` (list earlier acquisitions
        under the same clause as well: the cap is cumulative), in the parcels' CRS.
    parcels
        The prepared parcel table; the host's area is its measured area
        (``area_exact_m2``, m²), its renovation figures ``gfa_before_m2``,
        ``gfa_after_m2``, ``renovation_gfa_m2`` (m²).

    Returns
    -------
    verdicts, layer, issues
        The verdict rows (subjects ``fringe`` and ``host``), one row per application
        with its area (m², mu), overlap with and distance to the host (m², m), the host's
        cumulative figures and the statuses, and a ``fringe_repaired_geometry`` finding per
        application whose invalid polygon was repaired before measuring.

    Notes
    -----
    The part of an application lying inside its host is not fringe land: only the area
    outside the host counts, and several applications of one host count by their union
    (overlapping applications are not counted twice).
    """
    crs = parcels.crs
    apps = same_crs(applications, parcels, "fringe").reset_index(drop=True)
    n = len(apps)
    fid = source_fid(apps)
    fringe_id = text_ids(apps["fringe_id"] if "fringe_id" in apps else None, n, [f"#{f}" for f in fid])
    host = text_ids(apps["host_parcel_id"] if "host_parcel_id" in apps else None, n, [NO_HOST] * n)
    raw = apps.geometry.to_numpy()
    geoms, usable, repaired = clean_polygons(raw)
    # the area is measured on the repaired polygon: the finding shows what was drawn
    found = (issue_frame(crs, "fringe", "fringe_repaired_geometry", feature_id=fringe_id[repaired], source_fid=fid[repaired], geometry=raw[repaired])
             if repaired.any() else empty_issues(crs))

    # hosts, in order of appearance; only their rows of the parcel table are touched
    app_host, host_ids = pd.factorize(pd.Series(host, dtype=object))
    host_ids = np.asarray(host_ids, dtype=object)
    h = len(host_ids)
    h_named = host_ids != NO_HOST
    h_pos = np.where(h_named, positions(parcels, host_ids), -1)
    h_known = h_pos >= 0
    hosts = take_rows(parcels, h_pos)  # k rows, missing where the host is unknown
    h_geom = take_geometry(parcels, h_pos)
    h_area = _numbers(hosts, "area_exact_m2") if "area_exact_m2" in hosts else np.where(h_known, shapely.area(h_geom), np.nan)

    known = h_known[app_host] if n else np.zeros(0, bool)
    ok = usable & known
    distance = np.full(n, np.nan)
    overlap = np.full(n, np.nan)
    area = np.full(n, np.nan)
    counted = np.full(n, None, dtype=object)
    if ok.any():
        hg = h_geom[app_host[ok]]
        distance[ok] = shapely.distance(geoms[ok], hg)
        overlap[ok] = shapely.area(shapely.intersection(geoms[ok], hg))
        counted[ok] = shapely.difference(geoms[ok], hg)
        area[ok] = shapely.area(counted[ok])
    loose = usable & ~known  # no host to subtract: the whole polygon
    if loose.any():
        area[loose] = shapely.area(geoms[loose])

    gap, snap, gap_op = _adjacency_settings(pack)
    touching = compare(distance, "<=", snap, decimals=AREA_DECIMALS)
    within_gap = compare(distance, gap_op, gap, decimals=AREA_DECIMALS)

    n_fringe = np.bincount(app_host, minlength=h) if n else np.zeros(h, int)
    # the cumulative area is known only when every application of the host has a geometry
    h_usable = np.bincount(app_host, weights=(~usable).astype(float), minlength=h) == 0 if n else np.ones(h, bool)
    cumulative = np.full(h, np.nan)
    if ok.any():
        single = n_fringe[app_host] == 1
        one = ok & single
        cumulative[app_host[one]] = area[one]
        several = ok & ~single
        if several.any():
            union = pd.Series(list(counted[several])).groupby(app_host[several]).agg(lambda g: shapely.union_all(g.to_numpy()))
            cumulative[union.index.to_numpy(int)] = shapely.area(np.asarray(union.to_numpy(), dtype=object))
    cumulative[~h_usable] = np.nan  # a part of the host's fringe land cannot be measured
    cumulative = np.round(cumulative, AREA_DECIMALS)
    members = pd.Series(np.arange(n)).groupby(app_host).agg(list).reindex(range(h)) if n else pd.Series([], dtype=object)

    def app_frame(rule: Rule, status, reason, **kwargs) -> pd.DataFrame:
        return verdict_frame(rule, pack.id, subject="fringe", subject_id=fringe_id, parcel_id=host, status=status, reason=reason, **kwargs)

    def host_frame(rule: Rule, status, reason, **kwargs) -> pd.DataFrame:
        return verdict_frame(rule, pack.id, subject="host", subject_id=host_ids, parcel_id=host_ids, status=status, reason=reason, **kwargs)

    host_conditions = [~h_named, ~h_known]
    host_statuses = ["insufficient_data", "insufficient_data"]

    def adjacent(rule: Rule) -> pd.DataFrame:
        overlaps = touching & (np.nan_to_num(overlap) >= NOISE_M2)
        conditions = [~h_named[app_host], ~known, ~usable, overlaps, touching, within_gap]
        status = np.select(conditions, [*host_statuses, "insufficient_data", "pass", "pass", "pass"], "fail")
        reason = np.select(conditions, [*HOST_REASONS, "no_geometry", "overlaps_host", "touches", "within_gap"], "too_far")
        # the limit is the distance actually allowed: the gap setting, or the snapping tolerance when larger
        allowed = max(gap, snap)
        value = np.round(distance, AREA_DECIMALS)
        return app_frame(
            rule, status, reason, value=value, limit=allowed, unit="m", headroom=np.round(allowed - value, AREA_DECIMALS),
            args={
                "missing": only(reason == "no_host_id", ["host_parcel_id"]),
                "snap_m": only(np.isin(reason, ("touches", "overlaps_host", "too_far")), snap),
                "gap_m": only(np.isin(reason, ("within_gap", "too_far")), gap),
                "overlap_m2": only(reason == "overlaps_host", np.round(overlap, AREA_DECIMALS)),
            },
        )

    def no_split(rule: Rule) -> pd.DataFrame:
        return app_frame(rule, "pass", "carried")

    def area_cap(rule: Rule) -> pd.DataFrame:
        limit, ratio_limit, cap, binding = fringe_limits(h_area, rule)
        ok_ratio = compare(cumulative, rule["area_ratio_max"].op or "<=", ratio_limit, decimals=AREA_DECIMALS)
        ok_cap = compare(cumulative, rule["area_cap_mu"].op or "<=", cap, decimals=AREA_DECIMALS)
        conditions = [*host_conditions, ~h_usable, ok_ratio & ok_cap]
        status = np.select(conditions, [*host_statuses, "insufficient_data", "pass"], "fail")
        reason = np.select(conditions, [*HOST_REASONS, "no_fringe_geometry", "within_cap"], "over_cap")
        decided = np.isin(reason, ("within_cap", "over_cap"))
        ids = [list(fringe_id[m]) for m in members] if h else []
        areas = [list(np.round(area[m], AREA_DECIMALS)) for m in members] if h else []
        unusable = [list(fringe_id[[i for i in m if not usable[i]]]) for m in members] if h else []
        return host_frame(
            rule, status, reason, value=cumulative, limit=np.where(h_known, limit, np.nan), unit="m2",
            headroom=np.round(limit - cumulative, AREA_DECIMALS),
            args={
                "missing": only(reason == "no_host_id", ["host_parcel_id"]),
                "n_fringe": only(decided, n_fringe),
                "fringe_ids": only(decided, _objects(ids)),
                "fringe_areas_m2": only(decided, _objects(areas)),
                "unusable_ids": only(reason == "no_fringe_geometry", _objects(unusable)),
                "cap_binding": only(decided, binding),
                "host_area_m2": only(decided, np.round(h_area, AREA_DECIMALS)),
                "area_ratio_max": rule["area_ratio_max"].number,
                "ratio_limit_m2": only(decided, ratio_limit),
                "cap_mu": rule["area_cap_mu"].number,
                "cap_m2": cap[0] if h else np.nan,
            },
        )

    def intensity(rule: Rule) -> pd.DataFrame:
        rise_spec, share_spec = rule["far_rise_min"], rule["renovation_share_min"]
        before, after, renovation = (_numbers(hosts, c) for c in ("gfa_before_m2", "gfa_after_m2", "renovation_gfa_m2"))
        # on the host's original site: FAR after / FAR before − 1 = gfa_after / gfa_before − 1
        rise = np.round(ratio(after, before) - 1, RATIO_DECIMALS)
        share = np.round(ratio(renovation, after), RATIO_DECIMALS)
        rise_ok = compare(rise, rise_spec.op or ">=", rise_spec.number, decimals=RATIO_DECIMALS)
        share_ok = compare(share, share_spec.op or ">=", share_spec.number, decimals=RATIO_DECIMALS)
        rise_known, share_known = ~np.isnan(rise), ~np.isnan(share)
        if str(rule.value("combine", "any")) != "all":
            conditions = [*host_conditions, rise_ok, share_ok, rise_known & share_known]
            outcomes = ["pass", "pass", "fail"]
            reasons = ["rise_met", "share_met", "neither_met"]
        else:
            conditions = [*host_conditions, rise_ok & share_ok, rise_known & ~rise_ok, share_known & ~share_ok]
            outcomes = ["pass", "fail", "fail"]
            reasons = ["both_met", "rise_below", "share_below"]
        status = np.select(conditions, [*host_statuses, *outcomes], "insufficient_data")
        reason = np.select(conditions, [*HOST_REASONS, *reasons], "missing_figures")
        use_share = ((status == "pass") & ~rise_ok) | (~rise_known & share_known)
        value = np.where(use_share, share, rise)
        limit = np.where(use_share, share_spec.number, rise_spec.number)
        # what an undecided condition lacks: its figures that are missing (or 0 as a denominator)
        absent = {"gfa_before_m2": ~(before > 0), "gfa_after_m2": ~(after > 0), "renovation_gfa_m2": np.isnan(renovation)}
        needs = {"gfa_before_m2": ~rise_known, "gfa_after_m2": ~rise_known | ~share_known, "renovation_gfa_m2": ~share_known}
        lacking = np.column_stack([absent[c] & needs[c] for c in absent]) if h else np.zeros((0, 3), bool)
        names = np.array(list(absent), dtype=object)
        missing = _objects([["host_parcel_id"] if not named else list(names[row]) for row, named in zip(lacking, h_named, strict=True)])
        shown = ~np.isin(reason, HOST_REASONS)
        return host_frame(
            rule, status, reason, value=value, limit=limit, unit="ratio",
            # margin of the deciding condition, as a ratio
            headroom=np.round(value - limit, RATIO_DECIMALS),
            args={
                "rise": only(shown, rise),
                "share": only(shown, share),
                "far_rise_min": rise_spec.number,
                "renovation_share_min": share_spec.number,
                "gfa_before_m2": only(np.isin(reason, ("rise_met", "neither_met", "rise_below")), before),
                "gfa_after_m2": only(np.isin(reason, ("rise_met", "share_met", "neither_met")), after),
                "renovation_gfa_m2": only(reason == "share_met", renovation),
                # floor area (m²) still missing for the FAR-rise condition
                "shortfall_m2": only(np.isin(reason, ("neither_met", "rise_below")), np.round((1 + rise_spec.number) * before - after, AREA_DECIMALS)),
                "missing": only(np.isin(reason, ("missing_figures", "no_host_id")), missing),
            },
        )

    if n:
        builders = {"fringe.adjacent": adjacent, "fringe.no_split": no_split, "fringe.area_cap": area_cap, "fringe.intensity": intensity}
        parts = [rows_or_absent(pack, r, subject="fringe", subject_id=fringe_id, parcel_id=host, build=builders[r]) for r in FRINGE_RULES]
        parts += [rows_or_absent(pack, r, subject="host", subject_id=host_ids, parcel_id=host_ids, build=builders[r]) for r in HOST_RULES]
        verdicts = concat_tables(parts)
    else:
        verdicts = not_in_policy("fringe.adjacent", pack.id, subject="fringe", subject_id=[], parcel_id=[])
    figures = {
        "fringe_id": fringe_id, "host_parcel_id": host, "source_fid": fid, "area": area, "overlap": overlap,
        "distance": distance, "h_area": h_area, "cumulative": cumulative, "app_host": app_host,
    }
    return verdicts, _fringe_layer(pack, verdicts, crs, figures, np.where(usable, geoms, None) if n else np.array([], dtype=object)), found


def _fringe_layer(pack: Pack, verdicts: pd.DataFrame, crs, v: dict, geometry: np.ndarray) -> gpd.GeoDataFrame:
    """The ``fringe`` layer: one row per application, with its host's cumulative figures."""
    app_host = v["app_host"]
    n, h = len(app_host), len(v["h_area"])
    cap_rule = pack.rule("fringe.area_cap")
    if cap_rule is not None:
        limit, _, _, binding = fringe_limits(v["h_area"], cap_rule)
    else:
        limit, binding = np.full(h, np.nan), np.full(h, None, dtype=object)

    def status_of(rule_id: str, subject: str, count: int) -> np.ndarray:
        rows = verdicts[(verdicts["rule"] == rule_id) & (verdicts["subject"] == subject)]
        if len(rows) != count:
            return np.full(count, "not_applicable", dtype=object)
        return rows["status"].to_numpy(dtype=object)

    adjacent_status = status_of("fringe.adjacent", "fringe", n)
    cap_status = status_of("fringe.area_cap", "host", h)[app_host] if n else np.array([], dtype=object)
    intensity_status = status_of("fringe.intensity", "host", h)[app_host] if n else np.array([], dtype=object)
    required = [(rr is not None and rr.kind != "info") for rr in (pack.rule(r) for r in ("fringe.adjacent", "fringe.area_cap", "fringe.intensity"))]
    severity = np.column_stack([pd.Series(s, dtype=object).map(STATUS_ORDER).to_numpy(int) for s, r in zip((adjacent_status, cap_status, intensity_status), required, strict=True) if r] or [np.zeros(n, int)])
    names = {code: status for status, code in STATUS_ORDER.items()}
    overall = pd.Series(severity.max(axis=1) if n else np.zeros(0, int)).map(names).to_numpy(dtype=object)
    area, cumulative = v["area"], v["cumulative"]
    layer = pd.DataFrame(
        {
            "fringe_id": v["fringe_id"],
            "host_parcel_id": v["host_parcel_id"],
            "source_fid": v["source_fid"],
            "area_m2": np.round(area, AREA_DECIMALS),
            "area_mu": np.round(area / M2_PER_MU, MU_DECIMALS),
            "overlap_host_m2": np.round(v["overlap"], AREA_DECIMALS),
            "distance_m": np.round(v["distance"], AREA_DECIMALS),
            "host_area_m2": np.round(v["h_area"][app_host], AREA_DECIMALS) if n else np.zeros(0),
            "host_fringe_total_m2": cumulative[app_host] if n else np.zeros(0),
            "cap_m2": limit[app_host] if n else np.zeros(0),
            "cap_binding": binding[app_host] if n else np.array([], dtype=object),
            "remaining_m2": np.round(limit[app_host] - cumulative[app_host], AREA_DECIMALS) if n else np.zeros(0),
            "status_adjacent": adjacent_status,
            "status_area_cap": cap_status,
            "status_intensity": intensity_status,
            "no_split": pack.rule("fringe.no_split") is not None,
            "status": overall,
        }
    )
    return gpd.GeoDataFrame(layer, geometry=gpd.GeoSeries(list(geometry), crs=crs), crs=crs)


# --------------------------------------------------------------------------- discovery


def _empty_candidates(crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in CANDIDATE_COLUMNS}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _id_text(values: pd.Series, fallback: pd.Series) -> pd.Series:
    """Ids as text (``12.0`` → ``"12"``, blanks stripped), a blank id taking its fallback.

    Vectorized for number and text columns; a column mixing both goes through
    :func:`~landtool.rules.proposals.text_ids` (the same conversion, per value).
    """
    s = pd.Series(values).reset_index(drop=True)
    fallback = pd.Series(fallback, dtype=object).reset_index(drop=True)
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("floating", "integer", "mixed-integer-float"):
        num = pd.to_numeric(s, errors="coerce")
        whole = num.notna() & (num == num.round())
        text = num.astype(object).astype(str)
        text[whole] = num[whole].astype("int64").astype(str)
        return text.where(num.notna(), fallback)
    if kind in ("string", "empty"):
        text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
        return text.where(text.ne(""), fallback)
    return pd.Series(text_ids(s, len(s), fallback.to_numpy(dtype=object)), dtype=object)


def _vacant_features(vacant: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame, taken: set) -> tuple[np.ndarray, np.ndarray]:
    """(geometries, ids) of the usable features of a ``vacant`` layer whose id is new."""
    v = same_crs(vacant, parcels, "vacant").reset_index(drop=True)
    geoms, usable, _ = clean_polygons(v.geometry.to_numpy())
    id_col = next((c for c in ("parcel_id", "vacant_id", "fringe_id") if c in v), None)
    fallback = "vacant-" + pd.Series(source_fid(v), dtype=object).astype(str)
    ids = _id_text(v[id_col], fallback) if id_col else fallback
    keep = usable & ~ids.isin(taken).to_numpy() & ~ids.duplicated().to_numpy()
    return geoms[keep], ids.to_numpy(dtype=object)[keep]


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
    lying within the pack's ``fringe.adjacent`` distance of the host (one STRtree query).
    Listed: each candidate whose area alone fits the host's cap (the smaller of
    ``area_ratio_max`` × host area and ``area_cap_mu``, m²), and each combination of up to
    ``max_combination`` candidates whose total fits, built level by level with
    vectorized joins (a combination extends only combinations that fit). Earlier fringe
    acquisitions of a host are not known here: ``remaining_m2`` is the room left by
    this combination alone.

    Returns
    -------
    GeoDataFrame
        Columns :data:`CANDIDATE_COLUMNS` (areas in m², ``area_mu`` in mu); the geometry
        is the candidates' union. Empty when the pack has no ``fringe.area_cap``.
    """
    crs = parcels.crs
    rule = pack.rule("fringe.area_cap")
    if rule is None or len(parcels) == 0:
        return _empty_candidates(crs)
    gap, snap, _ = _adjacency_settings(pack)
    reach = max(gap, snap)
    n = len(parcels)
    land_use = parcels["land_use"] if "land_use" in parcels else pd.Series([None] * n, index=parcels.index)
    is_vacant = land_use.fillna("").astype(str).str.contains(VACANT_PATTERN, case=False, regex=True).to_numpy()
    industrial = parcels["is_industrial"].to_numpy(bool) if "is_industrial" in parcels else np.ones(n, bool)
    owner = parcels["owner"] if "owner" in parcels else pd.Series([None] * n, index=parcels.index)
    has_owner = (owner.notna() & owner.astype(str).str.strip().ne("")).to_numpy()
    hosts = np.flatnonzero(industrial & has_owner & ~is_vacant)
    parcel_ids = parcels["parcel_id"].astype(str).to_numpy(dtype=object)

    cand_geom = parcels.geometry.to_numpy()[is_vacant]
    cand_id = parcel_ids[is_vacant]
    if vacant is not None and len(vacant):
        vgeom, vid = _vacant_features(vacant, parcels, set(cand_id))
        cand_geom, cand_id = np.concatenate([cand_geom, vgeom]), np.concatenate([cand_id, vid])
    if not len(cand_geom) or not len(hosts):
        return _empty_candidates(crs)
    # candidates in ascending order of area: a combination lists its members smallest first
    cand_area = shapely.area(cand_geom)
    order = np.argsort(cand_area, kind="stable")
    cand_geom, cand_id, cand_area = cand_geom[order], cand_id[order], cand_area[order]

    host_geom = parcels.geometry.to_numpy()[hosts]
    tree = shapely.STRtree(cand_geom)
    hq, cq = tree.query(host_geom, predicate="dwithin", distance=reach) if reach > 0 else tree.query(host_geom, predicate="intersects")
    host_ids = parcel_ids[hosts]
    keep = cand_id[cq] != host_ids[hq]
    hq, cq = hq[keep], cq[keep]
    host_area = parcels["area_exact_m2"].to_numpy(float)[hosts] if "area_exact_m2" in parcels else shapely.area(host_geom)
    limit, _, _, binding = fringe_limits(host_area, rule)
    op = rule["area_ratio_max"].op or "<="

    singles = pd.DataFrame({"h": hq, "c0": cq, "total": cand_area[cq]})
    singles = singles[compare(singles["total"].to_numpy(), op, limit[singles["h"].to_numpy()], decimals=AREA_DECIMALS)]
    pairs = singles.rename(columns={"c0": "c", "total": "a"})
    levels = [singles]
    for size in range(2, max(1, int(max_combination)) + 1):
        last = f"c{size - 2}"
        grown = levels[-1].merge(pairs, on="h")
        grown = grown[grown["c"].to_numpy() > grown[last].to_numpy()]
        grown = grown.assign(total=grown["total"] + grown["a"]).drop(columns="a").rename(columns={"c": f"c{size - 1}"})
        grown = grown[compare(grown["total"].to_numpy(), op, limit[grown["h"].to_numpy()], decimals=AREA_DECIMALS)]
        if grown.empty:
            break
        levels.append(grown.reset_index(drop=True))

    parts = []
    for size, combos in enumerate(levels, start=1):
        if combos.empty:
            continue
        hi = combos["h"].to_numpy()
        cols = [combos[f"c{j}"].to_numpy() for j in range(size)]
        ids = pd.Series(cand_id[cols[0]], dtype=object)
        geom = cand_geom[cols[0]]
        for c in cols[1:]:
            ids = ids + "+" + pd.Series(cand_id[c], dtype=object)
            geom = shapely.union(geom, cand_geom[c])
        total = np.round(combos["total"].to_numpy(float), AREA_DECIMALS)
        parts.append(
            pd.DataFrame(
                {
                    "host_parcel_id": host_ids[hi],
                    "owner": owner.to_numpy(dtype=object)[hosts[hi]].astype(str),
                    "candidate_ids": ids.to_numpy(dtype=object),
                    "n_candidates": size,
                    "area_m2": total,
                    "area_mu": np.round(combos["total"].to_numpy(float) / M2_PER_MU, MU_DECIMALS),
                    "host_area_m2": np.round(host_area[hi], AREA_DECIMALS),
                    "cap_m2": limit[hi],
                    "cap_binding": binding[hi],
                    "remaining_m2": np.round(limit[hi] - total, AREA_DECIMALS),
                    "geometry": geom,
                }
            )
        )
    if not parts:
        return _empty_candidates(crs)
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)
    return out.sort_values(["host_parcel_id", "n_candidates", "area_m2"], ascending=[True, True, False], kind="stable").reset_index(drop=True)
