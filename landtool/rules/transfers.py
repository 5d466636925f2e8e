"""Split and merge transfer — 分割、合并转让 (POLICY.md §2–§3).

Taizhou 二（七）, tiantai 四（八） and yuhuan 四.19 carry the same text::

    拟分割地块应已竣工投产且以幢为最小分割单位，分割数量（工业地产除外）原则上不超过3宗且
    分割后每宗土地面积不少于10亩，配套建设的行政办公及生活服务用地不得与整宗地分割转让。
    合并转让所涉及的工业用地权属性质、使用权类型等应一致且界线相邻，对剩余出让年限不一致的，
    按照合并前宗地中的剩余最短年限统一。工业用地不得二次分割转让，合并转让后产权不得分割，
    不得向能耗、环保、质量、安全等不符合要求的企业或上一年度亩均评价C/D类企业转让。

A **split plan** is a polygon layer of pieces, each naming its parent parcel
(``parcel_id``) and its ``piece_id``; verdicts are given per parent (subject
``split_plan``) and, for the minimum area, per piece (``split_piece``). A **merge plan**
lists ``group_id`` / ``parcel_id`` rows; verdicts are per group (``merge_group``).

Geometry is measured in the parcels' projected CRS. Every tolerance is a pack
parameter (``partition_tolerance_m2``, ``building_cut_tolerance_m2``,
``facility_cut_tolerance_m2``, ``min_shared_length_m``, ``snap_tolerance_m``); slivers whose
area rounds to 0.00 m² (the registration precision) are not findings at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from landtool.errors import InputError
from landtool.io import parse_bool
from landtool.policy import Pack, Rule, compare
from landtool.prepare import ISSUE_COLUMNS, polygonal_part
from landtool.result import worst_status
from landtool.units import AREA_DECIMALS, M2_PER_MU, mu_to_m2
from landtool.verdicts import DISCRETION, not_in_policy, verdict_frame

__all__ = [
    "MERGE_RULES",
    "SPLIT_PIECE_RULES",
    "SPLIT_PLAN_RULES",
    "check_merge",
    "check_split",
    "connected_components",
    "shared_boundary_length",
]

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
#: Rules answered per merge group.
MERGE_RULES = (
    "merge.adjacent",
    "merge.same_ownership",
    "merge.same_right_type",
    "merge.remaining_term",
    "merge.no_split_after",
    "transfer.transferee",
)

#: Areas below this round to 0.00 m² at the registration precision: floating-point
#: crumbs of an overlay, not gaps or overlaps anyone drew.
NOISE_M2 = 0.005
#: Days per year for remaining land terms (Julian year: 30 years from a date ≈ 30.00).
DAYS_PER_YEAR = 365.25
#: A per-mu grade letter inside a text such as "C类".
_GRADE = re.compile(r"[ABCD]")

COMMON = {
    "unknown_parcel": {
        "zh": "宗地 {parcel_id} 不在宗地图层中，无法检查",
        "en": "parcel {parcel_id} is not among the parcels: cannot be checked",
    },
    "no_geometry": {
        "zh": "分割方案中没有可用的地块图形（空或无效），无法检查",
        "en": "the plan has no usable piece geometry (empty or invalid): cannot be checked",
    },
}


# --------------------------------------------------------------------------- helpers


def _same_crs(layer: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    """The layer in the parcels' CRS: a layer without CRS is taken to be in it; a different one is an error."""
    if layer.crs is None:
        return layer.set_crs(parcels.crs, allow_override=True)
    if parcels.crs is not None and not CRS.from_user_input(layer.crs).equals(CRS.from_user_input(parcels.crs)):
        msg = f"{label}: CRS {CRS.from_user_input(layer.crs).to_string()} differs from the parcels' {CRS.from_user_input(parcels.crs).to_string()}; reproject it first (areas and limits depend on it)"
        raise InputError(msg)
    return layer


def _text_ids(values: pd.Series | None, n: int, fallback: Sequence[str]) -> np.ndarray:
    """Ids as strings; a blank id takes its fallback."""
    out = np.asarray(fallback, dtype=object).copy()
    if values is None:
        return out
    for i, v in enumerate(values.to_numpy(dtype=object)):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            continue
        text = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()
        if text:
            out[i] = text
    return out


def _source_fid(frame: pd.DataFrame) -> np.ndarray:
    if "source_fid" in frame:
        return frame["source_fid"].to_numpy(dtype=object)
    return np.arange(1, len(frame) + 1).astype(object)


