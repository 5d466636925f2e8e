"""Words at the edge: one message catalogue per language, and the rendering of codes.

Rules, readers and checks never write sentences. They return codes with their
parameters — a verdict's ``reason`` and ``args``, an issue's ``problem`` and ``args``,
an error's or a warning's code — and the sentences are made here, from the catalogue
of the language asked for, where text is written: JSON, GeoPackage, XLSX, terminal,
map. One check can therefore be written in either language without running it again.

A catalogue is the YAML files of ``landtool/messages/<lang>/``, merged (a key may be
defined in one file only). Templates use ``str.format`` fields with three extra
conversions:

``{name!t}``
    the term for a code: ``terms.<name>.<value>`` (a list: each term, joined);
``{name!l}``
    a list joined with the language's separator;
``{name!p}``
    a ratio as a percentage (0.2 → ``20%``);
``{name!i}``
    the names of inputs (``inputs.<code>``, else ``fields.<code>``) joined as
    alternatives ("A or B": any one would give the rule its evidence).

Numbers without a format spec are shown with up to 6 decimals and no trailing zeros
(the precision ratios are compared at), so a sentence never shows a rounded number that
contradicts its verdict.

To add a language, copy ``landtool/messages/en/`` to a new folder named by its code
and translate every value; ``tests/test_messages.py`` checks that it is complete.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from string import Formatter
from typing import Any

import numpy as np
import pandas as pd
import yaml

__all__ = [
    "LANGS",
    "Catalogue",
    "Message",
    "catalogue",
    "column_codes",
    "fmt_number",
    "render_column",
    "render_verdicts",
]

#: Languages with a catalogue, the default first.
LANGS = ("zh", "en")
#: libyaml's loader where PyYAML has it (the catalogues load ten times faster), else PyYAML's own.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_FORMATTER = Formatter()


def fmt_number(value: Any, spec: str = "") -> str:
    """A number for a sentence.

    >>> fmt_number(2.9999850000000002), fmt_number(1.2), fmt_number(4666.666667, ",.2f")
    ('2.999985', '1.2', '4,666.67')
    >>> fmt_number(float("nan")), fmt_number(-0.0000001)
    ('—', '0')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if spec:
        return format(value, spec)
    if isinstance(value, (float, np.floating)):
        text = f"{value:,.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    return str(value)


def _merge(into: dict, data: dict, where: str, path: str = "") -> None:
    for key, value in data.items():
        here = f"{path}.{key}" if path else str(key)
        if key in into:
            if isinstance(into[key], dict) and isinstance(value, dict):
                _merge(into[key], value, where, here)
                continue
            msg = f"message catalogue {where}: {here} is defined twice"
            raise ValueError(msg)
        into[key] = value


@dataclass(frozen=True)
class Catalogue:
    """The messages of one language."""

    lang: str
    data: dict = field(repr=False)

    def get(self, key: str, default: Any = None) -> Any:
        """The entry at a dotted key (``"ui.wrote"``), or ``default``."""
        node: Any = self.data
        for part in _split_key(key):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def text(self, key: str, /, **args: Any) -> str:
        """The template at ``key`` filled with ``args``."""
        template = self.get(key)
        if not isinstance(template, str):
            msg = f"message catalogue {self.lang}: no message {key!r}"
            raise KeyError(msg)
        return self.format(template, args)

    def term(self, group: str, code: Any) -> str:
        """``terms.<group>.<code>``, or the code itself when the catalogue has no word for it."""
        terms = self.data.get("terms", {}).get(group, {})
        word = terms.get(code if not isinstance(code, float) or not code.is_integer() else int(code))
        return str(code) if word is None else str(word)

    def label(self, group: str, code: str) -> str:
        """A name shown to people: ``rules``, ``statuses``, ``families``, ``units``, ``fields`` …"""
        value = self.data.get(group, {}).get(code)
        return code if value is None else str(value)

    def input_name(self, code: str) -> str:
        """What an input is called: a layer or raster (``inputs``), else a field (``fields``)."""
        for group in ("inputs", "fields"):
            word = self.data.get(group, {}).get(code)
            if word is not None:
                return f"{word}（{code}）" if group == "fields" and self.lang == "zh" else (f"{word} ({code})" if group == "fields" else str(word))
        return str(code)

    def join(self, items) -> str:
        return self.data.get("list_separator", ", ").join(str(i) for i in items)

    def format(self, template: str, args: Mapping[str, Any]) -> str:
        """Fill ``template``; a field the args lack is shown as "—"."""
        out = []
        for literal, name, spec, conversion in _FORMATTER.parse(template):
            out.append(literal)
            if name is None:
                continue
            value = _lookup(args, name)
            out.append(self._field(name.split(".")[-1], value, spec or "", conversion))
        return "".join(out)

    def _field(self, name: str, value: Any, spec: str, conversion: str | None) -> str:
        if conversion == "t":
            if isinstance(value, (list, tuple)):
                return self.join(self.term(name, v) for v in value)
            return "—" if _missing(value) else self.term(name, value)
        if conversion == "i":
            items = value if isinstance(value, (list, tuple)) else ([] if _missing(value) else [value])
            return self.data.get("alternatives_separator", " or ").join(self.input_name(v) for v in items)
        if conversion == "l" or isinstance(value, (list, tuple)):
            return self.join(fmt_number(v) if isinstance(v, float) else v for v in (value or []))
        if conversion == "p":
            return "—" if _missing(value) else fmt_number(round(float(value) * 100, 4)) + "%"
        return "—" if _missing(value) else fmt_number(value, spec)


