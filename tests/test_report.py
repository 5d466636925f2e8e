"""XLSX and CSV reports (landtool.report): real counts, the failures a bureau files, the
proposal sheets, both languages. Frames are built in code in EPSG:4549 (see conftest)."""

from __future__ import annotations

import dataclasses

import openpyxl
import pandas as pd
import pytest
from conftest import frame, rect

import landtool
from landtool.errors import InputError
from landtool.policy import RULE_IDS
from landtool.report import summary_table, write_report
from landtool.result import STATUSES

CLEAN = {"in_production": True, "from_split": False, "from_merge": False, "from_fringe": False, "industrial_real_estate": False, "standard_land": False}
FAR_CLAUSE = "天政发〔2022〕1号 四（五）"
TRANSFER_CLAUSE = "天政发〔2022〕1号 四（八）"


@pytest.fixture(scope="module")
def result():
    """tiantai, outside every zone: FAR ≤ 1.1 without a planning condition.

    P1 200 × 100 m, 30 000 m² floor area → FAR 1.5 fail; split into A 15 000 m² (pass)
    and B 5 000 m² (< 10 mu = 6 666.67 m²: fail).
    P2 FAR 0.5 pass; registered 9 000 m² against 10 000 m² measured → an area_mismatch issue.
    P3 no floor area → insufficient_data. P4 commercial → not_applicable.
    Merge group G1 = P2 + P3, 100 m apart → merge.adjacent fail.
    """
    parcels = frame(
        [
            {"parcel_id": "P1", "land_use": "工业用地", "owner": "甲公司", "gfa_m2": 30000.0, "geometry": rect(0, 0, 200, 100), **CLEAN},
            {"parcel_id": "P2", "land_use": "工业用地", "owner": "乙公司", "gfa_m2": 5000.0, "registered_area_m2": 9000.0, "geometry": rect(300, 0, 400, 100), **CLEAN},
            {"parcel_id": "P3", "land_use": "工业用地", "owner": "丙公司", "geometry": rect(500, 0, 600, 100), **CLEAN},
            {"parcel_id": "P4", "land_use": "商业用地", "owner": "丁公司", "gfa_m2": 1000.0, "geometry": rect(700, 0, 800, 100), **CLEAN},
        ]
    )
    split = frame(
        [
            {"parcel_id": "P1", "piece_id": "A", "transferee_grade": "B", "geometry": rect(0, 0, 150, 100)},
            {"parcel_id": "P1", "piece_id": "B", "transferee_grade": "B", "geometry": rect(150, 0, 200, 100)},
        ]
    )
    merge = pd.DataFrame({"group_id": ["G1", "G1"], "parcel_id": ["P2", "P3"]})
    return landtool.check(parcels, split_plan=split, merge_plan=merge, policy="tiantai", as_of="2023-06-01")


#: (subject_id, rule) → (clause, value, limit, unit in the zh report, headroom or None)
EXPECTED_FAILURES = {
    ("P1", "indicator.far_max"): (FAR_CLAUSE, 1.5, 1.1, "比值"),
    ("B", "split.min_piece_area"): (TRANSFER_CLAUSE, 5000.0, 6666.67, "平方米"),
    ("G1", "merge.adjacent"): (TRANSFER_CLAUSE, 2.0, 1.0, "个"),
}


