"""The dask engine gives the in-memory engine's answers: every verdict, every layer, every
issue — on the bundled sample and on data built to put parcels, buildings, gaps, overlaps,
merge groups and enterprises across partition boundaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

import landtool
from landtool.distributed import default_partitions, spatial_partitions
from tests.conftest import frame, rect

dask = pytest.importorskip("dask.distributed")


def same(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    """Equal tables: the same columns in the same order, the same values row by row
    (geometries exactly equal, NaN equal to NaN)."""
    assert list(a.columns) == list(b.columns), what
    assert len(a) == len(b), what
    for column in a.columns:
        x, y = a[column].reset_index(drop=True), b[column].reset_index(drop=True)
        if column == "geometry":
            equal = (x.isna() & y.isna()) | shapely.equals_exact(np.asarray(x), np.asarray(y), 0)
            assert equal.all(), f"{what}: geometry differs"
        else:
            assert x.astype(object).where(x.notna(), None).tolist() == y.astype(object).where(y.notna(), None).tolist(), f"{what}: {column} differs"


def assert_same_results(a, b) -> None:
    same(a.table, b.table, "verdicts")
    same(a.parcels, b.parcels, "parcels layer")
    assert sorted(a.layers) == sorted(b.layers)
    for name in a.layers:
        same(a.layers[name], b.layers[name], f"{name} layer")
    assert [(w.code, dict(w.args)) for w in a.warnings] == [(w.code, dict(w.args)) for w in b.warnings]


@pytest.fixture(scope="module")
def sample_results():
    memory = landtool.check(as_of="2023-06-30", fringe_candidates=True)
    return memory, {k: landtool.check(as_of="2023-06-30", fringe_candidates=True, engine="dask", workers=2, partitions=k) for k in (3, 8)}


@pytest.mark.parametrize("partitions", [3, 8])
def test_the_sample_gives_the_same_answers(sample_results, partitions):
    memory, dask_runs = sample_results
    assert_same_results(memory, dask_runs[partitions])
    assert dask_runs[partitions].run["engine"] == "dask"


# --------------------------------------------------------------------------- built to cross edges


def crossing_data():
    """A 6 × 6 block of 100 m parcels, industrial, four enterprises spread over the block,
    with: buildings straddling neighbours, an overlap and a 1 m gap between neighbours,
    a building outside every parcel, a building naming a parcel it does not touch, and
    facility land on a boundary."""
    rows = []
    for i in range(6):
        for j in range(6):
            x0, y0 = 100 * i, 100 * j
            x1 = x0 + 100 + (2.0 if (i, j) == (2, 2) else 0.0)  # overlaps (3, 2) by 2 m × 100 m
            if (i, j) == (4, 1):
                x1 -= 1.0  # a 1 m wide gap to (5, 1)
            rows.append({"parcel_id": f"P{i}{j}", "owner": f"E{(i * 6 + j) % 4}", "land_use": "工业用地", "tax_10k": 50.0 + i + j,
                         "tax_prev_10k": 40.0, "revenue_10k": 8000.0, "value_added_10k": 300.0,
                         "ownership": "国有", "right_type": "出让", "term_end": "2050-01-01", "geometry": rect(x0, y0, x1, y0 + 100)})
    parcels = frame(rows)
    buildings = []
    for i in range(6):
        for j in range(6):
            buildings.append({"building_id": f"B{i}{j}", "floors": 3, "height_m": 12.0, "use": "生产", "geometry": rect(100 * i + 20, 100 * j + 20, 100 * i + 60, 100 * j + 60)})
            # a building across the boundary to the eastern neighbour: 70 % here, 30 % there
            if i < 5:
                buildings.append({"building_id": f"S{i}{j}", "floors": 2, "height_m": 9.0, "use": "生产", "geometry": rect(100 * i + 86, 100 * j + 70, 100 * i + 106, 100 * j + 80)})
    buildings.append({"building_id": "OUT", "floors": 1, "geometry": rect(1000, 1000, 1010, 1010)})
    buildings.append({"building_id": "NAMED", "parcel_id": "P55", "floors": 1, "geometry": rect(5, 5, 15, 15)})  # lies in P00, names P55
    facility = frame([{"facility_id": "F1", "geometry": rect(290, 290, 310, 310)}, {"facility_id": "F2", "geometry": rect(2000, 0, 2010, 10)}])
    merge = pd.DataFrame({"group_id": ["G1", "G1", "G2", "G2"], "parcel_id": ["P00", "P55", "P22", "P32"]})
    return parcels, frame(buildings), facility, merge


@pytest.mark.parametrize("partitions", [2, 5, 8])
def test_the_overlap_crosses_a_partition_edge(partitions):
    parcels, _, _, _ = crossing_data()
    part = dict(zip(parcels["parcel_id"], spatial_partitions(parcels.geometry, partitions), strict=True))
    assert part["P22"] != part["P32"]


def test_the_built_data_really_crosses_partitions():
    parcels, buildings, _, _ = crossing_data()
    part = dict(zip(parcels["parcel_id"], spatial_partitions(parcels.geometry, 8), strict=True))
    assert part["P41"] != part["P51"]  # the gap
    crossing = sum(part[f"P{i}{j}"] != part[f"P{i + 1}{j}"] for i in range(5) for j in range(6))
    assert crossing >= 5  # straddling buildings between parcels of different partitions
    assert part["P00"] != part["P55"]  # the merge group G1 and the building NAMED span partitions
    owners = parcels.assign(p=parcels["parcel_id"].map(part)).groupby("owner")["p"].nunique()
    assert (owners > 1).all()  # every enterprise has parcels in several partitions


@pytest.mark.parametrize("partitions", [2, 5, 8])
def test_built_data_gives_the_same_answers(partitions):
    parcels, buildings, facility, merge = crossing_data()
    kwargs = dict(buildings=buildings, facility_land=facility, merge_plan=merge, policy="taizhou", as_of="2023-06-30")
    memory = landtool.check(parcels, **kwargs)
    dask_run = landtool.check(parcels, **kwargs, engine="dask", workers=2, partitions=partitions)
    assert_same_results(memory, dask_run)
    issues = dask_run.layers["issues"]
    found = set(zip(issues["problem"], issues["feature_id"], strict=True))
    # the 1 m strip meets its corner neighbours too
    assert {("overlap", "P22"), ("gap", "P40, P41, P42, P50, P51, P52"), ("outside_parcels", "OUT"), ("outside_parcels", "F2")} <= found
    assert sum(p == "straddles_parcels" for p, _ in found) == 30
    # nothing lost: every parcel in the layer, every building in its layer or in issues
    assert len(dask_run.parcels) == len(parcels)
    assert len(dask_run.layers["buildings"]) + 1 == len(buildings)
    # per-enterprise sums over every partition: E0 holds 9 parcels of 1 ha (the overlap widens P22)
    e0 = dask_run.parcels[dask_run.parcels["owner"] == "E0"]
    assert len(e0) == 9


@pytest.mark.parametrize(("parcels", "workers", "expected"), [(10_000, 2, 4), (200_000, 2, 4), (200_001, 2, 5), (1_000_000, 2, 20), (1_000_000, 32, 64), (0, 1, 2)])
def test_default_partitions_two_per_worker_and_at_most_50000_parcels_each(parcels, workers, expected):
    assert default_partitions(parcels, workers) == expected


def test_the_command_line_run_prints_only_landtool_lines(tmp_path):
    """The cluster's own logging (worker heartbeats while it shuts down, large-graph warnings)
    never reaches the user: stderr holds landtool's lines only, in the run's language. The
    large-graph threshold is lowered to 10 kB so that the sample would trip it if the
    partitions' data travelled inside the task graph (it did: 6 warnings)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("landtool")
    out = tmp_path / "result.parquet"
    run = subprocess.run([str(exe), "check", "--engine", "dask", "--workers", "2", "--as-of", "2023-06-30", "--out", str(out)],
                         capture_output=True, text=True, timeout=300, check=False,
                         env={**os.environ, "DASK_DISTRIBUTED__ADMIN__LARGE_GRAPH_WARNING_THRESHOLD": "10kB"})
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("landtool：") for line in lines), lines
    assert (out / "verdicts.parquet").exists()


def test_a_taken_dashboard_port_is_no_warning():
    """The scheduler's HTTP routes listen on a free loopback port, not on 8787: with 8787
    taken (another cluster, a notebook) the run neither warns nor fails (CI saw
    "Port 8787 is already in use" turned into errors)."""
    import contextlib
    import socket
    import warnings

    with contextlib.ExitStack() as stack:
        taken = stack.enter_context(socket.socket())
        with contextlib.suppress(OSError):  # already taken: just as good
            taken.bind(("0.0.0.0", 8787))
            taken.listen()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = landtool.check(frame([{"parcel_id": "A", "land_use": "工业用地", "gfa_m2": 5000.0, "geometry": rect(0, 0, 100, 100)}]),
                                    as_of="2023-06-30", engine="dask", workers=1)
    assert result.parcels["far"].tolist() == [0.5]
