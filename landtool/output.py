"""Writing results: what every writer shares (the verdicts as Arrow batches with their
sentences, the ``run`` and ``rules`` tables, atomic files), JSON, and the choice of writer
by target (:mod:`landtool.gpkg`, :mod:`landtool.parquet`, :mod:`landtool.postgis_out`).

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

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from landtool import __version__
from landtool.errors import InputError
from landtool.issues import render_issues
from landtool.json_rows import RowEncoder, joined
from landtool.messages import Message
from landtool.policy import available_packs, load_pack
from landtool.result import TABLE_COLUMNS, CheckResult
from landtool.verdicts import jsonable

__all__ = [
    "atomic_path",
    "parse_run_table",
    "read_result",
    "records_json",
    "refuse_overwriting_inputs",
    "rules_table",
    "run_table",
    "verdict_batches",
    "verdict_chunks",
    "write_compare_json",
    "write_issues_json",
    "write_json",
    "write_result",
]

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
        raise InputError("cannot_create_directory", path=str(path.parent), reason=str(exc.strerror)) from None
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
    """Columns GDAL can write: nullable booleans → 0/1, code columns → text, and any
    column that is not all text (lists, mixed values) → its text."""
    out = frame.copy()
    geometry = getattr(out, "_geometry_column_name", None)
    for column in out.columns:
        if column == geometry:
            continue
        dtype = out[column].dtype
        if str(dtype) == "boolean":
            out[column] = out[column].astype("Int8")
        elif isinstance(dtype, pd.CategoricalDtype):
            out[column] = pd.Series(np.asarray(out[column].astype(object)), index=out.index, dtype=object)
        elif dtype == object and pd.api.types.infer_dtype(out[column], skipna=True) not in ("string", "empty"):
            out[column] = out[column].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    return out


def _write(frame: pd.DataFrame, path: Path, layer: str, *, multi: bool = False) -> None:
    """One table or layer into the GeoPackage, through GDAL's Arrow path; with ``multi``
    every geometry as its multi type (a layer of one declared type)."""
    frame = _writable(frame)
    geometry = getattr(frame, "_geometry_column_name", None)
    wkb = _multi_wkb(frame.geometry.to_numpy()) if multi and geometry is not None else None
    if wkb is None:
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", use_arrow=True, promote_to_multi=multi or None)
        return
    column, kind = wkb
    table = pa.Table.from_pandas(pd.DataFrame(frame.drop(columns=geometry)), preserve_index=False)
    for i, field in enumerate(table.schema):
        if pa.types.is_null(field.type):  # an all-blank column: text for GDAL
            table = table.set_column(i, field.with_type(pa.string()), table.column(i).cast(pa.string()))
    table = table.append_column(geometry, column)
    epsg = frame.crs.to_epsg() if frame.crs is not None else None
    crs = f"EPSG:{epsg}" if epsg else (frame.crs.to_wkt("WKT1_GDAL") if frame.crs is not None else None)
    pyogrio.write_arrow(table, path, layer=layer, driver="GPKG", geometry_name=geometry, geometry_type=kind, crs=crs)


#: Shapely type id of a single geometry → the WKB type number of its multi type.
_MULTI_OF = {0: 4, 1: 5, 3: 6}
_MULTI_NAMES = {4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


def _multi_wkb(geoms: np.ndarray) -> tuple[pa.Array, str] | None:
    """Each 2-D geometry's WKB as its multi type, and the layer's geometry type ("Unknown"
    when several), or None when the layer has 3-D or other types (then GDAL's own path).

    A multi geometry of one part is the single one's WKB behind a 9-byte header (byte
    order, type, one part), so promoting costs a byte concatenation per row, not a new
    geometry object.
    """
    if len(geoms) == 0 or shapely.has_z(geoms).any():
        return None
    types = shapely.get_type_id(geoms)
    present = set(np.unique(types[types >= 0]).tolist())
    if not present <= {0, 1, 3, 4, 5, 6, 7}:
        return None
    single = np.isin(types, list(_MULTI_OF))
    if shapely.is_empty(geoms[single]).any():  # an empty single geometry: GDAL's own path
        return None
    kinds = {_MULTI_OF.get(t, t) for t in present}
    wkb = pa.array(shapely.to_wkb(geoms, byte_order=1), type=pa.binary())
    for t, multi in _MULTI_OF.items():
        rows = single & (types == t)
        if rows.any():
            header = pa.scalar(b"\x01" + multi.to_bytes(4, "little") + (1).to_bytes(4, "little"), type=pa.binary())
            promoted = pc.binary_join_element_wise(header, wkb, b"")
            wkb = pc.if_else(pa.array(rows), promoted, wkb)
    return wkb, (_MULTI_NAMES[kinds.pop()] if len(kinds) == 1 else "Unknown")


def run_table(result: CheckResult) -> pd.DataFrame:
    """The ``run`` table (SCHEMA.md): what the result was computed from, as key/value rows.

    Scalars are written as text; each input is a row ``input.<role>`` whose value is a
    JSON object with its role, path, size (bytes), SHA-256, feature count and CRS.
    """
    run = dict(result.run or {})
    if not run and result.pack is not None:  # a result built by hand
        run = {"landtool": __version__, "pack": result.pack.id, "document": result.pack.document, "pack_source": result.pack.path,
               "as_of": result.as_of.isoformat() if result.as_of else None, "lang": result.lang}
    inputs = run.pop("inputs", [])
    rows = [(key, None if value is None else (json.dumps(value) if isinstance(value, bool) else str(value))) for key, value in run.items()]
    rows += [(f"input.{item['role']}", json.dumps(jsonable(item), ensure_ascii=False)) for item in inputs]
    rows += [(f"warning.{i}", json.dumps({"code": w.code, "args": jsonable(dict(w.args)), "group": w.group}, ensure_ascii=False))
             for i, w in enumerate(getattr(result, "warnings", None) or [], start=1)]
    return pd.DataFrame(rows, columns=["key", "value"])


def parse_run_table(table: pd.DataFrame) -> dict:
    """The inverse of :func:`run_table`."""
    run: dict = {"inputs": [], "warnings": []}
    for key, value in table.itertuples(index=False, name=None):
        if key.startswith("input."):
            run["inputs"].append(json.loads(value))
        elif key.startswith("warning."):
            run["warnings"].append(Message(**json.loads(value)))
        elif key == "sample":
            run[key] = value == "true"
        else:
            run[key] = value
    return run


def refuse_overwriting_inputs(result_run: dict, path: str | Path, option: str = "--out") -> None:
    """An output may never replace one of the run's inputs (inputs are never touched)."""
    target = Path(path).resolve()
    for item in (result_run or {}).get("inputs", []):
        source = Path(str(item.get("path", "")).split("::")[0])
        if source.exists() and source.resolve() == target:
            raise InputError("output_is_input", option=option, path=str(path), role=item["role"])


