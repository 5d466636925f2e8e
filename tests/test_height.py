"""Heights from a raster (nDSM, or DSM − DEM), per building, cells mostly inside only."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

import landtool
from landtool.errors import InputError
from landtool.height import HeightRaster, building_heights
from tests.conftest import X0, Y0, frame, rect

SIZE = 40  # 40 × 40 cells of 1 m, origin at (X0, Y0 + 40)


def write_raster(path, data, cell=1.0, nodata=-9999.0):
    transform = from_origin(X0, Y0 + data.shape[0] * cell, cell, cell)
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
        dtype="float32", crs="EPSG:4549", transform=transform, nodata=nodata, tiled=True, blockxsize=16, blockysize=16,
    ) as dst:
        dst.write(data.astype("float32"), 1)
    return str(path)


def ringed_ndsm():
    """30 m inside cells 11..28 (rows and columns), 100 m on the ring of cells 10 and 29."""
    data = np.zeros((SIZE, SIZE))
    data[10:30, 10:30] = 100.0
    data[11:29, 11:29] = 30.0
    return data


def building(lo, hi):
    # rows count from the top: cell row r spans y in [Y0 + 40 - r - 1, Y0 + 40 - r]; a box
    # symmetric in x and y covers the same cell indices in both directions.
    return frame([{"building_id": "B1", "geometry": rect(lo, SIZE - hi, hi, SIZE - lo)}])


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (10.6, 29.4, 30.0),  # ring cells 40 % inside: ignored → all counted cells are 30 m
        (10.5, 29.5, 100.0),  # ring cells exactly 50 % inside: counted (≥ 0.5); 76 of 400 cells at 100 m → p90 = 100
        (10.0, 30.0, 100.0),  # ring fully inside
    ],
)
def test_cells_mostly_outside_the_footprint_are_ignored(tmp_path, lo, hi, expected):
    ndsm = write_raster(tmp_path / "ndsm.tif", ringed_ndsm())
    heights = building_heights(building(lo, hi), HeightRaster(ndsm=ndsm))
    assert heights["height_m"].iloc[0] == pytest.approx(expected)
    assert heights["height_source"].iloc[0] == "raster"


def test_attribute_height_wins_over_raster(tmp_path):
    ndsm = write_raster(tmp_path / "ndsm.tif", ringed_ndsm())
    b = building(10.6, 29.4).assign(height_m=12.5)
    heights = building_heights(b, HeightRaster(ndsm=ndsm))
    assert (heights["height_m"].iloc[0], heights["height_source"].iloc[0]) == (12.5, "buildings")


def test_nodata_cells_are_not_counted(tmp_path):
    data = ringed_ndsm()
    data[11:29, 11:29] = -9999.0  # the whole interior is nodata
    ndsm = write_raster(tmp_path / "ndsm.tif", data)
    heights = building_heights(building(10.6, 29.4), HeightRaster(ndsm=ndsm))
    assert np.isnan(heights["height_m"].iloc[0])


def test_dsm_minus_dem_on_a_coarser_dem_grid(tmp_path):
    dem = np.full((SIZE // 2, SIZE // 2), 52.0)  # 2 m cells, flat ground at 52 m
    dsm = 52.0 + ringed_ndsm()
    heights = building_heights(
        building(10.6, 29.4),
        HeightRaster(dsm=write_raster(tmp_path / "dsm.tif", dsm), dem=write_raster(tmp_path / "dem.tif", dem, cell=2.0)),
    )
    assert heights["height_m"].iloc[0] == pytest.approx(30.0)


def test_raster_height_reaches_the_parcel_and_the_height_rule(tmp_path, verdict):
    ndsm = write_raster(tmp_path / "ndsm.tif", ringed_ndsm())
    parcels = frame([{"parcel_id": "P", "land_use": "工业用地", "geometry": rect(0, 0, SIZE, SIZE)}])
    result = landtool.check(parcels, buildings=building(10.6, 29.4), height_raster=ndsm, policy="tiantai", as_of="2023-01-01")
    assert result.parcels.loc[0, "height_source"] == "raster"
    assert result.parcels.loc[0, "height_m"] == pytest.approx(30.0)
    v = verdict(result, "P", "indicator.height_max")
    assert (v["status"], v["value"]) == ("fail", 30.0)


def test_dsm_without_dem_is_a_usage_error(tmp_path):
    with pytest.raises(InputError, match="--dsm and --dem go together"):
        HeightRaster(dsm=str(tmp_path / "dsm.tif"))
