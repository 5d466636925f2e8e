"""Merge transfer — 合并转让 (POLICY.md §3; taizhou 二（七）, tiantai 四（八）, yuhuan 四.19).

    合并转让所涉及的工业用地权属性质、使用权类型等应一致且界线相邻，对剩余出让年限不一致的，
    按照合并前宗地中的剩余最短年限统一。…合并转让后产权不得分割，不得向…上一年度亩均评价C/D类
    企业转让。原工业用地按“标准地”出让的，受让方应按原“标准地”各项指标要求投资建设。

A **merge plan** lists ``group_id`` / ``parcel_id`` rows (and optionally
``transferee_grade``); verdicts are per group (subject ``merge_group``, ``parcel_id`` =
the members joined by commas), and the ``merge_groups`` layer holds each group
dissolved. Only the members' rows are taken from the parcel table (by id), so a plan of
k parcels costs time in proportion to k, not to the parcels.

The last sentence of the clause covers whoever takes over 标准地 land, by split or by
merge (POLICY.md §3): a group with any member supplied as 标准地 carries
``transfer.standard_land``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landtool.policy import Pack, Rule, compare
from landtool.rules.common import any_flag
from landtool.rules.proposals import (
    connected_components,
    grades,
    positions,
    rows_or_absent,
    shared_boundary_length,
    status_by,
    take_geometry,
    take_rows,
    text_ids,
    transferee_verdicts,
)
from landtool.units import AREA_DECIMALS, M2_PER_MU
from landtool.verdicts import concat_tables, declare, not_in_policy, only, verdict_frame

__all__ = ["DAYS_PER_YEAR", "MERGE_RULES", "check_merge"]

#: Rules answered per merge group, in catalogue order.
MERGE_RULES = (
    "merge.adjacent",
    "merge.same_ownership",
    "merge.same_right_type",
    "merge.remaining_term",
    "merge.no_split_after",
    "transfer.transferee",
    "transfer.standard_land",
)
#: Days per year for remaining land terms (Julian year: 30 years from a date ≈ 30.00).
DAYS_PER_YEAR = 365.25

# Reason codes (sentences: landtool/messages/*/transfer.yaml).
declare("merge.adjacent", ("unknown_members", "too_few", "one_block", "not_one_block"))
declare("merge.same_ownership", ("unknown_members", "too_few", "missing_value", "same", "differs"))
declare("merge.same_right_type", ("unknown_members", "too_few", "missing_value", "same", "differs"))
declare("merge.remaining_term", ("unknown_members", "no_term_end", "shortest", "expired"))
declare("merge.no_split_after", ("carried",))
declare("transfer.standard_land", ("unknown_members", "member_standard_land", "members_flag_missing", "no_member_standard_land"))


@dataclass
class MergeGroups:
    """The arrays the merge rules share: per group, and per known member (the group's parcels found)."""

    pack_id: str
    group_ids: np.ndarray
    rows: pd.DataFrame  # plan rows: group, parcel, grade, g (group index), pos (parcel position, -1 unknown)
    member_g: np.ndarray  # per known member: its group's index
    member_id: np.ndarray
    member_rows: pd.DataFrame  # the known members' attributes, taken from the parcels by position
    member_geom: np.ndarray
    members: list[list[str]]  # per group, every parcel id named
    unknown: list[list[str]]  # per group, the ids naming no parcel
    n_known: np.ndarray

    @property
    def g(self) -> int:
        return len(self.group_ids)

    @property
    def has_unknown(self) -> np.ndarray:
        return np.array([bool(u) for u in self.unknown], dtype=bool)

    @property
    def parcel_ids(self) -> list[str | None]:
        """A group concerns several parcels: its verdicts name them all."""
        return [",".join(m) if m else None for m in self.members]

    def of_group(self, gi: int) -> np.ndarray:
        """Positions (in the member arrays) of the known members of group ``gi``."""
        return np.flatnonzero(self.member_g == gi)

    def verdicts(self, rule: Rule, status, reason, *, args=None, **kwargs) -> pd.DataFrame:
        """Verdict rows of ``rule``, one per group; groups naming unknown parcels list them."""
        all_args = {"unknown": only(reason == "unknown_members", _cells(self.unknown)), **(args or {})}
        return verdict_frame(
            rule, self.pack_id, subject="merge_group", subject_id=self.group_ids, parcel_id=self.parcel_ids,
            status=status, reason=reason, args=all_args, **kwargs,
        )


def _cells(lists) -> np.ndarray:
    """A list per row as an object array (equal-length lists must not become a 2-d array)."""
    out = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        out[i] = item
    return out


def _groups(plan: pd.DataFrame, parcels: gpd.GeoDataFrame, pack_id: str) -> MergeGroups:
    plan = pd.DataFrame(plan).reset_index(drop=True)
    n = len(plan)
    rows = pd.DataFrame({
        "group": text_ids(plan["group_id"] if "group_id" in plan else None, n, ["—"] * n),
        "parcel": text_ids(plan["parcel_id"] if "parcel_id" in plan else None, n, ["—"] * n),
        "grade": pd.Series(grades(plan), dtype=object),
    }).drop_duplicates(["group", "parcel"]).reset_index(drop=True)
    group_ids = pd.unique(pd.Series(rows["group"], dtype=object)).astype(object)
    rows["g"] = pd.Series(np.arange(len(group_ids)), index=group_ids).loc[rows["group"]].to_numpy() if len(rows) else np.zeros(0, int)
    rows["pos"] = positions(parcels, rows["parcel"].to_numpy(dtype=object))
    known = rows[rows["pos"] >= 0].reset_index(drop=True)
    by_group = rows.groupby("g")["parcel"].agg(list)
    unknown_by_group = rows[rows["pos"] < 0].groupby("g")["parcel"].agg(list)
    g = len(group_ids)
    return MergeGroups(
        pack_id=pack_id, group_ids=group_ids, rows=rows,
        member_g=known["g"].to_numpy(int), member_id=known["parcel"].to_numpy(dtype=object),
        member_rows=take_rows(parcels, known["pos"].to_numpy()), member_geom=take_geometry(parcels, known["pos"].to_numpy()),
        members=[by_group.get(i, []) for i in range(g)], unknown=[unknown_by_group.get(i, []) for i in range(g)],
        n_known=np.bincount(known["g"].to_numpy(int), minlength=g),
    )


def check_merge(plan: pd.DataFrame, parcels: gpd.GeoDataFrame, pack: Pack, *, as_of: dt.date | None = None) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Check a merge plan: verdicts per group and the dissolved ``merge_groups`` layer.

    Parameters
    ----------
    plan
        Rows of ``group_id``, ``parcel_id`` and optionally ``transferee_grade``.
    parcels
        The prepared parcel table.
    as_of
        The date remaining land terms are counted from (default today).
    """
    groups = _groups(plan, parcels, pack.id)
    adjacency = _adjacency(groups, pack.rule("merge.adjacent"))
    terms = _terms(groups, as_of)
    builders = {
        "merge.adjacent": lambda rule: adjacent(groups, rule, adjacency),
        "merge.same_ownership": lambda rule: same_value(groups, rule, "ownership"),
        "merge.same_right_type": lambda rule: same_value(groups, rule, "right_type"),
        "merge.remaining_term": lambda rule: remaining_term(groups, rule, terms),
        "merge.no_split_after": lambda rule: groups.verdicts(rule, np.full(groups.g, "pass", dtype=object), np.full(groups.g, "carried", dtype=object)),
        "transfer.transferee": lambda rule: transferee_verdicts(
            rule, pack.id, subject="merge_group", subject_id=groups.group_ids, parcel_id=groups.parcel_ids, graded=_group_grades(groups)
        ),
        "transfer.standard_land": lambda rule: standard_land(groups, rule),
    }
    parts = [
        rows_or_absent(pack, rule_id, subject="merge_group", subject_id=groups.group_ids, parcel_id=groups.parcel_ids, build=builders[rule_id])
        for rule_id in MERGE_RULES
    ] if groups.g else []
    verdicts = concat_tables(parts) if parts else not_in_policy("merge.adjacent", pack.id, subject="merge_group", subject_id=[], parcel_id=[])
    return verdicts, _groups_layer(groups, verdicts, pack, adjacency, terms, parcels.crs)


# --------------------------------------------------------------------------- adjacency


@dataclass
class _Adjacency:
    blocks: np.ndarray  # per group: number of connected blocks
    block_lists: np.ndarray  # per group: the blocks, each "A+B"
    shared: np.ndarray  # per group: "A–B 100.00" per adjacent pair
    shared_m: np.ndarray  # per group: total shared boundary, m
    pairs_text: list[list[str]]  # per group: "A–B 100.00 m" per adjacent pair (layer column)
    min_len: float
    snap: float


def _adjacency(groups: MergeGroups, rule: Rule | None) -> _Adjacency:
    """Shared boundaries between the members of each group, and the blocks they form.

    Candidate pairs come from an STRtree of the members within the snapping tolerance,
    same group only; a pair is adjacent when its shared boundary reaches
    ``min_shared_length_m`` (a corner is not 界线相邻).
    """
    min_len = float(rule.value("min_shared_length_m", 0.5)) if rule else 0.5
    min_op = rule["min_shared_length_m"].op if rule and "min_shared_length_m" in rule.params else ">="
    snap = float(rule.value("snap_tolerance_m", 0.0)) if rule else 0.0
    mgeom, mg, names = groups.member_geom, groups.member_g, groups.member_id
    left = right = np.array([], dtype=int)
    length = np.array([])
    if len(mgeom):
        tree = shapely.STRtree(mgeom)
        left, right = tree.query(mgeom, predicate="dwithin", distance=snap) if snap > 0 else tree.query(mgeom, predicate="intersects")
        keep = (left < right) & (mg[left] == mg[right])
        left, right = left[keep], right[keep]
        length = shared_boundary_length(mgeom[left], mgeom[right], snap_tolerance=snap)
    adjacent_pair = compare(length, min_op or ">=", min_len, decimals=AREA_DECIMALS)
    labels = connected_components(len(mgeom), left[adjacent_pair], right[adjacent_pair])
    g = groups.g
    shared = [[] for _ in range(g)]
    pairs_text = [[] for _ in range(g)]
    shared_m = np.zeros(g)
    for lft, rgt, ln in zip(left[adjacent_pair], right[adjacent_pair], length[adjacent_pair], strict=True):
        gi = int(mg[lft])
        shared[gi].append(f"{names[lft]}–{names[rgt]} {ln:,.2f}")
        pairs_text[gi].append(f"{names[lft]}–{names[rgt]} {ln:,.2f} m")
        shared_m[gi] += ln
    blocks = np.zeros(g, int)
    block_lists = [[] for _ in range(g)]
    for gi in range(g):
        sel = groups.of_group(gi)
        if len(sel):
            comp = pd.Series(names[sel], dtype=object).groupby(labels[sel]).agg(list)
            blocks[gi] = len(comp)
            block_lists[gi] = ["+".join(map(str, c)) for c in comp]
    return _Adjacency(blocks, _cells(block_lists), _cells(shared), shared_m, pairs_text, min_len, snap)


def adjacent(groups: MergeGroups, rule: Rule, adj: _Adjacency) -> pd.DataFrame:
    """``merge.adjacent``: the members form one block through shared boundaries (value: the number of blocks)."""
    conditions = [groups.has_unknown, groups.n_known < 2, adj.blocks == 1]
    status = np.select(conditions, ["insufficient_data", "insufficient_data", "pass"], "fail")
    reason = np.select(conditions, ["unknown_members", "too_few", "one_block"], "not_one_block")
    decided = np.isin(reason, ("one_block", "not_one_block"))
    return groups.verdicts(
        rule, status, reason, value=np.where(groups.n_known >= 2, adj.blocks, np.nan).astype(float), limit=1.0, unit="count",
        args={
            "n_known": only(decided | (reason == "too_few"), groups.n_known),
            "min_len": adj.min_len,
            "snap": only(reason == "one_block", adj.snap),
            "shared": only(reason == "one_block", adj.shared),
            "blocks": only(reason == "not_one_block", adj.block_lists),
        },
    )


# --------------------------------------------------------------------------- attributes


def _text(value) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def same_value(groups: MergeGroups, rule: Rule, column: str) -> pd.DataFrame:
    """``merge.same_ownership`` (权属性质) / ``merge.same_right_type`` (使用权类型): equal across the group."""
    values = groups.member_rows[column].to_numpy(dtype=object) if column in groups.member_rows else np.full(len(groups.member_id), None, dtype=object)
    values = np.array([_text(v) for v in values] + [None], dtype=object)[:-1]
    common, listed, lacking = np.full(groups.g, None, dtype=object), np.empty(groups.g, dtype=object), np.empty(groups.g, dtype=object)
    n_distinct = np.zeros(groups.g, int)
    for gi in range(groups.g):
        sel = groups.of_group(gi)
        vals = values[sel]
        lacking[gi] = [str(p) for p, v in zip(groups.member_id[sel], vals, strict=True) if v is None]
        listed[gi] = [f"{p}: {v or '—'}" for p, v in zip(groups.member_id[sel], vals, strict=True)]
        n_distinct[gi] = len({v for v in vals if v is not None})
        common[gi] = vals[0] if len(vals) else None
    missing_any = np.array([bool(x) for x in lacking], dtype=bool)
    conditions = [groups.has_unknown, groups.n_known < 2, missing_any, n_distinct > 1]
    status = np.select(conditions, ["insufficient_data", "insufficient_data", "insufficient_data", "fail"], "pass")
    reason = np.select(conditions, ["unknown_members", "too_few", "missing_value", "differs"], "same")
    return groups.verdicts(
        rule, status, reason,
        args={
            "n_known": only(reason == "too_few", groups.n_known),
            "common_value": only(reason == "same", common),
            "member_values": only(reason == "differs", listed),
            "members_missing": only(reason == "missing_value", lacking),
            "missing": only(reason == "missing_value", [column]),
        },
    )


@dataclass
class _Terms:
    years: np.ndarray  # per group: the shortest remaining term, years (2 decimals)
    expired: np.ndarray  # per group: the shortest term has ended (term_end on or before as_of)
    term_end: np.ndarray  # per group: its end date (ISO)
    shortest: np.ndarray  # per group: the member with the shortest term
    member_terms: np.ndarray  # per group: "A: 26" per member
    lacking: np.ndarray  # per group: members without term_end


def _terms(groups: MergeGroups, as_of: dt.date | None) -> _Terms:
    """Remaining land terms of the members (years from ``as_of``), the shortest per group."""
    rows = groups.member_rows
    ends = pd.to_datetime(rows["term_end"], errors="coerce") if "term_end" in rows else pd.Series(pd.NaT, index=rows.index)
    years_all = ((ends - pd.Timestamp(as_of or dt.date.today())).dt.days / DAYS_PER_YEAR).to_numpy(float)
    g = groups.g
    years, term_end, shortest = np.full(g, np.nan), np.full(g, None, dtype=object), np.full(g, None, dtype=object)
    expired = np.zeros(g, bool)
    member_terms, lacking = np.empty(g, dtype=object), np.empty(g, dtype=object)
    for gi in range(g):
        sel = groups.of_group(gi)
        yrs = years_all[sel]
        ids = groups.member_id[sel]
        member_terms[gi] = [f"{p}: {y:.2f}" if not np.isnan(y) else f"{p}: —" for p, y in zip(ids, yrs, strict=True)]
        lacking[gi] = [str(p) for p, y in zip(ids, yrs, strict=True) if np.isnan(y)]
        if len(yrs) and not np.isnan(yrs).any():  # the shortest is known only when every term is
            k = int(np.nanargmin(yrs))
            years[gi] = round(float(yrs[k]), 2)
            expired[gi] = yrs[k] <= 0  # decided on days, not on the rounded years (one day left is not 0.00)
            term_end[gi] = pd.Timestamp(ends.to_numpy()[sel][k]).date().isoformat()
            shortest[gi] = str(ids[k])
    return _Terms(years, expired, term_end, shortest, member_terms, lacking)


def remaining_term(groups: MergeGroups, rule: Rule, terms: _Terms) -> pd.DataFrame:
    """``merge.remaining_term`` (info): the merged parcel keeps the shortest remaining term of its members (years)."""
    lacking = np.array([bool(x) for x in terms.lacking], dtype=bool)
    conditions = [groups.has_unknown, lacking, terms.expired]
    status = np.select(conditions, ["insufficient_data", "insufficient_data", "pass"], "pass")
    reason = np.select(conditions, ["unknown_members", "no_term_end", "expired"], "shortest")
    decided = np.isin(reason, ("shortest", "expired"))
    return groups.verdicts(
        rule, status, reason, value=np.where(decided, terms.years, np.nan), unit="year",
        args={
            "shortest": only(decided, terms.shortest),
            "term_end": only(decided, terms.term_end),
            "member_terms": only(reason == "shortest", terms.member_terms),
            "members_missing": only(reason == "no_term_end", terms.lacking),
            "missing": only(reason == "no_term_end", ["term_end"]),
        },
    )


def standard_land(groups: MergeGroups, rule: Rule) -> pd.DataFrame:
    """``transfer.standard_land`` (info): a group with any member supplied as 标准地 carries the flag.

    The transferee of the merged parcel "应按原“标准地”各项指标要求投资建设" (POLICY.md §3).
    """
    standard, known, flagged, lacking = _standard_members(groups)
    any_standard = np.array([bool(x) for x in flagged], dtype=bool)
    conditions = [groups.has_unknown, any_standard, ~known]
    status = np.select(conditions, ["insufficient_data", "pass", "insufficient_data"], "not_applicable")
    reason = np.select(conditions, ["unknown_members", "member_standard_land", "members_flag_missing"], "no_member_standard_land")
    return groups.verdicts(
        rule, status, reason,
        args={
            "standard_members": only(reason == "member_standard_land", flagged),
            "members_missing": only(reason == "members_flag_missing", lacking),
            "missing": only(reason == "members_flag_missing", ["standard_land"]),
        },
    )


def _standard_members(groups: MergeGroups) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per group: (any member 标准地, every member's flag known, the 标准地 members, the members lacking the flag)."""
    true, known = any_flag(groups.member_rows, ["standard_land"])
    g = groups.g
    flagged, lacking = np.empty(g, dtype=object), np.empty(g, dtype=object)
    for gi in range(g):
        sel = groups.of_group(gi)
        flagged[gi] = [str(p) for p in groups.member_id[sel][true[sel]]]
        lacking[gi] = [str(p) for p in groups.member_id[sel][~known[sel]]]
    all_known = np.array([not x for x in lacking], dtype=bool)
    return np.array([bool(x) for x in flagged], dtype=bool), all_known, flagged, lacking


def _group_grades(groups: MergeGroups) -> list[list[tuple[str, str | None]]]:
    """Per group, its distinct transferee grades (one unlabelled entry each; missing if none given)."""
    out = []
    for gi in range(groups.g):
        distinct = sorted({v for v in groups.rows.loc[groups.rows["g"] == gi, "grade"] if isinstance(v, str)})
        out.append([("", v) for v in distinct] if distinct else [("", None)])
    return out


# --------------------------------------------------------------------------- the merge_groups layer


def _groups_layer(groups: MergeGroups, verdicts: pd.DataFrame, pack: Pack, adj: _Adjacency, terms: _Terms, crs) -> gpd.GeoDataFrame:
    """One row per group, dissolved: members, area, shared boundaries, attributes, flags and status."""
    g = groups.g
    rows = groups.member_rows
    area_m2 = rows["area_m2"].to_numpy(float) if "area_m2" in rows else np.round(shapely.area(groups.member_geom), AREA_DECIMALS)
    geom_out = np.full(g, None, dtype=object)
    area_sum = np.zeros(g)
    for gi in range(g):
        sel = groups.of_group(gi)
        if len(sel):
            geom_out[gi] = shapely.union_all(groups.member_geom[sel])
            area_sum[gi] = area_m2[sel].sum()

    def attr_text(column: str) -> list[str]:
        if column not in rows:
            return ["—"] * g
        col = rows[column].to_numpy(dtype=object)
        return ["/".join(sorted({t for t in (_text(v) for v in col[groups.of_group(gi)]) if t})) or "—" for gi in range(g)]

    standard, _, _, _ = _standard_members(groups)
    group_status = status_by(verdicts, pack, "subject_id")
    layer = pd.DataFrame(
        {
            "group_id": groups.group_ids,
            "parcel_ids": [",".join(m) for m in groups.members],
            "n_parcels": [len(m) for m in groups.members],
            "unknown_parcels": [",".join(u) for u in groups.unknown],
            "area_m2": np.round(area_sum, AREA_DECIMALS),
            "area_mu": np.round(area_sum / M2_PER_MU, 4),
            "blocks": adj.blocks,
            "shared_length_m": np.round(adj.shared_m, AREA_DECIMALS),
            "shared_boundaries": ["; ".join(p) for p in adj.pairs_text],
            "ownership": attr_text("ownership"),
            "right_type": attr_text("right_type"),
            "remaining_term_years": terms.years,
            "term_end_min": terms.term_end,
            "transferee_grade": ["/".join(sorted({v for v in groups.rows.loc[groups.rows["g"] == gi, "grade"] if isinstance(v, str)})) or None for gi in range(g)],
            "standard_land": standard,
            "no_split_after": True,
            "status": pd.Series(groups.group_ids, dtype=object).map(group_status).fillna("not_applicable").to_numpy(),
        }
    )
    return gpd.GeoDataFrame(layer, geometry=gpd.GeoSeries(list(geom_out), crs=crs), crs=crs)
