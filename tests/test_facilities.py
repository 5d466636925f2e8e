"""Supporting-facility land share (taizhou 二（十四）, tiantai 四（十七））: 7 %, raised 15 % / 30 %."""

from __future__ import annotations

from pathlib import Path

import pytest

import landtool
from tests.conftest import frame, mu, rect

AREA = 10_000.0  # 100 m × 100 m parcels


def run(specs, policy="tiantai", zones=None, with_buildings=True):
    """specs: (id, facility m², extra parcel fields, office floor area m², production floor area m²)."""
    parcels, facilities, buildings = [], [], []
    for i, (pid, facility_m2, extra, office, production) in enumerate(specs):
        x = 200 * i
        area = extra.pop("area", AREA)
        parcels.append({"parcel_id": pid, "land_use": "工业用地", "geometry": rect(x, 0, x + 100, area / 100), **extra})
        if facility_m2:
            facilities.append({"facility_id": f"F{pid}", "geometry": rect(x, 0, x + 20, facility_m2 / 20)})
        buildings += [
            {"building_id": f"{pid}o", "use": "行政办公", "gfa_m2": office, "geometry": rect(x + 25, 5, x + 35, 15)},
            {"building_id": f"{pid}p", "use": "生产", "gfa_m2": production, "geometry": rect(x + 40, 5, x + 60, 25)},
        ]
    return landtool.check(
        frame(parcels),
        facility_land=frame(facilities),
        buildings=frame(buildings) if with_buildings else None,
        zones=zones,
        policy=policy,
        as_of="2023-06-30",
    )


@pytest.mark.parametrize("policy", ["tiantai", "taizhou"])
@pytest.mark.parametrize(("facility", "status"), [(700.0, "pass"), (699.99, "pass"), (700.01, "fail")])
def test_seven_percent(policy, facility, status, verdict):
    v = verdict(run([("P", facility, {}, 500, 9500)], policy), "P", "facility.land_share")
    assert (v["status"], v["limit"]) == (status, 0.07)
    assert v["headroom"] == pytest.approx(700.0 - facility, abs=0.005)


PARK = frame([{"zone_id": "Z", "zone_type": "development_zone", "geometry": rect(-50, -50, 1000, 1000)}])


@pytest.mark.parametrize(("facility", "office", "status"), [(1500.0, 3000.0, "pass"), (1500.01, 3000.0, "fail"), (1500.0, 3000.01, "fail"), (1499.99, 2999.99, "pass")])
def test_raised_limits_inside_industrial_parks(facility, office, status, verdict):
    # floor share = office / (office + 7000): 3000 / 10000 = 0.3 exactly; 3000.01 / 10000.01 = 0.300001
    v = verdict(run([("P", facility, {}, office, 7000.0)], zones=PARK), "P", "facility.land_share")
    assert (v["status"], v["limit"]) == (status, 0.15)


def test_raised_limit_needs_floor_areas(verdict):
    v = verdict(run([("P", 1000.0, {}, 0, 0)], zones=PARK, with_buildings=False), "P", "facility.land_share")
    assert v["status"] == "insufficient_data"


@pytest.mark.parametrize(
    ("area", "grade", "status"),
    [
        (mu(50), "A", "pass"),  # 50亩以上 includes 50 mu: 15 % applies, 10 % share passes
        (mu(50) - 0.01, "A", "fail"),  # just under 50 mu: 7 % applies
        (mu(60), "B", "pass"),
        (mu(60), "C", "fail"),  # only grade A/B leading enterprises
    ],
)
def test_leading_enterprises_outside_parks(area, grade, status, verdict):
    extra = {"area": area, "leading_enterprise": "是", "grade": grade}
    v = verdict(run([("P", 0.10 * area, extra, 1000, 9000)]), "P", "facility.land_share")
    assert v["status"] == status


def test_no_facility_layer_is_insufficient_data(verdict):
    parcels = frame([{"parcel_id": "P", "land_use": "工业用地", "geometry": rect(0, 0, 100, 100)}])
    result = landtool.check(parcels, policy="tiantai", as_of="2023-01-01")
    v = verdict(result, "P", "facility.land_share")
    assert v["status"] == "insufficient_data"
    assert "--facility-land" in v["explanation"]


def test_yuhuan_has_no_facility_rule(verdict):
    v = verdict(run([("P", 2000.0, {}, 0, 0)], policy="yuhuan"), "P", "facility.land_share")
    assert v["status"] == "not_applicable"


def test_raised_limits_can_be_switched_off_in_a_pack(tmp_path, verdict):
    text = (Path(landtool.policy.__file__).parent / "packs" / "tiantai.yaml").read_text(encoding="utf-8")
    assert "raised_limits_enabled: {value: true}" in text
    pack = tmp_path / "tiantai_no_housing_focus.yaml"
    pack.write_text(text.replace("raised_limits_enabled: {value: true}", "raised_limits_enabled: {value: false}"), encoding="utf-8")
    v = verdict(run([("P", 1200.0, {}, 1000, 9000)], policy=str(pack), zones=PARK), "P", "facility.land_share")
    assert (v["status"], v["limit"]) == ("fail", 0.07)  # 12 % inside a park, but only 7 % allowed