def sheet_rows(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def summary_rows(ws) -> tuple[dict, list[dict]]:
    """The header block (label → value) and the table under it of a summary sheet."""
    rows = list(ws.iter_rows(values_only=True))
    blank = next(i for i, r in enumerate(rows) if i > 0 and all(v is None for v in r))
    block = {r[0]: r[1] for r in rows[1:blank]}
    header = rows[blank + 1]
    return block, [dict(zip(header, r, strict=True)) for r in rows[blank + 2 :]]


def test_the_check_gives_what_the_report_tests_assume(result):
    fails = result.verdicts[result.verdicts["status"] == "fail"]
    assert set(zip(fails["subject_id"], fails["rule"], strict=True)) == set(EXPECTED_FAILURES)
    assert (result.layers["issues"]["problem"] == "area_mismatch").sum() == 1


def test_summary_table_counts(result):
    table = summary_table(result).set_index("rule")
    assert list(table.columns) == ["kind", *STATUSES, "total"]
    # one verdict per parcel, one of each status
    assert table.loc["indicator.far_max", list(STATUSES)].tolist() == [1, 1, 1, 1]
    assert table.loc["indicator.far_max", "total"] == 4
    assert table.loc["indicator.far_max", "kind"] == "requirement"
    assert table.loc["split.min_piece_area", list(STATUSES)].tolist() == [1, 1, 0, 0]
    # transfer.transferee: once for the split plan (grade B: pass), once for the merge group (no grade)
    assert table.loc["transfer.transferee", list(STATUSES)].tolist() == [1, 0, 0, 1]
    assert table.loc["merge.adjacent", "fail"] == 1
    assert table["total"].sum() == len(result.verdicts)
    assert table["fail"].sum() == 3
    # catalogue order
    assert list(table.index) == [r for r in RULE_IDS if r in set(result.verdicts["rule"])]


def test_xlsx_zh(result, tmp_path):
    path = write_report(result, tmp_path / "报告.xlsx")
    assert path == tmp_path / "报告.xlsx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报告.xlsx"]  # no temporary file left
    wb = openpyxl.load_workbook(path)
    # no fringe application: no fringe sheet
    assert wb.sheetnames == ["汇总", "不通过", "分割", "合并", "数据质量"]

    block, table = summary_rows(wb["汇总"])
    assert block["政策包"] == "tiantai"
    assert block["政策文件"] == "天政发〔2022〕1号"
    assert block["检查日期"] == "2023-06-01"
    assert block["宗地数"] == 4
    assert block["结论数"] == len(result.verdicts)
    far = next(r for r in table if r["规则"] == "indicator.far_max")
    assert (far["规则名称"], far["规则类型"], far["通过"], far["不通过"], far["不适用"], far["数据不足"], far["合计"]) == ("容积率上限", "要求", 1, 1, 1, 1, 4)
    assert table[-1]["规则"] == "合计"
    assert table[-1]["不通过"] == 3 and table[-1]["合计"] == len(result.verdicts)
    assert [r["规则"] for r in table[:-1]] == summary_table(result)["rule"].tolist()

    ws = wb["不通过"]
    assert ws.freeze_panes == "A2"
    assert all(cell.font.bold for cell in ws[1])
    fails = sheet_rows(ws)
    assert len(fails) == len(EXPECTED_FAILURES)
    for row in fails:
        clause, value, limit, unit = EXPECTED_FAILURES[(row["对象编号"], row["规则"])]
        assert (row["结论"], row["条款"], row["实测值"], row["限值"], row["单位"]) == ("不通过", clause, value, limit, unit)
        assert row["说明"]
    piece = next(r for r in fails if r["对象编号"] == "B")
    assert (piece["对象类型"], piece["宗地代码"]) == ("分割地块", "P1")
    assert piece["余量"] == pytest.approx(5000 - 6666.67)
    assert "6,666.67" in piece["说明"]

    split = sheet_rows(wb["分割"])
    subjects = result.verdicts["subject"]
    assert len(split) == subjects.isin(["split_plan", "split_piece"]).sum() == 10
    assert {r["对象类型"] for r in split} == {"分割方案", "分割地块"}
    assert {(r["对象编号"], r["结论"]) for r in split if r["规则"] == "split.min_piece_area"} == {("A", "通过"), ("B", "不通过")}
    merge = sheet_rows(wb["合并"])
    assert len(merge) == (subjects == "merge_group").sum() == 6
    assert {r["对象编号"] for r in merge} == {"G1"}

    issues = sheet_rows(wb["数据质量"])
    assert [(r["图层"], r["要素编号"], r["问题"]) for r in issues] == [("parcels", "P2", "area_mismatch")]
    assert issues[0]["面积（平方米）"] == pytest.approx(1000.0)
    assert "geometry" not in issues[0]
    for ws in wb:
        assert ws.column_dimensions["A"].width >= 6


