"""The compact data document of the page: parcels, verdicts and differences as columns.

Verdicts travel as codes and numbers, not sentences: per (rule, subject) one entry with
the status of each row (one letter: ``p`` pass, ``f`` fail, ``n`` not applicable, ``i``
insufficient data), its reason (an index into the page's (rule, reason) templates), its
args, value, limit, unit, headroom and clause. A column is stored once when it is the
same on every row, as codes into its few distinct values when it has few (one character
per row, see :func:`encode`), else as a list. The page renders a sentence only when a
popup shows it.

Nothing here decides a verdict: rows are only grouped, sorted and encoded.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from landtool.compare import CHANGE_KINDS
from landtool.map.words import arg_value
from landtool.policy import RULE_IDS
from landtool.result import family_of

__all__ = [
    "ALPHABET",
    "CHANGE_KINDS",
    "STATUS_CODE",
    "compare_payload",
    "encode",
    "numbers",
    "parcel_payload",
    "status_codes",
    "verdict_payload",
]

STATUS_CODE = {"pass": "p", "fail": "f", "not_applicable": "n", "insufficient_data": "i"}
#: One character per code, for columns with few distinct values: printable ASCII
#: without ``\\``, ``<``, ``>`` and ``&`` (which JSON or the page would escape).
ALPHABET = "".join(chr(c) for c in range(35, 127) if chr(c) not in "\\<>&")
_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)

#: Kinds of change between two checks (:data:`landtool.compare.CHANGE_KINDS`, the
#: weightiest first: a parcel is coloured by its weightiest); each is one letter of
#: ``CHANGE_CODES``.
CHANGE_CODES = "abcdefghijklmnopqrstuvwxyz"[: len(CHANGE_KINDS)]

#: The verdict columns a template may name directly (landtool.messages.render_verdicts).
_COLUMNS = ("value", "limit", "unit", "headroom", "status", "subject_id", "parcel_id")


# --------------------------------------------------------------------------- encoders


def _code_text(codes: np.ndarray) -> str | list[int]:
    """Codes as one character each when they fit the alphabet, else as a list."""
    codes = np.asarray(codes, dtype=np.int64)
    if len(codes) and codes.max() >= len(ALPHABET):
        return codes.tolist()
    return _ALPHABET_BYTES[codes].tobytes().decode("ascii")


def encode(values: list | np.ndarray, *, tagged: bool = False, keys=None) -> Any:
    """A column of JSON values, one per row, as compactly as it goes.

    The value itself when every row has it (tagged: ``{"c": value}``); ``{"f": [distinct
    values], "x": codes}`` when there are few distinct values; ``{"n": "1.5,,0.8"}``
    when every value is a number or missing (the page splits it when a popup needs it);
    else the list (tagged: ``{"l": list}``). Tagged columns (args) may hold lists.
    ``keys``: a hashable stand-in per row (default: the values).
    """
    values = list(values)
    if not values:
        return {"l": []} if tagged else []
    codes, _ = pd.factorize(pd.Series(keys, dtype=object) if keys is not None else pd.Series(values), use_na_sentinel=False)
    _, first = np.unique(codes, return_index=True)
    if len(first) == 1:
        return {"c": values[0]} if tagged else values[0]
    if len(first) <= len(ALPHABET) and len(first) * 4 < len(values):
        return {"f": [values[k] for k in first.tolist()], "x": _code_text(codes)}
    if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in (values[k] for k in first.tolist())):
        return {"n": ",".join("" if v is None else repr(v) for v in values)}
    return {"l": values} if tagged else values


def texts(series: pd.Series) -> list:
    """A column as JSON scalars (text, numbers, None), converted once per distinct value."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    lookup = [_text(u) for u in uniques] + [None]
    return [lookup[c] for c in codes.tolist()]


