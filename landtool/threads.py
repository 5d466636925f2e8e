"""Vectorized shapely work spread over the machine's cores.

Shapely 2 releases the GIL inside its vectorized functions, so a large array cut into one
chunk per core runs on all of them from threads: no copies, no processes, the same memory.
Each function here gives exactly what the one call on the whole array gives.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np
import shapely

__all__ = ["each", "invalid_coverage", "query"]

#: Fewer geometries than this per chunk are not worth a thread.
MIN_CHUNK = 25_000


def cores() -> int:
    """The cores this process may run on (``LANDTOOL_THREADS`` overrides; 1 = no threads)."""
    given = os.environ.get("LANDTOOL_THREADS", "")
    if given.isdigit() and int(given) > 0:
        return int(given)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="landtool")


def _chunks(n: int) -> list[np.ndarray] | None:
    """Index ranges of one chunk per core, or None when ``n`` is too small to share."""
    k = min(cores(), n // MIN_CHUNK)
    return np.array_split(np.arange(n), k) if k > 1 else None


def each(func, geoms: np.ndarray, *args, **kwargs) -> np.ndarray:
    """``func(geoms, *args, **kwargs)`` for an element-wise shapely function, chunk by chunk."""
    chunks = _chunks(len(geoms))
    if chunks is None:
        return func(geoms, *args, **kwargs)
    return np.concatenate(list(_pool(len(chunks)).map(lambda rows: func(geoms[rows], *args, **kwargs), chunks)))


def query(tree: shapely.STRtree, geoms: np.ndarray, **kwargs) -> np.ndarray:
    """``tree.query(geoms, **kwargs)``: the (2, m) pairs of input and tree positions, in its order."""
    chunks = _chunks(len(geoms))
    if chunks is None:
        return tree.query(geoms, **kwargs)
    found = _pool(len(chunks)).map(lambda rows: tree.query(geoms[rows], **kwargs), chunks)
    return np.concatenate([np.stack([rows[pairs[0]], pairs[1]]) for rows, pairs in zip(chunks, found)], axis=1)


def invalid_coverage(geoms: np.ndarray, gap_width: float) -> np.ndarray:
    """Whether each polygon has an edge that does not match its neighbours' (an overlap or
    a gap at most ``gap_width`` wide): ``shapely.coverage_invalid_edges`` not empty.

    Split into vertical strips, one per core: a polygon's answer depends only on the
    polygons within ``gap_width`` of its envelope, so each strip is validated with every
    polygon whose envelope reaches into it (m, in the layer's CRS).
    """
    n = len(geoms)
    k = min(cores(), n // MIN_CHUNK)
    if k < 2:
        return ~shapely.is_empty(shapely.coverage_invalid_edges(geoms, gap_width=gap_width))
    bounds = shapely.bounds(geoms)
    order = np.argsort(bounds[:, 0] + bounds[:, 2], kind="stable")
    strips = [np.sort(rows) for rows in np.array_split(order, k)]

    def strip(core: np.ndarray) -> np.ndarray:
        west, east = np.nanmin(bounds[core, 0]) - gap_width, np.nanmax(bounds[core, 2]) + gap_width
        near = np.union1d(np.flatnonzero((bounds[:, 2] >= west) & (bounds[:, 0] <= east)), core)
        edges = shapely.coverage_invalid_edges(geoms[near], gap_width=gap_width)
        return ~shapely.is_empty(edges[np.searchsorted(near, core)])

    flagged = np.zeros(n, dtype=bool)
    for core, found in zip(strips, _pool(k).map(strip, strips)):
        flagged[core] = found
    return flagged