def test_xlsx_en(result, tmp_path):
    wb = openpyxl.load_workbook(write_report(result, tmp_path / "report.xlsx", lang="en"))
    assert wb.sheetnames == ["Summary", "Failures", "Split", "Merge", "Issues"]
    block, table = summary_rows(wb["Summary"])
    assert (block["policy pack"], block["as of"]) == ("tiantai", "2023-06-01")
    far = next(r for r in table if r["rule"] == "indicator.far_max")
    assert (far["pass"], far["fail"], far["not applicable"], far["insufficient data"], far["total"]) == (1, 1, 1, 1, 4)
    fails = sheet_rows(wb["Failures"])
    assert {(r["subject id"], r["rule"], r["clause"], r["status"]) for r in fails} == {
        (sid, rule, clause, "fail") for (sid, rule), (clause, *_) in EXPECTED_FAILURES.items()
    }
    assert next(r for r in fails if r["rule"] == "split.min_piece_area")["unit"] == "m²"
    assert [c.value for c in wb["Issues"][1]] == ["layer", "feature id", "source fid", "problem", "detail", "area (m²)"]


def test_fringe_sheet_only_with_fringe_verdicts(result, tmp_path):
    verdicts = result.verdicts.copy()
    verdicts.loc[verdicts["subject"] == "merge_group", "subject"] = "fringe"
    wb = openpyxl.load_workbook(write_report(dataclasses.replace(result, verdicts=verdicts), tmp_path / "r.xlsx"))
    assert wb.sheetnames == ["汇总", "不通过", "分割", "零星地块", "数据质量"]
    assert len(sheet_rows(wb["零星地块"])) == 6


def test_text_that_looks_like_a_formula_stays_text(result, tmp_path):
    verdicts = result.verdicts.copy()
    verdicts.loc[verdicts["subject_id"] == "B", "subject_id"] = '=HYPERLINK("http://x")'
    wb = openpyxl.load_workbook(write_report(dataclasses.replace(result, verdicts=verdicts), tmp_path / "r.xlsx"))
    cell = next(c for c in wb["不通过"]["B"] if c.value == '=HYPERLINK("http://x")')
    assert cell.data_type == "s"


def test_csv_summary(result, tmp_path):
    path = write_report(result, tmp_path / "summary.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    table = pd.read_csv(path, encoding="utf-8-sig")
    assert list(table.columns) == ["规则", "规则名称", "规则类型", "通过", "不通过", "不适用", "数据不足", "合计"]
    far = table.set_index("规则").loc["indicator.far_max"]
    assert far[["通过", "不通过", "不适用", "数据不足", "合计"]].tolist() == [1, 1, 1, 1, 4]
    assert table.iloc[-1]["规则"] == "合计"
    assert table.iloc[-1]["合计"] == len(result.verdicts) and table.iloc[-1]["不通过"] == 3
    assert len(table) == len(summary_table(result)) + 1

    en = pd.read_csv(write_report(result, tmp_path / "summary_en.csv", lang="en"), encoding="utf-8-sig")
    assert list(en.columns) == ["rule", "rule name", "kind", "pass", "fail", "not applicable", "insufficient data", "total"]
    assert en.set_index("rule").loc["split.min_piece_area", ["pass", "fail"]].tolist() == [1, 1]


def test_bad_suffix_and_language(result, tmp_path):
    with pytest.raises(InputError, match=r"\.xlsx or \.csv"):
        write_report(result, tmp_path / "report.ods")
    with pytest.raises(InputError, match="--lang"):
        write_report(result, tmp_path / "report.xlsx", lang="fr")
    assert list(tmp_path.iterdir()) == []
