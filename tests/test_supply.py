"""Yearly industrial share of supplied land (taizhou 二（十三）, tiantai 四（十四）, shengzhou 四（二））:
industrial area / all supplied area ≥ 30 % ("不低于30%" / "30%以上", inclusive), one verdict per year."""

from __future__ import annotations

import pytest

from landtool.errors import InputError
from landtool.io import canonicalize
from landtool.policy import Param, Rule, load_pack
from landtool.prepare import prepare
from landtool.rules.supply import industrial_share
from tests.conftest import frame, rect


def supplied(parcels, policy="taizhou", lang="en"):
    """parcels: (land_use, width m of a 100 m deep strip, supply_date); strips side by side."""
    rows, x = [], 0.0
    for i, (land_use, width, date) in enumerate(parcels):
        rows.append({"parcel_id": f"P{i}", "land_use": land_use, "supply_date": date, "geometry": rect(x, 0, x + width, 100)})
        x += width + 10
    prep = prepare(canonicalize(frame(rows), "parcels", label="parcels"))
    return industrial_share(prep.parcels, load_pack(policy).rule("supply.industrial_share"), policy, lang=lang).set_index("subject_id")


@pytest.mark.parametrize("policy", ["taizhou", "tiantai", "shengzhou"])
@pytest.mark.parametrize(
    ("industrial_m2", "status"),
    [
        (3_000.0, "pass"),  # 3000 / 10000 = 30 % exactly: "不低于" / "以上" include it
        (2_999.99, "fail"),  # 0.299999
        (3_000.01, "pass"),  # 0.300001
    ],
)
def test_thirty_percent_per_year(policy, industrial_m2, status):
    result = supplied(
        [("工业用地", industrial_m2 / 100, "2022-03-01"), ("住宅用地", (10_000.0 - industrial_m2) / 100, "2022-11-30")], policy
    )
    v = result.loc["2022"]
    assert (v["subject"], v["status"], v["limit"], v["unit"]) == ("supply_year", status, 0.30, "ratio")
    assert v["parcel_id"] is None
    assert v["value"] == pytest.approx(industrial_m2 / 10_000.0, abs=1e-6)


def test_one_verdict_per_calendar_year():
    result = supplied(
        [
            ("工业用地", 40.0, "2022-12-31"),  # 2022: 4000 of 10000 → 0.4
            ("商业用地", 60.0, "2022-01-01"),
            ("0601", 20.0, "2023-01-01"),  # 2023: 2000 of 10000 → 0.2
            ("住宅用地", 80.0, "2023-06-30"),
            ("工业用地", 500.0, None),  # not supplied: not counted
        ]
    )
    assert list(result.index) == ["2022", "2023"]
    assert list(result["status"]) == ["pass", "fail"]
    assert list(result["value"]) == [0.4, 0.2]
    assert "2,000 m² of 10,000 m²" in result.loc["2023", "explanation"]


@pytest.mark.parametrize(
    ("unknown_width", "industrial_width", "status"),
    [
        (10.0, 30.0, "pass"),  # 3000 of 10000 even if the 1000 m² of unknown use is not industrial
        (10.0, 10.0, "fail"),  # (1000 + 1000) of 10000 < 30 % even if it is
        (10.0, 25.0, "insufficient_data"),  # 2500 – 3500 of 10000: it decides
    ],
)
def test_blank_land_use_decides_only_when_it_could_matter(unknown_width, industrial_width, status):
    result = supplied(
        [
            ("工业用地", industrial_width, "2022-05-01"),
            (None, unknown_width, "2022-05-01"),
            ("住宅用地", 100.0 - industrial_width - unknown_width, "2022-05-01"),
        ]
    )
    v = result.loc["2022"]
    assert v["status"] == status
    if status == "insufficient_data":
        assert "lack a land_use" in v["explanation"]


def test_no_supply_dates():
    result = supplied([("工业用地", 10.0, None)])
    assert list(result["status"]) == ["not_applicable"]
    assert "supply_date" in result["explanation"].iloc[0]


def test_chinese_explanation():
    v = supplied([("工业用地", 30.0, "2022-05-01"), ("住宅用地", 70.0, "2022-06-01")], lang="zh").loc["2022"]
    assert v["explanation"] == "2022 年出让土地 10,000 ㎡，其中工业用地 3,000 ㎡，占比 0.3 ≥ 0.3"


def test_yuhuan_has_no_supply_share():
    assert load_pack("yuhuan").rule("supply.industrial_share") is None


def test_only_yearly_periods():
    rule = Rule(
        id="supply.industrial_share",
        clause="x",
        params={"industrial_share_min": Param("industrial_share_min", 0.3, ">="), "period": Param("period", "quarter")},
    )
    prep = prepare(canonicalize(frame([{"parcel_id": "P", "geometry": rect(0, 0, 10, 10)}]), "parcels", label="parcels"))
    with pytest.raises(InputError, match="period 'quarter'"):
        industrial_share(prep.parcels, rule, "mine", lang="en")
