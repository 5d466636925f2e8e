"""The core checks as a plain, vectorized GeoPandas script — the peer an analyst would write.

    python bench/peers/geopandas_check.py DATA_DIR OUT.gpkg

Reads ``parcels.gpkg`` and ``buildings.gpkg`` from DATA_DIR, assigns each building to
the parcel containing its representative point, and writes a ``parcels`` layer with
``area_m2``, ``area_mu``, ``gfa_m2``, ``far``, ``density``, ``height_m`` (the tallest
building's ``height_m`` attribute, m), ``far_status`` (FAR ≤ ``plan_far_max``, else ≤ 1.1)
and ``height_status`` (height ≤ 24 m): ``pass``, ``fail`` or ``insufficient_data``.
"""

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np

FAR_MAX = 1.1  # default FAR limit where the parcel has no plan_far_max
HEIGHT_MAX_M = 24.0
M2_PER_MU = 10_000 / 15


def status(value, limit):
    """pass / fail per row; insufficient_data where the value is missing."""
    return np.where(value.isna(), "insufficient_data", np.where(value <= limit, "pass", "fail"))


def main(data_dir: Path, out: Path) -> None:
    parcels = gpd.read_file(data_dir / "parcels.gpkg", engine="pyogrio", use_arrow=True)
    parcels = parcels[["parcel_id", "plan_far_max", "geometry"]]
    buildings = gpd.read_file(data_dir / "buildings.gpkg", engine="pyogrio", use_arrow=True)
    buildings["footprint_m2"] = buildings.area
    buildings["gfa_m2"] = buildings["footprint_m2"] * buildings["floors"]

    points = buildings[["footprint_m2", "gfa_m2", "height_m"]].set_geometry(buildings.representative_point())
    joined = gpd.sjoin(points, parcels[["parcel_id", "geometry"]], predicate="within", how="inner")
    per_parcel = joined.groupby("parcel_id").agg(
        footprint_m2=("footprint_m2", "sum"), gfa_m2=("gfa_m2", "sum"), height_m=("height_m", "max")
    )

    parcels = parcels.merge(per_parcel, on="parcel_id", how="left")
    parcels[["footprint_m2", "gfa_m2"]] = parcels[["footprint_m2", "gfa_m2"]].fillna(0.0)
    parcels["area_m2"] = parcels.area
    parcels["area_mu"] = parcels["area_m2"] / M2_PER_MU
    parcels["far"] = parcels["gfa_m2"] / parcels["area_m2"]
    parcels["density"] = parcels["footprint_m2"] / parcels["area_m2"]
    parcels["far_status"] = status(parcels["far"], parcels["plan_far_max"].fillna(FAR_MAX))
    parcels["height_status"] = status(parcels["height_m"], HEIGHT_MAX_M)
    parcels.to_file(out, layer="parcels", engine="pyogrio", use_arrow=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1].strip())
    main(Path(sys.argv[1]), Path(sys.argv[2]))