def numbers(values, decimals: int | None = None) -> list:
    """Numbers for JSON: None for missing, whole numbers as int, others at full precision
    (or rounded to ``decimals``)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        series = pd.to_numeric(series.astype(object), errors="coerce")
    a = series.to_numpy(dtype=float, na_value=np.nan)
    if decimals is not None:
        a = np.round(a, decimals)
    finite = np.isfinite(a)
    whole = finite & (np.abs(a) < 1e15)
    whole[whole] = a[whole] == np.floor(a[whole])
    out = a.tolist()
    for k in np.flatnonzero(~finite | whole).tolist():
        out[k] = int(out[k]) if whole[k] else None
    return out


def status_codes(series) -> str:
    """Statuses as one letter each (``-``: none)."""
    return "".join(pd.Series(series, dtype=object).map(STATUS_CODE).fillna("-").astype(str).tolist())


def _text(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value if isinstance(value, (str, int, float, bool)) else str(value)


# --------------------------------------------------------------------------- parcels


def parcel_payload(parcels, encoded_geoms: list) -> dict:
    """Ids, owners (as codes into a list), measures, statuses per family, geometries."""
    n = len(parcels)

    def col(name):
        return parcels[name] if name in parcels.columns else pd.Series([None] * n, index=parcels.index, dtype=object)

    ids = [str(v) for v in col("parcel_id").tolist()] if "parcel_id" in parcels.columns else [str(i) for i in range(n)]
    owners = col("owner").map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v))
    codes, uniques = pd.factorize(owners, use_na_sentinel=True)
    area_m2 = col("area_m2") if "area_m2" in parcels.columns else pd.Series(parcels.geometry.area, index=parcels.index)
    area_mu = col("area_mu") if "area_mu" in parcels.columns else pd.to_numeric(area_m2) / (10000 / 15)
    families = sorted((c[len("status_"):] for c in parcels.columns if c.startswith("status_")), key=_family_key)
    status = {"overall": status_codes(col("status"))}
    for fam in families:
        status[fam] = status_codes(parcels[f"status_{fam}"])
    return {
        "n": n,
        "id": ids,
        "owners": [str(u) for u in uniques],
        "owner": codes.tolist(),
        "area_m2": numbers(area_m2, 2),
        "area_mu": numbers(area_mu, 4),
        "far": numbers(col("far"), 6),
        "height": numbers(col("height_m"), 2),
        "hsrc": encode(texts(col("height_source"))),
        "families": families,
        "status": status,
        "geom": encoded_geoms,
    }


def _family_key(fam: str) -> tuple[int, str]:
    order = list(dict.fromkeys(family_of(r) for r in RULE_IDS))
    return (order.index(fam) if fam in order else len(order), fam)


def _rule_rank(rules: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each row's rule's position in catalogue order (unknown rules after, by name), and each
    row's rule id (factorized: one string conversion per distinct rule, not per row)."""
    codes, uniques = pd.factorize(rules, use_na_sentinel=False)
    names = np.array([str(u) for u in uniques], dtype=object)
    ranked = sorted(range(len(names)), key=lambda k: (RULE_IDS.index(names[k]) if names[k] in RULE_IDS else len(RULE_IDS), names[k]))
    rank = np.empty(len(names), dtype=np.int64)
    rank[ranked] = np.arange(len(names))
    return rank[codes], names[codes]


