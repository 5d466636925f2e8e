"""Synthetic cadastre for the benchmark: parcels, buildings, zones and an nDSM near 天台.

    python -m bench.synth N [--seed S]        # generate into the cache, print the folder

Layout, in EPSG:4549 (CGCS2000 3-degree Gauss-Krüger, CM 120°E), centred on
x ≈ 502 900 m, y ≈ 3 223 800 m:

- parcels: 80 m cells in blocks of 6 × 6, 20 m roads between blocks. The corners inside a
  block move at random by up to 8 m and are shared by the neighbouring parcels (a clean
  coverage, as a cadastre is); corners on a block's outline move only along it, so the
  road edges stay straight.
- buildings: 3 axis-aligned rectangles per parcel, inside the parcel's 60 m × 60 m core
  (10 m from the nominal cell edges, more than the 8 m the corners can move, so always
  wholly inside the parcel). ``parcel_id`` is left empty: landtool assigns by location.
  About half carry ``height_m``; the others get their height from the nDSM.
- zones: 7 rectangles, one per zone type, as fractions of the extent.
- ndsm.tif: float32, 2 m cells, nodata −9999; the building height (plus noise of 0.3 m
  standard deviation) in cells whose centre lies in a footprint, 0 elsewhere. Written strip by strip, so the
  raster never has to fit in memory.

Everything is drawn from one seeded generator: the same (N, seed) gives the same files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.transform import from_origin
from rasterio.windows import Window

__all__ = ["CACHE", "CRS", "SEED", "cached", "folder", "make"]

CRS = "EPSG:4549"
SEED = 20230630
CACHE = Path(__file__).resolve().parent / ".cache"

CENTRE = (502_900.0, 3_223_800.0)  # m, 天台
CELL = 80.0  # m, nominal parcel side
BLOCK = 6  # parcels per block side
ROAD = 20.0  # m, between blocks
JITTER = 8.0  # m, largest corner move
CORE = 10.0  # m, building-free margin inside the nominal cell (> JITTER)
PIXEL = 2.0  # m, nDSM cell size
NODATA = -9999.0
STRIP = 512  # nDSM rows written at once (= tile height)

FLOORS_P = np.array([0.25, 0.20, 0.15, 0.12, 0.10, 0.08, 0.06, 0.04])  # 1–8 floors
ZONES = [  # zone_type, name, (x0, y0, x1, y1) as fractions of the extent, height_max_m
    ("development_zone", "天台经济开发区", (0.0, 0.0, 0.7, 1.0), np.nan),
    ("municipal_industrial_zone", "市级产业功能区", (0.5, 0.0, 1.0, 0.5), np.nan),
    ("control_line", "工业用地控制线", (0.0, 0.0, 1.0, 0.8), np.nan),
    ("height_limit", "机场净空限高区", (0.75, 0.75, 1.0, 1.0), 18.0),
    ("non_industrial_plan", "规划调整为非工业", (0.0, 0.85, 0.25, 1.0), np.nan),
    ("expropriation_plan", "近期征收拆迁计划", (0.4, 0.4, 0.55, 0.55), np.nan),
    ("relocation_plan", "近期搬迁改造计划", (0.85, 0.1, 1.0, 0.3), np.nan),
]


def make(n_parcels: int, out_dir: str | Path, *, seed: int = SEED) -> dict:
    """Write the synthetic layers of ``n_parcels`` parcels into ``out_dir``.

    Files: ``parcels.gpkg``, ``buildings.gpkg``, ``zones.gpkg`` (one layer each, named
    like the file), ``parcels.parquet`` and ``buildings.parquet`` (GeoParquet copies),
    ``ndsm.tif`` and ``merge_plan.csv`` (5 groups of 2 neighbouring parcels).
    Returns the feature counts and the nDSM size (cells).
    """
    if n_parcels < 10:
        msg = f"n_parcels={n_parcels}: at least 10 are needed for the merge plan"
        raise ValueError(msg)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    parcels, cell_origin = _parcels(n_parcels, rng)
    buildings, true_height = _buildings(parcels["parcel_id"].to_numpy(), cell_origin, rng)
    parcels.to_file(out / "parcels.gpkg", layer="parcels", engine="pyogrio", use_arrow=True)
    buildings.to_file(out / "buildings.gpkg", layer="buildings", engine="pyogrio", use_arrow=True)
    parcels.to_parquet(out / "parcels.parquet")
    buildings.to_parquet(out / "buildings.parquet")
    zones = _zones(parcels.total_bounds)
    zones.to_file(out / "zones.gpkg", layer="zones", engine="pyogrio")
    _merge_plan(parcels["parcel_id"].to_numpy()).to_csv(out / "merge_plan.csv", index=False)
    shape = _ndsm(out / "ndsm.tif", buildings.geometry.to_numpy(), true_height, parcels.total_bounds, rng)
    return {"parcels": len(parcels), "buildings": len(buildings), "zones": len(zones), "ndsm_cells": shape[0] * shape[1]}


def folder(n_parcels: int, *, seed: int = SEED) -> Path:
    """Where the (n_parcels, seed) data set is cached.

    The name includes a digest of this file, so a change to the generator never serves
    stale data.
    """
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]
    return CACHE / f"n{n_parcels}-seed{seed}-{digest}"


def cached(n_parcels: int, *, seed: int = SEED) -> Path:
    """The folder of the (n_parcels, seed) data set, generated on first use.

    Generation writes into a temporary folder that is renamed when complete: an
    interrupted run leaves no half-written data set behind. The feature counts are
    kept in ``counts.json``.
    """
    path = folder(n_parcels, seed=seed)
    if not path.exists():
        partial = path.with_name(path.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        counts = make(n_parcels, partial, seed=seed)
        (partial / "counts.json").write_text(json.dumps(counts))
        partial.rename(path)
    return path


def _parcels(n: int, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The parcels and each one's nominal cell origin (lower-left corner, m), shape (n, 2)."""
    n_blocks = -(-n // BLOCK**2)
    blocks_x = int(np.ceil(np.sqrt(n_blocks)))
    blocks_y = -(-n_blocks // blocks_x)
    pitch = BLOCK * CELL + ROAD
    x0 = CENTRE[0] - blocks_x * pitch / 2
    y0 = CENTRE[1] - blocks_y * pitch / 2
    # corner jitter per block, (block, row, col); outline corners move only along the outline
    jx = rng.uniform(-JITTER, JITTER, (n_blocks, BLOCK + 1, BLOCK + 1))
    jy = rng.uniform(-JITTER, JITTER, (n_blocks, BLOCK + 1, BLOCK + 1))
    jx[:, :, [0, BLOCK]] = 0.0
    jy[:, [0, BLOCK], :] = 0.0
    k = np.arange(n)
    block, local = np.divmod(k, BLOCK**2)
    row, col = np.divmod(local, BLOCK)
    block_row, block_col = np.divmod(block, blocks_x)
    origin = np.column_stack([x0 + block_col * pitch + col * CELL, y0 + block_row * pitch + row * CELL])
    ring = [(0, 0), (0, 1), (1, 1), (1, 0), (0, 0)]  # (d_row, d_col), counter-clockwise
    coords = np.stack(
        [
            np.column_stack(
                [
                    origin[:, 0] + dc * CELL + jx[block, row + dr, col + dc],
                    origin[:, 1] + dr * CELL + jy[block, row + dr, col + dc],
                ]
            )
            for dr, dc in ring
        ],
        axis=1,
    )
    geometry = shapely.polygons(coords)
    area = shapely.area(geometry)
    mu = area / (10_000 / 15)
    land_use = rng.choice(["工业用地", "空闲地", "商业用地"], n, p=[0.9, 0.07, 0.03])
    # registered area: the measured one to ±0.1 %, and 3 % of the parcels off by 1.5–6 %
    registered = area * (1 + rng.normal(0, 0.001, n))
    off = rng.random(n) < 0.03
    registered[off] = area[off] * (1 + rng.choice([-1, 1], off.sum()) * rng.uniform(0.015, 0.06, off.sum()))
    tax = np.where(land_use == "工业用地", mu * rng.lognormal(np.log(12), 0.9, n), 0.0)  # 万元, ~12 万元/亩
    revenue = tax * rng.uniform(15, 40, n)
    plan_far = np.where(rng.random(n) < 0.25, rng.choice([1.2, 1.5, 2.0, 2.5], n), np.nan)
    frame = pd.DataFrame(
        {
            "parcel_id": pd.Series(k).map("TT{:07d}".format),
            "owner": pd.Series(_owners(n, rng)).map("天台企业{:06d}".format),
            "land_use": land_use,
            "ownership": "国有",
            "right_type": "出让",
            "registered_area_m2": registered.round(2),
            "grade": rng.choice(["A", "B", "C", "D"], n, p=[0.2, 0.4, 0.3, 0.1]),
            "tax_10k": tax.round(2),
            "tax_prev_10k": (tax * rng.uniform(0.8, 1.2, n)).round(2),
            "revenue_10k": revenue.round(2),
            "value_added_10k": (revenue * rng.uniform(0.15, 0.35, n)).round(2),
            "above_scale": revenue >= 2000,  # 规上: revenue ≥ 2000 万元
            "plan_far_max": plan_far,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS), origin


def _owners(n: int, rng: np.random.Generator) -> np.ndarray:
    """Enterprise number per parcel: consecutive runs of 1–4 parcels per enterprise."""
    sizes = rng.integers(1, 5, n)  # at most n runs are needed
    return np.repeat(np.arange(n), sizes)[:n]


def _buildings(parcel_ids: np.ndarray, origin: np.ndarray, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """3 buildings per parcel, and each one's true height (m) for the nDSM.

    The core is cut into 3 strips of 20 m, across x or (for half the parcels) across y;
    each building is a rectangle 10–18 m wide and 20–58 m long inside its strip, with at
    least 1 m between neighbours.
    """
    n = len(parcel_ids) * 3
    core = CELL - 2 * CORE
    strip = core / 3
    slot = np.tile(np.arange(3), len(parcel_ids))
    width = rng.uniform(10, strip - 1, n)
    length = rng.uniform(20, core - 2, n)
    across = slot * strip + rng.uniform(0, strip - 1 - width)
    along = rng.uniform(0, core - length)
    swap = np.repeat(rng.random(len(parcel_ids)) < 0.5, 3)
    dx, dy = np.where(swap, along, across), np.where(swap, across, along)
    sx, sy = np.where(swap, length, width), np.where(swap, width, length)
    x = np.repeat(origin[:, 0], 3) + CORE + dx
    y = np.repeat(origin[:, 1], 3) + CORE + dy
    use = rng.choice(["生产", "行政办公"], n, p=[0.85, 0.15])
    floors = rng.choice(np.arange(1, 9), n, p=FLOORS_P)
    storey = np.where(use == "生产", 4.5, 3.6)  # m per floor
    height = floors * storey + rng.uniform(0, 1.5, n)  # + parapet
    frame = pd.DataFrame(
        {
            "building_id": pd.Series(np.arange(n)).map("B{:08d}".format),
            "parcel_id": pd.Series([None] * n, dtype=object),
            "floors": floors,
            "height_m": np.where(rng.random(n) < 0.5, height.round(1), np.nan),
            "use": use,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=shapely.box(x, y, x + sx, y + sy), crs=CRS), height


def _zones(bounds: np.ndarray) -> gpd.GeoDataFrame:
    xmin, ymin, xmax, ymax = bounds
    w, h = xmax - xmin, ymax - ymin
    boxes = [shapely.box(xmin + a * w, ymin + b * h, xmin + c * w, ymin + d * h) for _, _, (a, b, c, d), _ in ZONES]
    return gpd.GeoDataFrame(
        {
            "zone_id": [f"Z{i + 1}" for i in range(len(ZONES))],
            "name": [z[1] for z in ZONES],
            "zone_type": [z[0] for z in ZONES],
            "height_max_m": [z[3] for z in ZONES],
        },
        geometry=boxes,
        crs=CRS,
    )


def _merge_plan(parcel_ids: np.ndarray) -> pd.DataFrame:
    """5 groups of 2 parcels that share an edge: parcels 0–1, 2–3, … 8–9 of the first block.

    A block row has an even number of parcels (``BLOCK``), so every pair lies in one row.
    """
    first = np.arange(0, 10, 2)
    return pd.DataFrame(
        {
            "group_id": np.repeat([f"G{i + 1}" for i in range(5)], 2),
            "parcel_id": parcel_ids[np.column_stack([first, first + 1]).ravel()],
        }
    )


def _ndsm(path: Path, footprints: np.ndarray, height: np.ndarray, bounds: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    """Write the nDSM strip by strip; returns its (rows, cols).

    The footprints are axis-aligned boxes, so a building's cells (those whose centre lies
    inside, as GDAL's rasterize takes them) are a slice of rows and columns: burning by
    slicing is some 30 times faster than rasterizing the polygons.
    """
    xmin = np.floor(bounds[0] / PIXEL) * PIXEL - PIXEL
    ymax = np.ceil(bounds[3] / PIXEL) * PIXEL + PIXEL
    cols = int(np.ceil((bounds[2] - xmin) / PIXEL)) + 1
    rows = int(np.ceil((ymax - bounds[1]) / PIXEL)) + 1
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": "float32",
        "crs": CRS,
        "transform": from_origin(xmin, ymax, PIXEL, PIXEL),
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": STRIP,
        "compress": "deflate",
        "zlevel": 1,
        "num_threads": "all_cpus",
        "bigtiff": "if_safer",
    }
    x0, y0, x1, y1 = shapely.bounds(footprints).T
    # first and past-the-last row and column whose cell centre is inside each box
    c0 = np.ceil((x0 - xmin) / PIXEL - 0.5).astype(int)
    c1 = np.floor((x1 - xmin) / PIXEL - 0.5).astype(int) + 1
    r0 = np.ceil((ymax - y1) / PIXEL - 0.5).astype(int)
    r1 = np.floor((ymax - y0) / PIXEL - 0.5).astype(int) + 1
    with rasterio.open(path, "w", **profile) as dst:
        for top in range(0, rows, STRIP):
            window = Window(0, top, cols, min(STRIP, rows - top))
            block = np.zeros((window.height, cols), np.float32)
            hit = np.flatnonzero((r1 > top) & (r0 < top + window.height))
            for a, b, c, d, h in zip(
                np.maximum(r0[hit] - top, 0).tolist(),
                (r1[hit] - top).tolist(),
                c0[hit].tolist(),
                c1[hit].tolist(),
                height[hit].tolist(),
                strict=True,
            ):
                block[a:b, c:d] = h
            covered = block > 0
            block[covered] += 0.3 * rng.standard_normal(int(covered.sum()), dtype=np.float32)
            dst.write(block, 1, window=window)
    return rows, cols


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of parcels")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    print(cached(args.n, seed=args.seed))


if __name__ == "__main__":
    main()
