"""Fee-exempt floor area above FAR 1.1 (tiantai 四（七））."""

from __future__ import annotations

import pytest

import landtool
from tests.conftest import frame, square


def run(policy="tiantai", **fields):
    parcels = frame([{"parcel_id": "P", "land_use": "工业用地", "geometry": square(10_000.0), **fields}])
    return landtool.check(parcels, policy=policy, as_of="2023-06-30")


@pytest.mark.parametrize(
    ("fields", "status", "value"),
    [
        ({"gfa_m2": 15_000.0}, "pass", 4_000.0),  # 15 000 − 1.1 × 10 000
        ({"gfa_m2": 11_000.0}, "not_applicable", 0.0),  # FAR 1.1 exactly: nothing "超过"
        ({"gfa_m2": 11_000.01}, "pass", 0.01),
        ({"gfa_m2": 9_000.0, "gfa_after_m2": 13_000.0}, "pass", 2_000.0),  # after renovation
        ({"gfa_m2": 15_000.0, "contract_far": 1.2}, "not_applicable", 0.0),  # the contract agreed a FAR
    ],
)
def test_fee_exempt_area(fields, status, value, verdict):
    v = verdict(run(**fields), "P", "incentive.fee_exempt_area")
    assert (v["status"], v["unit"], v["limit"]) == (status, "m2", 11_000.0)  # FAR 1.1 on 10 000 m²
    assert v["value"] == pytest.approx(value)


def test_fee_exemption_is_tiantais_only(verdict):
    v = verdict(run("taizhou", gfa_m2=15_000.0), "P", "incentive.fee_exempt_area")
    assert (v["status"], v["clause"]) == ("not_applicable", "")
