"""QGIS layer styles inside the output GeoPackage.

QGIS looks for a ``layer_styles`` table when it opens a GeoPackage layer and applies the
row marked ``useAsDefault`` for that table; the others are offered under *Layer
Properties → Style*. :func:`write_layer_styles` writes, per layer,

* a default style ``landtool 结论`` / ``landtool status``: a categorized renderer on
  ``status`` with the four statuses in the colours of the HTML map
  (:data:`landtool.map.STATUS_COLORS`, fill at the map's 35 % opacity, outline in the
  same colour) and their labels in ``lang``, plus labels of the layer's id field
  (``parcel_id``, ``piece_id``, ``group_id``, ``fringe_id``) when zoomed in beyond
  1:10 000;
* one alternative style per ``status_<family>`` column (same renderer on that column),
  ``useAsDefault`` 0.

The table has QGIS's own schema (the one QGIS creates when it saves a style to a
GeoPackage) and is registered in ``gpkg_contents`` as an ``attributes`` table, so GDAL
and QGIS both accept the file. Writing again replaces landtool's earlier styles of the
same layers (rows with owner ``landtool``) and leaves other styles in place, no longer
default. Everything happens in one SQLite transaction.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from xml.etree import ElementTree as ET

from landtool.errors import InputError
from landtool.labels import FAMILY_LABELS, RULE_NAMES, STATUS_COLORS, STATUS_LABELS
from landtool.messages import LANGS, catalogue
from landtool.result import STATUSES

__all__ = ["ID_FIELDS", "layer_status_columns", "status_qml", "write_layer_styles"]

#: The label field of each layer (the feature's id).
ID_FIELDS = {
    "parcels": "parcel_id",
    "split_pieces": "piece_id",
    "merge_groups": "group_id",
    "fringe": "fringe_id",
    "fringe_candidates": "fringe_id",
}

_STYLE_NAMES = {lang: (catalogue(lang).text("ui.style_default"), catalogue(lang).get("ui.style_alternative")) for lang in LANGS}
_OWNER = "landtool"
#: The prefix of the rule ids of each proposal layer's own status columns.
_LAYER_FAMILY = {"split_pieces": "split", "merge_groups": "merge", "fringe": "fringe"}

#: The map's fill and outline opacity (maps.py: fillOpacity 0.35, opacity 0.9).
_FILL_ALPHA, _LINE_ALPHA = round(0.35 * 255), round(0.9 * 255)

_CREATE = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""
_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"


def layer_status_columns(result) -> dict[str, list[str]]:
    """The argument of :func:`write_layer_styles` for a CheckResult: every written layer
    with a ``status`` column, mapped to its ``status_*`` columns."""
    from landtool.output import GPKG_LAYERS

    layers = {"parcels": result.parcels, **result.layers}
    out = {}
    for name in GPKG_LAYERS:
        layer = layers.get(name)
        if layer is not None and "status" in layer.columns:
            out[name] = [c for c in layer.columns if c.startswith("status_")]
    return out


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _rgba(hex_color: str, alpha: int) -> str:
    return ",".join(map(str, (*_rgb(hex_color), alpha)))


def _fill_symbol(name: str, fill: str, outline: str, *, outline_width: float = 0.26) -> ET.Element:
    """A QGIS fill symbol with one SimpleFill layer; properties both as the ``Option`` map
    of QGIS ≥ 3.26 and as the ``prop`` list that older QGIS 3 reads."""
    symbol = ET.Element(
        "symbol",
        {"type": "fill", "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0", "is_animated": "0", "frame_rate": "10"},
    )
    props = {
        "border_width_map_unit_scale": "3x:0,0,0,0,0,0",
        "color": fill,
        "joinstyle": "bevel",
        "offset": "0,0",
        "offset_map_unit_scale": "3x:0,0,0,0,0,0",
        "offset_unit": "MM",
        "outline_color": outline,
        "outline_style": "solid",
        "outline_width": f"{outline_width:g}",
        "outline_width_unit": "MM",
        "style": "solid",
    }
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", {"type": "Map"})
    for key, value in props.items():
        ET.SubElement(options, "Option", {"type": "QString", "name": key, "value": value})
    for key, value in props.items():
        ET.SubElement(layer, "prop", {"k": key, "v": value})
    return symbol


def _labeling(field: str) -> ET.Element:
    labeling = ET.Element("labeling", {"type": "simple"})
    settings = ET.SubElement(labeling, "settings", {"calloutType": "simple"})
    ET.SubElement(
        settings,
        "text-style",
        {
            "fieldName": field,
            "isExpression": "0",
            "fontFamily": "Sans Serif",
            "fontSize": "8",
            "fontSizeUnit": "Point",
            "fontWeight": "50",
            "fontItalic": "0",
            "textColor": "33,33,33,255",
            "textOpacity": "1",
            "multilineHeight": "1",
            "namedStyle": "Regular",
        },
    )
    ET.SubElement(settings, "text-buffer", {"bufferDraw": "1", "bufferSize": "0.8", "bufferSizeUnits": "MM", "bufferColor": "255,255,255,255", "bufferOpacity": "0.8", "bufferJoinStyle": "128"})
    # placement 1 = OverPoint: the label sits on the polygon's centroid, inside it.
    ET.SubElement(settings, "placement", {"placement": "1", "centroidInside": "1", "centroidWhole": "0", "fitInPolygonOnly": "0", "priority": "5", "dist": "0"})
    # Labels only when zoomed in beyond 1:10 000 (scaleMin/scaleMax as QGIS writes them).
    ET.SubElement(
        settings,
        "rendering",
        {"scaleVisibility": "1", "scaleMin": "0", "scaleMax": "10000", "obstacle": "1", "displayAll": "0", "upsidedownLabels": "0", "labelPerPart": "0", "mergeLines": "0", "limitNumLabels": "0", "maxNumLabels": "2000", "fontLimitPixelSize": "0", "drawLabels": "1"},
    )
    return labeling


def status_qml(attr: str = "status", *, label_field: str | None = None, lang: str = "zh") -> str:
    """A QGIS style (QML document) colouring polygons by the status in ``attr``."""
    if lang not in STATUS_LABELS:
        raise InputError("bad_lang", value=str(lang), allowed=list(STATUS_LABELS))
    root = ET.Element("qgis", {"version": "3.28.0-Firenze", "styleCategories": "Symbology|Labeling", "labelsEnabled": "1" if label_field else "0"})
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        {"type": "categorizedSymbol", "attr": attr, "symbollevels": "0", "enableorderby": "0", "forceraster": "0", "referencescale": "-1"},
    )
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, status in enumerate(STATUSES):
        color = STATUS_COLORS[status]
        ET.SubElement(
            categories,
            "category",
            {"render": "true", "value": status, "symbol": str(i), "label": STATUS_LABELS[lang][status], "type": "string", "uuid": "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"landtool/{attr}/{status}")) + "}"},
        )
        symbols.append(_fill_symbol(str(i), _rgba(color, _FILL_ALPHA), _rgba(color, _LINE_ALPHA)))
    source = ET.SubElement(renderer, "source-symbol")
    source.append(_fill_symbol("0", "190,190,190,90", "96,125,139,230"))
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    if label_field:
        root.append(_labeling(label_field))
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerGeometryType").text = "2"
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def _column_label(layer: str, column: str, lang: str) -> str:
    """``status_indicator`` → 技术经济指标; ``status_min_piece_area`` on split pieces → 分割后最小面积."""
    suffix = column.removeprefix("status_")
    if suffix in FAMILY_LABELS[lang]:
        return FAMILY_LABELS[lang][suffix]
    family = _LAYER_FAMILY.get(layer)
    if family and f"{family}.{suffix}" in RULE_NAMES[lang]:
        return RULE_NAMES[lang][f"{family}.{suffix}"]
    if suffix == "plan":
        return catalogue(lang).label("subjects", "split_plan")
    return column


def write_layer_styles(gpkg_path: str | Path, layers: dict[str, list[str]], *, lang: str = "zh", durable: bool = True) -> list[tuple[str, str]]:
    """Store QGIS styles for ``layers`` (layer name → its ``status_*`` columns) in the
    GeoPackage's ``layer_styles`` table; return the (layer, style name) pairs written.

    A layer that is not in the GeoPackage, or has no ``status`` column, gets no style; a
    listed status column the layer lacks gets no alternative style. ``durable=False`` skips
    SQLite's flush to disk, for a temporary file that is moved into place once complete.
    """
    if lang not in STATUS_LABELS:
        raise InputError("bad_lang", value=str(lang), allowed=list(STATUS_LABELS))
    path = Path(gpkg_path)
    if not path.is_file():
        raise InputError("results_not_found", path=str(path))
    default_name, alt_name = _STYLE_NAMES[lang]
    written: list[tuple[str, str]] = []
    try:
        con = sqlite3.connect(path)
    except sqlite3.Error:
        raise InputError("not_a_geopackage", path=str(path)) from None
    if not durable:
        con.execute("PRAGMA synchronous=OFF")
    try:
        with con:  # one transaction: all styles or none
            try:
                geometry_columns = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
            except sqlite3.DatabaseError:
                raise InputError("not_a_geopackage", path=str(path)) from None
            con.execute(_CREATE)
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                f"SELECT 'layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', {_NOW} "
                "WHERE NOT EXISTS (SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles')"
            )
            for layer, status_columns in layers.items():
                geometry = geometry_columns.get(layer)
                if geometry is None:
                    continue
                columns = {row[1] for row in con.execute(f'PRAGMA table_info("{layer.replace(chr(34), chr(34) * 2)}")')}
                if "status" not in columns:
                    continue
                label = ID_FIELDS.get(layer)
                label = label if label in columns else None
                con.execute("DELETE FROM layer_styles WHERE f_table_name = ? AND owner = ?", (layer, _OWNER))
                con.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?", (layer,))
                styles = [(default_name, "status", 1, "status")]
                styles += [
                    (alt_name.format(what=_column_label(layer, c, lang)), c, 0, c)
                    for c in dict.fromkeys(status_columns)
                    if c != "status" and c in columns
                ]
                for name, attr, default, description in styles:
                    con.execute(
                        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, "
                        "styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                        f"VALUES ('', '', ?, ?, ?, ?, '', ?, ?, ?, NULL, {_NOW})",
                        (layer, geometry, name, status_qml(attr, label_field=label, lang=lang), default, description, _OWNER),
                    )
                    written.append((layer, name))
            con.execute(f"UPDATE gpkg_contents SET last_change = {_NOW} WHERE table_name = 'layer_styles'")
    except sqlite3.DatabaseError as exc:
        raise InputError("styles_not_written", path=str(path), detail=str(exc)) from None
    finally:
        con.close()
    return written
