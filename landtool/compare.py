"""Comparing two checks: what a new policy pack, or a new date, really changes.

Bureaus use it to brief officials. By default only **status changes** are listed, each
with its kind (:data:`CHANGE_KINDS`: ``pass_to_fail``, ``fail_to_pass``,
``becomes_not_applicable`` …); value and limit changes with ``all_changes``. A rule one
side does not give at all counts as ``not_applicable`` on that side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landtool.messages import catalogue, render_verdicts
from landtool.result import CheckResult

__all__ = ["CHANGE_KINDS", "compare_layer", "compare_results", "counts_by_kind", "print_compare", "with_sentences"]

KEYS = ["subject", "subject_id", "parcel_id", "rule"]
SIDES = ["status", "reason", "value", "limit", "unit", "clause", "pack", "args"]
#: Kinds of change, the weightiest first (a parcel's colour on the compare map is its
#: weightiest change).
CHANGE_KINDS = (
    "pass_to_fail",
    "becomes_uncheckable",
    "becomes_applicable",
    "fail_to_pass",
    "becomes_checkable",
    "becomes_not_applicable",
    "limit_changed",
    "value_changed",
)
_DECIDED = ("pass", "fail")


def _label(result: CheckResult) -> str:
    return f"{result.pack.id}@{result.as_of.isoformat()}"


def change_kind(status_a: pd.Series, status_b: pd.Series) -> np.ndarray:
    """The kind of each status change (None where the status is the same).

    >>> change_kind(pd.Series(["pass", "insufficient_data", "fail", "pass"]), pd.Series(["fail", "pass", "not_applicable", "pass"])).tolist()
    ['pass_to_fail', 'becomes_checkable', 'becomes_not_applicable', None]
    """
    a, b = status_a.to_numpy(dtype=object), status_b.to_numpy(dtype=object)
    decided_a, decided_b = np.isin(a, _DECIDED), np.isin(b, _DECIDED)
    conditions = [
        a == b,
        (a == "pass") & (b == "fail"),
        (a == "fail") & (b == "pass"),
        b == "not_applicable",
        a == "not_applicable",
        (a == "insufficient_data") & decided_b,
        decided_a & (b == "insufficient_data"),
    ]
    choices = [None, "pass_to_fail", "fail_to_pass", "becomes_not_applicable", "becomes_applicable", "becomes_checkable", "becomes_uncheckable"]
    return np.select(conditions, np.array(choices, dtype=object), None)


def compare_results(a: CheckResult, b: CheckResult, *, all_changes: bool = False) -> pd.DataFrame:
    """Verdicts that differ between ``a`` and ``b``: one row per (subject, rule).

    Columns: the keys, ``kind``, then each of :data:`SIDES` for both sides (``status_a``,
    ``status_b`` …). Sorted by kind (weightiest first), then subject. ``attrs["a"]`` and
    ``attrs["b"]`` name the sides (e.g. ``tiantai@2023-06-30``).
    """
    left, right = a.table[KEYS + SIDES], b.table[KEYS + SIDES]
    both = left.merge(right, on=KEYS, how="outer", suffixes=("_a", "_b"))
    for side in ("a", "b"):
        both[f"status_{side}"] = both[f"status_{side}"].fillna("not_applicable")
    kind = change_kind(both["status_a"], both["status_b"])
    if all_changes:
        same_status = pd.isna(kind)
        limit_moved = same_status & ~_same(both["limit_a"], both["limit_b"])
        value_moved = same_status & ~limit_moved & ~_same(both["value_a"], both["value_b"])
        kind = np.where(limit_moved, "limit_changed", np.where(value_moved, "value_changed", kind))
    out = both[pd.notna(kind)].copy()
    out.insert(len(KEYS), "kind", kind[pd.notna(kind)])
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    out = out.sort_values(["kind", "subject", "subject_id", "rule"], key=lambda c: c.map(order) if c.name == "kind" else c, ignore_index=True)
    out = out[KEYS + ["kind"] + [f"{c}_{s}" for c in SIDES for s in ("a", "b")]]
    out.attrs.update(a=_label(a), b=_label(b))
    return out


def _same(x: pd.Series, y: pd.Series) -> np.ndarray:
    x, y = x.to_numpy(float), y.to_numpy(float)
    return (np.isnan(x) & np.isnan(y)) | np.isclose(x, y, rtol=0, atol=1e-9)


def with_sentences(differences: pd.DataFrame, a: CheckResult, b: CheckResult, lang: str) -> pd.DataFrame:
    """The differences with ``explanation_a`` / ``explanation_b`` rendered in ``lang``."""
    out = differences.copy()
    for side, result in (("a", a), ("b", b)):
        view = pd.DataFrame({
            "rule": out["rule"],
            "reason": out[f"reason_{side}"].fillna("not_in_policy"),
            "pack": out[f"pack_{side}"].fillna(result.pack.id),
            **{c: out[f"{c}_{side}"] for c in ("value", "limit", "unit", "args")},
            "status": out[f"status_{side}"],
            "subject_id": out["subject_id"],
            "parcel_id": out["parcel_id"],
        })
        out[f"explanation_{side}"] = render_verdicts(view, lang)[0] if len(view) else pd.Series(dtype=object)
    return out


def counts_by_kind(differences: pd.DataFrame) -> pd.DataFrame:
    """Changes per kind and subject type: verdicts and distinct subjects."""
    grouped = differences.groupby(["kind", "subject"], sort=False)
    table = pd.DataFrame({"verdicts": grouped.size(), "subjects": grouped["subject_id"].nunique()}).reset_index()
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    return table.sort_values("kind", key=lambda c: c.map(order), ignore_index=True)


def compare_layer(differences: pd.DataFrame, parcels) -> pd.DataFrame:
    """Parcels with at least one changed parcel verdict: the weightiest kind, how many
    changes, and which rules, for the map and the GeoPackage."""
    on_parcels = differences[differences["subject"] == "parcel"]
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    rank = on_parcels["kind"].map(order)
    grouped = on_parcels.assign(rank=rank).groupby("parcel_id")
    summary = pd.DataFrame({
        "kind": grouped["rank"].min().map(dict(enumerate(CHANGE_KINDS))),
        "changes": grouped.size(),
        "rules": grouped["rule"].agg(lambda r: ", ".join(r)),
    })
    layer = parcels[["parcel_id", "owner", "area_m2", "area_mu", "geometry"]].merge(summary, left_on="parcel_id", right_index=True)
    layer["compared"] = f"{differences.attrs.get('a', 'a')} → {differences.attrs.get('b', 'b')}"
    return layer.reset_index(drop=True)


def print_compare(differences: pd.DataFrame, a: CheckResult, b: CheckResult, *, lang: str, console, limit: int = 200) -> None:
    """The differences on the terminal: counts per kind and subject, then the changes."""
    from rich.table import Table

    cat = catalogue(lang)
    ui = lambda key, **args: cat.text(f"ui.{key}", **args)
    counts = counts_by_kind(differences)
    title = ui("compare_title", a=differences.attrs.get("a"), b=differences.attrs.get("b"), verdicts=len(differences))
    table = Table(title=title, title_justify="left")
    for key in ("kind", "subject", "verdicts", "subjects"):
        table.add_column(ui(f"col_{key}"), justify="right" if key in ("verdicts", "subjects") else "left")
    for row in counts.itertuples():
        table.add_row(cat.term("change_kind", row.kind), cat.label("subjects", row.subject), str(row.verdicts), str(row.subjects))
    console.print(table)
    if differences.empty:
        return
    shown = with_sentences(differences.head(limit), a, b, lang)
    detail = Table(title_justify="left", show_lines=False)
    for key in ("subject_id", "rule", "kind", "side_a", "side_b"):
        detail.add_column(ui(f"col_{key}", a=differences.attrs.get("a"), b=differences.attrs.get("b")), overflow="fold")
    def side(row, s: str) -> str:
        return f"{cat.label('statuses', getattr(row, f'status_{s}'))}: {getattr(row, f'explanation_{s}')}"

    for row in shown.itertuples():
        detail.add_row(str(row.subject_id), cat.label("rules", row.rule), cat.term("change_kind", row.kind), side(row, "a"), side(row, "b"))
    console.print(detail)
    if len(differences) > limit:
        console.print(ui("more_rows", count=len(differences) - limit), markup=False)
