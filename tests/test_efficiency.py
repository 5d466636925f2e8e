"""Per-mu efficiency (POLICY.md §8): survey scope, low efficiency, benchmark, grade incentive.

Per-mu figures are per enterprise: the sums over its parcels divided by its area in mu.
The rules run as :func:`landtool.check` runs them: on the prepared parcels, with the
``in_survey_scope`` column set from the pack's survey-scope rule.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from landtool.io import canonicalize
from landtool.messages import render_verdicts
from landtool.policy import load_pack
from landtool.prepare import prepare
from landtool.rules import efficiency
from tests.conftest import frame, mu, square


def enterprise(rows, policy="tiantai"):
    """rows: dicts with id, mu (area) or m2, and parcel fields; parcels placed side by side.

    Returns the verdict rows indexed by (parcel, rule), with the sentences in both
    languages and the args parsed.
    """
    parcels = []
    for i, row in enumerate(rows):
        row = dict(row)
        area = row.pop("m2") if "m2" in row else mu(row.pop("mu"))
        parcels.append({"parcel_id": row.pop("id"), "land_use": "工业用地", "geometry": square(area, x=300 * i), **row})
    prepared = prepare(canonicalize(frame(parcels), "parcels", label="parcels")).parcels
    pack = load_pack(policy)
    prepared["in_survey_scope"] = efficiency.in_survey_scope(prepared, pack.rule("efficiency.survey_scope"))
    tables = [func(prepared, pack.rule(rule_id), policy) for rule_id, func in efficiency.RULES.items() if pack.rule(rule_id) is not None]
    table = pd.concat(tables, ignore_index=True)
    for lang in ("zh", "en"):
        table[lang] = render_verdicts(table, lang, {policy: pack})[0]
    table["args"] = [json.loads(a) if isinstance(a, str) else {} for a in table["args"]]
    return table.set_index(["subject_id", "rule"])


def two_parcels(tax, prev, revenue, policy="tiantai"):
    """One enterprise on two 10-mu parcels (20 mu); figures split over both rows."""
    return enterprise(
        [
            {"id": "E1", "mu": 10, "owner": "甲", "tax_10k": tax / 2, "tax_prev_10k": prev / 2, "revenue_10k": revenue},
            {"id": "E2", "mu": 10, "owner": "甲", "tax_10k": tax / 2, "tax_prev_10k": prev / 2},
        ],
        policy,
    )


LOW = "efficiency.low_efficiency"
SCOPE = "efficiency.survey_scope"


# --------------------------------------------------------------------------- low efficiency


@pytest.mark.parametrize("policy", ["taizhou", "tiantai", "yuhuan"])
@pytest.mark.parametrize(
    ("tax", "prev", "status", "reason"),
    [
        (200.0, 200.0, "fail", "low"),  # 10 万元/亩 both years: "10万元（含）以下" includes 10
        (199.98, 200.0, "fail", "low"),  # 9.999 this year: just inside
        (200.02, 200.0, "pass", "not_low"),  # 10.001 this year: just outside, not low two years running
        (100.0, 200.02, "pass", "not_low"),  # low this year only
    ],
)
def test_low_efficiency_for_enterprises_with_revenue_of_1e8_yuan(policy, tax, prev, status, reason):
    result = two_parcels(tax, prev, revenue=10_000.0, policy=policy)  # exactly 1亿元: "亿元企业"
    for pid in ("E1", "E2"):
        v = result.loc[(pid, LOW)]
        assert (v["status"], v["reason"], v["limit"], v["unit"]) == (status, reason, 10.0, "10k_yuan_per_mu")
        assert v["value"] == pytest.approx(tax / 20, abs=1e-6)
        assert (v["args"]["efficiency_band"], v["args"]["prev"]) == ("large", pytest.approx(prev / 20, abs=1e-6))


@pytest.mark.parametrize(
    ("tax", "status"),
    [(100.0, "fail"), (99.98, "fail"), (100.02, "pass")],  # 5 万元/亩 exactly, 4.999, 5.001
)
def test_low_efficiency_for_other_enterprises(tax, status):
    v = two_parcels(tax, 100.0, revenue=9_999.99).loc[("E1", LOW)]  # just below 1亿元
    assert (v["status"], v["limit"], v["args"]["efficiency_band"]) == (status, 5.0, "other")


def test_low_efficiency_sentences():
    v = two_parcels(200.0, 200.0, revenue=10_000.0).loc[("E1", LOW)]
    assert v["zh"] == "连续两年亩均税收（今年 10、上年 10 万元/亩）≤ 10 万元/亩（亿元企业标准），属低效企业"
    assert v["en"] == (
        "per-mu tax 10 this year and 10 last year (10k yuan/mu) both at or below 10"
        " (the line for enterprises with revenue at or above the large-enterprise threshold): low-efficiency enterprise"
    )
    v = two_parcels(100.02, 100.0, revenue=5_000.0).loc[("E1", LOW)]
    assert v["en"] == "per-mu tax 5.001 this year and 5 last year (10k yuan/mu): not at or below 5 two years running (the line for other enterprises)"


def test_low_efficiency_needs_last_years_tax():
    v = enterprise([{"id": "P", "mu": 10, "tax_10k": 10.0, "revenue_10k": 500.0}]).loc[("P", LOW)]
    assert (v["status"], v["reason"], v["args"]["missing"]) == ("insufficient_data", "no_tax", ["tax_prev_10k"])
    assert v["zh"] == "缺少上年税收（万元）（tax_prev_10k），无法判断是否连续两年亩均税收在标准以下"


def test_without_revenue_a_verdict_is_given_when_both_lines_agree():
    result = enterprise(
        [
            {"id": "LOW", "mu": 10, "tax_10k": 40.0, "tax_prev_10k": 40.0},  # 4 ≤ 5 and ≤ 10: low either way
            {"id": "HIGH", "mu": 10, "tax_10k": 120.0, "tax_prev_10k": 120.0},  # 12 > 10 > 5: never low
            {"id": "MID", "mu": 10, "tax_10k": 80.0, "tax_prev_10k": 80.0},  # 8: depends on revenue
            {"id": "HALF", "mu": 10, "tax_10k": 80.0},  # 8 this year, last year unknown
        ]
    )
    low, high, mid, half = (result.loc[(p, LOW)] for p in ("LOW", "HIGH", "MID", "HALF"))
    assert (low["status"], low["limit"], low["args"]["efficiency_band"]) == ("fail", 5.0, "either")
    assert (high["status"], high["limit"], high["args"]["efficiency_band"]) == ("pass", 10.0, "either")
    assert (mid["status"], mid["reason"], mid["args"]["missing"]) == ("insufficient_data", "no_revenue", ["revenue_10k"])
    assert np.isnan(mid["limit"])
    # last year's tax, or the revenue (below 1亿元: 8 > 5 is not low), would decide
    assert (half["status"], half["reason"], half["args"]["missing"]) == ("insufficient_data", "no_tax", ["tax_prev_10k", "revenue_10k"])
    assert "（营业收入未知，按两档标准结论相同）" in low["zh"]
    assert "revenue unknown, both lines give the same answer" in high["en"]
    assert mid["zh"] == "亩均税收今年 8、上年 8 万元/亩，介于其他企业标准 5 与亿元企业标准 10 万元/亩之间，缺少营业收入（万元）（revenue_10k），无法确定适用标准"


def test_low_efficiency_with_no_tax_figures_is_insufficient():
    # a blank figure (missing, or blanked by the reader as implausible) is never read as 0
    v = enterprise([{"id": "P", "mu": 10, "revenue_10k": 20_000.0}]).loc[("P", LOW)]
    assert (v["status"], v["reason"], v["args"]["missing"]) == ("insufficient_data", "no_tax", ["tax_10k", "tax_prev_10k"])
    assert np.isnan(v["value"])


# --------------------------------------------------------------------------- survey scope


@pytest.mark.parametrize(
    ("m2", "above", "status", "reason"),
    [
        (2_000.0, "否", "pass", "min_area"),  # 3 mu exactly: "3亩以上" includes 3
        (2_000.01, "否", "pass", "min_area"),
        (1_999.99, "否", "not_applicable", "below_min_area"),
        (mu(1), "是", "pass", "above_scale"),
        (mu(1), None, "insufficient_data", "scale_unknown"),
        (2_000.0, None, "pass", "min_area_scale_unknown"),  # 3 mu is enough whatever the scale
    ],
)
@pytest.mark.parametrize("policy", ["taizhou", "yuhuan", "shengzhou"])
def test_survey_scope_above_scale_or_3_mu(policy, m2, above, status, reason):
    row = {"id": "P", "m2": m2, "tax_10k": 1.0, "tax_prev_10k": 1.0, "revenue_10k": 10.0}
    if above is not None:
        row["above_scale"] = above
    result = enterprise([row], policy)
    v = result.loc[("P", SCOPE)]
    assert (v["status"], v["reason"], v["limit"], v["unit"]) == (status, reason, 3.0, "mu")
    assert v["value"] == pytest.approx(round(m2, 2) / mu(1), abs=1e-6)  # from the area at 0.01 m²: 666.67 m² = 1.000005 mu
    if policy != "shengzhou":  # shengzhou has no low-efficiency rule
        low = result.loc[("P", LOW)]
        if status == "not_applicable":
            assert (low["status"], low["reason"]) == ("not_applicable", "out_of_scope")
        elif status == "insufficient_data":
            assert (low["status"], low["reason"], low["args"]["missing"]) == ("insufficient_data", "scope_unknown", ["above_scale"])
        else:
            assert (low["status"], low["reason"]) == ("fail", "low")  # 1 万元 on ≤ 3 mu: low both years


def test_unknown_scale_is_unknown_not_below_scale():
    # 2.9 mu (1933.33 m²) and above_scale missing: neither "below-scale" nor outside the survey
    v = enterprise([{"id": "P", "mu": 2.9}], "taizhou").loc[("P", SCOPE)]
    assert (v["status"], v["reason"], v["args"]["missing"]) == ("insufficient_data", "scale_unknown", ["above_scale"])
    assert v["value"] == pytest.approx(2.899995, abs=1e-9)  # 1933.33 m² / 666.67
    assert "unknown" in v["en"] and "below-scale" not in v["en"]
    assert "未知" in v["zh"] and "规下" not in v["zh"]
    assert v["en"] == (
        "enterprise with 1,933.33 m² (2.899995 mu) < 2,000 m² (3 mu) of land, and whether it is above-scale is unknown"
        " (above-scale enterprise (above_scale) missing): cannot tell whether it is surveyed"
    )
    assert v["zh"] == "企业实际用地 1,933.33 平方米（2.899995 亩）< 2,000 平方米（3 亩），是否规上企业未知（缺少规上企业（above_scale）），无法判断是否纳入排查"


def test_enough_land_with_unknown_scale_is_not_called_below_scale():
    v = enterprise([{"id": "P", "m2": 2_000.0}], "yuhuan").loc[("P", SCOPE)]
    assert v["en"] == "enterprise with 2,000 m² (3 mu) ≥ 2,000 m² (3 mu) of land: surveyed whether or not it is above-scale (unknown)"
    assert "规下" not in v["zh"]


def test_1999_99_m2_is_shown_below_3_mu_with_enough_decimals():
    # 1999.99 m² = 2.999985 mu: the sentence must not read "3 mu < 3 mu"
    v = enterprise([{"id": "P", "m2": 1_999.99, "above_scale": "否"}], "taizhou").loc[("P", SCOPE)]
    assert v["value"] == 2.999985
    assert v["en"] == "below-scale enterprise with 1,999.99 m² (2.999985 mu) < 2,000 m² (3 mu) of land: outside the survey"
    assert v["zh"] == "规下企业实际用地 1,999.99 平方米（2.999985 亩）< 2,000 平方米（3 亩），不在排查范围"


def test_tiantai_surveys_every_enterprise_on_industrial_land():
    result = enterprise([{"id": "P", "m2": 2_000.0, "above_scale": "否"}, {"id": "R", "mu": 1, "land_use": "住宅用地"}])
    p, r = result.loc[("P", SCOPE)], result.loc[("R", SCOPE)]
    assert (p["status"], p["reason"]) == ("pass", "all_industrial")
    assert p["zh"] == "占用工业用地的企业全部纳入排查（企业用地 3 亩）"
    assert (r["status"], r["reason"], r["args"]["land_use"]) == ("not_applicable", "not_industrial", "住宅用地")
    assert result.loc[("R", LOW), "reason"] == "not_industrial"


# --------------------------------------------------------------------------- benchmark


@pytest.mark.parametrize(
    ("policy", "tax", "va", "status"),
    [
        ("tiantai", 250.0, 1500.0, "pass"),  # 25 / 150 per mu on 10 mu: exactly the targets
        ("tiantai", 250.01, 1500.01, "pass"),
        ("tiantai", 249.99, 1500.0, "fail"),
        ("taizhou", 280.0, 1530.0, "pass"),
        ("taizhou", 280.0, 1529.99, "fail"),
        ("yuhuan", 346.0, 1796.0, "pass"),
        ("yuhuan", 345.99, 1796.0, "fail"),
        ("shengzhou", 280.0, 1150.0, "pass"),
        ("shengzhou", 280.0, 1149.99, "fail"),
    ],
)
def test_benchmark_against_2023_targets(policy, tax, va, status):
    v = enterprise([{"id": "P", "mu": 10, "tax_10k": tax, "value_added_10k": va}], policy).loc[("P", "efficiency.benchmark")]
    assert (v["status"], v["reason"]) == (status, "met" if status == "pass" else "below")
    assert v["value"] == pytest.approx(tax / 10, abs=1e-6)
    assert v["args"]["va"] == pytest.approx(va / 10, abs=1e-6)


def test_benchmark_sentences_and_missing_figures():
    result = enterprise(
        [
            {"id": "P", "mu": 10, "tax_10k": 250.0, "value_added_10k": 1500.0},
            {"id": "Q", "mu": 10, "tax_10k": 300.0},  # tax met, value added unknown
            {"id": "R", "mu": 10, "tax_10k": 10.0},  # tax below: below, whatever the value added
        ]
    )
    p, q, r = (result.loc[(x, "efficiency.benchmark")] for x in "PQR")
    assert p["zh"] == "亩均税收 25（目标 25）、亩均增加值 150（目标 150）万元/亩，均达到目标（参考信息）"
    assert (q["status"], q["reason"], q["args"]["missing"]) == ("insufficient_data", "no_figures", ["value_added_10k"])
    assert q["en"] == "value added (10k yuan) (value_added_10k) missing: cannot compare with the targets (information)"
    assert (r["status"], r["reason"]) == ("fail", "below")


def test_benchmark_is_information():
    for policy in ("taizhou", "tiantai", "yuhuan", "shengzhou"):
        assert load_pack(policy).rule("efficiency.benchmark").kind == "info"


# --------------------------------------------------------------------------- grade incentive


@pytest.mark.parametrize(
    ("policy", "investment", "status", "reason", "limit"),
    [
        ("tiantai", 10_000.01, "pass", "grade_a", 10_000.0),
        ("tiantai", 10_000.0, "pass", "grade_a", 10_000.0),  # 1亿元以上: grade A
        ("tiantai", 9_999.99, "pass", "not_d", 3_000.0),  # not D
        ("tiantai", 3_000.01, "pass", "not_d", 3_000.0),
        ("tiantai", 3_000.0, "pass", "not_d", 3_000.0),
        ("tiantai", 2_999.99, "not_applicable", "no_incentive", 3_000.0),
        ("yuhuan", 20_000.0, "pass", "grade_a", 20_000.0),
        ("yuhuan", 19_999.99, "pass", "not_d", 5_000.0),
        ("yuhuan", 5_000.0, "pass", "not_d", 5_000.0),
        ("yuhuan", 4_999.99, "not_applicable", "no_incentive", 5_000.0),
        ("taizhou", 10_000.0, "pass", "grade_a", 10_000.0),
        ("taizhou", None, "not_applicable", "no_investment", 3_000.0),  # not an applicant
    ],
)
def test_grade_incentive(policy, investment, status, reason, limit):
    v = enterprise([{"id": "P", "mu": 10, "investment_10k": investment}], policy).loc[("P", "efficiency.grade_incentive")]
    assert (v["status"], v["reason"], v["limit"], v["unit"]) == (status, reason, limit, "10k_yuan")


def test_grade_incentive_sentences():
    result = enterprise([{"id": "P", "mu": 10, "investment_10k": 10_000.0}, {"id": "Q", "mu": 10, "investment_10k": 2_999.99}])
    assert result.loc[("P", "efficiency.grade_incentive"), "zh"] == "总投资 10,000 万元 ≥ 10,000 万元：项目建设期间投资企业列入亩均评价A类"
    assert result.loc[("Q", "efficiency.grade_incentive"), "en"] == "investment 2,999.99 < 3,000 (10k yuan): no grade incentive"


def test_shengzhou_has_no_low_efficiency_rule():
    assert load_pack("shengzhou").rule(LOW) is None
