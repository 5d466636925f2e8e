"""No height without evidence: coverage, nodata markers, implausible values, DSM − DEM
mistakes and broken files, each with the value or problem worked out by hand.

Unless said otherwise a building covers exactly the 10 × 10 cells of rows and columns
10..19 (100 m²), all at 20 m, on a 40 × 40 nDSM of 1 m cells whose ground is 0 m.
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import rasterio.shutil

from landtool.errors import InputError
from landtool.height import HeightRaster, building_heights, raster_heights
from tests.conftest import X0, frame
from tests.test_height import SIZE, cells, footprints, ringed_ndsm, write_raster

BUILDING = cells(10, 10, 20, 20)


def ndsm(value_at=None, dtype="float32", nodata=-9999.0):
    """The nDSM: 20 m under BUILDING; ``value_at`` = (value, n) sets its first n cells (row by row)."""
    data = np.zeros((SIZE, SIZE))
    data[10:20, 10:20] = 20.0
    if value_at is not None:
        value, n = value_at
        block = data[10:20, 10:20].ravel()
        block[:n] = value
        data[10:20, 10:20] = block.reshape(10, 10)
    return data


def measure(tmp_path, data, *geoms, **options):
    path = write_raster(tmp_path / "ndsm.tif", data, **options)
    return raster_heights(footprints(*(geoms or (BUILDING,))).geometry, HeightRaster(ndsm=path)), path


# --- coverage ------------------------------------------------------------------------------


def test_a_footprint_half_outside_the_raster_has_no_height(tmp_path):
    # x from X0 − 5 to X0 + 5: half of it lies west of the raster
    data = np.zeros((SIZE, SIZE))
    data[10:20, 0:10] = 20.0
    half_out = cells(10, -5, 20, 5)
    found, path = measure(tmp_path, data, half_out)
    assert (np.isnan(found.height_m[0]), found.problem[0]) == (True, "partly_outside_raster")
    assert found.covered_m[0] == 20.0  # what the covered half shows, for whoever needs a bound
    [warning] = found.warnings
    assert (warning.code, warning.args) == ("raster_covers_part", {"raster": path, "covered": 0, "total": 1, "outside": 0, "partly": 1, "empty": 0})


def test_a_footprint_wholly_outside_the_raster(tmp_path):
    found, _ = measure(tmp_path, ndsm(), cells(10, 50, 20, 60), BUILDING)
    assert found.problem.tolist() == ["outside_raster", None]
    assert np.isnan(found.height_m[0]) and found.height_m[1] == 20.0
    assert [(w.code, w.args["covered"], w.args["outside"]) for w in found.warnings] == [("raster_covers_part", 1, 1)]


def test_a_raster_covering_none_of_the_footprints(tmp_path):
    found, path = measure(tmp_path, ndsm(), cells(10, 50, 20, 60), cells(-30, 0, -20, 10))
    assert found.problem.tolist() == ["outside_raster", "outside_raster"]
    assert [(w.code, w.args) for w in found.warnings] == [("raster_covers_none", {"raster": path, "total": 2})]
    assert "covers none of the 2 footprints" in str(found.warnings[0])
    assert "未覆盖 2 个图形中的任何一个" in found.warnings[0].render("zh")


@pytest.mark.parametrize(("n_nodata", "height", "problem"), [(5, 20.0, None), (6, np.nan, "partly_outside_raster")])
def test_nodata_on_more_than_five_percent_of_a_footprint(tmp_path, n_nodata, height, problem):
    # 5 of 100 m² on nodata: 5 % may be missing (max_missing_share); 6 %: the tallest part could be missed
    found, _ = measure(tmp_path, ndsm((-9999.0, n_nodata)))
    assert found.problem[0] == problem
    np.testing.assert_equal(found.height_m[0], height)
    assert [w.code for w in found.warnings] == ([] if problem is None else ["raster_covers_part"])


def test_a_footprint_wholly_on_nodata_has_no_valid_cells(tmp_path):
    found, path = measure(tmp_path, ndsm((-9999.0, 100)))
    assert (np.isnan(found.height_m[0]), found.problem[0]) == (True, "no_valid_cells")
    [warning] = found.warnings  # counted in the coverage warning, not as covered
    assert (warning.code, warning.args) == ("raster_covers_part", {"raster": path, "covered": 0, "total": 1, "outside": 0, "partly": 0, "empty": 1})
    assert "1 have no valid cell under them" in str(warning) and "1 个下方没有有效像元" in warning.render("zh")


def test_a_footprint_smaller_than_half_a_cell_has_no_valid_cells(tmp_path):
    found, _ = measure(tmp_path, ndsm(), cells(10, 10, 10.7, 10.7))  # 0.49 of one cell
    assert found.problem[0] == "no_valid_cells"


# --- nodata markers ------------------------------------------------------------------------


def test_a_raster_without_nodata_has_its_minus_9999_cells_masked(tmp_path):
    found, path = measure(tmp_path, ndsm((-9999.0, 3)), nodata=None)
    # 3 % of the footprint masked: the 97 cells at 20 m give the height
    assert (found.height_m[0], found.problem[0]) == (20.0, None)
    [warning] = found.warnings
    assert (warning.code, warning.args) == ("raster_no_nodata_sentinels", {"raster": path, "values": ["-9999"]})
    assert "declares no nodata value: its cells holding -9999 (values that mark missing data) were treated as nodata" in str(warning)
    assert "其值为 -9999（表示缺失数据的标记值）的像元已按无数据处理" in warning.render("zh")


def test_unmasked_minus_9999_would_be_wrong_data_masked_it_is_missing_data(tmp_path):
    # 6 cells of −9999: as values they would make the footprint implausible; as nodata (6 %
    # of its area) they leave it partly unmeasured
    found, _ = measure(tmp_path, ndsm((-9999.0, 6)), nodata=None)
    assert found.problem[0] == "partly_outside_raster"


def test_int16_minus_32768_is_nodata(tmp_path):
    found, _ = measure(tmp_path, ndsm((-32768, 3)), dtype="int16", nodata=None)
    assert (found.height_m[0], found.problem[0]) == (20.0, None)
    assert [(w.code, w.args["values"]) for w in found.warnings] == [("raster_no_nodata_sentinels", ["-32768"])]


def test_float32_max_is_nodata(tmp_path):
    # unmasked, one cell of 3.4e38 m would make the footprint implausible (above 1000 m)
    big = float(np.finfo("float32").max)
    found, _ = measure(tmp_path, ndsm((big, 1)), nodata=None)
    assert (found.height_m[0], found.problem[0]) == (20.0, None)
    assert found.warnings[0].args["values"] == ["3.40282e+38"]


def test_markers_besides_the_declared_nodata_are_masked_too(tmp_path):
    found, _ = measure(tmp_path, ndsm((-32768.0, 2)), nodata=-9999.0)
    assert (found.height_m[0], found.problem[0]) == (20.0, None)
    [warning] = found.warnings
    assert (warning.code, warning.args["nodata"], warning.args["values"]) == ("raster_sentinels_masked", "-9999", ["-32768"])


def test_uint8_255_is_nodata(tmp_path):
    found, _ = measure(tmp_path, ndsm((255, 4)), dtype="uint8", nodata=None)
    assert (found.height_m[0], found.problem[0]) == (20.0, None)


# --- implausible values --------------------------------------------------------------------


def test_negative_heights_are_implausible(tmp_path):
    # a whole building at −5 m (an nDSM given as a DSM, the DEM above it): no pass on −5 m
    found, _ = measure(tmp_path, ndsm((-5.0, 100)))
    assert (np.isnan(found.height_m[0]), found.problem[0]) == (True, "implausible")


@pytest.mark.parametrize(
    ("value", "n", "problem"),
    [
        (-1.0, 6, None),  # −1 m is ground noise (min_plausible_m)
        (-1.01, 5, None),  # below −1 m on 5 % of the cells: tolerated (max_missing_share)
        (-1.01, 6, "implausible"),  # on 6 %: wrong data
        (1000.0, 1, None),  # 1000 m is the highest plausible value (max_plausible_m)
        (1000.5, 1, "implausible"),  # one cell above it is enough
    ],
)
def test_plausibility_limits(tmp_path, value, n, problem):
    found, _ = measure(tmp_path, ndsm((value, n)))
    assert found.problem[0] == problem
    if problem is None:
        assert found.height_m[0] == 20.0  # at most 6 odd cells of 100: the 90th percentile is 20 m
    else:
        assert np.isnan(found.height_m[0])


def test_a_problem_reaches_the_building_table(tmp_path):
    path = write_raster(tmp_path / "ndsm.tif", ndsm((-5.0, 100)))
    b = frame([{"building_id": "B1", "geometry": BUILDING}, {"building_id": "B2", "geometry": cells(30, 30, 35, 35), "height_m": 8.0}])
    heights, warnings = building_heights(b, HeightRaster(ndsm=path))
    assert warnings == []  # −5 m cells are values, not nodata markers
    assert heights["height_problem"].tolist() == ["implausible", None]
    assert heights["height_source"].tolist() == [None, "buildings"]
    assert np.isnan(heights["height_m"].iloc[0]) and heights["height_m"].iloc[1] == 8.0


def test_a_dsm_given_as_the_height_raster_is_warned_about(tmp_path):
    # heights above sea level (ground at 52 m): no cell within 2 m of 0 m
    found, path = measure(tmp_path, 52.0 + ndsm())
    assert found.warnings[0].args["raster"] == path
    assert found.height_m[0] == 72.0
    assert [(w.code, w.args["share"]) for w in found.warnings] == [("raster_no_ground", 0.0)]


def test_a_height_limit_raster_is_not_expected_to_show_the_ground(tmp_path):
    # an airport clearance surface at 52 m everywhere: no warning about the ground, and its
    # errors name it as a height-limit raster
    path = write_raster(tmp_path / "limit.tif", np.full((SIZE, SIZE), 52.0))
    found = raster_heights(footprints(BUILDING).geometry, HeightRaster(ndsm=path, statistic=0.0, role="height-limit"))
    assert (found.height_m[0], found.warnings) == (52.0, [])
    with pytest.raises(InputError, match="cannot open the height-limit raster"):
        HeightRaster(ndsm=str(tmp_path / "missing.tif"), role="height-limit").validate()


# --- DSM − DEM -----------------------------------------------------------------------------


def test_an_ndsm_given_as_a_dsm_is_an_input_error(tmp_path):
    # DSM − DEM = 0 − 52 on the 1200 ground cells and 30 − 52 on the 324 inner building
    # cells: 1524 of 1600 cells (95.25 %) more than 1 m below the ground
    dsm = write_raster(tmp_path / "ndsm.tif", ringed_ndsm())
    dem = write_raster(tmp_path / "dem.tif", np.full((SIZE, SIZE), 52.0))
    source = HeightRaster(dsm=dsm, dem=dem)
    with pytest.raises(InputError) as err:
        source.validate()
    assert (err.value.code, err.value.params["share"]) == ("dsm_below_dem", pytest.approx(0.9525))
    assert "probably an nDSM already" in str(err.value) and "--height-raster" in str(err.value)
    assert "很可能已是归一化数字表面模型" in err.value.render("zh")
    with pytest.raises(InputError) as err:
        raster_heights(footprints(BUILDING).geometry, source)
    assert err.value.code == "dsm_below_dem"


@pytest.mark.parametrize(("n_below", "fails"), [(400, False), (401, True)])
def test_a_quarter_of_the_cells_below_the_dem_is_still_a_dsm(tmp_path, n_below, fails):
    # 1600 cells; DSM − DEM = −2 m on n of them (pits, water): 400 = 25 % is tolerated
    data = np.zeros((SIZE, SIZE))
    data.ravel()[:n_below] = -2.0
    source = HeightRaster(dsm=write_raster(tmp_path / "dsm.tif", 10.0 + data), dem=write_raster(tmp_path / "dem.tif", np.full((SIZE, SIZE), 10.0)))
    if fails:
        with pytest.raises(InputError, match="25.0625% of the cells read"):
            source.validate()
    else:
        source.validate()


def test_dsm_minus_dem_far_above_the_ground_is_warned_about(tmp_path):
    # a DSM 10 m above its DEM on the ground (different vertical references): DSM − DEM
    # is within 2 m of 0 m on none of the 1600 cells
    dsm = write_raster(tmp_path / "dsm.tif", 62.0 + ndsm())
    dem = write_raster(tmp_path / "dem.tif", np.full((SIZE, SIZE), 52.0))
    found = raster_heights(footprints(BUILDING).geometry, HeightRaster(dsm=dsm, dem=dem))
    assert found.height_m[0] == 30.0
    assert [(w.code, w.args["share"]) for w in found.warnings] == [("dsm_dem_no_ground", 0.0)]
    assert "different vertical references" in str(found.warnings[0])


def test_a_dem_with_nodata_under_a_building_gives_no_height_not_the_dsm(tmp_path):
    dsm = write_raster(tmp_path / "dsm.tif", 52.0 + ringed_ndsm())  # buildings 30 m, ground at 52 m
    dem = np.full((SIZE, SIZE), 52.0)
    dem[0:8, 0:8] = -9999.0  # the DEM's nodata
    dsm_top = write_raster(tmp_path / "dsm_top.tif", 52.0 + np.pad(np.full((6, 6), 30.0), ((1, 33), (1, 33))))
    dem_path = write_raster(tmp_path / "dem.tif", dem)
    b = footprints(cells(1, 1, 7, 7), cells(11, 11, 29, 29)).geometry
    found = raster_heights(b, HeightRaster(dsm=dsm_top, dem=dem_path))
    # the first building stands where the DEM has no data: not 82 m (DSM − 0), no height at all
    assert (np.isnan(found.height_m[0]), found.problem[0]) == (True, "no_valid_cells")
    assert found.problem[1] is None and found.height_m[1] == 0.0
    assert raster_heights(b, HeightRaster(dsm=dsm, dem=dem_path)).height_m[1] == 30.0


def test_a_dem_smaller_than_the_dsm_gives_no_height_beyond_it(tmp_path):
    # the DEM (2 m cells, no nodata value) covers the west half only: east of it no DSM − 0
    dsm = write_raster(tmp_path / "dsm.tif", 52.0 + ndsm() + np.pad(np.full((10, 10), 20.0), ((10, 20), (25, 5))))
    dem = write_raster(tmp_path / "dem.tif", np.full((SIZE // 2, SIZE // 4), 52.0), cell=2.0, nodata=None)
    b = footprints(BUILDING, cells(10, 25, 20, 35)).geometry
    found = raster_heights(b, HeightRaster(dsm=dsm, dem=dem))
    assert (found.height_m[0], found.problem[0]) == (20.0, None)
    assert (np.isnan(found.height_m[1]), found.problem[1]) == (True, "no_valid_cells")


def test_a_dem_not_overlapping_the_dsm_is_an_input_error(tmp_path):
    dsm = write_raster(tmp_path / "dsm.tif", 52.0 + ndsm())
    dem = write_raster(tmp_path / "dem.tif", np.full((SIZE, SIZE), 52.0), origin=(X0 + 1000, 0.0))
    with pytest.raises(InputError) as err:
        HeightRaster(dsm=dsm, dem=dem).validate()
    assert (err.value.code, err.value.params["dem"]) == ("dem_disjoint", dem)


# --- broken files --------------------------------------------------------------------------


def test_a_truncated_geotiff_is_an_input_error_naming_it(tmp_path):
    # a cloud-optimised GeoTIFF keeps its header in front: cut in half, it opens, and its
    # second half cannot be read
    data = np.random.default_rng(1).uniform(0, 30, (256, 256))
    whole = write_raster(tmp_path / "whole.tif", data, tiled=False)
    cut = tmp_path / "cut.tif"
    rasterio.shutil.copy(whole, cut, driver="COG", BLOCKSIZE=64)
    size = cut.stat().st_size
    with cut.open("r+b") as f:
        f.truncate(size // 2)
    b = footprints(cells(0, 0, 256, 256, rows=256)).geometry
    with pytest.raises(InputError) as err:
        raster_heights(b, HeightRaster(ndsm=str(cut)))
    assert (err.value.code, err.value.params["path"]) == ("raster_read_failed", str(cut))
    assert str(cut) in str(err.value) and "truncated or corrupt" in str(err.value)


def test_a_file_that_is_no_raster_is_an_input_error_naming_it(tmp_path):
    bad = tmp_path / "heights.tif"
    bad.write_bytes(b"II*\x00 not a tiff at all")
    with pytest.raises(InputError) as err:
        HeightRaster(ndsm=str(bad)).validate()
    assert (err.value.code, err.value.params["path"], err.value.params["raster_role"]) == ("raster_unreadable", str(bad), "height")
    assert str(err.value).startswith(f"{bad}: cannot open the building-height raster")
    assert err.value.render("zh").startswith(f"{bad}：无法打开建筑高度栅格")


def test_a_raster_without_crs_is_an_input_error(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32", transform=rasterio.transform.from_origin(X0, 0, 1, 1)) as dst:
        dst.write(np.zeros((1, 4, 4), "float32"))
    with pytest.raises(InputError) as err:
        HeightRaster(ndsm=str(path)).validate()
    assert (err.value.code, err.value.params["path"]) == ("raster_no_crs", str(path))
    with pytest.raises(InputError, match="no coordinate reference system"):
        raster_heights(footprints(BUILDING).geometry, HeightRaster(ndsm=str(path)))


def test_a_multiband_raster_is_an_input_error(tmp_path):
    path = tmp_path / "rgb.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=3, dtype="uint8", crs="EPSG:4549",
                       transform=rasterio.transform.from_origin(X0, 0, 1, 1)) as dst:
        dst.write(np.zeros((3, 4, 4), "uint8"))
    with pytest.raises(InputError) as err:
        HeightRaster(dsm=str(path), dem=str(path)).validate()
    assert (err.value.code, err.value.params["bands"], err.value.params["raster_role"]) == ("raster_bands", 3, "DSM")
    assert "has 3 bands" in str(err.value)


def test_a_south_up_raster_is_an_input_error(tmp_path):
    # rows running north (positive y step): read as north-up, every height would be mirrored
    path = tmp_path / "south_up.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32", crs="EPSG:4549",
                       transform=rasterio.Affine(1.0, 0.0, X0, 0.0, 1.0, 0.0)) as dst:
        dst.write(np.zeros((1, 4, 4), "float32"))
    with pytest.raises(InputError) as err:
        HeightRaster(ndsm=str(path)).validate()
    assert (err.value.code, err.value.params["path"]) == ("raster_rotated", str(path))
