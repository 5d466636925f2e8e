"""Vertical-industry subsidy (taizhou 二（十一）, yuhuan 四.23, tiantai 四（十二）) and rent subsidy
(taizhou 二（十）, tiantai 四（十一）). Every amount is worked out by hand in the comments."""

from __future__ import annotations

import json

import numpy as np
import pytest

from landtool.io import canonicalize
from landtool.messages import render_verdicts
from landtool.policy import load_pack
from landtool.prepare import prepare
from landtool.rules.subsidies import floor_tier_amounts, rent_subsidy, vertical_subsidy
from tests.conftest import frame, rect, square

SITE = 10_000.0  # 100 m × 100 m parcels


def prepared(rows, buildings=None):
    """The prepared parcel table and buildings layer; parcels placed 200 m apart."""
    parcels = [{"parcel_id": f"P{i}", "land_use": "工业用地", "geometry": square(SITE, x=200 * i)} | row for i, row in enumerate(rows)]
    b = None
    if buildings:
        b = canonicalize(frame([{"geometry": rect(200 * i + 10, 10, 200 * i + 50, 50)} | row for i, row in buildings]), "buildings", label="buildings")
    prep = prepare(canonicalize(frame(parcels), "parcels", label="parcels"), buildings=b)
    return prep.parcels, prep.layers.get("buildings")


def rendered(table, policy):
    """The verdict rows by subject, with their sentences in both languages and parsed args."""
    pack = load_pack(policy)
    out = table.copy()
    for lang in ("zh", "en"):
        out[lang], out[f"interpretation_{lang}"] = render_verdicts(table, lang, {policy: pack})
    out["args"] = [json.loads(a) if isinstance(a, str) else {} for a in table["args"]]
    return out.set_index("subject_id")


def vertical(policy, rows, buildings=None, *, with_buildings=True):
    parcels, b = prepared(rows, buildings)
    rule = load_pack(policy).rule("incentive.vertical_subsidy")
    return rendered(vertical_subsidy(parcels, rule, policy, buildings=b if with_buildings else None), policy)


def new_plant(floors, gfa, i=0, **flags):
    """A new own-use production building on parcel i."""
    row = {"building_id": f"B{i}-{floors}-{gfa}", "parcel_id": f"P{i}", "floors": floors, "gfa_m2": gfa, "use": "生产", "is_new": True, "self_use": True}
    return (i, row | flags)


# --------------------------------------------------------------------------- floor tiers


@pytest.mark.parametrize(
    ("floors", "gfa", "tier_m2", "amount"),
    [
        (3, 3_000.0, 0.0, 0.0),  # floors 1–3 earn nothing
        (4, 4_000.0, 1_000.0, 30_000.0),  # 1000 m² on floor 4 × 30
        (5, 5_000.0, 2_000.0, 70_000.0),  # 1000 × (30 + 40)
        (6, 6_000.0, 3_000.0, 120_000.0),  # 1000 × (30 + 40 + 50)
        (8, 8_000.0, 5_000.0, 220_000.0),  # 1000 × (30 + 40 + 50 + 50 + 50): "6层及以上"
        (6, 2_000.0, 1_000.0, 40_000.0),  # 333.33… m² per floor × 120
    ],
)
def test_floor_tiers_split_the_building_evenly_over_its_floors(floors, gfa, tier_m2, amount):
    m2, yuan = floor_tier_amounts([floors], [gfa], {4: 30, 5: 40, 6: 50})
    assert m2[0] == pytest.approx(tier_m2)
    assert yuan[0] == pytest.approx(amount)


def test_floor_tiers_without_floors_are_nan():
    m2, yuan = floor_tier_amounts([np.nan], [1000.0], {4: 30})
    assert np.isnan(m2[0]) and np.isnan(yuan[0])


