"""Reading what bureaus have: any GDAL vector format, GeoParquet, CSV tables, PostGIS.

Paths may be GDAL virtual paths (``/vsizip/parcels.zip/宗地.shp``, ``/vsigzip/…``,
``/vsitar/…``) or a ``.zip`` holding one shapefile. Shapefiles whose DBF is GBK/GB18030
with no ``.cpg`` are detected from the bytes themselves (inside a zip too); field names
that GDAL cut inside a character at the DBF's 10 bytes are read without the cut character;
a truncated .shp/.shx/.dbf is an error, not features read as empty. Fields are brought to their canonical names and
types (:mod:`landtool.fields`), and the layer's CRS is checked against its coordinates
(:func:`landtool.crs.settle_crs`) before anything is measured. Every failure is an
:class:`InputError` naming the file or layer, never a traceback.
"""

from __future__ import annotations

import codecs
import re
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from landtool.crs import parse_crs, settle_crs
from landtool.errors import InputError
from landtool.fields import FieldMap, canonicalize, field_specs, load_field_map
from landtool.values import parse_bool

__all__ = [
    "FieldMap",
    "canonicalize",
    "check_encoding",
    "detect_dbf_encoding",
    "field_specs",
    "load_field_map",
    "parse_bool",
    "read_layer",
    "read_table",
    "source_label",
    "split_source",
]

#: Suffixes of single-layer formats (no layer to pick).
_SINGLE_LAYER = {".shp", ".geojson", ".json", ".fgb", ".csv", ".parquet", ".geojsonl", ".geojsons"}


def check_encoding(encoding: str | None) -> None:
    """Raise InputError when ``--encoding`` names no known encoding."""
    if encoding is None:
        return
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError("encoding_unknown", encoding=str(encoding)) from None


# --------------------------------------------------------------------------- encodings


def _decode_kind(body: bytes) -> str | None:
    if body.isascii():
        return None
    for encoding, name in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            body.decode(encoding)
            return name
        except UnicodeDecodeError:
            continue
    return None


def detect_dbf_encoding(dbf_path: Path | bytes) -> str | None:
    """Encoding of a DBF's text, judged from its bytes: ``"UTF-8"``, ``"GB18030"`` or None.

    Pure ASCII gives None (any encoding reads it). Data that is valid UTF-8 is read as
    UTF-8; otherwise valid GB18030 (a superset of GBK and GB2312) is read as such.
    """
    raw = dbf_path if isinstance(dbf_path, bytes) else Path(dbf_path).read_bytes()
    if len(raw) < 32:
        return None
    header_len = int.from_bytes(raw[8:10], "little")
    return _decode_kind(raw[header_len:])


def _shapefile_encoding(path: str) -> str | None:
    """Encoding to force for a shapefile without .cpg, else None (let GDAL decide)."""
    if not path.lower().endswith(".shp"):
        return None
    if path.startswith("/vsizip/"):
        return _zipped_dbf_encoding(path)
    if path.startswith("/vsi"):
        return None
    p = Path(path)
    if any(p.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    for suffix in (".dbf", ".DBF"):
        dbf = p.with_suffix(suffix)
        if dbf.exists():
            return detect_dbf_encoding(dbf)
    return None


def _zipped_dbf_encoding(path: str) -> str | None:
    """The DBF encoding of a shapefile inside a zip (``/vsizip/a.zip/dir/x.shp``)."""
    container = _vsi_container(path)
    if container is None or not zipfile.is_zipfile(container):
        return None
    member = path[len("/vsizip/") :][len(str(container)) :].lstrip("/")
    stem = member[:-4]
    try:
        with zipfile.ZipFile(container) as archive:
            names = {n.lower(): n for n in archive.namelist()}
            if f"{stem}.cpg".lower() in names:
                return None
            dbf = names.get(f"{stem}.dbf".lower())
            return detect_dbf_encoding(archive.read(dbf)) if dbf else None
    except (zipfile.BadZipFile, OSError):
        return None


# --------------------------------------------------------------------------- paths


def split_source(source: str | Path) -> tuple[str, str | None]:
    """``"file.gpkg::layer"`` → (``"file.gpkg"``, ``"layer"``)."""
    text = str(source)
    if "::" in text:
        path, layer = text.rsplit("::", 1)
        return path, layer or None
    return text, None


_VSI = re.compile(r"^/vsi(zip|gzip|tar|7z|rar)/")
_VSI_NETWORK = re.compile(r"^/vsi(curl|s3|gs|az|adls|oss|swift|webhdfs|hdfs)")


def _vsi_container(path: str) -> Path | None:
    """The local file a ``/vsizip/``-style path reads from (the first prefix that is a file), or None."""
    rest = _VSI.sub("", path, count=1)
    if rest.startswith("{") and "}" in rest:  # GDAL's /vsizip/{/path/a.zip}/member syntax
        candidate = Path(rest[1 : rest.index("}")])
        return candidate if candidate.is_file() else None
    if rest.startswith("/vsi"):  # chained: /vsitar//vsigzip/… — GDAL judges
        return None
    parts = rest.split("/")
    for i in range(1, len(parts) + 1):
        candidate = Path("/".join(parts[:i]) or "/")
        if candidate.is_file():
            return candidate
    return None


def _zipped_shapefile(path: str) -> str:
    """``cadastre.zip`` holding one shapefile (at any depth) → its ``/vsizip/`` path, so that
    its DBF encoding is detected like an unzipped one's; other paths are returned as given."""
    if not path.lower().endswith(".zip") or path.startswith("/vsi") or not zipfile.is_zipfile(path):
        return path
    try:
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if n.lower().endswith(".shp") and not n.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError):
        return path
    return f"/vsizip/{path}/{members[0]}" if len(members) == 1 else path


