"""Writing a result to PostGIS: ``postgresql://USER@HOST/DB::schema`` (or ``PG:…::schema``).

:func:`write_postgis` writes into the schema what :func:`landtool.gpkg.write_geopackage`
writes into a GeoPackage: ``verdict_rows`` (the verdicts, sentences in the language asked
for), ``rules`` (each rule's name and interpretation, kept once per rule), the view
``verdicts`` joining them (every column of the contract, in order), the ``run`` table and
every layer (``parcels``, ``buildings`` …, ``issues``), plus any extra tables.

The protocol, all in **one transaction**:

1. the schema is created if absent; an advisory lock on the schema's name serialises
   writers of the same schema; a table of one of the names that landtool did not write
   stops the write;
2. every table is created under a temporary name (``landtool_tmp_<random>_parcels`` …)
   in the target schema and filled by ``COPY … FROM STDIN (FORMAT csv, FREEZE)`` (CSV
   made by Arrow, sent from a thread while the next block is made; geometries as hex
   EWKB with their SRID; the verdicts rendered chunk by chunk, so memory stays bounded),
   then indexed: geometry columns GiST, ``verdict_rows`` on ``parcel_id`` and ``rule``,
   layers a primary key ``fid`` (1, 2 … in the layer's order);
3. only then the tables and views of the previous landtool result in that schema (known
   by their comment, which starts with ``landtool result``) are dropped, the new ones
   renamed to their names, commented and analysed; then the transaction commits.

So a failed or interrupted write (an error, Ctrl-C, a lost connection, a killed process)
leaves the schema as it was — the previous result intact, no temporary table — and
readers see the old result or the new one, never a mix. Tables landtool did not write are
never dropped: a name clash with one is an error. Nor are the user's views on the
result's tables: the write then fails (nothing changed) and names them.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landtool.errors import InputError
from landtool.postgis import connect, is_database, parse_source, safe_url

__all__ = ["MARKER", "PostgisWrite", "parse_target", "write_postgis"]

#: The comment of every table landtool writes starts with this (how an old result is found).
MARKER = "landtool result"
#: Rows of a layer sent per COPY block (verdicts: :data:`landtool.output.JSON_CHUNK_ROWS`).
LAYER_CHUNK_ROWS = 20_000
_SCHEMA_NAME = re.compile(r"[^\W\d]\w*")
_TMP = "landtool_tmp_"
#: Types of the contract columns of ``verdicts`` (SCHEMA.md); ``args`` is JSON.
VERDICT_TYPES = {
    "subject": "text", "subject_id": "text", "parcel_id": "text", "rule": "text", "status": "text",
    "value": "double precision", "limit": "double precision", "unit": "text", "pack": "text", "clause": "text",
    "explanation": "text", "interpretation": "text", "reason": "text", "headroom": "double precision", "args": "jsonb",
}
#: ``verdict_rows``: the verdicts without ``interpretation`` (it is in ``rules``, once per rule).
ROW_TYPES = {c: t for c, t in VERDICT_TYPES.items() if c != "interpretation"}
_MULTI = {"Polygon": "MultiPolygon", "LineString": "MultiLineString", "Point": "MultiPoint"}


@dataclass
class PostgisWrite:
    """What :func:`write_postgis` wrote: the target (password masked), rows per table, seconds per step."""

    target: str
    schema: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.target


def parse_target(target: str) -> tuple[str, str, str]:
    """``SERVER::schema`` → (server, schema, label without the password); InputError otherwise.

    >>> parse_target("postgresql://gis:pw@db.example.cn/cadastre::landtool_results")
    ('postgresql://gis:pw@db.example.cn/cadastre', 'landtool_results', 'postgresql://gis:***@db.example.cn/cadastre::landtool_results')
    """
    text = str(target)
    if not is_database(text):
        raise InputError("db_out_not_database", target=text, form="postgresql://USER@HOST/DB::schema")
    src = parse_source(text)
    server, schema = src.server, src.table
    if src.sql is not None:
        schema = None
    if not schema:
        raise InputError("db_out_no_schema", server=safe_url(server))
    label = f"{safe_url(server)}::{schema}"
    if not _SCHEMA_NAME.fullmatch(schema):
        raise InputError("db_out_bad_schema", target=label)
    return server, schema, label


def write_postgis(result, target: str, *, lang: str | None = None, tables: dict[str, pd.DataFrame] | None = None) -> PostgisWrite:
    """Write the result's verdicts (sentences in ``lang``, default the run's), ``run`` table and
    layers into the PostGIS schema ``target`` (``SERVER::schema``), replacing the previous
    landtool result there only once the new one is complete (see the module's docstring);
    ``tables`` adds tables (name → DataFrame).

    Raises InputError for a target that is not ``SERVER::schema``, a server that cannot be
    reached, missing permissions, a schema holding tables of the same names that landtool
    did not write, or an input read from that schema. Any other exception (Ctrl-C included)
    leaves the database as it was and is raised as it is.
    """
    import psycopg

    from landtool import output

    server, schema, label = parse_target(target)
    lang = lang or result.lang
    for name in tables or {}:
        _check_name(name, label, reserved=("verdict_rows", "verdicts", "rules", "run", *output.GPKG_LAYERS))
    layers = {"parcels": result.parcels, **result.layers, "issues": output.rendered_issues(result, lang)}
    layers = {name: layers[name] for name in output.GPKG_LAYERS if layers.get(name) is not None}
    plain = {"rules": output.rules_table(result, lang), "run": output.run_table(result), **(tables or {})}
    names = ["verdict_rows", "verdicts", *plain, *layers]
    default_srid = _srid(result.parcels, "parcels", label)
    done = PostgisWrite(label, schema)
    started = time.perf_counter()
    conn = connect(server, label)
    tag = f"{_TMP}{secrets.token_hex(4)}_"
    try:
        _refuse_input_schema(result, server, schema, label)
        with conn:  # commit at the end; on any exception: rollback (nothing was changed), close
            with conn.cursor() as cur:
                geometry_sql = _prepare(cur, schema, label)
                _refuse_foreign(cur, schema, names, label)  # early: before minutes of copying
                written: dict[str, list[str] | None] = {}  # final name → its index names (final); a view: None

                def load(name: str, frame: pd.DataFrame | None, columns: dict[str, str] | None = None, chunks: Iterable[pd.DataFrame] | None = None) -> None:
                    t0 = time.perf_counter()
                    types = _fixed_columns(columns) if columns is not None else _layer_columns(frame, name, default_srid, label)
                    spatial = isinstance(frame, gpd.GeoDataFrame)
                    written[name], done.rows[name] = _load(cur, schema, tag, name, _layer_chunks(frame) if chunks is None else chunks, types, geometry_sql, spatial=spatial)
                    done.seconds[name] = time.perf_counter() - t0

                # A rule's interpretation is the same on all its rows: kept once, in ``rules``;
                # the view ``verdicts`` joins it to the rows (as in the GeoPackage).
                load("verdict_rows", None, ROW_TYPES, output.verdict_chunks(result, lang, interpretation=False))
                for name, table in plain.items():
                    load(name, table)
                _create_view(cur, schema, tag)
                written["verdicts"] = None
                for name, layer in layers.items():
                    load(name, layer)
                t0 = time.perf_counter()
                _swap(cur, schema, tag, written, _comment(result, lang), label)
                done.seconds["swap"] = time.perf_counter() - t0
            t0 = time.perf_counter()
        done.seconds["commit"] = time.perf_counter() - t0
        done.seconds["total"] = time.perf_counter() - started
    except psycopg.errors.InsufficientPrivilege as exc:
        raise InputError("db_out_permission", target=label, detail=_first_line(exc)) from None
    except psycopg.errors.DependentObjectsStillExist as exc:
        raise InputError("db_out_dependents", target=label, detail=_first_line(exc)) from None
    except psycopg.Error as exc:
        raise InputError("db_cannot_write", target=label, detail=_first_line(exc)) from None
    finally:
        conn.close()
    return done


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


def _check_name(name: str, label: str, *, reserved: tuple[str, ...]) -> None:
    """An extra table's name: an identifier, short enough for the temporary prefix, not one of the result's."""
    if not _SCHEMA_NAME.fullmatch(name) or len(name.encode()) > 30 or name in reserved or name.startswith(_TMP):
        raise InputError("db_out_bad_table", target=label, table=name)


def _refuse_input_schema(result, server: str, schema: str, label: str) -> None:
    """Never replace an input: a table read from the target schema of the same database."""
    from landtool.postgis import _TABLE_NAME

    here = _database(server)
    for item in (result.run or {}).get("inputs", []):
        path = str(item.get("path", ""))
        if not is_database(path):
            continue
        src = parse_source(path)
        name = _TABLE_NAME.fullmatch(src.table or "") if src.sql is None else None
        if name and name.group(1) == schema and _database(src.server) == here:
            raise InputError("output_is_input", option="--out", path=label, role=item.get("role", "parcels"))


def _database(server: str) -> tuple:
    """(host, port, database) of a server, for telling whether two sources share a database."""
    import psycopg
    import sqlalchemy

    try:
        if server.startswith("PG:"):
            p = psycopg.conninfo.conninfo_to_dict(server[3:])
            return (p.get("host"), str(p.get("port") or 5432), p.get("dbname"))
        u = sqlalchemy.engine.make_url(server)
        return (u.host, str(u.port or 5432), u.database)
    except (psycopg.ProgrammingError, sqlalchemy.exc.ArgumentError, ValueError):  # not parseable: not the same
        return (server,)


def _prepare(cur, schema: str, label: str):
    """Check PostGIS, take the schema's lock, create the schema if absent; the geometry type (qualified)."""
    from psycopg import sql

    row = cur.execute("SELECT n.nspname::text FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.typname = 'geometry' LIMIT 1").fetchone()
    if row is None:
        raise InputError("db_out_no_postgis", target=label, command="CREATE EXTENSION postgis")
    # Writers of one schema wait for each other (the schema created once; the replaced tables the ones found).
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"landtool:{schema}"])
    if cur.execute("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", [schema]).fetchone() is None:
        cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    cur.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
    return sql.Identifier(row[0], "geometry")


