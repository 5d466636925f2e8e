"""Split transfer — 分割转让 (POLICY.md §2; taizhou 二（七）, tiantai 四（八）, yuhuan 四.19).

The three packs carry the same text::

    拟分割地块应已竣工投产且以幢为最小分割单位，分割数量（工业地产除外）原则上不超过3宗且
    分割后每宗土地面积不少于10亩，配套建设的行政办公及生活服务用地不得与整宗地分割转让。
    …工业用地不得二次分割转让，合并转让后产权不得分割，不得向…上一年度亩均评价C/D类企业转让。
    原工业用地按“标准地”出让的，受让方应按原“标准地”各项指标要求投资建设。

A **split plan** is a polygon layer of pieces, each naming its parent parcel
(``parcel_id``) and its ``piece_id``; verdicts are given per parent (subject
``split_plan``) and, for the minimum area, per piece (``split_piece``).

Geometry is measured in the parcels' projected CRS, on the parents of the plan, their
pieces and the buildings and facility land around them only (one spatial-index query
per layer): a plan of k pieces costs time in proportion to k, not to the parcels.
Every tolerance is a pack parameter (``partition_tolerance_m2``,
``building_cut_tolerance_m2``, ``facility_cut_tolerance_m2``); slivers whose area rounds
to 0.00 m² (the registration precision) are not findings at all. Findings go to the
``issues`` layer as codes (sentences: ``issues.<problem>`` in transfer.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landtool.issues import ISSUE_COLUMNS, empty_issues, issue_frame
from landtool.policy import Pack, Rule, compare
from landtool.result import worst_status
from landtool.rules.common import any_flag
from landtool.rules.proposals import (
    NOISE_M2,
    clean_polygons,
    grades,
    near,
    polygon_parts,
    positions,
    rows_or_absent,
    same_crs,
    source_fid,
    status_by,
    take_geometry,
    take_rows,
    text_ids,
    transferee_verdicts,
)
from landtool.units import AREA_DECIMALS, M2_PER_MU, mu_to_m2
from landtool.verdicts import concat_tables, declare, not_in_policy, only, verdict_frame

__all__ = ["SPLIT_PIECE_RULES", "SPLIT_PLAN_RULES", "check_split"]

#: Rules answered per parent parcel of a split plan, in catalogue order.
SPLIT_PLAN_RULES = (
    "split.in_production",
    "split.partition",
    "split.max_pieces",
    "split.building_integrity",
    "split.facility_land",
    "split.no_resplit",
    "transfer.transferee",
    "transfer.standard_land",
)
#: Rules answered per piece of a split plan.
SPLIT_PIECE_RULES = ("split.min_piece_area",)

# Reason codes (sentences: landtool/messages/*/transfer.yaml).
declare("split.in_production", ("unknown_parcel", "no_in_production", "in_production", "not_in_production"))
declare("split.partition", ("unknown_parcel", "no_geometry", "exact", "within_tolerance", "not_exact"))
declare("split.max_pieces", ("unknown_parcel", "exemption_unknown", "within_limit", "exempt", "over_limit"))
declare("split.min_piece_area", ("no_geometry", "within_limit", "below_limit"))
declare("split.building_integrity", ("unknown_parcel", "no_geometry", "no_buildings_layer", "no_buildings", "whole", "cut"))
declare(
    "split.facility_land",
    ("unknown_parcel", "no_geometry", "no_facility_layer", "no_facility_land", "whole", "own_piece", "divided", "divided_own_piece"),
)
declare("split.no_resplit", ("unknown_parcel", "origin_unknown", "original", "formed_by", "fringe_origin"))
declare("transfer.standard_land", ("unknown_parcel", "no_standard_land_flag", "standard_land", "not_standard_land"))


def check_split(
    pieces: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    pack: Pack,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    facility_land: gpd.GeoDataFrame | None = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Check a split plan: verdicts per parent and per piece, the pieces layer, the issues.

    Parameters
    ----------
    pieces
        The split plan: polygons with ``parcel_id`` (the parent), ``piece_id`` and
        optionally ``transferee_grade``, in the parcels' CRS.
    parcels
        The prepared parcel table (:func:`landtool.prepare.prepare`).
    buildings, facility_land
        Building footprints (``building_id``) and admin-office / living-service land;
        without them ``split.building_integrity`` / ``split.facility_land`` answer
        ``insufficient_data``.

    Returns
    -------
    verdicts, split_pieces, issues
        ``issues`` (columns of the ``issues`` layer): the gaps, overlaps and parts
        outside the parent (``split_gap``, ``split_overlap``, ``split_outside``), the cut
        buildings and facility land (``building_cut``, ``facility_cut``) — tolerated
        findings included, with their outcome in ``args`` — pieces naming an unknown
        parcel (``split_unknown_parcel``), repeated piece ids (``split_duplicate_id``),
        and repaired or unusable piece geometry (``split_repaired_geometry``,
        ``split_empty_geometry``).
    """
    crs = parcels.crs
    pieces = same_crs(pieces, parcels, "split_plan").reset_index(drop=True)
    plans = _plans(pieces, parcels, pack.id, crs)
    m, n = len(plans.plan_ids), len(pieces)

    builders = {
        "split.in_production": in_production,
        "split.partition": partition,
        "split.max_pieces": max_pieces,
        "split.building_integrity": lambda p, rule: building_integrity(p, rule, buildings),
        "split.facility_land": lambda p, rule: facility_integrity(p, rule, facility_land),
        "split.no_resplit": no_resplit,
        "transfer.transferee": lambda p, rule: transferee_verdicts(
            rule, pack.id, subject="split_plan", subject_id=p.plan_ids, parcel_id=p.plan_ids, graded=_piece_grades(pieces, p)
        ),
        "transfer.standard_land": standard_land,
    }
    parts = [
        rows_or_absent(
            pack, rule_id, subject="split_plan", subject_id=plans.plan_ids, parcel_id=plans.plan_ids,
            build=lambda rule, f=builders[rule_id]: f(plans, rule),
        )
        for rule_id in SPLIT_PLAN_RULES
    ] if m else []
    if n:
        parts.append(rows_or_absent(
            pack, "split.min_piece_area", subject="split_piece", subject_id=plans.piece_id, parcel_id=plans.parent,
            build=lambda rule: min_piece_area(plans, rule),
        ))
    verdicts = concat_tables(parts) if parts else not_in_policy("split.partition", pack.id, subject="split_plan", subject_id=[], parcel_id=[])
    return verdicts, _pieces_layer(pieces, plans, verdicts, pack), _concat_issues(plans.issues, crs)


