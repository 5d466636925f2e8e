"""Vertical-industry subsidy (taizhou 二（十一）, yuhuan 四.23, tiantai 四（十二）) and rent subsidy
(taizhou 二（十）, tiantai 四（十一）). Every amount is worked out by hand in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from landtool.io import canonicalize
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


def vertical(policy, rows, buildings=None, *, with_buildings=True, lang="en"):
    parcels, b = prepared(rows, buildings)
    rule = load_pack(policy).rule("incentive.vertical_subsidy")
    return vertical_subsidy(parcels, rule, policy, lang=lang, buildings=b if with_buildings else None).set_index("subject_id")


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


# --------------------------------------------------------------------------- taizhou / yuhuan, route 1 or 2


@pytest.mark.parametrize("policy", ["taizhou", "yuhuan"])
@pytest.mark.parametrize(
    ("after", "renovation", "route", "amount"),
    [
        # FAR rise exactly 20 % (12000 / 10000 − 1) and share 2000 / 12000: route 2;
        # the 6-floor 2000 m² plant: 2000 / 6 × (30 + 40 + 50) = 40 000
        (12_000.0, 2_000.0, 2, 40_000.0),
        (11_999.99, 2_000.0, 2, 40_000.0),  # rise 0.199999
        # rise 0.200001 > 20 %: route 1 on 12000.01 − 1.2 × 10000 = 0.01 m² × 60 (taizhou) / 80 (yuhuan)
        (12_000.01, 2_000.0, 1, {"taizhou": 0.6, "yuhuan": 0.8}),
        # no rise, renovation share exactly 20 % of 10000: route 2
        (10_000.0, 2_000.0, 2, 40_000.0),
        (10_000.0, 1_999.99, 2, 40_000.0),
        # share 0.200001 > 20 %: route 1 on 2000.01 − 0.2 × 10000 = 0.01 m²
        (10_000.0, 2_000.01, 1, {"taizhou": 0.6, "yuhuan": 0.8}),
    ],
)
def test_the_20_percent_lines_are_exclusive(policy, after, renovation, route, amount, verdict):
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": after, "renovation_gfa_m2": renovation, "grade": "A"}]
    v = vertical(policy, rows, [new_plant(6, 2_000.0)]).loc["P0"]
    expected = amount[policy] if isinstance(amount, dict) else amount
    assert (v["status"], v["unit"], v["limit"]) == ("pass", "yuan", 1_000_000.0)
    assert v["value"] == pytest.approx(expected)
    assert ("exceeds 20 %" in v["explanation"]) == (route == 1)


@pytest.mark.parametrize(
    ("policy", "grade", "amount"),
    [
        # before 10000, after 15000, renovation 7000: rise part 15000 − 12000 = 3000,
        # share part 7000 − 0.2 × 15000 = 4000; both met → the larger, 4000 m²
        ("taizhou", "A", 240_000.0),  # 4000 × 60
        ("taizhou", "B", 200_000.0),  # 4000 × 50
        ("yuhuan", "A", 320_000.0),  # 4000 × 80
        ("yuhuan", "b", 200_000.0),  # 4000 × 50; grade read case-insensitively
    ],
)
def test_route_one_pays_the_larger_part_by_grade(policy, grade, amount):
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 7_000.0, "grade": grade}]
    v = vertical(policy, rows, [new_plant(6, 8_000.0)]).loc["P0"]
    assert (v["status"], v["value"]) == ("pass", amount)


def test_route_one_by_the_rise_alone():
    # share 2000 / 15000 = 0.133 not met; rise part 15000 − 12000 = 3000 m² × 60 = 180 000
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 2_000.0, "grade": "A"}]
    assert vertical("taizhou", rows, [new_plant(3, 5_000.0)]).loc["P0", "value"] == 180_000.0


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
    assert (v["status"], v["value"]) == ("pass", 60_000.0)


@pytest.mark.parametrize(
    ("after", "status", "amount"),
    [
        # grade B, 50 ¥/m²: before 100000, part = after − 120000
        (139_999.99, "pass", 999_999.5),  # 19 999.99 × 50
        (140_000.0, "pass", 1_000_000.0),  # 20 000 × 50: exactly the cap ("最高不超过", inclusive)
        (140_000.01, "pass", 1_000_000.0),  # 1 000 000.50 capped
    ],
)
def test_route_one_cap_per_project(after, status, amount):
    rows = [{"gfa_before_m2": 100_000.0, "gfa_after_m2": after, "renovation_gfa_m2": 100.0, "grade": "B"}]
    v = vertical("taizhou", rows, [new_plant(8, 40_000.0)]).loc["P0"]
    assert (v["status"], v["value"], v["limit"]) == (status, amount, 1_000_000.0)


@pytest.mark.parametrize(
    ("gfa", "amount"),
    [
        # 10 floors; floors 4..10 earn 30 + 40 + 5 × 50 = 320 ¥ per m² of one floor
        (31_249.99, 999_999.68),  # 3124.999 × 320
        (31_250.0, 1_000_000.0),  # 3125 × 320: exactly the cap
        (31_250.01, 1_000_000.0),  # 1 000 000.32 capped
        (40_000.0, 1_000_000.0),  # 4000 × 320 = 1 280 000 capped
    ],
)
def test_route_two_cap_per_project(gfa, amount):
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0}]  # no grade needed
    v = vertical("yuhuan", rows, [new_plant(10, gfa)]).loc["P0"]
    assert (v["status"], v["value"]) == ("pass", amount)


@pytest.mark.parametrize(
    ("fields", "buildings", "status", "words"),
    [
        ({"grade": "C"}, [new_plant(6, 8_000.0)], "not_applicable", "grades A and B only"),
        ({"grade": None}, [new_plant(6, 8_000.0)], "insufficient_data", "grade is missing"),
        ({"grade": "A"}, [new_plant(6, 2_000.0, self_use=False)], "not_applicable", "adds no own-use"),
        ({"grade": "A", "renovation_gfa_m2": None}, [new_plant(6, 8_000.0)], "pass", ""),  # the rise decides alone
    ],
)
def test_route_one_conditions(fields, buildings, status, words):
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 7_000.0} | fields]
    v = vertical("taizhou", rows, buildings).loc["P0"]
    assert v["status"] == status
    assert words in v["explanation"]


def test_route_two_without_tiered_floor_area_pays_nothing():
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0}]
    v = vertical("taizhou", rows, [new_plant(3, 3_000.0)]).loc["P0"]
    assert (v["status"], v["value"]) == ("not_applicable", 0.0)


def test_missing_inputs():
    rows = [
        {"gfa_before_m2": 10_000.0, "gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0},  # needs buildings
        {"gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0},  # rise unknown, share not over
        {},  # no renovation figures: not an applicant
        {"land_use": "住宅用地", "gfa_before_m2": 1.0},
    ]
    v = vertical("taizhou", rows, with_buildings=False)
    assert list(v["status"]) == ["insufficient_data", "insufficient_data", "not_applicable", "not_applicable"]
    assert "buildings layer" in v.loc["P0", "explanation"]
    assert "gfa_before_m2 missing" in v.loc["P1", "explanation"]
    assert np.isnan(v.loc["P0", "value"])


def test_building_without_floors_is_insufficient_for_route_two():
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 11_000.0, "renovation_gfa_m2": 1_000.0}]
    b = [(0, {"building_id": "B", "parcel_id": "P0", "gfa_m2": 6_000.0, "use": "生产", "is_new": True, "self_use": True})]
    assert vertical("taizhou", rows, b).loc["P0", "status"] == "insufficient_data"


def test_explanation_states_the_sum_in_chinese():
    rows = [{"gfa_before_m2": 10_000.0, "gfa_after_m2": 15_000.0, "renovation_gfa_m2": 2_000.0, "grade": "A"}]
    v = vertical("taizhou", rows, [new_plant(3, 5_000.0)], lang="zh").loc["P0"]
    assert "3,000 ㎡" in v["explanation"] and "180,000 元" in v["explanation"]
    assert "1.2 倍" in v["interpretation"]


# --------------------------------------------------------------------------- tiantai


def tiantai(rows):
    parcels, _ = prepared(rows)
    rule = load_pack("tiantai").rule("incentive.vertical_subsidy")
    return vertical_subsidy(parcels, rule, "tiantai", lang="en").set_index("subject_id")


def expansion(renovation, after=None, **fields):
    """A 10 000 m² parcel expanded from 10 000 m² by ``renovation``; industry FAR 1.0."""
    after = 10_000.0 + renovation if after is None else after
    return {"gfa_before_m2": 10_000.0, "gfa_after_m2": after, "renovation_gfa_m2": renovation, "industry_far": 1.0} | fields


@pytest.mark.parametrize(
    ("row", "status", "amount"),
    [
        (expansion(2_000.0), "pass", 100_000.0),  # FAR 1.2 > 1.1 (contract silent), 2000 × 50
        (expansion(1_000.0, after=11_000.0), "not_applicable", 0.0),  # FAR exactly 1.1: not "高于"
        (expansion(1_000.0, after=11_000.01), "pass", 50_000.0),  # FAR 1.100001; 1000 m² "以上" inclusive
        (expansion(999.99, after=12_000.0), "not_applicable", 0.0),  # below 1000 m²
        (expansion(1_000.01, after=12_000.0), "pass", 50_000.5),
        (expansion(2_000.0, industry_far=1.2), "not_applicable", 0.0),  # FAR 1.2 not above industry FAR 1.2
        (expansion(2_000.0, industry_far=1.199999), "pass", 100_000.0),
        (expansion(2_000.0, contract_far=1.2), "not_applicable", 0.0),  # not above the contract FAR
        (expansion(2_000.0, contract_far=1.0), "pass", 100_000.0),  # the contract FAR replaces 1.1
        (expansion(2_000.0, industry_far=None), "insufficient_data", np.nan),
        (expansion(2_000.0, in_production=False), "not_applicable", 0.0),
        (expansion(None, after=12_000.0), "pass", 100_000.0),  # expansion = 12000 − 10000
        (expansion(12_000.0), "pass", 500_000.0),  # 600 000 capped per enterprise
    ],
)
def test_tiantai_expansion_subsidy(row, status, amount):
    v = tiantai([row]).loc["P0"]
    assert v["status"] == status
    assert v["value"] == pytest.approx(amount, nan_ok=True)


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
    return rent_subsidy(parcels, load_pack(policy).rule("incentive.rent_subsidy"), policy, lang="en").set_index("subject_id")


@pytest.mark.parametrize("policy", ["taizhou", "tiantai"])
@pytest.mark.parametrize(
    ("fields", "status", "amount"),
    [
        ({}, "pass", 36_000.0),  # 1000 m² × 3 × 12
        ({"investment_10k": 999.99}, "not_applicable", 0.0),  # 1000万元 "以上" inclusive
        ({"investment_10k": 1_000.01}, "pass", 36_000.0),
        ({"grade": "A"}, "pass", 36_000.0),
        ({"grade": "C"}, "not_applicable", 0.0),  # "B类及以上"
        ({"grade": None}, "insufficient_data", np.nan),
        ({"investment_10k": None}, "insufficient_data", np.nan),
        ({"leased_new_m2": None}, "not_applicable", 0.0),  # no newly leased plant: not an applicant
        ({"leased_new_m2": 13_888.88}, "pass", 499_999.68),  # 13888.88 × 36
        ({"leased_new_m2": 13_888.89}, "pass", 500_000.0),  # 500 000.04 capped ("不超过")
        ({"leased_new_m2": 20_000.0}, "pass", 500_000.0),  # 720 000 capped
        ({"land_use": "商业用地"}, "pass", 36_000.0),  # the leased plant need not be on the parcel
    ],
)
def test_rent_subsidy(policy, fields, status, amount):
    row = {"investment_10k": 1_000.0, "grade": "B", "leased_new_m2": 1_000.0} | fields
    v = rent(policy, [row]).loc["P0"]
    assert (v["status"], v["unit"]) == (status, "yuan")
    assert v["value"] == pytest.approx(amount, nan_ok=True)


def test_rent_subsidy_is_not_in_yuhuan_or_shengzhou():
    assert load_pack("yuhuan").rule("incentive.rent_subsidy") is None
    assert load_pack("shengzhou").rule("incentive.rent_subsidy") is None
