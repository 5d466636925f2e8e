"""The result as a GeoPackage: the ``verdicts`` table, the eligibility layers, ``run``.

The verdicts are streamed into GDAL through Arrow, their sentences rendered batch by
batch, so memory does not grow with the number of rows. Text that repeats is stored
once: a rule's interpretation in the ``rules`` table, each distinct explanation in
``sentences`` and each distinct args object in ``verdict_args`` (a tenth of the rows on
a city's cadastre). ``verdicts`` is a view that joins them to the rows
(``verdict_rows``), so scripts reading ``verdicts`` see every column of the contract. The
file is written as a temporary file next to the target and moved into place, so a failed
run never leaves a half-written output.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio

from landtool.errors import InputError
from landtool.messages import column_codes, render_verdicts
from landtool.output import (
    GPKG_LAYERS,
    _write,
    arrow_column,
    atomic_path,
    parse_run_table,
    refuse_overwriting_inputs,
    rendered_issues,
    result_from,
    rules_table,
    run_table,
    verdict_schema,
)
from landtool.result import VERDICT_COLUMNS, CheckResult
from landtool.styles import layer_status_columns, write_layer_styles

__all__ = ["read_geopackage", "write_geopackage"]

#: The ``verdicts`` view: the rows with their texts, columns in contract order.
_VIEW = (
    "CREATE VIEW verdicts AS SELECT {columns} FROM verdict_rows v "
    "LEFT JOIN rules r ON r.pack = v.pack AND r.rule = v.rule "
    "LEFT JOIN sentences s ON s.sentence = v.sentence "
    "LEFT JOIN verdict_args a ON a.args_id = v.args_id"
)
#: Where each contract column comes from in the view.
_SOURCES = {"interpretation": 'r."interpretation"', "explanation": 's."explanation"', "args": 'a."args"'}


@contextmanager
def _fast_sqlite():
    """No journal and no fsync while writing the temporary file: it is renamed into place
    only once complete, so a crash leaves nothing behind but the temporary file."""
    keys = ("OGR_SQLITE_JOURNAL", "OGR_SQLITE_SYNCHRONOUS")
    before = {k: pyogrio.get_gdal_config_option(k) for k in keys}
    pyogrio.set_gdal_config_options(dict.fromkeys(keys, "OFF"))
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


def write_geopackage(result: CheckResult, path: str | Path, *, lang: str | None = None, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the verdicts (sentences in ``lang``, default the run's), every eligibility
    layer and the ``run`` table to ``path`` (GeoPackage), atomically; ``tables`` adds
    non-spatial tables."""
    path = Path(path)
    lang = lang or result.lang
    if path.suffix.lower() != ".gpkg":
        raise InputError("out_not_gpkg", path=str(path))
    refuse_overwriting_inputs(result.run, path)
    layers = {"parcels": result.parcels, **result.layers, "issues": rendered_issues(result, lang)}
    with atomic_path(path) as tmp, _fast_sqlite():
        texts = _Texts()
        stream = pa.RecordBatchReader.from_batches(_ROW_SCHEMA, _row_batches(result, lang, texts))
        pyogrio.write_arrow(stream, tmp, layer="verdict_rows", driver="GPKG", geometry_name=None, geometry_type=None, crs=None)
        for name, table in {"sentences": texts.table("sentence", "explanation"), "verdict_args": texts.table("args_id", "args"),
                            "rules": rules_table(result, lang), "run": run_table(result), **(tables or {})}.items():
            _write(table, tmp, name)
        for name in GPKG_LAYERS:
            layer = layers.get(name)
            if layer is not None:
                _write(layer, tmp, name, promote_to_multi=True)
        _add_verdicts_view(tmp)
        # QGIS opens the eligibility layers with the map's colours and labels.
        write_layer_styles(tmp, layer_status_columns(result), lang=lang)
    return path


#: The columns of ``verdict_rows``: the contract's, with the texts as keys into their tables.
_ROW_SCHEMA = pa.schema(
    [("sentence", pa.int64()) if f.name == "explanation" else ("args_id", pa.int64()) if f.name == "args" else f for f in verdict_schema(interpretation=False)]
)


