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

from landtool.policy import Rule
from landtool.result import TABLE_COLUMNS

__all__ = ["REASONS", "args_json", "by_reason", "declare", "jsonable", "not_in_policy", "only", "parcel_verdicts", "per_row", "verdict_frame"]

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


def _json_values(value) -> pa.Array:
    """One column of args as JSON texts (null where missing), vectorized.

    Numbers and booleans are cast by Arrow; other values (text, lists) are encoded once
    per distinct value — lists are told apart by identity, which is what rules hand over
    (one list object shared by every row that names the same inputs).
    """
    arr = value.to_numpy() if isinstance(value, pd.Series) else np.asarray(value)
    if arr.dtype.kind in "fiub":
        if arr.dtype.kind == "f":
            arr = np.where(np.isfinite(arr), arr, np.nan)
        return pa.array(arr, from_pandas=True).cast(pa.string())
    try:
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    except TypeError:
        codes, _ = pd.factorize(np.fromiter(map(id, arr), dtype=np.int64, count=len(arr)))
        _, firsts = np.unique(codes, return_index=True)
        uniques = arr[firsts]
    texts = [None if (j := jsonable(u)) is None or j == "" or j == [] else _ENCODER.encode(j) for u in uniques]
    table = pa.array([*texts, None], type=pa.string())
    return table.take(pa.array(np.where(codes < 0, len(texts), codes)))


def args_json(args: Mapping[str, Any] | None, n: int) -> np.ndarray:
    """Per row, the JSON object of the args (None where every arg is missing).

    Built column by column with Arrow string kernels, so a million rows with a number
    each cost no Python per row; keys are sorted, missing values left out.
    """
    if not args or n == 0:
        return np.full(n, None, dtype=object)
    pieces = []
    for name in sorted(args):
        value = args[name]
        if np.ndim(value) == 0 or isinstance(value, (str, list, tuple)):
            j = jsonable(value)
            if j is None or j == "" or j == []:
                continue
            pieces.append(pa.scalar(f'"{name}": {_ENCODER.encode(j)}'))
        else:
            pieces.append(pc.binary_join_element_wise(f'"{name}": ', _json_values(value), ""))
    if not pieces:
        return np.full(n, None, dtype=object)
    if all(isinstance(p, pa.Scalar) for p in pieces):  # nothing varies: one text for every row
        return np.full(n, "{" + ", ".join(p.as_py() for p in pieces) + "}", dtype=object)
    # Missing pieces are joined as empty and squeezed out afterwards (Arrow's own
    # null_handling="skip" drops rows whose pieces are all null). U+001F cannot occur in
    # the pieces: JSON escapes control characters inside strings.
    filled = [p if isinstance(p, pa.Scalar) else pc.fill_null(p, "") for p in pieces]
    joined = pc.binary_join_element_wise(*filled, "\x1f")
    joined = pc.utf8_trim(pc.replace_substring_regex(joined, "\x1f+", "\x1f"), "\x1f")
    joined = pc.replace_substring(joined, "\x1f", ", ")
    wrapped = pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), pc.binary_join_element_wise("{", joined, "}", ""))
    return wrapped.to_numpy(zero_copy_only=False)


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
            "subject": subject,
            "subject_id": np.asarray(subject_id, dtype=object) if np.ndim(subject_id) else subject_id,
            "parcel_id": np.asarray(parcel_id, dtype=object) if np.ndim(parcel_id) else parcel_id,
            "rule": rule.id,
            "status": status,
            "reason": reason,
            "value": np.broadcast_to(np.asarray(value, dtype=float), (n,)),
            "limit": np.broadcast_to(np.asarray(limit, dtype=float), (n,)),
            "unit": unit,
            "pack": pack_id,
            "clause": rule.clause,
            "headroom": np.where(decided, np.broadcast_to(np.asarray(headroom, dtype=float), (n,)), np.nan) if headroom is not None else np.nan,
            "args": args_json(all_args, n),
        },
        index=range(n),
    )
    return frame[TABLE_COLUMNS]


def parcel_verdicts(frame: pd.DataFrame, rule: Rule, pack_id: str, **kwargs) -> pd.DataFrame:
    """:func:`verdict_frame` for a parcel rule: one row per parcel of ``frame``."""
    return verdict_frame(rule, pack_id, subject="parcel", subject_id=frame["parcel_id"], parcel_id=frame["parcel_id"], **kwargs)


def not_in_policy(rule_id: str, pack_id: str, *, subject: str, subject_id, parcel_id) -> pd.DataFrame:
    """``not_applicable`` rows for a rule the pack does not have."""
    n = len(np.atleast_1d(np.asarray(subject_id, dtype=object)))
    frame = pd.DataFrame(
        {
            "subject": subject,
            "subject_id": np.asarray(subject_id, dtype=object),
            "parcel_id": np.asarray(parcel_id, dtype=object),
            "rule": rule_id,
            "status": "not_applicable",
            "reason": "not_in_policy",
            "value": np.nan,
            "limit": np.nan,
            "unit": "",
            "pack": pack_id,
            "clause": "",
            "headroom": np.nan,
            "args": None,
        },
        index=range(n),
    )
    return frame[TABLE_COLUMNS]

