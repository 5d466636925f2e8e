"""XLSX and CSV reports (landtool.report): what each sheet says, in either language, read
back with openpyxl. Frames are built in code in EPSG:4549 (see conftest)."""

from __future__ import annotations

import dataclasses
import re

import openpyxl
import pandas as pd
import pytest
from conftest import frame, rect

import landtool
from landtool.compare import compare_results
from landtool.errors import InputError
from landtool.gpkg import read_geopackage, write_geopackage
from landtool.policy import RULE_IDS
from landtool.report import summary_table, write_report
from landtool.result import STATUSES

CLEAN = {"in_production": True, "from_split": False, "from_merge": False, "from_fringe": False, "industrial_real_estate": False, "standard_land": False}
FAR_CLAUSE = "天政发〔2022〕1号 四（五）"
TRANSFER_CLAUSE = "天政发〔2022〕1号 四（八）"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")

SHEETS_ZH = ["汇总", "宗地", "不通过", "数据缺失", "分割", "合并", "数据质量"]
SHEETS_EN = ["Summary", "Parcels", "Failures", "Missing data", "Split", "Merge", "Issues"]
PARCEL_HEADERS_ZH = ["宗地代码", "权利人", "土地用途", "面积（平方米）", "面积（亩）", "综合结论", "不通过的规则", "数据不足的规则", "缺少的数据", "容积率", "建筑高度（米）"]
PARCEL_HEADERS_EN = ["parcel id", "owner", "land use", "area (m²)", "area (mu)", "Overall status", "failed rules", "rules with insufficient data", "missing data",
                     "FAR", "building height (m)"]
VERDICT_HEADERS_ZH = ["对象类型", "对象编号", "宗地代码", "权利人", "面积（亩）", "规则", "实际值", "限值", "单位", "余量", "条款", "说明", "解释口径"]
VERDICT_HEADERS_EN = ["subject", "subject id", "parcel id", "owner", "area (mu)", "rule", "value", "limit", "unit", "headroom", "clause", "explanation", "interpretation"]


def parcels_frame():
    """tiantai, outside every zone: FAR ≤ 1.1 (原则上) without a planning condition.

    P1 200 × 100 m = 20 000 m² = 30 mu, 30 000 m² floor area → FAR 1.5: fail.
    P2 100 × 100 m = 10 000 m² = 15 mu, FAR 0.5 pass; registered 9 000 m² → an
    area_mismatch issue (+1 000 m²); tax 150 (10k yuan) this and last year = 10 per mu,
    revenue 5 000 < 1亿: the 5-per-mu low-efficiency line is passed, but the 25-per-mu
    benchmark (an information rule) fails.
    P3 15 mu, no floor area → FAR insufficient_data. P4 15 mu, commercial → not applicable.
    No buildings, height raster or facility layer: height, density and facility share
    lack data on every industrial parcel.
    """
    return frame(
        [
            {"parcel_id": "P1", "land_use": "工业用地", "owner": "甲公司", "gfa_m2": 30000.0, "tax_10k": 1500.0, "tax_prev_10k": 1500.0,
             "value_added_10k": 6000.0, "revenue_10k": 5000.0, "geometry": rect(0, 0, 200, 100), **CLEAN},
            {"parcel_id": "P2", "land_use": "工业用地", "owner": "乙公司", "gfa_m2": 5000.0, "registered_area_m2": 9000.0, "tax_10k": 150.0,
             "tax_prev_10k": 150.0, "value_added_10k": 1500.0, "revenue_10k": 5000.0, "geometry": rect(300, 0, 400, 100), **CLEAN},
            {"parcel_id": "P3", "land_use": "工业用地", "owner": "丙公司", "geometry": rect(500, 0, 600, 100), **CLEAN},
            {"parcel_id": "P4", "land_use": "商业用地", "owner": "丁公司", "gfa_m2": 1000.0, "geometry": rect(700, 0, 800, 100), **CLEAN},
        ]
    )


@pytest.fixture(scope="module")
def result():
    """The four parcels; P1 split into A 15 000 m² (pass) and B 5 000 m² (< 10 mu =
    6 666.67 m²: fail); merge group G1 = P2 + P3, 100 m apart → merge.adjacent fail."""
    split = frame(
        [
            {"parcel_id": "P1", "piece_id": "A", "transferee_grade": "B", "geometry": rect(0, 0, 150, 100)},
            {"parcel_id": "P1", "piece_id": "B", "transferee_grade": "B", "geometry": rect(150, 0, 200, 100)},
        ]
    )
    merge = pd.DataFrame({"group_id": ["G1", "G1"], "parcel_id": ["P2", "P3"]})
    return landtool.check(parcels_frame(), split_plan=split, merge_plan=merge, policy="tiantai", as_of="2023-06-01")


