"""Areas are measured in the CGCS2000 3-degree GK zone of the data, never in degrees."""

from __future__ import annotations

import pytest
import shapely
from pyproj import CRS

import landtool
from landtool.crs import gk_zone_epsg, utm_epsg, working_crs
from landtool.errors import InputError
from tests.conftest import frame, rect


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
    with pytest.raises(InputError, match="no CRS"):
        landtool.check(parcels, as_of="2023-01-01")
    assert landtool.check(parcels, crs="EPSG:4549", as_of="2023-01-01").parcels.loc[0, "area_m2"] == 8800.0
