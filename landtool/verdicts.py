"""Building verdict rows: one per (subject, rule), the columns of SCHEMA.md.

A rule computes, per subject, a status, the measured value, the limit and a **reason
code** (stable, language-free: ``over_limit``, ``no_floor_area`` …) with the parameters
its sentence needs (``args``). :func:`verdict_frame` turns those arrays into compact
rows; the sentences are rendered from the message catalogues only where text is
written (:func:`landtool.messages.render_verdicts`).

Every rule declares the reason codes it can give (:func:`declare`), so that a test can
prove each has a sentence in every language and no catalogue entry is unused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from landtool.messages import combined_codes
from landtool.policy import Rule
from landtool.result import STATUSES, TABLE_COLUMNS

__all__ = ["REASONS", "args_json", "by_reason", "concat_tables", "declare", "jsonable", "not_in_policy", "only", "parcel_verdicts", "per_row", "verdict_frame"]

#: rule id → the reason codes its function can give.
REASONS: dict[str, frozenset[str]] = {}
#: Reason codes every rule may give.
SHARED_REASONS = frozenset({"not_in_policy"})


def declare(rule_id: str, codes: Iterable[str]) -> None:
    """Record the reason codes that ``rule_id`` can give (rule modules call this once)."""
    REASONS[rule_id] = REASONS.get(rule_id, frozenset()) | frozenset(codes)


def only(mask, values) -> np.ndarray:
    """``values`` where ``mask`` holds, None elsewhere: an arg that only some reasons use.

    ``values`` is one value per row, or one value (a scalar or a list) shared by the rows.
    Keeping an arg off the rows whose sentence does not name it keeps the ``args``
    column small and the rendering fast.
    """
    mask = np.asarray(mask, dtype=bool)
    if isinstance(values, (list, tuple, str)) or np.ndim(values) == 0:  # one value for every row
        table = np.empty(2, dtype=object)
        table[1] = values
        return table[mask.astype(np.intp)]
    out = np.full(len(mask), None, dtype=object)
    vals = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    out[mask] = vals[mask]
    return out


def per_row(items) -> np.ndarray:
    """A list of per-row values (lists among them) as a 1-d object array: one arg value per row."""
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def by_reason(reason: np.ndarray, values: Mapping[str, Any]) -> np.ndarray:
    """Per row, the value listed for its reason code (None for reasons not listed).

    ``values`` maps a reason to one value (e.g. the list of missing inputs) or to one
    value per row.

    >>> by_reason(np.array(["pass", "no_grade"]), {"no_grade": ["grade"]}).tolist()
    [None, ['grade']]
    """
    reason = np.asarray(reason, dtype=object)
    out = np.full(len(reason), None, dtype=object)
    for code, value in values.items():  # a handful of reasons
        rows = reason == code
        out[rows] = only(rows, value)[rows]
    return out


def jsonable(value: Any) -> Any:
    """A value as JSON can hold it: numpy scalars → Python, NaN → None, dates → ISO text."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in value]
    if isinstance(value, (pd.Timestamp,)):
        return value.date().isoformat()
    return value if isinstance(value, (str, int)) else str(value)


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False)


def _value_codes(value) -> tuple[np.ndarray, np.ndarray]:
    """(codes, one value per code) of an arg column: equal values share a code; -1 = missing.

    Lists are unhashable: they are told apart by identity, which is what rules hand
    over (one list object shared by every row that names the same inputs).
    """
    arr = value.to_numpy() if isinstance(value, pd.Series) else np.asarray(value)
    if arr.dtype.kind == "f":
        arr = np.where(np.isfinite(arr), arr, np.nan)
    try:
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
        return codes, np.asarray(uniques, dtype=object)
    except TypeError:
        present = np.flatnonzero(~pd.isna(pd.Series(arr, dtype=object)).to_numpy())
        codes = np.full(len(arr), -1, dtype=np.int64)
        found, _ = pd.factorize(np.fromiter(map(id, arr[present]), dtype=np.int64, count=len(present)))
        codes[present] = found
        _, firsts = np.unique(found, return_index=True)
        return codes, arr[present[firsts]]