@pytest.fixture(scope="module")
def workbooks(result, tmp_path_factory):
    """The XLSX of ``result`` in zh and en, read back."""
    folder = tmp_path_factory.mktemp("report")
    return {lang: openpyxl.load_workbook(write_report(result, folder / f"r_{lang}.xlsx", lang=lang)) for lang in ("zh", "en")}


def rows_of(ws) -> list[dict]:
    """A sheet whose table starts at row 1, as dicts keyed by header."""
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def summary_of(ws) -> dict:
    """The parts of a summary sheet: title, notes, counts (by rule id), totals, run record, inputs."""
    rows = list(ws.iter_rows(values_only=True))
    header_at = int(ws.freeze_panes[1:]) - 2
    header = rows[header_at]
    end = next(i for i in range(header_at + 1, len(rows)) if rows[i][1] is None)
    counts = [dict(zip(header, r, strict=True)) for r in rows[header_at + 1 : end]]
    totals = rows[end]
    blocks = rows[end + 2 :]
    record_end = next(i for i, r in enumerate(blocks) if all(v is None for v in r))
    record = {r[0]: r[1] for r in blocks[1:record_end]}
    inputs_header = blocks[record_end + 2]
    inputs = []
    for r in blocks[record_end + 3 :]:
        if all(v is None for v in r):
            break
        inputs.append({h: v for h, v in zip(inputs_header, r, strict=True) if h is not None})
    return {"title": rows[0][0], "notes": [r[0] for r in rows[1:header_at] if r[0]], "counts": counts, "totals": totals, "record": record,
            "inputs": inputs, "rest": blocks[record_end + 3 + len(inputs) :]}


# --------------------------------------------------------------------------- the check


def test_the_check_gives_what_the_report_tests_assume(result):
    table = result.table
    fails = table[table["status"] == "fail"]
    assert set(zip(fails["subject_id"], fails["rule"], strict=True)) == {
        ("P1", "indicator.far_max"), ("B", "split.min_piece_area"), ("G1", "merge.adjacent"), ("P2", "efficiency.benchmark"),
    }
    assert result.pack.rules["efficiency.benchmark"].kind == "info"
    assert result.parcels.set_index("parcel_id")["status"].to_dict() == {"P1": "fail", "P2": "insufficient_data", "P3": "insufficient_data", "P4": "not_applicable"}
    assert (result.issues["problem"] == "area_mismatch").sum() == 1


# --------------------------------------------------------------------------- sheets and headers


def test_sheet_names_and_headers_zh(workbooks):
    wb = workbooks["zh"]
    assert wb.sheetnames == SHEETS_ZH  # no fringe application: no fringe sheet
    assert [c.value for c in wb["宗地"][1]] == PARCEL_HEADERS_ZH
    assert [c.value for c in wb["不通过"][1]] == VERDICT_HEADERS_ZH
    assert [c.value for c in wb["数据缺失"][1]] == ["规则", "对象类型", "缺少的数据", "数量", "涉及对象"]
    proposal = [*VERDICT_HEADERS_ZH[:6], "结论", *VERDICT_HEADERS_ZH[6:]]
    assert [c.value for c in wb["分割"][1]] == proposal and [c.value for c in wb["合并"][1]] == proposal
    assert [c.value for c in wb["数据质量"][1]] == ["图层", "要素编号", "源要素序号", "问题", "详情", "涉及面积（平方米）"]
    summary = summary_of(wb["汇总"])
    assert list(summary["counts"][0]) == ["规则编号", "规则", "规则类型", "通过", "不通过", "不适用", "数据不足", "合计"]
    assert list(summary["inputs"][0]) == ["数据", "路径", "要素数", "坐标系", "大小（字节）", "校验值"]


def test_sheet_names_and_headers_en(workbooks):
    wb = workbooks["en"]
    assert wb.sheetnames == SHEETS_EN
    assert [c.value for c in wb["Parcels"][1]] == PARCEL_HEADERS_EN
    assert [c.value for c in wb["Failures"][1]] == VERDICT_HEADERS_EN
    assert [c.value for c in wb["Missing data"][1]] == ["rule", "subject", "missing data", "count", "subjects"]
    assert [c.value for c in wb["Issues"][1]] == ["layer", "feature id", "source fid", "problem", "detail", "area concerned (m²)"]
    summary = summary_of(wb["Summary"])
    assert list(summary["counts"][0]) == ["rule id", "rule", "kind", "pass", "fail", "not applicable", "insufficient data", "total"]
    assert list(summary["inputs"][0]) == ["data", "path", "features", "CRS", "size (bytes)", "SHA-256"]


