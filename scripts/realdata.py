"""landtool on real geometry made by others (the shared `realdata/` folder beside the repo).

    python scripts/realdata.py [--root ../shared/realdata]

- NYC MapPLUTO tax lots (EPSG:4326, 2000 lots): read through a field map, projected to UTM 18N,
  checked against the tiantai pack (land use codes are NYC's, so most lots are not industrial).
- Shanghai OSM land use (327 polygons) as parcels with 1981 OSM buildings carrying `height`:
  OSM's land-use kinds are not Chinese land-use classes, so nothing is industrial and the run
  must say so instead of silently marking everything not applicable.
- Waterloo (Ontario) footprints with `Storeys` and `TotalSqft` (floor area in ft², stated in the
  field map) on a 100 m grid of parcels: floor area converted from ft², buildings straddling
  two parcels reported with their shares.
- Bilbao LiDAR nDSM (EPSG:25830, 2.5 m): footprints traced where the nDSM exceeds 3 m, their
  heights read back window by window, and a 100 m grid of parcels (given in EPSG:4326)
  checked against the yuhuan 24 m height limit.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.features import shapes

import landtool
from landtool.height import HeightRaster, building_heights


def nyc(root: Path) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as f:
        f.write("parcels:\n  parcel_id: OBJECTID\n  owner: OwnerName\n  land_use: LandUse\n")
    start = time.perf_counter()
    result = landtool.check(str(root / "nyc_tottenville_mappluto" / "mappluto.json"), fields=f.name, as_of="2023-06-30", lang="en")
    Path(f.name).unlink()
    areas = result.parcels["area_m2"]
    print(f"NYC: {len(result.parcels)} lots in {time.perf_counter() - start:.2f} s, CRS EPSG:{result.parcels.crs.to_epsg()}, "
          f"median lot {areas.median():.2f} m², issues {result.layers['issues']['problem'].value_counts().to_dict()}")


def _field_map(text: str) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as f:
        f.write(text)
    return f.name


def shanghai(root: Path) -> None:
    folder = root / "shanghai_osm_buildings"
    fields = _field_map("parcels:\n  parcel_id: id\n  land_use: kind\nbuildings:\n  building_id: id\n  height_m: height\n")
    try:  # OSM ids repeat where a polygon was cut into tiles: refused, the ids named
        landtool.check(str(folder / "landuse.geojson"), buildings=str(folder / "buildings.geojson"), fields=fields, as_of="2023-06-30", lang="en")
    except landtool.InputError as error:
        print(f"Shanghai with OSM ids as parcel ids: {error.render('en')}")
    Path(fields).unlink()
    with warnings.catch_warnings():  # GDAL's note that it made the repeated feature ids unique
        warnings.simplefilter("ignore", RuntimeWarning)
        landuse, buildings = (gpd.read_file(folder / f"{name}.geojson") for name in ("landuse", "buildings"))
    landuse["parcel_id"] = [f"osm{osm}-{row}" for row, osm in enumerate(landuse.pop("id"))]  # one id per polygon
    buildings["building_id"] = [f"osm{osm}-{row}" for row, osm in enumerate(buildings.pop("id"))]
    fields = _field_map("parcels:\n  land_use: kind\nbuildings:\n  height_m: height\n")
    start = time.perf_counter()
    result = landtool.check(landuse, buildings=buildings, fields=fields, as_of="2023-06-30", lang="en")
    Path(fields).unlink()
    statuses = result.verdicts["status"].value_counts().to_dict()
    print(f"Shanghai: {len(landuse)} land-use features ({len(result.parcels)} polygons), {len(buildings)} buildings ({len(result.layers['buildings'])} on a parcel) in {time.perf_counter() - start:.2f} s, "
          f"CRS EPSG:{result.parcels.crs.to_epsg()}, verdicts {statuses}, issues {result.layers['issues']['problem'].value_counts().to_dict()}")
    for warning in result.warnings:
        print(f"  warning: {warning.render('en')}")


def waterloo(root: Path) -> None:
    footprints = gpd.read_file(root / "waterloo_northdale_buildings" / "northdale.geojson")
    utm = footprints.to_crs(26917)
    x0, y0, x1, y1 = utm.total_bounds
    xs, ys = np.arange(np.floor(x0 / 100) * 100, x1, 100), np.arange(np.floor(y0 / 100) * 100, y1, 100)
    grid = gpd.GeoDataFrame(
        {"parcel_id": [f"W{i}-{j}" for i in range(len(xs)) for j in range(len(ys))], "land_use": "工业用地"},
        geometry=[shapely.box(x, y, x + 100, y + 100) for x in xs for y in ys],
        crs=26917,
    ).to_crs(4326)
    fields = _field_map("buildings:\n  building_id: OBJECTID\n  floors: Storeys\n  gfa_m2: {column: TotalSqft, unit: ft2}\n")
    start = time.perf_counter()
    result = landtool.check(grid, buildings=footprints, fields=fields, policy="taizhou", as_of="2023-06-30", lang="en")
    Path(fields).unlink()
    issues = result.layers["issues"]["problem"].value_counts().to_dict()
    far = result.parcels["far"].dropna()
    print(f"Waterloo: {len(footprints)} footprints on {len(grid)} parcels of 1 ha in {time.perf_counter() - start:.2f} s, "
          f"CRS EPSG:{result.parcels.crs.to_epsg()}, floor area {result.layers['buildings']['gfa_m2'].sum():,.0f} m² "
          f"(TotalSqft {footprints['TotalSqft'].sum():,.0f} ft²), {len(far)} parcels with a FAR (median {far.median():.2f}), issues {issues}")


def bilbao(root: Path) -> None:
    ndsm = root / "bilbao_building_ndsm" / "BDSM.tif"
    with rasterio.open(ndsm) as src:
        heights = src.read(1)
        traced = [shapely.geometry.shape(g) for g, v in shapes((heights > 3).astype("uint8"), mask=heights > 3, transform=src.transform) if v == 1]
        crs = src.crs
    footprints = gpd.GeoDataFrame({"building_id": [f"b{i}" for i in range(len(traced))]}, geometry=traced, crs=crs)
    footprints = footprints[footprints.area > 100].reset_index(drop=True)
    start = time.perf_counter()
    measured, _ = building_heights(footprints, HeightRaster(ndsm=str(ndsm)))
    print(f"Bilbao: {len(footprints)} footprints, raster heights in {time.perf_counter() - start:.2f} s, "
          f"median {measured['height_m'].median():.1f} m, max {measured['height_m'].max():.1f} m")
    xs, ys = np.arange(499_400, 502_800, 100), np.arange(4_793_800, 4_797_200, 100)
    grid = gpd.GeoDataFrame(
        {"parcel_id": [f"G{i}-{j}" for i in range(len(xs)) for j in range(len(ys))], "land_use": "工业用地"},
        geometry=[shapely.box(x, y, x + 100, y + 100) for x in xs for y in ys],
        crs=crs,
    ).to_crs(4326)
    start = time.perf_counter()
    result = landtool.check(grid, buildings=footprints, height_raster=str(ndsm), policy="yuhuan", as_of="2023-06-30", lang="en")
    height = result.verdicts[result.verdicts["rule"] == "indicator.height_max"]["status"].value_counts().to_dict()
    print(f"Bilbao: {len(grid)} parcels in {time.perf_counter() - start:.2f} s, CRS EPSG:{result.parcels.crs.to_epsg()}, "
          f"median area {result.parcels['area_m2'].median():.2f} m², height_max {height}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "realdata")
    args = parser.parse_args()
    nyc(args.root)
    shanghai(args.root)
    waterloo(args.root)
    bilbao(args.root)


if __name__ == "__main__":
    main()