def args_column(args: Mapping[str, Any] | None, n: int) -> pd.Categorical:
    """Per row, the JSON object of the args (missing where every arg is), as a categorical.

    The rows are grouped by their combination of arg values with integer codes, and
    each distinct combination is encoded once: a hundred thousand parcels with a handful
    of distinct args cost a handful of ``json.dumps``. Keys are sorted, missing values
    left out.
    """
    empty = pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), categories=_texts([]), validate=False)
    if not args or n == 0:
        return empty
    constant = {}
    varying = []
    for name in sorted(args):
        value = args[name]
        if np.ndim(value) == 0 or isinstance(value, (str, list, tuple)):
            j = jsonable(value)
            if j is not None and j != "" and j != []:
                constant[name] = j
        elif not pd.isna(value).all():  # an arg no row uses costs nothing
            codes, uniques = _value_codes(value)
            varying.append((name, codes, uniques))
    if not varying:
        if not constant:
            return empty
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=_texts([_ENCODER.encode(constant)]), validate=False)
    combo, firsts = combined_codes(n, [(codes, len(uniques)) for _, codes, uniques in varying])
    texts = _json_objects(constant, {name: (codes[firsts], uniques) for name, codes, uniques in varying}, len(firsts))
    categories, to_category = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=True)
    return pd.Categorical.from_codes(categories[combo], categories=_texts(to_category), validate=False)


def _json_objects(constant: Mapping[str, Any], varying: Mapping[str, tuple[np.ndarray, np.ndarray]], m: int) -> np.ndarray:
    """``m`` JSON objects (None where empty): the ``constant`` members and, per object,
    the ``varying`` members (codes into distinct values; -1 = absent), keys sorted.

    Built with Arrow string kernels, so many distinct objects cost no Python each.
    """
    pieces = []
    for name in sorted({*constant, *varying}):
        if name in constant:
            pieces.append(pa.scalar(f'"{name}": {_ENCODER.encode(constant[name])}'))
            continue
        codes, uniques = varying[name]
        if uniques.dtype == object and all(isinstance(u, (float, int, np.floating, np.integer)) and not isinstance(u, bool) for u in uniques[:50]):
            numbers = np.asarray([float(u) for u in uniques])
            texts = pa.array(numbers).cast(pa.string())  # Arrow's shortest round-trip text of each number
        else:
            encoded = [None if (j := jsonable(u)) is None or j == "" or j == [] else _ENCODER.encode(j) for u in uniques]
            texts = pa.array(encoded, type=pa.string())
        texts = pa.concat_arrays([texts, pa.array([None], type=pa.string())])
        column = texts.take(pa.array(np.where(codes < 0, len(uniques), codes)))
        pieces.append(pc.binary_join_element_wise(f'"{name}": ', column, ""))
    if not pieces:
        return np.full(m, None, dtype=object)
    # Missing members are joined as empty and squeezed out afterwards (Arrow's own
    # null_handling="skip" drops rows whose pieces are all null). U+001F cannot occur in
    # the pieces: JSON escapes control characters inside strings.
    filled = [p if isinstance(p, pa.Scalar) else pc.fill_null(p, "") for p in pieces]
    if all(isinstance(p, pa.Scalar) for p in filled):
        filled.append(pa.array([""] * m, type=pa.string()))
    joined = pc.binary_join_element_wise(*filled, "\x1f")
    joined = pc.utf8_trim(pc.replace_substring_regex(joined, "\x1f+", "\x1f"), "\x1f")
    joined = pc.replace_substring(joined, "\x1f", ", ")
    wrapped = pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), pc.binary_join_element_wise("{", joined, "}", ""))
    return wrapped.to_numpy(zero_copy_only=False)


def args_json(args: Mapping[str, Any] | None, n: int) -> np.ndarray:
    """Per row, the JSON object of the args as text (None where every arg is missing)."""
    return np.asarray(args_column(args, n).astype(object))


