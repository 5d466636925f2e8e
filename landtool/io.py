"""Reading what bureaus have: any GDAL vector format, GeoParquet, CSV tables.

Fields are matched to the canonical names of SCHEMA.md case-insensitively and through
the alias table (``fields.yaml``) plus a user mapping file; values are parsed to their
types (numbers, dates, 是/否 booleans). Shapefiles whose DBF is GBK/GB18030 with no
``.cpg`` are detected from the bytes themselves.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import yaml

from landtool.errors import InputError

__all__ = [
    "FieldMap",
    "detect_dbf_encoding",
    "field_specs",
    "load_field_map",
    "parse_bool",
    "read_layer",
    "read_table",
    "source_label",
    "split_source",
]

TRUE_WORDS = {"是", "y", "yes", "t", "true", "1", "1.0", "有", "√"}
FALSE_WORDS = {"否", "n", "no", "f", "false", "0", "0.0", "无", "×"}


@cache
def field_specs() -> dict[str, dict[str, dict[str, Any]]]:
    """The built-in field table: layer → canonical field → {type, aliases, required}."""
    text = (resources.files("landtool") / "fields.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _norm(name: str) -> str:
    """Normalise a field name for matching: case, spaces, full-width brackets."""
    name = str(name).strip().lower()
    name = name.translate(str.maketrans("（）［］", "()[]"))
    return re.sub(r"\s+", "", name)


@dataclass(frozen=True)
class FieldMap:
    """A user's own field names: layer → canonical → list of source names.

    The key ``"*"`` holds mappings for every layer.
    """

    mapping: dict[str, dict[str, list[str]]]

    def names_for(self, layer: str, canonical: str) -> list[str]:
        return self.mapping.get(layer, {}).get(canonical, []) + self.mapping.get("*", {}).get(canonical, [])


def load_field_map(path: str | Path | None) -> FieldMap:
    """Read a ``--fields`` mapping file (YAML or JSON).

    Either flat (``canonical: source_name``, for every layer) or per layer::

        parcels:
          parcel_id: DKBH
          owner: [QYMC, 单位名称]
    """
    if path is None:
        return FieldMap({})
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: field mapping file not found"
        raise InputError(msg)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        msg = f"{path}: not a YAML/JSON field mapping ({exc.__class__.__name__})"
        raise InputError(msg) from None
    if not isinstance(data, dict):
        msg = f"{path}: a field mapping must be 'canonical: source name' pairs, optionally under a layer name"
        raise InputError(msg)
    specs = field_specs()
    known = {f for layer in specs.values() for f in layer}
    mapping: dict[str, dict[str, list[str]]] = {}
    problems = []
    for key, value in data.items():
        layer, pairs = (key, value) if isinstance(value, dict) else ("*", {key: value})
        if layer != "*" and layer not in specs:
            problems.append(f"unknown layer {layer!r} (layers: {', '.join(specs)})")
            continue
        for canonical, names in pairs.items():
            if canonical not in known:
                problems.append(f"unknown field {canonical!r}")
                continue
            names = names if isinstance(names, list) else [names]
            mapping.setdefault(layer, {}).setdefault(canonical, []).extend(str(n) for n in names)
    if problems:
        msg = f"{path}: " + "; ".join(problems)
        raise InputError(msg)
    return FieldMap(mapping)


# --------------------------------------------------------------------------- encodings


def detect_dbf_encoding(dbf_path: Path) -> str | None:
    """Encoding of a DBF's text, judged from its bytes: ``"UTF-8"``, ``"GB18030"`` or None.

    Pure ASCII gives None (any encoding reads it). Data that is valid UTF-8 is read as
    UTF-8; otherwise valid GB18030 (a superset of GBK and GB2312) is read as such.
    """
    raw = dbf_path.read_bytes()
    if len(raw) < 32:
        return None
    header_len = int.from_bytes(raw[8:10], "little")
    body = raw[header_len:]
    if body.isascii():
        return None
    try:
        body.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        body.decode("gb18030")
        return "GB18030"
    except UnicodeDecodeError:
        return None


def _shapefile_encoding(path: Path) -> str | None:
    """Encoding to force for a shapefile without .cpg, else None (let GDAL decide)."""
    if path.suffix.lower() != ".shp":
        return None
    if any(path.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    for suffix in (".dbf", ".DBF"):
        dbf = path.with_suffix(suffix)
        if dbf.exists():
            return detect_dbf_encoding(dbf)
    return None


# --------------------------------------------------------------------------- reading


def split_source(source: str | Path) -> tuple[str, str | None]:
    """``"file.gpkg::layer"`` → (``"file.gpkg"``, ``"layer"``)."""
    text = str(source)
    if "::" in text:
        path, layer = text.rsplit("::", 1)
        return path, layer or None
    return text, None


_DATABASE_URL = re.compile(r"^(postgres|postgresql)(\+\w+)?://", re.IGNORECASE)
#: ``table`` or ``schema.table``; letters (any script), digits and ``_``, not starting with a digit.
_TABLE_NAME = re.compile(r"(?:([^\W\d]\w*)\.)?([^\W\d]\w*)")
_GEOMETRY_SRID = re.compile(r"^geometry\(\w+,\s*(\d+)\)$", re.IGNORECASE)


def _is_database(path: str) -> bool:
    """A PostgreSQL URL (``postgresql://``, ``postgres://``, ``postgresql+psycopg://``) or GDAL's ``PG:conninfo``."""
    return bool(_DATABASE_URL.match(path)) or path.startswith("PG:")


def _pick_layer(path: str, layer: str | None, kind: str) -> str | None:
    if layer is not None or Path(path).suffix.lower() in {".shp", ".geojson", ".json", ".fgb", ".csv", ".parquet"}:
        return layer
    try:
        names = [row[0] for row in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL error types vary by driver
        msg = f"{path}: cannot open ({_gdal_message(exc)})"
        raise InputError(msg) from None
    if len(names) <= 1:
        return names[0] if names else None
    if kind in names:
        return kind
    msg = f"{path}: holds layers {', '.join(names)}; name the {kind} layer as {path}::LAYER"
    raise InputError(msg)


def _gdal_message(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


def read_layer(
    source: str | Path,
    kind: str,
    *,
    encoding: str | None = None,
    fields: FieldMap | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector layer and bring its fields to the canonical names and types.

    Parameters
    ----------
    source
        A path GDAL reads (``file.gpkg::layer`` to pick a layer), a ``.parquet``
        GeoParquet file, or a ``postgresql://…`` URL with ``::schema.table``.
    kind
        The layer's role: ``parcels``, ``buildings``, ``zones``, ``facility_land``,
        ``split_plan``, ``fringe``.
    encoding
        Force the text encoding (``--encoding``); default: detected.
    crs
        CRS to assume when the layer has none (``--crs``).

    The frame keeps the source feature number in ``source_fid`` (1-based) so that
    messages and the ``issues`` layer can name the feature.
    """
    path, layer = split_source(source)
    label = f"{path}::{layer}" if layer else path
    if _is_database(path):
        gdf = _read_postgis(path, layer, label)
    else:
        p = Path(path)
        if not p.exists():
            msg = f"{path}: file not found ({kind})"
            raise InputError(msg)
        if p.suffix.lower() in {".parquet", ".geoparquet"}:
            try:
                gdf = gpd.read_parquet(p)
            except Exception as exc:
                msg = f"{path}: cannot read GeoParquet ({_gdal_message(exc)})"
                raise InputError(msg) from None
        else:
            layer = _pick_layer(path, layer, kind)
            enc = encoding or _shapefile_encoding(p)
            try:
                with warnings.catch_warnings():
                    # GDAL's notes (duplicate feature ids made unique, laundered names) are
                    # not the user's problem; real problems raise.
                    warnings.simplefilter("ignore", RuntimeWarning)
                    gdf = pyogrio.read_dataframe(p, layer=layer, encoding=enc, use_arrow=False)
            except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
                msg = f"{label}: cannot read ({_gdal_message(exc)})"
                raise InputError(msg) from None
            label = f"{path}::{layer}" if layer else path
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        msg = f"{label}: no geometry column; the {kind} layer must be polygons"
        raise InputError(msg)
    if gdf.crs is None:
        if crs is None:
            msg = f"{label}: layer has no CRS; give one with --crs (e.g. --crs EPSG:4549)"
            raise InputError(msg)
        gdf = gdf.set_crs(crs)
    gdf = gdf.reset_index(drop=True)
    gdf["source_fid"] = np.arange(1, len(gdf) + 1)
    return canonicalize(gdf, kind, label=label, fields=fields)


def _read_postgis(url: str, table: str | None, label: str) -> gpd.GeoDataFrame:
    """Read ``schema.table`` (or ``table``, found through the search path) from PostGIS.

    The name is validated and quoted as an identifier, never pasted into SQL as given;
    messages name the server without its password.
    """
    where = _safe_url(url)
    if not table:
        msg = f"{where}: name the table as URL::schema.table"
        raise InputError(msg)
    label = f"{where}::{table}"
    name = _TABLE_NAME.fullmatch(table)
    if name is None:
        msg = f"{label}: table name must be schema.table or table (letters, digits, _)"
        raise InputError(msg)
    try:
        import psycopg  # noqa: F401  (the driver the engine uses)
        import sqlalchemy
    except ImportError:
        msg = f"{label}: reading PostGIS needs SQLAlchemy and psycopg: pip install 'landtool[postgis]'"
        raise InputError(msg) from None
    schema, relation = name.groups()
    engine = _engine(url, label)
    try:
        try:
            conn = engine.connect()
        except sqlalchemy.exc.DBAPIError as exc:
            msg = f"{label}: cannot connect to PostgreSQL ({_gdal_message(exc.orig)})"
            raise InputError(msg) from None
        with conn:
            quote = engine.dialect.identifier_preparer.quote_identifier
            try:
                geom_col, srid = _geom_column(conn, ".".join(quote(part) for part in (schema, relation) if part), label)
                query = sqlalchemy.select(sqlalchemy.text("*")).select_from(sqlalchemy.table(relation, schema=schema))
                return gpd.read_postgis(query, conn, geom_col=geom_col, crs=srid)
            except sqlalchemy.exc.DBAPIError as exc:
                msg = f"{label}: cannot read from PostGIS ({_gdal_message(exc.orig)})"
                raise InputError(msg) from None
    finally:
        engine.dispose()


def source_label(source) -> str:
    """How a source is named in messages: the path, or a database URL without its password."""
    text = str(source)
    return _safe_url(text) if _is_database(text) else text


def _safe_url(url: str) -> str:
    """The URL or ``PG:`` conninfo with its password masked, for messages."""
    if url.startswith("PG:"):
        return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", url, flags=re.IGNORECASE)
    return re.sub(r"^([^:/]+://[^:@/]*:)[^@]*@", r"\1***@", url)


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
        msg = f"{label}: not a valid postgresql:// URL"
        raise InputError(msg) from None
    if "+" not in parsed.drivername:  # postgresql:// and postgres:// mean psycopg 3 here
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
    try:
        return sqlalchemy.create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    except (sqlalchemy.exc.ArgumentError, sqlalchemy.exc.NoSuchModuleError, ImportError) as exc:
        msg = f"{label}: cannot use this database URL ({_gdal_message(exc)})"
        raise InputError(msg) from None


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
        msg = f"{label}: no such table (schema.table; names are case-sensitive)"
        raise InputError(msg)
    if rows[0][0] is None:
        msg = f"{label}: table has no PostGIS geometry column"
        raise InputError(msg)
    m = _GEOMETRY_SRID.match(rows[0][1])
    srid = int(m[1]) if m and int(m[1]) > 0 else None
    return rows[0][0], srid


def read_table(
    source: str | Path,
    kind: str,
    *,
    encoding: str | None = None,
    fields: FieldMap | None = None,
) -> pd.DataFrame:
    """Read a non-spatial table (CSV, XLSX, or any layer's attributes) with canonical names."""
    path, layer = split_source(source)
    p = Path(path)
    if not p.exists():
        msg = f"{path}: file not found ({kind})"
        raise InputError(msg)
    suffix = p.suffix.lower()
    if suffix in {".csv", ".txt"}:
        df = _read_csv(p, encoding)
    elif suffix in {".xlsx", ".xls"}:
        try:
            df = pd.read_excel(p, sheet_name=layer or 0, dtype=str)
        except Exception as exc:
            msg = f"{path}: cannot read spreadsheet ({_gdal_message(exc)})"
            raise InputError(msg) from None
    else:
        try:
            df = pyogrio.read_dataframe(p, layer=_pick_layer(path, layer, kind), read_geometry=False)
        except Exception as exc:
            msg = f"{path}: cannot read ({_gdal_message(exc)})"
            raise InputError(msg) from None
        df = pd.DataFrame(df)
    df = df.reset_index(drop=True)
    df["source_fid"] = np.arange(1, len(df) + 1)
    return canonicalize(df, kind, label=path, fields=fields)


def _read_csv(path: Path, encoding: str | None) -> pd.DataFrame:
    raw = path.read_bytes()
    if encoding is None:
        for candidate in ("utf-8-sig", "gb18030"):
            try:
                raw.decode(candidate)
                encoding = candidate
                break
            except UnicodeDecodeError:
                continue
        else:
            msg = f"{path}: text is neither UTF-8 nor GB18030; give --encoding"
            raise InputError(msg)
    try:
        return pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, LookupError) as exc:
        msg = f"{path}: cannot read CSV ({_gdal_message(exc)})"
        raise InputError(msg) from None


# --------------------------------------------------------------------------- fields


def canonicalize(df: pd.DataFrame, kind: str, *, label: str, fields: FieldMap | None = None) -> pd.DataFrame:
    """Rename columns to canonical names and parse values to their types.

    Columns that match no canonical name are kept as they are. Raises InputError
    for a missing required field, two columns claiming one field, or unparseable
    values (listing the features).
    """
    specs = field_specs()[kind]
    fields = fields or FieldMap({})
    by_norm: dict[str, str] = {}
    for col in df.columns:
        by_norm.setdefault(_norm(col), col)
    geometry_name = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    rename: dict[str, str] = {}
    taken: dict[str, str] = {}
    for canonical, spec in specs.items():
        # The user's mapping first, then the canonical name itself, then the aliases.
        for name in (*fields.names_for(kind, canonical), canonical, *spec.get("aliases", [])):
            col = by_norm.get(_norm(name))
            if col is not None and col not in rename and col != geometry_name:
                rename[col] = canonical
                taken[canonical] = col
                break
    out = df.rename(columns=rename)
    out = out.loc[:, ~out.columns.duplicated()]
    missing = [c for c, s in specs.items() if s.get("required") and c not in out.columns]
    if missing:
        wanted = "; ".join(f"{c} (or {', '.join(specs[c].get('aliases', [])[:3])})" for c in missing)
        msg = f"{label}: {kind} layer lacks required field {wanted}; map your own name with --fields"
        raise InputError(msg)
    problems = []
    for canonical, spec in specs.items():
        if canonical not in out.columns:
            continue
        parsed, bad = _parse(out[canonical], spec["type"])
        out[canonical] = parsed
        if bad.any():
            fids = out.loc[bad, "source_fid"] if "source_fid" in out else out.index[bad]
            shown = ", ".join(f"feature {f} {v!r}" for f, v in zip(list(fids)[:3], list(df.loc[bad, taken[canonical]])[:3], strict=False))
            more = f" and {int(bad.sum()) - 3} more" if bad.sum() > 3 else ""
            problems.append(f"field {taken[canonical]} ({canonical}) is not a {spec['type']}: {shown}{more}")
    if problems:
        msg = f"{label}: " + "; ".join(problems)
        raise InputError(msg)
    return out


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | series.astype(str).str.strip().isin(["", "nan", "None", "NaT", "<NA>"])


def _parse(series: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Parse one column; returns (values, mask of unparseable non-blank cells)."""
    blank = _blank(series)
    if kind == "text":
        values = series.map(_text).where(~blank, None).astype(object)
        return values, pd.Series(False, index=series.index)
    if kind == "number":
        if pd.api.types.is_numeric_dtype(series):
            return series.astype(float), pd.Series(False, index=series.index)
        cleaned = series.astype(str).str.strip().str.replace(",", "", regex=False).str.replace("％", "%", regex=False)
        pct = cleaned.str.endswith("%")
        values = pd.to_numeric(cleaned.str.rstrip("%"), errors="coerce")
        values = values.where(~pct, values / 100)
        return values.where(~blank).astype(float), values.isna() & ~blank
    if kind == "bool":
        parsed = series.map(parse_bool)
        bad = parsed.isna() & ~blank
        return parsed.astype("boolean"), bad
    if kind == "date":
        parsed = series.map(_parse_date)
        bad = parsed.isna() & ~blank
        return pd.to_datetime(parsed), bad
    msg = f"unknown field type {kind!r}"
    raise ValueError(msg)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_bool(value: Any) -> bool | None:
    """是/否, Y/N, 1/0, true/false, yes/no → bool; blank or unknown → None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def _parse_date(value: Any) -> dt.datetime | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (dt.date, pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).to_pydatetime()
    text = str(value).strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return dt.datetime(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None
