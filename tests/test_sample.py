"""End to end on the bundled sample: the designed cases of data/expected_tiantai.csv, and
every pack answering every rule of POLICY.md without borrowing another pack's numbers."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

import landtool
from landtool.check import sample_dir
from landtool.policy import RULE_IDS, available_packs
from landtool.result import STATUSES


@pytest.fixture(scope="module")
def results():
    return {pack: landtool.check(policy=pack, as_of="2023-06-30", fringe_candidates=True) for pack in available_packs()}


def expected_cases():
    table = pd.read_csv(sample_dir() / "expected_tiantai.csv", dtype={"subject_id": str, "parcel_id": str})
    return [pytest.param(row, id=f"{row['case']}-{row['rule']}") for row in table.to_dict("records")]


@pytest.mark.parametrize("case", expected_cases())
def test_designed_case(results, case):
    verdicts = results["tiantai"].verdicts
    rows = verdicts[(verdicts["rule"] == case["rule"]) & (verdicts["subject_id"].astype(str) == str(case["subject_id"]))]
    assert len(rows) == 1, f"{case['case']}: {len(rows)} verdicts"
    row = rows.iloc[0]
    assert row["status"] == case["expected"], f"{case['case']}: {row['explanation']}"
    if not (isinstance(case["value"], float) and math.isnan(case["value"])):
        # raster heights carry ±0.3 m of roof noise in the sample
        tolerance = 0.5 if case["rule"] == "indicator.height_max" else 0.01
        assert row["value"] == pytest.approx(case["value"], abs=tolerance), case["case"]
    if not (isinstance(case["limit"], float) and math.isnan(case["limit"])):
        assert row["limit"] == pytest.approx(case["limit"], abs=0.005), case["case"]


@pytest.mark.parametrize("pack", ["taizhou", "tiantai", "yuhuan", "shengzhou"])
def test_every_rule_is_answered_by_every_pack(results, pack):
    result = results[pack]
    verdicts = result.verdicts
    assert set(verdicts["rule"]) == set(RULE_IDS)
    assert set(verdicts["status"]) <= set(STATUSES)
    on_parcels = verdicts[verdicts["subject"] == "parcel"]
    per_parcel = on_parcels.groupby("parcel_id")["rule"].nunique()
    assert len(per_parcel) == len(result.parcels)
    assert per_parcel.nunique() == 1  # every parcel has a verdict for every parcel rule


@pytest.mark.parametrize("pack", ["taizhou", "tiantai", "yuhuan", "shengzhou"])
def test_packs_never_borrow(results, pack):
    result = results[pack]
    verdicts = result.verdicts
    assert (verdicts["pack"] == pack).all()
    own = verdicts["rule"].isin(result.pack.rules)
    # a rule of the pack cites the pack's clause; any other rule is "not in this policy"
    assert (verdicts.loc[own, "clause"] == verdicts.loc[own, "rule"].map(lambda r: result.pack.rules[r].clause)).all()
    others = verdicts[~own]
    assert (others["status"] == "not_applicable").all()
    assert (others["reason"] == "not_in_policy").all() and (others["explanation"] == "本政策无此规定").all()
    assert others["limit"].isna().all()


def test_fringe_candidates_on_the_sample(results):
    candidates = results["tiantai"].layers["fringe_candidates"]
    assert len(candidates) > 0
    cap = candidates["cap_m2"].to_numpy()
    assert (candidates["area_m2"].to_numpy() <= cap + 0.005).all()


def test_data_quality_cases_of_the_sample(results):
    """The deliberate data errors of data/README.md all reach the issues layer."""
    issues = results["tiantai"].layers["issues"]
    found = {(row.problem, row.feature_id) for row in issues.itertuples()}
    assert ("repaired_geometry", "331023001005GB00022") in found  # the bow-tie
    overlap = issues[issues["problem"] == "overlap"]
    assert len(overlap) == 1  # recorded once for the pair, on one parcel, naming the other
    assert {overlap["feature_id"].iloc[0], json.loads(overlap["args"].iloc[0])["other"]} == {"331023001012GB00003", "331023001012GB00004"}
    assert overlap["value_m2"].iloc[0] == pytest.approx(308.74, abs=0.01)
    gap = issues[issues["problem"] == "gap"]
    assert gap["value_m2"].tolist() == pytest.approx([102.0])
    assert "331023001016GB00008" in gap["feature_id"].iloc[0] and "331023001016GB00003" in gap["feature_id"].iloc[0]
    assert ("outside_parcels", "无证建筑0001") in found
    mismatched = {row.feature_id for row in issues.itertuples() if row.problem == "area_mismatch"}
    assert {"331023001002GB00012", "331023001006JB00030", "331023001012GB00008", "331023001016GB00013"} <= mismatched
    # the building under a nodata hole has no height: its parcel gets it from its other buildings or not at all
    buildings = results["tiantai"].layers["buildings"].set_index("building_id")
    assert pd.isna(buildings.loc["331023001017GB00008F0001", "height_m"])