def test_fringe_sheet_only_with_fringe_verdicts(result, tmp_path):
    table = result.table.copy()
    table["subject"] = table["subject"].astype(object)  # a code column: categorical
    table.loc[table["subject"] == "merge_group", "subject"] = "fringe"
    wb = openpyxl.load_workbook(write_report(dataclasses.replace(result, table=table), tmp_path / "r.xlsx"))
    assert wb.sheetnames == ["汇总", "宗地", "不通过", "数据缺失", "分割", "零星地块", "数据质量"]
    assert len(rows_of(wb["零星地块"])) == (result.table["subject"] == "merge_group").sum()


# --------------------------------------------------------------------------- summary


def test_summary_table_counts(result):
    table = summary_table(result).set_index("rule")
    assert list(table.columns) == ["kind", *STATUSES, "total"]
    assert table.loc["indicator.far_max", list(STATUSES)].tolist() == [1, 1, 1, 1]  # P2, P1, P4, P3
    assert table.loc["indicator.far_max", ["kind", "total"]].tolist() == ["requirement", 4]
    assert table.loc["split.min_piece_area", list(STATUSES)].tolist() == [1, 1, 0, 0]
    assert table.loc["efficiency.benchmark", ["kind", "pass", "fail"]].tolist() == ["info", 1, 1]
    assert table["total"].sum() == len(result.table)
    assert list(table.index) == [r for r in RULE_IDS if r in set(result.table["rule"])]


def test_summary_sheet_zh(result, workbooks):
    summary = summary_of(workbooks["zh"]["汇总"])
    assert summary["title"] == "landtool 核查报告：tiantai（天政发〔2022〕1号），检查日期 2023-06-01，4 宗宗地"
    assert summary["notes"] == []  # a current pack, the user's own data
    far = next(r for r in summary["counts"] if r["规则编号"] == "indicator.far_max")
    assert far == {"规则编号": "indicator.far_max", "规则": "容积率上限", "规则类型": "要求", "通过": 1, "不通过": 1, "不适用": 1, "数据不足": 1, "合计": 4}
    benchmark = next(r for r in summary["counts"] if r["规则编号"] == "efficiency.benchmark")
    assert (benchmark["规则"], benchmark["规则类型"], benchmark["不通过"]) == ("亩均税收基准", "信息", 1)
    assert [r["规则编号"] for r in summary["counts"]] == summary_table(result)["rule"].tolist()
    counts = result.table["status"].value_counts()
    assert summary["totals"] == ("合计", None, None, *(int(counts.get(s, 0)) for s in STATUSES), len(result.table))
    record = summary["record"]
    assert record["landtool 版本"] == landtool.__version__
    assert (record["政策包"], record["政策文件"], record["检查日期"]) == ("tiantai", "天政发〔2022〕1号", "2023-06-01")
    assert record["政策名称"] == result.pack.title["zh"]
    assert record["政策有效期"] == "2022-02-20 至 2023-12-31"
    assert (record["检查语言"], record["报告语言"], record["检查的是内置示例数据"]) == ("中文", "中文", "否")
    assert (record["宗地数"], record["结论数"]) == (4, len(result.table))
    assert record["命令"] == "landtool.check(...)" and record["检查时间"] == result.run["created"]
    assert [(i["数据"], i["路径"], i["要素数"], i["坐标系"]) for i in summary["inputs"]] == [
        ("宗地图层", "<GeoDataFrame>", 4, "EPSG:4549"), ("分割方案", "<GeoDataFrame>", 2, "EPSG:4549"), ("合并方案", "<DataFrame>", 2, None),
    ]


def test_summary_warnings_in_the_report_language(result, tmp_path):
    # as of 2024: the pack (valid until 2023-12-31) has expired
    late = landtool.check(parcels_frame(), policy="tiantai", as_of="2024-03-01")
    for lang, expected in (("zh", "提示：政策包 tiantai（天政发〔2022〕1号）已于 2023-12-31 失效；仍按 2024-03-01 检查"), ("en", "Note: ")):
        summary = summary_of(openpyxl.load_workbook(write_report(late, tmp_path / f"late_{lang}.xlsx", lang=lang)).worksheets[0])
        assert summary["notes"][0].startswith(expected)
        assert summary["notes"][0] == ("提示：" if lang == "zh" else "Note: ") + late.warnings[0].render(lang)
    assert "2023-12-31" in late.warnings[0].render("en")


# --------------------------------------------------------------------------- per parcel