def rendered_issues(result: CheckResult, lang: str) -> gpd.GeoDataFrame | None:
    issues = result.layers.get("issues")
    return render_issues(issues, lang) if issues is not None else None


#: Verdict rows encoded and written at a time by the JSON writers (their text, about 0.6 kB a
#: row, is what a chunk holds).
JSON_CHUNK_ROWS = 20_000


def _json_records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _dump(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, allow_nan=False, default=str)


def _record_lines(frame: pd.DataFrame) -> str:
    """One JSON object per row, any cell type (``default=str``), one per line."""
    return "\n".join(_dump(record) for record in _json_records(frame))


def write_records(chunks, stream, *, lines: bool = False, encode=_record_lines) -> None:
    """Write record chunks (DataFrames) as one JSON list, or as JSON Lines, streaming. A newline
    inside a value is written as ``\\n``, so the newlines of ``encode``'s text separate records."""
    first = True
    if not lines:
        stream.write("[")
    for chunk in chunks:
        text = encode(chunk)
        if not text:
            continue
        if lines:
            stream.write(text)
            stream.write("\n")
        else:
            stream.write("\n" if first else ",\n")
            stream.write(text.replace("\n", ",\n"))
            first = False
    if not lines:
        stream.write("\n]\n" if not first else "]\n")


#: Verdict rows whose sentences are rendered together: each distinct sentence of a batch is
#: made once and the rows hold codes into them, so the cost is per batch, not per chunk.
RENDER_ROWS = 200_000


