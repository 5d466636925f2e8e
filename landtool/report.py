"""Reports of a check for people who work in spreadsheets: XLSX and CSV.

``write_report(result, "report.xlsx", lang="zh")`` writes a workbook, every word in
``lang`` (data values, clause references and the pack's own texts stay as they are):

* **汇总 / Summary** — a title line (pack, document, as-of date, parcels), the run's
  warnings, the counts per rule (id, name, kind) and status with a totals row, then the
  run record (landtool version, pack, document, title, pack SHA-256, validity, as-of
  date, languages, command, time, whether the bundled sample was checked) and the
  inputs (role, path, features, CRS, size, SHA-256); for a compare, the counts of
  changes per kind and subject type;
* **结论变化 / Changes** (compare only) — every changed verdict: kind, subject, rule and
  both sides' status, value, limit and sentence;
* **宗地 / Parcels** — one row per parcel: id, owner, land use, area in m² and mu,
  overall status, the rules it fails, the rules it lacks data for and the data they
  lack, FAR and height; failing parcels first;
* **不通过 / Failures** — every ``fail`` of a requirement rule (not information,
  incentive or amount rules), with the parcel's owner and area, value, limit, unit,
  headroom, clause, explanation and interpretation: what a bureau files with a decision;
* **数据缺失 / Missing data** — per rule, subject type and missing input: how many
  verdicts lack it, and which subjects;
* one sheet per proposal type present — **分割 / Split**, **合并 / Merge**, **零星地块 /
  Fringe** — with every verdict on the proposals, whatever their status;
* **数据质量 / Issues** — the data-quality findings, in words.

Numbers are written rounded to the precision they are compared at (areas, lengths and
yuan 0.01; ratios, per-mu figures and 10k yuan 6 decimals) with a number format that
shows those digits. Sheet layout, print setup and the protection against formulas in
data are :mod:`landtool.xlsx`'s.

``write_report(result, "summary.csv")`` writes the counts per rule and status (with rule
names and a totals row) — or, for a compare, the changes — as UTF-8 with a byte-order
mark so that Excel opens Chinese text correctly. Files are written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from landtool import __version__
from landtool.errors import InputError
from landtool.issues import render_issues
from landtool.labels import STATUS_COLORS
from landtool.messages import LANGS, Catalogue, catalogue, render_verdicts
from landtool.output import atomic_path, refuse_overwriting_inputs
from landtool.policy import RULE_IDS
from landtool.result import STATUS_ORDER, STATUSES, CheckResult
from landtool.units import M2_PER_MU
from landtool.xlsx import Column, Report, Table, number_format, numbers, safe_csv, texts

__all__ = ["DECIMALS", "PROPOSAL_SUBJECTS", "summary_table", "write_report"]

#: Proposal sheets: key → verdict subjects shown on that sheet.
PROPOSAL_SUBJECTS = {
    "split": ("split_plan", "split_piece"),
    "merge": ("merge_group",),
    "fringe": ("fringe", "host"),
}
#: Decimals a verdict's value, limit and headroom are written with, by unit: the
#: precision they are compared at (areas and lengths 0.01, yuan 0.01, 10k yuan 0.01 yuan,
#: ratios and per-mu figures 6 decimals). Units not listed: 6.
DECIMALS = {"m2": 2, "m": 2, "yuan": 2, "yuan_per_m2": 2, "year": 2, "count": 0, "blocks": 0, "buildings": 0,
            "10k_yuan": 6, "10k_yuan_per_mu": 6, "mu": 6, "ratio": 6}
_DEFAULT_DECIMALS = 6
#: The per-parcel sheet's areas: m² at 0.01 (as compared), mu at 4 decimals (0.07 m²).
_M2_DECIMALS, _MU_DECIMALS, _FAR_DECIMALS, _HEIGHT_DECIMALS = 2, 4, 6, 2
#: Subjects listed by id on the missing-data sheet before "… n in all".
IDS_LISTED = 10

_SUBJECT_ORDER = {s: i for i, s in enumerate(["parcel", "supply_year", "split_plan", "split_piece", "merge_group", "host", "fringe"])}
_RULE_ORDER = {r: i for i, r in enumerate(RULE_IDS)}


def _lookup(values, func, *, default=None) -> np.ndarray:
    """``func`` of each value, computed once per distinct value (None/NaN → ``default``)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object).reset_index(drop=True), use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [func(u) for u in uniques]
    mapped[-1] = default
    return mapped[codes]