def test_per_parcel_rows_zh(workbooks):
    rows = rows_of(workbooks["zh"]["宗地"])
    # failing first, then insufficient data, pass, not applicable; by id within each
    assert [r["宗地代码"] for r in rows] == ["P1", "P2", "P3", "P4"]
    p1, p2, p3, p4 = rows
    assert (p1["权利人"], p1["土地用途"], p1["面积（平方米）"], p1["面积（亩）"], p1["综合结论"]) == ("甲公司", "工业用地", 20000, 30, "不通过")
    assert p1["不通过的规则"] == "容积率上限"
    assert p1["数据不足的规则"] == "建筑限高、建筑密度上限、配套用地比例"
    assert p1["缺少的数据"] == "建筑高度（height_m）或房屋（幢）图层或建筑高度栅格；房屋（幢）图层；配套用地图层"
    assert (p1["容积率"], p1["建筑高度（米）"]) == (1.5, None)
    # a 10 000 m² parcel is 15 mu; its benchmark fail is information only
    assert (p2["面积（平方米）"], p2["面积（亩）"], p2["综合结论"], p2["不通过的规则"], p2["容积率"]) == (10000, 15, "数据不足", None, 0.5)
    assert p3["数据不足的规则"] == "容积率上限、建筑限高、建筑密度上限、配套用地比例、低效用地认定"  # no tax figures either
    assert p3["缺少的数据"].startswith("总建筑面积（gfa_m2）或房屋（幢）图层；")
    assert p3["容积率"] is None
    assert (p4["土地用途"], p4["面积（亩）"], p4["综合结论"], p4["数据不足的规则"]) == ("商业用地", 15, "不适用", None)


def test_per_parcel_rows_en(workbooks):
    p1 = rows_of(workbooks["en"]["Parcels"])[0]
    assert (p1["parcel id"], p1["area (mu)"], p1["Overall status"], p1["failed rules"]) == ("P1", 30, "fail", "Maximum FAR")
    assert p1["rules with insufficient data"] == "Height limit, Maximum density, Facility land share"
    assert p1["missing data"] == "building height (height_m) or buildings layer or building-height raster; buildings layer; facility-land layer"


def test_status_cells_in_the_map_colours(workbooks):
    ws = workbooks["zh"]["宗地"]
    status = {c.value: c.font.color.rgb[-6:].lower() for c in ws["F"][1:]}
    assert status == {"不通过": "d7263d", "数据不足": "f0a30a", "不适用": "9e9e9e"}


# --------------------------------------------------------------------------- failures


def test_failures_are_requirement_fails_only(result, workbooks):
    rows = rows_of(workbooks["zh"]["不通过"])
    # the information rule's fail (P2 benchmark) is not a failure to file
    assert [(r["对象类型"], r["对象编号"], r["规则"]) for r in rows] == [("宗地", "P1", "容积率上限"), ("分割宗地", "B", "分割后最小面积"), ("合并方案", "G1", "合并地块相邻")]
    far, piece, merge = rows
    assert (far["宗地代码"], far["权利人"], far["面积（亩）"], far["实际值"], far["限值"], far["单位"], far["余量"], far["条款"]) == (
        "P1", "甲公司", 30, 1.5, 1.1, None, -8000, FAR_CLAUSE
    )
    assert far["说明"] == "容积率 1.5 超过政策限值 1.1；该限值为“原则上”，经特别批准仍可允许"
    assert far["解释口径"] == result.pack.rules["indicator.far_max"].interpretation_text("zh")
    # the piece of P1: the owner and area are P1's
    assert (piece["宗地代码"], piece["权利人"], piece["面积（亩）"], piece["实际值"], piece["限值"], piece["单位"], piece["余量"]) == (
        "P1", "甲公司", 30, 5000, 6666.67, "平方米", -1666.67
    )
    assert piece["说明"] == "分割宗地面积 5,000.00 平方米（7.5 亩）< 6,666.67 平方米（10 亩）"
    assert (merge["实际值"], merge["限值"], merge["条款"]) == (2, 1, TRANSFER_CLAUSE)
    en = rows_of(workbooks["en"]["Failures"])
    assert [r["rule"] for r in en] == ["Maximum FAR", "Minimum piece area", "Merged parcels adjacent"]
    assert en[1]["unit"] == "m²" and en[0]["explanation"].startswith("FAR 1.5 ")


