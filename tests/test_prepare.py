"""Nothing is lost: every feature is checked or reported in the issues layer with a reason."""

from __future__ import annotations

import pytest
import shapely

import landtool
from tests.conftest import X0, Y0, frame, rect


def check(parcels, **kw):
    return landtool.check(parcels, policy="tiantai", as_of="2023-06-30", **kw)


def problems(result, layer):
    issues = result.layers["issues"]
    rows = issues[issues["layer"] == layer]
    return dict(zip(rows["feature_id"], rows["problem"], strict=True))


def test_bow_tie_is_repaired_and_reported():
    bow_tie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    result = check(frame([{"parcel_id": "BOW", "land_use": "工业用地", "geometry": bow_tie}]))
    assert problems(result, "parcels") == {"BOW": "repaired_geometry"}
    # the repaired parcel is two triangles of 2500 m² each
    assert result.parcels.loc[0, "area_m2"] == 5000.0
    issue = result.layers["issues"].iloc[0]
    assert "Self-intersection" in issue["detail"]


def test_empty_geometry_is_reported_not_dropped_silently():
    result = check(frame([{"parcel_id": "OK", "geometry": rect(0, 0, 10, 10)}, {"parcel_id": "EMPTY", "geometry": None}]))
    assert result.parcels["parcel_id"].tolist() == ["OK"]
    assert problems(result, "parcels") == {"EMPTY": "empty_geometry"}


def test_overlaps_and_area_mismatch():
    result = check(
        frame(
            [
                {"parcel_id": "A", "registered_area_m2": 10_000.0, "geometry": rect(0, 0, 100, 100)},
                {"parcel_id": "B", "registered_area_m2": 10_000.0, "geometry": rect(98, 0, 198, 100)},  # 2 m overlap
                {"parcel_id": "C", "registered_area_m2": 9_800.0, "geometry": rect(300, 0, 400, 100)},  # 2.04 % more
                {"parcel_id": "D", "registered_area_m2": 9_901.0, "geometry": rect(500, 0, 600, 100)},  # 0.9999 % more
            ]
        )
    )
    issues = result.layers["issues"]
    overlap = issues[issues["problem"] == "overlap"]
    assert overlap["feature_id"].tolist() == ["A"]
    assert overlap["value_m2"].iloc[0] == pytest.approx(200.0)
    assert set(issues.loc[issues["problem"] == "area_mismatch", "feature_id"]) == {"C"}


def test_buildings_outside_every_parcel_are_reported_and_assignment_by_overlap():
    parcels = frame([{"parcel_id": "A", "geometry": rect(0, 0, 100, 100)}, {"parcel_id": "B", "geometry": rect(100, 0, 200, 100)}])
    buildings = frame(
        [
            {"building_id": "b1", "floors": 2, "geometry": rect(90, 10, 130, 30)},  # 10 m in A, 30 m in B → B
            {"building_id": "b2", "floors": 1, "geometry": rect(500, 500, 510, 510)},  # nowhere
        ]
    )
    result = check(parcels, buildings=buildings)
    assert problems(result, "buildings") == {"b2": "outside_parcels"}
    gfa = result.parcels.set_index("parcel_id")["gfa_m2"]
    # b1: 40 × 20 m footprint × 2 floors = 1600 m², all counted on B
    assert gfa.to_dict() == {"A": 0.0, "B": 1600.0}


def test_unknown_zone_type_is_an_error():
    parcels = frame([{"parcel_id": "A", "geometry": rect(0, 0, 100, 100)}])
    zones = frame([{"zone_id": "Z", "zone_type": "风景区", "geometry": rect(0, 0, 100, 100)}])
    with pytest.raises(landtool.InputError, match="unknown zone_type '风景区'; allowed: development_zone"):
        check(parcels, zones=zones)


def test_chinese_zone_type_names(verdict):
    parcels = frame([{"parcel_id": "A", "land_use": "工业用地", "gfa_m2": 15_000.0, "geometry": rect(0, 0, 100, 100)}])
    zones = frame([{"zone_id": "Z", "zone_type": "经济开发区", "geometry": rect(-10, -10, 110, 110)}])
    # inside 天台's development zone the 标准地 limits apply: without planning limits, no verdict
    assert verdict(check(parcels, zones=zones), "A", "indicator.far_max")["status"] == "insufficient_data"


def test_a_point_layer_is_not_parcels():
    points = frame([{"parcel_id": "A", "geometry": shapely.Point(X0, Y0)}])
    with pytest.raises(landtool.InputError, match="parcels: holds Point geometries; the parcels layer must be polygons"):
        check(points)


def test_an_empty_layer_is_an_error():
    empty = frame([{"parcel_id": "A", "geometry": rect(0, 0, 1, 1)}]).iloc[:0]
    with pytest.raises(landtool.InputError, match="the parcels layer has no features"):
        check(empty)


def test_narrow_gaps_between_parcels_are_reported():
    parcels = frame(
        [
            {"parcel_id": "A", "geometry": rect(0, 0, 100, 100)},
            {"parcel_id": "B", "geometry": rect(101.5, 0, 200, 100)},  # 1.5 m × 100 m strip between A and B
            {"parcel_id": "C", "geometry": rect(203, 0, 300, 100)},  # 3 m from B: a lane, not a gap
            # a 1 m wide, 10 m deep notch in D's own edge is not a gap between parcels
            {"parcel_id": "D", "geometry": shapely.difference(rect(0, 200, 100, 300), rect(50, 290, 51, 300))},
        ]
    )
    issues = check(parcels).layers["issues"]
    gaps = issues[issues["problem"] == "gap"]
    assert gaps["feature_id"].tolist() == ["A, B"]
    assert gaps["value_m2"].iloc[0] == pytest.approx(150.0)
