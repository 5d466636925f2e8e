"""Land use and planning overlays (POLICY.md §9), permit exemption and 标准地 supply (§10), and
the extra height-limit layers (§4)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

from landtool.errors import InputError
from landtool.io import canonicalize
from landtool.policy import load_pack
from landtool.prepare import prepare
from landtool.rules.landuse import (
    control_line,
    control_line_balance,
    height_limit_layers,
    permit_exempt,
    pre_registration,
    renovation_admission,
    retain_industrial,
    standard_land,
)
from tests.conftest import X0, Y0, frame, rect, square

SITE = 10_000.0  # 100 m × 100 m parcels, 200 m apart: parcel i spans x 200 i .. 200 i + 100


def prepared(rows, zones=None, buildings=None):
    parcels = [{"parcel_id": f"P{i}", "land_use": "工业用地", "geometry": square(SITE, x=200 * i)} | row for i, row in enumerate(rows)]
    prep = prepare(
        canonicalize(frame(parcels), "parcels", label="parcels"),
        zones=canonicalize(frame(zones), "zones", label="zones") if zones else None,
        buildings=canonicalize(frame(buildings), "buildings", label="buildings") if buildings else None,
    )
    return prep


def zone(zone_type, x0, x1, **fields):
    """A zone covering the parcels with x in [x0, x1)."""
    return {"zone_id": f"{zone_type}-{x0}", "zone_type": zone_type, "geometry": rect(x0 - 10, -10, x1 - 10, 110)} | fields


def rule_of(policy, rule_id):
    return load_pack(policy).rule(rule_id)


# --------------------------------------------------------------------------- retain industrial

RENOVATION = {"gfa_before_m2": 10_000.0, "gfa_after_m2": 13_000.0, "renovation_gfa_m2": 3_000.0}


def retain(policy, rows, zones=None):
    """Parcels P0.. ; by default all inside a non_industrial_plan zone."""
    prep = prepared(rows, zones if zones is not None else [zone("non_industrial_plan", 0, 200 * len(rows))])
    return retain_industrial(prep.parcels, rule_of(policy, "landuse.retain_industrial"), policy, lang="en").set_index("subject_id")


@pytest.mark.parametrize(
    ("fields", "area", "basis"),
    [
        # taizhou 二（一）: with a certificate, above the certified area: 13000 − 11000
        ({"certified_gfa_m2": 11_000.0, "contract_far": 1.2}, 2_000.0, "above the certified"),
        # else above the contract FAR: 13000 − 1.2 × 10000
        ({"contract_far": 1.2}, 1_000.0, "above the contract FAR"),
        ({"contract_far": 1.3}, 0.0, "above the contract FAR"),  # exactly at the contract FAR
        ({"contract_far": 1.4}, 0.0, "above the contract FAR"),  # below it: nothing, never negative
        # no contract FAR: the added floor area 13000 − 10000
        ({}, 3_000.0, "added floor area"),
    ],
)
def test_taizhou_commitment_area(fields, area, basis):
    v = retain("taizhou", [RENOVATION | fields]).loc["P0"]
    assert (v["status"], v["unit"], v["value"]) == ("pass", "m2", area)
    assert basis in v["explanation"] and "commits to demolish" in v["explanation"]


@pytest.mark.parametrize("policy", ["taizhou", "tiantai", "yuhuan"])
def test_retain_industrial_outside_the_plan_or_in_expropriation(policy):
    zones = [zone("non_industrial_plan", 0, 400), zone("expropriation_plan", 200, 400)]
    rows = [RENOVATION | {"grade": "A"}, RENOVATION | {"grade": "A"}, RENOVATION | {"grade": "A"}, {"land_use": "住宅用地"}]
    v = retain(policy, rows, zones)
    # P0: in the plan, not expropriated; P1: expropriated; P2: outside the plan zone; P3: not industrial, outside
    assert list(v["status"]) == ["pass", "fail", "not_applicable", "not_applicable"]
    assert "expropriation plan" in v.loc["P1", "explanation"]


def test_retain_industrial_needs_stock_industrial_land():
    v = retain("taizhou", [{"land_use": "商业用地"}]).loc["P0"]
    assert (v["status"], "not industrial" in v["explanation"]) == ("not_applicable", True)


@pytest.mark.parametrize(("grade", "status"), [("A", "pass"), ("B", "pass"), ("C", "fail"), ("D", "fail"), (None, "insufficient_data")])
def test_tiantai_only_grades_a_and_b(grade, status):
    v = retain("tiantai", [RENOVATION | {"grade": grade}]).loc["P0"]
    assert v["status"] == status
    if status == "pass":
        # the buildings applied for: the renovation floor area, 3000 m²
        assert v["value"] == 3_000.0
        assert "environmental requirements (not in the data" in v["explanation"]


def test_grades_do_not_matter_in_taizhou_and_yuhuan():
    for policy in ("taizhou", "yuhuan"):
        assert retain(policy, [RENOVATION | {"grade": "D", "certified_gfa_m2": 12_000.0}]).loc["P0", "status"] == "pass"


def test_yuhuan_temporary_above_the_certified_area():
    v = retain("yuhuan", [RENOVATION | {"certified_gfa_m2": 12_000.0}, RENOVATION | {"contract_far": 1.0}])
    # P0: 13000 − 12000 = 1000 m² above the certified area
    assert (v.loc["P0", "status"], v.loc["P0", "value"]) == ("pass", 1_000.0)
    assert "temporarily keep" in v.loc["P0", "explanation"]
    # P1: no certified floor area: still may keep industrial use; the area cannot be computed
    assert v.loc["P1", "status"] == "pass" and np.isnan(v.loc["P1", "value"])
    assert "needs certified_gfa_m2" in v.loc["P1", "explanation"]


# --------------------------------------------------------------------------- control line


def control(rows, zones, with_zones=True, policy="taizhou"):
    prep = prepared(rows, zones)
    rule = rule_of(policy, "landuse.control_line")
    zone_layer = prep.layers.get("zones") if with_zones else None
    return control_line(prep.parcels, rule, policy, lang="en", zones=zone_layer).set_index("subject_id"), prep


@pytest.mark.parametrize("policy", ["taizhou", "tiantai"])
@pytest.mark.parametrize(
    ("added", "status"),
    [
        (10_000.0, "pass"),  # 改一补一: 10000 m² added for the 10000 m² converted, ratio 1
        (9_999.99, "fail"),  # ratio 0.999999
        (10_000.01, "pass"),
        (None, "fail"),  # no balance given
    ],
)
def test_control_line_change_of_use_must_be_balanced(policy, added, status):
    zones = [zone("control_line", 0, 400, added_m2=added)]
    rows = [{}, {"land_use": "商服用地"}, {"land_use": "住宅用地"}]  # P2 lies outside the line
    v, _ = control(rows, zones, policy=policy)
    assert list(v["status"]) == ["pass", status, "not_applicable"]
    if added is not None:
        assert v.loc["P1", "value"] == pytest.approx(added / 10_000.0, abs=1e-6)
        assert v.loc["P1", "limit"] == 1.0


def test_control_line_without_zones_layer_fails_non_industrial_parcels():
    v, _ = control([{"land_use": "住宅用地"}, {}], [zone("control_line", 0, 400, added_m2=50_000.0)], with_zones=False)
    assert list(v["status"]) == ["fail", "pass"]
    assert "no 改一补一 balance given" in v.loc["P0", "explanation"]


def test_control_line_balance_table():
    zones = [
        zone("control_line", 0, 400, added_m2=15_000.0, name="东区"),
        zone("control_line", 400, 800, name="西区"),
        zone("control_line", 800, 1000, added_m2=0.0, name="北区"),
        zone("development_zone", 0, 1000),
    ]
    rows = [{"land_use": "住宅用地"}, {}, {"land_use": "住宅用地"}, {}, {}]
    prep = prepared(rows, zones)
    table = control_line_balance(prep.parcels, prep.layers["zones"], rule=rule_of("taizhou", "landuse.control_line")).set_index("name")
    assert list(table.index) == ["东区", "西区", "北区"]
    assert list(table["parcels"]) == [2, 2, 1]
    assert list(table["converted_m2"]) == [10_000.0, 10_000.0, 0.0]
    assert list(table["industrial_m2"]) == [10_000.0, 10_000.0, 10_000.0]
    assert table.loc["东区", "balance_ratio"] == 1.5
    assert table["balanced"].tolist() == [True, pd.NA, True]  # nothing converted in 北区


def test_control_line_is_not_in_yuhuan():
    assert rule_of("yuhuan", "landuse.control_line") is None


# --------------------------------------------------------------------------- renovation admission


@pytest.mark.parametrize("policy", ["taizhou", "tiantai", "yuhuan"])
def test_no_zero_land_renovation_in_a_relocation_plan(policy):
    zones = [zone("relocation_plan", 0, 400)]
    rows = [RENOVATION, {}, RENOVATION, {}, {"land_use": "住宅用地", **RENOVATION}]
    prep = prepared(rows, zones)
    v = renovation_admission(prep.parcels, rule_of(policy, "renovation.admission"), policy, lang="en").set_index("subject_id")
    # P0 applicant inside; P1 inside, no figures; P2 applicant outside; P3 nothing; P4 not industrial
    assert list(v["status"]) == ["fail", "not_applicable", "pass", "not_applicable", "not_applicable"]
    assert "not in the data" in v.loc["P2", "explanation"]
    assert "relocation plan" in v.loc["P1", "explanation"]


# --------------------------------------------------------------------------- pre-registration


@pytest.mark.parametrize("policy", ["taizhou", "tiantai", "yuhuan"])
@pytest.mark.parametrize(
    ("share", "status"),
    [(0.25, "not_applicable"), (0.249999, "pass"), (0.250001, "not_applicable"), (0.0, "pass"), (None, "not_applicable")],
)
def test_pre_registration_below_25_percent(policy, share, status):
    prep = prepared([{"investment_share": share}])
    v = pre_registration(prep.parcels, rule_of(policy, "transfer.pre_registration"), policy, lang="en").iloc[0]
    assert (v["status"], v["limit"], v["unit"]) == (status, 0.25, "ratio")


def test_pre_registration_reads_percent_text():
    prep = prepared([{"investment_share": "20%"}])
    v = pre_registration(prep.parcels, rule_of("taizhou", "transfer.pre_registration"), "taizhou", lang="zh").iloc[0]
    assert (v["status"], v["value"]) == ("pass", 0.2)
    assert "预告登记" in v["explanation"]


# --------------------------------------------------------------------------- permit exemption (yuhuan)


@pytest.mark.parametrize(
    ("investment", "floor", "status"),
    [
        (200.0, 5_000.0, "pass"),  # 200万元 "以下" inclusive
        (199.99, None, "pass"),
        (200.01, 1_000.0, "pass"),  # 1000 m² "以下" inclusive; either suffices
        (200.01, 1_000.01, "not_applicable"),  # a permit is needed
        (200.01, None, "insufficient_data"),  # the floor area could still qualify
        (None, 1_000.01, "insufficient_data"),
        (None, None, "not_applicable"),
    ],
)
def test_yuhuan_permit_exemption(investment, floor, status):
    prep = prepared([{"investment_10k": investment, "renovation_gfa_m2": floor}])
    v = permit_exempt(prep.parcels, rule_of("yuhuan", "renovation.permit_exempt"), "yuhuan", lang="en").iloc[0]
    assert v["status"] == status


def test_permit_exemption_is_yuhuans_only():
    assert all(rule_of(p, "renovation.permit_exempt") is None for p in ("taizhou", "tiantai", "shengzhou"))


# --------------------------------------------------------------------------- 标准地 supply


def supplied(policy, rows):
    pack = load_pack(policy)
    prep = prepared(rows)
    return standard_land(
        prep.parcels, pack.rule("supply.standard_land"), policy, lang="en", supplied_from=pack.issued, supplied_until=pack.valid_until
    ).set_index("subject_id")


@pytest.mark.parametrize(
    ("date", "flag", "status"),
    [
        ("2021-12-26", False, "fail"),  # taizhou issued 2021-12-26: inclusive
        ("2021-12-25", False, "not_applicable"),  # before the policy
        ("2023-12-31", False, "fail"),  # valid until, inclusive
        ("2024-01-01", False, "not_applicable"),
        ("2022-06-01", True, "pass"),
        ("2022-06-01", None, "insufficient_data"),
        (None, False, "not_applicable"),  # not newly supplied
    ],
)
def test_new_industrial_land_is_standard_land(date, flag, status):
    v = supplied("taizhou", [{"supply_date": date, "standard_land": flag}]).loc["P0"]
    assert v["status"] == status


def test_standard_land_explanations_and_share():
    rows = [
        {"supply_date": "2022-06-01", "standard_land": True},
        {"supply_date": "2022-06-01", "standard_land": False},
        {"supply_date": "2022-06-01", "standard_land": False, "land_use": "住宅用地"},
    ]
    taizhou = supplied("taizhou", rows)
    shengzhou = supplied("shengzhou", rows)
    assert list(taizhou["status"]) == ["pass", "fail", "not_applicable"]
    assert taizhou.loc["P1", "value"] == 0.5  # half the new industrial area is 标准地
    assert "negative list" in taizhou.loc["P1", "explanation"]
    assert "negative list" not in shengzhou.loc["P1", "explanation"]  # no exception in 嵊政〔2022〕28号


def test_standard_land_window_is_open_without_dates():
    prep = prepared([{"supply_date": "2010-01-01", "standard_land": False}])
    v = standard_land(prep.parcels, rule_of("tiantai", "supply.standard_land"), "tiantai", lang="en").iloc[0]
    assert v["status"] == "fail"
    prep = prepared([{"supply_date": "2010-01-01", "standard_land": False}])
    v = standard_land(
        prep.parcels, rule_of("tiantai", "supply.standard_land"), "tiantai", lang="en", supplied_from=dt.date(2022, 2, 20)
    ).iloc[0]
    assert v["status"] == "not_applicable"


# --------------------------------------------------------------------------- extra height limits


def write_limit_raster(path, data, cell=1.0):
    """Rows count from the top: the raster spans x 0..cols, y 0..rows (relative to X0, Y0)."""
    transform = from_origin(X0, Y0 + data.shape[0] * cell, cell, cell)
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
        dtype="float32", crs="EPSG:4549", transform=transform, nodata=-9999.0,
    ) as dst:
        dst.write(data.astype("float32"), 1)
    return str(path)


def buildings_on_parcels():
    return [
        {"building_id": "B1", "parcel_id": "P0", "height_m": 24.0, "geometry": rect(10, 10, 30, 30)},
        {"building_id": "B2", "parcel_id": "P0", "height_m": 24.01, "geometry": rect(50, 50, 70, 70)},
        {"building_id": "B3", "parcel_id": "P1", "height_m": 40.0, "geometry": rect(210, 10, 230, 30)},
    ]


def test_height_limit_zones_lowest_limit_and_buildings_over():
    zones = [zone("height_limit", 0, 200, height_max_m=30.0), zone("height_limit", 0, 200, height_max_m=24.0)]
    prep = prepared([{}, {}], zones, buildings_on_parcels())
    out = height_limit_layers(prep.parcels, prep.layers["buildings"]).set_index("parcel_id")
    assert out.loc["P0", "extra_limit_m"] == 24.0 and out.loc["P0", "extra_limit_source"] == "zone"
    assert out.loc["P0", "buildings_over"] == ["B2"]  # 24 m is within, 24.01 m is above
    assert bool(out.loc["P0", "exceeds"])
    assert np.isnan(out.loc["P1", "extra_limit_m"]) and out.loc["P1", "buildings_over"] == []


def test_height_limit_raster_minimum_over_cells_mostly_inside(tmp_path):
    data = np.full((300, 300), 50.0)  # 1 m cells over x 0..300, y 0..300
    data[300 - 30 : 300 - 10, 10:30] = 35.0  # y 10..30, x 10..30: under B1
    data[300 - 30, 10] = 20.0  # the cell at x 10..11, y 29..30, inside B1
    data[300 - 71, 50:70] = 10.0  # the row y 70..71 just outside B2: not counted
    raster = write_limit_raster(tmp_path / "limit.tif", data)
    zones = [zone("height_limit", 0, 200, height_max_m=30.0)]
    prep = prepared([{}, {}], zones, buildings_on_parcels())
    out = height_limit_layers(prep.parcels, prep.layers["buildings"], height_limit_raster=raster).set_index("parcel_id")
    # B1: raster minimum 20 m (< zone 30 m): 24 m exceeds; B2: raster 50 m, zone 30 m: 24.01 m within
    assert out.loc["P0", "raster_limit_m"] == 20.0
    assert (out.loc["P0", "extra_limit_m"], out.loc["P0", "extra_limit_source"]) == (20.0, "raster")
    assert out.loc["P0", "buildings_over"] == ["B1"]
    # B3 on P1: no zone, raster 50 m: 40 m within
    assert (out.loc["P1", "extra_limit_m"], out.loc["P1", "buildings_over"]) == (50.0, [])


def test_height_limit_raster_without_buildings_uses_the_parcel(tmp_path):
    data = np.full((300, 300), 50.0)
    data[300 - 60 : 300 - 40, 40:60] = 25.0
    raster = write_limit_raster(tmp_path / "limit.tif", data)
    prep = prepared([{"height_m": 25.0}, {"height_m": 25.01}])
    out = height_limit_layers(prep.parcels, None, height_limit_raster=raster).set_index("parcel_id")
    assert list(out["extra_limit_m"]) == [25.0, 50.0]
    assert list(out["exceeds"]) == [False, False]
    prep = prepared([{"height_m": 25.01}])
    out = height_limit_layers(prep.parcels, None, height_limit_raster=raster)
    assert bool(out["exceeds"].iloc[0])


def test_height_limit_raster_bad_path(tmp_path):
    prep = prepared([{}])
    with pytest.raises(InputError, match="height-limit raster"):
        height_limit_layers(prep.parcels, None, height_limit_raster=str(tmp_path / "missing.tif"))


def test_parcels_without_buildings_compare_their_own_height():
    zones = [zone("height_limit", 0, 600, height_max_m=30.0)]
    prep = prepared([{}, {}, {"height_m": 30.01}], zones, buildings_on_parcels())
    out = height_limit_layers(prep.parcels, prep.layers["buildings"]).set_index("parcel_id")
    # P1's 40 m building is over 30 m; P2 has no buildings: its 30.01 m attribute is over
    assert list(out["exceeds"]) == [False, True, True]
    assert list(out["buildings_over"]) == [[], ["B3"], []]