def _clean(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(geometries, usable mask, repaired mask): invalid polygons repaired, the rest unusable."""
    geoms = np.asarray(geoms, dtype=object).copy()
    missing = shapely.is_missing(geoms)
    empty = missing.copy()
    empty[~missing] = shapely.is_empty(geoms[~missing])
    polygonal = np.zeros(len(geoms), bool)
    polygonal[~empty] = np.isin(shapely.get_type_id(geoms[~empty]), [3, 6, 7])
    invalid = polygonal & ~np.asarray(shapely.is_valid(geoms), bool)
    if invalid.any():
        repaired = shapely.make_valid(geoms[invalid])
        geoms[invalid] = [polygonal_part(g) for g in repaired]
    collections = polygonal & (shapely.get_type_id(geoms) == 7)
    if collections.any():
        geoms[collections] = [polygonal_part(g) for g in geoms[collections]]
    usable = polygonal.copy()
    usable[polygonal] = ~shapely.is_empty(geoms[polygonal])
    return geoms, usable, invalid


def _issues(crs, layer: str, feature_id, source_fid, problem, detail, value_m2, geometry) -> gpd.GeoDataFrame:
    """Rows of the ``issues`` layer (columns of :data:`landtool.prepare.ISSUE_COLUMNS`)."""
    n = len(np.atleast_1d(np.asarray(feature_id, dtype=object)))
    frame = pd.DataFrame(
        {
            "layer": layer,
            "feature_id": np.broadcast_to(np.asarray(feature_id, dtype=object), (n,)),
            "source_fid": np.broadcast_to(np.asarray(source_fid, dtype=object), (n,)),
            "problem": np.broadcast_to(np.asarray(problem, dtype=object), (n,)),
            "detail": np.broadcast_to(np.asarray(detail, dtype=object), (n,)),
            "value_m2": np.broadcast_to(np.asarray(value_m2, dtype=float), (n,)),
        }
    )
    geom = np.broadcast_to(np.asarray(geometry, dtype=object), (n,)) if geometry is not None else [None] * n
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geom), crs=crs), crs=crs)


def _empty_issues(crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in ISSUE_COLUMNS[:-1]}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _concat_issues(parts: list[gpd.GeoDataFrame], crs) -> gpd.GeoDataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_issues(crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)[ISSUE_COLUMNS]


def _take(series: pd.Series, pos: np.ndarray) -> pd.Series:
    """``series`` at positions ``pos``; missing where pos is -1."""
    return series.reset_index(drop=True).reindex(pos).reset_index(drop=True)


def _bool(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(true, known) masks of a flag column (nullable booleans or text such as 是/否)."""
    if values.dtype == bool:
        arr = values.to_numpy(bool)
        return arr, np.ones(len(arr), bool)
    parsed = [None if v is None or v is pd.NA else parse_bool(v) for v in values.to_numpy(dtype=object)]
    known = np.array([v is not None for v in parsed], dtype=bool)
    true = np.array([v is True for v in parsed], dtype=bool)
    return true, known


def _flags(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per row: (any of ``columns`` true, all of them known); an absent column is unknown."""
    n = len(frame)
    any_true = np.zeros(n, bool)
    all_known = np.ones(n, bool)
    for column in columns:
        if column in frame:
            true, known = _bool(frame[column])
        else:
            true, known = np.zeros(n, bool), np.zeros(n, bool)
        any_true |= true
        all_known &= known
    return any_true, all_known


def normalise_grade(value) -> str | None:
    """``"C类"``, ``"c"`` → ``"C"``; blank → None; anything else is kept (upper-cased)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().upper()
    if not text or text in ("NAN", "NONE", "<NA>"):
        return None
    m = _GRADE.search(text)
    return m.group(0) if m else text


def _grades(frame: pd.DataFrame) -> np.ndarray:
    """Normalised ``transferee_grade`` per row (None where missing or the column is absent)."""
    if "transferee_grade" not in frame:
        return np.full(len(frame), None, dtype=object)
    return np.array([normalise_grade(v) for v in frame["transferee_grade"].to_numpy(dtype=object)], dtype=object)


def _parts(geoms: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polygon parts of overlay results and their owners, dropping lines, points and crumbs."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.array([], dtype=object), np.array([], dtype=int), np.array([], dtype=float)
    parts, idx = shapely.get_parts(geoms, return_index=True)
    # a GeometryCollection may hold a MultiPolygon: take parts once more
    parts2, idx2 = shapely.get_parts(parts, return_index=True)
    owners = np.asarray(owner)[idx[idx2]]
    polygon = shapely.get_type_id(parts2) == 3
    area = shapely.area(parts2)
    keep = polygon & (area >= NOISE_M2)
    return parts2[keep], owners[keep], area[keep]


def _rows_or_absent(pack: Pack, rule_id: str, *, subject: str, subject_id, parcel_id, lang: str, build: Callable[[Rule], pd.DataFrame]) -> pd.DataFrame:
    rule = pack.rule(rule_id)
    if rule is None:
        return not_in_policy(rule_id, pack.id, subject=subject, subject_id=subject_id, parcel_id=parcel_id, lang=lang)
    return build(rule)


def _join(items: Sequence[str], lang: str, limit: int = 12) -> str:
    items = list(items)
    sep = "、" if lang == "zh" else ", "
    shown = sep.join(items[:limit])
    if len(items) > limit:
        shown += f"{sep}…（共 {len(items)} 项）" if lang == "zh" else f"{sep}… ({len(items)} in all)"
    return shown or "—"


def _m2(value: float) -> str:
    return f"{value:,.2f}"


def _status_by(verdicts: pd.DataFrame, pack: Pack, key: str) -> pd.Series:
    """Worst status per ``key`` column over the requirement (non-info) verdicts."""
    if verdicts.empty:
        return pd.Series(dtype=object)
    kinds = verdicts["rule"].map(lambda r: pack.rules[r].kind if r in pack.rules else "requirement")
    counted = verdicts[kinds != "info"]
    return counted.groupby(key)["status"].agg(worst_status)


# --------------------------------------------------------------------------- shared boundaries


def shared_boundary_length(a, b, *, snap_tolerance: float) -> np.ndarray:
    """Length (m) of boundary shared by polygons ``a[i]`` and ``b[i]``, after snapping.

    ``a`` is snapped to ``b``, then ``b`` to the snapped ``a`` (GEOS snapping moves
    vertices onto vertices within the tolerance and inserts the other side's vertices
    into segments within it), so that along a stretch where the two boundaries run
    within ``snap_tolerance`` of each other both carry the same vertices; the shared
    length is the length of the intersection of the two boundaries. The same is done
    the other way round, and the exact intersection of the unsnapped boundaries is
    measured too; the longest of the three is returned, because GEOS snapping can bend
    an edge that was already shared exactly (a vertex inserted next to a segment's end:
    seen on NYC MapPLUTO lots). A contact at a single point (a corner) has length 0; a
    centimetre digitising gap or overlap is bridged; a wider gap is not. Exactly shared
    edges measure exactly; the result never exceeds the length of ``a``'s boundary
    within ``snap_tolerance`` of ``b``.
    """
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    if len(a) == 0:
        return np.zeros(0)
    exact = shapely.length(shapely.intersection(shapely.boundary(a), shapely.boundary(b)))
    if snap_tolerance <= 0:
        return np.asarray(exact, dtype=float)
    a1 = shapely.snap(a, b, snap_tolerance)
    ab = shapely.length(shapely.intersection(shapely.boundary(a1), shapely.boundary(shapely.snap(b, a1, snap_tolerance))))
    b1 = shapely.snap(b, a, snap_tolerance)
    ba = shapely.length(shapely.intersection(shapely.boundary(shapely.snap(a, b1, snap_tolerance)), shapely.boundary(b1)))
    return np.asarray(np.maximum.reduce([exact, ab, ba]), dtype=float)


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (the smallest member index) of each of ``n`` nodes, given edges.

    A small union-find: scipy is not a dependency, and merge groups are small.
    """
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in zip(np.asarray(left, int), np.asarray(right, int), strict=True):
        ri, rj = find(int(i)), find(int(j))
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([find(i) for i in range(n)], dtype=int)


# --------------------------------------------------------------------------- split: explanations

SPLIT_EXPLAIN = {
    **COMMON,
    "in_production": {"zh": "原宗地已竣工投产", "en": "the parcel is completed and in production"},
    "not_in_production": {"zh": "原宗地未竣工投产，不得分割", "en": "the parcel is not completed and in production: it may not be split"},
    "in_production_missing": {"zh": "缺少是否已竣工投产（in_production）", "en": "in_production is missing"},
    "partition_pass": {
        "zh": "各分割宗地恰好拼成原宗地（{tolerated_n} 处不超过 {limit} 平方米的细小缝隙、重叠或超出，合计 {tolerated_m2} 平方米，视为数字化误差）",
        "en": "the pieces cover the parent exactly (gaps, overlaps or slivers of at most {limit} m² each: {tolerated_n}, {tolerated_m2} m² in all, taken as digitising noise)",
    },
    "partition_fail": {
        "zh": "各分割宗地未恰好拼成原宗地：超过 {limit} 平方米的缝隙 {gap_m2} 平方米、重叠 {overlap_m2} 平方米、超出原宗地 {outside_m2} 平方米，合计 {value} 平方米（{offending_n} 处，见 issues）",
        "en": "the pieces do not cover the parent exactly: gaps {gap_m2} m², overlaps {overlap_m2} m² and parts outside the parent {outside_m2} m² larger than {limit} m² each, {value} m² in all (findings: {offending_n}, see issues)",
    },
    "pieces_pass": {"zh": "分割为 {value} 宗，不超过 {limit} 宗", "en": "number of pieces {value}, within the limit of {limit}"},
    "pieces_fail": {"zh": "分割为 {value} 宗，超过 {limit} 宗", "en": "number of pieces {value}, more than the limit of {limit}"},
    "pieces_exempt": {
        "zh": "工业地产项目，分割数量不受 {limit} 宗限制（分割为 {value} 宗）",
        "en": "industrial real estate: exempt from the limit of {limit} pieces (number of pieces {value})",
    },
    "pieces_exempt_missing": {
        "zh": "分割为 {value} 宗，超过 {limit} 宗；缺少 {exempt_fields}，无法判断是否属工业地产（豁免）",
        "en": "number of pieces {value}, more than {limit}; {exempt_fields} missing, so the industrial-real-estate exemption cannot be assessed",
    },
    "area_pass": {"zh": "分割宗地面积 {value} 平方米（{area_mu} 亩）≥ {limit} 平方米（{limit_mu} 亩）", "en": "piece area {value} m² ({area_mu} mu) is at least {limit} m² ({limit_mu} mu)"},
    "area_fail": {"zh": "分割宗地面积 {value} 平方米（{area_mu} 亩）< {limit} 平方米（{limit_mu} 亩）", "en": "piece area {value} m² ({area_mu} mu) is below {limit} m² ({limit_mu} mu)"},
    "piece_no_geometry": {"zh": "分割宗地图形为空或无效，无法计算面积", "en": "the piece has no usable geometry: its area cannot be measured"},
    "no_buildings": {"zh": "未提供房屋（幢）图层，无法检查是否以幢为最小分割单位", "en": "no buildings layer given: cannot check that no building is cut"},
    "buildings_none": {"zh": "原宗地上无房屋", "en": "no building on the parcel"},
    "buildings_pass": {
        "zh": "{n_buildings} 幢房屋均完整落在一宗分割宗地内（落在其他部分的面积最大 {value} 平方米 ≤ {limit} 平方米）{tolerated}",
        "en": "every building on the parcel ({n_buildings}) lies whole in one piece (at most {value} m² outside the piece holding most of it, within {limit} m²){tolerated}",
    },
    "buildings_fail": {
        "zh": "{n_cut} 幢房屋被分割线切分（落在主要所在宗地以外的面积超过 {limit} 平方米）：{cut_list}",
        "en": "buildings cut by a piece boundary: {n_cut} (more than {limit} m² outside the piece holding most of it): {cut_list}",
    },
    "no_facility_layer": {
        "zh": "未提供配套用地图层（--facility-land），无法检查",
        "en": "no facility-land layer given (--facility-land): cannot be checked",
    },
    "facility_none": {"zh": "原宗地内无行政办公及生活服务配套用地", "en": "no admin-office or living-service facility land on the parcel"},
    "facility_pass": {
        "zh": "配套用地 {facility_m2} 平方米整体留在分割宗地 {main_piece} 内（落在其他宗地 {value} 平方米 ≤ {limit} 平方米），且该宗地含其他用地",
        "en": "the facility land ({facility_m2} m²) stays whole in piece {main_piece} ({value} m² elsewhere, within {limit} m²), which holds other land too",
    },
    "facility_divided": {
        "zh": "配套用地 {facility_m2} 平方米被分到多宗分割宗地：主要所在宗地 {main_piece} 以外 {value} 平方米 > {limit} 平方米{own_note}",
        "en": "the facility land ({facility_m2} m²) is divided among pieces: {value} m² lies outside piece {main_piece}, more than {limit} m²{own_note}",
    },
    "facility_own_piece": {
        "zh": "配套用地单独成宗（分割宗地 {own_pieces} 除配套用地外不超过 {limit} 平方米），与整宗地分割转让",
        "en": "the facility land forms a piece of its own ({own_pieces}: at most {limit} m² besides facility land), split off from the whole",
    },
    "resplit_pass": {"zh": "原宗地非分割、合并或零星地块协议出让形成", "en": "the parcel was not formed by a split, a merge or a fringe-land sale"},
    "resplit_fail": {"zh": "原宗地由{origins_zh}形成，不得再分割转让", "en": "the parcel was formed by {origins_en}: it may not be split again"},
    "resplit_discretionary": {
        "zh": "原宗地为零星地块协议出让形成，原则上不允许分割转让{note}",
        "en": "the parcel is fringe land sold by agreement, which in principle may not be split{note}",
    },
    "resplit_missing": {"zh": "缺少 {missing_fields}，无法判断原宗地来源", "en": "{missing_fields} missing: the parcel's origin cannot be assessed"},
    "standard_land": {
        "zh": "原宗地按“标准地”出让：受让方应按原“标准地”各项指标要求投资建设（标记随分割宗地传递）",
        "en": "the parcel was supplied as 标准地: the transferee inherits its indicators (flag carried to the pieces)",
    },
    "not_standard_land": {"zh": "原宗地非“标准地”出让，不适用", "en": "the parcel was not supplied as 标准地: does not apply"},
    "standard_land_missing": {"zh": "缺少是否标准地（standard_land）", "en": "standard_land is missing"},
}

TRANSFEREE_EXPLAIN = {
    **COMMON,
    "pass": {"zh": "受让方上一年度亩均评价等级：{grades}，不属 {excluded} 类{compliance}", "en": "transferee grades last year: {grades}, none of {excluded}{compliance}"},
    "fail": {"zh": "受让方上一年度亩均评价为 {bad} 类，不得受让（{grades}）{compliance}", "en": "a transferee was graded {bad} last year and may not receive the land ({grades}){compliance}"},
    "missing": {"zh": "缺少受让方亩均评价等级（transferee_grade）：{grades}{compliance}", "en": "transferee_grade missing: {grades}{compliance}"},
}

COMPLIANCE_NOTE = {
    "zh": "；能耗、环保、质量、安全等合规情况无输入数据，未检查",
    "en": "; energy, environment, quality and safety compliance have no input data and are not checked",
}

ORIGINS = {
    "from_split": ("分割", "a split"),
    "from_merge": ("合并", "a merge"),
    "from_fringe": ("零星地块协议出让", "a fringe-land sale"),
}


def _transferee_verdicts(rule: Rule, pack_id: str, *, subject: str, subject_id, parcel_id, grades: list[list[tuple[str, str | None]]], lang: str) -> pd.DataFrame:
    """``transfer.transferee``: per subject, the (label, grade) of each transferee."""
    excluded = [str(g).upper() for g in rule.value("excluded_grades", ["C", "D"])]
    status, reason, listed, bad_list = [], [], [], []
    for items in grades:
        bad = sorted({g for _, g in items if g in excluded})
        missing = [label for label, g in items if g is None]
        shown = [f"{label}: {g or '—'}" if label else (g or "—") for label, g in items]
        listed.append(_join(shown, lang))
        bad_list.append("/".join(bad))
        if bad:
            status.append("fail")
            reason.append("fail")
        elif missing or not items:
            status.append("insufficient_data")
            reason.append("missing")
        else:
            status.append("pass")
            reason.append("pass")
    compliance = COMPLIANCE_NOTE[lang] if rule.value("compliance_required") else ""
    return verdict_frame(
        rule,
        pack_id,
        subject=subject,
        subject_id=subject_id,
        parcel_id=parcel_id,
        status=status,
        reason=reason,
        explain=TRANSFEREE_EXPLAIN,
        lang=lang,
        unit="",
        extra={"grades": listed, "bad": bad_list, "excluded": "/".join(excluded), "compliance": compliance},
    )


# --------------------------------------------------------------------------- split


def check_split(
    pieces: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    pack: Pack,
    *,
    lang: str,
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
        ``issues`` has the columns of the ``issues`` layer: the gaps, overlaps and parts
        outside the parent (``split_gap``, ``split_overlap``, ``split_outside``), the cut
        buildings and facility land (``building_cut``, ``facility_cut``), pieces naming
        an unknown parcel and unusable piece geometry — tolerated findings included,
        with the verdict they led to in ``detail``.
    """
    crs = parcels.crs
    pieces = _same_crs(pieces, parcels, "split_plan").reset_index(drop=True)
    n = len(pieces)
    fid = _source_fid(pieces)
    parent = _text_ids(pieces["parcel_id"] if "parcel_id" in pieces else None, n, ["—"] * n)
    piece_id = _text_ids(pieces["piece_id"] if "piece_id" in pieces else None, n, [f"#{f}" for f in fid])
    issues: list[gpd.GeoDataFrame] = []

    # piece ids must be unique within a parent for the verdicts to be addressable
    dup = pd.Series(list(zip(parent, piece_id, strict=True))).duplicated(keep="first").to_numpy()
    if dup.any():
        issues.append(_issues(crs, "split_plan", piece_id[dup], fid[dup], "duplicate_id", [f"piece_id {p} repeated in parcel {q}: renamed {p}#{f}" for p, q, f in zip(piece_id[dup], parent[dup], fid[dup], strict=True)], np.nan, None))
        piece_id = np.where(dup, [f"{p}#{f}" for p, f in zip(piece_id, fid, strict=True)], piece_id).astype(object)

    geoms, usable, repaired = _clean(pieces.geometry.to_numpy())
    if repaired.any():
        issues.append(_issues(crs, "split_plan", piece_id[repaired], fid[repaired], "repaired_geometry", "invalid piece geometry repaired (make_valid)", np.nan, pieces.geometry.to_numpy()[repaired]))
    if (~usable).any():
        issues.append(_issues(crs, "split_plan", piece_id[~usable], fid[~usable], "empty_geometry", "piece without usable polygon geometry: area not measured", np.nan, None))

    pid_pos = pd.Series(np.arange(len(parcels)), index=parcels["parcel_id"].astype(str).to_numpy())
    parent_pos = pd.Series(parent).map(pid_pos).fillna(-1).astype(int).to_numpy()
    unknown = parent_pos < 0
    if unknown.any():
        issues.append(_issues(crs, "split_plan", piece_id[unknown], fid[unknown], "unknown_parcel", [f"parent parcel_id {p} not among the parcels: the split cannot be checked against it" for p in parent[unknown]], np.nan, None))

    area = np.full(n, np.nan)
    area[usable] = shapely.area(geoms[usable])

    # plans: one per parent, in order of appearance
    plan_ids = pd.unique(pd.Series(parent, dtype=object)).astype(object)
    m = len(plan_ids)
    plan_index = pd.Series(np.arange(m), index=plan_ids)
    piece_plan = plan_index.loc[parent].to_numpy()
    plan_pos = pd.Series(plan_ids).map(pid_pos).fillna(-1).astype(int).to_numpy()
    known = plan_pos >= 0
    n_pieces = np.bincount(piece_plan, minlength=m)
    n_usable = np.bincount(piece_plan, weights=usable.astype(float), minlength=m).astype(int)
    attrs = parcels.reset_index(drop=True)
    parent_rows = pd.DataFrame({c: _take(attrs[c], plan_pos) for c in attrs.columns if c != attrs.geometry.name})
    parent_geom = np.where(known, attrs.geometry.to_numpy()[np.maximum(plan_pos, 0)], None)

    ctx = _SplitContext(
        pack=pack, lang=lang, crs=crs, plan_ids=plan_ids, known=known, n_pieces=n_pieces, n_usable=n_usable,
        parent_rows=parent_rows, parent_geom=parent_geom, piece_plan=piece_plan, piece_id=piece_id, fid=fid,
        geoms=geoms, usable=usable & ~unknown, issues=issues,
    )
    builders = {
        "split.in_production": ctx.in_production,
        "split.partition": ctx.partition,
        "split.max_pieces": ctx.max_pieces,
        "split.building_integrity": lambda rule: ctx.building_integrity(rule, buildings),
        "split.facility_land": lambda rule: ctx.facility_land(rule, facility_land),
        "split.no_resplit": ctx.no_resplit,
        "transfer.transferee": lambda rule: _transferee_verdicts(
            rule, pack.id, subject="split_plan", subject_id=plan_ids, parcel_id=plan_ids, lang=lang,
            grades=_piece_grades(pieces, piece_plan, piece_id, m),
        ),
        "transfer.standard_land": ctx.standard_land,
    }
    parts = [
        _rows_or_absent(pack, rule_id, subject="split_plan", subject_id=plan_ids, parcel_id=plan_ids, lang=lang, build=builders[rule_id])
        for rule_id in SPLIT_PLAN_RULES
    ] if m else []

    def min_area(rule: Rule) -> pd.DataFrame:
        spec = rule["min_piece_area_mu"]
        limit = np.round(mu_to_m2(spec.number), AREA_DECIMALS)
        ok = compare(area, spec.op or ">=", limit, decimals=AREA_DECIMALS)
        status = np.where(~usable, "insufficient_data", np.where(ok, "pass", "fail"))
        reason = np.where(~usable, "piece_no_geometry", np.where(ok, "area_pass", "area_fail"))
        value = np.round(area, AREA_DECIMALS)
        return verdict_frame(
            rule, pack.id, subject="split_piece", subject_id=piece_id, parcel_id=parent, status=status, reason=reason,
            explain=SPLIT_EXPLAIN, lang=lang, value=value, limit=limit, unit="m2",
            extra={"area_mu": np.round(area / M2_PER_MU, 4), "limit_mu": spec.number, "headroom": np.round(value - limit, AREA_DECIMALS)},
        )

    if n:
        parts.append(_rows_or_absent(pack, "split.min_piece_area", subject="split_piece", subject_id=piece_id, parcel_id=parent, lang=lang, build=min_area))
    verdicts = pd.concat(parts, ignore_index=True) if parts else not_in_policy("split.partition", pack.id, subject="split_plan", subject_id=[], parcel_id=[], lang=lang)

    # the split_pieces layer
    layer = pd.DataFrame({"piece_id": piece_id, "parcel_id": parent, "source_fid": fid})
    if "transferee_grade" in pieces:
        layer["transferee_grade"] = pd.Series(_grades(pieces), dtype=object)
    layer["area_m2"] = np.round(area, AREA_DECIMALS)
    layer["area_mu"] = np.round(area / M2_PER_MU, 4)
    on_piece = verdicts[verdicts["subject"] == "split_piece"]
    # piece verdicts come in piece order (piece ids may repeat across parents)
    layer["status_min_piece_area"] = on_piece["status"].to_numpy() if len(on_piece) == n else "not_applicable"
    plan_status = _status_by(verdicts[verdicts["subject"] == "split_plan"], pack, "subject_id")
    layer["status_plan"] = pd.Series(parent).map(plan_status).fillna("not_applicable").to_numpy()
    std_true, _ = _flags(parent_rows, ["standard_land"])
    layer["standard_land"] = std_true[piece_plan]
    layer["status"] = [worst_status(pd.Series([a, b])) for a, b in zip(layer["status_min_piece_area"], layer["status_plan"], strict=True)]
    out = gpd.GeoDataFrame(layer, geometry=gpd.GeoSeries(np.where(usable, geoms, None), crs=crs), crs=crs)
    return verdicts, out, _concat_issues(issues, crs)


def _piece_grades(pieces: pd.DataFrame, piece_plan: np.ndarray, piece_id: np.ndarray, m: int) -> list[list[tuple[str, str | None]]]:
    grades = _grades(pieces)
    out: list[list[tuple[str, str | None]]] = [[] for _ in range(m)]
    for plan, pid, grade in zip(piece_plan, piece_id, grades, strict=True):
        out[plan].append((str(pid), grade))
    return out


class _SplitContext:
    """The per-plan arrays shared by the split rules (one method per rule)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.m = len(self.plan_ids)

    # -- small helpers
    def _frame(self, rule: Rule, status, reason, *, value=np.nan, limit=np.nan, unit="", extra=None) -> pd.DataFrame:
        return verdict_frame(
            rule, self.pack.id, subject="split_plan", subject_id=self.plan_ids, parcel_id=self.plan_ids, status=status,
            reason=reason, explain=SPLIT_EXPLAIN, lang=self.lang, value=value, limit=limit, unit=unit, extra=extra,
        )

    def _piece_arrays(self):
        """Usable pieces of known parents: (positions, plan index, geometries)."""
        idx = np.flatnonzero(self.usable)
        return idx, self.piece_plan[idx], self.geoms[idx]

    # -- rules
    def in_production(self, rule: Rule) -> pd.DataFrame:
        true, known = _flags(self.parent_rows, ["in_production"])
        conditions = [~self.known, ~known, true]
        status = np.select(conditions, ["insufficient_data", "insufficient_data", "pass"], "fail")
        reason = np.select(conditions, ["unknown_parcel", "in_production_missing", "in_production"], "not_in_production")
        return self._frame(rule, status, reason)

    def standard_land(self, rule: Rule) -> pd.DataFrame:
        true, known = _flags(self.parent_rows, ["standard_land"])
        conditions = [~self.known, ~known, true]
        status = np.select(conditions, ["insufficient_data", "insufficient_data", "pass"], "not_applicable")
        reason = np.select(conditions, ["unknown_parcel", "standard_land_missing", "standard_land"], "not_standard_land")
        return self._frame(rule, status, reason)

    def no_resplit(self, rule: Rule) -> pd.DataFrame:
        blocked = [str(o) for o in rule.value("blocked_origins", ["from_split", "from_merge", "from_fringe"])]
        soft = {str(o) for o in rule.value("discretionary_origins", [])}
        flags = {c: _flags(self.parent_rows, [c]) for c in blocked}
        hard = np.zeros(self.m, bool)
        soft_true = np.zeros(self.m, bool)
        all_known = np.ones(self.m, bool)
        for c, (true, known) in flags.items():
            if c in soft:
                soft_true |= true
            else:
                hard |= true
            all_known &= known
        origins_zh, origins_en, missing = [], [], []
        for i in range(self.m):
            hits = [c for c in blocked if c not in soft and flags[c][0][i]]
            origins_zh.append("、".join(ORIGINS.get(c, (c, c))[0] for c in hits) or "—")
            origins_en.append(" / ".join(ORIGINS.get(c, (c, c))[1] for c in hits) or "—")
            missing.append(", ".join(c for c in blocked if not flags[c][1][i]) or "—")
        conditions = [~self.known, hard, soft_true, ~all_known]
        status = np.select(conditions, ["insufficient_data", "fail", "fail", "insufficient_data"], "pass")
        reason = np.select(conditions, ["unknown_parcel", "resplit_fail", "resplit_discretionary", "resplit_missing"], "resplit_pass")
        return self._frame(
            rule, status, reason,
            extra={"origins_zh": origins_zh, "origins_en": origins_en, "missing_fields": missing, "note": DISCRETION[self.lang]},
        )

    def max_pieces(self, rule: Rule) -> pd.DataFrame:
        spec = rule["max_pieces"]
        exempt_cols = [str(c) for c in rule.value("exempt", [])]
        exempt, exempt_known = _flags(self.parent_rows, exempt_cols) if exempt_cols else (np.zeros(self.m, bool), np.ones(self.m, bool))
        count = self.n_pieces.astype(float)
        ok = compare(count, spec.op or "<=", spec.number, decimals=0)
        conditions = [ok, self.known & exempt, ~self.known, ~exempt_known]
        status = np.select(conditions, ["pass", "pass", "insufficient_data", "insufficient_data"], "fail")
        reason = np.select(conditions, ["pieces_pass", "pieces_exempt", "unknown_parcel", "pieces_exempt_missing"], "pieces_fail")
        headroom = np.where(self.known & exempt, np.nan, spec.number - count)
        return self._frame(
            rule, status, reason, value=count, limit=spec.number, unit="count",
            extra={"exempt_fields": ", ".join(exempt_cols) or "—", "headroom": headroom},
        )

    def partition(self, rule: Rule) -> pd.DataFrame:
        spec = rule["partition_tolerance_m2"]
        tol = spec.number
        idx, plan, geoms = self._piece_arrays()
        has = np.bincount(plan, minlength=self.m) > 0
        plans_with = np.flatnonzero(has & self.known)
        found_geom, found_plan, found_area, found_kind, found_id, found_fid = [], [], [], [], [], []
        if len(plans_with):
            unions = pd.Series(list(geoms)).groupby(plan).agg(lambda g: shapely.union_all(g.to_numpy()))
            union = np.asarray(unions.reindex(plans_with).to_numpy(), dtype=object)
            pgeom = np.asarray(self.parent_geom[plans_with], dtype=object)
            for kind, result in (("gap", shapely.difference(pgeom, union)), ("outside", shapely.difference(union, pgeom))):
                g, owner, a = _parts(result, plans_with)
                found_geom.append(g), found_plan.append(owner), found_area.append(a)
                found_kind.append(np.full(len(g), kind, dtype=object))
                found_id.append(self.plan_ids[owner]), found_fid.append(np.full(len(g), None, dtype=object))
            # overlaps: pairs of pieces of one parent whose interiors intersect (STRtree, no all-pairs loop)
            tree = shapely.STRtree(geoms)
            left, right = tree.query(geoms, predicate="intersects")
            keep = (left < right) & (plan[left] == plan[right])
            left, right = left[keep], right[keep]
            inter = shapely.intersection(geoms[left], geoms[right])
            g, pair, a = _parts(inter, np.arange(len(left)))
            found_geom.append(g), found_plan.append(plan[left[pair]]), found_area.append(a)
            found_kind.append(np.full(len(g), "overlap", dtype=object))
            found_id.append(np.array([f"{self.piece_id[idx[left[p]]]}|{self.piece_id[idx[right[p]]]}" for p in pair], dtype=object))
            found_fid.append(self.fid[idx[left[pair]]])
        if found_geom:
            f_geom = np.concatenate(found_geom)
            f_plan = np.concatenate(found_plan).astype(int)
            f_area = np.concatenate(found_area)
            f_kind = np.concatenate(found_kind)
            f_id = np.concatenate(found_id)
            f_fid = np.concatenate(found_fid)
        else:
            f_geom, f_plan, f_area = np.array([], dtype=object), np.array([], dtype=int), np.array([])
            f_kind = f_id = f_fid = np.array([], dtype=object)
        tolerated = compare(f_area, spec.op or "<=", tol, decimals=AREA_DECIMALS)
        if len(f_geom):
            words = {"gap": "gap between the pieces", "overlap": "overlap of pieces", "outside": "part of the pieces outside the parent"}
            detail = [
                f"{words[k]} of parcel {self.plan_ids[p]}: {_m2(a)} m² " + ("≤ tolerance: digitising noise" if t else f"> tolerance {tol:g} m²: split.partition fails")
                for k, p, a, t in zip(f_kind, f_plan, f_area, tolerated, strict=True)
            ]
            self.issues.append(_issues(self.crs, "split_plan", f_id, f_fid, np.array([f"split_{k}" for k in f_kind], dtype=object), detail, np.round(f_area, AREA_DECIMALS), f_geom))

        def per_plan(mask):
            return np.bincount(f_plan[mask], weights=f_area[mask], minlength=self.m) if len(f_plan) else np.zeros(self.m)

        bad = ~tolerated
        offending = per_plan(bad)
        by_kind = {k: per_plan(bad & (f_kind == k)) for k in ("gap", "overlap", "outside")}
        offending_n = np.bincount(f_plan[bad], minlength=self.m) if len(f_plan) else np.zeros(self.m, int)
        tolerated_n = np.bincount(f_plan[tolerated], minlength=self.m) if len(f_plan) else np.zeros(self.m, int)
        conditions = [~self.known, ~has, offending_n > 0]
        status = np.select(conditions, ["insufficient_data", "insufficient_data", "fail"], "pass")
        reason = np.select(conditions, ["unknown_parcel", "no_geometry", "partition_fail"], "partition_pass")
        return self._frame(
            rule, status, reason, value=np.where(self.known & has, np.round(offending, AREA_DECIMALS), np.nan), limit=tol, unit="m2",
            extra={
                "gap_m2": np.round(by_kind["gap"], AREA_DECIMALS),
                "overlap_m2": np.round(by_kind["overlap"], AREA_DECIMALS),
                "outside_m2": np.round(by_kind["outside"], AREA_DECIMALS),
                "offending_n": offending_n,
                "tolerated_n": tolerated_n,
                "tolerated_m2": np.round(per_plan(tolerated), AREA_DECIMALS),
            },
        )

    def building_integrity(self, rule: Rule, buildings: gpd.GeoDataFrame | None) -> pd.DataFrame:
        spec = rule["building_cut_tolerance_m2"]
        tol = spec.number
        idx, plan, geoms = self._piece_arrays()
        has = np.bincount(plan, minlength=self.m) > 0
        max_cut = np.zeros(self.m)
        n_buildings = np.zeros(self.m, int)
        n_cut = np.zeros(self.m, int)
        cut_list = [""] * self.m
        tolerated_txt = [""] * self.m
        if buildings is not None and len(buildings) and has.any():
            b = _same_crs(buildings, _CRSHolder(self.crs), "buildings").reset_index(drop=True)
            bgeom, busable, _ = _clean(b.geometry.to_numpy())
            bid = _text_ids(b["building_id"] if "building_id" in b else None, len(b), [f"#{f}" for f in _source_fid(b)])
            bfid = _source_fid(b)
            bi_all = np.flatnonzero(busable)
            bg = bgeom[bi_all]
            plans_with = np.flatnonzero(has & self.known)
            ptree = shapely.STRtree(np.asarray(self.parent_geom[plans_with], dtype=object))
            bq, pq = ptree.query(bg, predicate="intersects")
            pq = plans_with[pq]
            on_parent_geom = shapely.intersection(bg[bq], np.asarray(self.parent_geom[pq], dtype=object))
            on_parent = shapely.area(on_parent_geom)
            keep = on_parent >= NOISE_M2
            bq, pq, on_parent_geom, on_parent = bq[keep], pq[keep], on_parent_geom[keep], on_parent[keep]
            # the piece (of the same parent) holding most of each building
            stree = shapely.STRtree(geoms)
            bs, ss = stree.query(bg, predicate="intersects")
            overlap = shapely.area(shapely.intersection(bg[bs], geoms[ss]))
            held = pd.DataFrame({"b": bs, "plan": plan[ss], "piece": ss, "area": overlap})
            held = held[held["area"] > 0]
            best = held.loc[held.groupby(["b", "plan"])["area"].idxmax()] if len(held) else held
            rows = pd.DataFrame({"b": bq, "plan": pq, "on_parent": on_parent, "k": np.arange(len(bq))})
            rows = rows.merge(best, on=["b", "plan"], how="left")
            rows["area"] = rows["area"].fillna(0.0)
            rows["cut"] = np.maximum(rows["on_parent"] - rows["area"], 0.0)
            rows = rows.sort_values("k")
            cut_rows = rows[rows["cut"] >= NOISE_M2]
            if len(cut_rows):
                main = np.asarray([geoms[int(p)] if not np.isnan(p) else None for p in cut_rows["piece"]], dtype=object)
                base = on_parent_geom[cut_rows["k"].to_numpy()]
                cut_geom = np.where(pd.isna(cut_rows["piece"]).to_numpy(), base, shapely.difference(base, main))
                ok = compare(cut_rows["cut"].to_numpy(), spec.op or "<=", tol, decimals=AREA_DECIMALS)
                ids = bid[bi_all[cut_rows["b"].to_numpy()]]
                detail = [
                    f"building {i} on parcel {self.plan_ids[p]}: {_m2(c)} m² outside the piece holding most of it " + ("≤ tolerance" if o else f"> tolerance {tol:g} m²: cut")
                    for i, p, c, o in zip(ids, cut_rows["plan"], cut_rows["cut"], ok, strict=True)
                ]
                self.issues.append(_issues(self.crs, "buildings", ids, bfid[bi_all[cut_rows["b"].to_numpy()]], "building_cut", detail, np.round(cut_rows["cut"].to_numpy(), AREA_DECIMALS), cut_geom))
                cut_rows = cut_rows.assign(ok=ok, bid=ids)
                for p, grp in cut_rows.groupby("plan"):
                    over = grp[~grp["ok"]]
                    n_cut[p] = len(over)
                    cut_list[p] = _join([f"{i} {_m2(c)} m²" if self.lang == "en" else f"{i} {_m2(c)} 平方米" for i, c in zip(over["bid"], over["cut"], strict=True)], self.lang)
                    small = grp[grp["ok"]]
                    if len(small):
                        tolerated_txt[p] = (
                            f"；{len(small)} 幢有不超过容差的细小越界" if self.lang == "zh" else f"; {len(small)} with a tolerated sliver"
                        )
            if len(rows):
                agg = rows.groupby("plan")["cut"].max()
                max_cut[agg.index.to_numpy(int)] = agg.to_numpy()
                counts = rows.groupby("plan")["b"].nunique()
                n_buildings[counts.index.to_numpy(int)] = counts.to_numpy()
        ok = compare(max_cut, spec.op or "<=", tol, decimals=AREA_DECIMALS)
        conditions = [~self.known, ~has, np.full(self.m, buildings is None), n_buildings == 0, ok]
        status = np.select(conditions, ["insufficient_data", "insufficient_data", "insufficient_data", "pass", "pass"], "fail")
        reason = np.select(conditions, ["unknown_parcel", "no_geometry", "no_buildings", "buildings_none", "buildings_pass"], "buildings_fail")
        value = np.where((status == "pass") | (status == "fail"), np.round(max_cut, AREA_DECIMALS), np.nan)
        return self._frame(
            rule, status, reason, value=value, limit=tol, unit="m2",
            extra={"n_buildings": n_buildings, "n_cut": n_cut, "cut_list": cut_list, "tolerated": tolerated_txt, "headroom": np.round(tol - value, AREA_DECIMALS)},
        )

    def facility_land(self, rule: Rule, facility: gpd.GeoDataFrame | None) -> pd.DataFrame:
        spec = rule["facility_cut_tolerance_m2"]
        tol = spec.number
        idx, plan, geoms = self._piece_arrays()
        has = np.bincount(plan, minlength=self.m) > 0
        facility_m2 = np.zeros(self.m)
        outside = np.zeros(self.m)
        main_piece = ["—"] * self.m
        own_pieces = [""] * self.m
        if facility is not None and len(facility) and has.any():
            f = _same_crs(facility, _CRSHolder(self.crs), "facility_land").reset_index(drop=True)
            fgeom, fusable, _ = _clean(f.geometry.to_numpy())
            fi_all = np.flatnonzero(fusable)
            fg = fgeom[fi_all]
            named = _text_ids(f["parcel_id"] if "parcel_id" in f else None, len(f), [None] * len(f))[fi_all]
            plans_with = np.flatnonzero(has & self.known)
            ptree = shapely.STRtree(np.asarray(self.parent_geom[plans_with], dtype=object))
            fq, pq = ptree.query(fg, predicate="intersects")
            pq = plans_with[pq]
            # a facility naming its parcel counts only there (as in prepare)
            same = pd.isna(named[fq]) | (named[fq] == self.plan_ids[pq])
            fq, pq = fq[same], pq[same]
            inside = shapely.intersection(fg[fq], np.asarray(self.parent_geom[pq], dtype=object))
            keep = shapely.area(inside) >= NOISE_M2
            fq, pq, inside = fq[keep], pq[keep], inside[keep]
            if len(pq):
                per_plan = pd.Series(list(inside)).groupby(pq).agg(lambda g: shapely.union_all(g.to_numpy()))
                fac_plans = per_plan.index.to_numpy(int)
                fac_geom = np.asarray(per_plan.to_numpy(), dtype=object)
                facility_m2[fac_plans] = shapely.area(fac_geom)
                fac_of_plan = dict(zip(fac_plans, fac_geom, strict=True))
                sel = np.isin(plan, fac_plans)
                s_idx = np.flatnonzero(sel)
                s_fac = np.asarray([fac_of_plan[p] for p in plan[sel]], dtype=object)
                in_piece = shapely.area(shapely.intersection(geoms[sel], s_fac)) if len(s_idx) else np.zeros(0)
                piece_area = shapely.area(geoms[sel]) if len(s_idx) else np.zeros(0)
                rows = pd.DataFrame({"plan": plan[sel], "s": s_idx, "fac": in_piece, "other": piece_area - in_piece})
                best = rows.loc[rows.groupby("plan")["fac"].idxmax()]
                for p, s, fac in zip(best["plan"], best["s"], best["fac"], strict=True):
                    outside[p] = max(facility_m2[p] - fac, 0.0)
                    main_piece[p] = str(self.piece_id[idx[s]]) if fac > 0 else "—"
                    if outside[p] >= NOISE_M2:
                        rest = shapely.difference(fac_of_plan[p], geoms[s]) if fac > 0 else fac_of_plan[p]
                        ok = compare(outside[p], spec.op or "<=", tol, decimals=AREA_DECIMALS)
                        self.issues.append(_issues(
                            self.crs, "facility_land", self.plan_ids[p], None, "facility_cut",
                            f"facility land of parcel {self.plan_ids[p]}: {_m2(outside[p])} m² outside piece {main_piece[p]} " + ("≤ tolerance" if ok else f"> tolerance {tol:g} m²: divided"),
                            round(outside[p], AREA_DECIMALS), [rest],
                        ))
                # a piece that is (almost) nothing but facility land: split off from the whole
                rows = rows[rows["fac"] >= NOISE_M2]
                only = rows[compare(rows["other"].to_numpy(), spec.op or "<=", tol, decimals=AREA_DECIMALS)]
                for p, grp in only.groupby("plan"):
                    own_pieces[p] = _join([str(self.piece_id[idx[s]]) for s in grp["s"]], self.lang)
        has_facility = np.round(facility_m2, AREA_DECIMALS) > 0
        divided = ~compare(outside, spec.op or "<=", tol, decimals=AREA_DECIMALS)
        own = np.array([bool(o) for o in own_pieces])
        conditions = [~self.known, ~has, np.full(self.m, facility is None), ~has_facility, own & ~divided, divided]
        status = np.select(conditions, ["insufficient_data", "insufficient_data", "insufficient_data", "not_applicable", "fail", "fail"], "pass")
        reason = np.select(conditions, ["unknown_parcel", "no_geometry", "no_facility_layer", "facility_none", "facility_own_piece", "facility_divided"], "facility_pass")
        own_note = [
            ("" if not o else (f"；且配套用地单独成宗（{o}）" if self.lang == "zh" else f"; and it forms a piece of its own ({o})")) for o in own_pieces
        ]
        value = np.where(has_facility & self.known & has & (facility is not None), np.round(outside, AREA_DECIMALS), np.nan)
        return self._frame(
            rule, status, reason, value=value, limit=tol, unit="m2",
            extra={
                "facility_m2": np.round(facility_m2, AREA_DECIMALS), "main_piece": main_piece, "own_pieces": own_pieces,
                "own_note": own_note, "headroom": np.round(tol - value, AREA_DECIMALS),
            },
        )


class _CRSHolder:
    """Stands in for a layer in :func:`_same_crs` when only the CRS is known."""

    def __init__(self, crs):
        self.crs = crs


# --------------------------------------------------------------------------- merge

MERGE_EXPLAIN = {
    "unknown_members": {
        "zh": "宗地 {unknown} 不在宗地图层中，无法检查",
        "en": "parcel(s) {unknown} not among the parcels: cannot be checked",
    },
    "too_few": {"zh": "合并组只有 {n_known} 宗可用宗地，合并至少需要两宗", "en": "the group has {n_known} usable parcel(s); a merge needs at least two"},
    "adjacent_pass": {
        "zh": "{n_known} 宗地经共有边界连成一片（共有边界 ≥ {min_len} 米才算相邻，先弥合 {snap} 米以内的缝隙）：{pairs}",
        "en": "the {n_known} parcels form one block through shared boundaries (at least {min_len} m of shared boundary counts, gaps up to {snap} m bridged): {pairs}",
    },
    "adjacent_fail": {
        "zh": "{n_known} 宗地未连成一片，分为 {value} 片：{blocks}（共有边界 ≥ {min_len} 米才算相邻，仅一点相接不算）；{pairs}",
        "en": "the {n_known} parcels do not form one block but {value}: {blocks} (at least {min_len} m of shared boundary counts; touching at a corner does not); {pairs}",
    },
    "same_pass": {"zh": "{what_zh}一致：{values}", "en": "{what_en} is the same for all: {values}"},
    "same_fail": {"zh": "{what_zh}不一致：{values}", "en": "{what_en} differs: {values}"},
    "same_missing": {"zh": "缺少{what_zh}（{field}）：{missing}", "en": "{field} missing for {missing}"},
    "term": {
        "zh": "合并后剩余出让年限按最短的 {value} 年统一（宗地 {shortest}，终止日期 {term_end}）：{terms}",
        "en": "the merged parcel's remaining term is the shortest, {value} years (parcel {shortest}, ending {term_end}): {terms}",
    },
    "term_expired": {
        "zh": "宗地 {shortest} 的出让年限已于 {term_end} 届满（剩余 {value} 年）：{terms}",
        "en": "the term of parcel {shortest} ended on {term_end} ({value} years left): {terms}",
    },
    "term_missing": {"zh": "缺少出让年限终止日期（term_end）：{missing}", "en": "term_end missing for {missing}"},
    "no_split_after": {"zh": "合并转让后产权不得分割（标记随合并宗地传递）", "en": "after the merge the title may not be split (flag carried to the merged parcel)"},
}


def check_merge(plan: pd.DataFrame, parcels: gpd.GeoDataFrame, pack: Pack, *, lang: str, as_of: dt.date) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Check a merge plan: verdicts per group and the dissolved ``merge_groups`` layer.

    Parameters
    ----------
    plan
        Rows of ``group_id``, ``parcel_id`` and optionally ``transferee_grade``.
    parcels
        The prepared parcel table.
    as_of
        The date remaining land terms are counted from.
    """
    crs = parcels.crs
    plan = pd.DataFrame(plan).reset_index(drop=True)
    n = len(plan)
    group = _text_ids(plan["group_id"] if "group_id" in plan else None, n, ["—"] * n)
    member = _text_ids(plan["parcel_id"] if "parcel_id" in plan else None, n, ["—"] * n)
    grades = _grades(plan)
    rows = pd.DataFrame({"group": group, "parcel": member, "grade": pd.Series(grades, dtype=object)}).drop_duplicates(["group", "parcel"]).reset_index(drop=True)
    group_ids = pd.unique(pd.Series(rows["group"], dtype=object)).astype(object)
    g = len(group_ids)
    gidx = pd.Series(np.arange(g), index=group_ids)
    rows["g"] = gidx.loc[rows["group"]].to_numpy()
    pid_pos = pd.Series(np.arange(len(parcels)), index=parcels["parcel_id"].astype(str).to_numpy())
    rows["pos"] = rows["parcel"].map(pid_pos).fillna(-1).astype(int)
    known_rows = rows[rows["pos"] >= 0].reset_index(drop=True)
    attrs = parcels.reset_index(drop=True)
    all_geom = attrs.geometry.to_numpy()

    by_group = rows.groupby("g")["parcel"].agg(list)
    members = [by_group.get(i, []) for i in range(g)]
    unknown_by_group = rows[rows["pos"] < 0].groupby("g")["parcel"].agg(list)
    unknown = [unknown_by_group.get(i, []) for i in range(g)]
    n_known = np.bincount(known_rows["g"], minlength=g) if len(known_rows) else np.zeros(g, int)
    has_unknown = np.array([bool(u) for u in unknown])
    unknown_txt = [_join(u, lang) for u in unknown]
    # a group concerns several parcels: its verdicts name them all
    group_parcels = [",".join(m) if m else None for m in members]

    # adjacency: candidate pairs from an STRtree within the snapping tolerance, same group only
    adj_rule = pack.rule("merge.adjacent")
    min_len = float(adj_rule.value("min_shared_length_m", 0.5)) if adj_rule else 0.5
    min_op = adj_rule["min_shared_length_m"].op if adj_rule and "min_shared_length_m" in adj_rule.params else ">="
    snap = float(adj_rule.value("snap_tolerance_m", 0.0)) if adj_rule else 0.0
    mgeom = all_geom[known_rows["pos"].to_numpy()] if len(known_rows) else np.array([], dtype=object)
    if len(mgeom):
        tree = shapely.STRtree(mgeom)
        left, right = tree.query(mgeom, predicate="dwithin", distance=snap) if snap > 0 else tree.query(mgeom, predicate="intersects")
        mg = known_rows["g"].to_numpy()
        keep = (left < right) & (mg[left] == mg[right])
        left, right = left[keep], right[keep]
        length = shared_boundary_length(mgeom[left], mgeom[right], snap_tolerance=snap)
        adjacent = compare(length, min_op or ">=", min_len, decimals=AREA_DECIMALS)
        labels = connected_components(len(mgeom), left[adjacent], right[adjacent])
    else:
        left = right = np.array([], dtype=int)
        length = np.array([])
        adjacent = np.array([], dtype=bool)
        labels = np.array([], dtype=int)
    pair_text: list[list[str]] = [[] for _ in range(g)]
    shared_total = np.zeros(g)
    names = known_rows["parcel"].to_numpy(dtype=object)
    for lft, rgt, ln, ok in zip(left, right, length, adjacent, strict=True):
        gi = int(known_rows["g"].iat[lft])
        tag = "" if ok else ("（不相邻）" if lang == "zh" else " (not adjacent)")
        pair_text[gi].append(f"{names[lft]}–{names[rgt]} {ln:,.2f} {'米' if lang == 'zh' else 'm'}{tag}")
        if ok:
            shared_total[gi] += ln
    blocks = np.zeros(g, int)
    block_text = [""] * g
    for gi in range(g):
        sel = np.flatnonzero(known_rows["g"].to_numpy() == gi) if len(known_rows) else np.array([], dtype=int)
        if len(sel):
            comp = pd.Series(names[sel]).groupby(labels[sel]).agg(list)
            blocks[gi] = len(comp)
            block_text[gi] = " | ".join("{" + ", ".join(map(str, c)) + "}" for c in comp)
    pairs_joined = [_join(p, lang) if p else ("无相邻宗地" if lang == "zh" else "no parcels near each other") for p in pair_text]

    def frame(rule: Rule, status, reason, *, value=np.nan, limit=np.nan, unit="", extra=None):
        return verdict_frame(
            rule, pack.id, subject="merge_group", subject_id=group_ids, parcel_id=group_parcels, status=status, reason=reason,
            explain=MERGE_EXPLAIN, lang=lang, value=value, limit=limit, unit=unit,
            extra={"unknown": unknown_txt, "n_known": n_known, **(extra or {})},
        )

    def adjacent_rule(rule: Rule) -> pd.DataFrame:
        conditions = [has_unknown, n_known < 2, blocks == 1]
        status = np.select(conditions, ["insufficient_data", "insufficient_data", "pass"], "fail")
        reason = np.select(conditions, ["unknown_members", "too_few", "adjacent_pass"], "adjacent_fail")
        value = np.where(n_known >= 2, blocks, np.nan).astype(float)
        return frame(rule, status, reason, value=value, limit=1.0, unit="count",
                     extra={"min_len": min_len, "snap": snap, "pairs": pairs_joined, "blocks": block_text})

    def same_rule(column: str, what: tuple[str, str]) -> Callable[[Rule], pd.DataFrame]:
        def build(rule: Rule) -> pd.DataFrame:
            status, reason, values, missing = [], [], [], []
            col = attrs[column] if column in attrs else pd.Series([None] * len(attrs), dtype=object)
            for gi in range(g):
                sel = known_rows[known_rows["g"] == gi]
                vals = [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or not str(v).strip() else str(v).strip() for v in col.to_numpy(dtype=object)[sel["pos"].to_numpy()]]
                miss = [p for p, v in zip(sel["parcel"], vals, strict=True) if v is None]
                values.append(_join([f"{p}: {v}" for p, v in zip(sel["parcel"], vals, strict=True)], lang) if len(set(vals)) > 1 else (vals[0] if vals and vals[0] else "—"))
                missing.append(_join(miss, lang))
                if has_unknown[gi]:
                    status.append("insufficient_data"), reason.append("unknown_members")
                elif n_known[gi] < 2:
                    status.append("insufficient_data"), reason.append("too_few")
                elif miss:
                    status.append("insufficient_data"), reason.append("same_missing")
                elif len(set(vals)) > 1:
                    status.append("fail"), reason.append("same_fail")
                else:
                    status.append("pass"), reason.append("same_pass")
            return frame(rule, status, reason, extra={"values": values, "missing": missing, "field": column, "what_zh": what[0], "what_en": what[1]})

        return build

    # remaining terms (years from as_of)
    term_end = pd.to_datetime(attrs["term_end"], errors="coerce") if "term_end" in attrs else pd.Series(pd.NaT, index=attrs.index)
    as_of_ts = pd.Timestamp(as_of or dt.date.today())
    years_all = ((term_end - as_of_ts).dt.days / DAYS_PER_YEAR).to_numpy(float)
    term_min = np.full(g, np.nan)
    term_end_min = np.full(g, None, dtype=object)
    shortest = ["—"] * g
    terms_txt = ["—"] * g
    term_missing = [""] * g
    for gi in range(g):
        sel = known_rows[known_rows["g"] == gi]
        yrs = years_all[sel["pos"].to_numpy()]
        ends = term_end.to_numpy()[sel["pos"].to_numpy()]
        unit_word = "年" if lang == "zh" else "years"
        terms_txt[gi] = _join([f"{p} {y:.2f} {unit_word}" if not np.isnan(y) else f"{p} —" for p, y in zip(sel["parcel"], yrs, strict=True)], lang)
        term_missing[gi] = _join([p for p, y in zip(sel["parcel"], yrs, strict=True) if np.isnan(y)], lang)
        if len(yrs) and not np.isnan(yrs).all():
            k = int(np.nanargmin(yrs))
            term_min[gi] = round(float(yrs[k]), 2)
            term_end_min[gi] = pd.Timestamp(ends[k]).date().isoformat()
            shortest[gi] = str(sel["parcel"].iat[k])

    def term_rule(rule: Rule) -> pd.DataFrame:
        missing = np.array([t not in ("", "—") for t in term_missing])
        expired = np.round(term_min, 2) <= 0
        conditions = [has_unknown, missing, expired]
        status = np.select(conditions, ["insufficient_data", "insufficient_data", "pass"], "pass")
        reason = np.select(conditions, ["unknown_members", "term_missing", "term_expired"], "term")
        value = np.where(missing | has_unknown, np.nan, term_min)
        return frame(rule, status, reason, value=value, unit="year",
                     extra={"shortest": shortest, "term_end": [t or "—" for t in term_end_min], "terms": terms_txt, "missing": term_missing})

    def no_split_rule(rule: Rule) -> pd.DataFrame:
        return frame(rule, np.full(g, "pass", dtype=object), np.full(g, "no_split_after", dtype=object))

    def transferee_rule(rule: Rule) -> pd.DataFrame:
        per_group = []
        for gi in range(g):
            distinct = sorted({v for v in rows.loc[rows["g"] == gi, "grade"] if isinstance(v, str)})
            per_group.append([("", v) for v in distinct] if distinct else [("", None)])
        return _transferee_verdicts(rule, pack.id, subject="merge_group", subject_id=group_ids, parcel_id=group_parcels, grades=per_group, lang=lang)

    builders = {
        "merge.adjacent": adjacent_rule,
        "merge.same_ownership": same_rule("ownership", ("权属性质", "ownership (权属性质)")),
        "merge.same_right_type": same_rule("right_type", ("使用权类型", "right type (使用权类型)")),
        "merge.remaining_term": term_rule,
        "merge.no_split_after": no_split_rule,
        "transfer.transferee": transferee_rule,
    }
    parts = [
        _rows_or_absent(pack, rule_id, subject="merge_group", subject_id=group_ids, parcel_id=group_parcels, lang=lang, build=builders[rule_id])
        for rule_id in MERGE_RULES
    ] if g else []
    verdicts = pd.concat(parts, ignore_index=True) if parts else not_in_policy("merge.adjacent", pack.id, subject="merge_group", subject_id=[], parcel_id=[], lang=lang)

    # the merge_groups layer, dissolved
    area_m2 = attrs["area_m2"].to_numpy(float) if "area_m2" in attrs else np.round(shapely.area(all_geom), AREA_DECIMALS)
    geom_out = np.full(g, None, dtype=object)
    area_sum = np.zeros(g)
    for gi in range(g):
        pos = known_rows.loc[known_rows["g"] == gi, "pos"].to_numpy()
        if len(pos):
            geom_out[gi] = shapely.union_all(all_geom[pos])
            area_sum[gi] = area_m2[pos].sum()
    group_status = _status_by(verdicts, pack, "subject_id")

    def attr_text(column: str) -> list[str]:
        if column not in attrs:
            return ["—"] * g
        col = attrs[column].to_numpy(dtype=object)
        out = []
        for gi in range(g):
            vals = sorted({str(v).strip() for v in col[known_rows.loc[known_rows["g"] == gi, "pos"].to_numpy()] if v is not None and v is not pd.NA and not (isinstance(v, float) and np.isnan(v))})
            out.append("/".join(vals) or "—")
        return out

    layer = pd.DataFrame(
        {
            "group_id": group_ids,
            "parcel_ids": [",".join(m) for m in members],
            "n_parcels": [len(m) for m in members],
            "unknown_parcels": [",".join(u) for u in unknown],
            "area_m2": np.round(area_sum, AREA_DECIMALS),
            "area_mu": np.round(area_sum / M2_PER_MU, 4),
            "blocks": blocks,
            "shared_length_m": np.round(shared_total, AREA_DECIMALS),
            "shared_boundaries": ["; ".join(p) for p in pair_text],
            "ownership": attr_text("ownership"),
            "right_type": attr_text("right_type"),
            "remaining_term_years": term_min,
            "term_end_min": term_end_min,
            "transferee_grade": ["/".join(sorted({v for v in rows.loc[rows["g"] == gi, "grade"] if isinstance(v, str)})) or None for gi in range(g)],
            "no_split_after": True,
            "status": pd.Series(group_ids).map(group_status).fillna("not_applicable").to_numpy(),
        }
    )
    return verdicts, gpd.GeoDataFrame(layer, geometry=gpd.GeoSeries(list(geom_out), crs=crs), crs=crs)