def _split_key(key: str) -> list[str]:
    """``"reasons.indicator.far_max.over_limit"`` → the rule id stays whole."""
    parts = key.split(".")
    if parts[0] == "reasons" and len(parts) == 4:
        return ["reasons", f"{parts[1]}.{parts[2]}", parts[3]]
    if parts[0] in ("rules", "interpretations") and len(parts) == 3:
        return [parts[0], f"{parts[1]}.{parts[2]}"]
    return parts


def _lookup(args: Mapping[str, Any], name: str) -> Any:
    value: Any = args
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


@cache
def catalogue(lang: str) -> Catalogue:
    """The catalogue of ``lang`` (``zh`` or ``en``)."""
    if lang not in LANGS:
        msg = f"--lang: {lang!r} is not one of {', '.join(LANGS)}"
        raise ValueError(msg)
    root = resources.files("landtool") / "messages" / lang
    data: dict = {}
    for item in sorted(root.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            _merge(data, yaml.load(item.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}, f"{lang}/{item.name}")
    return Catalogue(lang, data)


@dataclass(frozen=True)
class Message:
    """A code and its parameters, rendered in a language when shown.

    ``group`` is the catalogue section: ``warnings`` (the default), ``progress`` …
    """

    code: str
    args: Mapping[str, Any] = field(default_factory=dict)
    group: str = "warnings"

    def render(self, lang: str) -> str:
        return catalogue(lang).text(f"{self.group}.{self.code}", **self.args)

    def __str__(self) -> str:
        return self.render("en")


# --------------------------------------------------------------------------- tables


def _parse_args(texts: np.ndarray) -> list[dict]:
    """JSON ``args`` cells → dicts (blank → {})."""
    return [json.loads(t) if isinstance(t, str) and t else {} for t in texts]


def render_column(
    lang: str,
    group: str,
    keys: pd.Series,
    columns: Mapping[str, pd.Series],
    args: pd.Series | None = None,
    *,
    key_of=None,
    suffix=None,
    as_codes: bool = False,
):
    """Render one sentence per row of a table, from codes and values.

    ``keys`` holds, per row, the catalogue key under ``group`` (e.g. an issue's
    ``problem``); ``columns`` the values a template may name directly; ``args`` JSON
    objects of further values; ``suffix(cat, values)`` text appended to a row's
    sentence. The result is what :meth:`Catalogue.format` gives row by row, but built
    field by field: each distinct value of a field is formatted once and the pieces are
    joined with array operations, so a million rows cost little more than their
    distinct numbers.

    With ``as_codes``, ``(codes, sentences)`` instead: each row's sentence is
    ``sentences[codes[row]]`` (the distinct sentences, made once — what a writer that
    stores each sentence once needs, without a million strings in between).
    """
    cat = catalogue(lang)
    n = len(keys)
    out = np.empty(n, dtype=object)
    row_codes = np.zeros(n, dtype=np.int64)
    made: list[np.ndarray] = []
    if n == 0:
        return (row_codes, out) if as_codes else out
    arg_codes, arg_uniques = column_codes(args) if args is not None else (np.full(n, -1), np.array([], dtype=object))
    parsed = [*_parse_args(np.asarray(arg_uniques, dtype=object)), {}]  # the last: rows without args
    arg_codes = np.where(arg_codes < 0, len(parsed) - 1, arg_codes)
    key_codes, key_uniques = column_codes(keys)
    arrays = {name: (col.to_numpy() if isinstance(col, pd.Series) else np.asarray(col)) for name, col in columns.items()}
    order = np.argsort(key_codes, kind="stable")
    bounds = np.searchsorted(key_codes[order], np.arange(len(key_uniques) + 1))
    for k, key in enumerate(key_uniques):
        rows = order[bounds[k] : bounds[k + 1]]
        template = cat.get(key_of(key) if key_of else f"{group}.{key}")
        if not isinstance(template, str):
            msg = f"message catalogue {lang}: no message for {group} {key!r}"
            raise KeyError(msg)
        used, codes = np.unique(arg_codes[rows], return_inverse=True)  # the args these rows have
        codes = codes.reshape(-1)
        args_used = [parsed[i] for i in used]
        # Each field as (codes, its distinct texts); the rows' combinations of codes are
        # the distinct sentences, which alone are joined into text.
        fields = []
        for literal, name, spec, conversion in _FORMATTER.parse(template):
            if literal:
                fields.append((np.zeros(len(rows), dtype=np.int64), np.array([literal], dtype=object)))
            if name is None:
                continue
            root, *rest = name.split(".")
            if root in arrays:
                fields.append(_format_each(cat, name.split(".")[-1], arrays[root][rows], spec or "", conversion, rest))
            else:
                per_args = np.empty(len(args_used), dtype=object)
                per_args[:] = [_lookup(a, name) for a in args_used]
                field_codes, texts = _format_each(cat, name.split(".")[-1], per_args, spec or "", conversion, [])
                fields.append((field_codes[codes], texts))
        if suffix is not None:
            notes = np.empty(len(args_used), dtype=object)
            notes[:] = [suffix(cat, a) for a in args_used]
            fields.append((codes, notes))
        combo, firsts = combined_codes(len(rows), [(field_codes, len(texts)) for field_codes, texts in fields])
        sentences = np.full(len(firsts), "", dtype=object)
        for field_codes, texts in fields:
            sentences = sentences + texts[field_codes[firsts]]
        if as_codes:
            row_codes[rows] = combo + sum(len(s) for s in made)
            made.append(sentences)
        else:
            out[rows] = sentences[combo]
    if as_codes:
        return row_codes, (np.concatenate(made) if made else np.array([], dtype=object))
    return out


def combined_codes(n: int, columns) -> tuple[np.ndarray, np.ndarray]:
    """One code per distinct combination of code columns over ``n`` rows, numbered in order of
    first appearance, and the first row of each combination.

    ``columns`` holds (codes, number of distinct values) pairs; a code of -1 (missing) is a
    value of its own. Each step keeps the codes small, so any number of columns fits an int64.
    """
    combo = np.zeros(n, dtype=np.int64)
    for codes, size in columns:
        combo = pd.factorize(combo * (size + 1) + (np.asarray(codes, dtype=np.int64) + 1), use_na_sentinel=False)[0].astype(np.int64)
    _, firsts = np.unique(combo, return_index=True)
    return combo, firsts


def column_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a column; -1 = missing.

    A categorical has them already; only the categories its rows use are returned (a
    slice of a large table must not pay for the whole table's categories).
    """
    values = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        used, compact = np.unique(codes, return_inverse=True)
        present = used >= 0
        categories = values.cat.categories.to_numpy(dtype=object)[used[present]]
        return np.where(codes >= 0, compact.reshape(-1) - (~present).sum(), -1), categories
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def _format_each(cat: Catalogue, name: str, values: np.ndarray, spec: str, conversion: str | None, path: list) -> tuple[np.ndarray, np.ndarray]:
    """``cat._field`` of each value, computed once per distinct value: (codes, texts)."""
    if path:  # a dotted name into a mapping held by a column
        values = np.array([_lookup(v, ".".join(path)) if isinstance(v, Mapping) else None for v in values], dtype=object)
    if values.dtype.kind in "fiub":
        uniques, inverse = np.unique(values, return_inverse=True)  # NaNs are each their own (all "—")
    else:
        try:
            inverse, uniques = pd.factorize(values, use_na_sentinel=False)
        except TypeError:  # lists: one list object per distinct list, shared by the rows
            inverse, _ = pd.factorize(np.fromiter(map(id, values), dtype=np.int64, count=len(values)))
            _, firsts = np.unique(inverse, return_index=True)
            uniques = values[firsts]
    texts = np.empty(len(uniques), dtype=object)
    if conversion is None and uniques.dtype.kind == "f":  # plain numbers: fmt_number without its per-value dispatch
        texts[:] = _float_texts(uniques.tolist(), spec)
    else:
        texts[:] = [cat._field(name, u.item() if isinstance(u, np.generic) else u, spec, conversion) for u in uniques]
    return np.asarray(inverse).reshape(-1).astype(np.int64), texts


def _float_texts(values: list[float], spec: str) -> list[str]:
    """:func:`fmt_number` of each float (NaN → "—"), as :meth:`Catalogue._field` gives it."""
    if spec:
        return ["—" if v != v else format(v, spec) for v in values]
    texts = [f"{v:,.6f}".rstrip("0").rstrip(".") for v in values]
    return ["—" if v != v else ("0" if t in ("", "-0") else t) for v, t in zip(values, texts)]


def _factorize_rows(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct rows of ``frame`` and the position of each one's first row."""
    if frame.shape[1] == 1:
        codes, _ = pd.factorize(frame.iloc[:, 0], use_na_sentinel=False)
    else:
        codes = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()
    codes = np.asarray(codes)
    _, firsts = np.unique(codes, return_index=True)
    return codes, firsts


def _discretion(cat: Catalogue, values: Mapping[str, Any]) -> str:
    return cat.get("notes.discretion", "") if values.get("discretionary") else ""


def render_verdicts(verdicts: pd.DataFrame, lang: str, packs: Mapping[str, Any] | None = None, *, as_codes: bool = False) -> tuple:
    """(explanation, interpretation) per verdict row, in ``lang``.

    ``packs`` maps a pack id to its :class:`landtool.policy.Pack`, whose rules hold
    the interpretations (they are per rule, not per row). With ``as_codes`` the
    explanation is ``(codes, distinct sentences)`` (see :func:`render_column`).
    """
    cat = catalogue(lang)
    pair_codes, pairs = _pairs(verdicts["rule"], verdicts["reason"])
    key_of_pair, distinct = pd.factorize(pd.Series([_reason_key(rule, reason, cat) for rule, reason in pairs], dtype=object))
    keys = pd.Categorical.from_codes(key_of_pair[pair_codes], categories=pd.Index(distinct, dtype=object), validate=False)
    columns = {c: verdicts[c] for c in ("value", "limit", "unit", "headroom", "status", "subject_id", "parcel_id") if c in verdicts}
    explanation = render_column(
        lang, "reasons", pd.Series(keys, index=verdicts.index), columns, verdicts["args"] if "args" in verdicts else None, key_of=lambda k: k, suffix=_discretion,
        as_codes=as_codes,
    )
    interpretation = np.full(len(verdicts), None, dtype=object)
    if packs:
        codes, pack_rules = _pairs(verdicts["pack"], verdicts["rule"])
        texts = []
        for pack_id, rule_id in pack_rules:
            pack = packs.get(pack_id)
            rule = pack.rule(rule_id) if pack is not None else None
            texts.append((rule.interpretation_text(lang) or None) if rule is not None else None)
        interpretation = np.asarray([*texts, None], dtype=object)[np.where(codes < 0, len(texts), codes)]
    return explanation, interpretation


def _pairs(first: pd.Series, second: pd.Series) -> tuple[np.ndarray, list[tuple]]:
    """(codes, the distinct pairs) of two code columns, from their integer codes."""
    a_codes, a_values = column_codes(first)
    b_codes, b_values = column_codes(second)
    combined, firsts = pd.factorize(a_codes.astype(np.int64) * (len(b_values) + 1) + (b_codes + 1), use_na_sentinel=False)
    pairs = []
    for value in firsts:
        a, b = divmod(int(value), len(b_values) + 1)
        pairs.append((a_values[a] if a >= 0 else None, b_values[b - 1] if b > 0 else None))
    return combined, pairs


def _reason_key(rule: Any, reason: Any, cat: Catalogue) -> str:
    """The catalogue key of a (rule, reason): the rule's own entry, else the shared one."""
    own = f"reasons.{rule}.{reason}"
    return own if isinstance(cat.get(own), str) else f"reasons.*.{reason}"
