"""Comparing two checks: what changes between two policy packs, or two dates of one pack.

Bureaus use it to brief officials on what a new policy changes: every (subject, rule)
whose status, value or limit differs, side by side, and a layer of the parcels affected.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from landtool.result import CheckResult

__all__ = ["compare_results", "compare_layer"]

KEYS = ["subject", "subject_id", "parcel_id", "rule"]
SIDES = ["status", "value", "limit", "unit", "clause", "explanation"]


def _label(result: CheckResult) -> str:
    return f"{result.pack.id}@{result.as_of.isoformat()}"


def compare_results(a: CheckResult, b: CheckResult) -> pd.DataFrame:
    """Verdicts that differ between ``a`` and ``b``: one row per (subject, rule).

    Columns: the keys, then ``status_a``, ``status_b``, ``value_a``, ``value_b``,
    ``limit_a``, ``limit_b``, ``unit_a``, ``unit_b``, ``clause_a``, ``clause_b``,
    ``explanation_a``, ``explanation_b``, and ``change`` (``status``, ``limit`` or
    ``value``: the first that differs). ``a`` and ``b`` name the two sides in
    ``attrs["a"]`` / ``attrs["b"]`` (e.g. ``tiantai@2023-06-30``).
    """
    left = a.verdicts[KEYS + SIDES]
    right = b.verdicts[KEYS + SIDES]
    both = left.merge(right, on=KEYS, how="outer", suffixes=("_a", "_b"))
    status_differs = both["status_a"].fillna("") != both["status_b"].fillna("")
    limit_differs = ~_same(both["limit_a"], both["limit_b"])
    value_differs = ~_same(both["value_a"], both["value_b"])
    changed = status_differs | limit_differs | value_differs
    out = both[changed].copy()
    out["change"] = np.select(
        [status_differs[changed], limit_differs[changed]], ["status", "limit"], "value"
    )
    columns = KEYS + [f"{c}_{s}" for c in SIDES for s in ("a", "b")] + ["change"]
    out = out[columns].sort_values(KEYS, ignore_index=True)
    out.attrs.update(a=_label(a), b=_label(b))
    return out


def _same(x: pd.Series, y: pd.Series) -> np.ndarray:
    x, y = x.to_numpy(float), y.to_numpy(float)
    return (np.isnan(x) & np.isnan(y)) | np.isclose(x, y, rtol=0, atol=1e-9)


def compare_layer(differences: pd.DataFrame, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Parcels with at least one differing parcel verdict: how many, which rules, and
    the status changes (``rule: a → b``), for the map and the GeoPackage."""
    on_parcels = differences[differences["subject"] == "parcel"]
    text = on_parcels["rule"] + ": " + on_parcels["status_a"].fillna("—") + " → " + on_parcels["status_b"].fillna("—")
    grouped = text.groupby(on_parcels["parcel_id"])
    summary = pd.DataFrame({"changes": grouped.size(), "detail": grouped.agg("; ".join)})
    layer = parcels[["parcel_id", "owner", "area_m2", "area_mu", "geometry"]].merge(summary, left_on="parcel_id", right_index=True)
    layer["compared"] = f"{differences.attrs.get('a', 'a')} → {differences.attrs.get('b', 'b')}"
    return layer.reset_index(drop=True)
