"""Per-building heights from the nDSM: landtool, exactextract and rasterstats on the same footprints.

    python bench/peers/heights.py {landtool,exactextract,rasterstats} DATA_DIR OUT.csv [--max N]

The footprints are the buildings of DATA_DIR/buildings.gpkg that have no ``height_m``
(those whose height must come from the raster), in file order, the first N with
``--max``. Each method gives the 90th percentile of the cells of DATA_DIR/ndsm.tif
(m above ground) under the footprint, as it defines "under":

- ``landtool``: cells at least half inside the footprint (``landtool.height``);
- ``exactextract``: every cell the footprint touches, weighted by the share inside;
- ``rasterstats``: cells whose centre is inside.

Writes OUT.csv (building_id, height_m) and prints one JSON line: ``seconds`` (the
extraction alone, without reading the footprints) and ``footprints``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np


def landtool_heights(footprints: gpd.GeoSeries, ndsm: Path) -> np.ndarray:
    """landtool's raster heights (m) per footprint — the one place that knows its API."""
    from landtool.height import HeightRaster, raster_heights

    return raster_heights(footprints, HeightRaster(ndsm=str(ndsm))).height_m


def exactextract_heights(footprints: gpd.GeoSeries, ndsm: Path) -> np.ndarray:
    """exactextract's coverage-weighted 90th percentile (m) per footprint."""
    from exactextract import exact_extract

    table = exact_extract(str(ndsm), gpd.GeoDataFrame(geometry=footprints), ["quantile(q=0.9)"], output="pandas")
    return table["quantile_90"].to_numpy(float)


def rasterstats_heights(footprints: gpd.GeoSeries, ndsm: Path) -> np.ndarray:
    """rasterstats' 90th percentile (m) of the cells centred in each footprint."""
    from rasterstats import zonal_stats

    stats = zonal_stats(list(footprints), str(ndsm), stats="percentile_90")
    return np.array([s["percentile_90"] for s in stats], dtype=float)


METHODS = {"landtool": landtool_heights, "exactextract": exactextract_heights, "rasterstats": rasterstats_heights}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=METHODS)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--max", type=int, help="only the first N footprints")
    args = parser.parse_args()
    buildings = gpd.read_file(args.data_dir / "buildings.gpkg", engine="pyogrio", use_arrow=True, columns=["building_id", "height_m"])
    todo = buildings[buildings["height_m"].isna()].iloc[: args.max]
    start = time.perf_counter()
    heights = METHODS[args.method](todo.geometry, args.data_dir / "ndsm.tif")
    seconds = time.perf_counter() - start
    todo[["building_id"]].assign(height_m=heights).to_csv(args.out, index=False)
    print(json.dumps({"seconds": seconds, "footprints": len(todo)}))


if __name__ == "__main__":
    main()
