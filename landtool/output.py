"""Writing results: the GeoPackage (``verdicts`` table + layers), JSON, summaries.

Files are written atomically: to a temporary file in the target directory, then moved
into place, so a failed run never leaves a half-written output.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyogrio

from landtool import __version__
from landtool.errors import InputError
from landtool.policy import available_packs, load_pack
from landtool.result import CheckResult
from landtool.styles import layer_status_columns, write_layer_styles

__all__ = ["atomic_path", "read_geopackage", "verdicts_json", "write_geopackage"]

#: Layers written to the GeoPackage when present, in this order.
GPKG_LAYERS = (
    "parcels",
    "buildings",
    "zones",
    "facility_land",
    "split_pieces",
    "merge_groups",
    "fringe",
    "fringe_candidates",
    "issues",
    "compare",
)


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


def write_geopackage(result: CheckResult, path: str | Path, *, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the ``verdicts`` table, every eligibility layer and a ``run`` table (pack,
    as-of date, language) to ``path`` (GeoPackage); ``tables`` adds non-spatial tables."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        msg = f"--out {path}: the output must be a GeoPackage (.gpkg)"
        raise InputError(msg)
    layers = {"parcels": result.parcels, **result.layers}
    pack = result.pack
    run = pd.DataFrame(
        {
            "key": ["pack", "pack_source", "document", "as_of", "lang", "landtool"],
            "value": [pack.id, pack.path, pack.document, result.as_of.isoformat(), result.lang, __version__],
        }
    )
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(_writable(result.verdicts), tmp, layer="verdicts", driver="GPKG")
        for name, table in {"run": run, **(tables or {})}.items():
            pyogrio.write_dataframe(_writable(table), tmp, layer=name, driver="GPKG")
        for name in GPKG_LAYERS:
            layer = layers.get(name)
            if layer is not None:
                pyogrio.write_dataframe(_writable(layer), tmp, layer=name, driver="GPKG", promote_to_multi=True)
        # QGIS opens the eligibility layers with the map's colours and labels.
        write_layer_styles(tmp, layer_status_columns(result), lang=result.lang)
    return path


def read_geopackage(path: str | Path) -> CheckResult:
    """Read a GeoPackage written by :func:`write_geopackage` back into a CheckResult."""
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: file not found"
        raise InputError(msg)
    try:
        names = {row[0] for row in pyogrio.list_layers(path)}
    except Exception:
        msg = f"{path}: not a GeoPackage"
        raise InputError(msg) from None
    missing = {"verdicts", "parcels", "run"} - names
    if missing:
        msg = f"{path}: not a landtool result (no {', '.join(sorted(missing))} table)"
        raise InputError(msg)
    run = dict(pyogrio.read_dataframe(path, layer="run").itertuples(index=False, name=None))
    source = run.get("pack_source", "")
    pack_ref = run["pack"] if source.startswith("pack ") else source
    try:
        pack = load_pack(pack_ref)
    except InputError:
        pack = load_pack(run["pack"]) if run["pack"] in available_packs() else None
    if pack is None:
        msg = f"{path}: its policy pack {pack_ref} is no longer available"
        raise InputError(msg)
    layers = {name: pyogrio.read_dataframe(path, layer=name) for name in GPKG_LAYERS if name in names and name != "parcels"}
    verdicts = pd.DataFrame(pyogrio.read_dataframe(path, layer="verdicts"))
    return CheckResult(
        verdicts=verdicts,
        parcels=pyogrio.read_dataframe(path, layer="parcels"),
        layers=layers,
        pack=pack,
        as_of=dt.date.fromisoformat(run["as_of"]),
        lang=run.get("lang", "zh"),
    )


def verdicts_json(verdicts: pd.DataFrame) -> str:
    """The verdicts as a JSON list of objects (NaN → null), keys as in the table."""
    records = verdicts.astype(object).where(verdicts.notna(), None).to_dict("records")
    return json.dumps(records, ensure_ascii=False, indent=1, allow_nan=False, default=str)