def _check_exists(path: str, kind: str) -> None:
    """A clean error for a file that is not there, an empty file, or a missing archive member."""
    if _VSI_NETWORK.match(path):
        return
    if _VSI.match(path):
        rest = _VSI.sub("", path, count=1)
        if rest.startswith("/vsi"):
            return
        container = _vsi_container(path)
        if container is None:
            raise InputError("file_not_found", path=path, role=kind)
        try:
            pyogrio.list_layers(path)
        except Exception as exc:  # GDAL error types vary by driver
            if "does not exist" in str(exc):
                raise InputError("member_not_found", path=path, container=str(container), role=kind) from None
            raise _read_error(path, exc) from None
        return
    p = Path(path)
    if not p.exists():
        raise InputError("file_not_found", path=path, role=kind)
    if p.is_file() and p.stat().st_size == 0:
        raise InputError("file_empty", path=path, role=kind)


def _is_database(path: str) -> bool:
    """A PostgreSQL URL (``postgresql://``, ``postgres://``, ``postgresql+psycopg://``) or GDAL's ``PG:conninfo``."""
    from landtool.postgis import is_database

    return is_database(path)


def _gdal_message(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


def _read_error(path: str, exc: Exception) -> InputError:
    """The error for a file GDAL cannot open or read: unknown format, else truncated/corrupt."""
    detail = _gdal_message(exc)
    if "not recognized as" in detail or "not a supported" in detail:
        return InputError("format_unknown", path=path)
    return InputError("cannot_read", path=path, detail=detail)


def _check_shapefile(path: str) -> None:
    """A shapefile whose .shp, .shx or .dbf is shorter than its header says is truncated
    (GDAL would read the cut features as empty geometries or blank attributes)."""
    if not path.lower().endswith(".shp") or path.startswith("/vsi"):
        return
    stem = Path(path)
    for suffix in (".shp", ".shx", ".dbf"):
        part = next((p for p in (stem.with_suffix(suffix), stem.with_suffix(suffix.upper())) if p.is_file()), None)
        if part is None:
            continue
        with part.open("rb") as f:
            head = f.read(32)
        size = part.stat().st_size
        if suffix == ".dbf":
            if len(head) < 12:
                raise InputError("file_truncated", path=str(part), size=size, expected=32)
            expected = int.from_bytes(head[8:10], "little") + int.from_bytes(head[4:8], "little") * int.from_bytes(head[10:12], "little")
        else:
            if len(head) < 28:
                raise InputError("file_truncated", path=str(part), size=size, expected=100)
            expected = int.from_bytes(head[24:28], "big") * 2  # 16-bit words
        if size < expected:
            raise InputError("file_truncated", path=str(part), size=size, expected=expected)


def _pick_layer(path: str, layer: str | None, kind: str) -> str | None:
    if layer is None and Path(path).suffix.lower() in _SINGLE_LAYER:
        return None
    try:
        names = [str(row[0]) for row in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL error types vary by driver
        raise _read_error(path, exc) from None
    if layer is not None:
        if layer not in names:
            raise InputError("layer_not_found", path=path, layer=layer, layers=names)
        return layer
    if len(names) <= 1:
        return names[0] if names else None
    if kind in names:
        return kind
    raise InputError("layer_ambiguous", path=path, layers=names, role=kind)


# --------------------------------------------------------------------------- reading


def read_layer(
    source: str | Path,
    kind: str,
    *,
    encoding: str | None = None,
    fields: FieldMap | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector layer, check its CRS, bring its fields to the canonical names and types.

    Parameters
    ----------
    source
        A path GDAL reads (``file.gpkg::layer`` to pick a layer; ``/vsizip/…`` virtual
        paths), a ``.parquet`` GeoParquet file, or a ``postgresql://…`` URL with
        ``::schema.table``.
    kind
        The layer's role: ``parcels``, ``buildings``, ``zones``, ``facility_land``,
        ``split_plan``, ``fringe``.
    encoding
        Force the text encoding (``--encoding``); default: detected.
    crs
        CRS of a layer that has none, or whose declared CRS its coordinates contradict
        (``--crs``; see :func:`landtool.crs.settle_crs`).

    The frame keeps the source feature number in ``source_fid`` (1-based) so that
    messages and the ``issues`` layer can name the feature. A ``crs_overridden``
    warning, if any, is in ``frame.attrs["warnings"]``.
    """
    check_encoding(encoding)
    assumed = parse_crs(crs) if crs is not None else None
    path, layer = split_source(source)
    label = f"{path}::{layer}" if layer else path
    if _is_database(path):
        from landtool.postgis import read_postgis

        gdf = read_postgis(path, layer)
        label = source_label(source)
    else:
        _check_exists(path, kind)
        if Path(path).suffix.lower() in {".parquet", ".geoparquet"} and not path.startswith("/vsi"):
            try:
                gdf = gpd.read_parquet(path)
            except Exception as exc:  # pyarrow and geopandas raise many types
                raise InputError("cannot_read", path=path, detail=_gdal_message(exc)) from None
        else:
            path = _zipped_shapefile(path)
            _check_shapefile(path)
            layer = _pick_layer(path, layer, kind)
            enc = encoding or _shapefile_encoding(path)
            try:
                gdf = _read_vector(path, layer, enc)
            except UnicodeDecodeError:
                gdf = _read_cut_names(path, layer, enc, label)
            except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
                raise _read_error(label, exc) from None
            label = f"{path}::{layer}" if layer else path
    if not _has_geometry(gdf):
        raise InputError("no_geometry", layer=label, role=kind)
    gdf = gdf.reset_index(drop=True)
    gdf["source_fid"] = np.arange(1, len(gdf) + 1)
    gdf = settle_crs(gdf, label, assumed)
    notes = gdf.attrs.get("warnings", [])
    out = canonicalize(gdf, kind, label=label, fields=fields)
    out.attrs["warnings"] = notes
    out.attrs["source"] = label  # what later messages about this layer call it
    return out


def _read_vector(path: str, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    """The layer through GDAL's Arrow stream (several times faster than feature by feature);
    a forced encoding goes through GDAL's own decoding, which only the feature path offers."""
    with warnings.catch_warnings():
        # GDAL's notes (duplicate feature ids made unique, laundered names) are
        # not the user's problem; real problems raise.
        warnings.simplefilter("ignore", RuntimeWarning)
        return pyogrio.read_dataframe(path, layer=layer, encoding=encoding, use_arrow=encoding is None)


def _read_cut_names(path: str, layer: str | None, encoding: str | None, label: str) -> gpd.GeoDataFrame:
    """A shapefile whose field names were cut at the DBF's 10 bytes inside a character
    (GDAL does that to long Chinese names in UTF-8): read byte for byte, then decode names
    (dropping the cut character) and text in the encoding the data is in."""
    encoding = encoding or "UTF-8"
    try:
        gdf = _read_vector(path, layer, "latin1")
        names = {c: c.encode("latin1").decode(encoding, errors="ignore") for c in gdf.columns if c != gdf.geometry.name}
        for column in names:
            if pd.api.types.is_object_dtype(gdf[column]) or pd.api.types.is_string_dtype(gdf[column]):
                gdf[column] = gdf[column].map(lambda v: v.encode("latin1").decode(encoding, errors="replace") if isinstance(v, str) else v)
    except Exception as exc:  # the second read failed too: report it
        raise _read_error(label, exc) from None
    return gdf.rename(columns=names)


def _has_geometry(frame) -> bool:
    if not isinstance(frame, gpd.GeoDataFrame):
        return False
    try:
        return frame.geometry is not None
    except AttributeError:  # no active geometry column
        return False


def source_label(source) -> str:
    """How a source is named in messages: the path, or a database URL without its password."""
    text = str(source)
    if not _is_database(text):
        return text
    from landtool.postgis import source_label as database_label

    return database_label(text)


def read_table(
    source: str | Path,
    kind: str,
    *,
    encoding: str | None = None,
    fields: FieldMap | None = None,
) -> pd.DataFrame:
    """Read a non-spatial table (CSV, XLSX, or any layer's attributes) with canonical names."""
    check_encoding(encoding)
    path, layer = split_source(source)
    _check_exists(path, kind)
    suffix = Path(path).suffix.lower()
    if suffix in {".csv", ".txt"} and not path.startswith("/vsi"):
        df = _read_csv(Path(path), encoding)
    elif suffix in {".xlsx", ".xls"} and not path.startswith("/vsi"):
        try:
            df = pd.read_excel(path, sheet_name=layer or 0, dtype=str)
        except Exception as exc:  # openpyxl / xlrd raise many types
            raise InputError("cannot_read", path=path, detail=_gdal_message(exc)) from None
    else:
        try:
            df = pyogrio.read_dataframe(path, layer=_pick_layer(path, layer, kind), read_geometry=False, encoding=encoding)
        except InputError:
            raise
        except Exception as exc:
            raise _read_error(path, exc) from None
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
            raise InputError("text_encoding_unknown", path=str(path))
    try:
        return pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError("cannot_read", path=str(path), detail=_gdal_message(exc)) from None
