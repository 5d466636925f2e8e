"""The result as a directory of (Geo)Parquet files, for runs too large for a GeoPackage.

``--out result.parquet`` (or an existing directory) writes

- ``verdicts.parquet``: the ``verdicts`` table, every column of the contract, streamed
  in row groups as its sentences are rendered (memory does not grow with the rows);
- ``rules.parquet``, ``run.parquet``: one row per rule (name, interpretation) and the run
  record (key, value), as in the GeoPackage;
- one GeoParquet file per eligibility layer (``parcels.parquet``, ``buildings.parquet``,
  ``issues.parquet`` …), in the working CRS.

The directory is written next to the target under a temporary name and renamed into
place when complete; an earlier result there is replaced only then.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

from landtool.errors import InputError
from landtool.output import (
    GPKG_LAYERS,
    _writable,
    parse_run_table,
    refuse_overwriting_inputs,
    rendered_issues,
    result_from,
    rules_table,
    run_table,
    verdict_batches,
    verdict_schema,
)
from landtool.result import CheckResult

__all__ = ["read_parquet", "write_parquet"]


def write_parquet(result: CheckResult, target: str | Path, *, lang: str | None = None, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write ``result`` as a directory of Parquet files at ``target`` (see module docstring)."""
    target = Path(target)
    lang = lang or result.lang
    refuse_overwriting_inputs(result.run, target)
    if target.exists() and not target.is_dir():
        raise InputError("out_not_a_directory", path=str(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise InputError("cannot_create_directory", path=str(target.parent), reason=str(exc.strerror)) from None
    try:
        with pq.ParquetWriter(tmp / "verdicts.parquet", verdict_schema(), compression="zstd") as writer:
            for batch in verdict_batches(result, lang):
                writer.write_batch(batch)
        for name, table in {"rules": rules_table(result, lang), "run": run_table(result), **(tables or {})}.items():
            _writable(table).to_parquet(tmp / f"{name}.parquet", index=False)
        layers = {"parcels": result.parcels, **result.layers, "issues": rendered_issues(result, lang)}
        for name in GPKG_LAYERS:
            layer = layers.get(name)
            if layer is not None:
                gpd.GeoDataFrame(_writable(layer)).to_parquet(tmp / f"{name}.parquet", index=False, compression="zstd")
        _replace_directory(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _replace_directory(new: Path, target: Path) -> None:
    """Move the complete directory ``new`` onto ``target``, the old one out of the way first."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.rmdir(old)
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_parquet(path: str | Path) -> CheckResult:
    """Read a directory written by :func:`write_parquet` back into a CheckResult."""
    path = Path(path)
    missing = [f"{name}.parquet" for name in ("verdicts", "parcels", "run") if not (path / f"{name}.parquet").is_file()]
    if missing:
        raise InputError("not_a_result", path=str(path), missing=missing)
    run = parse_run_table(pd.read_parquet(path / "run.parquet"))
    layers = {name: gpd.read_parquet(path / f"{name}.parquet") for name in GPKG_LAYERS if name != "parcels" and (path / f"{name}.parquet").is_file()}
    table = pd.read_parquet(path / "verdicts.parquet", columns=None)
    return result_from(table, gpd.read_parquet(path / "parcels.parquet"), layers, run, str(path))
