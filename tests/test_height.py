"""Heights from a raster (nDSM, or DSM − DEM), per building, cells mostly inside only.

The rasters are built in code: cells of 1 m, the top-left corner at (X0, Y0 + rows), so
cell (row r, column c) spans x ∈ [X0 + c, X0 + c + 1] and y ∈ [Y0 + rows − r − 1, Y0 + rows − r].
"""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

import landtool
from landtool.errors import InputError
from landtool.height import HeightRaster, building_heights, raster_heights
from tests.conftest import X0, Y0, frame, rect

SIZE = 40  # 40 × 40 cells of 1 m


def write_raster(path, data, cell=1.0, nodata=-9999.0, dtype="float32", crs="EPSG:4549", origin=None, tiled=True):
    """A one-band GeoTIFF of ``data``; ``origin`` is its top-left corner (default X0, Y0 + rows)."""
    x, y = origin if origin is not None else (X0, Y0 + data.shape[0] * cell)
    profile = {
        "driver": "GTiff", "width": data.shape[1], "height": data.shape[0], "count": 1, "dtype": dtype,
        "crs": crs, "transform": from_origin(x, y, cell, cell), "nodata": nodata,
    }
    if tiled:
        profile.update(tiled=True, blockxsize=16, blockysize=16)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data.astype(dtype), 1)
    return str(path)


def cells(r0, c0, r1, c1, rows=SIZE):
    """The polygon covering exactly rows r0..r1−1 and columns c0..c1−1 of a raster of ``rows`` rows."""
    return shapely.box(X0 + c0, Y0 + rows - r1, X0 + c1, Y0 + rows - r0)


def footprints(*geoms, crs="EPSG:4549"):
    return frame([{"building_id": f"B{i + 1}", "geometry": g} for i, g in enumerate(geoms)], crs=crs)


def ringed_ndsm():
    """30 m inside cells 11..28 (rows and columns), 100 m on the ring of cells 10 and 29."""
    data = np.zeros((SIZE, SIZE))
    data[10:30, 10:30] = 100.0
    data[11:29, 11:29] = 30.0
    return data


def building(lo, hi):
    # a box symmetric in x and y covers the same cell indices in both directions
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
    heights, warnings = building_heights(building(lo, hi), HeightRaster(ndsm=ndsm))
    assert heights["height_m"].iloc[0] == pytest.approx(expected)
    assert heights["height_source"].iloc[0] == "raster"
    assert heights["height_problem"].iloc[0] is None
    assert warnings == []


def test_the_height_is_the_90th_percentile_of_the_cells(tmp_path):
    # one row of ten cells holding 1 … 10 m: sorted, the 90th percentile sits at rank
    # 0.9 × (10 − 1) = 8.1, i.e. 9 + 0.1 × (10 − 9) = 9.1 m
    data = np.zeros((SIZE, SIZE))
    data[5, 0:10] = np.arange(1, 11)
    ndsm = write_raster(tmp_path / "ndsm.tif", data)
    found = raster_heights(footprints(cells(5, 0, 6, 10)).geometry, HeightRaster(ndsm=ndsm))
    assert found.height_m[0] == pytest.approx(9.1)
    # the statistic is a setting: the maximum, the median (5.5 m)
    assert raster_heights(footprints(cells(5, 0, 6, 10)).geometry, HeightRaster(ndsm=ndsm, statistic=100.0)).height_m[0] == 10.0
    assert raster_heights(footprints(cells(5, 0, 6, 10)).geometry, HeightRaster(ndsm=ndsm, statistic=50.0)).height_m[0] == pytest.approx(5.5)