def _comment(result, lang: str) -> str:
    run = result.run or {}
    parts = [f"landtool {run.get('landtool', '')}".strip(), f"pack {getattr(result.pack, 'id', run.get('pack', ''))}"]
    if result.as_of is not None:
        parts.append(f"as of {result.as_of}")
    parts += [f"lang {lang}", f"written {pd.Timestamp.now(tz='UTC').isoformat(timespec='seconds')}"]
    return f"{MARKER}: {{table}} ({', '.join(parts)})"


def _layer_chunks(layer: pd.DataFrame, rows: int | None = None) -> Iterator[pd.DataFrame]:
    """The rows ``rows`` (default :data:`LAYER_CHUNK_ROWS`) at a time (an empty frame: itself, for its columns)."""
    rows = rows or LAYER_CHUNK_ROWS
    for start in range(0, max(len(layer), 1), rows):
        yield layer.iloc[start : start + rows]


# --------------------------------------------------------------------------- columns and COPY


def _pg_type(series: pd.Series) -> str:
    """The PostgreSQL type of a column (geometry columns are handled apart)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return {1: "smallint", 2: "smallint", 4: "integer"}.get(dtype.itemsize, "bigint") if not pd.api.types.is_unsigned_integer_dtype(dtype) or dtype.itemsize < 8 else "numeric"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamptz"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "timestamp"
    return "text"


def _geometry_type(geoms: np.ndarray) -> str:
    """``MultiPolygon`` when every geometry is a (multi)polygon, … else ``Geometry``."""
    kinds = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
    for single, multi in ((3, 6), (1, 5), (0, 4)):
        if kinds and kinds <= {single, multi}:
            return {6: "MultiPolygon", 5: "MultiLineString", 4: "MultiPoint"}[multi]
    return "Geometry"


def _to_multi(geoms: np.ndarray) -> np.ndarray:
    """Polygons → one-part MultiPolygons (likewise lines, points), as the GeoPackage has them."""
    out = geoms.copy()
    types = shapely.get_type_id(geoms)
    for single, make in ((3, shapely.multipolygons), (1, shapely.multilinestrings), (0, shapely.multipoints)):
        idx = np.flatnonzero(types == single)
        if len(idx):
            out[idx] = make(geoms[idx], indices=np.arange(len(idx)))
    return out


def _srid(layer: pd.DataFrame, name: str, label: str, default: int | None = None) -> int:
    """The EPSG code of a layer's CRS (an empty layer without CRS: ``default``)."""
    crs = getattr(layer, "crs", None)
    code = crs.to_epsg() if crs is not None else (default if len(layer) == 0 else None)
    if code is None:
        raise InputError("db_out_crs", target=label, layer=name)
    return code