def test_a_failure_without_numbers_has_no_unit(tmp_path):
    """The sample's parcels on the expropriation plan fail landuse.retain_industrial with no
    value or limit: the unit cell stays empty rather than saying 平方米 beside nothing."""
    path = tmp_path / "sample.xlsx"
    write_report(landtool.check(as_of="2023-06-30"), path, lang="zh")
    rows = [r for r in rows_of(openpyxl.load_workbook(path)["不通过"]) if r["规则"] == "保留工业用途"]
    assert rows and all((r["实际值"], r["限值"], r["单位"]) == (None, None, None) for r in rows)


# --------------------------------------------------------------------------- missing data


def test_missing_data_counts(result, workbooks):
    rows = {(r["规则"], r["对象类型"], r["缺少的数据"]): (r["数量"], r["涉及对象"]) for r in rows_of(workbooks["zh"]["数据缺失"])}
    assert rows[("容积率上限", "宗地", "总建筑面积（gfa_m2）或房屋（幢）图层")] == (1, "P3")
    assert rows[("建筑限高", "宗地", "建筑高度（height_m）或房屋（幢）图层或建筑高度栅格")] == (3, "P1、P2、P3")
    assert rows[("配套用地比例", "宗地", "配套用地图层")] == (3, "P1、P2、P3")
    assert rows[("建筑物不被分割", "分割方案", "房屋（幢）图层")] == (1, "P1")
    assert rows[("受让方条件", "合并方案", "受让方亩均评价等级（transferee_grade）")] == (1, "G1")
    # P3 has no tax figures: one verdict of the benchmark (an information rule) lacks them
    assert rows[("亩均税收基准", "宗地", "税收（万元）（tax_10k）或增加值（万元）（value_added_10k）")] == (1, "P3")
    # each insufficient_data verdict is counted once
    assert sum(count for count, _ in rows.values()) == (result.table["status"] == "insufficient_data").sum()
    rules = [r["规则"] for r in rows_of(workbooks["zh"]["数据缺失"])]
    assert rules.index("容积率上限") < rules.index("建筑限高") < rules.index("受让方条件")  # parcels first, catalogue order


def test_missing_data_lists_a_few_ids_then_the_count(result, tmp_path):
    # 25 parcels without floor area: 10 ids, then "… 25 in all"
    many = frame([{"parcel_id": f"Q{i:02d}", "land_use": "工业用地", "geometry": rect(200 * i, 0, 200 * i + 100, 100), **CLEAN} for i in range(25)])
    run = landtool.check(many, policy="tiantai", as_of="2023-06-01")
    rows = rows_of(openpyxl.load_workbook(write_report(run, tmp_path / "m.xlsx", lang="en"))["Missing data"])
    far = next(r for r in rows if r["rule"] == "Maximum FAR")
    assert far["count"] == 25
    assert far["subjects"] == ", ".join(f"Q{i:02d}" for i in range(10)) + " and others, 25 in all"


def test_insufficient_verdict_without_missing_arg_is_described_by_its_sentence(result, tmp_path):
    table = result.table.copy()
    table["args"] = table["args"].astype(object)  # a code column: categorical
    at = table.index[(table["subject_id"] == "P3") & (table["rule"] == "indicator.far_max")][0]
    table.loc[at, "args"] = '{"what": "far"}'  # a rule that did not say what it lacks
    rows = rows_of(openpyxl.load_workbook(write_report(dataclasses.replace(result, table=table), tmp_path / "r.xlsx"))["数据缺失"])
    far = next(r for r in rows if r["规则"] == "容积率上限")
    assert far["缺少的数据"].startswith("无法计算容积率：缺少") and far["数量"] == 1


# --------------------------------------------------------------------------- proposals, issues


def test_proposal_sheets(result, workbooks):
    split = rows_of(workbooks["zh"]["分割"])
    assert len(split) == result.table["subject"].isin(["split_plan", "split_piece"]).sum()
    assert {r["对象类型"] for r in split} == {"分割方案", "分割宗地"}
    assert {(r["对象编号"], r["结论"]) for r in split if r["规则"] == "分割后最小面积"} == {("A", "通过"), ("B", "不通过")}
    merge = rows_of(workbooks["zh"]["合并"])
    assert len(merge) == (result.table["subject"] == "merge_group").sum() and {r["对象编号"] for r in merge} == {"G1"}


def test_issues_sheet(workbooks):
    (issue,) = rows_of(workbooks["zh"]["数据质量"])
    assert (issue["图层"], issue["要素编号"], issue["源要素序号"], issue["问题"], issue["涉及面积（平方米）"]) == ("宗地图层", "P2", 2, "面积与证载不符", 1000)
    assert issue["详情"].startswith("量算面积 10,000.00 平方米，证载面积 9,000.00 平方米，相差 +1,000.00 平方米")
    (en,) = rows_of(workbooks["en"]["Issues"])
    assert (en["layer"], en["problem"]) == ("parcels layer", "area differs from the registered area")
    assert en["detail"].startswith("measured 10,000.00 m², registered 9,000.00 m²: +1,000.00 m²")


