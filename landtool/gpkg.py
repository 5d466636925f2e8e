"""The result as a GeoPackage: the ``verdicts`` table, the eligibility layers, ``run``.

The verdicts are streamed into GDAL through Arrow, their sentences rendered batch by
batch, so memory does not grow with the number of rows. Text that repeats is stored
once: a rule's interpretation in the ``rules`` table, each distinct combination of the
code columns (subject, rule, status, reason, unit, pack, clause) in ``verdict_kinds``,
each distinct explanation in ``sentences`` and each distinct args object in
``verdict_args`` (a tenth of the rows on a city's cadastre). A row of ``verdict_rows`` is
then ids and numbers: eight columns where the contract has fourteen, which is what SQLite
spends its time on. ``verdicts`` is a view that joins them to the rows, so scripts reading
``verdicts`` see every column of the contract. The
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
from landtool.messages import column_codes, combined_codes, render_verdicts
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
)
from landtool.result import VERDICT_COLUMNS, CheckResult
from landtool.styles import layer_status_columns, write_layer_styles

__all__ = ["read_geopackage", "write_geopackage"]

#: The ``verdicts`` view: the rows with their texts, columns in contract order.
_VIEW = (
    "CREATE VIEW verdicts AS SELECT {columns} FROM verdict_rows v "
    "JOIN verdict_kinds k ON k.kind = v.kind "
    "LEFT JOIN rules r ON r.pack = k.pack AND r.rule = k.rule "
    "LEFT JOIN sentences s ON s.sentence = v.sentence "
    "LEFT JOIN verdict_args a ON a.args_id = v.args_id"
)
#: The code columns kept once per distinct combination in ``verdict_kinds``.
KIND_COLUMNS = ("subject", "rule", "status", "reason", "unit", "pack", "clause")
#: Where each contract column comes from in the view.
_SOURCES = {
    "interpretation": 'r."interpretation"', "explanation": 's."explanation"', "args": 'a."args"',
    **{c: f'k."{c}"' for c in KIND_COLUMNS},
}


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
        for name, table in {"verdict_kinds": texts.kinds_table(), "sentences": texts.table("sentence", "explanation"),
                            "verdict_args": texts.table("args_id", "args"),
                            "rules": rules_table(result, lang), "run": run_table(result), **(tables or {})}.items():
            _write(table, tmp, name)
        for name in GPKG_LAYERS:
            layer = layers.get(name)
            if layer is not None:
                _write(layer, tmp, name, multi=True)
        _add_verdicts_view(tmp)
        # QGIS opens the eligibility layers with the map's colours and labels.
        write_layer_styles(tmp, layer_status_columns(result), lang=lang, durable=False)
    return path


#: The columns of ``verdict_rows``: ids into ``verdict_kinds``, ``sentences`` and
#: ``verdict_args``, and the contract's numbers.
_ROW_SCHEMA = pa.schema(
    [("subject_id", pa.string()), ("parcel_id", pa.string()), ("kind", pa.int64()), ("value", pa.float64()), ("limit", pa.float64()),
     ("headroom", pa.float64()), ("sentence", pa.int64()), ("args_id", pa.int64())]
)


class _Texts:
    """Each distinct explanation, args text and kind (a tuple of the code columns) once,
    with a number (from 1), across the batches."""

    def __init__(self):
        self.ids = {"explanation": {}, "args": {}, "kind": {}}

    def ids_of(self, column: str, texts) -> np.ndarray:
        """The numbers of ``texts`` (new ones get the next numbers)."""
        known = self.ids[column]
        return np.fromiter((known.setdefault(text, len(known) + 1) for text in texts), dtype=np.int64, count=len(texts))

    def table(self, key: str, column: str) -> pd.DataFrame:
        known = self.ids["explanation" if column == "explanation" else "args"]
        return pd.DataFrame({key: np.fromiter(known.values(), dtype=np.int64, count=len(known)), column: pd.Series(list(known), dtype=object)})

    def kinds_table(self) -> pd.DataFrame:
        known = self.ids["kind"]
        table = pd.DataFrame(list(known), columns=list(KIND_COLUMNS), dtype=object)
        table.insert(0, "kind", np.fromiter(known.values(), dtype=np.int64, count=len(known)))
        return table


def _kind_codes(chunk: pd.DataFrame, texts: _Texts) -> np.ndarray:
    """The ``verdict_kinds`` number of each row: the rows' distinct combinations of the code
    columns are found on integer codes, and only those are looked up."""
    columns = []
    for name in KIND_COLUMNS:
        column = chunk[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            columns.append((column.cat.codes.to_numpy(), column.cat.categories.to_numpy(dtype=object)))
        else:
            columns.append(column_codes(column))
    combo, firsts = combined_codes(len(chunk), [(codes, len(values)) for codes, values in columns])
    kinds = [tuple(values[codes[i]] if codes[i] >= 0 else None for codes, values in columns) for i in firsts]
    return texts.ids_of("kind", kinds)[combo]


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
        made = {"kind": pa.array(_kind_codes(chunk, texts)), "sentence": pa.array(sentence_ids, type=pa.int64()),
                "args_id": pa.array(arg_ids, type=pa.int64(), mask=arg_ids == 0)}
        yield pa.record_batch([made[f.name] if f.name in made else arrow_column(chunk[f.name], f.type) for f in _ROW_SCHEMA], schema=_ROW_SCHEMA)


def _add_verdicts_view(path: Path) -> None:
    columns = ", ".join(f'{_SOURCES[c]} AS "{c}"' if c in _SOURCES else f'v."{c}"' for c in VERDICT_COLUMNS)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")  # the temporary file: moved into place once complete
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
    if "verdict_kinds" in names:  # the code columns, from each row's kind
        kinds = pd.DataFrame(pyogrio.read_dataframe(path, layer="verdict_kinds", read_geometry=False, use_arrow=True))
        where = pd.Index(kinds.pop("kind")).get_indexer(table.pop("kind"))
        for column in KIND_COLUMNS:
            table[column] = pd.Categorical(kinds[column].astype(object)).take(where) if len(kinds) else pd.Categorical([])
    args = pd.DataFrame(pyogrio.read_dataframe(path, layer="verdict_args", read_geometry=False, use_arrow=True)).set_index("args_id")["args"]
    table["args"] = pd.Series(table.pop("args_id").map(args).to_numpy(dtype=object), index=table.index, dtype=object)
    parcels = pyogrio.read_dataframe(path, layer="parcels", use_arrow=True)
    return result_from(table, parcels, layers, run, str(path))
