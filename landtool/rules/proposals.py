"""What the proposal checks share: split and merge plans (POLICY.md §2–§3), fringe applications (§1).

A proposal names a handful of subjects — the pieces of a split, the groups of a merge,
fringe applications — against a parcel table that may hold a whole county. Everything
here works on the rows of those subjects only, taken by position (:func:`positions`,
:func:`take_rows`) or found with one spatial-index query (:func:`near`), so that a plan of
k subjects costs time proportional to k, whatever the number of parcels.

Shared here: the CRS check of a proposal layer, ids and source positions, geometry
cleaning, polygon parts of overlay results, shared-boundary length and connected
components (merge adjacency), the transferee rule (``transfer.transferee``, split and
merge), the transferee grade, and the "not in this policy" fallback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from landtool.errors import InputError
from landtool.policy import Pack, Rule
from landtool.prepare import polygonal_part
from landtool.result import worst_status
from landtool.verdicts import declare, not_in_policy, only, verdict_frame

__all__ = [
    "NOISE_M2",
    "clean_polygons",
    "connected_components",
    "grades",
    "near",
    "normalise_grade",
    "polygon_parts",
    "positions",
    "rows_or_absent",
    "same_crs",
    "shared_boundary_length",
    "source_fid",
    "status_by",
    "take_geometry",
    "take_rows",
    "text_ids",
    "transferee_verdicts",
]

#: Areas below this round to 0.00 m² at the registration precision: floating-point
#: crumbs of an overlay, not gaps or overlaps anyone drew.
NOISE_M2 = 0.005
#: A per-mu grade letter inside a text such as "C类".
_GRADE = re.compile(r"[ABCD]")

#: ``transfer.transferee`` (split plans and merge groups): sentences in transfer.yaml.
declare("transfer.transferee", ("eligible", "eligible_grades_only", "excluded_grade", "no_grade"))


# --------------------------------------------------------------------------- layers, ids, rows


def same_crs(layer: gpd.GeoDataFrame, target, label: str) -> gpd.GeoDataFrame:
    """``layer`` in the CRS of ``target`` (a layer or a CRS).

    A layer without a CRS is taken to be in it; a different CRS is an error (areas and
    limits depend on it: reproject first).
    """
    crs = getattr(target, "crs", target)
    if layer.crs is None:
        return layer.set_crs(crs, allow_override=True)
    if crs is not None and not CRS.from_user_input(layer.crs).equals(CRS.from_user_input(crs)):
        raise InputError(
            "proposal_crs_differs",
            layer=label,
            crs=CRS.from_user_input(layer.crs).to_string(),
            parcels_crs=CRS.from_user_input(crs).to_string(),
        )
    return layer


def text_ids(values: pd.Series | None, n: int, fallback: Sequence) -> np.ndarray:
    """Ids as text (``12.0`` → ``"12"``, blanks stripped); a blank id takes its fallback."""
    out = np.asarray(fallback, dtype=object).copy()
    if values is None:
        return out
    for i, v in enumerate(values.to_numpy(dtype=object)):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            continue
        text = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()
        if text:
            out[i] = text
    return out


def source_fid(frame: pd.DataFrame) -> np.ndarray:
    """1-based positions of the features in their source file (``source_fid``, else the row order)."""
    if "source_fid" in frame:
        return frame["source_fid"].to_numpy(dtype=object)
    return np.arange(1, len(frame) + 1).astype(object)


def positions(parcels: pd.DataFrame, ids) -> np.ndarray:
    """Row positions in ``parcels`` of the parcel ids ``ids`` (-1 where not found).

    One vectorized membership scan of the id column (no copy, no index of all the
    parcels), then a lookup among the few rows found.
    """
    ids = np.asarray(ids, dtype=object)
    if len(ids) == 0 or len(parcels) == 0:
        return np.full(len(ids), -1, dtype=np.intp)
    column = parcels["parcel_id"]
    hits = np.flatnonzero(column.isin(ids).to_numpy(bool))
    if len(hits) < len(pd.unique(ids)) and column.dtype != object:  # ids stored as numbers: compare as text
        hits = np.flatnonzero(column.astype(str).isin(ids).to_numpy(bool))
    found = pd.Series(hits, index=column.iloc[hits].astype(str).to_numpy(dtype=object))
    found = found[~found.index.duplicated(keep="first")]
    return found.reindex(ids).fillna(-1).to_numpy(dtype=np.intp)


def take_rows(frame: pd.DataFrame, pos: np.ndarray) -> pd.DataFrame:
    """The attribute rows of ``frame`` at positions ``pos`` (index 0..k-1); missing where pos is -1.

    The rows are taken first, so only k rows are ever copied.
    """
    pos = np.asarray(pos, dtype=np.intp)
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    if len(frame) == 0:
        return pd.DataFrame({c: pd.Series([None] * len(pos), dtype=object) for c in frame.columns if c != geometry})
    taken = pd.DataFrame(frame.iloc[np.maximum(pos, 0)]).reset_index(drop=True)
    if geometry is not None:
        taken = pd.DataFrame(taken.drop(columns=geometry))
    missing = pos < 0
    if missing.any():
        taken = taken.where(np.broadcast_to(~missing[:, None], taken.shape))
    return taken


def take_geometry(frame: gpd.GeoDataFrame, pos: np.ndarray) -> np.ndarray:
    """The geometries of ``frame`` at positions ``pos`` (None where pos is -1)."""
    pos = np.asarray(pos, dtype=np.intp)
    out = np.full(len(pos), None, dtype=object)
    ok = pos >= 0
    if ok.any():
        out[ok] = np.asarray(frame.geometry.array[pos[ok]], dtype=object)
    return out


def near(layer: gpd.GeoDataFrame | None, geoms: np.ndarray) -> np.ndarray:
    """Positions of the features of ``layer`` whose bounding box meets one of ``geoms``.

    One query of the layer's spatial index (built once per layer and kept by geopandas),
    so that a plan touches only the buildings or facility land around its own parcels.
    """
    geoms = np.asarray([g for g in geoms if g is not None], dtype=object)
    if layer is None or len(layer) == 0 or len(geoms) == 0:
        return np.zeros(0, dtype=np.intp)
    _, hits = layer.sindex.query(geoms)
    return np.unique(hits)


def clean_polygons(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(geometries, usable mask, repaired mask): invalid polygons repaired, anything else unusable."""
    geoms = np.asarray(geoms, dtype=object).copy()
    missing = shapely.is_missing(geoms)
    empty = missing.copy()
    empty[~missing] = shapely.is_empty(geoms[~missing])
    polygonal = np.zeros(len(geoms), bool)
    polygonal[~empty] = np.isin(shapely.get_type_id(geoms[~empty]), [3, 6, 7])
    invalid = polygonal & ~np.asarray(shapely.is_valid(geoms), bool)
    if invalid.any():
        geoms[invalid] = [polygonal_part(g) for g in shapely.make_valid(geoms[invalid])]
    collections = polygonal & (shapely.get_type_id(geoms) == 7)
    if collections.any():
        geoms[collections] = [polygonal_part(g) for g in geoms[collections]]
    usable = polygonal.copy()
    usable[polygonal] = ~shapely.is_empty(geoms[polygonal])
    return geoms, usable, invalid


