"""Land use and planning overlays (POLICY.md §9), permit exemption and 标准地 supply (§10), and
the extra height-limit layers (§4).

Every parcel is a 100 m × 100 m square (10 000 m²), parcel i at x 200 i .. 200 i + 100.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

from landtool.errors import InputError
from landtool.io import canonicalize
from landtool.issues import render_issues
from landtool.messages import render_verdicts
from landtool.policy import Param, Rule, load_pack
from landtool.prepare import prepare
from landtool.rules.common import governed
from landtool.rules.landuse import (
    control_line,
    control_line_balance,
    extra_height_limits,
    height_limit_layers,
    permit_exempt,
    pre_registration,
    renovation_admission,
    retain_industrial,
    standard_land,
)
from tests.conftest import X0, Y0, frame, rect, square

SITE = 10_000.0


def prepared(rows, zones=None, buildings=None):
    parcels = [{"parcel_id": f"P{i}", "land_use": "工业用地", "geometry": square(SITE, x=200 * i)} | row for i, row in enumerate(rows)]
    return prepare(
        canonicalize(frame(parcels), "parcels", label="parcels"),
        zones=canonicalize(frame(zones), "zones", label="zones") if zones else None,
        buildings=canonicalize(frame(buildings), "buildings", label="buildings") if buildings else None,
    )


def zone(zone_type, x0, x1, **fields):
    """A zone covering the parcels with x in [x0, x1)."""
    return {"zone_id": f"{zone_type}-{x0}", "zone_type": zone_type, "geometry": rect(x0 - 10, -10, x1 - 10, 110)} | fields


def rule_of(policy, rule_id):
    return load_pack(policy).rule(rule_id)


def rendered(table: pd.DataFrame) -> pd.DataFrame:
    """The verdicts by subject id, with ``args`` parsed and the sentences in zh and en."""
    out = table.copy()
    out["zh"] = render_verdicts(table, "zh")[0]
    out["en"] = render_verdicts(table, "en")[0]
    out["args"] = [json.loads(a) if isinstance(a, str) else {} for a in table["args"]]
    return out.set_index("subject_id")


# --------------------------------------------------------------------------- retain industrial

RENOVATION = {"gfa_before_m2": 10_000.0, "gfa_after_m2": 13_000.0, "renovation_gfa_m2": 3_000.0}


def retain(policy, rows, zones=None, *, with_zones=True):
    """Parcels P0.. ; by default all inside a non_industrial_plan zone named 老城区块."""
    prep = prepared(rows, zones if zones is not None else [zone("non_industrial_plan", 0, 200 * len(rows), name="老城区块")])
    rule = rule_of(policy, "landuse.retain_industrial")
    return rendered(retain_industrial(prep.parcels, rule, policy, zones=prep.layers.get("zones") if with_zones else None))


@pytest.mark.parametrize(
    ("fields", "area", "basis"),
    [
        # taizhou 二（一）: with a certificate, above the certified area: 13000 − 11000
        ({"certified_gfa_m2": 11_000.0, "contract_far": 1.2}, 2_000.0, "above_certified_area"),
        # else above the contract FAR: 13000 − 1.2 × 10000
        ({"contract_far": 1.2}, 1_000.0, "above_contract_far"),
        ({"contract_far": 1.299999}, 0.01, "above_contract_far"),  # just below the contract FAR line
        ({"contract_far": 1.3}, 0.0, "above_contract_far"),  # exactly at the contract FAR
        ({"contract_far": 1.4}, 0.0, "above_contract_far"),  # below it: nothing, never negative
        # no contract FAR: the added floor area 13000 − 10000
        ({}, 3_000.0, "added_gfa"),
    ],
)
def test_taizhou_commitment_area(fields, area, basis):
    v = retain("taizhou", [RENOVATION | fields]).loc["P0"]
    assert (v["status"], v["reason"], v["unit"], v["value"]) == ("pass", "may_retain", "m2", area)
    assert v["args"]["commit_basis"] == basis
    assert v["args"]["retain_conditions"] == ["demolition_commitment"]
    assert v["args"]["plan_zones"] == ["老城区块"]


def test_taizhou_commitment_sentences():
    v = retain("taizhou", [RENOVATION | {"certified_gfa_m2": 11_000.0}]).loc["P0"]
    assert v["zh"] == (
        "规划已调整为非工业用途（老城区块），未列入近期政府征收拆迁改造计划：可保留工业用地性质实施“零增地”技改，"
        "前提是企业承诺服从政府今后安排并无偿拆除（不在数据中，未核对）；承诺无偿拆除的建筑面积（超过原证载建筑面积部分）2,000 平方米"
    )
    assert v["en"].endswith("floor area under the demolition commitment (floor area above the certified floor area): 2,000 m²")
    assert "on condition of the enterprise's commitment to follow the government's later arrangements" in v["en"]


@pytest.mark.parametrize("policy", ["taizhou", "tiantai", "yuhuan"])
def test_retain_industrial_outside_the_plan_or_in_expropriation(policy):
    zones = [zone("non_industrial_plan", 0, 400, name="老城区块"), zone("expropriation_plan", 200, 400, name="东站征迁片区")]
    rows = [RENOVATION | {"grade": "A", "certified_gfa_m2": 12_000.0}] * 3 + [{"land_use": "住宅用地"}]
    v = retain(policy, rows, zones)
    # P0: in the plan, not expropriated; P1: expropriated; P2: outside the plan zone; P3: not industrial, outside
    assert list(v["status"]) == ["pass", "fail", "not_applicable", "not_applicable"]
    assert list(v["reason"]) == ["may_retain", "in_expropriation_plan", "outside_plan", "outside_plan"]
    assert v.loc["P1", "args"] == {"expropriation_zones": ["东站征迁片区"]}
    # the cause is named: the popup of a failing parcel says why
    assert v.loc["P1", "zh"] == "已列入近期政府征收拆迁改造计划（东站征迁片区），不得保留工业用地性质实施“零增地”技改"
    assert v.loc["P1", "en"] == "listed in the near-term expropriation plan (东站征迁片区): may not keep industrial use for zero-land renovation"
    assert v.loc["P2", "en"] == "not in a zone planned for non-industrial use: does not apply"


def test_expropriation_without_the_zones_layer_still_says_why():
    zones = [zone("non_industrial_plan", 0, 200), zone("expropriation_plan", 0, 200)]
    v = retain("taizhou", [RENOVATION], zones, with_zones=False).loc["P0"]
    assert (v["status"], v["reason"], v["args"]["expropriation_zones"]) == ("fail", "in_expropriation_plan", ["—"])
    assert v["zh"].startswith("已列入近期政府征收拆迁改造计划（—）")


def test_unnamed_zones_are_named_by_their_id():
    zones = [zone("non_industrial_plan", 0, 200), zone("expropriation_plan", 0, 200)]
    v = retain("taizhou", [RENOVATION], zones).loc["P0"]
    assert v["args"]["expropriation_zones"] == ["expropriation_plan-0"]


def test_retain_industrial_needs_stock_industrial_land():
    v = retain("taizhou", [{"land_use": "商业用地"}]).loc["P0"]
    assert (v["status"], v["reason"], v["args"]) == ("not_applicable", "not_industrial", {"land_use": "商业用地"})
    assert v["zh"] == "非工业用地（商业用地），本条不适用"


@pytest.mark.parametrize(
    ("grade", "status", "reason"),
    [("A", "pass", "may_retain"), ("b", "pass", "may_retain"), ("C", "fail", "grade_not_eligible"), ("D", "fail", "grade_not_eligible"), (None, "insufficient_data", "no_grade")],
)
def test_tiantai_only_grades_a_and_b(grade, status, reason):
    v = retain("tiantai", [RENOVATION | {"grade": grade}]).loc["P0"]
    assert (v["status"], v["reason"]) == (status, reason)
    if status == "pass":
        # the buildings applied for: the renovation floor area, 3000 m²
        assert (v["value"], v["args"]["commit_basis"]) == (3_000.0, "approved_buildings")
        assert v["args"]["retain_conditions"] == ["demolition_commitment", "environmental_compliance"]
        assert "前提是企业承诺服从政府今后安排并无偿拆除、符合环保要求（不在数据中，未核对）" in v["zh"]
        assert "compliance with environmental requirements (not in the data: not checked)" in v["en"]
    elif status == "fail":
        assert v["args"] == {"grade": grade, "eligible_grades": ["A", "B"]}
        assert v["en"] == f"graded {grade} in the previous year's per-mu evaluation: only grades A, B may keep industrial use"
        assert v["zh"] == f"上一年度亩均评价为{grade}类，仅A、B类企业可保留工业用地性质"
    else:
        assert v["args"] == {"eligible_grades": ["A", "B"], "missing": ["grade"]}
        assert v["zh"] == "仅上一年度亩均评价为A、B类的企业可保留工业用地性质，缺少亩均评价等级（grade）"


def test_in_principle_note_only_for_the_packs_own_condition():
    """A successor pack marking the rule 原则上: a grade outside the pack's list may still be
    approved; an expropriation plan (a planning overlay) is never waived by that note."""
    base = rule_of("tiantai", "landuse.retain_industrial")
    rule = Rule(id=base.id, clause=base.clause, discretionary=True, params=base.params)
    zones = [zone("non_industrial_plan", 0, 400), zone("expropriation_plan", 200, 400)]
    prep = prepared([RENOVATION | {"grade": "C"}, RENOVATION | {"grade": "A"}], zones)
    v = rendered(retain_industrial(prep.parcels, rule, "custom", zones=prep.layers["zones"]))
    assert list(v["reason"]) == ["grade_not_eligible", "in_expropriation_plan"]
    assert v.loc["P0", "args"].get("discretionary") is True and "原则上" in v.loc["P0", "zh"]
    assert "discretionary" not in v.loc["P1", "args"] and "原则上" not in v.loc["P1", "zh"]


def test_grades_do_not_matter_in_taizhou_and_yuhuan():
    for policy in ("taizhou", "yuhuan"):
        v = retain(policy, [RENOVATION | {"grade": "D", "certified_gfa_m2": 12_000.0}]).loc["P0"]
        assert (v["status"], v["reason"]) == ("pass", "may_retain")


def test_yuhuan_temporary_above_the_certified_area():
    v = retain("yuhuan", [RENOVATION | {"certified_gfa_m2": 12_000.0}, RENOVATION | {"contract_far": 1.0}, {}])
    # P0: 13000 − 12000 = 1000 m² above the certified area
    assert (v.loc["P0", "status"], v.loc["P0", "value"], v.loc["P0", "args"]["retain_mode"]) == ("pass", 1_000.0, "keep_temporarily")
    assert "may temporarily keep industrial use" in v.loc["P0", "en"]
    assert "可暂时保留工业用地性质" in v.loc["P0", "zh"]
    # P1: no certified floor area: still may keep industrial use; the area cannot be computed
    p1 = v.loc["P1"]
    assert (p1["status"], p1["reason"], p1["args"]["missing"]) == ("pass", "may_retain_area_unknown", ["certified_gfa_m2"])
    assert np.isnan(p1["value"])
    assert p1["en"].endswith("cannot be computed: certified floor area (certified_gfa_m2) missing")
    assert p1["zh"].endswith("无法计算，缺少证载建筑面积（certified_gfa_m2）")
    # P2: no floor area after the renovation either
    assert v.loc["P2", "args"]["missing"] == ["gfa_after_m2", "gfa_m2"]
    assert v.loc["P2", "en"].endswith("floor area after the renovation (gfa_after_m2) or gross floor area (gfa_m2) missing")


# --------------------------------------------------------------------------- control line


def control(rows, zones, with_zones=True, policy="taizhou"):
    prep = prepared(rows, zones)
    rule = rule_of(policy, "landuse.control_line")
    zone_layer = prep.layers.get("zones") if with_zones else None
    return rendered(control_line(prep.parcels, rule, policy, zones=zone_layer)), prep


@pytest.mark.parametrize("policy", ["taizhou", "tiantai"])
@pytest.mark.parametrize(
    ("added", "status", "reason"),
    [
        (10_000.0, "pass", "balanced"),  # 改一补一: 10000 m² added for the 10000 m² converted, ratio 1
        (9_999.99, "fail", "unbalanced"),  # ratio 0.999999
        (10_000.01, "pass", "balanced"),  # ratio 1.000001
        (None, "fail", "no_balance"),  # no balance given
    ],
)
def test_control_line_change_of_use_must_be_balanced(policy, added, status, reason):
    zones = [zone("control_line", 0, 400, added_m2=added, name="东区")]
    rows = [{}, {"land_use": "商服用地"}, {"land_use": "住宅用地"}]  # P2 lies outside the line
    v, _ = control(rows, zones, policy=policy)
    assert list(v["status"]) == ["pass", status, "not_applicable"]
    assert list(v["reason"]) == ["kept_industrial", reason, "outside_line"]
    assert v.loc["P0", "args"] == {"control_zones": ["东区"]}
    p1 = v.loc["P1"]
    if added is not None:
        assert p1["value"] == pytest.approx(added / 10_000.0, abs=1e-6)
        assert p1["limit"] == 1.0
        assert p1["args"] == {"control_zones": ["东区"], "land_use": "商服用地", "converted_m2": 10_000.0, "added_m2": added}
    else:
        assert p1["args"]["missing"] == ["added_m2"]


def test_control_line_sentences():
    v, _ = control([{"land_use": "商服用地"}], [zone("control_line", 0, 200, added_m2=9_999.99, name="东区")])
    assert v.loc["P0", "zh"] == (
        "位于工业用地控制线（东区）内，已改为非工业用途（商服用地）：改出 10,000 平方米，补充 9,999.99 平方米，补改比 0.999999 低于 1，未实现“改一补一”占补平衡"
    )
    assert v.loc["P0", "en"] == (
        "inside the industrial-land control line (东区) but changed to 商服用地: 10,000 m² converted, 9,999.99 m² added elsewhere, ratio 0.999999 below 1: not replaced one for one"
    )


def test_control_line_without_zones_layer_fails_non_industrial_parcels():
    v, _ = control([{"land_use": "住宅用地"}, {}], [zone("control_line", 0, 400, added_m2=50_000.0)], with_zones=False)
    assert list(v["status"]) == ["fail", "pass"]
    assert list(v["reason"]) == ["no_balance", "kept_industrial"]
    assert v.loc["P0", "en"] == (
        "inside the industrial-land control line (—) but changed to 住宅用地; balancing area added elsewhere (added_m2) missing: the one-for-one replacement cannot be confirmed"
    )


def test_control_line_vacant_land_is_not_a_change_of_use():
    v, _ = control([{"land_use": "储备用地"}], [zone("control_line", 0, 200)])
    assert (v.loc["P0", "status"], v.loc["P0", "reason"]) == ("not_applicable", "vacant_land")


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
    zones = [zone("relocation_plan", 0, 400, name="北站片区")]
    rows = [RENOVATION, {}, RENOVATION, {}, {"land_use": "住宅用地", **RENOVATION}]
    prep = prepared(rows, zones)
    v = rendered(renovation_admission(prep.parcels, rule_of(policy, "renovation.admission"), policy, zones=prep.layers["zones"]))
    # P0 applicant inside; P1 inside, no figures; P2 applicant outside; P3 nothing; P4 not industrial
    assert list(v["status"]) == ["fail", "not_applicable", "pass", "not_applicable", "not_applicable"]
    assert list(v["reason"]) == ["in_excluded_zone", "in_excluded_zone_no_project", "admitted", "not_applicant", "not_industrial"]
    assert v.loc["P0", "args"] == {"admission_zone_type": ["relocation_plan"], "admission_zones": ["北站片区"]}
    assert v.loc["P0", "zh"] == "已列入近期搬迁改造范围（北站片区），不得进行“零增地”技改"
    assert v.loc["P0", "en"] == "in a near-term relocation plan (北站片区): zero-land renovation is not allowed"
    assert v.loc["P2", "zh"] == "未列入近期搬迁改造范围，可进行“零增地”技改；是否属明令淘汰类、限制类项目不在数据中，未核对"
    assert "excluded category (eliminated by decree, restricted) is not in the data" in v.loc["P2", "en"]


# --------------------------------------------------------------------------- pre-registration


@pytest.mark.parametrize("policy", ["taizhou", "tiantai", "yuhuan"])
@pytest.mark.parametrize(
    ("share", "status", "reason"),
    [
        (0.25, "not_applicable", "share_reached"),  # "未达到 25%": 25 % itself has reached it
        (0.249999, "pass", "below_share"),
        (0.250001, "not_applicable", "share_reached"),
        (0.0, "pass", "below_share"),
        (None, "not_applicable", "no_investment_share"),
    ],
)
def test_pre_registration_below_25_percent(policy, share, status, reason):
    prep = prepared([{"investment_share": share}])
    v = rendered(pre_registration(prep.parcels, rule_of(policy, "transfer.pre_registration"), policy)).loc["P0"]
    assert (v["status"], v["reason"], v["limit"], v["unit"]) == (status, reason, 0.25, "ratio")


def test_pre_registration_reads_percent_text_and_says_why():
    prep = prepared([{"investment_share": "24.9999%"}, {"investment_share": 0.25}, {}])
    v = rendered(pre_registration(prep.parcels, rule_of("taizhou", "transfer.pre_registration"), "taizhou"))
    assert (v.loc["P0", "status"], v.loc["P0", "value"]) == ("pass", 0.249999)
    assert v.loc["P0", "zh"].startswith("开发投资比例 24.9999% 未达到 25%：可签订附条件转让合同并办理预告登记")
    assert v.loc["P1", "en"] == "development investment share 25% has reached 25%: ordinary transfer rules apply, not pre-registration"
    assert v.loc["P2", "en"] == "development investment share (investment_share) missing: not a pre-registration case"


# --------------------------------------------------------------------------- permit exemption (yuhuan)


@pytest.mark.parametrize(
    ("investment", "floor", "status", "reason"),
    [
        (200.0, 5_000.0, "pass", "exempt_investment"),  # 200万元 "以下" inclusive
        (199.99, None, "pass", "exempt_investment"),
        (200.01, 1_000.0, "pass", "exempt_floor_area"),  # 1000 m² "以下" inclusive; either suffices
        (200.01, 999.99, "pass", "exempt_floor_area"),
        (None, 1_000.0, "pass", "exempt_floor_area"),
        (200.01, 1_000.01, "not_applicable", "permit_needed"),  # a permit is needed
        (200.01, None, "insufficient_data", "figure_missing"),  # the floor area could still qualify
        (None, 1_000.01, "insufficient_data", "figure_missing"),
        (None, None, "not_applicable", "no_project"),
    ],
)
def test_yuhuan_permit_exemption(investment, floor, status, reason):
    prep = prepared([{"investment_10k": investment, "renovation_gfa_m2": floor}])
    v = rendered(permit_exempt(prep.parcels, rule_of("yuhuan", "renovation.permit_exempt"), "yuhuan")).loc["P0"]
    assert (v["status"], v["reason"], v["limit"], v["unit"]) == (status, reason, 200.0, "10k_yuan")
    if reason == "figure_missing":
        assert v["args"]["missing"] == (["renovation_gfa_m2"] if floor is None else ["investment_10k"])


def test_permit_exemption_sentences():
    prep = prepared([{"investment_10k": 200.0}, {"investment_10k": 200.01, "renovation_gfa_m2": 1_000.01}, {"investment_10k": 200.01}, {}])
    v = rendered(permit_exempt(prep.parcels, rule_of("yuhuan", "renovation.permit_exempt"), "yuhuan"))
    assert v.loc["P0", "zh"] == "工程总投资额 200 万元，在 200 万元以下，可不申请办理施工许可证"
    assert v.loc["P1", "en"] == (
        "project investment 200.01 (10k yuan, limit 200) and floor area 1,000.01 m² (limit 1,000 m²) do not qualify: a construction permit is needed"
    )
    assert v.loc["P2", "zh"].endswith("缺少技改建筑面积（renovation_gfa_m2），无法判断是否可免办施工许可证")
    assert v.loc["P3", "en"] == "no investment (10k yuan) (investment_10k) or renovation floor area (renovation_gfa_m2): does not apply"


@pytest.mark.parametrize(
    ("investment", "floor", "status", "reason"),
    [(200.0, 1_000.0, "pass", "exempt_both"), (200.0, 1_000.01, "not_applicable", "permit_needed"), (200.0, None, "insufficient_data", "figure_missing")],
)
def test_permit_exemption_when_a_pack_needs_both(investment, floor, status, reason):
    base = rule_of("yuhuan", "renovation.permit_exempt")
    rule = Rule(id=base.id, clause=base.clause, kind=base.kind, params={**base.params, "combine": Param("combine", "all")})
    prep = prepared([{"investment_10k": investment, "renovation_gfa_m2": floor}])
    v = rendered(permit_exempt(prep.parcels, rule, "custom")).loc["P0"]
    assert (v["status"], v["reason"]) == (status, reason)


def test_permit_exemption_is_yuhuans_only():
    assert all(rule_of(p, "renovation.permit_exempt") is None for p in ("taizhou", "tiantai", "shengzhou"))


# --------------------------------------------------------------------------- 标准地 supply


def supplied(policy, rows, rule=None):
    pack = load_pack(policy)
    prep = prepared(rows)
    rule = rule or pack.rule("supply.standard_land")
    return rendered(standard_land(prep.parcels, rule, policy, supplied_from=pack.issued, supplied_until=pack.valid_until))


@pytest.mark.parametrize(
    ("date", "flag", "status", "reason"),
    [
        ("2021-12-26", False, "fail", "not_standard_negative_list"),  # taizhou issued 2021-12-26: inclusive
        ("2021-12-25", False, "not_applicable", "outside_period"),  # the day before
        ("2023-12-31", False, "fail", "not_standard_negative_list"),  # valid until, inclusive
        ("2024-01-01", False, "not_applicable", "outside_period"),
        ("2022-06-01", True, "pass", "standard"),
        ("2022-06-01", "是", "pass", "standard"),
        ("2022-06-01", None, "insufficient_data", "no_standard_flag"),
        (None, False, "not_applicable", "not_supplied"),  # not newly supplied
    ],
)
def test_new_industrial_land_is_standard_land(date, flag, status, reason):
    v = supplied("taizhou", [{"supply_date": date, "standard_land": flag}]).loc["P0"]
    assert (v["status"], v["reason"]) == (status, reason)


def test_standard_land_uses_the_packs_one_date_window():
    """taizhou (台政发〔2021〕27号) was issued on 2021-12-26: a parcel supplied that day is
    governed, one supplied on 2021-06-01 is not — the same answer as
    :func:`landtool.rules.common.governed`, which ``supply.industrial_share`` asks too."""
    pack = load_pack("taizhou")
    rows = [{"supply_date": "2021-12-26", "standard_land": False}, {"supply_date": "2021-06-01", "standard_land": False}]
    v = supplied("taizhou", rows)
    assert list(v["status"]) == ["fail", "not_applicable"]
    assert list(v["reason"]) == ["not_standard_negative_list", "outside_period"]
    window = governed(pd.Series(pd.to_datetime(["2021-12-26", "2021-06-01"])), pack.issued, pack.valid_until)
    assert list(window) == [True, False]
    assert v.loc["P1", "args"] == {"supply_date": "2021-06-01", "period_from": "2021-12-26", "period_until": "2023-12-31"}
    assert v.loc["P1", "zh"] == "出让日期 2021-06-01 不在本政策施行期（2021-12-26 至 2023-12-31）内，不属本政策期内新增工业用地"
    assert v.loc["P1", "en"] == "supplied on 2021-06-01, outside the policy period (2021-12-26 to 2023-12-31): not new industrial land under this policy"


def test_standard_land_explanations_and_share():
    rows = [
        {"supply_date": "2022-06-01", "standard_land": True},
        {"supply_date": "2022-06-01", "standard_land": False},
        {"supply_date": "2022-06-01", "standard_land": False, "land_use": "住宅用地"},
    ]
    taizhou = supplied("taizhou", rows)
    shengzhou = supplied("shengzhou", rows)
    assert list(taizhou["status"]) == ["pass", "fail", "not_applicable"]
    assert list(taizhou["reason"]) == ["standard", "not_standard_negative_list", "not_industrial"]
    assert taizhou.loc["P1", "value"] == 0.5  # half the new industrial area is 标准地
    assert taizhou.loc["P1", "zh"] == (
        "新增工业用地（2022-06-01 出让）未按“标准地”出让（新增工业用地中标准地面积占比 50%，要求 100%）；负面清单内项目除外（负面清单不在数据中，未核对）"
    )
    assert "negative list" in taizhou.loc["P1", "en"]
    assert shengzhou.loc["P1", "reason"] == "not_standard"  # no exception in 嵊政〔2022〕28号
    assert shengzhou.loc["P1", "en"] == (
        "new industrial land (supplied 2022-06-01) not supplied as standard land (standard-land share of new industrial land 50%, required 100%)"
    )


@pytest.mark.parametrize(("share_min", "status", "reason"), [(0.5, "pass", "share_met"), (0.499999, "pass", "share_met"), (0.500001, "fail", "not_standard")])
def test_standard_land_share_at_a_lower_minimum(share_min, status, reason):
    """A successor pack asking less than 100 %: the share 0.5 exactly meets a 50 % minimum."""
    base = rule_of("shengzhou", "supply.standard_land")
    rule = Rule(
        id=base.id, clause=base.clause, params={**base.params, "standard_land_share_min": Param("standard_land_share_min", share_min, ">=", "ratio")}
    )
    rows = [{"supply_date": "2022-06-01", "standard_land": True}, {"supply_date": "2022-06-01", "standard_land": False}]
    v = supplied("shengzhou", rows, rule).loc["P1"]
    assert (v["status"], v["reason"], v["value"], v["limit"]) == (status, reason, 0.5, share_min)


def test_standard_land_window_is_open_without_dates():
    rule = rule_of("tiantai", "supply.standard_land")
    prep = prepared([{"supply_date": "2010-01-01", "standard_land": False}])
    v = rendered(standard_land(prep.parcels, rule, "tiantai")).iloc[0]
    assert v["status"] == "fail"
    v = rendered(standard_land(prep.parcels, rule, "tiantai", supplied_from=dt.date(2022, 2, 20))).iloc[0]
    assert (v["status"], v["reason"]) == ("not_applicable", "outside_period")
    assert v["en"].startswith("supplied on 2010-01-01, outside the policy period (2022-02-20 to —)")


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


def cells(data, x0, x1, y0, y1, value):
    """Set the cells over x x0..x1, y y0..y1 (m relative to X0, Y0)."""
    rows = data.shape[0]
    data[rows - y1 : rows - y0, x0:x1] = value


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
    p0 = out.loc["P0"]
    assert (p0["extra_limit_m"], p0["extra_height_m"], p0["extra_limit_source"]) == (24.0, 24.01, "zone")
    assert p0["buildings_over"] == ["B2"]  # 24 m is within, 24.01 m is above
    assert bool(p0["exceeds"]) and pd.isna(p0["extra_limit_problem"])
    assert np.isnan(out.loc["P1", "extra_limit_m"]) and out.loc["P1", "buildings_over"] == []


def test_height_limit_raster_minimum_over_the_cells_under_the_building(tmp_path):
    data = np.full((300, 300), 50.0)  # 1 m cells over x 0..300, y 0..300
    cells(data, 10, 30, 10, 30, 35.0)  # under B1
    cells(data, 10, 11, 29, 30, 20.0)  # one cell inside B1
    cells(data, 50, 70, 70, 71, 10.0)  # the row y 70..71 just outside B2 (touching its edge): not counted
    raster = write_limit_raster(tmp_path / "limit.tif", data)
    zones = [zone("height_limit", 0, 200, height_max_m=30.0)]
    prep = prepared([{}, {}], zones, buildings_on_parcels())
    limits = extra_height_limits(prep.parcels, prep.layers["buildings"], height_limit_raster=raster)
    out = limits.table.set_index("parcel_id")
    # B1: raster minimum 20 m (< zone 30 m): 24 m exceeds by 4 m; B2: raster 50 m, zone 30 m: 24.01 m within
    assert out.loc["P0", "raster_limit_m"] == 20.0
    assert (out.loc["P0", "extra_limit_m"], out.loc["P0", "extra_height_m"], out.loc["P0", "extra_limit_source"]) == (20.0, 24.0, "raster")
    assert out.loc["P0", "buildings_over"] == ["B1"]
    # B3 on P1: no zone, raster 50 m: 40 m within
    assert (out.loc["P1", "extra_limit_m"], out.loc["P1", "extra_limit_source"], out.loc["P1", "buildings_over"]) == (50.0, "raster", [])
    per = limits.buildings.set_index("building_id")
    assert list(per["extra_limit_m"]) == [20.0, 30.0, 50.0]
    assert list(per["extra_limit_source"]) == ["raster", "zone", "raster"]
    assert list(per["extra_headroom_m"]) == [-4.0, 5.99, 10.0]
    assert list(per["over_extra_limit"]) == [True, False, False]
    assert len(limits.issues) == 0 and limits.warnings == []


@pytest.mark.parametrize(("limit", "over"), [(24.0, False), (24.01, False), (23.99, True)])
def test_height_limit_raster_at_the_limit(tmp_path, limit, over):
    data = np.full((100, 100), limit)
    raster = write_limit_raster(tmp_path / "limit.tif", data)
    prep = prepared([{}], None, [{"building_id": "B", "parcel_id": "P0", "height_m": 24.0, "geometry": rect(10, 10, 30, 30)}])
    out = height_limit_layers(prep.parcels, prep.layers["buildings"], height_limit_raster=raster).iloc[0]
    assert (out["extra_limit_m"], bool(out["exceeds"])) == (limit, over)


def test_a_cell_partly_under_a_building_binds_it(tmp_path):
    """The limit holds wherever the building stands: a cell 30 % under its footprint counts."""
    data = np.full((100, 100), 50.0)
    cells(data, 10, 11, 10, 30, 20.0)  # the column x 10..11; the building starts at x 10.7
    raster = write_limit_raster(tmp_path / "limit.tif", data)
    prep = prepared([{}], None, [{"building_id": "B", "parcel_id": "P0", "height_m": 24.0, "geometry": rect(10.7, 10, 30, 30)}])
    out = height_limit_layers(prep.parcels, prep.layers["buildings"], height_limit_raster=raster).iloc[0]
    assert (out["extra_limit_m"], bool(out["exceeds"])) == (20.0, True)


def test_the_binding_building_is_the_one_with_least_headroom(tmp_path):
    """A tall building under a high limit and a low one under a low limit: the parcel's
    comparison is the building closest to (or furthest over) its own limit."""
    data = np.full((100, 100), 60.0)
    cells(data, 50, 70, 50, 70, 12.0)  # under the low building
    raster = write_limit_raster(tmp_path / "limit.tif", data)
    rows = [
        {"building_id": "TALL", "parcel_id": "P0", "height_m": 50.0, "geometry": rect(10, 10, 30, 30)},  # headroom 10
        {"building_id": "LOW", "parcel_id": "P0", "height_m": 10.0, "geometry": rect(50, 50, 70, 70)},  # headroom 2
    ]
    prep = prepared([{}], None, rows)
    out = height_limit_layers(prep.parcels, prep.layers["buildings"], height_limit_raster=raster).iloc[0]
    assert (out["raster_limit_m"], out["extra_limit_m"], out["extra_height_m"], bool(out["exceeds"])) == (12.0, 12.0, 10.0, False)


def test_height_limit_raster_without_buildings_uses_the_parcel(tmp_path):
    data = np.full((300, 300), 50.0)
    cells(data, 40, 60, 40, 60, 25.0)
    raster = write_limit_raster(tmp_path / "limit.tif", data)
    prep = prepared([{"height_m": 25.0}, {"height_m": 25.01}])
    out = height_limit_layers(prep.parcels, None, height_limit_raster=raster).set_index("parcel_id")
    assert list(out["extra_limit_m"]) == [25.0, 50.0]
    assert list(out["exceeds"]) == [False, False]
    prep = prepared([{"height_m": 25.01}])
    out = height_limit_layers(prep.parcels, None, height_limit_raster=raster)
    assert bool(out["exceeds"].iloc[0])


def coverage_case(tmp_path):
    """A raster over x 0..250: B_IN wholly on it, B_PART across its east edge, B_OUT east of
    it, B_NODATA on nodata cells, B_PART_OVER across the edge and above the covered cells."""
    data = np.full((150, 250), 50.0)
    cells(data, 10, 30, 60, 80, -9999.0)  # nodata under B_NODATA
    cells(data, 200, 250, 50, 100, 30.0)  # under the west part of B_PART_OVER
    raster = write_limit_raster(tmp_path / "limit.tif", data)
    buildings = [
        {"building_id": "B_IN", "parcel_id": "P0", "height_m": 24.0, "geometry": rect(10, 10, 30, 30)},
        {"building_id": "B_NODATA", "parcel_id": "P0", "height_m": 10.0, "geometry": rect(10, 60, 30, 80)},
        {"building_id": "B_PART", "parcel_id": "P1", "height_m": 24.0, "geometry": rect(240, 10, 260, 30)},
        {"building_id": "B_PART_OVER", "parcel_id": "P1", "height_m": 35.0, "geometry": rect(240, 60, 260, 80)},
        {"building_id": "B_OUT", "parcel_id": "P2", "height_m": 80.0, "geometry": rect(410, 10, 430, 30)},
    ]
    prep = prepared([{}, {}, {}], None, buildings)
    return extra_height_limits(prep.parcels, prep.layers["buildings"], height_limit_raster=raster), raster


def test_a_building_outside_the_raster_is_not_governed_by_it(tmp_path):
    limits, raster = coverage_case(tmp_path)
    p2 = limits.table.set_index("parcel_id").loc["P2"]
    assert np.isnan(p2["extra_limit_m"]) and pd.isna(p2["extra_limit_problem"]) and not p2["exceeds"]
    assert pd.isna(limits.buildings.set_index("building_id").loc["B_OUT", "extra_limit_problem"])
    (warning,) = [w for w in limits.warnings if w.code == "height_limit_outside_raster"]
    assert warning.args == {"raster": raster, "count": 1, "total": 5}
    assert warning.render("en") == (
        f"buildings wholly outside the height-limit raster {raster}, which sets no limit for them: 1 of 5 checked (a parcel without buildings counts as one)"
    )
    assert warning.render("zh") == f"检查的 5 个房屋（无房屋的宗地按宗地计）中，1 个完全位于限高栅格 {raster} 范围之外，该栅格对其不设限高"


def test_a_building_partly_outside_or_on_nodata_gets_no_pass(tmp_path):
    limits, raster = coverage_case(tmp_path)
    out = limits.table.set_index("parcel_id")
    per = limits.buildings.set_index("building_id")
    # P0: B_IN within 50 m; B_NODATA stands on nodata only: its raster limit is unconfirmed
    assert per.loc["B_NODATA", "extra_limit_problem"] == "no_valid_cells" and np.isnan(per.loc["B_NODATA", "extra_limit_m"])
    assert (out.loc["P0", "extra_limit_problem"], out.loc["P0", "buildings_unconfirmed"], bool(out.loc["P0", "exceeds"])) == ("no_valid_cells", ["B_NODATA"], False)
    # P1: B_PART is within the covered part but partly outside: unconfirmed; B_PART_OVER is above
    # the 30 m of its covered part: over, whatever the uncovered part allows
    assert per.loc["B_PART", "extra_limit_problem"] == "partly_outside_raster"
    assert out.loc["P1", "buildings_over"] == ["B_PART_OVER"] and bool(out.loc["P1", "exceeds"])
    assert out.loc["P1", "buildings_unconfirmed"] == ["B_PART"]
    issues = render_issues(limits.issues, "en").set_index("feature_id")
    assert sorted(issues.index) == ["B_NODATA", "B_PART", "B_PART_OVER"]
    assert issues.loc["B_PART", "problem"] == "height_limit_partly_outside_raster"
    assert issues.loc["B_PART", "layer"] == "buildings"
    assert issues.loc["B_PART", "detail"] == (
        f"partly outside the height-limit raster {raster}: the raster limit cannot be confirmed, so the extra height limit is not taken as met"
    )
    (warning,) = [w for w in limits.warnings if w.code == "height_limit_unconfirmed"]
    assert warning.args == {"raster": raster, "count": 2, "total": 5}  # B_NODATA, B_PART (B_PART_OVER is over)
    assert not [w for w in limits.warnings if w.code in ("raster_no_ground", "raster_covers_part")]  # height-raster talk
    zh = render_issues(limits.issues, "zh").set_index("feature_id")
    assert zh.loc["B_NODATA", "detail"] == f"限高栅格 {raster} 在此范围内没有有效像元（无数据）：栅格限高无法确认，不能视为满足附加限高"


def test_height_limit_raster_bad_path(tmp_path):
    prep = prepared([{}])
    with pytest.raises(InputError):
        height_limit_layers(prep.parcels, None, height_limit_raster=str(tmp_path / "missing.tif"))


def test_parcels_without_buildings_compare_their_own_height():
    zones = [zone("height_limit", 0, 600, height_max_m=30.0)]
    prep = prepared([{}, {}, {"height_m": 30.01}], zones, buildings_on_parcels())
    out = height_limit_layers(prep.parcels, prep.layers["buildings"]).set_index("parcel_id")
    # P1's 40 m building is over 30 m; P2 has no buildings: its 30.01 m attribute is over
    assert list(out["exceeds"]) == [False, True, True]
    assert list(out["buildings_over"]) == [[], ["B3"], []]
    assert list(out["extra_height_m"]) == [24.01, 40.0, 30.01]