def _ids(values) -> np.ndarray:
    """Ids as text (None where missing)."""
    return _lookup(values, str)


def _rule_rank(rules) -> np.ndarray:
    return _lookup(rules, lambda r: _RULE_ORDER.get(r, len(_RULE_ORDER)), default=len(_RULE_ORDER)).astype(int)


def _subject_rank(subjects) -> np.ndarray:
    return _lookup(subjects, lambda s: _SUBJECT_ORDER.get(s, len(_SUBJECT_ORDER)), default=len(_SUBJECT_ORDER)).astype(int)


class _Words:
    """The report's words in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.cat: Catalogue = catalogue(lang)

    def ui(self, key: str, **args) -> str:
        return self.cat.text(f"ui.report.{key}", **args)

    def col(self, key: str) -> str:
        return self.ui(f"columns.{key}")

    def with_unit(self, name: str, unit: str) -> str:
        return self.ui("with_unit", name=name, unit=self.cat.label("units", unit))

    def codes(self, group: str, values, *, term: bool = False) -> np.ndarray:
        """Words for a column of codes (``statuses``, ``rules``, ``subjects`` …), once per distinct code."""
        look = self.cat.term if term else self.cat.label
        return _lookup(values, lambda code: look(group, code))

    def input_name(self, code: str) -> str:
        """A layer, raster, file or field by name (``inputs``, else ``fields``)."""
        return self.cat.input_name(code)

    def join(self, items) -> str:
        return self.cat.join(items)


# --------------------------------------------------------------------------- entry point


def write_report(result: CheckResult, path: str | Path, *, lang: str = "zh", compare: pd.DataFrame | None = None) -> Path:
    """Write the report of ``result`` to ``path`` (``.xlsx`` or ``.csv``) and return the path.

    ``compare``: the differences of :func:`landtool.compare.compare_results` when
    ``result`` is the second side of a compare; the XLSX then has a changes sheet and
    the CSV holds the changes. Any suffix but ``.xlsx``/``.csv`` and any language
    without a catalogue are an :class:`~landtool.errors.InputError`.
    """
    if lang not in LANGS:
        raise InputError("bad_lang", value=str(lang), allowed=list(LANGS))
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InputError("report_suffix", path=str(path), option="--report")
    refuse_overwriting_inputs(result.run, path, "--report")
    words = _Words(lang)
    if suffix == ".csv":
        columns = _changes_columns(result, compare, words) if compare is not None else _summary_columns(result, words, summary_table(result), totals=True)
        table = pd.DataFrame({c.header: c.values for c in columns})
        with atomic_path(path) as tmp:
            safe_csv(table).to_csv(tmp, index=False, encoding="utf-8-sig")
        return path
    with Report() as workbook:
        _fill(workbook, result, words, compare)
        with atomic_path(path) as tmp:
            workbook.save(tmp)
    return path


def _fill(wb: Report, result: CheckResult, words: _Words, compare: pd.DataFrame | None) -> None:
    """Add the report's sheets to ``wb``."""
    sheet = lambda key: words.ui(f"sheets.{key}")
    truncated = lambda count: words.ui("truncated", count=count)
    wb.sheet(sheet("summary"), _summary_sheet(result, words, compare))
    if compare is not None:
        wb.sheet(sheet("changes"), Table(_changes_columns(result, compare, words), truncated=truncated))
    wb.sheet(sheet("parcels"), Table(_parcel_columns(result, words), truncated=truncated))
    failures = _failures(result)
    wb.sheet(sheet("failures"), Table(_verdict_columns(result, failures, words, status=False), truncated=truncated))
    wb.sheet(sheet("missing"), Table(_missing_columns(result, words), truncated=truncated))
    subjects = result.table["subject"].to_numpy(dtype=object)
    for key, kinds in PROPOSAL_SUBJECTS.items():
        rows = result.table[np.isin(subjects, kinds)]
        if len(rows):
            wb.sheet(sheet(key), Table(_verdict_columns(result, rows, words, status=True), truncated=truncated))
    wb.sheet(sheet("issues"), Table(_issue_columns(result, words), truncated=truncated))