def test_many_footprints_in_small_chunks_and_batches_give_the_same_heights(tmp_path, monkeypatch):
    from landtool import height

    rng = np.random.default_rng(7)
    data = rng.uniform(0, 40, (SIZE, SIZE)).round(1)
    ndsm = write_raster(tmp_path / "ndsm.tif", data)
    boxes = [cells(r, c, r + h, c + w) for r, c, h, w in rng.integers(0, 20, (30, 4)) + [0, 0, 2, 2]]
    geoms = footprints(*boxes).geometry
    whole = raster_heights(geoms, HeightRaster(ndsm=ndsm))
    # each footprint exactly covers its cells: their 90th percentile, as numpy computes it
    for g, h in zip(boxes, whole.height_m, strict=True):
        x0, y0, x1, y1 = g.bounds
        c0, c1, r0, r1 = round(x0 - X0), round(x1 - X0), round(Y0 + SIZE - y1), round(Y0 + SIZE - y0)
        assert h == pytest.approx(np.percentile(data[r0:r1, c0:c1].astype("float32"), 90))
    monkeypatch.setattr(height, "CHUNK_CELLS", 100)  # chunks of 10 × 10 cells: footprints straddle them
    monkeypatch.setattr(height, "BATCH_FOOTPRINTS", 4)
    small = raster_heights(geoms, HeightRaster(ndsm=ndsm))
    np.testing.assert_allclose(small.height_m, whole.height_m)


def test_attribute_height_wins_over_raster(tmp_path):
    ndsm = write_raster(tmp_path / "ndsm.tif", ringed_ndsm())
    b = building(10.6, 29.4).assign(height_m=12.5)
    heights, _ = building_heights(b, HeightRaster(ndsm=ndsm))
    assert (heights["height_m"].iloc[0], heights["height_source"].iloc[0], heights["height_problem"].iloc[0]) == (12.5, "buildings", None)


