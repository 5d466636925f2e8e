"""Nothing is lost: every feature is checked or reported in the issues layer with a reason."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import shapely

import landtool
from landtool.issues import render_issues
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
    assert json.loads(issue["args"]) == {"geos": "self_intersection"}
    assert render_issues(result.layers["issues"], "en")["detail"].iloc[0].startswith("invalid geometry (self-intersection), repaired")
    assert render_issues(result.layers["issues"], "zh")["detail"].iloc[0].startswith("图形无效（自相交）")


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
    parcels = frame([{"parcel_id": "A", "geometry": rect(0, 0, 100, 100)}, {"parcel_id": "B", "geometry": rect(100, 0, 200, 100)},
                     {"parcel_id": "C", "geometry": rect(0, 100, 100, 200)}])
    buildings = frame(
        [
            {"building_id": "b1", "floors": 2, "geometry": rect(90, 10, 130, 30)},  # 10 m in A, 30 m in B → B
            {"building_id": "b2", "floors": 1, "geometry": rect(500, 500, 510, 510)},  # nowhere
            {"building_id": "b3", "floors": 1, "geometry": rect(10, 10, 20, 20)},  # wholly in A
            {"building_id": "b4", "floors": 1, "geometry": rect(10, 195, 20, 205)},  # half in C, half in no parcel
        ]
    )
    result = check(parcels, buildings=buildings)
    assert problems(result, "buildings") == {"b1": "straddles_parcels", "b2": "outside_parcels", "b4": "partly_outside_parcels"}
    issues = result.layers["issues"].set_index("feature_id")
    # b1: 200 m² of its 800 m² footprint (25 %) lie in A, outside its parcel B
    assert issues.loc["b1", "value_m2"] == 200.0
    assert json.loads(issues.loc["b1", "args"]) == {"other": "A", "parcel": "B", "share_outside": 0.25}
    assert render_issues(issues.reset_index(), "zh").set_index("feature_id").loc["b1", "detail"] == "有 200.00 平方米（25%）位于所归属宗地 B 之外，落在宗地 A 内"
    gfa = result.parcels.set_index("parcel_id")["gfa_m2"]
    # b1: 40 × 20 m footprint × 2 floors = 1600 m², all counted on B; b3 100 m² on A; b4 100 m² on C
    assert gfa.to_dict() == {"A": 100.0, "B": 1600.0, "C": 100.0}


def test_a_building_named_to_a_parcel_it_does_not_touch_leaves_that_parcel_without_evidence():
    """The id says A, the geometry lies in B (or in no parcel): which is right is unknown, so
    A's floor area, density and height are insufficient data — never a FAR from a building
    that may not be A's — and B keeps only its own buildings."""
    parcels = frame([{"parcel_id": "A", "land_use": "工业用地", "geometry": rect(0, 0, 100, 100)},
                     {"parcel_id": "B", "land_use": "工业用地", "geometry": rect(100, 0, 200, 100)},
                     {"parcel_id": "C", "land_use": "工业用地", "geometry": rect(0, 100, 100, 200)},
                     {"parcel_id": "D", "land_use": "工业用地", "geometry": rect(100, 100, 200, 200)}])
    buildings = frame(
        [
            {"building_id": "d1", "parcel_id": "D", "floors": 1, "geometry": rect(110, 110, 120, 120)},
            {"building_id": "a1", "parcel_id": "A", "floors": 2, "geometry": rect(10, 10, 30, 30)},  # on A
            {"building_id": "a2", "parcel_id": "A", "floors": 3, "geometry": rect(150, 10, 170, 30)},  # wholly in B
            {"building_id": "b1", "parcel_id": "B", "floors": 1, "geometry": rect(110, 50, 130, 70)},
            {"building_id": "c1", "parcel_id": "C", "floors": 1, "geometry": rect(10, 500, 20, 510)},  # in no parcel
            {"building_id": "c2", "parcel_id": "C", "floors": 1, "geometry": rect(10, 110, 20, 120)},
        ]
    )
    result = check(parcels, buildings=buildings)
    assert problems(result, "buildings") == {"a2": "off_named_parcel", "c1": "off_named_parcel"}
    issues = result.layers["issues"].set_index("feature_id")
    assert json.loads(issues.loc["a2", "args"]) == {"parcel": "A", "other": "B"}
    assert json.loads(issues.loc["c1", "args"]) == {"parcel": "C"}  # in no parcel: no "other"
    assert issues.loc["a2", "value_m2"] == 400.0
    assert render_issues(issues.reset_index(), "en").set_index("feature_id").loc["a2", "detail"].startswith(
        "the building names parcel A but does not lie on it (it lies in: B)")
    p = result.parcels.set_index("parcel_id")
    assert p.loc["B", "gfa_m2"] == 400.0 and p.loc["B", "far"] == 0.04  # b1 alone: 20 × 20 m × 1 floor
    for pid in ("A", "C"):
        assert p.loc[pid, ["gfa_m2", "far", "density", "height_m"]].isna().all()
    far = result.verdicts.set_index(["parcel_id", "rule"]).loc[[("A", "indicator.far_max"), ("C", "indicator.density_max")]]
    assert far["status"].tolist() == ["insufficient_data", "insufficient_data"]
    assert "与宗地代码相符的房屋位置" in result.verdicts_in("zh").set_index(["parcel_id", "rule"]).loc[("A", "indicator.far_max"), "explanation"]
    assert [w.code for w in result.warnings if w.code.startswith("buildings_")] == ["buildings_off_named_parcels"]
    assert [w.args for w in result.warnings if w.code == "buildings_off_named_parcels"] == [{"count": 2, "total": 4}]
    assert set(result.layers["buildings"]["building_id"]) == {"a1", "a2", "b1", "c1", "c2", "d1"}  # nothing lost