def _failures(result: CheckResult) -> pd.DataFrame:
    """The ``fail`` verdicts of requirement rules (as :meth:`CheckResult.failed`: a rule
    the pack lacks counts as a requirement)."""
    table = result.table
    rows = table[table["status"].to_numpy(dtype=object) == "fail"]
    kinds = _kinds(result, rows["rule"])
    return rows[(kinds == "requirement") | pd.isna(kinds)]


# --------------------------------------------------------------------------- summary


def _kinds(result: CheckResult, rules) -> np.ndarray:
    """The pack's kind of each rule (``requirement``, ``info`` …; None when the pack lacks it)."""
    pack_rules = getattr(result.pack, "rules", {}) or {}
    return _lookup(rules, lambda r: getattr(pack_rules.get(r), "kind", None))


def _rule_sort(rules) -> list:
    return sorted(rules, key=lambda r: (_RULE_ORDER.get(r, len(_RULE_ORDER)), r))


def summary_table(result: CheckResult) -> pd.DataFrame:
    """Counts of verdicts per rule and status.

    One row per rule that has verdicts, in :data:`~landtool.policy.RULE_IDS` order (rules
    not in the catalogue after them, alphabetically); columns ``rule``, ``kind`` (the
    pack's kind of the rule, None when the pack does not have it), one integer column
    per status (:data:`~landtool.result.STATUSES`) and ``total``. Totals over all rules
    are not a row of the table (``table[list(STATUSES)].sum()`` gives them).
    """
    table = result.table
    if len(table):
        pairs = pd.DataFrame({"rule": table["rule"].to_numpy(dtype=object), "status": table["status"].to_numpy(dtype=object)})
        counts = pairs.groupby(["rule", "status"]).size().unstack("status", fill_value=0)
    else:
        counts = pd.DataFrame()
    counts = counts.reindex(columns=list(STATUSES), fill_value=0)
    rules = _rule_sort(counts.index)
    counts = counts.reindex(rules, fill_value=0).astype("int64")
    out = pd.DataFrame({"rule": pd.Series(rules, dtype=object), "kind": _kinds(result, rules), **{s: counts[s].to_numpy() for s in STATUSES}})
    out["total"] = out[list(STATUSES)].sum(axis=1).astype("int64")
    return out


def _summary_columns(result: CheckResult, words: _Words, table: pd.DataFrame, *, totals: bool = False) -> list[Column]:
    """The counts table (:func:`summary_table`); ``totals`` appends the totals row (for the CSV)."""
    if totals:
        sums = {"rule": words.ui("total"), "kind": None, **{s: int(table[s].sum()) for s in STATUSES}, "total": int(table["total"].sum())}
        names = [*words.codes("rules", table["rule"]), None]
        kinds = [*words.codes("rule_kind", table["kind"], term=True), None]
        table = pd.concat([table, pd.DataFrame([sums])], ignore_index=True)
    else:
        names = words.codes("rules", table["rule"])
        kinds = words.codes("rule_kind", table["kind"], term=True)
    columns = [
        Column(words.col("rule_id"), texts(table["rule"])),
        Column(words.col("rule"), texts(names)),
        Column(words.col("kind"), texts(kinds)),
    ]
    for status in STATUSES:
        counts = table[status].to_numpy()
        colors = np.where(counts > 0, STATUS_COLORS[status][1:], None).astype(object) if not totals else None
        columns.append(Column(words.cat.label("statuses", status), counts.astype(object), "#,##0", colors))
    columns.append(Column(words.ui("total"), table["total"].to_numpy().astype(object), "#,##0", bold=True))
    return columns


