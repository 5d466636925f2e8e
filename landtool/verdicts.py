"""Building verdict rows: one per (subject, rule), the columns of SCHEMA.md.

A rule function computes, per subject, a status, the measured value, the limit and a
reason key; :func:`verdict_frame` turns those arrays into rows, filling the pack, the
clause, the interpretation and one explanation sentence per row in the chosen language.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter
from typing import Any

import numpy as np
import pandas as pd

from landtool.policy import Rule
from landtool.result import VERDICT_COLUMNS

__all__ = ["Explain", "NOT_INDUSTRIAL", "NOT_IN_POLICY", "not_in_policy", "parcel_verdicts", "verdict_frame"]

#: reason key → {"zh": template, "en": template}; templates use ``str.format`` fields
#: taken from the row (value, limit, unit, and any extra columns passed in).
Explain = Mapping[str, Mapping[str, str]]

#: The explanation of a rule that applies to industrial land only, on other land.
NOT_INDUSTRIAL = {"zh": "非工业用地，不适用", "en": "not industrial land: does not apply"}
NOT_IN_POLICY = {"zh": "本政策无此规定（not in this policy）", "en": "not in this policy"}
DISCRETION = {
    "zh": "；该限值为“原则上”，经特别批准仍可允许",
    "en": "; the limit applies 'in principle' (原则上): a special approval may still allow it",
}


def _fmt(value: Any) -> str:
    """Numbers for sentences: up to 6 significant decimals, no trailing zeros."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if isinstance(value, (float, np.floating)):
        text = f"{value:,.6f}".rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    return str(value)


def verdict_frame(
    rule: Rule,
    pack_id: str,
    *,
    subject: str,
    subject_id,
    parcel_id,
    status,
    reason,
    explain: Explain,
    lang: str,
    value=np.nan,
    limit=np.nan,
    unit: str | Any = "",
    extra: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Assemble verdict rows for one rule.

    Parameters
    ----------
    status, reason
        Arrays (one per subject) of status strings and reason keys into ``explain``.
    value, limit
        Measured values and limits (floats; NaN where none), in ``unit``.
    extra
        Further per-row values that explanation templates may use (e.g. ``source``)
        and that are kept as columns when their name ends in ``_m2`` or is
        ``headroom``.
    """
    n = len(np.atleast_1d(subject_id))
    frame = pd.DataFrame(
        {
            "subject": subject,
            "subject_id": np.asarray(subject_id, dtype=object),
            "parcel_id": np.asarray(parcel_id, dtype=object) if not np.isscalar(parcel_id) else parcel_id,
            "rule": rule.id,
            "status": np.asarray(status, dtype=object),
            "value": np.broadcast_to(np.asarray(value, dtype=float), (n,)),
            "limit": np.broadcast_to(np.asarray(limit, dtype=float), (n,)),
            "unit": unit,
            "pack": pack_id,
            "clause": rule.clause,
        },
        index=range(n),
    )
    context = {k: np.broadcast_to(np.asarray(v, dtype=object), (n,)) for k, v in (extra or {}).items()}
    columns = {**{c: frame[c].to_numpy() for c in frame.columns}, **context}
    reasons = np.broadcast_to(np.asarray(reason, dtype=object), (n,))
    sentences = _explain(reasons, columns, explain, lang)
    frame["explanation"] = sentences
    if rule.discretionary:
        frame.loc[frame["status"] == "fail", "explanation"] += DISCRETION[lang]
    frame["interpretation"] = rule.interpretation_text(lang) or None
    if "headroom" in context:
        # headroom only means something where the limit was actually applied
        decided = frame["status"].isin(["pass", "fail"]).to_numpy()
        frame["headroom"] = np.where(decided, np.asarray(context["headroom"], dtype=float), np.nan)
    return frame[[*VERDICT_COLUMNS, *(["headroom"] if "headroom" in frame else [])]]


def _explain(reasons: np.ndarray, columns: Mapping[str, np.ndarray], explain: Explain, lang: str) -> np.ndarray:
    """One sentence per row: the template of the row's reason, filled from its columns.

    Rows are formatted a reason at a time and only the fields a template names are
    turned into text, so 50 000 parcels × a dozen rules stay fast.
    """
    sentences = np.empty(len(reasons), dtype=object)
    for key in pd.unique(reasons):
        rows = np.flatnonzero(reasons == key)
        template = explain[key][lang]
        names = sorted({name for _, name, _, _ in Formatter().parse(template) if name})
        values = [[_fmt(v) for v in columns[name][rows]] for name in names]
        sentences[rows] = [template.format(**dict(zip(names, row, strict=True))) for row in zip(*values, strict=True)] if names else template
    return sentences


def parcel_verdicts(frame: pd.DataFrame, rule: Rule, pack_id: str, **kwargs) -> pd.DataFrame:
    """:func:`verdict_frame` for a parcel rule: one row per parcel of ``frame``."""
    return verdict_frame(rule, pack_id, subject="parcel", subject_id=frame["parcel_id"], parcel_id=frame["parcel_id"], **kwargs)


def not_in_policy(rule_id: str, pack_id: str, *, subject: str, subject_id, parcel_id, lang: str) -> pd.DataFrame:
    """``not_applicable`` rows for a rule the pack does not have."""
    n = len(np.atleast_1d(subject_id))
    frame = pd.DataFrame(
        {
            "subject": subject,
            "subject_id": np.asarray(subject_id, dtype=object),
            "parcel_id": np.asarray(parcel_id, dtype=object),
            "rule": rule_id,
            "status": "not_applicable",
            "value": np.nan,
            "limit": np.nan,
            "unit": "",
            "pack": pack_id,
            "clause": "",
            "explanation": NOT_IN_POLICY[lang],
            "interpretation": None,
        },
        index=range(n),
    )
    return frame[VERDICT_COLUMNS]
