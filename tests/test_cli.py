"""The command line: exit codes, JSON on stdout, GeoPackage output, pack listings."""

from __future__ import annotations

import json
import subprocess
import sys

import pyogrio
import pytest
from typer.testing import CliRunner

from landtool.cli import app
from tests.conftest import frame, rect

runner = CliRunner()


@pytest.fixture
def parcels_file(tmp_path):
    path = tmp_path / "宗地.gpkg"
    frame(
        [
            {"宗地代码": "A", "权利人": "<b>甲</b>", "土地用途": "工业用地", "总建筑面积": 12_000.0, "geometry": rect(0, 0, 100, 100)},
            {"宗地代码": "B", "权利人": "乙", "土地用途": "工业用地", "总建筑面积": 9_000.0, "geometry": rect(100, 0, 200, 100)},
        ]
    ).to_file(path, layer="宗地")
    return str(path)


def test_json_to_stdout(parcels_file):
    result = runner.invoke(app, ["check", parcels_file, "--json", "--as-of", "2023-06-30", "--lang", "en"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    far = {r["subject_id"]: r for r in rows if r["rule"] == "indicator.far_max"}
    assert far["A"]["status"] == "fail" and far["A"]["value"] == 1.2 and far["A"]["limit"] == 1.1
    assert far["B"]["status"] == "pass"
    assert set(rows[0]) >= {"subject", "subject_id", "parcel_id", "rule", "status", "value", "limit", "unit", "pack", "clause", "explanation", "interpretation"}


def test_fail_on_fail_exits_1(parcels_file):
    result = runner.invoke(app, ["check", parcels_file, "--fail-on", "fail", "--as-of", "2023-06-30"])
    assert result.exit_code == 1


def test_gpkg_output(parcels_file, tmp_path):
    out = tmp_path / "out" / "result.gpkg"
    result = runner.invoke(app, ["check", parcels_file, "--out", str(out), "--as-of", "2023-06-30"])
    assert result.exit_code == 0, result.output
    layers = dict(pyogrio.list_layers(out))
    assert {"verdicts", "parcels", "issues"} <= set(layers)
    parcels = pyogrio.read_dataframe(out, layer="parcels")
    assert parcels.set_index("parcel_id").loc["A", ["area_m2", "area_mu", "far", "status_indicator", "status"]].tolist() == [10_000.0, 15.0, 1.2, "fail", "fail"]
    verdicts = pyogrio.read_dataframe(out, layer="verdicts")
    assert len(verdicts) == 2 * 17 + 1  # two parcels × the 17 parcel rules, and one supply-year row
    assert not list(out.parent.glob(".result*"))  # no temporary file left behind


def test_expired_pack_warns_and_completes(parcels_file):
    result = runner.invoke(app, ["check", parcels_file, "--as-of", "2024-03-01", "--lang", "en"])
    assert result.exit_code == 0
    assert "expired on 2023-12-31" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "missing.gpkg"], "missing.gpkg: file not found"),
        (["check", "{parcels}", "--policy", "nowhere"], "unknown policy pack 'nowhere'"),
        (["check", "{parcels}", "--as-of", "2023-13-01"], "--as-of: '2023-13-01' is not a date"),
        (["check", "{parcels}", "--out", "{tmp}/x.shp"], "the output must be a GeoPackage"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(parcels_file, tmp_path, args, message):
    args = [a.format(parcels=parcels_file, tmp=tmp_path) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_user_pack_is_reported(tmp_path, parcels_file):
    pack = tmp_path / "mine.yaml"
    pack.write_text("id: mine\ndocument: X\nrules:\n  indicator.far_max:\n    clause: X 1\n    params:\n      far_max: {value: 2, op: '<', words: 不超过}\n", encoding="utf-8")
    result = runner.invoke(app, ["check", parcels_file, "--policy", str(pack)])
    assert result.exit_code == 2
    assert "'不超过' includes the number but op is '<'" in result.stderr


def test_user_pack_runs(tmp_path, parcels_file):
    pack = tmp_path / "successor.yaml"
    pack.write_text(
        "id: successor\ndocument: 天政发〔2024〕9号\nissued: 2024-01-01\nvalid_until: 2026-12-31\nrules:\n"
        "  indicator.far_max:\n    clause: 天政发〔2024〕9号 三（一）\n    params:\n      far_max: {value: 1.3, op: '<=', words: 不得大于}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", parcels_file, "--policy", str(pack), "--json", "--as-of", "2025-01-01"])
    assert result.exit_code == 0, result.stderr
    far = {r["subject_id"]: r for r in json.loads(result.stdout) if r["rule"] == "indicator.far_max"}
    assert (far["A"]["status"], far["A"]["limit"], far["A"]["pack"]) == ("pass", 1.3, "successor")


def test_policies_list_and_show():
    listing = runner.invoke(app, ["policies"])
    assert listing.exit_code == 0
    for name in ("taizhou", "tiantai", "yuhuan", "shengzhou"):
        assert name in listing.stdout
    show = runner.invoke(app, ["policies", "show", "yuhuan", "--lang", "en"])
    assert show.exit_code == 0
    assert "fringe.area_cap" in show.stdout and "四.17" in show.stdout


def test_console_script_never_prints_a_traceback(tmp_path):
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"not a geopackage")
    proc = subprocess.run([sys.executable, "-m", "landtool.cli", "check", str(broken)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"landtool: error: {broken}")


def test_every_input_layer_reaches_the_geopackage(tmp_path):
    out = tmp_path / "sample.gpkg"
    result = runner.invoke(app, ["check", "--out", str(out), "--as-of", "2023-06-30"])
    assert result.exit_code == 0, result.stderr
    layers = dict(pyogrio.list_layers(out))
    for name in ("parcels", "buildings", "zones", "facility_land", "split_pieces", "merge_groups", "fringe", "issues", "verdicts", "run", "layer_styles"):
        assert name in layers, name
    # 868 sample buildings: one lies outside every parcel and is in issues instead
    buildings = pyogrio.read_dataframe(out, layer="buildings", read_geometry=False)
    issues = pyogrio.read_dataframe(out, layer="issues", read_geometry=False)
    outside = issues[(issues["layer"] == "buildings") & (issues["problem"] == "outside_parcels")]
    assert len(buildings) + len(outside) == 868
    assert set(buildings["height_source"].dropna()) == {"buildings", "raster"}