# --------------------------------------------------------------------------- every sheet


def test_every_sheet_has_filter_frozen_header_and_print_setup(workbooks, compare_workbook):
    for wb in (*workbooks.values(), compare_workbook):
        for ws in wb:
            header = int(ws.freeze_panes[1:]) - 1
            assert ws.freeze_panes == f"A{header + 1}", ws.title
            assert all(c.font.bold for c in ws[header] if c.value is not None), ws.title
            first, last = ws.auto_filter.ref.split(":")
            assert first == f"A{header}", ws.title
            assert re.sub(r"\d", "", last) == openpyxl.utils.get_column_letter(sum(1 for c in ws[header] if c.value is not None)), ws.title
            assert ws.page_setup.orientation == "landscape", ws.title
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
            assert ws.print_title_rows == f"${header}:${header}", ws.title
            assert all(6 <= d.width <= 60 for d in ws.column_dimensions.values()), ws.title


def test_filter_covers_the_rows_but_not_the_totals(workbooks):
    ws = workbooks["zh"]["宗地"]
    assert ws.auto_filter.ref == "A1:K5"  # header + 4 parcels
    summary = workbooks["zh"]["汇总"]
    header = int(summary.freeze_panes[1:]) - 1
    rules = len(summary_of(summary)["counts"])
    assert summary.auto_filter.ref == f"A{header}:H{header + rules}"
    assert summary.cell(header + rules + 1, 1).value == "合计"


def test_widths_follow_the_content(workbooks):
    ws = workbooks["zh"]["宗地"]
    # "宗地代码" is 8 wide (CJK count twice), ids 2: width 8 + 2
    assert ws.column_dimensions["A"].width == 10
    assert ws.column_dimensions["I"].width == 50  # the missing data wraps at 50
    assert ws["I2"].alignment.wrap_text
    # P1's missing data (80 wide) takes two lines of the 50-wide column; P4 needs one
    assert ws.row_dimensions[2].height == 30 and ws.row_dimensions[5].height is None
    interpretation = workbooks["zh"]["不通过"]["M2"]
    lines = interpretation.parent.row_dimensions[2].height / 15
    assert lines >= len(interpretation.value) * 2 / 50  # a long text: as many lines as it needs


# --------------------------------------------------------------------------- cell safety and numbers


def test_text_that_looks_like_a_formula_stays_text(result, tmp_path):
    parcels = result.parcels.copy()
    owners = {"P1": '=HYPERLINK("http://x")', "P2": "-1+2", "P3": "@SUM(A1)", "P4": "丁\x07公司\x00"}
    parcels["owner"] = parcels["parcel_id"].map(owners)
    table = result.table.copy()
    table.loc[table["subject_id"] == "B", "subject_id"] = "+B"
    wb = openpyxl.load_workbook(write_report(dataclasses.replace(result, parcels=parcels, table=table), tmp_path / "r.xlsx"))
    cells = {c.value: c for c in wb["宗地"]["B"][1:]}
    assert set(cells) == {'=HYPERLINK("http://x")', "-1+2", "@SUM(A1)", "丁公司"}  # illegal XML characters removed
    for value in ('=HYPERLINK("http://x")', "-1+2", "@SUM(A1)"):
        assert cells[value].data_type == "s", value
        assert cells[value].quotePrefix, value  # editing the cell keeps it text
    assert not cells["丁公司"].quotePrefix
    failures = {c.value: c for c in wb["不通过"]["D"][1:]}  # the owner of P1 on its failures
    assert failures['=HYPERLINK("http://x")'].data_type == "s"
    piece = next(c for c in wb["不通过"]["B"] if c.value == "+B")
    assert piece.data_type == "s"
    assert not any(c.data_type == "f" for ws in wb for row in ws.iter_rows() for c in row)