def _groups(rule_rank: np.ndarray, subject: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Rows sorted by (rule, subject, parcel) and the (start, end) of each (rule, subject)."""
    subj_codes, _ = pd.factorize(pd.Series(subject, dtype=object))
    order = np.lexsort((np.where(p < 0, np.iinfo(np.int64).max, p), subj_codes, rule_rank))
    key = rule_rank[order] * (int(subj_codes.max(initial=0)) + 1) + subj_codes[order]
    cuts = np.flatnonzero(np.diff(key)) + 1
    starts = np.concatenate([[0], cuts]).astype(int).tolist()
    ends = np.concatenate([cuts, [len(order)]]).astype(int).tolist()
    return order, list(zip(starts, ends, strict=True)) if len(order) else []


def parcel_index(ids: pd.Series, index: dict[str, int]) -> np.ndarray:
    """Each row's parcel's position on the map, -1 where it has none."""
    codes, uniques = pd.factorize(ids.astype(object), use_na_sentinel=True)
    lookup = np.array([index.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return lookup[codes]


# --------------------------------------------------------------------------- args


class _Args:
    """A JSON ``args`` column, parsed once per distinct text."""

    def __init__(self, texts: pd.Series):
        self.codes, uniques = pd.factorize(texts.astype(object), use_na_sentinel=True)
        self.parsed = [_parse(t) for t in uniques]

    def split(self, rows: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, dict]:
        """The args of ``rows`` (positions) in two parts: the names with few distinct
        values together (per row a code, and per code the partial object), and the others,
        one tagged column each."""
        local, present = pd.factorize(self.codes[rows])
        present = present.tolist()
        names = sorted({k for u in present if u >= 0 for k in self.parsed[u]})
        values, keys, few = {}, {}, []
        for name in names:
            values[name] = _objects([self.parsed[u].get(name) if u >= 0 else None for u in present])
            keys[name] = _objects([_key(v) for v in values[name]])
            key_codes, uniques = pd.factorize(pd.Series(keys[name], dtype=object), use_na_sentinel=False)
            if len(uniques) <= len(ALPHABET) and len(np.unique(key_codes[local])) <= len(ALPHABET):
                few.append(name)
        codes = objects = None
        joint = pd.Series(list(zip(*(keys[name] for name in few), strict=True)) if few else [()] * len(present), dtype=object)
        joint_codes, _ = pd.factorize(joint, use_na_sentinel=False)
        if len(np.unique(joint_codes[local])) <= len(ALPHABET):
            codes = joint_codes[local]
            partial = [{n: values[n][u] for n in few if values[n][u] is not None} for u in range(len(present))]
            objects = _objects([None] * (int(joint_codes.max(initial=-1)) + 1))
            for u, code in enumerate(joint_codes.tolist()):
                objects[code] = partial[u] or None
        else:
            few = []
        others = {name: encode(values[name][local].tolist(), tagged=True, keys=keys[name][local].tolist()) for name in names if name not in few}
        return codes, objects, others

    def columns(self, rows: np.ndarray) -> dict:
        """The args of ``rows`` as columns (``"_"``: the names with few values together)."""
        codes, objects, out = self.split(rows)
        if codes is not None and any(o is not None for o in objects):
            out["_"] = encode(objects[codes].tolist(), tagged=True, keys=codes.tolist())
        return out


def _joint(entry: dict, statuses: str, x: np.ndarray, args: _Args | None, rows: np.ndarray) -> None:
    """Status, reason and the few-valued args of each row as one code (``k``: per code
    ``[status letter, reason index, partial args]``) when they take few combinations
    together, else as ``s``, ``x`` and ``a["_"]``; args with many values in ``a``."""
    codes, objects, others = args.split(rows) if args is not None else (None, None, {})
    letters = np.frombuffer(statuses.encode("ascii"), dtype=np.uint8).astype(np.int64)
    arg_codes = codes if codes is not None else np.zeros(len(rows), dtype=np.int64)
    combined = (letters * (int(x.max(initial=0)) + 1) + x) * (int(arg_codes.max(initial=0)) + 1) + arg_codes
    joint_codes, uniques = pd.factorize(combined)
    if len(uniques) <= len(ALPHABET):
        _, first = np.unique(joint_codes, return_index=True)
        table = [[statuses[k], int(x[k]), None if codes is None else objects[codes[k]]] for k in first.tolist()]
        entry["k"] = {"f": table, "x": _code_text(joint_codes)}
    else:
        entry["s"] = statuses
        entry["x"] = encode(x.tolist())
        if codes is not None and any(o is not None for o in objects):
            others["_"] = encode(objects[codes].tolist(), tagged=True, keys=codes.tolist())
    if others:
        entry["a"] = others


def _key(value: Any) -> Any:
    """A hashable stand-in for an arg value (lists and dicts by their JSON, True apart from 1)."""
    if isinstance(value, (list, dict)):
        return "\x1fj" + json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "\x1fb" + str(value)
    return value


def _objects(items: list) -> np.ndarray:
    """A 1-d object array (lists stay items, not a second dimension)."""
    out = np.empty(len(items), dtype=object)
    out[:] = [None] * len(items)
    for k, item in enumerate(items):
        out[k] = item
    return out


def _parse(text: Any) -> dict:
    if not isinstance(text, str) or not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return {k: arg_value(v) for k, v in data.items()} if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- verdicts


class Pairs:
    """The (rule, reason) pairs of the page, each with its templates (index = position)."""

    def __init__(self):
        self.index: dict[tuple[str, str], int] = {}

    def codes(self, rules: pd.Series, reasons: pd.Series) -> np.ndarray:
        """The pair index of each row."""
        r_codes, r_uniques = pd.factorize(rules.astype(object).fillna(""), use_na_sentinel=False)
        x_codes, x_uniques = pd.factorize(reasons.astype(object).fillna(""), use_na_sentinel=False)
        joint, first = np.unique(r_codes.astype(np.int64) * (len(x_uniques) + 1) + x_codes, return_inverse=False, return_index=True)
        lookup = {}
        for j, k in zip(joint.tolist(), first.tolist(), strict=True):
            pair = (str(r_uniques[r_codes[k]]), str(x_uniques[x_codes[k]]))
            lookup[j] = self.index.setdefault(pair, len(self.index))
        combined = r_codes.astype(np.int64) * (len(x_uniques) + 1) + x_codes
        if not len(combined):
            return np.zeros(0, dtype=np.int64)
        keys = np.fromiter(lookup.keys(), dtype=np.int64)
        vals = np.fromiter(lookup.values(), dtype=np.int64)
        order = np.argsort(keys)
        return vals[order][np.searchsorted(keys[order], combined)]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return list(self.index)


def shown_verdicts(table: pd.DataFrame | None, pack) -> pd.DataFrame:
    """The verdict rows a person is shown: rules the pack does not have are left out."""
    if table is None or len(table) == 0 or "rule" not in table.columns:
        return pd.DataFrame(columns=["subject", "subject_id", "parcel_id", "rule", "status"])
    keep = np.ones(len(table), dtype=bool)
    if "reason" in table.columns:
        keep &= (table["reason"] != "not_in_policy").to_numpy()
    rules = getattr(pack, "rules", None) or {}
    if rules:
        keep &= table["rule"].isin(list(rules)).to_numpy()
    return table[keep]


def verdict_payload(table: pd.DataFrame, index: dict[str, int], pairs: Pairs) -> tuple[list, list[str], set[str]]:
    """(entries, rules with parcel verdicts in display order, units used).

    One entry per (rule, subject), rows in parcel order: ``r`` rule, ``sub`` subject
    (absent for parcels), ``p`` parcel index per row (absent when the entry has one row
    per parcel in parcel order; -1 where the row's parcel is not on the map), ``sid``
    subject ids, ``pid`` parcel ids where not on the map, ``s`` statuses, ``x`` reason
    codes (into the page's templates), ``a`` args, ``v`` value, ``l`` limit, ``u``
    unit, ``h`` headroom, ``c`` clause.
    """
    if len(table) == 0:
        return [], [], set()
    v = table.reset_index(drop=True)
    n = len(index)
    p = parcel_index(v["parcel_id"], index) if "parcel_id" in v.columns else np.full(len(v), -1, dtype=np.int64)
    subject = (v["subject"].fillna("parcel").astype(str) if "subject" in v.columns else pd.Series(["parcel"] * len(v))).to_numpy(dtype=object)
    if "reason" in v.columns:
        x = pairs.codes(v["rule"], v["reason"])
    else:  # an older result without reason codes: its sentences as they were written
        x = pairs.codes(pd.Series([TEXT_RULE] * len(v)), v["explanation"] if "explanation" in v.columns else pd.Series([""] * len(v)))
    args = _Args(v["args"]) if "args" in v.columns else None
    rule_rank, rules = _rule_rank(v["rule"])
    order, spans = _groups(rule_rank, subject, p)
    entries, parcel_rules, units = [], [], set()
    for a, b in spans:
        rows = order[a:b]
        rule, sub = rules[rows[0]], subject[rows[0]]
        g = v.iloc[rows]
        entry: dict[str, Any] = {"r": rule}
        pr = p[rows]
        if sub != "parcel":
            entry["sub"] = sub
            entry["sid"] = encode(texts(g["subject_id"])) if "subject_id" in g.columns else None
        if not (sub == "parcel" and len(pr) == n and np.array_equal(pr, np.arange(n))):
            entry["p"] = pr.tolist()
        if (pr < 0).any() and "parcel_id" in g.columns:
            entry["pid"] = encode(texts(g["parcel_id"]))
        _joint(entry, status_codes(g["status"]) if "status" in g.columns else "-" * len(g), x[rows], args, rows)
        _side_columns(entry, g, "", units)
        entries.append(entry)
        if sub == "parcel":
            parcel_rules.append(rule)
    return entries, parcel_rules, units


#: The pseudo rule of sentences read back from an older result (no reason codes).
TEXT_RULE = "=text"


def _side_columns(entry: dict, g: pd.DataFrame, suffix: str, units: set[str]) -> None:
    """Value, limit, headroom, unit and clause of rows ``g`` (columns ``value{suffix}`` …)."""
    tag = suffix.lstrip("_")
    for key, name in (("v", "value"), ("l", "limit"), ("h", "headroom")):
        if name + suffix in g.columns:
            entry[key + tag] = encode(numbers(g[name + suffix]))
    for key, name in (("u", "unit"), ("c", "clause")):
        if name + suffix in g.columns:
            vals = texts(g[name + suffix])
            entry[key + tag] = encode(vals)
            if key == "u":
                units.update(u for u in set(vals) if isinstance(u, str) and u)


def share_columns(entries: list[dict]) -> None:
    """Store a long number column that several entries hold (e.g. the per-mu tax of two
    efficiency rules) once: the others get ``{"same": [entry, key]}`` (or ``[entry, "a",
    name]`` for an arg)."""
    seen: dict[str, list] = {}
    for i, entry in enumerate(entries):
        places = [((key,), entry[key]) for key in ("v", "l", "h") if key in entry]
        places += [(("a", name), c) for name, c in entry.get("a", {}).items()]
        for path, c in places:
            if isinstance(c, dict) and isinstance(c.get("n"), str) and len(c["n"]) > 200:
                ref = seen.setdefault(c["n"], [i, *path])
                if ref[0] != i:
                    target = entry if len(path) == 1 else entry["a"]
                    target[path[-1]] = {"same": ref}


# --------------------------------------------------------------------------- compare


def compare_payload(differences: pd.DataFrame, index: dict[str, int], pairs: Pairs, n: int) -> tuple[dict, set[str]]:
    """The differences between two checks.

    One group per (rule, subject) as for verdicts, with each column twice (``sa``/``sb``,
    ``xa``/``xb``, ``aa``/``ab``, ``va``/``vb`` …) and ``k`` the kind of change (a letter
    of ``CHANGE_CODES``); ``parcelKind``: per parcel, the kind it is coloured by.
    """
    d = differences.reset_index(drop=True)
    units: set[str] = set()
    out = {"a": str(d.attrs.get("a", "a")), "b": str(d.attrs.get("b", "b")), "groups": [], "parcelKind": "-" * n}
    if len(d) == 0:
        return out, units
    p = parcel_index(d["parcel_id"], index) if "parcel_id" in d.columns else np.full(len(d), -1, dtype=np.int64)
    rank = {k: i for i, k in enumerate(CHANGE_KINDS)}
    last = len(CHANGE_KINDS) - 1  # an unknown kind weighs least
    kind = d["kind"].map(rank).fillna(last).astype(np.int64).to_numpy() if "kind" in d.columns else np.full(len(d), last)
    subject = (d["subject"].fillna("parcel").astype(str) if "subject" in d.columns else pd.Series(["parcel"] * len(d))).to_numpy(dtype=object)
    first = np.full(n + 1, len(CHANGE_KINDS), dtype=np.int64)
    np.minimum.at(first, np.where(p >= 0, p, n), kind)  # the weightiest kind of each parcel
    out["parcelKind"] = "".join(CHANGE_CODES[k] if k < len(CHANGE_KINDS) else "-" for k in first[:n].tolist())
    sides = {}
    for side in ("a", "b"):
        # a rule one side does not give is "not in this policy" there (landtool.compare.with_sentences)
        reason = d[f"reason_{side}"].fillna("not_in_policy") if f"reason_{side}" in d.columns else pd.Series(["not_in_policy"] * len(d))
        sides[side] = (pairs.codes(d["rule"], reason), _Args(d[f"args_{side}"]) if f"args_{side}" in d.columns else None)
    rule_rank, rules = _rule_rank(d["rule"])
    order, spans = _groups(rule_rank, subject, p)
    for a, b in spans:
        rows = order[a:b]
        g = d.iloc[rows]
        entry: dict[str, Any] = {"r": rules[rows[0]], "p": p[rows].tolist(), "k": _code_text(kind[rows])}
        if (p[rows] < 0).any() and "parcel_id" in g.columns:
            entry["pid"] = encode(texts(g["parcel_id"]))
        if subject[rows[0]] != "parcel":
            entry["sub"] = subject[rows[0]]
            entry["sid"] = encode(texts(g["subject_id"])) if "subject_id" in g.columns else None
        for side in ("a", "b"):
            x, args = sides[side]
            if f"status_{side}" in g.columns:
                entry["s" + side] = status_codes(g[f"status_{side}"])
            entry["x" + side] = encode(x[rows].tolist())
            if args is not None and (cols := args.columns(rows)):
                entry["a" + side] = cols
            _side_columns(entry, g, "_" + side, units)
        out["groups"].append(entry)
    return out, units
