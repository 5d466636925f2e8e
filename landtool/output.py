"""Writing results: the GeoPackage (``verdicts`` table + layers), JSON, summaries.

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
import pandas as pd
import pyogrio

from landtool import __version__
from landtool.errors import InputError
from landtool.issues import render_issues
from landtool.messages import Message
from landtool.policy import available_packs, load_pack
from landtool.result import TABLE_COLUMNS, CheckResult
from landtool.styles import layer_status_columns, write_layer_styles
from landtool.verdicts import jsonable

__all__ = [
    "atomic_path",
    "parse_run_table",
    "read_geopackage",
    "records_json",
    "refuse_overwriting_inputs",
    "run_table",
    "verdict_chunks",
    "write_compare_json",
    "write_geopackage",
    "write_issues_json",
    "write_json",
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
    """Columns GDAL can write: nullable booleans → 0/1, mixed objects → text."""
    out = frame.copy()
    for column in out.columns:
        dtype = str(out[column].dtype)
        if dtype == "boolean":
            out[column] = out[column].astype("Int8")
        elif dtype == "object" and column != getattr(out, "_geometry_column_name", None):
            out[column] = out[column].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    return out


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


def write_geopackage(result: CheckResult, path: str | Path, *, lang: str | None = None, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the ``verdicts`` table (sentences in ``lang``, default the run's), every
    eligibility layer and the ``run`` table to ``path`` (GeoPackage), atomically;
    ``tables`` adds non-spatial tables."""
    path = Path(path)
    lang = lang or result.lang
    if path.suffix.lower() != ".gpkg":
        raise InputError("out_not_gpkg", path=str(path))
    refuse_overwriting_inputs(result.run, path)
    layers = {"parcels": result.parcels, **result.layers, "issues": rendered_issues(result, lang)}
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(_writable(result.verdicts_in(lang)), tmp, layer="verdicts", driver="GPKG")
        for name, table in {"run": run_table(result), **(tables or {})}.items():
            pyogrio.write_dataframe(_writable(table), tmp, layer=name, driver="GPKG")
        for name in GPKG_LAYERS:
            layer = layers.get(name)
            if layer is not None:
                pyogrio.write_dataframe(_writable(layer), tmp, layer=name, driver="GPKG", promote_to_multi=True)
        # QGIS opens the eligibility layers with the map's colours and labels.
        write_layer_styles(tmp, layer_status_columns(result), lang=lang)
    return path


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
    missing = {"verdicts", "parcels", "run"} - names
    if missing:
        raise InputError("not_a_result", path=str(path), missing=sorted(missing))
    run = parse_run_table(pd.DataFrame(pyogrio.read_dataframe(path, layer="run")))
    source = run.get("pack_source", "") or ""
    pack_ref = source.removeprefix("pack:") if source.startswith("pack:") else source
    try:
        pack = load_pack(pack_ref)
    except InputError:
        pack = load_pack(run["pack"]) if run.get("pack") in available_packs() else None
    if pack is None:
        raise InputError("pack_gone", path=str(path), pack=str(pack_ref))
    layers = {name: pyogrio.read_dataframe(path, layer=name) for name in GPKG_LAYERS if name in names and name != "parcels"}
    verdicts = pd.DataFrame(pyogrio.read_dataframe(path, layer="verdicts"))
    if "reason" not in verdicts:
        raise InputError("result_too_old", path=str(path))
    table = verdicts[[c for c in TABLE_COLUMNS if c in verdicts]]
    warnings = run.pop("warnings")
    return CheckResult(
        table=table,
        parcels=pyogrio.read_dataframe(path, layer="parcels"),
        layers=layers,
        pack=pack,
        as_of=dt.date.fromisoformat(run["as_of"]),
        lang=run.get("lang", "zh"),
        warnings=warnings,
        run=run,
    )


#: Rows rendered and written at a time by the JSON writers (bounds their memory).
JSON_CHUNK_ROWS = 50_000


def _json_records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _dump(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, allow_nan=False, default=str)


def write_records(chunks, stream, *, lines: bool = False) -> None:
    """Write record chunks (DataFrames) as one JSON list, or as JSON Lines, streaming."""
    first = True
    if not lines:
        stream.write("[")
    for chunk in chunks:
        for record in _json_records(chunk):
            if lines:
                stream.write(_dump(record) + "\n")
            else:
                stream.write(("\n" if first else ",\n") + _dump(record))
                first = False
    if not lines:
        stream.write("\n]\n" if not first else "]\n")


def verdict_chunks(result: CheckResult, lang: str | None = None, *, rows: int = JSON_CHUNK_ROWS):
    """The verdicts with their sentences, rendered ``rows`` at a time (columns VERDICT_COLUMNS)."""
    from landtool.messages import render_verdicts
    from landtool.result import VERDICT_COLUMNS

    lang = lang or result.lang
    packs = {result.pack.id: result.pack} if result.pack is not None else {}
    table = result.table
    for start in range(0, len(table), rows):
        chunk = table.iloc[start : start + rows].copy()
        chunk["explanation"], chunk["interpretation"] = render_verdicts(chunk, lang, packs)
        yield chunk[[c for c in VERDICT_COLUMNS if c in chunk]]


def write_json(result: CheckResult, stream, *, lines: bool = False, lang: str | None = None) -> None:
    """The verdicts as JSON (a list of objects with the keys of the ``verdicts`` table) or JSON Lines."""
    write_records(verdict_chunks(result, lang), stream, lines=lines)


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