def verdict_chunks(result: CheckResult, lang: str | None = None, *, rows: int = JSON_CHUNK_ROWS, interpretation: bool = True):
    """The verdicts with their sentences, ``rows`` at a time (columns VERDICT_COLUMNS; without
    ``interpretation`` where the writer keeps it per rule). Sentences are rendered for
    :data:`RENDER_ROWS` rows at once; a chunk's rows only take references to them."""
    from landtool.messages import render_verdicts
    from landtool.result import VERDICT_COLUMNS

    lang = lang or result.lang
    packs = {result.pack.id: result.pack} if result.pack is not None else {}
    table = result.table
    columns = [c for c in VERDICT_COLUMNS if interpretation or c != "interpretation"]
    batch_rows = max(rows, RENDER_ROWS)
    for start in range(0, len(table), batch_rows):
        batch = table.iloc[start : start + batch_rows]
        (codes, sentences), interpreted = render_verdicts(batch, lang, packs if interpretation else None, as_codes=True)
        for first in range(0, len(batch), rows):
            chunk = batch.iloc[first : first + rows].copy()
            chunk["explanation"] = pd.Series(sentences[codes[first : first + rows]], index=chunk.index, dtype=object)
            if interpretation:
                chunk["interpretation"] = pd.Series(interpreted[first : first + rows], index=chunk.index, dtype=object)
            yield chunk[[c for c in columns if c in chunk]]


#: Arrow types of the verdict columns (SCHEMA.md output contract).
VERDICT_TYPES = {"value": pa.float64(), "limit": pa.float64(), "headroom": pa.float64()}


def arrow_column(values: pd.Series, kind) -> pa.Array:
    """A column of numbers (``kind`` float64) or of text as an Arrow array (missing → null)."""
    if kind == pa.float64():
        return pa.array(values.to_numpy(dtype=float), type=kind, from_pandas=True)
    return pa.array(values.to_numpy(dtype=object), from_pandas=True).cast(pa.string())


def verdict_batches(result: CheckResult, lang: str | None = None, *, rows: int = 50_000, interpretation: bool = True):
    """The verdicts as Arrow record batches of ``rows`` rows (what the Parquet writer streams,
    one row group each: their text is what a batch holds), sentences rendered
    :data:`RENDER_ROWS` rows at a time.

    Text is made into Arrow strings once per distinct value — a code column's categories once
    for the whole table, the sentences once per rendering — and each batch takes its rows'.
    """
    from landtool.messages import render_verdicts
    from landtool.result import VERDICT_COLUMNS

    lang = lang or result.lang
    packs = {result.pack.id: result.pack} if result.pack is not None and interpretation else None
    table = result.table
    columns = [c for c in VERDICT_COLUMNS if (interpretation or c != "interpretation") and (c in table or c in ("explanation", "interpretation"))]
    categories: dict[str, pa.Array] = {}
    for start in range(0, len(table), max(rows, RENDER_ROWS)):
        batch = table.iloc[start : start + max(rows, RENDER_ROWS)]
        (codes, sentences), interpreted = render_verdicts(batch, lang, packs, as_codes=True)
        texts = {"explanation": (codes, pa.array(sentences, type=pa.string()))}
        if interpretation:
            rule_codes, rule_texts = pd.factorize(interpreted, use_na_sentinel=True)
            texts["interpretation"] = (rule_codes, pa.array(np.asarray(rule_texts, dtype=object), type=pa.string()))
        for first in range(0, len(batch), rows):
            chunk = batch.iloc[first : first + rows]
            arrays = []
            for c in columns:
                if c in texts:
                    row_codes, distinct = texts[c]
                    part = row_codes[first : first + rows]
                    arrays.append(distinct.take(pa.array(part, mask=part < 0)))
                elif isinstance(chunk[c].dtype, pd.CategoricalDtype):
                    if c not in categories:  # the table's categories, once
                        categories[c] = pa.array(table[c].cat.categories.to_numpy(dtype=object), type=pa.string())
                    part = chunk[c].cat.codes.to_numpy()
                    arrays.append(categories[c].take(pa.array(part, mask=part < 0)))
                else:
                    arrays.append(arrow_column(chunk[c], VERDICT_TYPES.get(c, pa.string())))
            yield pa.record_batch(arrays, names=columns)


def verdict_schema(interpretation: bool = True) -> pa.Schema:
    from landtool.result import VERDICT_COLUMNS

    return pa.schema([(c, VERDICT_TYPES.get(c, pa.string())) for c in VERDICT_COLUMNS if interpretation or c != "interpretation"])