def polygon_parts(geoms: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polygon parts of overlay results, their owners and areas (m²), without lines, points and crumbs."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.array([], dtype=object), np.array([], dtype=int), np.array([], dtype=float)
    parts, idx = shapely.get_parts(geoms, return_index=True)
    # a GeometryCollection may hold a MultiPolygon: take parts once more
    parts2, idx2 = shapely.get_parts(parts, return_index=True)
    owners = np.asarray(owner)[idx[idx2]]
    area = shapely.area(parts2)
    keep = (shapely.get_type_id(parts2) == 3) & (area >= NOISE_M2)
    return parts2[keep], owners[keep], area[keep]


def rows_or_absent(pack: Pack, rule_id: str, *, subject: str, subject_id, parcel_id, build: Callable[[Rule], pd.DataFrame]) -> pd.DataFrame:
    """The rule's verdicts from ``build``, or ``not_in_policy`` rows when the pack lacks the rule."""
    rule = pack.rule(rule_id)
    if rule is None:
        return not_in_policy(rule_id, pack.id, subject=subject, subject_id=subject_id, parcel_id=parcel_id)
    return build(rule)


def status_by(verdicts: pd.DataFrame, pack: Pack, key: str) -> pd.Series:
    """Worst status per ``key`` column over the verdicts of requirement (non-info) rules."""
    if verdicts.empty:
        return pd.Series(dtype=object)
    kinds = verdicts["rule"].map(lambda r: pack.rules[r].kind if r in pack.rules else "requirement")
    return verdicts[kinds != "info"].groupby(key)["status"].agg(worst_status)


# --------------------------------------------------------------------------- geometry of merges


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

    >>> a = shapely.box(0, 0, 100, 100)
    >>> others = [shapely.box(100, 0, 200, 100), shapely.box(100, 100, 200, 200), shapely.box(101, 0, 200, 100)]
    >>> shared_boundary_length([a] * 3, others, snap_tolerance=0.05).round(3).tolist()  # edge, corner, 1 m gap
    [100.0, 0.0, 0.0]
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

    >>> connected_components(4, np.array([0, 2]), np.array([1, 3])).tolist()
    [0, 0, 2, 2]
    """
    from scipy.sparse import coo_matrix, csgraph  # here: a check without plans does not load scipy

    graph = coo_matrix((np.ones(len(left)), (np.asarray(left, int), np.asarray(right, int))), shape=(n, n))
    _, labels = csgraph.connected_components(graph, directed=False)
    # name each component by its smallest member
    smallest = np.full(labels.max() + 1 if n else 0, n)
    np.minimum.at(smallest, labels, np.arange(n))
    return smallest[labels]


# --------------------------------------------------------------------------- transferees


def normalise_grade(value) -> str | None:
    """``"C类"``, ``"c"`` → ``"C"``; blank → None; anything else is kept (upper-cased).

    >>> normalise_grade("C类"), normalise_grade(" b "), normalise_grade(None), normalise_grade("x")
    ('C', 'B', None, 'X')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().upper()
    if not text or text in ("NAN", "NONE", "<NA>"):
        return None
    m = _GRADE.search(text)
    return m.group(0) if m else text


def grades(frame: pd.DataFrame) -> np.ndarray:
    """Normalised ``transferee_grade`` per row (None where missing or the column is absent)."""
    if "transferee_grade" not in frame:
        return np.full(len(frame), None, dtype=object)
    return np.array([normalise_grade(v) for v in frame["transferee_grade"].to_numpy(dtype=object)] + [None], dtype=object)[:-1]


def transferee_verdicts(rule: Rule, pack_id: str, *, subject: str, subject_id, parcel_id, graded: list[list[tuple[str, str | None]]]) -> pd.DataFrame:
    """``transfer.transferee``: per subject, the (label, grade) of each transferee.

    A transferee graded in ``excluded_grades`` (C or D in the previous year's per-mu
    evaluation) fails; a missing grade is ``insufficient_data``. The energy,
    environment, quality and safety compliance the clause also asks for
    (``compliance_required``) has no input: a pass says it was not checked.
    """
    excluded = [str(g).upper() for g in rule.value("excluded_grades", ["C", "D"])]
    unchecked = [str(c) for c in (rule.value("compliance_required") or [])]
    n = len(graded)
    bad = [sorted({g for _, g in items if g in excluded}) for items in graded]
    lacking = np.array([not items or any(g is None for _, g in items) for items in graded], dtype=bool)
    shown = [[f"{label}: {g or '—'}" if label else (g or "—") for label, g in items] for items in graded]
    failing = np.array([bool(b) for b in bad], dtype=bool)
    conditions = [failing, lacking]
    status = np.select(conditions, ["fail", "insufficient_data"], "pass") if n else np.array([], dtype=object)
    reason = np.select(conditions, ["excluded_grade", "no_grade"], "eligible_grades_only" if unchecked else "eligible") if n else np.array([], dtype=object)
    listed, worst = np.empty(n, dtype=object), np.empty(n, dtype=object)
    for i in range(n):  # element by element: equal-length lists must not become a 2-d array
        listed[i], worst[i] = shown[i], bad[i]
    return verdict_frame(
        rule,
        pack_id,
        subject=subject,
        subject_id=subject_id,
        parcel_id=parcel_id,
        status=status,
        reason=reason,
        args={
            "grades": listed,
            "bad_grades": only(failing, worst),
            "excluded": excluded,
            "transfer_compliance": only(reason == "eligible_grades_only", unchecked) if unchecked else None,
            "missing": only(reason == "no_grade", ["transferee_grade"]),
        },
    )
