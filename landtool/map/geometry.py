"""Geometries for the page: simplified as a coverage, in EPSG:4326, delta-encoded.

Coordinates travel as integer micro-degrees (1e-6° ≈ 0.1 m) relative to an origin,
each ring delta-coded: ``[x0, y0, dx1, dy1, …]`` without the closing vertex.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["SCALE", "bounds", "display_geoms", "display_geoms_plain", "encode_geoms", "origin_of"]

#: Display precision: 1e-6 degree ≈ 0.1 m.
SCALE = 1_000_000
#: coverage_simplify tolerance in the projected CRS (metres).
SIMPLIFY_M = 0.5


def display_geoms(geoseries: gpd.GeoSeries, crs) -> np.ndarray:
    """Simplify (coverage-preserving, 0.5 m) in the projected CRS, then reproject to EPSG:4326.

    Missing and empty geometries give None; a GeometryCollection keeps its polygons.
    """
    geoms = np.asarray(geoseries.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = np.full(len(geoms), None, dtype=object)
    if not present.any():
        return out
    work = geoms[present]
    collections = np.flatnonzero(shapely.get_type_id(work) == 7)
    if len(collections):  # keep the polygonal parts of a GeometryCollection
        work = work.copy()
        for k in collections.tolist():
            polys = [g for g in shapely.get_parts(work[k]) if shapely.get_type_id(g) in (3, 6)]
            if polys:
                work[k] = shapely.unary_union(polys)
    if crs is not None and crs.is_projected and np.isin(shapely.get_type_id(work), (3, 6)).all():
        work = _coverage_simplify(work)
    series = gpd.GeoSeries(work, crs=crs)
    if crs is not None and not crs.equals("EPSG:4326"):
        series = series.to_crs("EPSG:4326")
    out[present] = np.asarray(series.values, dtype=object)
    return out


def display_geoms_plain(geoseries: gpd.GeoSeries, crs) -> np.ndarray:
    """EPSG:4326 geometries without simplification (points, findings that overlap)."""
    geoms = np.asarray(geoseries.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = np.full(len(geoms), None, dtype=object)
    if present.any():
        series = gpd.GeoSeries(list(geoms[present]), crs=crs)
        if crs is not None and not series.crs.equals("EPSG:4326"):
            series = series.to_crs("EPSG:4326")
        out[present] = np.asarray(series.values, dtype=object)
    return out


def _coverage_simplify(geoms: np.ndarray) -> np.ndarray:
    """coverage_simplify at ~0.5 m keeps shared edges shared; invalid coverages stay as they are."""
    try:
        if not bool(shapely.is_valid(geoms).all()) or not bool(shapely.coverage_is_valid(geoms)):
            return geoms
        simplified = shapely.coverage_simplify(geoms, SIMPLIFY_M)
    except (shapely.errors.GEOSException, ValueError, AttributeError):
        return geoms
    if len(simplified) != len(geoms) or shapely.is_empty(simplified).any():
        return geoms
    return simplified


def bounds(geom_arrays: list[np.ndarray]) -> tuple[float, float, float, float] | None:
    """(minx, miny, maxx, maxy) over every present geometry, or None."""
    boxes = []
    for geoms in geom_arrays:
        present = [g for g in geoms if g is not None and not g.is_empty]
        if present:
            boxes.append(shapely.total_bounds(np.asarray(present, dtype=object)))
    if not boxes:
        return None
    b = np.asarray(boxes)
    return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))


def origin_of(box: tuple[float, float, float, float] | None) -> tuple[int, int]:
    """The integer origin of the coordinates: the 0.01° grid corner below-left of ``box``."""
    if box is None:
        return (120_000_000, 29_000_000)
    return (math.floor(box[0] * 100) * 10_000, math.floor(box[1] * 100) * 10_000)


def encode_geoms(geoms: np.ndarray, origin: tuple[int, int]) -> list:
    """Compact geometry: integer micro-degrees relative to ``origin``, delta-coded per ring.

    Polygon → ``[3, ring, …]``, MultiPolygon → ``[6, [ring, …], …]``, Point →
    ``[1, [x, y]]``, LineString → ``[2, ring]``, MultiPoint → ``[4, ring]``,
    MultiLineString → ``[5, ring, …]``, collection → ``[7, geom, …]``, missing → null.
    """
    out: list = [None] * len(geoms)
    geoms = np.asarray(geoms, dtype=object)
    types = np.where(shapely.is_empty(geoms), -1, shapely.get_type_id(geoms))
    poly_idx = np.flatnonzero(np.isin(types, (3, 6)))
    if len(poly_idx):
        _encode_polygons(geoms, poly_idx, types, origin, out)
    for i in np.flatnonzero(~np.isin(types, (-1, 3, 6))):
        out[i] = _encode_one(geoms[i], origin)
    return out


def _quantize(xy: np.ndarray, origin: tuple[int, int]) -> np.ndarray:
    q = np.rint(xy * SCALE).astype(np.int64)
    q[:, 0] -= origin[0]
    q[:, 1] -= origin[1]
    return q


def _delta_ring(q: np.ndarray) -> list[int]:
    d = q.copy()
    d[1:] -= q[:-1]
    return d.ravel().tolist()


def _encode_polygons(geoms, poly_idx, types, origin, out) -> None:
    sel = np.asarray(geoms[poly_idx], dtype=object)
    parts, part_geom = shapely.get_parts(sel, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, coord_ring = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(coord_ring, minlength=len(rings))
    ends = np.cumsum(counts)
    starts = ends - counts
    keep = np.ones(len(xy), dtype=bool)
    keep[ends[counts > 0] - 1] = False  # drop each ring's closing vertex
    q = _quantize(xy, origin)
    d = q.copy()
    d[1:] -= q[:-1]
    first = starts[counts > 0]
    d[first] = q[first]  # each ring starts from the origin, not from the previous ring
    flat = d[keep].ravel().tolist()
    kept_counts = np.maximum(counts - 1, 0)
    kept_ends = np.cumsum(kept_counts) * 2
    kept_starts = kept_ends - kept_counts * 2
    ring_lists = [flat[a:b] for a, b in zip(kept_starts.tolist(), kept_ends.tolist(), strict=True)]
    part_rings: list[list] = [[] for _ in range(len(parts))]
    for r, p in zip(ring_lists, ring_part.tolist(), strict=True):
        part_rings[p].append(r)
    geom_parts: list[list] = [[] for _ in range(len(sel))]
    for rs, g in zip(part_rings, part_geom.tolist(), strict=True):
        geom_parts[g].append(rs)
    for k, gi in enumerate(poly_idx.tolist()):
        ps = geom_parts[k]
        if ps:
            out[gi] = [3, *ps[0]] if types[gi] == 3 else [6, *ps]


def _encode_one(geom, origin):
    if geom is None or geom.is_empty:
        return None
    t = shapely.get_type_id(geom)
    if t == 0:
        return [1, _delta_ring(_quantize(shapely.get_coordinates(geom), origin))]
    if t in (1, 2):
        return [2, _delta_ring(_quantize(shapely.get_coordinates(geom), origin))]
    if t == 4:
        return [4, _delta_ring(_quantize(shapely.get_coordinates(geom), origin))]
    if t == 5:
        return [5, *[_delta_ring(_quantize(shapely.get_coordinates(p), origin)) for p in geom.geoms]]
    if t in (3, 6):
        tmp: list = [None]
        _encode_polygons(np.array([geom], dtype=object), np.array([0]), np.array([t]), origin, tmp)
        return tmp[0]
    if t == 7:
        parts = [_encode_one(p, origin) for p in geom.geoms]
        return [7, *[p for p in parts if p is not None]]
    return None