def test_numbers_are_rounded_as_displayed(result, tmp_path):
    table = result.table.copy()
    piece = (table["subject_id"] == "B") & (table["rule"] == "split.min_piece_area")
    far = (table["subject_id"] == "P1") & (table["rule"] == "indicator.far_max")
    table.loc[piece, ["value", "headroom"]] = [331.4900000000016, -6335.180000000001]
    table.loc[far, "value"] = 1.2345678912
    parcels = result.parcels.copy()
    parcels.loc[parcels["parcel_id"] == "P1", ["area_m2", "area_mu", "far"]] = [20000.004999999, 30.0000074999, 1.50000049]
    wb = openpyxl.load_workbook(write_report(dataclasses.replace(result, table=table, parcels=parcels), tmp_path / "r.xlsx"))
    fails = {r["对象编号"]: r for r in rows_of(wb["不通过"])}
    assert (fails["B"]["实际值"], fails["B"]["余量"], fails["B"]["限值"]) == (331.49, -6335.18, 6666.67)
    assert fails["P1"]["实际值"] == 1.234568  # ratios at 6 decimals
    p1 = rows_of(wb["宗地"])[0]
    assert (p1["面积（平方米）"], p1["面积（亩）"], p1["容积率"]) == (20000, 30, 1.5)
    ws = wb["不通过"]
    formats = {ws.cell(1, c).value: ws.cell(3, c).number_format for c in range(1, 11)}
    assert formats["实际值"] == formats["限值"] == "#,##0.00"  # m²: 0.01
    assert ws.cell(2, 7).number_format == "#,##0.00####"  # a ratio: up to 6 decimals
    parcel_formats = [c.number_format for c in wb["宗地"][2]]
    assert parcel_formats[3:5] == ["#,##0.00", "#,##0.00##"] and parcel_formats[9] == "#,##0.00####"


def test_rows_beyond_the_sheet_limit_are_counted_in_a_note(result, tmp_path, monkeypatch):
    import landtool.xlsx

    monkeypatch.setattr(landtool.xlsx, "EXCEL_MAX_ROWS", 4)  # header + 2 rows + the note
    ws = openpyxl.load_workbook(write_report(result, tmp_path / "r.xlsx", lang="en"))["Parcels"]
    values = [r[0] for r in ws.iter_rows(values_only=True)]
    assert values == ["parcel id", "P1", "P2", "… 2 more rows not listed (beyond the sheet's row limit): see the GeoPackage or the JSON"]


# --------------------------------------------------------------------------- languages


def _data_texts(result) -> list[str]:
    """What an English report may show in Chinese: data values, clauses and the pack's texts."""
    parcels = result.parcels
    texts = {*parcels["owner"].dropna(), *parcels["land_use"].dropna(), result.pack.document}
    for rule in result.pack.rules.values():
        texts |= {rule.clause, rule.interpretation_text("en") or ""}
    return sorted((t for t in texts if t), key=len, reverse=True)


def test_english_workbook_has_no_chinese_but_data(result, workbooks):
    allowed = _data_texts(result)
    found = []
    for ws in workbooks["en"]:
        assert not CJK.search(ws.title)
        for row in ws.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str) and CJK.search(value):
                    rest = value
                    for text in allowed:
                        rest = rest.replace(text, "")
                    if CJK.search(rest):
                        found.append((ws.title, value))
    assert found == []
    assert any("甲公司" in str(v) for row in workbooks["en"]["Parcels"].iter_rows(values_only=True) for v in row)  # data stays


def test_chinese_workbook_headers_are_chinese(workbooks):
    for ws in workbooks["zh"]:
        header = int(ws.freeze_panes[1:]) - 1
        for cell in ws[header]:
            if cell.value is not None:
                assert CJK.search(cell.value), (ws.title, cell.value)


def test_report_from_a_saved_geopackage_in_the_other_language(result, workbooks, tmp_path):
    saved = read_geopackage(write_geopackage(result, tmp_path / "run.gpkg"))  # a zh run
    assert saved.lang == "zh" and "explanation" not in saved.table
    en = openpyxl.load_workbook(write_report(saved, tmp_path / "again.xlsx", lang="en"))
    assert en.sheetnames == SHEETS_EN
    direct = workbooks["en"]
    for name in ("Parcels", "Failures", "Missing data", "Split", "Merge"):
        assert rows_of(en[name]) == rows_of(direct[name]), name
    assert rows_of(en["Failures"])[0]["explanation"].startswith("FAR 1.5 exceeds")
    record = summary_of(en["Summary"])["record"]
    assert (record["language of the check"], record["language of the report"], record["policy pack"]) == ("Chinese", "English", "tiantai")


# --------------------------------------------------------------------------- compare


def _compare_sides():
    parcels = frame(
        [
            # FAR 1.2: tiantai fails (1.1), yuhuan has no FAR limit here and passes
            {"parcel_id": "A", "land_use": "工业用地", "owner": "甲公司", "gfa_m2": 12_000.0, "height_m": 30.0, "geometry": rect(0, 0, 100, 100)},
            {"parcel_id": "B", "land_use": "工业用地", "owner": "乙公司", "gfa_m2": 9_000.0, "height_m": 20.0, "geometry": rect(100, 0, 200, 100)},
        ]
    )
    a = landtool.check(parcels, policy="tiantai", as_of="2023-06-30")
    b = landtool.check(parcels, policy="yuhuan", as_of="2023-06-30")
    return a, b, compare_results(a, b)


