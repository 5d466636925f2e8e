"""Comparing two packs: every verdict that differs, as a table, a layer and a map layer."""

from __future__ import annotations

import json

import pandas as pd
import pyogrio
from typer.testing import CliRunner

import landtool
from landtool.cli import app
from landtool.compare import change_kind, compare_layer, compare_results, with_sentences
from tests.conftest import frame, rect


def parcels():
    return frame(
        [
            # FAR 1.2 and 30 m: tiantai fails both (1.1, 24 m); yuhuan has no FAR limit, 24 m height
            {"parcel_id": "A", "land_use": "工业用地", "gfa_m2": 12_000.0, "height_m": 30.0, "geometry": rect(0, 0, 100, 100)},
            # FAR 0.9 and 20 m: passes both
            {"parcel_id": "B", "land_use": "工业用地", "gfa_m2": 9_000.0, "height_m": 20.0, "geometry": rect(100, 0, 200, 100)},
        ]
    )


def test_differences_between_tiantai_and_yuhuan():
    a = landtool.check(parcels(), policy="tiantai", as_of="2023-06-30")
    b = landtool.check(parcels(), policy="yuhuan", as_of="2023-06-30")
    diff = compare_results(a, b).set_index(["subject_id", "rule"])
    far = diff.loc[("A", "indicator.far_max")]
    assert (far["status_a"], far["status_b"], far["limit_a"], far["kind"]) == ("fail", "pass", 1.1, "fail_to_pass")
    assert far["clause_a"] == "天政发〔2022〕1号 四（五）" and far["clause_b"] == "玉环方案 四.16"
    # both 24 m: the height verdict of A does not change, so it is not reported
    assert ("A", "indicator.height_max") not in diff.index
    # the facility rule is tiantai's only: insufficient data (no layer) → not in this policy
    facility = diff.loc[("B", "facility.land_share")]
    assert (facility["status_b"], facility["kind"]) == ("not_applicable", "becomes_not_applicable")
    assert diff.attrs == {"a": "tiantai@2023-06-30", "b": "yuhuan@2023-06-30"}
    layer = compare_layer(compare_results(a, b), b.parcels).set_index("parcel_id")
    assert layer.loc["A", "kind"] == "fail_to_pass" and "indicator.far_max" in layer.loc["A", "rules"]


def test_only_status_changes_unless_all():
    """B's FAR verdict passes under both packs, with the limit 1.1 → none: a limit change,
    listed only with all_changes."""
    a = landtool.check(parcels(), policy="tiantai", as_of="2023-06-30")
    b = landtool.check(parcels(), policy="yuhuan", as_of="2023-06-30")
    assert ("B", "indicator.far_max") not in compare_results(a, b).set_index(["subject_id", "rule"]).index
    everything = compare_results(a, b, all_changes=True).set_index(["subject_id", "rule"])
    assert everything.loc[("B", "indicator.far_max"), "kind"] == "limit_changed"


def test_change_kinds_cover_every_status_pair():
    statuses = ["pass", "fail", "not_applicable", "insufficient_data"]
    pairs = [(x, y) for x in statuses for y in statuses if x != y]
    kinds = change_kind(pd.Series([p[0] for p in pairs]), pd.Series([p[1] for p in pairs]))
    assert None not in kinds.tolist()
    assert dict(zip(pairs, kinds, strict=True))[("insufficient_data", "fail")] == "becomes_checkable"
    assert dict(zip(pairs, kinds, strict=True))[("fail", "insufficient_data")] == "becomes_uncheckable"


def test_sentences_of_both_sides_in_one_language():
    a = landtool.check(parcels(), policy="tiantai", as_of="2023-06-30")
    b = landtool.check(parcels(), policy="yuhuan", as_of="2023-06-30")
    rows = with_sentences(compare_results(a, b), a, b, "en").set_index(["subject_id", "rule"])
    far = rows.loc[("A", "indicator.far_max")]
    assert far["explanation_a"].startswith("FAR 1.2 exceeds the policy limit of 1.1")
    assert far["explanation_b"] == "FAR 1.2: this policy sets no upper limit here"


def test_compare_command(tmp_path):
    path = tmp_path / "p.gpkg"
    parcels().to_file(path)
    out = tmp_path / "cmp.gpkg"
    result = CliRunner().invoke(
        app, ["compare", str(path), "--policy", "tiantai", "--policy", "yuhuan", "--as-of", "2023-06-30", "--out", str(out), "--map", str(tmp_path / "cmp.html"), "--json"]
    )
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {"subject_id": "A", "rule": "indicator.far_max", "status_a": "fail", "status_b": "pass"}.items() <= next(
        r for r in rows if r["subject_id"] == "A" and r["rule"] == "indicator.far_max"
    ).items()
    layers = {row[0] for row in pyogrio.list_layers(out)}
    assert {"compare", "compare_verdicts", "parcels", "verdicts"} <= layers
    assert "政策对比" in (tmp_path / "cmp.html").read_text(encoding="utf-8")


def test_compare_needs_two_sides(tmp_path):
    path = tmp_path / "p.gpkg"
    parcels().to_file(path)
    result = CliRunner().invoke(app, ["compare", str(path), "--policy", "tiantai"])
    assert result.exit_code == 2
    assert "两个 --policy" in result.stderr


def test_map_from_an_earlier_result(tmp_path):
    path = tmp_path / "p.gpkg"
    parcels().to_file(path)
    out = tmp_path / "run.gpkg"
    assert CliRunner().invoke(app, ["check", str(path), "--out", str(out), "--as-of", "2023-06-30"]).exit_code == 0
    result = CliRunner().invoke(app, ["map", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "run.html").read_text(encoding="utf-8")
    assert "天政发〔2022〕1号" in html and "2023-06-30" in html


def test_compare_counts_kinds_and_subjects_on_the_console(tmp_path):
    path = tmp_path / "p.gpkg"
    parcels().to_file(path)
    result = CliRunner().invoke(app, ["compare", str(path), "--policy", "tiantai", "--policy", "yuhuan", "--as-of", "2023-06-30", "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    assert "tiantai@2023-06-30 → yuhuan@2023-06-30" in result.stdout
    assert "fail_to_pass" not in result.stdout and "becomes not applicable" in result.stdout  # kinds in words, not codes
    failing = CliRunner().invoke(app, ["compare", str(path), "--policy", "yuhuan", "--policy", "tiantai", "--as-of", "2023-06-30", "--fail-on", "pass_to_fail"])
    assert failing.exit_code == 1
