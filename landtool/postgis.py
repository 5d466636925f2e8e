"""Reading a layer from PostGIS (``postgresql://…::schema.table`` or GDAL's ``PG:conninfo``).

The table name is validated and quoted as an identifier, never pasted into SQL as given;
messages name the server without its password.
"""

from __future__ import annotations

import re

import geopandas as gpd

from landtool.errors import InputError

__all__ = ["read_postgis", "safe_url"]

#: ``table`` or ``schema.table``; letters (any script), digits and ``_``, not starting with a digit.
_TABLE_NAME = re.compile(r"(?:([^\W\d]\w*)\.)?([^\W\d]\w*)")
_GEOMETRY_SRID = re.compile(r"^geometry\(\w+,\s*(\d+)\)$", re.IGNORECASE)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


def safe_url(url: str) -> str:
    """The URL or ``PG:`` conninfo with its password masked, for messages."""
    if url.startswith("PG:"):
        return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", url, flags=re.IGNORECASE)
    return re.sub(r"^([^:/]+://[^:@/]*:)[^@]*@", r"\1***@", url)


def read_postgis(url: str, table: str | None) -> gpd.GeoDataFrame:
    """Read ``schema.table`` (or ``table``, found through the search path) from PostGIS."""
    where = safe_url(url)
    if not table:
        raise InputError("db_no_table", server=where)
    label = f"{where}::{table}"
    name = _TABLE_NAME.fullmatch(table)
    if name is None:
        raise InputError("db_bad_table_name", layer=label)
    try:
        import psycopg  # noqa: F401  (the driver the engine uses)
        import sqlalchemy
    except ImportError:
        raise InputError("db_driver_missing", layer=label, command="pip install 'landtool[postgis]'") from None
    schema, relation = name.groups()
    engine = _engine(url, label)
    try:
        try:
            conn = engine.connect()
        except sqlalchemy.exc.DBAPIError as exc:
            raise InputError("db_cannot_connect", layer=label, detail=_first_line(exc.orig)) from None
        with conn:
            quote = engine.dialect.identifier_preparer.quote_identifier
            try:
                geom_col, srid = _geom_column(conn, ".".join(quote(part) for part in (schema, relation) if part), label)
                query = sqlalchemy.select(sqlalchemy.text("*")).select_from(sqlalchemy.table(relation, schema=schema))
                return gpd.read_postgis(query, conn, geom_col=geom_col, crs=srid)
            except sqlalchemy.exc.DBAPIError as exc:
                raise InputError("db_cannot_read", layer=label, detail=_first_line(exc.orig)) from None
    finally:
        engine.dispose()


def _engine(url: str, label: str):
    """A SQLAlchemy engine on psycopg 3 without a pool (connections close after the read)."""
    import psycopg
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    if url.startswith("PG:"):  # GDAL's form: a libpq conninfo string
        conninfo = url[3:]
        return sqlalchemy.create_engine("postgresql+psycopg://", poolclass=NullPool, creator=lambda: psycopg.connect(conninfo, connect_timeout=10))
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise InputError("db_bad_url", layer=label) from None
    if "+" not in parsed.drivername:  # postgresql:// and postgres:// mean psycopg 3 here
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
    try:
        return sqlalchemy.create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    except (sqlalchemy.exc.ArgumentError, sqlalchemy.exc.NoSuchModuleError, ImportError) as exc:
        raise InputError("db_bad_url_detail", layer=label, detail=_first_line(exc)) from None


def _geom_column(conn, qualified: str, label: str) -> tuple[str, int | None]:
    """The table's first geometry column and its SRID (None when the column has no typmod).

    Looked up in the catalog by the quoted name (``to_regclass`` follows the search
    path when no schema is given), so a missing table is a clear message, not an SQL error.
    """
    import sqlalchemy

    query = sqlalchemy.text(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) "
        "FROM pg_catalog.pg_class c "
        "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "AND a.atttypid IN (SELECT oid FROM pg_catalog.pg_type WHERE typname = 'geometry') "
        "WHERE c.oid = to_regclass(:name) ORDER BY a.attnum"
    )
    rows = conn.execute(query, {"name": qualified}).all()
    if not rows:
        raise InputError("db_no_such_table", layer=label)
    if rows[0][0] is None:
        raise InputError("db_no_geometry", layer=label)
    m = _GEOMETRY_SRID.match(rows[0][1])
    srid = int(m[1]) if m and int(m[1]) > 0 else None
    return rows[0][0], srid
