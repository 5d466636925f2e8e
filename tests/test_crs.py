"""Areas are measured in the CGCS2000 3-degree GK zone of the data, never in degrees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import shapely
from pyproj import CRS

import landtool
from landtool.crs import (
    allowed_box,
    gk_zone_epsg,
    gk_zones,
    parse_crs,
    settle_crs,
    to_crs_checked,
    utm_epsg,
    working_crs,
)
from landtool.errors import InputError
from landtool.fields import FieldMap, Source
from landtool.io import read_layer
from tests.conftest import frame, rect

#: The specification folder beside the repository (real third-party samples in realdata/).
SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"


def projected_parcels():
    # an L-shape, a skewed quadrilateral and a 10-mu square
    l_shape = shapely.union(rect(0, 0, 120, 40), rect(0, 40, 40, 140))
    skew = shapely.Polygon([(p[0] + 502_900 + 200, p[1] + 3_223_800) for p in [(0, 0), (150, 20), (170, 130), (10, 110)]])
    return frame(
        [
            {"parcel_id": "L", "land_use": "工业用地", "geometry": l_shape},
            {"parcel_id": "S", "land_use": "工业用地", "geometry": skew},
            {"parcel_id": "Q", "land_use": "工业用地", "geometry": rect(400, 0, 400 + 81.64965809, 81.64965809)},
        ]
    )


@pytest.mark.parametrize("epsg", [4490, 4326])
def test_geographic_input_gives_the_projected_areas(epsg):
    original = landtool.check(projected_parcels(), as_of="2023-01-01")
    geographic = landtool.check(projected_parcels().to_crs(epsg), as_of="2023-01-01")
    assert geographic.parcels.crs.to_epsg() == 4549
    for a, b in zip(original.parcels["area_m2"], geographic.parcels["area_m2"], strict=True):
        assert b == pytest.approx(a, rel=1e-4)  # ±0.01 %
    # L-shape: 120 × 40 + 40 × 100 = 8800 m² = 13.2 mu
    assert original.parcels.set_index("parcel_id").loc["L", ["area_m2", "area_mu"]].tolist() == [8800.0, 13.2]


def test_zone_from_longitude():
    assert gk_zone_epsg(121.03) == 4549  # 天台, CM 120°E
    assert gk_zone_epsg(119.4) == 4549  # nearer CM 120°E than CM 117°E
    assert gk_zone_epsg(118.4) == 4548  # CM 117°E
    assert gk_zone_epsg(122.0) == 4550  # CM 123°E


def test_outside_china_uses_utm():
    nyc = frame([{"parcel_id": "X", "geometry": shapely.box(-74.25, 40.50, -74.249, 40.501)}], crs="EPSG:4326")
    assert working_crs(nyc) == CRS.from_epsg(utm_epsg(-74.25, 40.5)) == CRS.from_epsg(32618)


def test_projected_crs_in_feet_is_reprojected():
    feet = frame([{"parcel_id": "X", "geometry": shapely.box(940_000, 120_000, 940_100, 120_100)}], crs="EPSG:2263")
    assert working_crs(feet).to_epsg() == 32618
    result = landtool.check(feet.assign(land_use="工业用地"), as_of="2023-01-01")
    # 100 ft × 100 ft = 929.03 m² on the state plane; UTM's scale factor there (≈ 0.99966
    # against the state plane's ≈ 0.99999) makes the planar area 0.07 % smaller.
    assert result.parcels.loc[0, "area_m2"] == pytest.approx(929.03, rel=1e-3)


def test_other_layers_are_brought_to_the_parcels_crs():
    parcels = projected_parcels()
    buildings = frame([{"building_id": "B", "height_m": 30.0, "geometry": rect(5, 5, 25, 25)}]).to_crs(4490)
    result = landtool.check(parcels, buildings=buildings, as_of="2023-01-01")
    assert result.parcels.set_index("parcel_id").loc["L", "height_m"] == 30.0


def test_frame_without_crs_is_an_error():
    parcels = projected_parcels().set_crs(None, allow_override=True)
    with pytest.raises(InputError) as err:
        landtool.check(parcels, as_of="2023-01-01")
    assert err.value.code in ("frame_without_crs", "no_crs") and "parcels" in str(err.value)
    assert landtool.check(parcels, crs="EPSG:4549", as_of="2023-01-01").parcels.loc[0, "area_m2"] == 8800.0


# --------------------------------------------------------------------------- CRS that lie


def test_gk_zone_table():
    zones = {g.epsg: g for g in gk_zones()}
    assert len(zones) == 64 and set(zones) == set(range(4491, 4555))
    assert (zones[4491].width, zones[4491].zone, zones[4491].cm, zones[4491].prefixed) == (6, 13, 75, True)
    assert (zones[4512].width, zones[4512].cm, zones[4512].prefixed) == (6, 135, False)
    assert (zones[4513].zone, zones[4533].zone, zones[4533].cm) == (25, 45, 135)
    assert (zones[4549].cm, zones[4549].prefixed) == (120, False)
    # every entry agrees with the EPSG database's name
    for g in (zones[4498], zones[4509], zones[4528], zones[4549]):
        name = CRS.from_epsg(g.epsg).name
        assert (f"zone {g.zone}" in name) if g.prefixed else (f"CM {g.cm}E" in name)
        assert ("3-degree" in name) == (g.width == 3)


def test_area_of_use_box_of_the_tiantai_zone():
    xmin, ymin, xmax, ymax = allowed_box(CRS.from_epsg(4549))
    # 118.5–121.5°E, 24.43–53.33°N widened by 0.5° on each side: 2° from the CM is 203 km at 23.93°N
    assert 290_000 < xmin < 300_000 and 700_000 < xmax < 710_000
    assert 2_640_000 < ymin < 2_650_000 and 5_960_000 < ymax < 5_970_000
    assert allowed_box(CRS.from_epsg(4326)) == (-180.0, -90.0, 180.0, 90.0)


@pytest.mark.parametrize("text", ["foo", "EPSG:99999", "+proj=nowhere"])
def test_unknown_crs_text_is_an_input_error(text):
    with pytest.raises(InputError) as err:
        parse_crs(text)
    assert err.value.code == "crs_unknown" and text in str(err.value) and "--crs" in err.value.render("zh")


def test_vertical_crs_is_not_accepted():
    with pytest.raises(InputError) as err:
        parse_crs("EPSG:5773")
    assert err.value.code == "crs_not_horizontal"
    assert parse_crs("4549") == CRS.from_epsg(4549)


def test_crs_flag_corrects_a_lying_prj_with_a_warning():
    lonlat = frame([{"parcel_id": "A", "geometry": shapely.box(121.0, 29.1, 121.001, 29.101)}], crs="EPSG:4549")
    with pytest.raises(InputError) as err:
        settle_crs(lonlat, "parcels.shp")
    assert err.value.code == "coordinates_look_geographic" and err.value.params["suggest"] == "EPSG:4490"
    fixed = settle_crs(lonlat, "parcels.shp", "EPSG:4490")
    assert fixed.crs.to_epsg() == 4490
    (warning,) = fixed.attrs["warnings"]
    assert warning.code == "crs_overridden" and warning.args == {"layer": "parcels.shp", "declared": "EPSG:4549", "crs": "EPSG:4490"}
    # a --crs that does not fit either keeps the first error
    with pytest.raises(InputError) as err:
        settle_crs(lonlat, "parcels.shp", "EPSG:4528")
    assert err.value.code == "coordinates_look_geographic"


def test_crs_flag_never_overrides_an_honest_crs():
    honest = projected_parcels()
    assert settle_crs(honest, "parcels", "EPSG:4528").crs.to_epsg() == 4549


def test_reprojection_that_yields_inf_names_the_layer():
    # An orthographic view centred on New York: the other side of the Earth is at infinity.
    near = frame([{"zone_id": "Z1", "geometry": shapely.box(-74.25, 40.50, -74.249, 40.501)}, {"zone_id": "Z2", "geometry": shapely.box(121.0, 29.1, 121.001, 29.101)}], crs="EPSG:4326")
    near["source_fid"] = [1, 7]
    ortho = "+proj=ortho +lat_0=40.5 +lon_0=-74.25 +ellps=WGS84"
    with pytest.raises(InputError) as err:
        to_crs_checked(near, ortho, "zones.geojson")
    assert err.value.code == "reprojection_failed" and err.value.params["features"] == [7]
    assert "zones.geojson" in str(err.value)
    assert to_crs_checked(near.iloc[:1], ortho, "zones.geojson").geometry.is_valid.all()


REALDATA = SHARED_DIR / "realdata"
_FT2 = 0.09290304
_WATERLOO = FieldMap({"buildings": {"building_id": [Source("OBJECTID")], "floors": [Source("Storeys")], "gfa_m2": [Source("TotalSqft", "ft2", _FT2)]}})
_REAL = {
    "nyc": FieldMap({"parcels": {"parcel_id": [Source("BBL")], "registered_area_m2": [Source("LotArea", "ft2", _FT2)], "gfa_m2": [Source("BldgArea", "ft2", _FT2)]}}),
    "waterloo": _WATERLOO,
    "shanghai": FieldMap({"buildings": {"building_id": [Source("id")], "height_m": [Source("height")]}, "zones": {"zone_type": [Source("kind")]}}),
}


@pytest.mark.parametrize(
    ("path", "kind", "epsg", "count"),
    [
        ("nyc_tottenville_mappluto/mappluto.json", "parcels", 4326, 2000),
        ("waterloo_northdale_buildings/northdale.geojson", "buildings", 4326, 1349),  # CRS84
        ("waterloo_northdale_buildings/building_footprints_epsg26917.geojson", "buildings", 26917, 279),
        ("shanghai_osm_buildings/buildings.geojson", "buildings", 4326, 1981),  # 409 label points: issues, not errors
        ("shanghai_osm_buildings/landuse.geojson", "zones", 4326, 327),
    ],
)
def test_real_data_outside_china_and_in_it_is_not_rejected(path, kind, epsg, count):
    file = REALDATA / path
    if not file.is_file():
        _unavailable(f"{file} not found")
    gdf = read_layer(file, kind, fields=_REAL[path.split("_")[0]])
    assert (gdf.crs.to_epsg(), len(gdf)) == (epsg, count)
    assert CRS.from_user_input(gdf.crs).is_geographic or working_crs(gdf).to_epsg() == epsg


def _unavailable(reason: str):
    """Skip locally, fail in CI (where shared/ is always beside the clone)."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
