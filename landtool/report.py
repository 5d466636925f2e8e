"""Reports of a check for people who work in spreadsheets: XLSX and CSV.

``write_report(result, "report.xlsx")`` writes a workbook with

* **汇总 / Summary** — a header block (policy pack id, document, title, as-of date,
  counts of parcels and verdicts, warnings), then one row per rule (in the order of
  :data:`landtool.policy.RULE_IDS`, rules that appear only) with its counts per status
  and a totals row;
* **不通过 / Failures** — every ``fail`` verdict with its clause, value, limit, unit,
  headroom and explanation: what a bureau files with a decision;
* one sheet per proposal type present — **分割 / Split** (subjects ``split_plan`` and
  ``split_piece``), **合并 / Merge** (``merge_group``), **零星地块 / Fringe**
  (``fringe`` and ``host``) — with every verdict on the proposal, whatever its status;
* **数据质量 / Issues** — the ``issues`` layer without its geometry.

``write_report(result, "summary.csv")`` writes **the summary table only** (one row per
rule with its counts per status, then a totals row) — the XLSX holds everything. The CSV
is UTF-8 with a byte-order mark so that Excel opens Chinese text correctly.

Headers, statuses, subjects and units are in ``lang`` (``zh`` or ``en``); the
explanations stay in the language the check was run in. Files are written atomically.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from landtool import __version__
from landtool.errors import InputError
from landtool.labels import RULE_NAMES, STATUS_COLORS, STATUS_LABELS
from landtool.output import atomic_path
from landtool.policy import RULE_IDS
from landtool.result import STATUSES, CheckResult

__all__ = ["PROPOSAL_SUBJECTS", "summary_table", "write_report"]

#: Proposal sheets: key → verdict subjects shown on that sheet.
PROPOSAL_SUBJECTS = {
    "split": ("split_plan", "split_piece"),
    "merge": ("merge_group",),
    "fringe": ("fringe", "host"),
}

_SHEETS = {
    "zh": {"summary": "汇总", "failures": "不通过", "split": "分割", "merge": "合并", "fringe": "零星地块", "issues": "数据质量"},
    "en": {"summary": "Summary", "failures": "Failures", "split": "Split", "merge": "Merge", "fringe": "Fringe", "issues": "Issues"},
}

_HEADERS = {
    "zh": {
        "subject": "对象类型",
        "subject_id": "对象编号",
        "parcel_id": "宗地代码",
        "rule": "规则",
        "rule_name": "规则名称",
        "kind": "规则类型",
        "status": "结论",
        "value": "实测值",
        "limit": "限值",
        "unit": "单位",
        "headroom": "余量",
        "pack": "政策包",
        "clause": "条款",
        "explanation": "说明",
        "interpretation": "解释口径",
        "total": "合计",
        # issues
        "layer": "图层",
        "feature_id": "要素编号",
        "source_fid": "源要素序号",
        "problem": "问题",
        "detail": "详情",
        "value_m2": "面积（平方米）",
    },
    "en": {
        "subject": "subject",
        "subject_id": "subject id",
        "parcel_id": "parcel id",
        "rule": "rule",
        "rule_name": "rule name",
        "kind": "kind",
        "status": "status",
        "value": "value",
        "limit": "limit",
        "unit": "unit",
        "headroom": "headroom",
        "pack": "pack",
        "clause": "clause",
        "explanation": "explanation",
        "interpretation": "interpretation",
        "total": "total",
        "layer": "layer",
        "feature_id": "feature id",
        "source_fid": "source fid",
        "problem": "problem",
        "detail": "detail",
        "value_m2": "area (m²)",
    },
}

_SUBJECTS = {
    "zh": {
        "parcel": "宗地",
        "split_plan": "分割方案",
        "split_piece": "分割地块",
        "merge_group": "合并方案",
        "fringe": "零星地块",
        "host": "受让宗地",
        "supply_year": "供地年度",
    },
    "en": {
        "parcel": "parcel",
        "split_plan": "split plan",
        "split_piece": "split piece",
        "merge_group": "merge group",
        "fringe": "fringe plot",
        "host": "host parcel",
        "supply_year": "supply year",
    },
}

_KINDS = {
    "zh": {"requirement": "要求", "incentive": "激励", "info": "信息", "amount": "金额"},
    "en": {"requirement": "requirement", "incentive": "incentive", "info": "information", "amount": "amount"},
}

_UNITS = {
    "zh": {
        "ratio": "比值",
        "m": "米",
        "m2": "平方米",
        "mu": "亩",
        "yuan": "元",
        "10k_yuan": "万元",
        "10k_yuan_per_mu": "万元/亩",
        "yuan_per_m2": "元/平方米",
        "count": "个",
        "year": "年",
    },
    "en": {"m2": "m²", "10k_yuan": "10k yuan", "10k_yuan_per_mu": "10k yuan/mu", "yuan_per_m2": "yuan/m²", "year": "years"},
}

_BLOCK = {
    "zh": {
        "title": "landtool 检查汇总（腾笼换鸟、凤凰涅槃 工业用地政策）",
        "pack": "政策包",
        "document": "政策文件",
        "pack_title": "政策名称",
        "as_of": "检查日期",
        "parcels": "宗地数",
        "verdicts": "结论数",
        "warning": "提示",
        "version": "landtool 版本",
        "truncated": "……另有 {n} 行未列出（超出 Excel 行数上限），见 GeoPackage",
    },
    "en": {
        "title": "landtool check summary (腾笼换鸟、凤凰涅槃 industrial-land policies)",
        "pack": "policy pack",
        "document": "document",
        "pack_title": "title",
        "as_of": "as of",
        "parcels": "parcels",
        "verdicts": "verdicts",
        "warning": "warning",
        "version": "landtool version",
        "truncated": "… {n} more rows not listed (beyond Excel's row limit): see the GeoPackage",
    },
}

#: Verdict columns on the failures and proposal sheets, in order.
_VERDICT_SHEET_COLUMNS = [
    "subject",
    "subject_id",
    "parcel_id",
    "rule",
    "rule_name",
    "kind",
    "status",
    "value",
    "limit",
    "unit",
    "headroom",
    "clause",
    "explanation",
    "interpretation",
]
_ISSUE_COLUMNS = ["layer", "feature_id", "source_fid", "problem", "detail", "value_m2"]
_SUBJECT_ORDER = {s: i for i, s in enumerate(["parcel", "supply_year", "split_plan", "split_piece", "merge_group", "host", "fringe"])}
_RULE_ORDER = {r: i for i, r in enumerate(RULE_IDS)}

_EXCEL_MAX_ROWS = 1_048_576
_MIN_WIDTH, _MAX_WIDTH = 6, 60
_WRAP = {"explanation"}
#: Per workbook: (font, alignment, fill) → the style ids openpyxl registered for them.
_STYLE_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        msg = f"--lang: {lang!r} is not one of zh, en"
        raise InputError(msg)


def _kind(result: CheckResult, rule_id: str) -> str:
    rule = getattr(result.pack, "rules", {}).get(rule_id)
    return "" if rule is None else rule.kind


def summary_table(result: CheckResult) -> pd.DataFrame:
    """Counts of verdicts per rule and status.

    One row per rule that has verdicts, in :data:`~landtool.policy.RULE_IDS` order (rules
    not in the catalogue after them, alphabetically); columns ``rule``, ``kind`` (the
    pack's kind of the rule, empty when the pack does not have it), one integer column
    per status (:data:`~landtool.result.STATUSES`) and ``total``. Totals over all rules
    are not a row of the table (``table[list(STATUSES)].sum()`` gives them).
    """
    verdicts = result.verdicts
    counts = pd.crosstab(verdicts["rule"], verdicts["status"]) if len(verdicts) else pd.DataFrame()
    counts = counts.reindex(columns=list(STATUSES), fill_value=0)
    rules = sorted(counts.index, key=lambda r: (_RULE_ORDER.get(r, len(_RULE_ORDER)), r))
    counts = counts.reindex(rules, fill_value=0).astype("int64")
    table = pd.DataFrame(
        {
            "rule": pd.Series(rules, dtype=object),
            "kind": pd.Series([_kind(result, r) for r in rules], dtype=object),
            **{s: counts[s].to_numpy() for s in STATUSES},
        }
    )
    table["total"] = table[list(STATUSES)].sum(axis=1).astype("int64")
    return table


def _summary_display(result: CheckResult, lang: str) -> pd.DataFrame:
    """The summary with rule names, translated kinds and a totals row, headers in ``lang``."""
    table = summary_table(result)
    names = RULE_NAMES[lang]
    out = pd.DataFrame(
        {
            "rule": table["rule"],
            "rule_name": table["rule"].map(lambda r: names.get(r, "")),
            "kind": table["kind"].map(lambda k: _KINDS[lang].get(k, k)),
            **{s: table[s] for s in STATUSES},
            "total": table["total"],
        }
    )
    totals = {"rule": _HEADERS[lang]["total"], "rule_name": "", "kind": "", **{s: int(table[s].sum()) for s in STATUSES}}
    totals["total"] = int(table["total"].sum())
    out = pd.concat([out, pd.DataFrame([totals])], ignore_index=True)
    return out.rename(columns={**_HEADERS[lang], **STATUS_LABELS[lang]})


def write_report(result: CheckResult, path: str | Path, *, lang: str = "zh") -> Path:
    """Write the report of ``result`` to ``path`` (``.xlsx`` or ``.csv``) and return the path.

    ``.xlsx``: the summary, the failures, one sheet per proposal type present and the
    data-quality issues (see the module docstring). ``.csv``: the summary table only
    (rule × status counts and a totals row), UTF-8 with BOM; the XLSX holds everything.
    Any other suffix is an :class:`~landtool.errors.InputError`.
    """
    _check_lang(lang)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        msg = f"{path}: a report must be .xlsx or .csv"
        raise InputError(msg)
    if suffix == ".csv":
        table = _summary_display(result, lang)
        with atomic_path(path) as tmp:
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        return path
    workbook = _workbook(result, lang)
    with atomic_path(path) as tmp:
        workbook.save(tmp)
    return path


# --------------------------------------------------------------------------- workbook


def _workbook(result: CheckResult, lang: str) -> Workbook:
    sheets = _SHEETS[lang]
    wb = Workbook(write_only=True)
    _summary_sheet(wb.create_sheet(sheets["summary"]), result, lang)

    subjects = [s for group in PROPOSAL_SUBJECTS.values() for s in group]
    shown = result.verdicts["status"].eq("fail") | result.verdicts["subject"].isin(subjects)
    verdicts = _verdict_rows(result, result.verdicts[shown], lang)
    failures = verdicts[verdicts["_status"] == "fail"]
    _table_sheet(wb.create_sheet(sheets["failures"]), _visible(failures), lang)
    for key, subjects in PROPOSAL_SUBJECTS.items():
        rows = verdicts[verdicts["_subject"].isin(subjects)]
        if len(rows):
            _table_sheet(wb.create_sheet(sheets[key]), _visible(rows), lang)

    issues = result.issues
    if issues is None:
        issues = pd.DataFrame(columns=_ISSUE_COLUMNS)
    issues = pd.DataFrame(issues.drop(columns=[c for c in issues.columns if c == getattr(issues, "_geometry_column_name", "geometry")]))
    _table_sheet(wb.create_sheet(sheets["issues"]), issues, lang)
    return wb


def _verdict_rows(result: CheckResult, verdicts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``verdicts`` sorted for reading (subject type, parcel, subject, rule), with rule
    names, kinds and translated statuses, subjects and units; ``_status``/``_subject``
    keep the codes."""
    v = verdicts.copy()
    if "headroom" not in v:
        v["headroom"] = np.nan
    v["_status"] = v["status"]
    v["_subject"] = v["subject"]
    order = pd.DataFrame(
        {
            "s": v["subject"].map(lambda s: _SUBJECT_ORDER.get(s, len(_SUBJECT_ORDER))),
            "p": v["parcel_id"].fillna("").astype(str),
            "i": v["subject_id"].fillna("").astype(str),
            "r": v["rule"].map(lambda r: _RULE_ORDER.get(r, len(_RULE_ORDER))),
        },
        index=v.index,
    )
    v = v.loc[order.sort_values(["s", "p", "i", "r"], kind="stable").index].reset_index(drop=True)
    v["rule_name"] = v["rule"].map(lambda r: RULE_NAMES[lang].get(r, ""))
    v["kind"] = v["rule"].map(lambda r: _KINDS[lang].get(_kind(result, r), _kind(result, r)))
    v["status"] = v["status"].map(lambda s: STATUS_LABELS[lang].get(s, s))
    v["subject"] = v["subject"].map(lambda s: _SUBJECTS[lang].get(s, s))
    v["unit"] = v["unit"].map(lambda u: _UNITS[lang].get(u, u) if isinstance(u, str) else u)
    return v


def _visible(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[_VERDICT_SHEET_COLUMNS + ["_status"]]


def _summary_sheet(ws, result: CheckResult, lang: str) -> None:
    block = _BLOCK[lang]
    pack = result.pack
    titles = getattr(pack, "title", None) or {}
    title = (titles.get(lang) or titles.get("zh") or "") if isinstance(titles, dict) else str(titles)
    as_of = result.as_of.isoformat() if isinstance(result.as_of, dt.date) else ("" if result.as_of is None else str(result.as_of))
    head = [
        (block["pack"], getattr(pack, "id", "")),
        (block["document"], getattr(pack, "document", "")),
        (block["pack_title"], title),
        (block["as_of"], as_of),
        (block["parcels"], len(result.parcels)),
        (block["verdicts"], len(result.verdicts)),
        (block["version"], __version__),
    ]
    head += [(block["warning"], w) for w in result.warnings]
    table = _summary_display(result, lang)
    header_row = len(head) + 3  # title, the block, a blank row, then the table header
    ws.freeze_panes = f"A{header_row + 1}"
    _set_widths(ws, table, extra=[str(k) for k, _ in head])
    ws.append([_cell(ws, block["title"], Font(bold=True, size=13))])
    bold = Font(bold=True)
    for key, value in head:
        ws.append([_cell(ws, key, bold), _cell(ws, _text(value))])
    ws.append([])
    ws.append(_header_cells(ws, table.columns))
    status_cols = {STATUS_LABELS[lang][s]: s for s in STATUSES}
    last = len(table) - 1
    for i, row in enumerate(table.itertuples(index=False, name=None)):
        font = bold if i == last else None
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            status = status_cols.get(column)
            color = STATUS_COLORS[status][1:] if status and value else None
            cells.append(_cell(ws, _text(value), Font(bold=i == last, color=color) if color else font))
        ws.append(cells)


def _table_sheet(ws, rows: pd.DataFrame, lang: str) -> None:
    """A table with a bold, frozen header row; status cells in the map's colours."""
    statuses = rows["_status"].to_numpy() if "_status" in rows else None
    rows = rows.drop(columns=["_status"], errors="ignore")
    headers = [_HEADERS[lang].get(c, c) for c in rows.columns]
    ws.freeze_panes = "A2"
    _set_widths(ws, rows, headers=headers)
    ws.append(_header_cells(ws, headers))
    status_at = list(rows.columns).index("status") if "status" in rows.columns else None
    wrap_at = {i for i, c in enumerate(rows.columns) if c in _WRAP}
    fonts = {s: Font(bold=True, color=c[1:]) for s, c in STATUS_COLORS.items()}
    wrap = Alignment(wrap_text=True, vertical="top")
    room = _EXCEL_MAX_ROWS - 2  # the header and a note row
    for n, row in enumerate(rows.itertuples(index=False, name=None)):
        if n == room:
            ws.append([_BLOCK[lang]["truncated"].format(n=len(rows) - room)])
            break
        values = [_text(v) for v in row]
        for i, v in enumerate(values):
            if i == status_at or i in wrap_at or (isinstance(v, str) and v.startswith("=")):
                font = fonts.get(statuses[n]) if i == status_at and statuses is not None else None
                values[i] = _cell(ws, v, font, wrap if i in wrap_at else None)
        ws.append(values)


def _header_cells(ws, headers) -> list:
    font = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF4")
    return [_cell(ws, str(h), font, fill=fill) for h in headers]


def _cell(ws, value, font: Font | None = None, alignment: Alignment | None = None, *, fill: PatternFill | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula
    if font is None and alignment is None and fill is None:
        return cell
    # Registering a style with the workbook is slow; do it once per combination and
    # copy the resulting style ids (a county has 100 000s of styled cells).
    cache = _STYLE_CACHE.setdefault(ws.parent, {})
    key = (font, alignment, fill)
    template = cache.get(key)
    if template is None:
        if font is not None:
            cell.font = font
        if alignment is not None:
            cell.alignment = alignment
        if fill is not None:
            cell.fill = fill
        cache[key] = copy.copy(cell._style)
    else:
        cell._style = copy.copy(template)
    return cell


def _text(value):
    """A value openpyxl writes as it is: NaN/NA → empty, numpy → Python, dates as text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()[:10] if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else str(value)
    return _ILLEGAL.sub("", str(value))


def _display_width(text: str) -> int:
    """Width in Excel character units: CJK and full-width characters count twice."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _set_widths(ws, frame: pd.DataFrame, *, headers: list[str] | None = None, extra: list[str] | None = None) -> None:
    """Column widths from the header and the first 2000 values, within [6, 60]."""
    headers = headers or [str(c) for c in frame.columns]
    sample = frame.head(2000)
    for i, (column, header) in enumerate(zip(frame.columns, headers, strict=True)):
        values = sample[column].map(lambda v: "" if _text(v) is None else str(_text(v)))
        width = max([_display_width(header), *values.map(_display_width).tolist()])
        if i == 0 and extra:
            width = max(width, *(_display_width(e) for e in extra))
        ws.column_dimensions[get_column_letter(i + 1)].width = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