def _layer_columns(frame: pd.DataFrame, name: str, default_srid: int, label: str) -> tuple[dict[str, str], dict[str, tuple[str, int]]]:
    """Column → SQL type, and the geometry columns → (geometry type of all the rows, SRID)."""
    columns: dict[str, str] = {}
    geometry: dict[str, tuple[str, int]] = {}
    for column in frame.columns:
        if isinstance(frame[column].dtype, gpd.array.GeometryDtype):
            series = gpd.GeoSeries(frame[column])
            geometry[column] = (_geometry_type(series.to_numpy()), _srid(series, name, label, default_srid))
        else:
            columns[column] = _pg_type(frame[column])
    return columns, geometry


def _fixed_columns(columns: dict[str, str]) -> tuple[dict[str, str], dict[str, tuple[str, int]]]:
    return dict(columns), {}


def _csv_block(frame: pd.DataFrame, geometry: dict[str, tuple[str, int]]) -> bytes:
    """The rows as CSV for COPY (Arrow's writer: text always quoted, so an empty text stays
    empty and only a missing value is NULL); geometries as hex EWKB with their SRID."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    arrays = []
    for column in frame.columns:
        values = frame[column]
        if column in geometry:
            kind, srid = geometry[column]
            geoms = np.asarray(values.array, dtype=object)
            geoms = _to_multi(geoms) if kind.startswith("Multi") else geoms
            arrays.append(pa.array(shapely.to_wkb(shapely.set_srid(geoms, srid), hex=True, include_srid=True), type=pa.string(), from_pandas=True))
        else:
            arrays.append(_arrow(values))
    table = pa.Table.from_arrays(arrays, names=[str(i) for i in range(len(arrays))])
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return sink.getvalue().to_pybytes()


def _arrow(values: pd.Series):
    """A column as an Arrow array (NaN → null); objects that are not all text as ``str(value)``."""
    import pyarrow as pa

    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if len(categories) <= len(values):  # few categories: each once, taken by code
            codes = values.cat.codes.to_numpy()
            return pa.array(categories.astype(str).to_numpy(dtype=object), type=pa.string()).take(pa.array(codes, mask=codes < 0))
        values = values.astype(object)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = values.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "empty":
        return pa.nulls(len(values), pa.string())
    return pa.array(values, from_pandas=True)


def _load(cur, schema: str, tag: str, name: str, chunks: Iterable[pd.DataFrame], types: tuple[dict[str, str], dict[str, tuple[str, int]]],
          geometry_sql, *, spatial: bool) -> tuple[list[str], int]:
    """Create ``tag + name``, COPY the chunks into it, index it; its index names (final) and row count.

    ``types``: column → SQL type, geometry column → (type, SRID); a column of the chunks
    beyond them is typed by its dtype. Spatial tables get a primary key ``fid`` (1, 2 … in
    the layer's order) and their active geometry is named ``geom``.
    """
    from psycopg import sql
    from psycopg.copy import QueuedLibpqWriter

    table = sql.Identifier(schema, tag + name)
    chunks = iter(chunks)
    first = next(chunks, None)
    present = list(first.columns) if first is not None else []
    columns, geometry = types
    columns = {**columns, **{c: _pg_type(first[c]) for c in present if c not in columns and c not in geometry}}
    renamed = _geometry_names(first, geometry) if spatial else {}
    fid = spatial and "fid" not in present
    defs = [sql.SQL("fid bigint")] if fid else []
    defs += [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(kind)) for c, kind in columns.items()]
    defs += [sql.SQL("{} {}({}, {})").format(sql.Identifier(renamed.get(c, c)), geometry_sql, sql.SQL(kind), sql.Literal(srid))
             for c, (kind, srid) in geometry.items()]
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(defs)))
    order = [c for c in present if c in columns or c in geometry]
    count = 0
    if order:
        targets = (["fid"] if fid else []) + [renamed.get(c, c) for c in order]
        # FREEZE: the table is new in this transaction, so its rows need no later vacuum rewrite.
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv, FREEZE)").format(table, sql.SQL(", ").join(map(sql.Identifier, targets)))
        # The queued writer sends from a thread: the next block is rendered while the server parses this one.
        with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
            for chunk in _chain(first, chunks):
                part = chunk[order]
                if fid:
                    part = part.copy()
                    part.insert(0, "fid", np.arange(count + 1, count + len(part) + 1))
                count += len(part)
                if len(part):
                    copy.write(_csv_block(part, geometry))
    indexes = []
    if fid:
        indexes.append(f"{name}_pkey")
        cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY (fid)").format(table, sql.Identifier(tag + indexes[-1])))
    for i, column in enumerate(geometry):  # (index names from the table's name only: short enough)
        indexes.append(f"{name}_geom{i or ''}_idx")
        cur.execute(sql.SQL("CREATE INDEX {} ON {} USING gist ({})").format(sql.Identifier(tag + indexes[-1]), table, sql.Identifier(renamed.get(column, column))))
    if name == "verdict_rows":
        for column in ("parcel_id", "rule"):
            indexes.append(f"verdict_rows_{column}_idx")
            cur.execute(sql.SQL("CREATE INDEX {} ON {} ({})").format(sql.Identifier(tag + indexes[-1]), table, sql.Identifier(column)))
    return indexes, count


def _chain(first, rest):
    if first is not None:
        yield first
    yield from rest


def _geometry_names(first: pd.DataFrame, geometry: dict) -> dict[str, str]:
    """The active geometry is written as ``geom`` (PostGIS's usual name) unless a column has that name."""
    active = getattr(first, "_geometry_column_name", None)
    if active in geometry and active != "geom" and "geom" not in first.columns:
        return {active: "geom"}
    return {}


def _create_view(cur, schema: str, tag: str) -> None:
    """``verdicts``: the rows with their rule's interpretation, the contract's columns in order."""
    from psycopg import sql

    from landtool.result import VERDICT_COLUMNS

    columns = sql.SQL(", ").join(sql.Identifier("r" if c == "interpretation" else "v", c) for c in VERDICT_COLUMNS)
    cur.execute(sql.SQL("CREATE VIEW {} AS SELECT {} FROM {} AS v LEFT JOIN {} AS r ON r.pack = v.pack AND r.rule = v.rule").format(
        sql.Identifier(schema, tag + "verdicts"), columns, sql.Identifier(schema, tag + "verdict_rows"), sql.Identifier(schema, tag + "rules")))


def _tables(cur, schema: str) -> list[tuple[str, bool, str]]:
    """The relations of the schema (not landtool's temporary ones): name, written by landtool?, kind (``r``, ``v`` …)."""
    return cur.execute(
        "SELECT c.relname::text, coalesce(obj_description(c.oid, 'pg_class'), '') LIKE %s, c.relkind::text FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
        "AND substr(c.relname::text, 1, %s) <> %s ORDER BY 1",
        [f"{MARKER}%", schema, len(_TMP), _TMP],
    ).fetchall()


def _refuse_foreign(cur, schema: str, names: Iterable[str], label: str) -> None:
    """A table (or view) of one of the names that landtool did not write is never replaced."""
    names = set(names)
    foreign = [name for name, ours, _ in _tables(cur, schema) if not ours and name in names]
    if foreign:
        raise InputError("db_out_foreign_tables", target=label, tables=foreign)


def _swap(cur, schema: str, tag: str, written: dict[str, list[str] | None], comment: str, label: str) -> None:
    """Drop the previous landtool result of the schema, give the new tables their names."""
    from psycopg import sql

    _refuse_foreign(cur, schema, written, label)
    old = [(name, kind) for name, marked, kind in _tables(cur, schema) if marked]
    # Not CASCADE: a view of the user's on the old result stops the write (nothing changed) and is named.
    for kind, statement in (("v", "DROP VIEW {}"), ("r", "DROP TABLE {}")):
        names = [sql.Identifier(schema, n) for n, k in old if (k == "v") == (kind == "v")]
        if names:
            cur.execute(sql.SQL(statement).format(sql.SQL(", ").join(names)))
    for name, indexes in written.items():
        what = sql.SQL("VIEW" if indexes is None else "TABLE")
        cur.execute(sql.SQL("ALTER {} {} RENAME TO {}").format(what, sql.Identifier(schema, tag + name), sql.Identifier(name)))
        for index in indexes or ():
            cur.execute(sql.SQL("ALTER INDEX {} RENAME TO {}").format(sql.Identifier(schema, tag + index), sql.Identifier(index)))
        cur.execute(sql.SQL("COMMENT ON {} {} IS {}").format(what, sql.Identifier(schema, name), sql.Literal(comment.format(table=name))))
        if indexes is not None:
            cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, name)))