@dataclass
class SplitPlans:
    """The arrays the split rules share: one entry per plan (parent) or per piece.

    Only the plan's parents are held (``parent_rows``, ``parent_geom``), taken from the
    parcel table by position.
    """

    pack_id: str
    crs: object
    plan_ids: np.ndarray  # parent parcel ids, in order of appearance
    known: np.ndarray  # the parent is among the parcels
    n_pieces: np.ndarray
    parent_rows: pd.DataFrame  # the parents' attributes, one row per plan
    parent_geom: np.ndarray
    piece_plan: np.ndarray  # per piece: its plan's index
    piece_id: np.ndarray
    parent: np.ndarray  # per piece: the parent id
    fid: np.ndarray
    geoms: np.ndarray  # cleaned piece geometries
    usable: np.ndarray  # usable piece geometry
    area: np.ndarray  # piece area, m² (NaN where unusable)
    issues: list = field(default_factory=list)

    @property
    def m(self) -> int:
        return len(self.plan_ids)

    def usable_pieces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Usable pieces of known parents: (piece positions, plan index, geometries)."""
        idx = np.flatnonzero(self.usable & self.known[self.piece_plan])
        return idx, self.piece_plan[idx], self.geoms[idx]

    def verdicts(self, rule: Rule, status, reason, **kwargs) -> pd.DataFrame:
        """Verdict rows of ``rule``, one per plan."""
        return verdict_frame(rule, self.pack_id, subject="split_plan", subject_id=self.plan_ids, parcel_id=self.plan_ids, status=status, reason=reason, **kwargs)


def _plans(pieces: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame, pack_id: str, crs) -> SplitPlans:
    n = len(pieces)
    fid = source_fid(pieces)
    parent = text_ids(pieces["parcel_id"] if "parcel_id" in pieces else None, n, ["—"] * n)
    piece_id = text_ids(pieces["piece_id"] if "piece_id" in pieces else None, n, [f"#{f}" for f in fid])
    issues: list[gpd.GeoDataFrame] = []

    # piece ids must be unique within a parent for the verdicts to be addressable
    dup = pd.Series(list(zip(parent, piece_id, strict=True)), dtype=object).duplicated(keep="first").to_numpy(bool)
    if dup.any():
        renamed = np.array([f"{p}#{f}" for p, f in zip(piece_id[dup], fid[dup], strict=True)], dtype=object)
        issues.append(issue_frame(crs, "split_plan", "split_duplicate_id", feature_id=piece_id[dup], source_fid=fid[dup],
                                  args={"parcel_id": parent[dup], "renamed": renamed}))
        piece_id = piece_id.copy()
        piece_id[dup] = renamed

    raw = pieces.geometry.to_numpy()
    geoms, usable, repaired = clean_polygons(raw)
    if repaired.any():
        issues.append(issue_frame(crs, "split_plan", "split_repaired_geometry", feature_id=piece_id[repaired], source_fid=fid[repaired], geometry=raw[repaired]))
    if (~usable).any():
        issues.append(issue_frame(crs, "split_plan", "split_empty_geometry", feature_id=piece_id[~usable], source_fid=fid[~usable]))

    plan_ids = pd.unique(pd.Series(parent, dtype=object)).astype(object)
    piece_plan = pd.Series(np.arange(len(plan_ids)), index=plan_ids).loc[parent].to_numpy() if n else np.zeros(0, int)
    plan_pos = positions(parcels, plan_ids)
    known = plan_pos >= 0
    unknown = ~known[piece_plan] if n else np.zeros(0, bool)
    if unknown.any():
        issues.append(issue_frame(crs, "split_plan", "split_unknown_parcel", feature_id=piece_id[unknown], source_fid=fid[unknown], args={"parcel_id": parent[unknown]}))
    area = np.full(n, np.nan)
    area[usable] = shapely.area(geoms[usable])
    return SplitPlans(
        pack_id=pack_id, crs=crs, plan_ids=plan_ids, known=known, n_pieces=np.bincount(piece_plan, minlength=len(plan_ids)),
        parent_rows=take_rows(parcels, plan_pos), parent_geom=take_geometry(parcels, plan_pos),
        piece_plan=piece_plan, piece_id=piece_id, parent=parent, fid=fid, geoms=geoms, usable=usable, area=area, issues=issues,
    )


def _piece_grades(pieces: pd.DataFrame, plans: SplitPlans) -> list[list[tuple[str, str | None]]]:
    """Per plan, the (piece id, transferee grade) of each piece."""
    out: list[list[tuple[str, str | None]]] = [[] for _ in range(plans.m)]
    for plan, pid, grade in zip(plans.piece_plan, plans.piece_id, grades(pieces), strict=True):
        out[plan].append((str(pid), grade))
    return out


def _concat_issues(parts: list[gpd.GeoDataFrame], crs) -> gpd.GeoDataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_issues(crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)[ISSUE_COLUMNS]


# --------------------------------------------------------------------------- parent flags


def in_production(plans: SplitPlans, rule: Rule) -> pd.DataFrame:
    """``split.in_production``: the parent is completed and in production (已竣工投产)."""
    true, known = any_flag(plans.parent_rows, ["in_production"])
    conditions = [~plans.known, ~known, true]
    status = np.select(conditions, ["insufficient_data", "insufficient_data", "pass"], "fail")
    reason = np.select(conditions, ["unknown_parcel", "no_in_production", "in_production"], "not_in_production")
    return plans.verdicts(rule, status, reason, args={"missing": only(reason == "no_in_production", ["in_production"])})


def standard_land(plans: SplitPlans, rule: Rule) -> pd.DataFrame:
    """``transfer.standard_land`` (info): a parent supplied as 标准地 passes its indicators to the transferees."""
    true, known = any_flag(plans.parent_rows, ["standard_land"])
    conditions = [~plans.known, true, ~known]
    status = np.select(conditions, ["insufficient_data", "pass", "insufficient_data"], "not_applicable")
    reason = np.select(conditions, ["unknown_parcel", "standard_land", "no_standard_land_flag"], "not_standard_land")
    return plans.verdicts(rule, status, reason, args={"missing": only(reason == "no_standard_land_flag", ["standard_land"])})


def no_resplit(plans: SplitPlans, rule: Rule) -> pd.DataFrame:
    """``split.no_resplit``: a parcel formed by a split or a merge may not be split again.

    Fringe land (``discretionary_origins``: "原则上不允许分割转让") fails as a discretionary limit.
    """
    blocked = [str(o) for o in rule.value("blocked_origins", ["from_split", "from_merge", "from_fringe"])]
    soft = {str(o) for o in rule.value("discretionary_origins", [])}
    flags = {c: any_flag(plans.parent_rows, [c]) for c in blocked}
    hard = np.zeros(plans.m, bool)
    soft_true = np.zeros(plans.m, bool)
    all_known = np.ones(plans.m, bool)
    for c, (true, known) in flags.items():
        if c in soft:
            soft_true |= true
        else:
            hard |= true
        all_known &= known
    conditions = [~plans.known, hard, soft_true, ~all_known]
    status = np.select(conditions, ["insufficient_data", "fail", "fail", "insufficient_data"], "pass")
    reason = np.select(conditions, ["unknown_parcel", "formed_by", "fringe_origin", "origin_unknown"], "original")
    origins = [[c for c in blocked if c not in soft and flags[c][0][i]] for i in range(plans.m)]
    missing = [[c for c in blocked if not flags[c][1][i]] for i in range(plans.m)]
    return plans.verdicts(
        rule, status, reason,
        discretionary=reason == "fringe_origin",  # 原则上 belongs to fringe land only
        args={"split_origin": only(reason == "formed_by", _cells(origins)), "missing": only(reason == "origin_unknown", _cells(missing))},
    )


def _cells(lists: list[list]) -> np.ndarray:
    """A list per row as an object array (equal-length lists must not become a 2-d array)."""
    out = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        out[i] = item
    return out


# --------------------------------------------------------------------------- counts and areas


def max_pieces(plans: SplitPlans, rule: Rule) -> pd.DataFrame:
    """``split.max_pieces`` (原则上): at most ``max_pieces`` pieces; the ``exempt`` flags (工业地产) lift it."""
    spec = rule["max_pieces"]
    exempt_cols = [str(c) for c in rule.value("exempt", [])]
    if exempt_cols:
        exempt, exempt_known = any_flag(plans.parent_rows, exempt_cols)
    else:
        exempt, exempt_known = np.zeros(plans.m, bool), np.ones(plans.m, bool)
    count = plans.n_pieces.astype(float)
    ok = compare(count, spec.op or "<=", spec.number, decimals=0)
    conditions = [ok, plans.known & exempt, ~plans.known, ~exempt_known]
    status = np.select(conditions, ["pass", "pass", "insufficient_data", "insufficient_data"], "fail")
    reason = np.select(conditions, ["within_limit", "exempt", "unknown_parcel", "exemption_unknown"], "over_limit")
    return plans.verdicts(
        rule, status, reason, value=count, limit=spec.number, unit="count",
        headroom=np.where(reason == "exempt", np.nan, spec.number - count),
        discretionary=reason == "over_limit",  # the pack's own number, 原则上
        args={"exempt_flags": only(reason == "exempt", exempt_cols), "missing": only(reason == "exemption_unknown", exempt_cols)},
    )


def min_piece_area(plans: SplitPlans, rule: Rule) -> pd.DataFrame:
    """``split.min_piece_area``: every piece ≥ ``min_piece_area_mu`` (10 mu, 不少于), compared in m² at 0.01 m²."""
    spec = rule["min_piece_area_mu"]
    limit = np.round(mu_to_m2(spec.number), AREA_DECIMALS)
    value = np.round(plans.area, AREA_DECIMALS)
    ok = compare(plans.area, spec.op or ">=", limit, decimals=AREA_DECIMALS)
    usable = plans.usable
    status = np.where(~usable, "insufficient_data", np.where(ok, "pass", "fail"))
    reason = np.where(~usable, "no_geometry", np.where(ok, "within_limit", "below_limit"))
    return verdict_frame(
        rule, plans.pack_id, subject="split_piece", subject_id=plans.piece_id, parcel_id=plans.parent, status=status, reason=reason,
        value=value, limit=limit, unit="m2", headroom=np.round(value - limit, AREA_DECIMALS),
        # mu unrounded to 6 places: a sentence must never show 10 mu for a piece below 10 mu
        args={"area_mu": only(usable, np.round(plans.area / M2_PER_MU, 6)), "limit_mu": spec.number},
    )


# --------------------------------------------------------------------------- geometry


def partition(plans: SplitPlans, rule: Rule) -> pd.DataFrame:
    """``split.partition``: the pieces cover the parent exactly (no gap, overlap or part outside it).

    Each gap, overlap or outside sliver is an issue; one larger than
    ``partition_tolerance_m2`` fails the plan (the value is the offending area, m²).
    """
    spec = rule["partition_tolerance_m2"]
    tol = spec.number
    idx, plan, geoms = plans.usable_pieces()
    has = np.bincount(plan, minlength=plans.m) > 0
    plans_with = np.flatnonzero(has)
    found_geom, found_plan, found_area, found_kind, found_id, found_fid = [], [], [], [], [], []
    if len(plans_with):
        unions = pd.Series(list(geoms), dtype=object).groupby(plan).agg(lambda g: shapely.union_all(g.to_numpy()))
        union = np.asarray(unions.reindex(plans_with).to_numpy(), dtype=object)
        pgeom = np.asarray(plans.parent_geom[plans_with], dtype=object)
        for kind, result in (("gap", shapely.difference(pgeom, union)), ("outside", shapely.difference(union, pgeom))):
            g, owner, a = polygon_parts(result, plans_with)
            found_geom.append(g), found_plan.append(owner), found_area.append(a)
            found_kind.append(np.full(len(g), kind, dtype=object))
            found_id.append(plans.plan_ids[owner]), found_fid.append(np.full(len(g), None, dtype=object))
        # overlaps: pairs of pieces of one parent whose interiors intersect (STRtree, no all-pairs loop)
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        keep = (left < right) & (plan[left] == plan[right])
        left, right = left[keep], right[keep]
        g, pair, a = polygon_parts(shapely.intersection(geoms[left], geoms[right]), np.arange(len(left)))
        found_geom.append(g), found_plan.append(plan[left[pair]]), found_area.append(a)
        found_kind.append(np.full(len(g), "overlap", dtype=object))
        found_id.append(np.array([f"{plans.piece_id[idx[left[p]]]}|{plans.piece_id[idx[right[p]]]}" for p in pair], dtype=object))
        found_fid.append(plans.fid[idx[left[pair]]])
    f_geom = np.concatenate(found_geom) if found_geom else np.array([], dtype=object)
    f_plan = np.concatenate(found_plan).astype(int) if found_geom else np.array([], dtype=int)
    f_area = np.concatenate(found_area) if found_geom else np.array([])
    f_kind = np.concatenate(found_kind) if found_geom else np.array([], dtype=object)
    tolerated = compare(f_area, spec.op or "<=", tol, decimals=AREA_DECIMALS)
    if len(f_geom):
        plans.issues.append(issue_frame(
            plans.crs, "split_plan", np.array([f"split_{k}" for k in f_kind], dtype=object),
            feature_id=np.concatenate(found_id), source_fid=np.concatenate(found_fid),
            args={"parcel_id": plans.plan_ids[f_plan], "tolerance": tol, "partition_outcome": np.where(tolerated, "noise", "fails")},
            value_m2=np.round(f_area, AREA_DECIMALS), geometry=f_geom,
        ))

    def per_plan(mask):
        return np.bincount(f_plan[mask], weights=f_area[mask], minlength=plans.m)

    bad = ~tolerated
    offending_n = np.bincount(f_plan[bad], minlength=plans.m)
    tolerated_n = np.bincount(f_plan[tolerated], minlength=plans.m)
    conditions = [~plans.known, ~has, offending_n > 0, tolerated_n > 0]
    status = np.select(conditions, ["insufficient_data", "insufficient_data", "fail", "pass"], "pass")
    reason = np.select(conditions, ["unknown_parcel", "no_geometry", "not_exact", "within_tolerance"], "exact")
    failing, tolerating = reason == "not_exact", reason == "within_tolerance"
    return plans.verdicts(
        rule, status, reason, value=np.where(has, np.round(per_plan(bad), AREA_DECIMALS), np.nan), limit=tol, unit="m2",
        args={
            **{f"{k}_m2": only(failing, np.round(per_plan(bad & (f_kind == k)), AREA_DECIMALS)) for k in ("gap", "overlap", "outside")},
            "offending_n": only(failing, offending_n),
            "tolerated_n": only(tolerating, tolerated_n),
            "tolerated_m2": only(tolerating, np.round(per_plan(tolerated), AREA_DECIMALS)),
        },
    )


def _nearby(layer: gpd.GeoDataFrame | None, plans: SplitPlans, plans_with: np.ndarray, label: str):
    """The features of ``layer`` around the parents ``plans_with``: (rows, cleaned geometries, source fids)."""
    if layer is None or not len(plans_with):
        return None
    layer = same_crs(layer, plans.crs, label)
    cand = near(layer, plans.parent_geom[plans_with])
    rows = layer.iloc[cand]
    geoms, usable, _ = clean_polygons(rows.geometry.to_numpy())
    fid = rows["source_fid"].to_numpy(dtype=object) if "source_fid" in rows else (cand + 1).astype(object)
    keep = np.flatnonzero(usable)
    return rows.iloc[keep], geoms[keep], fid[keep]


def building_integrity(plans: SplitPlans, rule: Rule, buildings: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """``split.building_integrity``: the building (幢) is the smallest unit.

    A building counts as cut when more than ``building_cut_tolerance_m2`` of its
    footprint on the parent lies outside the piece holding most of it; the value is the
    largest such area on the parent (m²).
    """
    spec = rule["building_cut_tolerance_m2"]
    tol = spec.number
    _, plan, geoms = plans.usable_pieces()
    has = np.bincount(plan, minlength=plans.m) > 0
    max_cut = np.zeros(plans.m)
    n_buildings = np.zeros(plans.m, int)
    n_cut = np.zeros(plans.m, int)
    cut_ids = np.empty(plans.m, dtype=object)
    nearby = _nearby(buildings, plans, np.flatnonzero(has), "buildings")
    if nearby is not None and len(nearby[1]):
        b, bg, bfid = nearby
        bid = text_ids(b["building_id"] if "building_id" in b else None, len(b), [f"#{f}" for f in bfid])
        plans_with = np.flatnonzero(has)
        bq, pq = shapely.STRtree(np.asarray(plans.parent_geom[plans_with], dtype=object)).query(bg, predicate="intersects")
        pq = plans_with[pq]
        on_parent_geom = shapely.intersection(bg[bq], np.asarray(plans.parent_geom[pq], dtype=object))
        on_parent = shapely.area(on_parent_geom)
        keep = on_parent >= NOISE_M2
        bq, pq, on_parent_geom, on_parent = bq[keep], pq[keep], on_parent_geom[keep], on_parent[keep]
        # the piece (of the same parent) holding most of each building
        bs, ss = shapely.STRtree(geoms).query(bg, predicate="intersects")
        held = pd.DataFrame({"b": bs, "plan": plan[ss], "piece": ss, "area": shapely.area(shapely.intersection(bg[bs], geoms[ss]))})
        held = held[held["area"] > 0]
        best = held.loc[held.groupby(["b", "plan"])["area"].idxmax()] if len(held) else held
        rows = pd.DataFrame({"b": bq, "plan": pq, "on_parent": on_parent, "k": np.arange(len(bq))}).merge(best, on=["b", "plan"], how="left")
        rows["area"] = rows["area"].fillna(0.0)
        rows["cut"] = np.maximum(rows["on_parent"] - rows["area"], 0.0)
        rows = rows.sort_values("k")
        cut_rows = rows[rows["cut"] >= NOISE_M2]
        if len(cut_rows):
            no_piece = pd.isna(cut_rows["piece"]).to_numpy()
            main = np.asarray([None if np.isnan(p) else geoms[int(p)] for p in cut_rows["piece"]], dtype=object)
            base = on_parent_geom[cut_rows["k"].to_numpy()]
            cut_geom = np.where(no_piece, base, shapely.difference(base, main))
            ok = compare(cut_rows["cut"].to_numpy(), spec.op or "<=", tol, decimals=AREA_DECIMALS)
            ids = bid[cut_rows["b"].to_numpy()]
            plans.issues.append(issue_frame(
                plans.crs, "buildings", "building_cut", feature_id=ids, source_fid=bfid[cut_rows["b"].to_numpy()],
                args={"parcel_id": plans.plan_ids[cut_rows["plan"].to_numpy()], "tolerance": tol, "cut_outcome": np.where(ok, "tolerated", "cut")},
                value_m2=np.round(cut_rows["cut"].to_numpy(), AREA_DECIMALS), geometry=cut_geom,
            ))
            over = cut_rows.assign(bid=ids)[~ok]
            for p, grp in over.groupby("plan"):
                n_cut[p] = len(grp)
                cut_ids[p] = list(grp["bid"])
        if len(rows):
            agg = rows.groupby("plan")["cut"].max()
            max_cut[agg.index.to_numpy(int)] = agg.to_numpy()
            counts = rows.groupby("plan")["b"].nunique()
            n_buildings[counts.index.to_numpy(int)] = counts.to_numpy()
    ok = compare(max_cut, spec.op or "<=", tol, decimals=AREA_DECIMALS)
    conditions = [~plans.known, ~has, np.full(plans.m, buildings is None), n_buildings == 0, ok]
    status = np.select(conditions, ["insufficient_data", "insufficient_data", "insufficient_data", "pass", "pass"], "fail")
    reason = np.select(conditions, ["unknown_parcel", "no_geometry", "no_buildings_layer", "no_buildings", "whole"], "cut")
    value = np.where(np.isin(reason, ("no_buildings", "whole", "cut")), np.round(max_cut, AREA_DECIMALS), np.nan)
    return plans.verdicts(
        rule, status, reason, value=value, limit=tol, unit="m2", headroom=np.round(tol - value, AREA_DECIMALS),
        args={
            "n_buildings": only(reason == "whole", n_buildings),
            "n_cut": only(reason == "cut", n_cut),
            "cut_buildings": only(reason == "cut", cut_ids),
            "missing": only(reason == "no_buildings_layer", ["buildings"]),
        },
    )


def facility_integrity(plans: SplitPlans, rule: Rule, facility: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """``split.facility_land``: the admin-office and living-service land is not split off from the whole.

    It must stay in one piece (at most ``facility_cut_tolerance_m2`` of it elsewhere:
    the value, m²), and that piece must hold more than facility land (a piece of
    facility land only is split off from the whole). Facility land naming its parcel
    counts only there.
    """
    spec = rule["facility_cut_tolerance_m2"]
    tol = spec.number
    idx, plan, geoms = plans.usable_pieces()
    has = np.bincount(plan, minlength=plans.m) > 0
    facility_m2 = np.zeros(plans.m)
    outside = np.zeros(plans.m)
    main_piece = np.full(plans.m, None, dtype=object)
    own_pieces = np.full(plans.m, None, dtype=object)
    nearby = _nearby(facility, plans, np.flatnonzero(has), "facility_land")
    if nearby is not None and len(nearby[1]):
        f, fg, _ = nearby
        fac_id = text_ids(f["facility_id"] if "facility_id" in f else None, len(f), [f"#{x}" for x in nearby[2]])
        named = text_ids(f["parcel_id"] if "parcel_id" in f else None, len(f), [None] * len(f))
        plans_with = np.flatnonzero(has)
        fq, pq = shapely.STRtree(np.asarray(plans.parent_geom[plans_with], dtype=object)).query(fg, predicate="intersects")
        pq = plans_with[pq]
        same = pd.isna(named[fq]) | (named[fq] == plans.plan_ids[pq])
        fq, pq = fq[same], pq[same]
        inside = shapely.intersection(fg[fq], np.asarray(plans.parent_geom[pq], dtype=object))
        keep = shapely.area(inside) >= NOISE_M2
        fq, pq, inside = fq[keep], pq[keep], inside[keep]
        if len(pq):
            per_plan = pd.Series(list(inside), dtype=object).groupby(pq).agg(lambda g: shapely.union_all(g.to_numpy()))
            ids_of_plan = pd.Series(fac_id[fq], dtype=object).groupby(pq).agg(lambda g: ",".join(pd.unique(g)))
            fac_plans = per_plan.index.to_numpy(int)
            fac_of_plan = dict(zip(fac_plans, per_plan.to_numpy(), strict=True))
            facility_m2[fac_plans] = shapely.area(np.asarray(per_plan.to_numpy(), dtype=object))
            sel = np.flatnonzero(np.isin(plan, fac_plans))
            s_fac = np.asarray([fac_of_plan[p] for p in plan[sel]], dtype=object)
            in_piece = shapely.area(shapely.intersection(geoms[sel], s_fac)) if len(sel) else np.zeros(0)
            rows = pd.DataFrame({"plan": plan[sel], "s": sel, "fac": in_piece, "other": shapely.area(geoms[sel]) - in_piece})
            best = rows.loc[rows.groupby("plan")["fac"].idxmax()]
            for p, s, fac in zip(best["plan"], best["s"], best["fac"], strict=True):
                outside[p] = max(facility_m2[p] - fac, 0.0)
                main_piece[p] = str(plans.piece_id[idx[s]]) if fac > 0 else None
                if outside[p] >= NOISE_M2:
                    rest = shapely.difference(fac_of_plan[p], geoms[s]) if fac > 0 else fac_of_plan[p]
                    ok = bool(compare(outside[p], spec.op or "<=", tol, decimals=AREA_DECIMALS))
                    plans.issues.append(issue_frame(
                        plans.crs, "facility_land", "facility_cut", feature_id=ids_of_plan[p],
                        args={"parcel_id": plans.plan_ids[p], "main_piece": main_piece[p], "tolerance": tol, "cut_outcome": "tolerated" if ok else "divided"},
                        value_m2=round(outside[p], AREA_DECIMALS), geometry=[rest], n=1,
                    ))
            # a piece that is (almost) nothing but facility land: split off from the whole
            rows = rows[rows["fac"] >= NOISE_M2]
            alone = rows[compare(rows["other"].to_numpy(), spec.op or "<=", tol, decimals=AREA_DECIMALS)]
            for p, grp in alone.groupby("plan"):
                own_pieces[p] = [str(plans.piece_id[idx[s]]) for s in grp["s"]]
    has_facility = np.round(facility_m2, AREA_DECIMALS) > 0
    divided = ~compare(outside, spec.op or "<=", tol, decimals=AREA_DECIMALS)
    own = np.array([o is not None for o in own_pieces], dtype=bool)
    conditions = [~plans.known, ~has, np.full(plans.m, facility is None), ~has_facility, own & divided, own, divided]
    status = np.select(conditions, ["insufficient_data", "insufficient_data", "insufficient_data", "not_applicable", "fail", "fail", "fail"], "pass")
    reason = np.select(
        conditions, ["unknown_parcel", "no_geometry", "no_facility_layer", "no_facility_land", "divided_own_piece", "own_piece", "divided"], "whole"
    )
    measured = np.isin(reason, ("whole", "own_piece", "divided", "divided_own_piece"))
    value = np.where(measured, np.round(outside, AREA_DECIMALS), np.nan)
    return plans.verdicts(
        rule, status, reason, value=value, limit=tol, unit="m2", headroom=np.round(tol - value, AREA_DECIMALS),
        args={
            "facility_m2": only(measured, np.round(facility_m2, AREA_DECIMALS)),
            "main_piece": only(np.isin(reason, ("whole", "divided", "divided_own_piece")), main_piece),
            "own_pieces": only(own, own_pieces),
            "missing": only(reason == "no_facility_layer", ["facility_land"]),
        },
    )


# --------------------------------------------------------------------------- the split_pieces layer


def _pieces_layer(pieces: gpd.GeoDataFrame, plans: SplitPlans, verdicts: pd.DataFrame, pack: Pack) -> gpd.GeoDataFrame:
    """One row per piece: ids, area, its own and its plan's status, and the parent's 标准地 flag."""
    n = len(pieces)
    layer = pd.DataFrame({"piece_id": plans.piece_id, "parcel_id": plans.parent, "source_fid": plans.fid})
    if "transferee_grade" in pieces:
        layer["transferee_grade"] = pd.Series(grades(pieces), dtype=object)
    layer["area_m2"] = np.round(plans.area, AREA_DECIMALS)
    layer["area_mu"] = np.round(plans.area / M2_PER_MU, 4)
    on_piece = verdicts[verdicts["subject"] == "split_piece"]
    # piece verdicts come in piece order (piece ids may repeat across parents)
    layer["status_min_piece_area"] = on_piece["status"].to_numpy() if len(on_piece) == n else "not_applicable"
    plan_status = status_by(verdicts[verdicts["subject"] == "split_plan"], pack, "subject_id")
    layer["status_plan"] = pd.Series(plans.parent, dtype=object).map(plan_status).fillna("not_applicable").to_numpy()
    standard, _ = any_flag(plans.parent_rows, ["standard_land"])
    layer["standard_land"] = (standard & plans.known)[plans.piece_plan] if n else np.zeros(0, bool)
    layer["status"] = [worst_status(pd.Series([a, b])) for a, b in zip(layer["status_min_piece_area"], layer["status_plan"], strict=True)]
    return gpd.GeoDataFrame(layer, geometry=gpd.GeoSeries(np.where(plans.usable, plans.geoms, None), crs=plans.crs), crs=plans.crs)
