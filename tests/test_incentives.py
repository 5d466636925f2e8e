"""Fee-exempt floor area above FAR 1.1 (tiantai 四（七））: zero-land renovation applicants only."""

from __future__ import annotations

import pytest

import landtool
from tests.conftest import frame, square


def run(policy="tiantai", **fields):
    parcels = frame([{"parcel_id": "P", "land_use": "工业用地", "geometry": square(10_000.0), **fields}])
    return landtool.check(parcels, policy=policy, as_of="2023-06-30")


@pytest.mark.parametrize(
    ("fields", "status", "reason", "value"),
    [
        ({"gfa_before_m2": 9_000.0, "gfa_after_m2": 15_000.0}, "pass", "exempt", 4_000.0),  # 15 000 − 1.1 × 10 000
        ({"gfa_before_m2": 9_000.0, "gfa_after_m2": 11_000.0}, "not_applicable", "not_above", None),  # FAR 1.1 exactly: nothing "超过"
        ({"gfa_before_m2": 9_000.0, "gfa_after_m2": 11_000.01}, "pass", "exempt", 0.01),
        ({"gfa_before_m2": 9_000.0, "renovation_gfa_m2": 4_000.0}, "pass", "exempt", 2_000.0),  # after = before + renovation
        ({"gfa_before_m2": 9_000.0, "gfa_after_m2": 15_000.0, "contract_far": 1.2}, "not_applicable", "contract_far", None),
        ({"renovation_gfa_m2": 4_000.0}, "insufficient_data", "no_floor_area_after", None),  # an applicant, but no floor area after
    ],
)
def test_fee_exempt_area(fields, status, reason, value, verdict):
    v = verdict(run(**fields), "P", "incentive.fee_exempt_area")
    assert (v["status"], v["reason"], v["unit"], v["limit"]) == (status, reason, "m2", 11_000.0)  # FAR 1.1 on 10 000 m²
    assert v["value"] == pytest.approx(value) if value is not None else v["value"] != v["value"]


def test_a_parcel_without_renovation_figures_is_not_an_applicant(verdict):
    """四（七） exempts the floor area above 1.1 *after a zero-land renovation*: a large current
    floor area alone, even one failing the FAR limit, earns nothing."""
    result = run(gfa_m2=15_000.0)
    v = verdict(result, "P", "incentive.fee_exempt_area")
    assert (v["status"], v["reason"]) == ("not_applicable", "not_applicant")
    assert verdict(result, "P", "indicator.far_max")["status"] == "fail"
    assert "非技改申请项目" in v["explanation"]
    assert "not an applicant" in result.verdicts_in("en").set_index("rule").loc["incentive.fee_exempt_area", "explanation"]


def test_fee_exemption_is_tiantais_only(verdict):
    v = verdict(run("taizhou", gfa_before_m2=9_000.0, gfa_after_m2=15_000.0), "P", "incentive.fee_exempt_area")
    assert (v["status"], v["clause"], v["reason"]) == ("not_applicable", "", "not_in_policy")