class _Texts:
    """Each distinct explanation and args text once, with a number (from 1), across the batches."""

    def __init__(self):
        self.ids = {"explanation": {}, "args": {}}

    def ids_of(self, column: str, texts: np.ndarray) -> np.ndarray:
        """The numbers of ``texts`` (new ones get the next numbers)."""
        known = self.ids[column]
        return np.fromiter((known.setdefault(text, len(known) + 1) for text in texts), dtype=np.int64, count=len(texts))

    def table(self, key: str, column: str) -> pd.DataFrame:
        known = self.ids["explanation" if column == "explanation" else "args"]
        return pd.DataFrame({key: np.fromiter(known.values(), dtype=np.int64, count=len(known)), column: pd.Series(list(known), dtype=object)})


#: Verdict rows rendered and written at a time.
BATCH_ROWS = 200_000


def _row_batches(result: CheckResult, lang: str, texts: _Texts, *, rows: int = BATCH_ROWS):
    """The rows of ``verdict_rows`` as Arrow batches: the explanation and args as numbers
    into ``texts``, each distinct sentence rendered once (never a string per row)."""
    table = result.table
    for start in range(0, len(table), rows):
        chunk = table.iloc[start : start + rows]
        (codes, sentences), _ = render_verdicts(chunk, lang, None, as_codes=True)
        sentence_ids = texts.ids_of("explanation", sentences)[codes]
        arg_codes, arg_texts = column_codes(chunk["args"]) if "args" in chunk else (np.full(len(chunk), -1), np.array([], dtype=object))
        arg_ids = np.append(texts.ids_of("args", arg_texts), 0)[np.where(arg_codes < 0, len(arg_texts), arg_codes)]
        columns = []
        for field in _ROW_SCHEMA:
            if field.name == "sentence":
                columns.append(pa.array(sentence_ids, type=pa.int64()))
            elif field.name == "args_id":
                columns.append(pa.array(arg_ids, type=pa.int64(), mask=arg_ids == 0))
            else:
                columns.append(arrow_column(chunk[field.name], field.type))
        yield pa.record_batch(columns, schema=_ROW_SCHEMA)


def _add_verdicts_view(path: Path) -> None:
    columns = ", ".join(f'{_SOURCES[c]} AS "{c}"' if c in _SOURCES else f'v."{c}"' for c in VERDICT_COLUMNS)
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(_VIEW.format(columns=columns))
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES "
                "('verdicts', 'attributes', 'verdicts', 'landtool verdicts', strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
            )
    finally:
        con.close()


def read_geopackage(path: str | Path) -> CheckResult:
    """Read a GeoPackage written by :func:`write_geopackage` back into a CheckResult.

    The verdicts keep their reason codes and args, so the result can be written again
    in either language.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("results_not_found", path=str(path))
    try:
        names = {row[0] for row in pyogrio.list_layers(path)}
    except Exception:
        raise InputError("not_a_geopackage", path=str(path)) from None
    missing = {"verdict_rows", "verdict_args", "parcels", "run"} - names
    if missing:
        raise InputError("not_a_result", path=str(path), missing=sorted(missing))
    run = parse_run_table(pd.DataFrame(pyogrio.read_dataframe(path, layer="run")))
    layers = {name: pyogrio.read_dataframe(path, layer=name, use_arrow=True) for name in GPKG_LAYERS if name in names and name != "parcels"}
    table = pd.DataFrame(pyogrio.read_dataframe(path, layer="verdict_rows", read_geometry=False, use_arrow=True))
    args = pd.DataFrame(pyogrio.read_dataframe(path, layer="verdict_args", read_geometry=False, use_arrow=True)).set_index("args_id")["args"]
    table["args"] = pd.Series(table.pop("args_id").map(args).to_numpy(dtype=object), index=table.index, dtype=object)
    parcels = pyogrio.read_dataframe(path, layer="parcels", use_arrow=True)
    return result_from(table, parcels, layers, run, str(path))
