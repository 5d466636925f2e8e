"""Shared helpers: small parcel frames built in code, in EPSG:4549 (CGCS2000 GK CM 120°E), near 120.03°E 29.13°N."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from landtool.units import M2_PER_MU

#: A point in Zhejiang (120.03°E, 29.13°N) in EPSG:4549, inside the CRS's area of use, so that
#: the coordinates-versus-CRS checks accept the frames.
X0, Y0 = 502_900.0, 3_223_800.0


def square(area_m2: float, x: float = 0.0, y: float = 0.0) -> shapely.Polygon:
    """A square of the given area with its lower-left corner at (X0 + x, Y0 + y)."""
    side = area_m2**0.5
    return shapely.box(X0 + x, Y0 + y, X0 + x + side, Y0 + y + side)


def rect(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A rectangle in metres relative to (X0, Y0)."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def frame(rows: list[dict], crs: str = "EPSG:4549") -> gpd.GeoDataFrame:
    """A GeoDataFrame from dicts that each hold a ``geometry``."""
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


#: The three packs with the same split and merge text.
TAIZHOU_AREA = ("taizhou", "tiantai", "yuhuan")


def poly(*xy: tuple[float, float]) -> shapely.Polygon:
    """A polygon of vertices in metres relative to (X0, Y0)."""
    return shapely.Polygon([(X0 + x, Y0 + y) for x, y in xy])


def prepared(rows: list[dict]) -> gpd.GeoDataFrame:
    """The prepared parcel table of ``rows``, as check.py builds it."""
    from landtool.io import canonicalize
    from landtool.prepare import prepare

    gdf = frame(rows)
    gdf["source_fid"] = np.arange(1, len(gdf) + 1)
    return prepare(canonicalize(gdf, "parcels", label="parcels")).parcels


def one_verdict(verdicts: pd.DataFrame, subject_id: str, rule: str) -> dict:
    """The one verdict of ``subject_id`` for ``rule``, its args parsed (``{}`` when none)."""
    rows = verdicts[(verdicts["subject_id"] == subject_id) & (verdicts["rule"] == rule)]
    assert len(rows) == 1, f"expected one verdict for {subject_id} {rule}, got {len(rows)}"
    row = rows.iloc[0].to_dict()
    args = row.get("args")
    row["args"] = json.loads(args) if isinstance(args, str) else args if isinstance(args, dict) else {}
    return row


def mu(n: float) -> float:
    """n mu in m²."""
    return n * M2_PER_MU


@pytest.fixture
def verdict():
    """verdict(result, parcel_id, rule) → the verdict row as a dict."""

    def get(result, subject_id, rule):
        rows = result.verdicts[(result.verdicts["subject_id"] == subject_id) & (result.verdicts["rule"] == rule)]
        assert len(rows) == 1, f"expected one verdict for {subject_id} {rule}, got {len(rows)}"
        return rows.iloc[0].to_dict()

    return get