@pytest.mark.parametrize("policy", ["taizhou", "yuhuan"])
def test_the_per_floor_reading_is_stated_in_the_interpretation(policy):
    # 2000 m² over 6 floors: 333.33 m² on each of floors 4, 5, 6 → 333.33 × (30 + 40 + 50) = 40 000,
    # not "a 6-storey building: 2000 × 50 = 100 000"
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0}]
    v = vertical(policy, rows, [new_plant(6, 2_000.0)]).loc["P0"]
    assert (v["status"], v["reason"], v["value"]) == ("pass", "floor_tiers", 40_000.0)
    assert "按楼层计" in v["interpretation_zh"] and "G/N" in v["interpretation_zh"]
    assert "per floor, not per building class" in v["interpretation_en"]
    assert "1.2 倍" in v["interpretation_zh"]


# --------------------------------------------------------------------------- taizhou / yuhuan, route 1 or 2


@pytest.mark.parametrize("policy", ["taizhou", "yuhuan"])
@pytest.mark.parametrize(
    ("after", "renovation", "reason", "amount"),
    [
        # FAR rise exactly 20 % (12000 / 10000 − 1) and share 2000 / 12000: route 2;
        # the 6-floor 2000 m² plant: 2000 / 6 × (30 + 40 + 50) = 40 000
        (12_000.0, 2_000.0, "floor_tiers", 40_000.0),
        (11_999.99, 2_000.0, "floor_tiers", 40_000.0),  # rise 0.199999
        # rise 0.200001 > 20 %: route 1 on 12000.01 − 1.2 × 10000 = 0.01 m² × 60 (taizhou) / 80 (yuhuan)
        (12_000.01, 2_000.0, "above_20_percent", {"taizhou": 0.6, "yuhuan": 0.8}),
        # no rise, renovation share exactly 20 % of 10000: route 2
        (10_000.0, 2_000.0, "floor_tiers", 40_000.0),
        (10_000.0, 1_999.99, "floor_tiers", 40_000.0),
        # share 0.200001 > 20 %: route 1 on 2000.01 − 0.2 × 10000 = 0.01 m²
        (10_000.0, 2_000.01, "above_20_percent", {"taizhou": 0.6, "yuhuan": 0.8}),
    ],
)
def test_the_20_percent_lines_are_exclusive(policy, after, renovation, reason, amount):
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": after, "renovation_gfa_m2": renovation, "grade": "A"}]
    v = vertical(policy, rows, [new_plant(6, 2_000.0)]).loc["P0"]
    expected = amount[policy] if isinstance(amount, dict) else amount
    assert (v["status"], v["reason"], v["unit"], v["limit"]) == ("pass", reason, "yuan", 1_000_000.0)
    assert v["value"] == pytest.approx(expected)
    assert (v["args"]["rise_line"], v["args"]["share_line"]) == (0.2, 0.2)
    assert ("is above the line" in v["en"]) == (reason == "above_20_percent")


def test_a_rise_of_exactly_20_percent_is_shown_as_20_percent():
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 12_000.0, "renovation_gfa_m2": 2_000.0}]
    v = vertical("taizhou", rows, [new_plant(6, 2_000.0)]).loc["P0"]
    # rise 0.2, share 2000 / 12000 = 0.166667
    assert (v["args"]["rise"], v["args"]["share"]) == (0.2, 0.166667)
    assert "FAR rise 20% against 20%, renovation share 16.6667% against 20%" in v["en"]
    assert "技改均未超过界限（容积率提高 20%，界限 20%" in v["zh"]


@pytest.mark.parametrize(
    ("policy", "grade", "rate", "amount"),
    [
        # before 10000, after 15000, renovation 7000: rise part 15000 − 12000 = 3000,
        # share part 7000 − 0.2 × 15000 = 4000; both met → the larger, 4000 m²
        ("taizhou", "A", 60.0, 240_000.0),  # 4000 × 60
        ("taizhou", "B", 50.0, 200_000.0),  # 4000 × 50
        ("yuhuan", "A", 80.0, 320_000.0),  # 4000 × 80
        ("yuhuan", "b", 50.0, 200_000.0),  # 4000 × 50; grade read case-insensitively
    ],
)
def test_route_one_pays_the_larger_part_by_grade(policy, grade, rate, amount):
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 7_000.0, "grade": grade}]
    v = vertical(policy, rows, [new_plant(6, 8_000.0)]).loc["P0"]
    assert (v["status"], v["reason"], v["value"]) == ("pass", "above_20_percent", amount)
    args = v["args"]
    assert (args["part_m2"], args["own_new_m2"], args["base_m2"], args["rate"], args["raw"]) == (4_000.0, 8_000.0, 4_000.0, rate, amount)
    assert (args["rise"], args["share"], args["grade"]) == (0.5, 0.466667, grade.upper())


