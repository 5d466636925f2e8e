"""Supporting-facility land share (taizhou 二（十四）, tiantai 四（十七））: 7 %, raised 15 % / 30 %."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import frame, mu, rect

import landtool

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


def row(result, pid="P", lang=None):
    """The facility verdict of ``pid`` with its args parsed (sentences in ``lang``, default the run's)."""
    table = result.verdicts if lang is None else result.verdicts_in(lang)
    rows = table[(table["subject_id"] == pid) & (table["rule"] == "facility.land_share")]
    assert len(rows) == 1
    out = rows.iloc[0].to_dict()
    out["args"] = json.loads(out["args"]) if isinstance(out["args"], str) else {}
    return out


@pytest.mark.parametrize("policy", ["tiantai", "taizhou"])
@pytest.mark.parametrize(
    ("facility", "status", "reason"),
    [(700.0, "pass", "within_limit"), (699.99, "pass", "within_limit"), (700.01, "fail", "over_limit")],  # 不超过 7 %: at, inside, outside
)
def test_seven_percent(policy, facility, status, reason):
    v = row(run([("P", facility, {}, 500, 9500)], policy))
    assert (v["status"], v["reason"], v["limit"]) == (status, reason, 0.07)
    assert v["value"] == pytest.approx(facility / AREA, abs=1e-9)
    assert v["headroom"] == pytest.approx(700.0 - facility, abs=0.005)
    assert v["args"]["facility_case"] == "base"
    assert (v["args"]["facility_m2"], v["args"]["site_m2"]) == (facility, AREA)


def test_sentences_in_both_languages():
    result = run([("P", 700.01, {}, 500, 9500)])
    assert row(result, lang="zh")["explanation"] == "配套用地 700.01 平方米，占项目用地 10,000 平方米的 7.0001%，超过上限 7%（一般工业项目）"
    assert row(result, lang="en")["explanation"] == "700.01 m² of facility land on 10,000 m² of project land, a share of 7.0001%, exceeds 7% (ordinary project)"
    assert row(run([("P", 700.0, {}, 500, 9500)]), lang="en")["explanation"].endswith("a share of 7%, within 7% (ordinary project)")


PARK = frame([{"zone_id": "Z", "zone_type": "development_zone", "geometry": rect(-50, -50, 1000, 1000)}])


@pytest.mark.parametrize(
    ("facility", "office", "status", "reason"),
    [
        (1500.0, 3000.0, "pass", "within_limit"),  # 15 % and 30 % exactly
        (1500.01, 3000.0, "fail", "over_limit"),
        (1500.0, 3000.01, "fail", "floor_over_limit"),  # 3000.01 / 10000.01 = 0.300001
        (1499.99, 2999.99, "pass", "within_limit"),
    ],
)
def test_raised_limits_inside_industrial_parks(facility, office, status, reason):
    # floor share = office / (office + 7000): 3000 / 10000 = 0.3 exactly
    v = row(run([("P", facility, {}, office, 7000.0)], zones=PARK))
    assert (v["status"], v["reason"], v["limit"]) == (status, reason, 0.15)
    assert v["args"]["facility_case"] == "park"
    if reason == "floor_over_limit":
        assert (v["args"]["floor_share"], v["args"]["floor_limit"]) == (0.300001, 0.3)
        assert (v["args"]["facility_gfa_m2"], v["args"]["gfa_m2"]) == (3000.01, 10000.01)


def test_floor_share_sentences():
    result = run([("P", 1500.0, {}, 3000.01, 7000.0)], zones=PARK)
    assert row(result, lang="zh")["explanation"] == (
        "配套用地占比 15% ≤ 15%，但配套建筑面积 3,000.01 平方米占总建筑面积 10,000.01 平方米的 30.0001%，超过 30%（产业园区内项目，适用提高后的上限）"
    )
    assert "more than 30% (inside an industrial park, raised limit)" in row(result, lang="en")["explanation"]


def test_raised_limit_needs_floor_areas():
    v = row(run([("P", 1000.0, {}, 0, 0)], zones=PARK, with_buildings=False), lang="en")
    assert (v["status"], v["reason"], v["value"], v["limit"]) == ("insufficient_data", "no_floor_area", 0.1, 0.15)
    assert v["args"]["missing"] == ["buildings"]
    assert v["explanation"].endswith("and buildings layer is missing")


@pytest.mark.parametrize(
    ("area", "grade", "status", "reason", "limit"),
    [
        (mu(50), "A", "pass", "within_limit", 0.15),  # 50亩以上 includes 50 mu: 15 % applies, 10 % share passes
        (33_333.33, "A", "pass", "within_limit", 0.15),  # 50 mu compared at 0.01 m²: 33,333.33 m² is 50 mu
        (33_333.32, "A", "fail", "leading_too_small", 0.07),  # just under 50 mu: 7 % applies
        (mu(60), "B", "pass", "within_limit", 0.15),
        (mu(60), "C", "fail", "over_limit", 0.07),  # only grade A/B leading enterprises
    ],
)
def test_leading_enterprises_outside_parks(area, grade, status, reason, limit):
    extra = {"area": area, "leading_enterprise": "是", "grade": grade}
    v = row(run([("P", round(0.10 * area, 2), extra, 1000, 9000)]))
    assert (v["status"], v["reason"], v["limit"]) == (status, reason, limit)
    if reason == "leading_too_small":
        assert (v["args"]["leading_min_mu"], v["args"]["leading_min_m2"], v["args"]["raised_limit"]) == (50, 33333.33, 0.15)
    elif grade != "C":
        assert v["args"]["facility_case"] == "leading"


def test_leading_enterprise_just_under_fifty_mu_says_so_without_contradiction():
    # 33,333.32 m² is 49.99998 mu: the sentence compares m² with m², never "50 mu < 50 mu"
    result = run([("P", 3333.33, {"area": 33_333.32, "leading_enterprise": "是", "grade": "A"}, 1000, 9000)])
    assert row(result, lang="zh")["explanation"] == (
        "配套用地 3,333.33 平方米，占项目用地 33,333.32 平方米的 10%，超过上限 7%；"
        "园区外A/B类龙头骨干企业用地不足 50 亩（33,333.33 平方米），不适用提高后的上限 15%"
    )
    assert row(result, lang="en")["explanation"].endswith("needs 50 mu (33,333.33 m²) of land for the raised limit of 15%")


def test_no_facility_layer_is_insufficient_data():
    parcels = frame([{"parcel_id": "P", "land_use": "工业用地", "geometry": rect(0, 0, 100, 100)}])
    result = landtool.check(parcels, policy="tiantai", as_of="2023-01-01")
    v = row(result, lang="en")
    assert (v["status"], v["reason"], v["args"]) == ("insufficient_data", "no_facility_layer", {"missing": ["facility_land"]})
    assert "--facility-land" in v["explanation"]
    assert row(result, lang="zh")["explanation"] == "缺少配套用地图层（--facility-land），无法计算配套用地占比"


def test_not_industrial():
    parcels = frame([{"parcel_id": "P", "land_use": "商业用地", "geometry": rect(0, 0, 100, 100)}])
    v = row(landtool.check(parcels, policy="tiantai", as_of="2023-01-01"), lang="en")
    assert (v["status"], v["reason"], v["args"]) == ("not_applicable", "not_industrial", {"land_use": "商业用地"})


def test_yuhuan_has_no_facility_rule():
    v = row(run([("P", 2000.0, {}, 0, 0)], policy="yuhuan"))
    assert (v["status"], v["reason"]) == ("not_applicable", "not_in_policy")


def test_raised_limits_can_be_switched_off_in_a_pack(tmp_path):
    text = (Path(landtool.policy.__file__).parent / "packs" / "tiantai.yaml").read_text(encoding="utf-8")
    assert "raised_limits_enabled: {value: true}" in text
    pack = tmp_path / "tiantai_no_housing_focus.yaml"
    pack.write_text(text.replace("raised_limits_enabled: {value: true}", "raised_limits_enabled: {value: false}"), encoding="utf-8")
    v = row(run([("P", 1200.0, {}, 1000, 9000)], policy=str(pack), zones=PARK), lang="en")
    # 12 % inside a park, but only 7 % allowed: the sentence says why, not "raised limit"
    assert (v["status"], v["reason"], v["limit"], v["args"]["facility_case"]) == ("fail", "over_limit", 0.07, "raised_off")
    assert v["explanation"].endswith("(the raised limits are switched off in this policy's settings (raised_limits_enabled))")
