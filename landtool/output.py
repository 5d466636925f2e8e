"""Writing results: the GeoPackage (``verdicts`` table + layers), JSON, summaries.

Files are written atomically: to a temporary file in the target directory, then moved
into place, so a failed run never leaves a half-written output.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from landtool.errors import InputError
from landtool.result import CheckResult

__all__ = ["atomic_path", "verdicts_json", "write_geopackage"]

#: Layers written to the GeoPackage when present, in this order.
GPKG_LAYERS = ("parcels", "split_pieces", "merge_groups", "fringe", "fringe_candidates", "issues", "compare")


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path next to ``path``; on success move it onto ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"{path.parent}: cannot create output directory ({exc.strerror})"
        raise InputError(msg) from None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # GDAL wants to create the file itself
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _writable(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns GDAL can write: nullable booleans → 0/1, mixed objects → text."""
    out = frame.copy()
    for column in out.columns:
        dtype = str(out[column].dtype)
        if dtype == "boolean":
            out[column] = out[column].astype("Int8")
        elif dtype == "object" and column != getattr(out, "_geometry_column_name", None):
            out[column] = out[column].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    return out


def write_geopackage(result: CheckResult, path: str | Path) -> Path:
    """Write the ``verdicts`` table and every eligibility layer to ``path`` (GeoPackage)."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        msg = f"--out {path}: the output must be a GeoPackage (.gpkg)"
        raise InputError(msg)
    layers = {"parcels": result.parcels, **result.layers}
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(_writable(result.verdicts), tmp, layer="verdicts", driver="GPKG")
        for name in GPKG_LAYERS:
            layer = layers.get(name)
            if layer is None:
                continue
            if isinstance(layer, gpd.GeoDataFrame):
                pyogrio.write_dataframe(_writable(layer), tmp, layer=name, driver="GPKG", promote_to_multi=True, append=False)
            else:
                pyogrio.write_dataframe(_writable(layer), tmp, layer=name, driver="GPKG")
    return path


def verdicts_json(verdicts: pd.DataFrame) -> str:
    """The verdicts as a JSON list of objects (NaN → null), keys as in the table."""
    records = verdicts.astype(object).where(verdicts.notna(), None).to_dict("records")
    return json.dumps(records, ensure_ascii=False, indent=1, allow_nan=False, default=str)
