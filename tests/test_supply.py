"""Yearly industrial share of supplied land (taizhou 二（十三）, tiantai 四（十四）, shengzhou 四（二））:
industrial area / all supplied area ≥ 30 % ("不低于30%" / "30%以上", inclusive), one verdict per
year, counting only the supplies the pack governs (one date window per pack)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import frame, rect

from landtool.errors import InputError
from landtool.io import canonicalize
from landtool.messages import render_verdicts
from landtool.policy import Param, Rule, load_pack
from landtool.prepare import prepare
from landtool.rules.supply import industrial_share


def supplied(parcels, policy="taizhou"):
    """parcels: (land_use, width m of a 100 m deep strip, supply_date); strips side by side.

    The rule runs with the pack's window, as :func:`landtool.check` gives it. Returns the
    verdicts by year with ``zh`` / ``en`` sentences and the args parsed.
    """
    rows, x = [], 0.0
    for i, (land_use, width, date) in enumerate(parcels):
        rows.append({"parcel_id": f"P{i}", "land_use": land_use, "supply_date": date, "geometry": rect(x, 0, x + width, 100)})
        x += width + 10
    prep = prepare(canonicalize(frame(rows), "parcels", label="parcels"))
    pack = load_pack(policy)
    out = industrial_share(
        prep.parcels, pack.rule("supply.industrial_share"), policy, supplied_from=pack.issued, supplied_until=pack.valid_until
    )
    for lang in ("zh", "en"):
        out[lang], _ = render_verdicts(out, lang, {pack.id: pack})
    out["args"] = [json.loads(a) if isinstance(a, str) else {} for a in out["args"]]
    return out.set_index("subject_id")


@pytest.mark.parametrize("policy", ["taizhou", "tiantai", "shengzhou"])
@pytest.mark.parametrize(
    ("industrial_m2", "status", "reason"),
    [
        (3_000.0, "pass", "share_met"),  # 3000 / 10000 = 30 % exactly: "不低于" / "以上" include it
        (2_999.99, "fail", "share_below"),  # 0.299999
        (3_000.01, "pass", "share_met"),  # 0.300001
    ],
)
def test_thirty_percent_per_year(policy, industrial_m2, status, reason):
    result = supplied(
        [("工业用地", industrial_m2 / 100, "2023-03-01"), ("住宅用地", (10_000.0 - industrial_m2) / 100, "2023-11-30")], policy
    )
    v = result.loc["2023"]
    assert (v["subject"], v["status"], v["reason"], v["limit"], v["unit"]) == ("supply_year", status, reason, 0.30, "ratio")
    assert v["parcel_id"] is None
    assert v["value"] == pytest.approx(industrial_m2 / 10_000.0, abs=1e-6)
    assert v["args"] == {
        "period_from": "2023-01-01",
        "period_until": "2023-12-31",
        "total_m2": 10_000.0,
        "industrial_m2": industrial_m2,
    }


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
    assert result.loc["2023", "en"] == (
        "2023 (2023-01-01 to 2023-12-31): 2,000 m² of the 10,000 m² supplied is industrial land, a share of 20%, below 30%"
    )


@pytest.mark.parametrize(
    ("unknown_width", "industrial_width", "status", "reason"),
    [
        (10.0, 30.0, "pass", "share_met"),  # 3000 of 10000 even if the 1000 m² of unknown use is not industrial
        (10.0, 10.0, "fail", "share_below"),  # (1000 + 1000) of 10000 < 30 % even if it is
        (10.0, 25.0, "insufficient_data", "land_use_unknown"),  # 2500 – 3500 of 10000: it decides
    ],
)
def test_blank_land_use_decides_only_when_it_could_matter(unknown_width, industrial_width, status, reason):
    result = supplied(
        [
            ("工业用地", industrial_width, "2022-05-01"),
            (None, unknown_width, "2022-05-01"),
            ("住宅用地", 100.0 - industrial_width - unknown_width, "2022-05-01"),
        ]
    )
    v = result.loc["2022"]
    assert (v["status"], v["reason"]) == (status, reason)
    if status == "insufficient_data":
        assert (v["args"]["unknown_m2"], v["args"]["missing"]) == (1_000.0, ["land_use"])
        assert "1,000 m² lack a land use (land_use)" in v["en"]
        assert "另有 1,000 平方米缺少土地用途（land_use）" in v["zh"]


def test_no_supply_dates():
    result = supplied([("工业用地", 10.0, None)])
    assert list(result["status"]) == ["not_applicable"] and list(result["reason"]) == ["no_supply_dates"]
    assert result["zh"].iloc[0] == "没有带出让日期（supply_date）的宗地，无法按年计算"


def test_chinese_and_english_sentences():
    v = supplied([("工业用地", 30.0, "2022-05-01"), ("住宅用地", 70.0, "2022-06-01")]).loc["2022"]
    assert v["zh"] == "2022 年（2022-01-01 至 2022-12-31）出让土地 10,000 平方米，其中工业用地 3,000 平方米，占比 30% ≥ 30%"
    assert v["en"] == "2022 (2022-01-01 to 2022-12-31): 3,000 m² of the 10,000 m² supplied is industrial land, a share of 30% ≥ 30%"


# ------------------------------------------------------------------ one date window per pack


def test_taizhou_date_window_by_day():
    """taizhou was issued 2021-12-26: a supply of 2021-06-01 is not governed, one of 2021-12-26 is.

    supply.standard_land (landuse.py) asks the same question (landtool.rules.common.governed):
    the 2021-06-01 parcel is pre-policy for both rules, the 2021-12-26 one governed by both.
    """
    before = supplied([("工业用地", 30.0, "2021-06-01"), ("住宅用地", 70.0, "2021-12-25")])
    v = before.loc["2021"]
    assert (v["status"], v["reason"], v["args"]) == ("not_applicable", "outside_period", {"policy_from": "2021-12-26", "policy_until": "2023-12-31"})
    assert np.isnan(v["value"])
    assert v["zh"] == "2021 年的出让均不在本政策施行期（2021-12-26 至 2023-12-31）内，不适用"

    on_the_day = supplied([("工业用地", 30.0, "2021-12-26"), ("住宅用地", 70.0, "2021-12-31")]).loc["2021"]
    assert (on_the_day["status"], on_the_day["value"]) == ("pass", 0.3)
    assert (on_the_day["args"]["period_from"], on_the_day["args"]["period_until"]) == ("2021-12-26", "2021-12-31")


def test_partly_governed_year_counts_only_the_governed_part():
    # 2021: 5000 m² of industrial land before the policy (not counted) would lift the share to
    # 7000 / 15000 = 46.7 %; the governed part alone is 2000 / 10000 = 20 % → fail
    result = supplied([("工业用地", 50.0, "2021-06-01"), ("工业用地", 20.0, "2021-12-28"), ("住宅用地", 80.0, "2021-12-30")])
    v = result.loc["2021"]
    assert (v["status"], v["reason"], v["value"]) == ("fail", "share_below", 0.2)
    assert (v["args"]["total_m2"], v["args"]["industrial_m2"]) == (10_000.0, 2_000.0)
    assert v["en"].startswith("2021 (2021-12-26 to 2021-12-31): 2,000 m² of the 10,000 m² supplied")


def test_end_of_validity_by_day():
    result = supplied([("工业用地", 30.0, "2023-12-31"), ("住宅用地", 70.0, "2023-12-31"), ("工业用地", 100.0, "2024-01-01")])
    assert (result.loc["2023", "status"], result.loc["2023", "value"]) == ("pass", 0.3)
    assert (result.loc["2024", "status"], result.loc["2024", "reason"]) == ("not_applicable", "outside_period")


def test_tiantai_window_starts_on_its_issue_date():
    # tiantai was issued 2022-02-20: the supply of 2022-02-19 is not counted
    v = supplied([("住宅用地", 100.0, "2022-02-19"), ("工业用地", 30.0, "2022-02-20"), ("住宅用地", 70.0, "2022-03-01")], "tiantai").loc["2022"]
    assert (v["status"], v["value"], v["args"]["total_m2"], v["args"]["period_from"]) == ("pass", 0.3, 10_000.0, "2022-02-20")


# ------------------------------------------------------------------ packs and settings


def test_yuhuan_has_no_supply_share():
    assert load_pack("yuhuan").rule("supply.industrial_share") is None


def test_interpretation_states_the_window():
    for policy in ("taizhou", "tiantai", "shengzhou"):
        rule = load_pack(policy).rule("supply.industrial_share")
        assert "supply.standard_land" in rule.interpretation_text("zh") and "governed" not in rule.interpretation_text("zh")
        assert "covered part" in rule.interpretation_text("en")


def test_only_yearly_periods():
    rule = Rule(
        id="supply.industrial_share",
        clause="x",
        params={"industrial_share_min": Param("industrial_share_min", 0.3, ">="), "period": Param("period", "quarter")},
    )
    prep = prepare(canonicalize(frame([{"parcel_id": "P", "geometry": rect(0, 0, 10, 10)}]), "parcels", label="parcels"))
    with pytest.raises(InputError) as err:
        industrial_share(prep.parcels, rule, "mine")
    assert (err.value.code, err.value.params["period"]) == ("supply_period", "quarter")
    assert str(err.value) == "pack rule supply.industrial_share: period quarter is not supported; use one of year"
    assert err.value.render("zh") == "政策包中 supply.industrial_share 的统计周期为 quarter，不受支持；可用：year"