def test_route_one_by_the_rise_alone():
    # share 2000 / 15000 = 0.133 not met; rise part 15000 − 12000 = 3000 m² × 60 = 180 000
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 2_000.0, "grade": "A"}]
    v = vertical("taizhou", rows, [new_plant(3, 5_000.0)]).loc["P0"]
    assert (v["status"], v["value"], v["args"]["part_m2"]) == ("pass", 180_000.0, 3_000.0)


def test_route_one_counts_only_new_own_use_production_floor_area():
    # part above 20 % = 4000 m², but only the 1000 m² plant is new, own-use production:
    # 1000 × 60 = 60 000 (the leased-out, the storage and the old building do not count)
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 7_000.0, "grade": "A"}]
    buildings = [
        new_plant(2, 1_000.0),
        new_plant(2, 2_000.0, self_use=False),
        new_plant(2, 1_500.0, use="仓储"),
        new_plant(2, 500.0, is_new=False),
    ]
    v = vertical("taizhou", rows, buildings).loc["P0"]
    assert (v["status"], v["value"], v["args"]["own_new_m2"], v["args"]["base_m2"]) == ("pass", 60_000.0, 1_000.0, 1_000.0)


@pytest.mark.parametrize(
    ("after", "amount"),
    [
        # grade B, 50 ¥/m²: before 100000, part = after − 120000
        (139_999.99, 999_999.5),  # 19 999.99 × 50: just inside the cap
        (140_000.0, 1_000_000.0),  # 20 000 × 50: exactly the cap ("最高不超过", inclusive)
        (140_000.01, 1_000_000.0),  # 1 000 000.50 capped
    ],
)
def test_route_one_cap_per_project(after, amount):
    rows = [{"gfa_before_m2": 100_000.0, "gfa_after_m2": after, "renovation_gfa_m2": 100.0, "grade": "B"}]
    v = vertical("taizhou", rows, [new_plant(8, 40_000.0)]).loc["P0"]
    assert (v["status"], v["value"], v["limit"]) == ("pass", amount, 1_000_000.0)
    assert v["args"]["raw"] == pytest.approx((after - 120_000.0) * 50)


@pytest.mark.parametrize(
    ("gfa", "raw", "amount"),
    [
        # 10 floors; floors 4..10 earn 30 + 40 + 5 × 50 = 320 ¥ per m² of one floor
        (31_249.99, 999_999.68, 999_999.68),  # 3124.999 × 320
        (31_250.0, 1_000_000.0, 1_000_000.0),  # 3125 × 320: exactly the cap
        (31_250.01, 1_000_000.32, 1_000_000.0),  # capped
        (40_000.0, 1_280_000.0, 1_000_000.0),  # 4000 × 320 capped
    ],
)
def test_route_two_cap_per_project(gfa, raw, amount):
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0}]  # no grade needed
    v = vertical("yuhuan", rows, [new_plant(10, gfa)]).loc["P0"]
    assert (v["status"], v["reason"], v["value"], v["limit"]) == ("pass", "floor_tiers", amount, 1_000_000.0)
    assert v["args"]["raw"] == raw
    assert v["args"]["tier_m2"] == pytest.approx(gfa * 0.7, abs=0.005)  # floors 4..10 of 10


