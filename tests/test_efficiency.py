"""Per-mu efficiency (POLICY.md §8): survey scope, low efficiency, benchmark, grade incentive.

Per-mu figures are per enterprise: the sums over its parcels divided by its area in mu.
"""

from __future__ import annotations

import pytest

import landtool
from tests.conftest import frame, mu, square


def enterprise(rows, policy="tiantai"):
    """rows: dicts with id, mu (area) and parcel fields; parcels placed side by side."""
    parcels = []
    for i, row in enumerate(rows):
        row = dict(row)
        parcels.append({"parcel_id": row.pop("id"), "land_use": "工业用地", "geometry": square(mu(row.pop("mu")), x=300 * i), **row})
    return landtool.check(frame(parcels), policy=policy, as_of="2023-06-30")


def two_parcels(tax, prev, revenue, policy="tiantai"):
    """One enterprise on two 10-mu parcels (20 mu); figures split over both rows."""
    return enterprise(
        [
            {"id": "E1", "mu": 10, "owner": "甲", "tax_10k": tax / 2, "tax_prev_10k": prev / 2, "revenue_10k": revenue},
            {"id": "E2", "mu": 10, "owner": "甲", "tax_10k": tax / 2, "tax_prev_10k": prev / 2},
        ],
        policy,
    )


@pytest.mark.parametrize("policy", ["taizhou", "tiantai", "yuhuan"])
@pytest.mark.parametrize(
    ("tax", "prev", "status"),
    [
        (200.0, 200.0, "fail"),  # 10 万元/亩 both years: "10万元（含）以下" includes 10
        (199.98, 200.0, "fail"),  # 9.999 this year
        (200.02, 200.0, "pass"),  # 10.001 this year: not low two years running
        (100.0, 200.02, "pass"),  # low this year only
    ],
)
def test_low_efficiency_for_enterprises_with_revenue_of_1e8_yuan(policy, tax, prev, status, verdict):
    result = two_parcels(tax, prev, revenue=10_000.0, policy=policy)
    for pid in ("E1", "E2"):
        v = verdict(result, pid, "efficiency.low_efficiency")
        assert (v["status"], v["limit"]) == (status, 10.0)
        assert v["value"] == pytest.approx(tax / 20, abs=1e-6)


@pytest.mark.parametrize(("tax", "status"), [(100.0, "fail"), (100.02, "pass")])
def test_low_efficiency_for_other_enterprises(tax, status, verdict):
    v = verdict(two_parcels(tax, 100.0, revenue=9_999.99), "E1", "efficiency.low_efficiency")
    assert (v["status"], v["limit"]) == (status, 5.0)


def test_low_efficiency_needs_last_years_tax(verdict):
    result = enterprise([{"id": "P", "mu": 10, "tax_10k": 10.0, "revenue_10k": 500.0}])
    v = verdict(result, "P", "efficiency.low_efficiency")
    assert v["status"] == "insufficient_data"
    assert "tax_prev_10k" in v["explanation"]


def test_without_revenue_a_verdict_is_given_when_both_lines_agree(verdict):
    result = enterprise(
        [
            {"id": "LOW", "mu": 10, "tax_10k": 40.0, "tax_prev_10k": 40.0},  # 4 ≤ 5 and ≤ 10: low either way
            {"id": "HIGH", "mu": 10, "tax_10k": 120.0, "tax_prev_10k": 120.0},  # 12 > 10 > 5: never low
            {"id": "MID", "mu": 10, "tax_10k": 80.0, "tax_prev_10k": 80.0},  # 8: depends on revenue
        ]
    )
    assert verdict(result, "LOW", "efficiency.low_efficiency")["status"] == "fail"
    assert verdict(result, "HIGH", "efficiency.low_efficiency")["status"] == "pass"
    assert verdict(result, "MID", "efficiency.low_efficiency")["status"] == "insufficient_data"


@pytest.mark.parametrize(
    ("area_mu", "above", "status"),
    [(3, "否", "pass"), (3 - 0.01 / mu(1), "否", "not_applicable"), (1, "是", "pass"), (1, None, "insufficient_data")],
)
@pytest.mark.parametrize("policy", ["taizhou", "yuhuan", "shengzhou"])
def test_survey_scope_above_scale_or_3_mu(policy, area_mu, above, status, verdict):
    row = {"id": "P", "mu": area_mu, "tax_10k": 1.0, "tax_prev_10k": 1.0, "revenue_10k": 10.0}
    if above is not None:
        row["above_scale"] = above
    result = enterprise([row], policy)
    assert verdict(result, "P", "efficiency.survey_scope")["status"] == status
    if status == "not_applicable" and policy != "shengzhou":
        assert verdict(result, "P", "efficiency.low_efficiency")["status"] == "not_applicable"


def test_tiantai_surveys_every_enterprise_on_industrial_land(verdict):
    result = enterprise([{"id": "P", "mu": 1, "above_scale": "否"}])
    assert verdict(result, "P", "efficiency.survey_scope")["status"] == "pass"


@pytest.mark.parametrize(
    ("policy", "tax", "va", "status"),
    [
        ("tiantai", 250.0, 1500.0, "pass"),  # 25 / 150 per mu on 10 mu: exactly the targets
        ("tiantai", 249.99, 1500.0, "fail"),
        ("taizhou", 280.0, 1530.0, "pass"),
        ("taizhou", 280.0, 1529.99, "fail"),
        ("yuhuan", 346.0, 1796.0, "pass"),
        ("yuhuan", 345.99, 1796.0, "fail"),
        ("shengzhou", 280.0, 1150.0, "pass"),
        ("shengzhou", 280.0, 1149.99, "fail"),
    ],
)
def test_benchmark_against_2023_targets(policy, tax, va, status, verdict):
    result = enterprise([{"id": "P", "mu": 10, "tax_10k": tax, "value_added_10k": va}], policy)
    assert verdict(result, "P", "efficiency.benchmark")["status"] == status


def test_benchmark_is_information_and_never_fails_a_run():
    result = enterprise([{"id": "P", "mu": 10, "tax_10k": 1.0, "value_added_10k": 1.0}])
    assert len(result.failed()) == 0
    assert result.parcels.loc[0, "status_efficiency"] != "fail"


@pytest.mark.parametrize(
    ("policy", "investment", "status", "limit"),
    [
        ("tiantai", 10_000.0, "pass", 10_000.0),  # 1亿元以上: grade A
        ("tiantai", 9_999.99, "pass", 3_000.0),  # not D
        ("tiantai", 3_000.0, "pass", 3_000.0),
        ("tiantai", 2_999.99, "not_applicable", 3_000.0),
        ("yuhuan", 20_000.0, "pass", 20_000.0),
        ("yuhuan", 19_999.99, "pass", 5_000.0),
        ("yuhuan", 4_999.99, "not_applicable", 5_000.0),
        ("taizhou", 10_000.0, "pass", 10_000.0),
    ],
)
def test_grade_incentive(policy, investment, status, limit, verdict):
    v = verdict(enterprise([{"id": "P", "mu": 10, "investment_10k": investment}], policy), "P", "efficiency.grade_incentive")
    assert (v["status"], v["limit"]) == (status, limit)


def test_shengzhou_has_no_low_efficiency_rule(verdict):
    v = verdict(enterprise([{"id": "P", "mu": 10, "tax_10k": 1.0, "tax_prev_10k": 1.0}], "shengzhou"), "P", "efficiency.low_efficiency")
    assert (v["status"], v["explanation"]) == ("not_applicable", "本政策无此规定（not in this policy）")
