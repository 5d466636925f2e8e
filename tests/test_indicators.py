"""Building indicators (POLICY.md §4): FAR, height and density, per pack, at the limits.

Every parcel is a 10 000 m² square, so FAR = floor area / 10 000 and a floor area of
11 000 m² is exactly FAR 1.1.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import landtool
from tests.conftest import frame, rect, square

AREA = 10_000.0


def parcels(rows):
    return frame([{"parcel_id": r.pop("id"), "land_use": "工业用地", "geometry": square(AREA, x=300 * i), **r} for i, r in enumerate(rows)])


def run(rows, policy, zones=None, **kw):
    return landtool.check(parcels(rows), zones=zones, policy=policy, as_of="2023-06-30", **kw)


# --------------------------------------------------------------------------- FAR, tiantai 四（五）


@pytest.mark.parametrize(
    ("gfa", "status"),
    [
        (11_000.0, "pass"),  # FAR 1.1 exactly: 不得大于 1.1 includes 1.1
        (10_999.99, "pass"),  # FAR 1.099999
        (11_000.01, "fail"),  # FAR 1.100001
    ],
)
def test_tiantai_far_limit_outside_zones(gfa, status, verdict):
    result = run([{"id": "P", "gfa_m2": gfa}], "tiantai")
    v = verdict(result, "P", "indicator.far_max")
    assert v["status"] == status
    assert v["limit"] == 1.1
    assert v["clause"] == "天政发〔2022〕1号 四（五）"
    assert v["headroom"] == pytest.approx(11_000.0 - gfa, abs=0.011)


def test_tiantai_far_failure_says_special_approval_possible(verdict):
    v = verdict(run([{"id": "P", "gfa_m2": 12_000.0}], "tiantai"), "P", "indicator.far_max")
    assert v["status"] == "fail"
    assert "原则上" in v["explanation"]
    assert v["value"] == pytest.approx(1.2)


def test_planning_condition_overrides_the_tiantai_default(verdict):
    result = run([{"id": "OK", "gfa_m2": 15_000.0, "plan_far_max": 1.5}, {"id": "OVER", "gfa_m2": 15_000.01, "plan_far_max": 1.5}], "tiantai")
    assert verdict(result, "OK", "indicator.far_max")["status"] == "pass"
    over = verdict(result, "OVER", "indicator.far_max")
    assert (over["status"], over["limit"]) == ("fail", 1.5)


def test_tiantai_development_zone_needs_planning_limits(verdict):
    zone = frame([{"zone_id": "Z", "zone_type": "development_zone", "geometry": rect(-10, -10, 2000, 2000)}])
    result = run([{"id": "IN", "gfa_m2": 15_000.0}, {"id": "PLAN", "gfa_m2": 15_000.0, "plan_far_max": 1.4}], "tiantai", zones=zone)
    v = verdict(result, "IN", "indicator.far_max")
    assert v["status"] == "insufficient_data"
    assert "plan_far_max" in v["explanation"]
    assert verdict(result, "PLAN", "indicator.far_max")["status"] == "fail"


def test_tiantai_industrial_real_estate_keeps_the_general_limit_in_zones(verdict):
    zone = frame([{"zone_id": "Z", "zone_type": "development_zone", "geometry": rect(-10, -10, 2000, 2000)}])
    result = run([{"id": "IRE", "gfa_m2": 11_000.01, "industrial_real_estate": "是"}], "tiantai", zones=zone)
    assert verdict(result, "IRE", "indicator.far_max")["status"] == "fail"


@pytest.mark.parametrize(("gfa", "status"), [(12_000.0, "pass"), (11_999.99, "pass"), (12_000.01, "fail")])
def test_taizhou_far_follows_the_regulatory_plan(gfa, status, verdict):
    result = run([{"id": "P", "gfa_m2": gfa, "plan_far_max": 1.2}, {"id": "NOPLAN", "gfa_m2": gfa}], "taizhou")
    assert verdict(result, "P", "indicator.far_max")["status"] == status
    assert verdict(result, "NOPLAN", "indicator.far_max")["status"] == "insufficient_data"


def test_yuhuan_sets_no_far_upper_limit(verdict):
    v = verdict(run([{"id": "P", "gfa_m2": 50_000.0, "plan_far_max": 2.0}], "yuhuan"), "P", "indicator.far_max")
    assert v["status"] == "pass"
    assert v["value"] == 5.0
    assert "不设上限" in v["explanation"]


def test_shengzhou_has_no_indicator_rules(verdict):
    v = verdict(run([{"id": "P", "gfa_m2": 50_000.0}], "shengzhou"), "P", "indicator.far_max")
    assert (v["status"], v["reason"]) == ("not_applicable", "not_in_policy")
    assert v["explanation"] == "本政策无此规定"


def test_non_industrial_land_is_not_checked(verdict):
    rows = frame([{"parcel_id": "V", "land_use": "空闲地", "gfa_m2": 50_000.0, "geometry": square(AREA)}])
    result = landtool.check(rows, policy="tiantai", as_of="2023-01-01")
    assert verdict(result, "V", "indicator.far_max")["status"] == "not_applicable"


def test_english_explanations(verdict):
    v = verdict(run([{"id": "P", "gfa_m2": 12_000.0}], "tiantai", lang="en"), "P", "indicator.far_max")
    assert v["explanation"] == "FAR 1.2 exceeds the policy limit of 1.1; the limit applies in principle: a special approval may still allow it"


# --------------------------------------------------------------------------- height


@pytest.mark.parametrize(("height", "status"), [(24.0, "pass"), (23.99, "pass"), (24.01, "fail")])
@pytest.mark.parametrize("policy", ["tiantai", "yuhuan"])
def test_24m_height_limit(policy, height, status, verdict):
    v = verdict(run([{"id": "P", "height_m": height}], policy), "P", "indicator.height_max")
    assert (v["status"], v["limit"], v["unit"]) == (status, 24.0, "m")
    assert v["headroom"] == pytest.approx(24.0 - height)


def test_yuhuan_no_height_limit_in_municipal_industrial_zones(verdict):
    zone = frame([{"zone_id": "M", "zone_type": "municipal_industrial_zone", "geometry": rect(-10, -10, 150, 150)}])
    result = run([{"id": "IN", "height_m": 60.0}, {"id": "OUT", "height_m": 60.0}], "yuhuan", zones=zone)
    assert verdict(result, "IN", "indicator.height_max")["status"] == "pass"
    assert verdict(result, "OUT", "indicator.height_max")["status"] == "fail"


def test_yuhuan_stricter_plan_height_also_applies(verdict):
    # "不应大于24米且应满足…": a plan limit of 20 m binds; a laxer plan of 30 m does not lift 24 m.
    result = run([{"id": "LOW", "height_m": 22.0, "plan_height_max_m": 20.0}, {"id": "HIGH", "height_m": 26.0, "plan_height_max_m": 30.0}], "yuhuan")
    low = verdict(result, "LOW", "indicator.height_max")
    high = verdict(result, "HIGH", "indicator.height_max")
    assert (low["status"], low["limit"]) == ("fail", 20.0)
    assert (high["status"], high["limit"]) == ("fail", 24.0)


def test_height_from_the_parcel_attribute_is_labelled():
    result = run([{"id": "P", "height_m": 18.0}], "tiantai")
    assert result.parcels.loc[0, "height_source"] == "attribute"


# --------------------------------------------------------------------------- density, taizhou 二（四）


def test_taizhou_standard_land_density_relaxed_to_60_percent(verdict):
    # Footprints of 6000 m² on 10 000 m²: density 0.6 exactly; 6000.01 m²: 0.600001.
    rows = parcels([{"id": "AT", "standard_land": "是"}, {"id": "OVER", "standard_land": "是"}, {"id": "PLAN", "plan_density_max": 0.5}])
    origin = rows.geometry.bounds
    buildings = frame(
        [
            {"building_id": "b1", "geometry": _footprint(origin.iloc[0], 6000.0)},
            {"building_id": "b2", "geometry": _footprint(origin.iloc[1], 6000.01)},
            {"building_id": "b3", "geometry": _footprint(origin.iloc[2], 5000.0)},
        ]
    )
    result = landtool.check(rows, buildings=buildings, policy="taizhou", as_of="2022-06-30")
    at = verdict(result, "AT", "indicator.density_max")
    assert (at["status"], at["limit"], at["value"]) == ("pass", 0.6, 0.6)
    assert verdict(result, "OVER", "indicator.density_max")["status"] == "fail"
    assert verdict(result, "PLAN", "indicator.density_max")["status"] == "pass"


def _footprint(bounds, area):
    """A rectangle of ``area`` m² 100 m wide in the lower-left of a parcel."""
    import shapely

    return shapely.box(bounds.minx, bounds.miny, bounds.minx + 100.0, bounds.miny + area / 100.0)


# --------------------------------------------------------------------------- extra height limits


def limit_zone(height_max_m):
    return frame([{"zone_id": "H", "zone_type": "height_limit", "height_max_m": height_max_m, "geometry": rect(-10, -10, 150, 150)}])


@pytest.mark.parametrize(
    ("policy", "zone_limit", "height", "status", "limit"),
    [
        ("tiantai", 20.0, 20.0, "pass", 20.0),  # airport clearance 20 m is stricter than 24 m
        ("tiantai", 20.0, 20.01, "fail", 20.0),
        ("tiantai", 30.0, 24.01, "fail", 24.0),  # a laxer zone does not lift the pack's 24 m
    ],
)
def test_height_limit_zones_bind_where_stricter(policy, zone_limit, height, status, limit, verdict):
    v = verdict(run([{"id": "P", "height_m": height}], policy, zones=limit_zone(zone_limit)), "P", "indicator.height_max")
    assert (v["status"], v["limit"]) == (status, limit)


def test_height_limit_zone_applies_where_the_pack_sets_none(verdict):
    zones = pd.concat([limit_zone(30.0), frame([{"zone_id": "M", "zone_type": "municipal_industrial_zone", "geometry": rect(-10, -10, 150, 150)}])])
    v = verdict(run([{"id": "P", "height_m": 30.01}], "yuhuan", zones=zones), "P", "indicator.height_max")
    assert (v["status"], v["limit"]) == ("fail", 30.0)


def test_a_renovation_is_checked_at_its_floor_area_after(verdict):
    # 10 000 m² of floor area today (FAR 1.0); the zero-land renovation brings it to 12 000 m²
    v = verdict(run([{"id": "P", "gfa_m2": 10_000.0, "gfa_after_m2": 12_000.0}], "tiantai", lang="en"), "P", "indicator.far_max")
    assert (v["status"], v["value"]) == ("fail", 1.2)
    assert v["explanation"].startswith("FAR after the renovation 1.2 exceeds")


# --------------------------------------------------------------------------- 原则上 and evidence


def test_the_in_principle_note_is_only_on_the_packs_own_limit(verdict):
    """POLICY.md: a breach of a limit from elsewhere (a planning condition, a height-limit
    zone) never says a special approval may allow it; a zone limit equal to the pack's own
    24 m is the zone's."""
    result = run(
        [{"id": "PACK", "gfa_m2": 12_000.0, "height_m": 25.0}, {"id": "PLAN", "gfa_m2": 16_000.0, "plan_far_max": 1.5}],
        "tiantai",
        lang="en",
    )
    assert "in principle" in verdict(result, "PACK", "indicator.far_max")["explanation"]
    assert "in principle" in verdict(result, "PACK", "indicator.height_max")["explanation"]
    plan = verdict(result, "PLAN", "indicator.far_max")
    assert plan["status"] == "fail" and "in principle" not in plan["explanation"]
    zoned = verdict(run([{"id": "P", "height_m": 25.0}], "tiantai", zones=limit_zone(24.0), lang="en"), "P", "indicator.height_max")
    assert (zoned["status"], zoned["limit"]) == ("fail", 24.0)
    assert "height-limit zone" in zoned["explanation"] and "in principle" not in zoned["explanation"]