def test_dsm_minus_dem_on_a_coarser_dem_grid(tmp_path):
    dem = np.full((SIZE // 2, SIZE // 2), 52.0)  # 2 m cells, flat ground at 52 m
    dsm = 52.0 + ringed_ndsm()
    heights, _ = building_heights(
        building(10.6, 29.4),
        HeightRaster(dsm=write_raster(tmp_path / "dsm.tif", dsm), dem=write_raster(tmp_path / "dem.tif", dem, cell=2.0)),
    )
    assert heights["height_m"].iloc[0] == pytest.approx(30.0)


def _utm_origin():
    """The top-left corner, in EPSG:32651 (UTM 51N), of a raster over the test area, rounded to 1 m."""
    x, y = pyproj.Transformer.from_crs("EPSG:4549", "EPSG:32651", always_xy=True).transform(X0, Y0 + SIZE)
    return round(x), round(y)


def test_rasters_in_another_crs_than_the_footprints(tmp_path):
    # the nDSM in UTM 51N; the footprint drawn on its cells there, then given in EPSG:4549
    ox, oy = _utm_origin()
    ndsm = write_raster(tmp_path / "ndsm.tif", ringed_ndsm(), crs="EPSG:32651", origin=(ox, oy))
    utm = shapely.box(ox + 10.6, oy - 29.4, ox + 29.4, oy - 10.6)
    b = footprints(utm, crs="EPSG:32651").to_crs("EPSG:4549")
    assert raster_heights(b.geometry, HeightRaster(ndsm=ndsm)).height_m[0] == pytest.approx(30.0)
    # a DSM in UTM 51N and a DEM in EPSG:4549 (flat ground at 52 m, 2 m cells, wider than the DSM)
    dsm = write_raster(tmp_path / "dsm.tif", 52.0 + ringed_ndsm(), crs="EPSG:32651", origin=(ox, oy))
    dem = write_raster(tmp_path / "dem.tif", np.full((40, 40), 52.0), cell=2.0, origin=(X0 - 20, Y0 + SIZE + 20))
    found = raster_heights(b.geometry, HeightRaster(dsm=dsm, dem=dem))
    assert (found.height_m[0], found.problem[0]) == (pytest.approx(30.0), None)


def test_parcels_only_the_height_of_the_building_cells(tmp_path):
    """No buildings layer: cells of at least min_height_m are the buildings; the parcel's
    height is the height reached by at least parcel_top_area_m2 (20 m² = 20 cells here)."""
    corner = np.zeros((SIZE, SIZE))
    corner[0:6, 0:6] = 10.0  # a 36 m² building of 10 m in one corner; the rest is ground at 0 m
    parcel = footprints(cells(0, 0, SIZE, SIZE)).geometry
    found = raster_heights(parcel, HeightRaster(ndsm=write_raster(tmp_path / "corner.tif", corner)), min_height_m=2.0)
    # all cells: p90 of 1 564 cells at 0 m and 36 at 10 m would be 0 m; the building's cells give 10 m
    assert (found.height_m[0], found.problem[0]) == (10.0, None)


def test_parcels_only_a_small_tall_building_is_not_hidden_by_a_large_low_one(tmp_path):
    data = np.zeros((SIZE, SIZE))
    data[0:20, 0:20] = 12.0  # a hall of 400 m² at 12 m
    data[30:35, 30:35] = 30.0  # an office of 25 m² at 30 m
    parcel = footprints(cells(0, 0, SIZE, SIZE)).geometry
    found = raster_heights(parcel, HeightRaster(ndsm=write_raster(tmp_path / "p.tif", data)), min_height_m=2.0)
    # the 20th highest of the 425 building cells is an office cell: 30 m (their 90th percentile: 12 m)
    assert found.height_m[0] == 30.0


@pytest.mark.parametrize(("n_cells", "expected", "problem"), [(19, np.nan, "no_building_cells"), (20, 10.0, None), (21, 10.0, None)])
def test_parcels_only_at_least_the_top_area_must_reach_the_building_height(tmp_path, n_cells, expected, problem):
    data = np.zeros((SIZE, SIZE))
    data.ravel()[:n_cells] = 10.0  # n cells of 1 m² at 10 m along the top row
    data[20, 0:30] = 1.99  # below min_height_m = 2: ground, not a building
    parcel = footprints(cells(0, 0, SIZE, SIZE)).geometry
    found = raster_heights(parcel, HeightRaster(ndsm=write_raster(tmp_path / "p.tif", data)), min_height_m=2.0)
    assert found.problem[0] == problem
    np.testing.assert_equal(found.height_m[0], expected)


def test_parcels_only_a_vacant_parcel_has_no_building_height(tmp_path):
    parcel = footprints(cells(0, 0, SIZE, SIZE)).geometry
    found = raster_heights(parcel, HeightRaster(ndsm=write_raster(tmp_path / "p.tif", np.zeros((SIZE, SIZE)))), min_height_m=2.0)
    assert (np.isnan(found.height_m[0]), found.problem[0]) == (True, "no_building_cells")


def test_raster_height_reaches_the_parcel_and_the_height_rule(tmp_path, verdict):
    ndsm = write_raster(tmp_path / "ndsm.tif", ringed_ndsm())
    parcels = frame([{"parcel_id": "P", "land_use": "工业用地", "geometry": rect(0, 0, SIZE, SIZE)}])
    result = landtool.check(parcels, buildings=building(10.6, 29.4), height_raster=ndsm, policy="tiantai", as_of="2023-01-01")
    assert result.parcels.loc[0, "height_source"] == "raster"
    assert result.parcels.loc[0, "height_m"] == pytest.approx(30.0)
    v = verdict(result, "P", "indicator.height_max")
    assert (v["status"], v["value"]) == ("fail", 30.0)


def test_implausible_raster_heights_never_pass_the_height_rule(tmp_path, verdict):
    # an nDSM of −5 m under the building (below −1 m: wrong data) would pass the 24 m limit
    data = ringed_ndsm()
    data[10:30, 10:30] = -5.0
    ndsm = write_raster(tmp_path / "ndsm.tif", data)
    parcels = frame([{"parcel_id": "P", "land_use": "工业用地", "geometry": rect(0, 0, SIZE, SIZE)}])
    result = landtool.check(parcels, buildings=building(10.6, 29.4), height_raster=ndsm, policy="tiantai", as_of="2023-01-01")
    assert np.isnan(result.parcels.loc[0, "height_m"])
    assert verdict(result, "P", "indicator.height_max")["status"] == "insufficient_data"
    issues = result.issues[result.issues["problem"] == "raster_implausible"]
    assert issues["feature_id"].tolist() == ["B1"]


def test_dsm_without_dem_is_a_usage_error(tmp_path):
    with pytest.raises(InputError, match="--dsm and --dem go together") as err:
        HeightRaster(dsm=str(tmp_path / "dsm.tif"))
    assert err.value.code == "dsm_without_dem"
    with pytest.raises(InputError) as err:
        HeightRaster(ndsm="a.tif", dsm="b.tif", dem="c.tif")
    assert err.value.code == "height_raster_conflict"
