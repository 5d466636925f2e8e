"""The command line: exit codes, JSON on stdout, GeoPackage output, pack listings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
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
    run = pyogrio.read_dataframe(out, layer="run", read_geometry=False).set_index("key")["value"]
    stages = json.loads(run["stage_timings"])
    assert list(stages) == ["read_s", "measure_s", "rules_s", "proposals_s", "layers_s"] and min(stages.values()) >= 0


def test_gpkg_verdicts_view_is_the_json_table(parcels_file, tmp_path):
    """The compact ``verdict_rows`` (ids and numbers) joined back in the ``verdicts`` view
    give exactly the rows --json prints; each combination of code columns is stored once."""
    out = tmp_path / "result.gpkg"
    assert runner.invoke(app, ["check", parcels_file, "--out", str(out), "--as-of", "2023-06-30", "--lang", "en"]).exit_code == 0
    printed = runner.invoke(app, ["check", parcels_file, "--json", "--as-of", "2023-06-30", "--lang", "en"])
    view = pyogrio.read_dataframe(out, layer="verdicts", read_geometry=False)
    expected = pd.DataFrame(json.loads(printed.stdout))[list(view.columns)]
    key = ["subject", "subject_id", "rule"]
    got, want = (f.sort_values(key).reset_index(drop=True).astype(object).where(f.notna(), None) for f in (view, expected))
    pd.testing.assert_frame_equal(got, want.sort_values(key).reset_index(drop=True), check_dtype=False)
    rows = pyogrio.read_dataframe(out, layer="verdict_rows", read_geometry=False)
    assert list(rows.columns) == ["subject_id", "parcel_id", "kind", "value", "limit", "headroom", "sentence", "args_id"]
    kinds = pyogrio.read_dataframe(out, layer="verdict_kinds", read_geometry=False)
    code_columns = ["subject", "rule", "status", "reason", "unit", "pack", "clause"]
    assert len(kinds) == len(view[code_columns].drop_duplicates()) < len(view)


def test_expired_pack_warns_and_completes(parcels_file):
    result = runner.invoke(app, ["check", parcels_file, "--as-of", "2024-03-01", "--lang", "en"])
    assert result.exit_code == 0
    assert "landtool: warning: policy pack tiantai (天政发〔2022〕1号) expired on 2023-12-31" in result.stderr
    zh = runner.invoke(app, ["check", parcels_file, "--as-of", "2024-03-01"])
    assert "landtool：警告：政策包 tiantai（天政发〔2022〕1号）已于 2023-12-31 失效" in zh.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "missing.gpkg", "--lang", "en"], "missing.gpkg: file not found"),
        (["check", "missing.gpkg"], "landtool：错误：missing.gpkg：文件不存在"),
        (["check", "{parcels}", "--policy", "nowhere", "--lang", "en"], "unknown policy pack 'nowhere'"),
        (["check", "{parcels}", "--as-of", "2023-13-01", "--lang", "en"], "--as-of: '2023-13-01' is not a date"),
        (["check", "{parcels}", "--as-of", "2023-13-01"], "“2023-13-01” 不是日期"),
        (["check", "{parcels}", "--out", "{tmp}/x.shp", "--lang", "en"], "the output is a GeoPackage (.gpkg), a Parquet directory"),
        (["check", "{parcels}", "--out", "{parcels}", "--lang", "en"], "this is an input file (parcels layer)"),
        (["check", "{parcels}", "--merge-plan", "{tmp}/plan.csv", "--report", "{tmp}/plan.csv"], "与输入（合并方案）是同一个文件"),
        (["check", "--buildings", "{parcels}", "--lang", "en"], "buildings layer given but no parcels layer"),
        (["check", "{parcels}", "--map", "{tmp}/m.html", "--basemap", "tianditu", "--lang", "en"], "tianditu"),
        (["check", "{parcels}", "--crs", "foo", "--lang", "en"], "foo"),
        (["check", "{parcels}", "--encoding", "foo", "--lang", "en"], "foo"),
        (["check", "{parcels}", "--nonsense", "--lang", "en"], "no such option --nonsense"),
        (["check", "{parcels}", "--nonsense"], "没有选项 --nonsense"),
        (["check", "{parcels}", "--lang", "fr"], "--lang"),
        (["check", "{parcels}", "--json", "yes"], "yes"),
        (["check", "{parcels}", "--json=yes"], "landtool：错误：--json 是开关，不接受值"),
        (["check", "{parcels}", "--json=yes", "--lang", "en"], "landtool: error: option --json is a flag and takes no value"),
        (["check", "{parcels}", "--out"], "landtool：错误：--out 需要一个值"),
        (["check", "{parcels}", "--workers", "abc"], "landtool：错误：--workers 的值无效：应为整数"),
        (["check", "{parcels}", "--workers", "abc", "--lang", "en"], "invalid value for --workers: a whole number is expected"),
        (["check", "{parcels}", "--partitions", "0"], "landtool：错误：--partitions 的值无效：应不小于 1"),
        (["nonsense"], "nonsense"),
        (["map", "{parcels}", "--out", "{tmp}/map.gpkg"], "landtool：错误：--out {tmp}/map.gpkg：地图须为 .html 文件"),
        (["report", "{parcels}", "--out", "{tmp}/r.pdf", "--lang", "en"], "landtool: error: --out {tmp}/r.pdf: a report is an .xlsx or .csv file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(parcels_file, tmp_path, args, message):
    (tmp_path / "plan.csv").write_text("group_id,parcel_id\nG,A\nG,B\n", encoding="utf-8")
    args = [a.format(parcels=parcels_file, tmp=tmp_path) for a in args]
    message = message.format(tmp=tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not list(tmp_path.glob("*.html"))  # nothing written before the options were checked


def test_nothing_is_written_over_an_input(parcels_file):
    before = Path(parcels_file).read_bytes()
    assert runner.invoke(app, ["check", parcels_file, "--out", parcels_file]).exit_code == 2
    assert Path(parcels_file).read_bytes() == before


def test_bad_user_pack_is_reported(tmp_path, parcels_file):
    pack = tmp_path / "mine.yaml"
    pack.write_text("id: mine\ndocument: X\nrules:\n  indicator.far_max:\n    clause: X 1\n    params:\n      far_max: {value: 2, op: '<', words: 不超过}\n", encoding="utf-8")
    result = runner.invoke(app, ["check", parcels_file, "--policy", str(pack), "--lang", "en"])
    assert result.exit_code == 2
    assert str(pack) in result.stderr and "不超过" in result.stderr and "'<'" in result.stderr


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
    assert proc.stderr.startswith(f"landtool：错误：{broken}")


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


def test_version_help_and_quiet(parcels_file):
    from landtool import __version__

    assert runner.invoke(app, ["--version"]).stdout.strip() == f"landtool {__version__}"
    assert "Usage" in runner.invoke(app, ["check", "-h"]).stdout
    quiet = runner.invoke(app, ["-q", "check", parcels_file, "--as-of", "2024-03-01"])
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_verbose_progress_goes_to_stderr_also_with_json(parcels_file):
    result = runner.invoke(app, ["-v", "check", parcels_file, "--json", "--as-of", "2023-06-30", "--lang", "en"])
    assert result.exit_code == 0
    assert "landtool: checking 2 parcels against tiantai" in result.stderr
    assert json.loads(result.stdout)  # stdout is only the JSON


def test_json_lines_streams_one_object_per_line(parcels_file):
    result = runner.invoke(app, ["check", parcels_file, "--json-lines", "--as-of", "2023-06-30"])
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 * 17 + 1
    assert {json.loads(line)["rule"] for line in lines} >= {"indicator.far_max", "supply.industrial_share"}


def test_json_is_the_verdict_table_as_written(parcels_file):
    """The JSON is the same table as the Python API gives (slashes plain, NaN as null), and the
    JSON list and the JSON Lines hold the same objects."""
    import landtool

    listed = json.loads(runner.invoke(app, ["check", parcels_file, "--json", "--as-of", "2023-06-30"]).stdout)
    lines = [json.loads(line) for line in runner.invoke(app, ["check", parcels_file, "--json-lines", "--as-of", "2023-06-30"]).stdout.splitlines()]
    assert listed == lines
    expected = landtool.check(parcels_file, as_of="2023-06-30").verdicts
    expected = expected.astype(object).where(expected.notna(), None).to_dict("records")
    assert listed == expected
    far = next(r for r in listed if r["rule"] == "indicator.far_max" and r["subject_id"] == "A")
    assert far["value"] == 1.2 and far["headroom"] == -1000.0
    assert any("/" in (r["explanation"] or "") + (r["interpretation"] or "") for r in listed)  # e.g. 万元/亩


def test_summary_uses_rule_names_in_the_language(parcels_file):
    zh = runner.invoke(app, ["check", parcels_file, "--as-of", "2023-06-30"])
    assert "容积率上限" in zh.stdout and "indicator.far_max" not in zh.stdout and "不通过" in zh.stdout
    en = runner.invoke(app, ["check", parcels_file, "--as-of", "2023-06-30", "--lang", "en"])
    assert "Maximum FAR" in en.stdout and "insufficient data" in en.stdout


def test_config_file_sets_defaults(parcels_file, tmp_path, monkeypatch):
    (tmp_path / "landtool.yaml").write_text("policy: yuhuan\nlang: en\nas_of: 2023-06-30\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    rows = json.loads(runner.invoke(app, ["check", parcels_file, "--json"]).stdout)
    assert {r["pack"] for r in rows} == {"yuhuan"}
    assert any(r["explanation"] == "not in this policy" for r in rows)
    # an option on the command line wins over the file
    rows = json.loads(runner.invoke(app, ["check", parcels_file, "--json", "--policy", "tiantai"]).stdout)
    assert {r["pack"] for r in rows} == {"tiantai"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("colour: red\n", encoding="utf-8")
    result = runner.invoke(app, ["--config", str(bad), "check", parcels_file])
    assert result.exit_code == 2 and "colour" in result.stderr


def test_sample_only_when_nothing_is_given(tmp_path):
    out = tmp_path / "s.gpkg"
    result = runner.invoke(app, ["check", "--as-of", "2023-06-30", "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0
    assert "the bundled sample" in result.stderr
    run = dict(pyogrio.read_dataframe(out, layer="run").itertuples(index=False, name=None))
    assert run["sample"] == "true"


def test_run_record_names_every_input(parcels_file, tmp_path):
    import hashlib

    out = tmp_path / "r.gpkg"
    assert runner.invoke(app, ["check", parcels_file, "--as-of", "2023-06-30", "--out", str(out), "--policy", "taizhou"]).exit_code == 0
    run = dict(pyogrio.read_dataframe(out, layer="run").itertuples(index=False, name=None))
    assert (run["pack"], run["as_of"], run["lang"], run["sample"]) == ("taizhou", "2023-06-30", "zh", "false")
    assert run["pack_sha256"] == hashlib.sha256(Path("landtool/packs/taizhou.yaml").read_bytes()).hexdigest()
    assert run["command"].startswith("landtool check ")
    parcels = json.loads(run["input.parcels"])
    assert parcels["sha256"] == hashlib.sha256(Path(parcels_file).read_bytes()).hexdigest()
    assert (parcels["features"], parcels["crs"], parcels["size"]) == (2, "EPSG:4549", os.path.getsize(parcels_file))


def test_validate_reports_data_quality_alone(tmp_path):
    path = tmp_path / "p.gpkg"
    frame(
        [
            {"宗地代码": "A", "geometry": rect(0, 0, 100, 100)},
            {"宗地代码": "B", "geometry": rect(98, 0, 198, 100)},  # overlaps A by 200 m²
        ]
    ).to_file(path)
    out = tmp_path / "v.gpkg"
    result = runner.invoke(app, ["validate", str(path), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    assert "overlapping parcels" in result.stdout
    issues = pyogrio.read_dataframe(out, layer="issues", read_geometry=False)
    assert issues[["feature_id", "problem", "value_m2"]].values.tolist() == [["A", "overlap", 200.0]]
    assert issues["detail"].iloc[0] == "overlaps parcel B by 200.00 m²"
    assert "verdicts" not in {row[0] for row in pyogrio.list_layers(out)}


def test_parquet_output_is_a_directory_with_every_column(parcels_file, tmp_path):
    import pandas as pd

    out = tmp_path / "run.parquet"
    assert runner.invoke(app, ["check", parcels_file, "--out", str(out), "--as-of", "2023-06-30", "--lang", "en"]).exit_code == 0
    assert {p.name for p in out.iterdir()} >= {"verdicts.parquet", "parcels.parquet", "run.parquet", "rules.parquet", "issues.parquet"}
    verdicts = pd.read_parquet(out / "verdicts.parquet")
    assert list(verdicts.columns) == ["subject", "subject_id", "parcel_id", "rule", "status", "value", "limit", "unit", "pack", "clause",
                                      "explanation", "interpretation", "reason", "headroom", "args"]
    far = verdicts.set_index(["subject_id", "rule"]).loc[("A", "indicator.far_max")]
    assert (far["status"], far["value"], far["limit"]) == ("fail", 1.2, 1.1)
    # written again: the complete new directory replaces the old one, nothing left over
    assert runner.invoke(app, ["check", parcels_file, "--out", str(out), "--as-of", "2023-06-30"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.parquet", "宗地.gpkg"]
    assert pd.read_parquet(out / "verdicts.parquet").set_index(["subject_id", "rule"]).loc[("A", "indicator.far_max"), "explanation"].startswith("容积率 1.2")
    # and redrawn from it, in its language
    assert runner.invoke(app, ["map", str(out), "--out", str(tmp_path / "m.html")]).exit_code == 0
