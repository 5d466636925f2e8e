"""Reading values as what they are: numbers, dates, 是/否 booleans, units, plausibility.

A cell that cannot be read is a problem named by its feature and field (see
:func:`parse_column`), never a silently different number: ``"1,200"`` is 1200, but
``"1,2"`` — a decimal comma, or a typo — is not 12. A value that is read but cannot be
true (a negative floor area, a density of 1.5) is not an error but a finding
(:func:`implausible_values`): the cell becomes missing, so the rules that need it answer
``insufficient_data`` instead of passing on bad evidence.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landtool.errors import InputError

__all__ = [
    "AREA_UNITS",
    "LENGTH_UNITS",
    "implausible_values",
    "parse_bool",
    "parse_column",
    "read_text",
    "unit_factor",
]

TRUE_WORDS = {"是", "y", "yes", "t", "true", "1", "1.0", "有", "√"}
FALSE_WORDS = {"否", "n", "no", "f", "false", "0", "0.0", "无", "×"}

#: Units a field mapping may state, → factor to m² (areas) or m (lengths).
AREA_UNITS = {"m2": 1.0, "ft2": 0.09290304, "mu": 10000 / 15, "ha": 10000.0}
LENGTH_UNITS = {"m": 1.0, "ft": 0.3048}
#: Other spellings of those units.
UNIT_ALIASES = {
    "m²": "m2", "sqm": "m2", "平方米": "m2", "ft²": "ft2", "sqft": "ft2", "sq ft": "ft2", "平方英尺": "ft2",
    "亩": "mu", "公顷": "ha", "米": "m", "feet": "ft", "foot": "ft", "英尺": "ft",
}
#: The measure of a canonical field's unit (``unit:`` in fields.yaml).
MEASURES = {"m2": "area", "m": "length"}

#: A number with thousands separators: groups of exactly three digits after the first.
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def unit_factor(unit: str, measure: str) -> tuple[str, float] | None:
    """(unit code, factor to the canonical unit) for a stated unit of an ``area`` or ``length``
    field; None when the unit is not one of that measure.

    >>> unit_factor("ft2", "area"), unit_factor("亩", "area")[1], unit_factor("ft2", "length")
    (('ft2', 0.09290304), 666.6666666666666, None)
    """
    code = UNIT_ALIASES.get(str(unit).strip().lower(), str(unit).strip().lower())
    table = AREA_UNITS if measure == "area" else LENGTH_UNITS
    return (code, table[code]) if code in table else None


def read_text(path: Path, what: str) -> str:
    """A text file's contents: UTF-8 (with or without BOM) when valid, else GB18030 (GBK).

    ``what`` is the error code for a file that is neither (``fields_not_text`` …).
    """
    raw = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(what, path=str(path))


_BLANK_WORDS = ("", "nan", "None", "NaT", "<NA>")


def _blank(series: pd.Series) -> pd.Series:
    """Missing cells, and text that only says so ("", "nan", "None" …)."""
    missing = series.isna()
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        return missing
    if pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
        return missing | series.str.strip().isin(_BLANK_WORDS).fillna(False).astype(bool)
    words = _by_unique(series, lambda v: str(v).strip() in _BLANK_WORDS)
    return missing | words.fillna(False).astype(bool)


def parse_column(series: pd.Series, kind: str) -> tuple[pd.Series, dict[str, pd.Series]]:
    """Parse one column to ``kind`` (text, number, bool, date).

    Returns the values and, per problem code (``value_not_number``,
    ``value_bad_separator``, ``value_not_bool``, ``value_not_date``), the mask of the
    non-blank cells that have it. Numbers: full-width digits and signs are read,
    ``"12,345.6"`` is 12345.6, ``"60%"`` is 0.6; a comma that does not separate groups of
    three digits (``"1,2"``, ``"12,34"``, ``"1,2345"``) is a problem, as are inf and NaN.
    """
    blank = _blank(series)
    if kind == "text":
        if pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
            text = series.str.strip()
        else:
            text = _by_unique(series, _text)
        return text.where(~blank, None).astype(object), {}
    if kind == "number":
        if pd.api.types.is_bool_dtype(series):
            return series.astype(float), {}
        if pd.api.types.is_numeric_dtype(series):
            values = series.astype(float)
            return values.where(np.isfinite(values)), {"value_not_number": ~np.isfinite(values) & values.notna()}
        text = series.astype(str).str.strip().str.normalize("NFKC")  # １，２００ → 1,200; ％ → %
        pct = text.str.endswith("%")
        text = text.str.rstrip("%").str.strip()
        comma = text.str.contains(",", regex=False)
        grouped = text.str.fullmatch(_THOUSANDS.pattern)
        bad_sep = comma & ~grouped & ~blank
        values = pd.to_numeric(text.str.replace(",", "", regex=False).where(~bad_sep), errors="coerce")
        values = values.where(np.isfinite(values))
        values = values.where(~pct, values / 100).where(~blank)
        return values.astype(float), {"value_bad_separator": bad_sep, "value_not_number": values.isna() & ~blank & ~bad_sep}
    if kind == "bool":
        parsed = _by_unique(series, parse_bool)
        return parsed.astype("boolean"), {"value_not_bool": parsed.isna() & ~blank}
    if kind == "date":
        parsed = _by_unique(series, _parse_date)
        return pd.to_datetime(parsed), {"value_not_date": parsed.isna() & ~blank}
    msg = f"unknown field type {kind!r}"  # a bug in fields.yaml, not the user's input
    raise ValueError(msg)


def _by_unique(series: pd.Series, func) -> pd.Series:
    """``series.map(func)``, calling ``func`` once per distinct value (a column of a
    hundred thousand parcels holds a few hundred distinct dates, words, names)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [func(u) for u in uniques]
    mapped[-1] = None
    return pd.Series(mapped[np.where(codes < 0, len(uniques), codes)], index=series.index, dtype=object)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_bool(value: Any) -> bool | None:
    """是/否, Y/N, 1/0, true/false, yes/no → bool; blank or unknown → None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def _parse_date(value: Any) -> dt.datetime | None:
    """A date from ISO, ``2052/6/30``, ``2052年6月30日`` or ``20520630``; None if impossible (2023-02-30)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (dt.date, pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).to_pydatetime()
    text = str(value).strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return dt.datetime(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None


# --------------------------------------------------------------------------- plausibility


def value_range(spec: dict) -> str:
    """A field's plausible range in notation every language reads: ``0–1``, ``≥ 0``, ``≤ 1000``."""
    lo, hi = spec.get("min"), spec.get("max")
    if lo is not None and hi is not None:
        return f"{lo:g}–{hi:g}"
    return f"≥ {lo:g}" if lo is not None else f"≤ {hi:g}"


def implausible_values(frame: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Number cells outside their field's plausible range (``min``/``max`` in fields.yaml, inclusive).

    Returns the frame with those cells set to missing (NaN), and the findings: one row per
    cell with ``row`` (position in ``frame``), ``source_fid``, ``field``, ``value``,
    ``problem`` (``implausible_value``) and ``range`` (e.g. ``0–1``) — for the
    ``issues`` layer (args ``field``, ``value``, ``range``).
    """
    from landtool.fields import field_specs

    out = frame  # copied only when a value must be blanked
    found = []
    fids = frame["source_fid"].to_numpy() if "source_fid" in frame else np.arange(1, len(frame) + 1)
    for name, spec in field_specs()[kind].items():
        if name not in frame or spec["type"] != "number" or ("min" not in spec and "max" not in spec):
            continue
        values = frame[name].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = (values < spec.get("min", -np.inf)) | (values > spec.get("max", np.inf))
        if not bad.any():
            continue
        rows = np.flatnonzero(bad)
        found.append(pd.DataFrame({"row": rows, "source_fid": fids[rows], "field": name, "value": values[rows], "range": value_range(spec)}))
        if out is frame:
            out = frame.copy()
        out[name] = np.where(bad, np.nan, values)
    columns = ["row", "source_fid", "field", "value", "problem", "range"]
    if not found:
        return out, pd.DataFrame({c: pd.Series(dtype=float if c == "value" else object) for c in columns})
    findings = pd.concat(found, ignore_index=True).assign(problem="implausible_value")
    return out, findings.sort_values(["row", "field"], kind="stable", ignore_index=True)[columns]