def _summary_sheet(result: CheckResult, words: _Words, compare: pd.DataFrame | None) -> Table:
    run = dict(result.run or {})
    pack = result.pack
    as_of = run.get("as_of") or (result.as_of.isoformat() if result.as_of is not None else "")
    document = run.get("document") or getattr(pack, "document", "")
    pack_id = run.get("pack") or getattr(pack, "id", "")
    title = words.ui("title", pack=pack_id, document=document, as_of=as_of, parcels=len(result.parcels))
    above = [[(title, "title")]]
    above += [[(words.ui("warning", text=w.render(words.lang) if hasattr(w, "render") else str(w)), "note")] for w in result.warnings]
    above.append([])

    table = summary_table(result)
    columns = _summary_columns(result, words, table)
    totals = [(words.ui("total"), "bold"), (None, None), (None, None), *[(int(table[s].sum()), "bold") for s in STATUSES], (int(table["total"].sum()), "bold")]
    below = [totals, []]

    label = lambda key: words.ui(f"run.{key}")
    titles = getattr(pack, "title", None) or {}
    pack_title = (titles.get(words.lang) or titles.get("zh") or "") if isinstance(titles, dict) else str(titles)
    issued, valid_until = run.get("issued") or _iso(getattr(pack, "issued", None)), run.get("valid_until") or _iso(getattr(pack, "valid_until", None))
    sample = run.get("sample")
    record = [
        ("landtool", run.get("landtool", __version__)),
        ("pack", pack_id),
        ("document", document),
        ("pack_title", pack_title),
        ("pack_sha256", run.get("pack_sha256")),
        ("validity", words.ui("run.validity_range", issued=issued or "—", valid_until=valid_until or "—") if issued or valid_until else None),
        ("as_of", as_of),
        ("lang", words.cat.term("report_language", run.get("lang", result.lang))),
        ("report_lang", words.cat.term("report_language", words.lang)),
        ("command", run.get("command")),
        ("created", run.get("created")),
        ("sample", words.ui("yes") if sample in (True, "true") else words.ui("no")),
        ("parcels", len(result.parcels)),
        ("verdicts", len(result.table)),
    ]
    below.append([(words.ui("run_heading"), "bold")])
    below += [[(label(key), "bold"), (_block_value(value), None)] for key, value in record]

    inputs = run.get("inputs") or []
    if inputs:
        below += [[], [(words.ui("inputs_heading"), "bold")]]
        # the SHA-256 last: it overflows into the empty cells to its right
        keys = ("role", "path", "features", "crs", "size", "sha256")
        below.append([(words.col(k), "header") for k in keys])
        for item in inputs:
            values = {**item, "role": words.input_name(str(item.get("role", "")))}
            below.append([(_block_value(values.get(k)), "wrap" if k in ("role", "path", "crs") else None) for k in keys])

    if compare is not None:
        from landtool.compare import counts_by_kind

        sides = _sides(compare)
        below += [[], [(words.ui("compare_heading", a=sides[0], b=sides[1], verdicts=len(compare)), "bold")]]
        below.append([(words.col(k), "header") for k in ("change", "subject", "verdicts", "subjects")])
        if len(compare):
            for row in counts_by_kind(compare).itertuples(index=False):
                below.append([(words.cat.term("change_kind", row.kind), None), (words.cat.label("subjects", row.subject), None),
                              (int(row.verdicts), None), (int(row.subjects), None)])
    return Table(columns, above=above, below=below, filtered_rows=len(table))


def _iso(value) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else (None if value is None else str(value))