def verdict_frame(
    rule: Rule,
    pack_id: str,
    *,
    subject: str,
    subject_id,
    parcel_id,
    status,
    reason,
    value=np.nan,
    limit=np.nan,
    unit: str | Any = "",
    headroom=None,
    args: Mapping[str, Any] | None = None,
    discretionary=None,
) -> pd.DataFrame:
    """Assemble the verdict rows of one rule.

    Parameters
    ----------
    status, reason
        One status and one reason code per subject (arrays or scalars).
    value, limit
        Measured values and limits (NaN where none), in ``unit``.
    headroom
        How much is still allowed, in the unit of the limit's consequence (m² of floor
        area, m of height …); kept only where the limit was applied (pass or fail).
    args
        Further values the reason's sentence names (arrays or scalars); stored as a
        JSON object per row.
    discretionary
        Per row, whether the breach is of a "原则上" limit of the pack itself, so that
        the sentence says a special approval may still allow it. Default: every
        failing verdict of a discretionary rule.
    """
    n = len(np.atleast_1d(np.asarray(subject_id, dtype=object)))
    status = np.broadcast_to(np.asarray(status, dtype=object), (n,))
    reason = np.broadcast_to(np.asarray(reason, dtype=object), (n,))
    declared = REASONS.get(rule.id)
    if declared is not None:
        unknown = set(pd.unique(reason)) - declared - SHARED_REASONS
        if unknown:
            msg = f"{rule.id} gave undeclared reason(s) {sorted(unknown)}"
            raise AssertionError(msg)
    failing = status == "fail"
    if discretionary is None:
        discretionary = failing & rule.discretionary
    else:
        discretionary = np.broadcast_to(np.asarray(discretionary, dtype=bool), (n,)) & failing
    all_args = dict(args or {})
    if discretionary.any():
        all_args["discretionary"] = np.where(discretionary, True, None)
    decided = np.isin(status, ("pass", "fail"))
    frame = pd.DataFrame(
        {
            "subject": _codes_of(subject, n),
            "subject_id": _ids(subject_id, n),
            "parcel_id": _ids(parcel_id, n),
            "rule": _codes_of(rule.id, n),
            "status": pd.Categorical(status, categories=_texts(STATUSES)),
            "reason": _codes_of(reason, n),
            "value": np.broadcast_to(np.asarray(value, dtype=float), (n,)),
            "limit": np.broadcast_to(np.asarray(limit, dtype=float), (n,)),
            "unit": _codes_of(unit, n),
            "pack": _codes_of(pack_id, n),
            "clause": _codes_of(rule.clause, n),
            "headroom": np.where(decided, np.broadcast_to(np.asarray(headroom, dtype=float), (n,)), np.nan) if headroom is not None else np.full(n, np.nan),
            "args": args_column(all_args, n),
        },
        index=range(n),
    )
    return frame[TABLE_COLUMNS]


def _texts(values) -> pd.Index:
    """Categories as Python text: every code column shares the category type, so united
    categoricals stay categorical."""
    return pd.Index(list(values), dtype=object)


def _codes_of(values, n: int) -> pd.Categorical:
    """A column of few distinct codes (rule, reason, unit …) as a categorical: one byte a row."""
    if np.ndim(values) == 0:
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=_texts([values]), validate=False)
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    return pd.Categorical.from_codes(codes, categories=_texts(uniques), validate=False)


def _ids(values, n: int) -> pd.Series:
    """Subject or parcel ids as Python objects (shared with the input; no copy into Arrow strings)."""
    arr = np.empty(n, dtype=object)
    arr[:] = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    return pd.Series(arr, dtype=object, copy=False)


def _as_codes(piece: pd.Series) -> pd.Series:
    """A column as a categorical with Python-text categories."""
    if isinstance(piece.dtype, pd.CategoricalDtype):
        if piece.cat.categories.dtype == object:
            return piece
        return pd.Series(pd.Categorical.from_codes(piece.cat.codes.to_numpy(), categories=_texts(piece.cat.categories), validate=False), index=piece.index)
    return pd.Series(_codes_of(piece.to_numpy(dtype=object), len(piece)), index=piece.index)


def concat_tables(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Verdict tables one after the other; code columns stay categorical (their categories united)."""
    parts = [p for p in parts if len(p.columns)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})
    columns = {}
    for name in parts[0].columns:
        pieces = [p[name] for p in parts]
        if any(isinstance(piece.dtype, pd.CategoricalDtype) for piece in pieces):
            pieces = [_as_codes(piece) for piece in pieces]
            columns[name] = pd.Series(union_categoricals([piece.array for piece in pieces]))
        else:
            columns[name] = pd.concat(pieces, ignore_index=True)
    return pd.DataFrame(columns)


def parcel_verdicts(frame: pd.DataFrame, rule: Rule, pack_id: str, **kwargs) -> pd.DataFrame:
    """:func:`verdict_frame` for a parcel rule: one row per parcel of ``frame``."""
    return verdict_frame(rule, pack_id, subject="parcel", subject_id=frame["parcel_id"], parcel_id=frame["parcel_id"], **kwargs)


def not_in_policy(rule_id: str, pack_id: str, *, subject: str, subject_id, parcel_id) -> pd.DataFrame:
    """``not_applicable`` rows for a rule the pack does not have."""
    n = len(np.atleast_1d(np.asarray(subject_id, dtype=object)))
    frame = pd.DataFrame(
        {
            "subject": _codes_of(subject, n),
            "subject_id": _ids(subject_id, n),
            "parcel_id": _ids(parcel_id, n),
            "rule": _codes_of(rule_id, n),
            "status": pd.Categorical(np.full(n, "not_applicable", dtype=object), categories=_texts(STATUSES)),
            "reason": _codes_of("not_in_policy", n),
            "value": np.full(n, np.nan),
            "limit": np.full(n, np.nan),
            "unit": _codes_of("", n),
            "pack": _codes_of(pack_id, n),
            "clause": _codes_of("", n),
            "headroom": np.full(n, np.nan),
            "args": args_column(None, n),
        },
        index=range(n),
    )
    return frame[TABLE_COLUMNS]
