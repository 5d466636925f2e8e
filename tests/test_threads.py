"""Shapely work in chunks on threads gives exactly what one call on the whole array gives."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from landtool import threads
from landtool.prepare import _repeated_vertex_suspects


@pytest.fixture
def four_threads(monkeypatch):
    monkeypatch.setenv("LANDTOOL_THREADS", "4")
    monkeypatch.setattr(threads, "MIN_CHUNK", 3)


def _cadastre() -> np.ndarray:
    """A 10 × 4 grid of 10 m parcels, with faults where the strips of four threads meet
    (x = 20…30, 50…60 and 70…80): an overlap of 0.5 m, a gap of 1 m, a gap of 3 m."""
    cells = {(i, j): box(10 * i, 10 * j, 10 * i + 10, 10 * j + 10) for i in range(10) for j in range(4)}
    cells[2, 1] = box(20, 10, 30.5, 20)  # overlaps (3, 1) by 0.5 m
    cells[5, 2] = box(50, 20, 59, 30)  # 1 m gap to (6, 2): under the 2 m gap width
    cells[7, 3] = box(70, 30, 77, 40)  # 3 m gap to (8, 3): a road, not a gap
    return np.array(list(cells.values()), dtype=object)


def test_invalid_coverage_in_strips_is_the_whole_layer_s(four_threads):
    geoms = _cadastre()
    whole = ~shapely.is_empty(shapely.coverage_invalid_edges(geoms, gap_width=2.0))
    # each fault flags its pair and the parcels whose shared edge with the moved one no
    # longer meets vertex to vertex; the 3 m road flags only (7, 2)–(7, 3)'s edge
    flagged = [(i, j) for (i, j), bad in zip(((i, j) for i in range(10) for j in range(4)), whole) if bad]
    assert flagged == [(2, 0), (2, 1), (2, 2), (3, 1), (5, 1), (5, 2), (5, 3), (6, 2), (7, 2), (7, 3)]
    assert threads.invalid_coverage(geoms, 2.0).tolist() == whole.tolist()
    rng = np.random.default_rng(7)
    shuffled = geoms[rng.permutation(len(geoms))]
    assert threads.invalid_coverage(shuffled, 2.0).tolist() == (~shapely.is_empty(shapely.coverage_invalid_edges(shuffled, gap_width=2.0))).tolist()


def test_each_and_query_in_chunks_are_the_single_calls(four_threads):
    geoms = _cadastre()
    assert threads.each(shapely.area, geoms).tolist() == shapely.area(geoms).tolist()
    tree = shapely.STRtree(geoms)
    points = shapely.points(np.arange(0.5, 100, 7.0), np.full(15, 15.0))
    np.testing.assert_array_equal(threads.query(tree, points, predicate="within"), tree.query(points, predicate="within"))
    np.testing.assert_array_equal(threads.query(tree, geoms, predicate="intersects"), tree.query(geoms, predicate="intersects"))


def test_no_threads_below_a_chunk(monkeypatch):
    monkeypatch.setenv("LANDTOOL_THREADS", "1")
    assert threads._chunks(10**6) is None and threads.cores() == 1


def test_repeated_vertex_suspects():
    clean = box(0, 0, 1, 1)
    repeated = Polygon([(0, 0), (1, 0), (1, 0), (1, 1), (0, 1)])
    # a hole that starts where the shell ends: suspected, but it has no repeated vertex
    ring_meets = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(0, 0), (1, 2), (2, 1)]])
    assert _repeated_vertex_suspects(np.array([clean, repeated, ring_meets, clean], dtype=object)).tolist() == [1, 2]
    assert shapely.get_num_coordinates(repeated) - shapely.get_num_coordinates(shapely.remove_repeated_points(repeated)) == 1
    assert shapely.get_num_coordinates(ring_meets) == shapely.get_num_coordinates(shapely.remove_repeated_points(ring_meets))