def buildings_on(parcel: str, *rows):
    return frame([{"building_id": f"{parcel}-{i}", "geometry": rect(10 + 20 * i, 10, 25 + 20 * i, 25), **r} for i, r in enumerate(rows)])


@pytest.mark.parametrize(
    ("buildings", "reason", "missing"),
    [
        (None, "no_floor_area", ["gfa_m2", "buildings"]),  # no attribute and no buildings layer
        ("elsewhere", "no_floor_area", ["gfa_m2", "building_on_parcel"]),  # a buildings layer that misses the parcel
        ("no_floors", "no_floor_area", ["gfa_m2", "building_floor_area"]),  # a building with neither floor area nor floors
    ],
)
def test_no_floor_area_evidence_is_insufficient_never_far_0(buildings, reason, missing, verdict):
    layers = {
        None: None,
        "elsewhere": frame([{"building_id": "X", "floors": 3, "geometry": rect(5000, 5000, 5020, 5020)}]),
        "no_floors": buildings_on("P", {"floors": 2}, {}),
    }
    result = run([{"id": "P"}], "tiantai", buildings=layers[buildings])
    v = verdict(result, "P", "indicator.far_max")
    assert (v["status"], v["reason"]) == ("insufficient_data", reason)
    assert json.loads(v["args"])["missing"] == missing
    assert v["value"] != v["value"]  # NaN, not 0
    assert result.parcels.loc[0, "far"] != result.parcels.loc[0, "far"]