@pytest.mark.parametrize(
    ("fields", "buildings", "status", "reason", "missing"),
    [
        ({"grade": "C"}, [new_plant(6, 8_000.0)], "not_applicable", "grade_not_eligible", None),
        ({"grade": None}, [new_plant(6, 8_000.0)], "insufficient_data", "no_grade", ["grade"]),
        ({"grade": "A"}, [new_plant(6, 2_000.0, self_use=False)], "not_applicable", "no_own_use_area", None),
        ({"grade": "A", "renovation_gfa_m2": None}, [new_plant(6, 8_000.0)], "pass", "above_20_percent", None),  # the rise decides alone
    ],
)
def test_route_one_conditions(fields, buildings, status, reason, missing):
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 7_000.0} | fields]
    v = vertical("taizhou", rows, buildings).loc["P0"]
    assert (v["status"], v["reason"], v["args"].get("missing")) == (status, reason, missing)
    if status == "not_applicable":
        assert v["value"] == 0.0
    if status == "insufficient_data":
        assert np.isnan(v["value"])


def test_route_one_sentences():
    rows = [
        {"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 7_000.0, "grade": "C"},
        {"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 2_000.0, "grade": "A"},
    ]
    v = vertical("taizhou", rows, [new_plant(6, 8_000.0), new_plant(3, 5_000.0, i=1)])
    assert v.loc["P0", "en"].endswith("but the grade is C: the part above the line is paid for grades A, B only, does not apply")
    assert "亩均评价为 C 类，超过部分仅补助 A、B 类" in v.loc["P0", "zh"]
    # rise part 3000 m² × 60 = 180 000
    assert "超过部分 3,000 平方米" in v.loc["P1", "zh"] and "3,000 平方米 × 60 元/平方米（A 类）= 180,000 元" in v.loc["P1", "zh"]
    assert "3,000 m² × 60 yuan/m² (grade A) = 180,000 yuan; cap 1,000,000 yuan per project: 180,000 yuan" in v.loc["P1", "en"]


def test_route_two_without_tiered_floor_area_pays_nothing():
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0}]
    v = vertical("taizhou", rows, [new_plant(3, 3_000.0)]).loc["P0"]
    assert (v["status"], v["reason"], v["value"]) == ("not_applicable", "no_tier_area", 0.0)
    assert "on floor 4 or above: no subsidy" in v["en"] and "第 4 层及以上无技改新增自有自用生产厂房面积" in v["zh"]


def test_missing_inputs():
    rows = [
        {"gfa_before_m2": 10_000.0, "gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0},  # needs buildings
        {"gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0},  # rise unknown, share not over
        {},  # no renovation figures: not an applicant
        {"land_use": "住宅用地", "gfa_before_m2": 1.0},
        {"gfa_before_m2": 10_000.0, "renovation_gfa_m2": 1_000.0},  # after unknown: neither test can be made
    ]
    v = vertical("taizhou", rows, with_buildings=False)
    assert list(v["status"]) == ["insufficient_data", "insufficient_data", "not_applicable", "not_applicable", "insufficient_data"]
    assert list(v["reason"]) == ["no_buildings_layer", "no_renovation_figures", "not_applicant", "not_industrial", "no_renovation_figures"]
    assert [v.loc[p, "args"].get("missing") for p in ("P0", "P1", "P4")] == [["buildings"], ["gfa_before_m2"], ["gfa_after_m2"]]
    assert v.loc["P0", "en"] == "buildings layer missing: the new own-use production floor area cannot be found"
    assert v.loc["P1", "zh"].startswith("缺少技改前建筑面积（gfa_before_m2），无法判断技改是否超过界限")
    assert v.loc["P3", "en"] == "not industrial land (住宅用地): does not apply"
    assert np.isnan(v.loc["P0", "value"])


def test_building_without_floors_is_insufficient_for_route_two():
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0}]
    b = [(0, {"building_id": "B", "parcel_id": "P0", "gfa_m2": 6_000.0, "use": "生产", "is_new": True, "self_use": True})]
    v = vertical("taizhou", rows, b).loc["P0"]
    assert (v["status"], v["reason"], v["args"]["missing"]) == ("insufficient_data", "building_incomplete", ["floors"])
    assert np.isnan(v["value"])