@pytest.mark.parametrize(("x0", "finding", "far_known"), [(99.5, "off_named_parcel", False), (99.4, "partly_outside_parcels", True)])
def test_a_named_building_with_half_a_square_metre_on_its_parcel_is_off_it(x0, finding, far_known):
    """STRADDLE_TOLERANCE_M2 = 0.5 m²: a building with at most that much on the parcel it
    names does not lie on it; with 0.6 m² it does (and the rest is reported outside)."""
    parcels = frame([{"parcel_id": "A", "land_use": "工业用地", "geometry": rect(0, 0, 100, 100)}])
    buildings = frame([{"building_id": "b", "parcel_id": "A", "floors": 1, "geometry": rect(x0, 10, x0 + 20, 11)}])  # 1 m deep
    result = check(parcels, buildings=buildings)
    assert problems(result, "buildings") == {"b": finding}
    assert pd.notna(result.parcels.loc[0, "far"]) == far_known


def test_parcels_reached_by_a_neighbours_building_are_a_warning():
    parcels = frame([{"parcel_id": pid, "land_use": "工业用地", "geometry": rect(100 * k, 0, 100 * k + 100, 100)} for k, pid in enumerate("ABC")])
    buildings = frame([{"building_id": "b1", "floors": 2, "geometry": rect(90, 10, 130, 30)},  # mostly in B, 200 m² in A
                       {"building_id": "b2", "floors": 1, "geometry": rect(210, 10, 220, 20)}])  # wholly in C
    result = check(parcels, buildings=buildings)
    [warning] = [w for w in result.warnings if w.code == "parcels_straddled"]
    assert warning.args == {"count": 1, "total": 3}  # A only: b1 is counted on B
    assert warning.render("en").startswith("1 of the 3 industrial parcels have part of another parcel's building on them")


def test_geometry_details_are_recorded_and_kept():
    square_z = shapely.Polygon([(X0, Y0, 5), (X0 + 10, Y0, 5), (X0 + 10, Y0 + 10, 5), (X0, Y0 + 10, 5)])
    repeated = shapely.Polygon([(X0 + 20, Y0), (X0 + 30, Y0), (X0 + 30, Y0), (X0 + 30, Y0 + 10), (X0 + 20, Y0 + 10)])
    collection = shapely.GeometryCollection([rect(40, 0, 50, 10), shapely.LineString([(X0 + 40, Y0), (X0 + 60, Y0 + 20)])])
    result = check(frame([{"parcel_id": "Z", "geometry": square_z}, {"parcel_id": "R", "geometry": repeated}, {"parcel_id": "G", "geometry": collection}]))
    assert problems(result, "parcels") == {"Z": "has_z", "R": "duplicate_vertices", "G": "non_polygon_parts"}
    assert result.parcels.set_index("parcel_id")["area_m2"].to_dict() == {"Z": 100.0, "R": 100.0, "G": 100.0}
    assert not result.parcels.geometry.has_z.any()


def test_implausible_values_are_blanked_and_recorded(verdict):
    result = check(frame([{"parcel_id": "NEG", "land_use": "工业用地", "gfa_m2": -500.0, "geometry": rect(0, 0, 100, 100)}]))
    assert problems(result, "parcels") == {"NEG": "implausible_value"}
    v = verdict(result, "NEG", "indicator.far_max")
    assert (v["status"], v["reason"]) == ("insufficient_data", "no_floor_area")


def test_unknown_zone_type_is_an_error():
    parcels = frame([{"parcel_id": "A", "geometry": rect(0, 0, 100, 100)}])
    zones = frame([{"zone_id": "Z", "zone_type": "风景区", "geometry": rect(0, 0, 100, 100)}])
    with pytest.raises(landtool.InputError, match="unknown zone_type 风景区; allowed: development_zone") as caught:
        check(parcels, zones=zones)
    assert caught.value.code == "unknown_zone_type"
    assert caught.value.render("zh").startswith("区域图层：未知的区域类型 风景区")


def test_chinese_zone_type_names(verdict):
    parcels = frame([{"parcel_id": "A", "land_use": "工业用地", "gfa_m2": 15_000.0, "geometry": rect(0, 0, 100, 100)}])
    zones = frame([{"zone_id": "Z", "zone_type": "经济开发区", "geometry": rect(-10, -10, 110, 110)}])
    # inside 天台's development zone the 标准地 limits apply: without planning limits, no verdict
    assert verdict(check(parcels, zones=zones), "A", "indicator.far_max")["status"] == "insufficient_data"


def test_a_point_layer_is_not_parcels():
    points = frame([{"parcel_id": "A", "geometry": shapely.Point(X0, Y0)}])
    with pytest.raises(landtool.InputError, match="parcels: the layer holds only point geometries; the parcels layer must be polygons"):
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


@pytest.mark.parametrize(("width", "reported"), [(1.99, True), (2.0, True), (2.01, False)])
def test_gap_width_limit(width, reported):
    """A strip at most 2 m wide between two parcels is a gap (its area 100 m × width);
    2.01 m is a lane."""
    parcels = frame([{"parcel_id": "A", "geometry": rect(0, 0, 100, 100)}, {"parcel_id": "B", "geometry": rect(100 + width, 0, 200, 100)}])
    issues = check(parcels).layers["issues"]
    gaps = issues[issues["problem"] == "gap"]
    assert gaps["value_m2"].tolist() == ([pytest.approx(100 * width)] if reported else [])
