"""The result as a directory of (Geo)Parquet files, for runs too large for a GeoPackage.

``--out result.parquet`` (or an existing directory) writes

- ``verdicts.parquet/``: the ``verdicts`` table, every column of the contract, streamed
  in row groups as its sentences are rendered (memory does not grow with the rows), in
  parts of a million rows;
- ``rules.parquet``, ``run.parquet``: one row per rule (name, interpretation) and the run
  record (key, value), as in the GeoPackage;
- one partitioned GeoParquet dataset per eligibility layer (``parcels.parquet/``,
  ``buildings.parquet/``, ``issues.parquet/`` …), in the working CRS, in parts of
  200 000 features (a part is copied once to be written: the parts keep that bounded).

pandas, geopandas, dask-geopandas, DuckDB and GDAL read each dataset directory as one
table.

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
        (tmp / "verdicts.parquet").mkdir()
        parts = 0
        writer = None
        for batch in verdict_batches(result, lang):
            if writer is None or writer.rows >= PART_ROWS:
                if writer is not None:
                    writer.close()
                writer = _Part(tmp / "verdicts.parquet" / f"part-{parts:05d}.parquet", verdict_schema())
                parts += 1
            writer.write(batch)
        if writer is None:  # no verdict: one empty part, so the dataset has its schema
            writer = _Part(tmp / "verdicts.parquet" / "part-00000.parquet", verdict_schema())
        writer.close()
        for name, table in {"rules": rules_table(result, lang), "run": run_table(result), **(tables or {})}.items():
            _writable(table).to_parquet(tmp / f"{name}.parquet", index=False)
        layers = {"parcels": result.parcels, **result.layers, "issues": rendered_issues(result, lang)}
        for name in GPKG_LAYERS:
            layer = layers.get(name)
            if layer is None:
                continue
            folder = tmp / f"{name}.parquet"
            folder.mkdir()
            for k, start in enumerate(range(0, max(len(layer), 1), LAYER_PART_ROWS)):
                gpd.GeoDataFrame(_writable(layer.iloc[start : start + LAYER_PART_ROWS])).to_parquet(folder / f"part-{k:05d}.parquet", index=False, compression="zstd")
        _replace_directory(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


#: Rows per part file: the tables and layers are datasets of parts (partitioned
#: GeoParquet), which dask, DuckDB, Arrow and GDAL read as one table.
PART_ROWS = 1_000_000
#: Features per part file of a layer.
LAYER_PART_ROWS = 200_000


class _Part:
    """One part file of the verdicts, written row group by row group."""

    def __init__(self, path: Path, schema):
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.rows = 0

    def write(self, batch) -> None:
        self.writer.write_batch(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        self.writer.close()


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
    missing = [f"{name}.parquet" for name in ("verdicts", "parcels", "run") if not (path / f"{name}.parquet").exists()]
    if missing:
        raise InputError("not_a_result", path=str(path), missing=missing)
    run = parse_run_table(pd.read_parquet(path / "run.parquet"))
    layers = {name: gpd.read_parquet(path / f"{name}.parquet") for name in GPKG_LAYERS if name != "parcels" and (path / f"{name}.parquet").exists()}
    table = pd.read_parquet(path / "verdicts.parquet", columns=None)
    return result_from(table, gpd.read_parquet(path / "parcels.parquet"), layers, run, str(path))
