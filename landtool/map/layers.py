"""The further layers of the page: zones, buildings, facility land, proposals, findings.

Each layer travels as its geometries and a few attribute columns (codes, not words:
the page names columns and coded values in the language shown). A proposal's rules
are not columns here: its popup looks its verdicts up by subject (``split_piece``,
``merge_group``, ``fringe`` and the fringe ``host``) and shows them with their sentences.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landtool.issues import render_issues
from landtool.map.geometry import display_geoms, display_geoms_plain, encode_geoms
from landtool.map.payload import encode, numbers, parcel_index, status_codes, texts
from landtool.messages import LANGS

__all__ = ["LAYER_COLUMNS", "LAYER_ORDER", "extra_layers", "layer_payload"]

#: Layers in drawing order (bottom to top); unknown layers go before ``issues``.
LAYER_ORDER = ["zones", "facility_land", "split_pieces", "merge_groups", "fringe", "fringe_candidates", "buildings", "issues"]

#: Attribute columns shown in the popup of each layer, in order (when present).
LAYER_COLUMNS = {
    "zones": ["zone_id", "name", "zone_type", "height_max_m"],
    "buildings": ["building_id", "parcel_id", "floors", "height_m", "gfa_m2", "use", "is_new", "self_use"],
    "facility_land": ["facility_id", "parcel_id", "area_m2", "area_mu"],
    "split_pieces": ["piece_id", "parcel_id", "area_m2", "area_mu", "transferee_grade", "status"],
    "merge_groups": ["group_id", "parcel_ids", "area_m2", "area_mu", "transferee_grade", "status"],
    "fringe": ["fringe_id", "host_parcel_id", "area_m2", "area_mu", "host_fringe_total_m2", "cap_m2", "remaining_m2", "status"],
    "fringe_candidates": ["fringe_id", "host_parcel_id", "candidate_ids", "area_m2", "area_mu", "cap_m2", "remaining_m2"],
}
#: Columns holding codes that the page puts into words (``ui.map.values.<column>``, statuses).
CODED_COLUMNS = ("zone_type", "use", "status")
_MAX_COLUMNS = 10

#: The verdict subject of each proposal layer's features, and the column with its id.
SUBJECTS = {
    "split_pieces": ("split_piece", "piece_id"),
    "merge_groups": ("merge_group", "group_id"),
    "fringe": ("fringe", "fringe_id"),
}


def extra_layers(result, parcels: gpd.GeoDataFrame, crs) -> list[tuple[str, gpd.GeoDataFrame, np.ndarray]]:
    """(name, layer, EPSG:4326 geometries) of each non-empty layer, in drawing order.

    A finding without a geometry is drawn on its parcel.
    """
    layers = {k: v for k, v in (getattr(result, "layers", None) or {}).items() if k != "compare"}
    names = [n for n in LAYER_ORDER if n in layers and n != "issues"]
    names += [n for n in layers if n not in LAYER_ORDER]
    names += ["issues"] if "issues" in layers else []
    out = []
    for name in names:
        gdf = layers[name]
        if not isinstance(gdf, gpd.GeoDataFrame) or len(gdf) == 0 or gdf.geometry.name not in gdf.columns:
            continue
        layer_crs = gdf.crs or crs
        geoseries = gdf.geometry
        if name == "issues":
            missing = (geoseries.isna() | geoseries.is_empty).to_numpy()
            ids = _issue_parcels(gdf)
            if missing.any() and "parcel_id" in parcels.columns:
                pgeom = parcels.geometry if parcels.crs == layer_crs else parcels.geometry.to_crs(layer_crs)
                lookup = pd.Series(pgeom.values, index=parcels["parcel_id"].astype(str).values)
                lookup = lookup[~lookup.index.duplicated()]
                geoseries = geoseries.copy()
                geoseries[missing] = ids[missing].map(lookup).values
            geoms = display_geoms_plain(geoseries, layer_crs)
        else:
            geoms = display_geoms(geoseries, layer_crs)
        out.append((name, gdf, geoms))
    return out


def _issue_parcels(issues: pd.DataFrame) -> pd.Series:
    """The parcel id a finding is about: its ``feature_id`` on the parcels layer, else ``parcel_id``."""
    n = len(issues)
    ids = pd.Series([None] * n, index=issues.index, dtype=object)
    if "parcel_id" in issues.columns:
        ids = issues["parcel_id"].astype(object)
    if "feature_id" in issues.columns and "layer" in issues.columns:
        on_parcels = (issues["layer"] == "parcels").to_numpy()
        ids = ids.where(~on_parcels, issues["feature_id"].astype(object))
    return ids.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))


def _cell(x: Any) -> Any:
    """A JSON value for a popup cell: number, text, bool or None."""
    if x is None or x is pd.NA:
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if not math.isfinite(float(x)) else float(x)
    if isinstance(x, (pd.Timestamp,)):
        return None if pd.isna(x) else x.isoformat()[:10]
    if isinstance(x, (list, tuple, set, np.ndarray)):
        return ", ".join(str(_cell(v)) for v in x)
    try:
        if pd.isna(x):
            return None
    except (TypeError, ValueError):
        pass
    return str(x)


def _values(series: pd.Series) -> Any:
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return encode(numbers(series, 6))
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    lookup = [_cell(u) for u in uniques] + [None]
    return encode([lookup[c] for c in codes.tolist()])


def layer_payload(name: str, gdf: gpd.GeoDataFrame, geoms: np.ndarray, origin, index: dict[str, int]) -> dict:
    """One layer: ``key``, ``cols`` (codes), ``vals`` (a column each), ``geom``, and where
    they apply ``status`` (one letter a feature), ``parcel`` (the parcel index of each
    feature, -1 for none), ``sub``/``sid`` (the verdict subject and ids) and for findings
    ``issue`` (their input layer, feature id and sentence in every language)."""
    geom_col = gdf.geometry.name
    available = [c for c in gdf.columns if c != geom_col]
    if name == "issues":
        return _issues_payload(gdf, geoms, origin, index)
    wanted = LAYER_COLUMNS.get(name)
    cols = [c for c in wanted if c in available] if wanted else [c for c in available if not c.startswith("status_")][:_MAX_COLUMNS]
    entry: dict[str, Any] = {
        "key": name,
        "cols": cols,
        "vals": [_values(gdf[c]) for c in cols],
        "geom": encode_geoms(geoms, origin),
    }
    if "status" in gdf.columns:
        entry["status"] = status_codes(gdf["status"])
    parcel_col = "host_parcel_id" if name in ("fringe", "fringe_candidates") else "parcel_id"
    if parcel_col in gdf.columns:
        entry["parcel"] = _parcels(gdf[parcel_col], index)
    if name in SUBJECTS and SUBJECTS[name][1] in gdf.columns:
        subject, id_col = SUBJECTS[name]
        entry["sub"] = subject
        entry["sid"] = texts(gdf[id_col])
    return entry


def _parcels(ids: pd.Series, index: dict[str, int]) -> list[int]:
    return parcel_index(ids, index).tolist()


def _issues_payload(gdf: gpd.GeoDataFrame, geoms: np.ndarray, origin, index: dict[str, int]) -> dict:
    n = len(gdf)
    if "problem" in gdf.columns:
        details = {lang: render_issues(gdf, lang)["detail"].tolist() for lang in LANGS}
    else:  # an older result: the sentence as it was written
        text = gdf["detail"].tolist() if "detail" in gdf.columns else [None] * n
        details = {lang: text for lang in LANGS}

    def column(name):
        return [_cell(v) for v in gdf[name].tolist()] if name in gdf.columns else [None] * n

    return {
        "key": "issues",
        "cols": [],
        "vals": [],
        "geom": encode_geoms(geoms, origin),
        "parcel": _parcels(_issue_parcels(gdf), index),
        "issue": {
            "layer": encode(column("layer")),
            "feature": encode(column("feature_id")),
            "problem": encode(column("problem") if "problem" in gdf.columns else column("issue")),
            "area": encode(numbers(gdf["value_m2"], 2)) if "value_m2" in gdf.columns else None,
            "detail": {lang: encode([_cell(t) for t in texts]) for lang, texts in details.items()},
        },
    }