def rules_table(result: CheckResult, lang: str) -> pd.DataFrame:
    """One row per rule of the verdicts: pack, rule, its name and its interpretation in ``lang``
    (kept once per rule, not on every row)."""
    from landtool.messages import catalogue

    cat = catalogue(lang)
    pairs = result.table[["pack", "rule"]].drop_duplicates().astype(object)
    rules = getattr(result.pack, "rules", {})
    return pd.DataFrame(
        {
            "pack": pairs["pack"].to_numpy(dtype=object),
            "rule": pairs["rule"].to_numpy(dtype=object),
            "name": [cat.label("rules", r) for r in pairs["rule"]],
            "interpretation": [(rules[r].interpretation_text(lang) or None) if r in rules else None for r in pairs["rule"]],
        }
    )


def write_json(result: CheckResult, stream, *, lines: bool = False, lang: str | None = None) -> None:
    """The verdicts as JSON (a list of objects with the keys of the ``verdicts`` table) or JSON Lines."""
    encode = RowEncoder()
    separator = "\n" if lines else ",\n"
    written = False
    if not lines:
        stream.write("[\n")
    for chunk in verdict_chunks(result, lang):
        if len(chunk):
            stream.write((separator if written else "") + joined(encode(chunk), separator))
            written = True
    stream.write(("\n" if written else "") if lines else ("\n]\n" if written else "]\n"))


def write_issues_json(issues: pd.DataFrame, stream, *, lang: str) -> None:
    """Data-quality findings as a JSON list (detail in ``lang``, no geometry)."""
    rendered = render_issues(issues, lang)
    write_records([pd.DataFrame(rendered.drop(columns=[c for c in ("geometry",) if c in rendered]))], stream)


def write_compare_json(differences: pd.DataFrame, stream, *, a: CheckResult, b: CheckResult, lang: str) -> None:
    """The differences of a compare as a JSON list, with both sides' sentences in ``lang``."""
    from landtool.compare import with_sentences

    write_records([with_sentences(differences, a, b, lang)], stream)


def records_json(frame: pd.DataFrame) -> str:
    """Any table as a JSON list of objects (NaN → null)."""
    return json.dumps(_json_records(frame), ensure_ascii=False, indent=1, allow_nan=False, default=str)


def result_from(table: pd.DataFrame, parcels, layers: dict, run: dict, where: str) -> CheckResult:
    """A CheckResult from what a writer stored (the pack found again from the run record)."""
    source = run.get("pack_source", "") or ""
    pack_ref = source.removeprefix("pack:") if source.startswith("pack:") else source
    try:
        pack = load_pack(pack_ref)
    except InputError:
        pack = load_pack(run["pack"]) if run.get("pack") in available_packs() else None
    if pack is None:
        raise InputError("pack_gone", path=where, pack=str(pack_ref))
    if "reason" not in table:
        raise InputError("result_too_old", path=where)
    warnings = run.pop("warnings", [])
    return CheckResult(
        table=table[[c for c in TABLE_COLUMNS if c in table]],
        parcels=parcels,
        layers=layers,
        pack=pack,
        as_of=dt.date.fromisoformat(run["as_of"]),
        lang=run.get("lang", "zh"),
        warnings=warnings,
        run=run,
    )


def write_result(result: CheckResult, target: str | Path, *, lang: str | None = None, tables: dict | None = None) -> str:
    """Write a result where ``target`` says: a GeoPackage (``.gpkg``), a directory of
    (Geo)Parquet files (``.parquet`` or an existing directory), or a PostGIS schema
    (``postgresql://…::schema``); return how to name it in messages (no password)."""
    from landtool.postgis import is_database

    text = str(target)
    if is_database(text):
        from landtool.postgis_out import write_postgis

        return str(write_postgis(result, text, lang=lang, tables=tables))
    if text.lower().endswith(".gpkg"):
        from landtool.gpkg import write_geopackage

        write_geopackage(result, target, lang=lang, tables=tables)
        return text
    if text.lower().endswith(".parquet") or Path(text).is_dir() or text.endswith(("/", os.sep)):
        from landtool.parquet import write_parquet

        write_parquet(result, target, lang=lang, tables=tables)
        return text
    raise InputError("out_unknown_kind", path=text)


def read_result(source: str | Path) -> CheckResult:
    """Read a result written by :func:`write_result` (a GeoPackage or a Parquet directory)."""
    path = Path(source)
    if path.is_dir():
        from landtool.parquet import read_parquet

        return read_parquet(path)
    from landtool.gpkg import read_geopackage

    return read_geopackage(path)

