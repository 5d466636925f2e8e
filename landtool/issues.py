"""The ``issues`` layer: data-quality findings, so that nothing is lost silently.

A finding is a code (``problem``: ``overlap``, ``gap``, ``outside_parcels`` …) with its
parameters (``args``), like a verdict's reason: the ``detail`` sentence is rendered
from the message catalogue (``issues.<problem>``) where text is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landtool.messages import render_column
from landtool.verdicts import args_json

__all__ = ["ISSUE_COLUMNS", "empty_issues", "issue_frame", "render_issues"]

#: Columns of the ``issues`` layer (``detail`` is rendered, see :func:`render_issues`).
ISSUE_COLUMNS = ["layer", "feature_id", "source_fid", "problem", "detail", "value_m2", "args", "geometry"]


def issue_frame(
    crs,
    layer: str,
    problem: str | Any,
    *,
    feature_id=None,
    source_fid=None,
    args: Mapping[str, Any] | None = None,
    value_m2=np.nan,
    geometry=None,
    n: int | None = None,
) -> gpd.GeoDataFrame:
    """Findings as rows of the ``issues`` layer, one per feature.

    Parameters
    ----------
    layer
        The input layer the features come from (``parcels``, ``buildings`` …).
    problem
        The finding's code (one, or one per row).
    feature_id, source_fid
        The features' ids and their 1-based positions in the source file.
    args
        Values the finding's sentence names (scalars or one per row).
    value_m2
        The area concerned, m² (overlap, gap, cut-off part …), where there is one.
    geometry
        The geometry that shows the problem (default: none).
    """
    if n is None:
        n = len(np.atleast_1d(np.asarray(feature_id if feature_id is not None else problem, dtype=object)))

    def column(values, dtype=object):
        if values is None:
            return np.full(n, None, dtype=object)
        arr = values.to_numpy(dtype=dtype) if isinstance(values, pd.Series) else np.asarray(values, dtype=dtype)
        return np.broadcast_to(arr, (n,)).copy() if arr.ndim == 0 or len(arr) != n else arr

    frame = pd.DataFrame(
        {
            "layer": layer,
            "feature_id": column(feature_id),
            "source_fid": column(source_fid),
            "problem": column(problem),
            "detail": None,
            "value_m2": column(value_m2, float),
            "args": args_json(args, n),
        },
        index=range(n),
    )
    geom = column(geometry) if geometry is not None else np.full(n, None, dtype=object)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geom), crs=crs), crs=crs)


def empty_issues(crs) -> gpd.GeoDataFrame:
    return issue_frame(crs, "parcels", [], n=0)


def render_issues(issues: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The issues with their ``detail`` sentences in ``lang``."""
    out = issues.copy()
    if len(out):
        columns = {c: out[c] for c in ("feature_id", "value_m2", "layer") if c in out}
        out["detail"] = render_column(lang, "issues", out["problem"], columns, out["args"] if "args" in out else None)
    return out
