"""Reading layers from PostGIS: a table, or the result of the user's own SQL query.

Sources (``SERVER`` is ``postgresql://USER:PASSWORD@HOST:PORT/DB`` — or ``postgres://``,
``postgresql+psycopg://``, or GDAL's ``PG:host=… dbname=…`` conninfo):

``SERVER::schema.table`` (or ``SERVER::table``, found through the search path)
    The table's first geometry column, with the SRID of its type (``geometry(Polygon, 4549)``).
    The name is validated and quoted as an identifier, never pasted into SQL as given.
``SERVER::sql:SELECT …``
    The result of a query: its first geometry column, with the SRID of the column's type
    when the query selects a table's column as it is, else the SRID of the first non-null
    geometry (all must agree). Nothing needs URL-encoding; ``::`` casts may appear in the
    query (everything after the first ``::sql:`` is the query).

Everything is read inside one ``READ ONLY`` transaction through a server-side cursor
(``DECLARE … CURSOR FOR``, which admits only ``SELECT``, ``VALUES``, ``TABLE`` and ``WITH``
queries that change nothing), with an optional ``statement_timeout`` (seconds, per
statement: the query's start and each fetch of rows). Column types come from the result's
type OIDs, not from the values, so every chunk of a stream has the same dtypes: integers
``Int64``, ``numeric``/floats ``float64``, booleans ``boolean``, text ``str``, dates and
timestamps ``datetime64``, other types as psycopg returns them (JSON as text).

Messages name the server without its password (:func:`safe_url`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landtool.errors import InputError

__all__ = ["PgSource", "connect", "is_database", "parse_source", "read_postgis", "read_postgis_chunks", "safe_url", "source_label"]

#: ``table`` or ``schema.table``; letters (any script), digits and ``_``, not starting with a digit.
_TABLE_NAME = re.compile(r"(?:([^\W\d]\w*)\.)?([^\W\d]\w*)")
_GEOMETRY_SRID = re.compile(r"^(?:\S+\.)?\"?geometry\"?\(\w+,\s*(\d+)\)$", re.IGNORECASE)
_DATABASE_URL = re.compile(r"^(postgres|postgresql)(\+\w+)?://", re.IGNORECASE)
_SQL_MARK = re.compile(r"::sql:", re.IGNORECASE)
#: The first word of a query a cursor can run.
_QUERY_START = re.compile(r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*\(*\s*(select|with|values|table)\b", re.IGNORECASE | re.DOTALL)
#: Rows per chunk of a whole read (bounds the driver's buffers, not the result).
WHOLE_READ_ROWS = 100_000
_LABEL_SQL_CHARS = 60

_INT_TYPES = {"int2", "int4", "int8", "oid"}
_FLOAT_TYPES = {"float4", "float8", "numeric"}
_TEXT_TYPES = {"text", "varchar", "bpchar", "name", "char", "citext", "json", "jsonb", "uuid"}
_TIME_TYPES = {"date", "timestamp"}
#: Text columns: pandas' ``str`` (missing = NaN) from pandas 3, objects (missing = None) before.
_TEXT_DTYPE = "str" if int(pd.__version__.split(".")[0]) >= 3 else object


@dataclass(frozen=True)
class PgSource:
    """A PostGIS source: the server (URL or ``PG:`` conninfo) and a table or a query."""

    server: str
    table: str | None = None
    sql: str | None = None

    @property
    def label(self) -> str:
        return source_label(self)


def is_database(text: str) -> bool:
    """A PostgreSQL URL (``postgresql://``, ``postgres://``, ``postgresql+psycopg://``) or GDAL's ``PG:conninfo``.

    >>> is_database("postgresql://gis@db/cadastre::public.宗地"), is_database("PG:dbname=x"), is_database("a.gpkg")
    (True, True, False)
    """
    return bool(_DATABASE_URL.match(text)) or text.startswith("PG:")


def parse_source(source: str | PgSource) -> PgSource:
    """``SERVER::schema.table`` / ``SERVER::sql:SELECT …`` → :class:`PgSource` (not checked yet).

    >>> parse_source("postgresql://u@h/db::sql:SELECT geom::geometry FROM t")
    PgSource(server='postgresql://u@h/db', table=None, sql='SELECT geom::geometry FROM t')
    >>> parse_source("postgresql://u@[::1]/db::public.宗地")
    PgSource(server='postgresql://u@[::1]/db', table='public.宗地', sql=None)
    """
    if isinstance(source, PgSource):
        return source
    text = str(source)
    mark = _SQL_MARK.search(text)
    if mark:
        return PgSource(text[: mark.start()], sql=text[mark.end() :])
    if "::" in text:
        server, table = text.rsplit("::", 1)
        return PgSource(server, table=table or None)
    return PgSource(text)


def safe_url(url: str) -> str:
    """The URL or ``PG:`` conninfo with its password masked, for messages (a query after
    ``::sql:`` is kept as it is).

    >>> safe_url("postgresql://gis:pa:ss@h/db?password=x&sslmode=require::sql:SELECT 'a@b'")
    "postgresql://gis:***@h/db?password=***&sslmode=require::sql:SELECT 'a@b'"
    """
    mark = _SQL_MARK.search(url)
    server, rest = (url[: mark.start()], url[mark.start() :]) if mark else (url, "")
    if server.startswith("PG:"):
        server = re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", server, flags=re.IGNORECASE)
    else:
        server = re.sub(r"^([^:/]+://[^:@/]*:)[^@]*@", r"\1***@", server)
        server = re.sub(r"([?&]password=)[^&:]*", r"\1***", server, flags=re.IGNORECASE)
    return server + rest


def source_label(source: str | PgSource) -> str:
    """How a source is named in one-line messages: password masked, a query on one line, shortened.

    >>> source_label("postgresql://u:pw@h/db::sql:SELECT *\\n  FROM parcels WHERE land_use = '工业用地' AND area_m2 > 1000")
    "postgresql://u:***@h/db::sql:SELECT * FROM parcels WHERE land_use = '工业用地' AND area_m2 > …"
    """
    src = parse_source(source)
    server = safe_url(src.server)
    if src.sql is None:
        return f"{server}::{src.table}" if src.table else server
    query = " ".join(src.sql.split())
    return f"{server}::sql:{query if len(query) <= _LABEL_SQL_CHARS else query[:_LABEL_SQL_CHARS] + '…'}"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


# --------------------------------------------------------------------------- connections


def _conninfo(server: str, label: str) -> str:
    """A libpq conninfo string for the URL (parsed as SQLAlchemy does: passwords may hold ``:``) or ``PG:`` string."""
    import psycopg
    import sqlalchemy

    if server.startswith("PG:"):  # GDAL's form: a libpq conninfo string
        try:
            params = psycopg.conninfo.conninfo_to_dict(server[3:])
        except psycopg.ProgrammingError as exc:
            raise InputError("db_bad_url_detail", layer=label, detail=_first_line(exc)) from None
    else:
        try:
            parsed = sqlalchemy.engine.make_url(server)
        except sqlalchemy.exc.ArgumentError:
            raise InputError("db_bad_url", layer=label) from None
        if parsed.drivername.split("+")[0] not in ("postgresql", "postgres"):
            raise InputError("db_bad_url", layer=label)
        query = {k: (v[-1] if isinstance(v, tuple) else v) for k, v in parsed.query.items()}
        params = {"host": parsed.host, "port": parsed.port, "user": parsed.username, "password": parsed.password, "dbname": parsed.database, **query}
    params.setdefault("connect_timeout", 10)
    params.setdefault("application_name", "landtool")
    params["client_encoding"] = "UTF8"
    try:
        return psycopg.conninfo.make_conninfo("", **{k: v for k, v in params.items() if v is not None})
    except psycopg.ProgrammingError as exc:
        raise InputError("db_bad_url_detail", layer=label, detail=_first_line(exc)) from None


def connect(server: str, label: str):
    """A psycopg connection (not autocommit) to the server, or InputError ``db_cannot_connect``."""
    try:
        import psycopg
        import sqlalchemy
    except ImportError:
        raise InputError("db_driver_missing", layer=label, command="pip install 'landtool[postgis]'") from None
    conninfo = _conninfo(server, label)
    try:
        return psycopg.connect(conninfo)
    except psycopg.ProgrammingError as exc:  # an option libpq does not know
        raise InputError("db_bad_url_detail", layer=label, detail=_first_line(exc)) from None
    except psycopg.Error as exc:
        raise InputError("db_cannot_connect", layer=label, detail=_first_line(exc)) from None


def _read_only(conn, statement_timeout: float | None) -> str:
    """Start the read-only transaction the reads run in (numeric as float, JSON as text);
    the statement timeout in force (``0`` for none; PostgreSQL's units, e.g. ``200ms``)."""
    from psycopg.types.numeric import FloatLoader
    from psycopg.types.string import TextLoader

    conn.read_only = True
    conn.adapters.register_loader("numeric", FloatLoader)
    for name in ("json", "jsonb", "uuid"):
        conn.adapters.register_loader(name, TextLoader)
    if statement_timeout is not None:
        return conn.execute("SELECT set_config('statement_timeout', %s, true)", [f"{max(1, round(float(statement_timeout) * 1000))}ms"]).fetchone()[0]
    return conn.execute("SELECT current_setting('statement_timeout')").fetchone()[0]  # (BEGIN READ ONLY)


# --------------------------------------------------------------------------- reading


def read_postgis(url: str, table: str | None = None, *, statement_timeout: float | None = None) -> gpd.GeoDataFrame:
    """Read a PostGIS source whole (the in-memory engine's read).

    ``url`` may be a whole source (``SERVER::schema.table``, ``SERVER::sql:SELECT …``) or
    the server with ``table`` given apart; ``table`` may also be what splitting a
    ``::sql:`` source at its last ``::`` left (the two are joined again). The frame has a
    RangeIndex; the CRS is the SRID's (None when unknown).
    """
    source = parse_source(url if table is None else f"{url}::{table}")
    chunks = list(read_postgis_chunks(source, rows=WHOLE_READ_ROWS, statement_timeout=statement_timeout))
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks)


def read_postgis_chunks(source: str | PgSource, *, rows: int = 100_000, statement_timeout: float | None = None) -> Iterator[gpd.GeoDataFrame]:
    """Stream a PostGIS source as GeoDataFrames of at most ``rows`` rows.

    One read-only transaction and one server-side cursor for the whole stream, so the
    chunks come from one snapshot. Every chunk has the same columns, dtypes and CRS; its
    index continues the previous chunk's (the feature number is ``index + 1``). An empty
    result gives one empty frame (its columns). Errors are InputError, raised at the first
    ``next()``; the connection closes when the stream ends or is closed.

    Without a typmod SRID, chunks whose geometries are all null are held back until a
    geometry gives the SRID.
    """
    if rows < 1:
        raise ValueError("rows must be at least 1")
    src = parse_source(source)
    label = source_label(src)
    query = _query(src, label)
    conn = connect(src.server, label)
    try:
        import psycopg

        timeout = None
        try:
            timeout = _read_only(conn, statement_timeout)
            if src.sql is None:
                _check_table(conn, src, label)
            yield from _stream(conn, query, label, rows)
        except psycopg.errors.QueryCanceled:
            raise InputError("db_timeout", layer=label, timeout=timeout) from None
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise InputError("db_query_writes", layer=label, detail=_first_line(exc)) from None
        except psycopg.Error as exc:
            raise InputError("db_cannot_read", layer=label, detail=_first_line(exc)) from None
    finally:
        conn.close()


def _query(src: PgSource, label: str):
    """The statement the cursor runs: ``SELECT * FROM "schema"."table"`` or the user's query."""
    from urllib.parse import parse_qs, urlsplit

    from psycopg import sql

    if not src.server.startswith("PG:") and "query" in parse_qs(urlsplit(src.server).query):
        raise InputError("db_query_parameter", layer=label, form="SERVER::sql:SELECT …", param="?query=")
    if src.sql is not None:
        text = src.sql.strip().rstrip(";").strip()
        if not text:
            raise InputError("db_query_empty", layer=label, mark="::sql:")
        if not _QUERY_START.match(text):
            raise InputError("db_query_not_select", layer=label, allowed=["SELECT", "WITH … SELECT", "VALUES", "TABLE"])
        return sql.SQL(text)
    if not src.table:
        raise InputError("db_no_table", server=safe_url(src.server))
    name = _TABLE_NAME.fullmatch(src.table)
    if name is None:
        raise InputError("db_bad_table_name", layer=label)
    schema, relation = name.groups()
    return sql.SQL("SELECT * FROM {}").format(sql.Identifier(*(p for p in (schema, relation) if p)))


def _check_table(conn, src: PgSource, label: str) -> None:
    """A missing table or one without geometry is a clear message, not an SQL error.

    Looked up in the catalog by the quoted name (``to_regclass`` follows the search path
    when no schema is given).
    """
    from psycopg import sql

    schema, relation = _TABLE_NAME.fullmatch(src.table).groups()
    qualified = sql.Identifier(*(p for p in (schema, relation) if p)).as_string(conn)
    rows = conn.execute(
        "SELECT a.attname FROM pg_catalog.pg_class c "
        "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "AND a.atttypid IN (SELECT oid FROM pg_catalog.pg_type WHERE typname = 'geometry') "
        "WHERE c.oid = to_regclass(%s) ORDER BY a.attnum",
        [qualified],
    ).fetchall()
    if not rows:
        raise InputError("db_no_such_table", layer=label)
    if rows[0][0] is None:
        raise InputError("db_no_geometry", layer=label)


def _kind(typname: str) -> str:
    if typname == "geometry":
        return "geometry"
    if typname == "bool":
        return "bool"
    if typname in _INT_TYPES:
        return "int"
    if typname in _FLOAT_TYPES:
        return "float"
    if typname in _TEXT_TYPES:
        return "text"
    if typname in _TIME_TYPES:
        return "time"
    if typname == "timestamptz":
        return "timetz"
    return "other"


def _column(values: list, kind: str):
    """One column of a chunk, its dtype from the column's type (the same in every chunk)."""
    if kind == "int":
        return pd.array(values, dtype="Int64")
    if kind == "float":
        return np.array(values, dtype=float)
    if kind == "bool":
        return pd.array(values, dtype="boolean")
    if kind == "text":
        return pd.array(values, dtype=_TEXT_DTYPE)
    if kind in ("time", "timetz"):
        times = pd.to_datetime(pd.Series(values, dtype=object), utc=kind == "timetz")
        return times.astype("datetime64[us, UTC]" if kind == "timetz" else "datetime64[us]").array
    return pd.Series(values, dtype=object).to_numpy()


def _stream(conn, query, label: str, rows: int) -> Iterator[gpd.GeoDataFrame]:
    with conn.cursor(name="landtool_read") as cur:
        yield from _fetch(conn, cur, query, label, rows)


def _fetch(conn, cur, query, label: str, rows: int) -> Iterator[gpd.GeoDataFrame]:
    cur.itersize = rows
    cur.execute(query)
    names = [c.name for c in cur.description]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError("db_duplicate_columns", layer=label, columns=repeated)
    oids = [c.type_code for c in cur.description]
    typnames = dict(conn.execute("SELECT oid::int, typname::text FROM pg_catalog.pg_type WHERE oid = ANY(%s)", [sorted(set(oids))]).fetchall())
    kinds = [_kind(typnames.get(oid, "")) for oid in oids]
    if "geometry" not in kinds:
        raise InputError("db_query_no_geometry", layer=label)  # (a table without one was told apart before)
    g = kinds.index("geometry")
    kinds = [k if k != "geometry" or i == g else "text" for i, k in enumerate(kinds)]  # further geometries: hex EWKB text
    srid = None
    if cur.pgresult.fmod(g) >= 0:  # the column of a table, with its typmod
        declared = conn.execute("SELECT format_type(%s, %s)", [oids[g], cur.pgresult.fmod(g)]).fetchone()[0]
        m = _GEOMETRY_SRID.match(declared)
        srid = int(m[1]) if m and int(m[1]) > 0 else None
    crs = _crs(conn, srid, label) if srid else None
    held: list[pd.DataFrame] = []  # chunks read before the SRID is known
    start = 0
    while True:
        batch = cur.fetchmany(rows)
        if not batch and start > 0:
            break
        columns = list(zip(*batch)) if batch else [()] * len(names)
        data = {}
        for name, values, kind in zip(names, columns, kinds, strict=True):
            if kind == "geometry":
                geoms = shapely.from_wkb(np.array(values, dtype=object))
                srids = np.unique(shapely.get_srid(geoms))
                srids = srids[srids > 0]
                if len(srids) > 1 or (srid is not None and len(srids) and srids[0] != srid):
                    raise InputError("db_mixed_srid", layer=label, srids=sorted({*([srid] if srid else []), *map(int, srids)}))
                if srid is None and len(srids):
                    srid = int(srids[0])
                    crs = _crs(conn, srid, label)
                data[name] = shapely.set_srid(geoms, 0)
            else:
                data[name] = _column(list(values), kind)
        held.append(pd.DataFrame(data, index=pd.RangeIndex(start, start + len(batch))))
        start += len(batch)
        if srid is not None:
            for frame in held:
                yield gpd.GeoDataFrame(frame, geometry=names[g], crs=crs)
            held = []
        if len(batch) < rows:
            break
    for frame in held:  # no geometry gave an SRID: no CRS
        yield gpd.GeoDataFrame(frame, geometry=names[g], crs=crs)


def _crs(conn, srid: int, label: str):
    """The CRS of an SRID: from the server's ``spatial_ref_sys`` (its authority code, else its
    WKT), else taken as an EPSG code."""
    import psycopg
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        with conn.transaction():  # a savepoint: a missing or unreadable spatial_ref_sys is not fatal
            row = conn.execute("SELECT auth_name::text, auth_srid::int, srtext::text FROM spatial_ref_sys WHERE srid = %s", [srid]).fetchone()
    except psycopg.Error:
        row = None
    try:
        if row and row[0] and row[1]:
            return CRS.from_authority(row[0], row[1])
        if row and row[2]:
            return CRS.from_wkt(row[2])
        return CRS.from_epsg(srid)
    except CRSError:
        raise InputError("db_unknown_srid", layer=label, srid=srid) from None
