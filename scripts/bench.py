"""Benchmark of `landtool.check` on synthetic districts: time per stage and per parcel.

    python scripts/bench.py [--sizes 5000 50000]

Claims are ratios measured in one run: the per-parcel time at the largest size over the
per-parcel time at the smallest (≈ 1 means the check scales linearly), and the share of
time spent in each stage.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely

import landtool
from landtool.prepare import prepare
from landtool.rules import PARCEL_RULES


def district(n: int, seed: int = 1) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """n skewed-quad parcels near 天台 (EPSG:4549), one building each.

    The corners of an 80 m grid are moved at random by up to 8 m and shared by the
    neighbouring parcels, so the parcels form a clean coverage as a cadastre does.
    """
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    corners_x = 500_000 + np.arange(side + 1)[:, None] * 80.0 + rng.uniform(-8, 8, (side + 1, side + 1))
    corners_y = 3_220_000 + np.arange(side + 1)[None, :] * 80.0 + rng.uniform(-8, 8, (side + 1, side + 1))
    i, j = np.divmod(np.arange(n), side)
    ring = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1), (i, j)]
    coords = np.stack([np.column_stack([corners_x[a, b], corners_y[a, b]]) for a, b in ring], axis=1)
    x0, y0 = coords[:, 0, 0], coords[:, 0, 1]
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k:06d}" for k in range(n)],
            "owner": [f"企业{k // 3:05d}" for k in range(n)],
            "land_use": np.where(rng.random(n) < 0.9, "工业用地", "空闲地"),
            "tax_10k": rng.uniform(0, 400, n),
            "tax_prev_10k": rng.uniform(0, 400, n),
            "revenue_10k": rng.uniform(0, 30_000, n),
            "investment_10k": rng.uniform(0, 20_000, n),
        },
        geometry=shapely.polygons(coords),
        crs="EPSG:4549",
    )
    buildings = gpd.GeoDataFrame(
        {"building_id": [f"B{k:06d}" for k in range(n)], "floors": rng.integers(1, 8, n), "height_m": rng.uniform(4, 40, n)},
        geometry=shapely.box(x0 + 20, y0 + 20, x0 + 50, y0 + 45),
        crs="EPSG:4549",
    )
    return parcels, buildings


def run_rules(table, pack) -> list:
    """Every parcel rule of the pack on a prepared table."""
    return [fn(table, pack.rule(rid), pack.id, lang="zh") for rid, fn in PARCEL_RULES.items() if pack.rule(rid)]


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    args = parser.parse_args()
    pack = landtool.load_pack("tiantai")
    rows = []
    for n in args.sizes:
        parcels, buildings = district(n)
        prep, t_prepare = timed(prepare, parcels, buildings=buildings)
        _, t_rules = timed(run_rules, prep.parcels, pack)
        _, t_total = timed(landtool.check, parcels, buildings=buildings, policy=pack, as_of="2023-06-30")
        rows.append((n, t_prepare, t_rules, t_total))
    print(f"{'parcels':>8} {'prepare s':>10} {'rules s':>8} {'check s':>8} {'µs/parcel':>10}")
    for n, tp, tr, tt in rows:
        print(f"{n:>8} {tp:>10.2f} {tr:>8.2f} {tt:>8.2f} {tt / n * 1e6:>10.1f}")
    (n0, *_, t0), (n1, *_, t1) = rows[0], rows[-1]
    print(f"per-parcel time ratio {n1}/{n0}: {(t1 / n1) / (t0 / n0):.2f} (1.00 = linear)")


if __name__ == "__main__":
    main()