def test_floor_area_from_buildings_when_every_building_has_it(verdict):
    # 15 × 15 m footprints: 2 floors → 450 m², and a stated 1000 m²: FAR 0.145
    result = run([{"id": "P"}], "tiantai", buildings=buildings_on("P", {"floors": 2}, {"gfa_m2": 1000.0}))
    v = verdict(result, "P", "indicator.far_max")
    assert (v["status"], v["value"]) == ("pass", 0.145)


def test_a_building_layer_matching_few_parcels_is_a_warning():
    result = run([{"id": "P"}, {"id": "Q"}, {"id": "R"}], "tiantai", buildings=buildings_on("P", {"floors": 1}))
    codes = {w.code: w for w in result.warnings}
    assert codes["buildings_match_few"].args == {"layer": "buildings", "matched": 1, "total": 3}
    assert "1 of the 3" in codes["buildings_match_few"].render("en")


def test_extra_limit_binds_on_the_building_under_it(verdict, tmp_path):
    """A clearance raster allows 12 m over one corner and 100 m elsewhere: the 13 m
    building in the corner binds (value 13 m, limit 12 m), not the parcel's tallest
    building (20 m) under the 100 m surface."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from tests.conftest import X0, Y0

    surface = np.full((75, 75), 100.0, dtype="float32")  # 2 m cells over 150 × 150 m
    surface[-20:, :20] = 12.0  # the lower-left 40 × 40 m
    path = tmp_path / "clearance.tif"
    with rasterio.open(path, "w", driver="GTiff", width=75, height=75, count=1, dtype="float32", crs="EPSG:4549",
                       transform=from_origin(X0, Y0 + 150, 2.0, 2.0), nodata=-9999) as dst:
        dst.write(surface, 1)
    parcels = frame([{"parcel_id": "P", "land_use": "工业用地", "gfa_m2": 5_000.0, "geometry": square(AREA)}])
    b = frame([{"building_id": "low", "height_m": 13.0, "floors": 3, "geometry": rect(5, 5, 25, 25)},
               {"building_id": "tall", "height_m": 20.0, "floors": 5, "geometry": rect(60, 60, 90, 90)}])
    result = landtool.check(parcels, buildings=b, height_limit_raster=str(path), policy="tiantai", as_of="2023-06-30", lang="en")
    v = verdict(result, "P", "indicator.height_max")
    assert (v["status"], v["value"], v["limit"]) == ("fail", 13.0, 12.0)
    assert "in principle" not in v["explanation"]


def test_parcels_without_land_use_are_checked_as_industrial_and_counted_in_a_warning(verdict):
    result = run([{"id": "P", "land_use": None}, {"id": "Q", "land_use": "  "}, {"id": "R", "land_use": "住宅用地"}], "tiantai")
    codes = {w.code: w for w in result.warnings}
    assert codes["land_use_blank"].args == {"count": 2, "total": 3}
    assert codes["land_use_blank"].render("zh") == "3 宗宗地中有 2 宗没有土地用途（land_use），已按工业用地检查；其中如有非工业用地，请补充其用途"
    assert verdict(result, "P", "indicator.far_max")["reason"] != "not_industrial"
    assert verdict(result, "R", "indicator.far_max")["reason"] == "not_industrial"
    assert "land_use_blank" not in {w.code for w in run([{"id": "P"}], "tiantai").warnings}