def _block_value(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return texts([value])[0]


# --------------------------------------------------------------------------- parcels


def _parcel_columns(result: CheckResult, words: _Words) -> list[Column]:
    parcels = result.parcels
    n = len(parcels)
    get = lambda column: parcels[column] if column in parcels else pd.Series(np.full(n, None), dtype=object)
    ids = _ids(get("parcel_id"))
    status = get("status").fillna("not_applicable").to_numpy(dtype=object)
    severity = _lookup(status, lambda s: STATUS_ORDER.get(s, 0), default=0).astype(int)
    order = np.lexsort((np.where(pd.isna(ids), "", ids).astype(str), -severity))

    # only the parcel verdicts that say something here: fails and insufficient data
    table = result.table
    wanted = np.isin(table["status"].to_numpy(dtype=object), ("fail", "insufficient_data")) & (table["subject"].to_numpy(dtype=object) == "parcel")
    rows = table.loc[wanted, [c for c in ("parcel_id", "rule", "status", "args") if c in table]].reset_index(drop=True)
    rows = rows[_kinds(result, rows["rule"]) != "info"].reset_index(drop=True)
    status_of = rows["status"].to_numpy(dtype=object)
    failed = _names_by_parcel(rows[status_of == "fail"], words)
    lacking = rows[status_of == "insufficient_data"].reset_index(drop=True)
    insufficient = _names_by_parcel(lacking, words)
    missing = _missing_by_parcel(lacking, words)

    def per_parcel(mapping: dict) -> np.ndarray:
        return np.array([mapping.get(i) for i in ids[order]], dtype=object)

    def number(column: str) -> np.ndarray:
        return pd.to_numeric(get(column), errors="coerce").to_numpy(dtype=float)[order]

    area_mu = number("area_mu") if "area_mu" in parcels else number("area_m2") / M2_PER_MU
    status_codes = status[order]
    cat = words.cat
    return [
        Column(cat.label("fields", "parcel_id"), texts(ids[order])),
        Column(cat.label("fields", "owner"), texts(get("owner").to_numpy(dtype=object)[order])),
        Column(cat.label("fields", "land_use"), texts(get("land_use").to_numpy(dtype=object)[order])),
        Column(words.with_unit(words.col("area"), "m2"), numbers(number("area_m2"), _M2_DECIMALS), number_format(_M2_DECIMALS)),
        Column(words.with_unit(words.col("area"), "mu"), numbers(area_mu, _MU_DECIMALS), number_format(_MU_DECIMALS)),
        Column(cat.label("families", "overall"), words.codes("statuses", status_codes), colors=_status_colors(status_codes)),
        Column(words.col("failed_rules"), texts(per_parcel(failed)), wrap=True),
        Column(words.col("insufficient_rules"), texts(per_parcel(insufficient)), wrap=True),
        Column(words.col("missing"), texts(per_parcel(missing)), wrap=True),
        Column(words.col("far"), numbers(number("far"), _FAR_DECIMALS), number_format(_FAR_DECIMALS)),
        Column(words.with_unit(cat.label("fields", "height_m"), "m"), numbers(number("height_m"), _HEIGHT_DECIMALS), number_format(_HEIGHT_DECIMALS)),
    ]


def _status_colors(statuses) -> np.ndarray:
    return _lookup(statuses, lambda s: STATUS_COLORS[s][1:] if s in STATUS_COLORS else None)


def _joined(parcels: np.ndarray, names: np.ndarray, words: _Words, *, separator: str | None = None) -> dict:
    """parcel id → its names, distinct, joined in the order given."""
    join = words.join if separator is None else separator.join
    groups: dict = {}
    for parcel, name in zip(parcels.tolist(), names.tolist(), strict=True):
        items = groups.setdefault(parcel, [])
        if name not in items:
            items.append(name)
    return {parcel: join(items) for parcel, items in groups.items()}


def _names_by_parcel(rows: pd.DataFrame, words: _Words) -> dict:
    """parcel id → the names of ``rows``' rules, joined (in catalogue order)."""
    if not len(rows):
        return {}
    order = np.argsort(_rule_rank(rows["rule"]), kind="stable")
    return _joined(_ids(rows["parcel_id"])[order], words.codes("rules", rows["rule"])[order], words)


def _missing_groups(args, words: _Words) -> np.ndarray:
    """Per row, what its ``missing`` arg names — inputs any one of which would do, as
    ``{missing!i}`` renders them ("A or B") — or None; parsed once per distinct args."""
    alternatives = words.cat.get("alternatives_separator", " or ")

    def group(text):
        value = json.loads(text).get("missing") if isinstance(text, str) and text else None
        if value is None or value == []:
            return None
        codes = value if isinstance(value, (list, tuple)) else [value]
        return alternatives.join(words.input_name(str(c)) for c in codes)

    return _lookup(args, group)


def _missing_by_parcel(rows: pd.DataFrame, words: _Words) -> dict:
    """parcel id → what its insufficient_data verdicts lack (distinct groups, joined)."""
    if not len(rows) or "args" not in rows:
        return {}
    order = np.argsort(_rule_rank(rows["rule"]), kind="stable")
    groups = _missing_groups(rows["args"], words)[order]
    known = ~pd.isna(groups)
    return _joined(_ids(rows["parcel_id"])[order][known], groups[known], words, separator=words.ui("groups_separator"))


# --------------------------------------------------------------------------- verdicts


def _sorted_verdicts(rows: pd.DataFrame) -> pd.DataFrame:
    """For reading: by subject type, parcel, subject, rule (catalogue order)."""
    key = pd.DataFrame(
        {
            "s": _subject_rank(rows["subject"]),
            "p": _lookup(rows["parcel_id"], str, default=""),
            "i": _lookup(rows["subject_id"], str, default=""),
            "r": _rule_rank(rows["rule"]),
        }
    )
    order = key.sort_values(["s", "p", "i", "r"], kind="stable").index.to_numpy()
    return rows.iloc[order].reset_index(drop=True)


def _decimals(units) -> np.ndarray:
    return _lookup(units, lambda u: DECIMALS.get(u, _DEFAULT_DECIMALS), default=_DEFAULT_DECIMALS).astype(int)


def _formats(decimals: np.ndarray) -> np.ndarray:
    return _lookup(decimals, lambda d: number_format(int(d)))


def _parcel_lookup(result: CheckResult, column: str, parcel_ids: np.ndarray) -> np.ndarray:
    """The parcels' ``column`` for each of ``parcel_ids`` (None where there is no such parcel)."""
    parcels = result.parcels
    if column not in parcels or "parcel_id" not in parcels:
        return np.full(len(parcel_ids), None, dtype=object)
    values = dict(zip(_ids(parcels["parcel_id"]).tolist(), parcels[column].tolist(), strict=True))
    return _lookup(parcel_ids, values.get)


def _verdict_columns(result: CheckResult, rows: pd.DataFrame, words: _Words, *, status: bool) -> list[Column]:
    """Verdicts as a sheet: subject, parcel with owner and mu, rule, [status], value, limit,
    unit, headroom, clause, explanation, interpretation."""
    rows = _sorted_verdicts(rows) if len(rows) else rows.reset_index(drop=True)
    packs = {result.pack.id: result.pack} if result.pack is not None else {}
    if len(rows):
        explanation, interpretation = render_verdicts(rows, words.lang, packs)
    else:
        explanation = interpretation = np.array([], dtype=object)
    parcel = _ids(rows["parcel_id"])
    mu = _parcel_lookup(result, "area_mu", parcel)
    decimals = _decimals(rows["unit"])
    formats = _formats(decimals)
    cat = words.cat
    columns = [
        Column(words.col("subject"), words.codes("subjects", rows["subject"])),
        Column(words.col("subject_id"), texts(rows["subject_id"])),
        Column(cat.label("fields", "parcel_id"), texts(parcel)),
        Column(cat.label("fields", "owner"), texts(_parcel_lookup(result, "owner", parcel))),
        Column(words.with_unit(words.col("area"), "mu"), numbers(mu, _MU_DECIMALS), number_format(_MU_DECIMALS)),
        Column(words.col("rule"), words.codes("rules", rows["rule"])),
    ]
    if status:
        codes = rows["status"].to_numpy(dtype=object)
        columns.append(Column(words.col("status"), words.codes("statuses", codes), colors=_status_colors(codes)))
    headroom = rows["headroom"] if "headroom" in rows else pd.Series(np.full(len(rows), np.nan))
    # a unit beside no number says nothing (e.g. a fail for an expropriation plan)
    numbered = rows["value"].notna().to_numpy() | rows["limit"].notna().to_numpy() | headroom.notna().to_numpy()
    unit = rows["unit"].astype(object).where(numbered, None)
    columns += [
        Column(words.col("value"), numbers(rows["value"], decimals), formats),
        Column(words.col("limit"), numbers(rows["limit"], decimals), formats),
        Column(words.col("unit"), texts(words.codes("units", unit))),
        Column(words.col("headroom"), numbers(headroom, decimals), formats),
        Column(words.col("clause"), texts(rows["clause"])),
        Column(words.col("explanation"), texts(explanation), wrap=True),
        Column(words.col("interpretation"), texts(interpretation), wrap=True),
    ]
    return columns


# --------------------------------------------------------------------------- missing data


def _missing_columns(result: CheckResult, words: _Words) -> list[Column]:
    """Per subject type, rule and what is missing: the count of verdicts and the subjects
    (parcels first, rules in catalogue order, the most frequent lack first)."""
    table = result.table
    rows = table[table["status"].to_numpy(dtype=object) == "insufficient_data"].reset_index(drop=True)
    records = pd.DataFrame(columns=["rule", "subject", "what", "id"])
    if len(rows):
        what = _missing_groups(rows["args"], words) if "args" in rows else np.full(len(rows), None, dtype=object)
        # A verdict that does not name what it lacks: its sentence says it.
        bare = pd.isna(what)
        if bare.any():
            what[bare] = render_verdicts(rows[bare], words.lang)[0]
        records = pd.DataFrame({"rule": rows["rule"].to_numpy(dtype=object), "subject": rows["subject"].to_numpy(dtype=object), "what": what,
                                "id": _ids(rows["subject_id"])})
    grouped = records.drop_duplicates().groupby(["rule", "subject", "what"], sort=False)["id"]
    summary = pd.DataFrame({"count": grouped.size(), "ids": grouped.agg(lambda ids: _id_list(list(ids), words))}).reset_index()
    if len(summary):
        summary["r"] = _rule_rank(summary["rule"])
        summary["s"] = _subject_rank(summary["subject"])
        summary = summary.sort_values(["s", "r", "count"], ascending=[True, True, False], kind="stable", ignore_index=True)
    return [
        Column(words.col("rule"), words.codes("rules", summary["rule"])),
        Column(words.col("subject"), words.codes("subjects", summary["subject"])),
        Column(words.col("missing"), texts(summary["what"]), wrap=True),
        Column(words.col("count"), summary["count"].to_numpy().astype(object), "#,##0"),
        Column(words.col("subject_ids"), texts(summary["ids"]), wrap=True),
    ]


def _id_list(ids: list[str], words: _Words) -> str:
    if len(ids) <= IDS_LISTED:
        return words.join(ids)
    return words.ui("more_ids", ids=words.join(ids[:IDS_LISTED]), count=len(ids))


# --------------------------------------------------------------------------- issues, changes


def _issue_columns(result: CheckResult, words: _Words) -> list[Column]:
    issues = result.issues
    if issues is None or not len(issues):
        issues = pd.DataFrame({c: pd.Series(dtype=object) for c in ("layer", "feature_id", "source_fid", "problem", "detail", "value_m2")})
    else:
        issues = pd.DataFrame(render_issues(issues, words.lang)).reset_index(drop=True)
    return [
        Column(words.col("layer"), texts(_lookup(issues["layer"], lambda code: words.input_name(str(code))))),
        Column(words.col("feature_id"), texts(issues["feature_id"])),
        Column(words.col("source_fid"), numbers(issues["source_fid"], 0), "0"),
        Column(words.col("problem"), texts(words.codes("problems", issues["problem"]))),
        Column(words.col("detail"), texts(issues["detail"]), wrap=True),
        Column(words.with_unit(words.col("value_m2"), "m2"), numbers(issues["value_m2"], _M2_DECIMALS), number_format(_M2_DECIMALS)),
    ]


def _sides(differences: pd.DataFrame) -> tuple[str, str]:
    return str(differences.attrs.get("a", "A")), str(differences.attrs.get("b", "B"))


def _changes_columns(result: CheckResult, differences: pd.DataFrame, words: _Words) -> list[Column]:
    """The changes of a compare, both sides' status, value, limit and sentence in ``lang``."""
    from landtool.compare import with_sentences

    a, b = _sides(differences)
    rows = with_sentences(differences, result, result, words.lang).reset_index(drop=True) if len(differences) else differences.reset_index(drop=True)
    for side in ("a", "b"):
        if f"explanation_{side}" not in rows:
            rows[f"explanation_{side}"] = pd.Series(dtype=object)
    unit = rows["unit_b"].where(rows["unit_b"].notna(), rows["unit_a"]) if len(rows) else pd.Series(dtype=object)
    decimals = _decimals(unit)
    formats = _formats(decimals)
    side = lambda key, label: words.ui("side", column=words.col(key), side=label)
    columns = [
        Column(words.col("change"), words.codes("change_kind", rows["kind"], term=True)),
        Column(words.col("subject"), words.codes("subjects", rows["subject"])),
        Column(words.col("subject_id"), texts(rows["subject_id"])),
        Column(words.cat.label("fields", "parcel_id"), texts(rows["parcel_id"])),
        Column(words.col("rule"), words.codes("rules", rows["rule"])),
    ]
    for key, label in (("a", a), ("b", b)):
        statuses = rows[f"status_{key}"].to_numpy(dtype=object)
        columns += [
            Column(side("status", label), words.codes("statuses", statuses), colors=_status_colors(statuses)),
            Column(side("value", label), numbers(rows[f"value_{key}"], decimals), formats),
            Column(side("limit", label), numbers(rows[f"limit_{key}"], decimals), formats),
            Column(side("explanation", label), texts(rows[f"explanation_{key}"]), wrap=True),
        ]
    columns.append(Column(words.col("unit"), texts(words.codes("units", unit))))
    return columns