@pytest.fixture(scope="module")
def compare_case():
    return _compare_sides()


@pytest.fixture(scope="module")
def compare_workbook(compare_case, tmp_path_factory):
    _, b, differences = compare_case
    return openpyxl.load_workbook(write_report(b, tmp_path_factory.mktemp("cmp") / "cmp.xlsx", lang="zh", compare=differences))


def test_compare_report(compare_case, compare_workbook):
    _, _, differences = compare_case
    wb = compare_workbook
    assert wb.sheetnames == ["汇总", "结论变化", "宗地", "不通过", "数据缺失", "数据质量"]
    rows = rows_of(wb["结论变化"])
    assert len(rows) == len(differences)
    far = next(r for r in rows if r["对象编号"] == "A" and r["规则"] == "容积率上限")
    side = lambda column, label: f"{column}（{label}）"
    a, b = "tiantai@2023-06-30", "yuhuan@2023-06-30"
    assert far["变化类型"] == "由不通过变为通过"
    assert (far[side("结论", a)], far[side("实际值", a)], far[side("限值", a)]) == ("不通过", 1.2, 1.1)
    assert far[side("结论", b)] == "通过"
    assert far[side("说明", a)].startswith("容积率 1.2 超过政策限值 1.1")
    assert far["宗地代码"] == "A" and far["单位"] is None
    # the counts by kind, under the summary
    rest = summary_of(wb["汇总"])["rest"]
    heading = next(i for i, r in enumerate(rest) if r[0] and str(r[0]).startswith("结论变化："))
    assert rest[heading][0] == f"结论变化：{a} → {b}，共 {len(differences)} 条"
    assert rest[heading + 1][:4] == ("变化类型", "对象类型", "结论数", "对象数")
    kinds = {r[0]: r[1:4] for r in rest[heading + 2 :] if r[0]}
    assert kinds["由不通过变为通过"] == ("宗地", 1, 1)
    assert sum(v[1] for v in kinds.values()) == len(differences)


def test_compare_csv_holds_the_changes(compare_case, tmp_path):
    _, b, differences = compare_case
    differences = differences.copy()
    differences.loc[0, "subject_id"] = "=cmd|' /C calc'!A0"
    path = write_report(b, tmp_path / "changes.csv", lang="en", compare=differences)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    assert list(table.columns[:5]) == ["change", "subject", "subject id", "parcel id", "rule"]
    assert len(table) == len(differences)
    assert table.loc[0, "subject id"] == "'=cmd|' /C calc'!A0"  # a spreadsheet will not run it
    assert "fail → pass" in set(table["change"])


# --------------------------------------------------------------------------- CSV, errors


def test_csv_summary(result, tmp_path):
    path = write_report(result, tmp_path / "summary.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    table = pd.read_csv(path, encoding="utf-8-sig")
    assert list(table.columns) == ["规则编号", "规则", "规则类型", "通过", "不通过", "不适用", "数据不足", "合计"]
    far = table.set_index("规则编号").loc["indicator.far_max"]
    assert far[["规则", "规则类型"]].tolist() == ["容积率上限", "要求"]
    assert far[["通过", "不通过", "不适用", "数据不足", "合计"]].tolist() == [1, 1, 1, 1, 4]
    assert table.iloc[-1]["规则编号"] == "合计" and table.iloc[-1]["合计"] == len(result.table)
    assert len(table) == len(summary_table(result)) + 1
    en = pd.read_csv(write_report(result, tmp_path / "summary_en.csv", lang="en"), encoding="utf-8-sig")
    assert list(en.columns) == ["rule id", "rule", "kind", "pass", "fail", "not applicable", "insufficient data", "total"]
    assert en.set_index("rule id").loc["efficiency.benchmark", ["rule", "kind", "fail"]].tolist() == ["Per-mu tax benchmark", "information", 1]


def test_bad_suffix_and_language(result, tmp_path):
    with pytest.raises(InputError) as bad_suffix:
        write_report(result, tmp_path / "report.ods")
    assert bad_suffix.value.code == "report_suffix"
    with pytest.raises(InputError) as bad_lang:
        write_report(result, tmp_path / "report.xlsx", lang="fr")
    assert bad_lang.value.code == "bad_lang"
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file left


def test_written_atomically(result, tmp_path):
    path = write_report(result, tmp_path / "报告.xlsx")
    assert path == tmp_path / "报告.xlsx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报告.xlsx"]