def test_building_without_floor_area_is_insufficient_for_route_one():
    # neither gfa_m2 nor floors: its floor area is unknown, never 0
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 7_000.0, "grade": "A"}]
    b = [(0, {"building_id": "B", "parcel_id": "P0", "use": "生产", "is_new": True, "self_use": True})]
    v = vertical("taizhou", rows, b).loc["P0"]
    assert (v["status"], v["reason"], v["args"]["missing"]) == ("insufficient_data", "building_incomplete", ["gfa_m2", "floors"])
    assert v["zh"] == "技改新增自有自用生产厂房缺少总建筑面积（gfa_m2）或层数（floors），无法计算补助面积"


# --------------------------------------------------------------------------- no floor-area evidence


@pytest.mark.parametrize("policy", ["taizhou", "yuhuan"])
def test_a_parcel_without_buildings_is_insufficient_for_the_floor_tiers_and_the_own_use_area(policy):
    # P0 has no gfa_m2 and no building (the buildings layer has one, on P1): it is not
    # "0 m² of own-use production floor area"
    rows = [
        {"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 7_000.0, "grade": "A"},  # route 1
        {"gfa_before_m2": 10_000.0, "gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0},  # route 2
        {"gfa_before_m2": 10_000.0, "gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0},
    ]
    parcels, _ = prepared(rows, [new_plant(6, 2_000.0, i=1)])
    assert parcels.loc[0, "floor_area_gap"] == "no_building" and np.isnan(parcels.loc[0, "gfa_m2"])
    v = vertical(policy, rows, [new_plant(6, 2_000.0, i=1)])
    for pid in ("P0", "P2"):
        assert (v.loc[pid, "status"], v.loc[pid, "reason"], v.loc[pid, "args"]["missing"]) == ("insufficient_data", "no_building", ["building_on_parcel"])
        assert np.isnan(v.loc[pid, "value"])
        assert v.loc[pid, "zh"] == "缺少落在本宗地上的房屋，无法核定技改新增自有自用生产厂房面积"
    assert (v.loc["P1", "status"], v.loc["P1", "value"]) == ("pass", 40_000.0)


@pytest.mark.parametrize("policy", ["taizhou", "yuhuan"])
def test_a_new_plant_named_to_the_parcel_but_lying_on_another_is_no_evidence(policy):
    # the plant names P0 but lies on P1: whose own-use floor area it is cannot be told
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 7_000.0, "grade": "A"}] * 2
    elsewhere = [(1, new_plant(6, 2_000.0, i=0)[1])]
    v = vertical(policy, rows, elsewhere)
    assert (v.loc["P0", "status"], v.loc["P0", "reason"], v.loc["P0", "args"]["missing"]) == ("insufficient_data", "no_building", ["building_location"])
    assert v.loc["P0", "zh"] == "缺少与宗地代码相符的房屋位置，无法核定技改新增自有自用生产厂房面积"
    assert (v.loc["P1", "status"], v.loc["P1", "args"]["missing"]) == ("insufficient_data", ["building_on_parcel"])


def test_tiantai_parcel_without_floor_area_evidence_is_insufficient():
    # P0: an expansion of 2000 m² but no floor area after it, before it, nor any current floor area
    # (no gfa_m2, no building on the parcel): the FAR after it is unknown, not 0
    rows = [
        {"renovation_gfa_m2": 2_000.0, "industry_far": 1.0},
        {"gfa_before_m2": 10_000.0, "renovation_gfa_m2": 2_000.0, "industry_far": 1.0},  # after = 10000 + 2000
    ]
    parcels, b = prepared(rows, [new_plant(2, 1_000.0, i=1)])
    v = rendered(vertical_subsidy(parcels, load_pack("tiantai").rule("incentive.vertical_subsidy"), "tiantai"), "tiantai")
    p0 = v.loc["P0"]
    assert (p0["status"], p0["reason"]) == ("insufficient_data", "no_floor_area_after")
    assert p0["args"]["missing"] == ["gfa_after_m2", "gfa_before_m2", "gfa_m2", "building_on_parcel"]
    assert np.isnan(p0["value"])
    assert p0["en"] == (
        "floor area after the renovation (gfa_after_m2) or floor area before the renovation (gfa_before_m2) or gross floor area (gfa_m2)"
        " or a building on the parcel missing: the FAR after the expansion cannot be computed"
    )
    # FAR 12000 / 10000 = 1.2 > 1.1 and > 1.0: 2000 × 50
    assert (v.loc["P1", "status"], v.loc["P1", "value"]) == ("pass", 100_000.0)


def test_tiantai_without_a_buildings_layer_names_it():
    parcels, _ = prepared([{"renovation_gfa_m2": 2_000.0, "industry_far": 1.0}])
    v = rendered(vertical_subsidy(parcels, load_pack("tiantai").rule("incentive.vertical_subsidy"), "tiantai"), "tiantai").loc["P0"]
    assert v["args"]["missing"] == ["gfa_after_m2", "gfa_before_m2", "gfa_m2", "buildings"]
    assert v["zh"] == "缺少技改后建筑面积（gfa_after_m2）或技改前建筑面积（gfa_before_m2）或总建筑面积（gfa_m2）或房屋（幢）图层，无法计算扩建后容积率"


# --------------------------------------------------------------------------- tiantai


def tiantai(rows):
    parcels, _ = prepared(rows)
    rule = load_pack("tiantai").rule("incentive.vertical_subsidy")
    return rendered(vertical_subsidy(parcels, rule, "tiantai"), "tiantai")


def expansion(renovation, after=None, **fields):
    """A 10 000 m² parcel expanded from 10 000 m² by ``renovation``; industry FAR 1.0."""
    after = 10_000.0 + renovation if after is None and renovation is not None else after
    return {"gfa_before_m2": 10_000.0, "gfa_after_m2": after, "renovation_gfa_m2": renovation, "industry_far": 1.0} | fields


@pytest.mark.parametrize(
    ("row", "status", "reason", "amount"),
    [
        (expansion(2_000.0), "pass", "expansion", 100_000.0),  # FAR 1.2 > 1.1 (contract silent), 2000 × 50
        (expansion(1_000.0, after=11_000.0), "not_applicable", "far_not_above", 0.0),  # FAR exactly 1.1: not "高于"
        (expansion(1_000.0, after=10_999.99), "not_applicable", "far_not_above", 0.0),  # FAR 1.099999
        (expansion(1_000.0, after=11_000.01), "pass", "expansion", 50_000.0),  # FAR 1.100001; 1000 m² "以上" inclusive
        (expansion(999.99, after=12_000.0), "not_applicable", "small_expansion", 0.0),  # below 1000 m²
        (expansion(1_000.01, after=12_000.0), "pass", "expansion", 50_000.5),
        (expansion(2_000.0, industry_far=1.200001), "not_applicable", "far_not_above", 0.0),
        (expansion(2_000.0, industry_far=1.2), "not_applicable", "far_not_above", 0.0),  # FAR 1.2 not above industry FAR 1.2
        (expansion(2_000.0, industry_far=1.199999), "pass", "expansion", 100_000.0),
        (expansion(2_000.0, contract_far=1.200001), "not_applicable", "far_not_above", 0.0),
        (expansion(2_000.0, contract_far=1.2), "not_applicable", "far_not_above", 0.0),  # not above the contract FAR
        (expansion(2_000.0, contract_far=1.199999), "pass", "expansion", 100_000.0),
        (expansion(2_000.0, contract_far=1.0), "pass", "expansion", 100_000.0),  # the contract FAR replaces 1.1
        (expansion(2_000.0, industry_far=None), "insufficient_data", "no_industry_far", np.nan),
        (expansion(999.0, industry_far=None), "not_applicable", "small_expansion", 0.0),  # known too small: decided
        (expansion(2_000.0, in_production=False), "not_applicable", "not_completed", 0.0),
        (expansion(None, after=12_000.0), "pass", "expansion", 100_000.0),  # expansion = 12000 − 10000
        (expansion(None, after=None), "insufficient_data", "no_expansion", np.nan),  # only gfa_before_m2
        (expansion(9_999.98), "pass", "expansion", 499_999.0),  # just inside the 500 000 cap
        (expansion(10_000.0), "pass", "expansion", 500_000.0),  # exactly the cap ("限")
        (expansion(10_000.01), "pass", "expansion", 500_000.0),  # 500 000.50 capped
        (expansion(12_000.0), "pass", "expansion", 500_000.0),  # 600 000 capped per enterprise
    ],
)
def test_tiantai_expansion_subsidy(row, status, reason, amount):
    v = tiantai([row]).loc["P0"]
    assert (v["status"], v["reason"], v["unit"]) == (status, reason, "yuan")
    assert v["value"] == pytest.approx(amount, nan_ok=True)
    assert v["limit"] == pytest.approx(500_000.0 if status == "pass" else np.nan, nan_ok=True)


def test_tiantai_reasons_and_sentences():
    rows = [
        expansion(2_000.0, industry_far=1.2),
        expansion(2_000.0, contract_far=1.2),
        expansion(2_000.0, owner="甲"),
        expansion(None, after=None),
        expansion(999.99, after=12_000.0),
    ]
    v = tiantai(rows)
    assert (v.loc["P0", "args"]["subsidy_far_line"], v.loc["P0", "args"]["line_far"]) == ("industry_far", 1.2)
    assert v.loc["P0", "zh"] == "扩建后容积率 1.2 未高于行业容积率 1.2，无补助"
    assert v.loc["P1", "en"] == "the FAR after the expansion, 1.2, is not above the contract FAR 1.2: no subsidy"
    p2 = v.loc["P2"]
    assert (p2["args"]["subsidy_far_line"], p2["args"]["raw"], p2["args"]["owner_raw"]) == ("default_contract_far", 100_000.0, 100_000.0)
    assert p2["zh"].startswith("扩建后容积率 1.2 高于行业容积率 1 及出让合同未约定容积率时的控制值 1.1：批准扩建 2,000 平方米 × 50 元/平方米 = 100,000 元（一次性）；企业 甲 合计 100,000 元")
    assert "completion and acceptance are not in the data and not checked" in p2["en"]
    assert v.loc["P3", "args"]["missing"] == ["renovation_gfa_m2", "gfa_after_m2"]
    assert v.loc["P3", "en"] == "renovation floor area (renovation_gfa_m2) or floor area after the renovation (gfa_after_m2) missing: the approved expansion floor area is unknown"
    assert v.loc["P4", "en"] == "the approved expansion of 999.99 m² is below 1,000 m²: no subsidy"
    assert v.loc["P4", "zh"] == "批准扩建总建筑面积 999.99 平方米不足 1,000 平方米，无补助"


def test_tiantai_cap_is_per_enterprise_and_shared_in_proportion():
    rows = [
        # 甲: 6000 × 50 + 4000 × 50 = 500 000, exactly the cap: nothing cut
        expansion(6_000.0, owner="甲"),
        expansion(4_000.0, owner="甲"),
        # 乙: 400 000 + 200 000 = 600 000 → 500 000, shared 4 : 2 → 333 333.33 and 166 666.67
        expansion(8_000.0, owner="乙"),
        expansion(4_000.0, owner="乙"),
        # 丙: 3 × 200 000 = 600 000 → 500 000; 166 666.67 × 3 = 500 000.01, so the first
        # (largest) parcel gives up the cent: 166 666.66 + 2 × 166 666.67 = 500 000.00
        expansion(4_000.0, owner="丙"),
        expansion(4_000.0, owner="丙"),
        expansion(4_000.0, owner="丙"),
        # 丁: one eligible parcel (300 000) and one too small: 300 000
        expansion(6_000.0, owner="丁"),
        expansion(500.0, owner="丁"),
    ]
    v = tiantai(rows)["value"]
    assert list(v[:4]) == [300_000.0, 200_000.0, 333_333.33, 166_666.67]
    assert list(v[4:7]) == [166_666.66, 166_666.67, 166_666.67]
    assert v[4:7].sum() == pytest.approx(500_000.0)
    assert list(v[7:]) == [300_000.0, 0.0]


# --------------------------------------------------------------------------- rent subsidy


def rent(policy, rows):
    parcels, _ = prepared(rows)
    return rendered(rent_subsidy(parcels, load_pack(policy).rule("incentive.rent_subsidy"), policy), policy)


@pytest.mark.parametrize("policy", ["taizhou", "tiantai"])
@pytest.mark.parametrize(
    ("fields", "status", "reason", "amount"),
    [
        ({}, "pass", "rent", 36_000.0),  # 1000 m² × 3 × 12
        ({"investment_10k": 1_000.0}, "pass", "rent", 36_000.0),  # exactly 1000万元: "以上" inclusive
        ({"investment_10k": 999.99}, "not_applicable", "investment_below", 0.0),
        ({"investment_10k": 1_000.01}, "pass", "rent", 36_000.0),
        ({"grade": "A"}, "pass", "rent", 36_000.0),
        ({"grade": "C"}, "not_applicable", "grade_below", 0.0),  # "B类及以上"
        ({"grade": None}, "insufficient_data", "no_grade", np.nan),
        ({"investment_10k": None}, "insufficient_data", "no_investment", np.nan),
        ({"leased_new_m2": None}, "not_applicable", "no_lease", 0.0),  # no newly leased plant: not an applicant
        # 500 000 / 36 = 13 888.888… m²: no area on the 0.01 m² grid gives exactly the cap
        ({"leased_new_m2": 13_888.88}, "pass", "rent", 499_999.68),  # 13888.88 × 36, just inside
        ({"leased_new_m2": 13_888.89}, "pass", "rent", 500_000.0),  # 500 000.04 capped ("不超过")
        ({"leased_new_m2": 20_000.0}, "pass", "rent", 500_000.0),  # 720 000 capped
        ({"land_use": "商业用地"}, "pass", "rent", 36_000.0),  # the leased plant need not be on the parcel
    ],
)
def test_rent_subsidy(policy, fields, status, reason, amount):
    row = {"investment_10k": 1_000.0, "grade": "B", "leased_new_m2": 1_000.0} | fields
    v = rent(policy, [row]).loc["P0"]
    assert (v["status"], v["reason"], v["unit"]) == (status, reason, "yuan")
    assert v["value"] == pytest.approx(amount, nan_ok=True)
    assert v["limit"] == pytest.approx(500_000.0 if status == "pass" else np.nan, nan_ok=True)


def test_rent_subsidy_sentences():
    rows = [
        {"investment_10k": 1_000.0, "grade": "B", "leased_new_m2": 13_888.89},
        {"investment_10k": 999.99, "grade": "B", "leased_new_m2": 1_000.0},
        {"investment_10k": 1_000.0, "leased_new_m2": 1_000.0},
    ]
    v = rent("taizhou", rows)
    assert v.loc["P0", "args"]["raw"] == 500_000.04
    assert v.loc["P0", "zh"] == "新增租赁厂房 13,888.89 平方米 × 3 元/平方米/月 × 12 个月 = 500,000.04 元，最高 500,000 元，补助 500,000 元"
    assert v.loc["P0", "en"] == "newly leased plant 13,888.89 m² × 3 yuan/m² per month × 12 months = 500,000.04 yuan; cap 500,000 yuan: 500,000 yuan"
    assert v.loc["P1", "en"] == "the investment of 999.99 (10k yuan) is below 1,000: no rent subsidy"
    assert v.loc["P2", "args"]["missing"] == ["grade"]
    assert v.loc["P2", "zh"] == "缺少上一年度亩均评价等级（grade），无法判断是否为 A、B 类"


def test_rent_subsidy_is_not_in_yuhuan_or_shengzhou():
    assert load_pack("yuhuan").rule("incentive.rent_subsidy") is None
    assert load_pack("shengzhou").rule("incentive.rent_subsidy") is None
