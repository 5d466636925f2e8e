"""QGIS styles in the GeoPackage's layer_styles table (landtool.styles)."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import pandas as pd
import pyogrio
import pytest
from conftest import frame, rect

import landtool
from landtool.errors import InputError
from landtool.labels import STATUS_COLORS
from landtool.gpkg import write_geopackage
from landtool.result import STATUSES
from landtool.styles import layer_status_columns, status_qml, write_layer_styles

CLEAN = {"in_production": True, "from_split": False, "from_merge": False, "from_fringe": False, "industrial_real_estate": False, "standard_land": False}


@pytest.fixture(scope="module")
def result():
    parcels = frame(
        [
            {"parcel_id": "P1", "land_use": "工业用地", "gfa_m2": 30000.0, "geometry": rect(0, 0, 200, 100), **CLEAN},
            {"parcel_id": "P2", "land_use": "工业用地", "gfa_m2": 5000.0, "geometry": rect(300, 0, 400, 100), **CLEAN},
            {"parcel_id": "P3", "land_use": "工业用地", "geometry": rect(500, 0, 600, 100), **CLEAN},
        ]
    )
    split = frame(
        [
            {"parcel_id": "P1", "piece_id": "A", "transferee_grade": "B", "geometry": rect(0, 0, 150, 100)},
            {"parcel_id": "P1", "piece_id": "B", "transferee_grade": "B", "geometry": rect(150, 0, 200, 100)},
        ]
    )
    merge = pd.DataFrame({"group_id": ["G1", "G1"], "parcel_id": ["P2", "P3"]})
    return landtool.check(parcels, split_plan=split, merge_plan=merge, policy="tiantai", as_of="2023-06-01")


@pytest.fixture
def gpkg(result, tmp_path):
    path = write_geopackage(result, tmp_path / "out.gpkg")
    write_layer_styles(path, layer_status_columns(result))
    return path


def styles(path) -> pd.DataFrame:
    with sqlite3.connect(path) as con:
        return pd.read_sql("SELECT * FROM layer_styles", con)


def hex_of(rgba: str) -> str:
    r, g, b, _a = (int(v) for v in rgba.split(","))
    return f"#{r:02x}{g:02x}{b:02x}"


def categories(qml: str) -> dict[str, tuple[str, str, str]]:
    """status → (label, fill colour, outline colour) of a categorized QML style."""
    root = ET.fromstring(qml)
    renderer = root.find("renderer-v2")
    symbols = {s.get("name"): s for s in renderer.find("symbols")}
    out = {}
    for cat in renderer.find("categories"):
        symbol = symbols[cat.get("symbol")]
        assert symbol.get("type") == "fill"
        layer = symbol.find("layer")
        assert layer.get("class") == "SimpleFill"
        opts = {o.get("name"): o.get("value") for o in layer.find("Option")}
        props = {p.get("k"): p.get("v") for p in layer.findall("prop")}
        assert opts == props  # new and old QGIS read the same
        out[cat.get("value")] = (cat.get("label"), hex_of(opts["color"]), hex_of(opts["outline_color"]))
    return out


def test_layers_still_readable(result, gpkg):
    names = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"parcels", "split_pieces", "merge_groups", "issues", "verdicts", "run", "layer_styles"} <= names
    assert len(pyogrio.read_dataframe(gpkg, layer="parcels")) == 3
    # GDAL reads the style table as an attributes table
    table = pyogrio.read_dataframe(gpkg, layer="layer_styles")
    assert "styleQML" in table.columns and len(table) == len(styles(gpkg))
    with sqlite3.connect(gpkg) as con:
        assert con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchall() == [("attributes",)]


def test_default_parcel_style(result, gpkg):
    table = styles(gpkg)
    assert list(table.columns) == [
        "id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
        "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
    ]  # fmt: skip
    default = table[(table["f_table_name"] == "parcels") & (table["useAsDefault"] == 1)]
    assert len(default) == 1
    row = default.iloc[0]
    assert row["styleName"] == "landtool 结论"
    with sqlite3.connect(gpkg) as con:
        geom = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = 'parcels'").fetchone()[0]
    assert row["f_geometry_column"] == geom
    root = ET.fromstring(row["styleQML"])
    assert root.tag == "qgis"
    renderer = root.find("renderer-v2")
    assert (renderer.get("type"), renderer.get("attr")) == ("categorizedSymbol", "status")
    cats = categories(row["styleQML"])
    assert list(cats) == list(STATUSES)
    assert {s: fill for s, (_, fill, _) in cats.items()} == STATUS_COLORS
    assert {s: line for s, (_, _, line) in cats.items()} == STATUS_COLORS
    assert {s: label for s, (label, _, _) in cats.items()} == {"pass": "通过", "fail": "不通过", "not_applicable": "不适用", "insufficient_data": "数据不足"}
    assert root.find("labeling/settings/text-style").get("fieldName") == "parcel_id"
    assert root.get("labelsEnabled") == "1"


def test_alternative_styles_per_family(result, gpkg):
    table = styles(gpkg)
    families = [c for c in result.parcels.columns if c.startswith("status_")]
    assert "status_indicator" in families
    alts = table[(table["f_table_name"] == "parcels") & (table["useAsDefault"] == 0)]
    attrs = [ET.fromstring(q).find("renderer-v2").get("attr") for q in alts["styleQML"]]
    assert sorted(attrs) == sorted(families)
    indicator = alts[alts["description"] == "status_indicator"].iloc[0]
    assert indicator["styleName"] == "landtool 结论：技术经济指标"
    assert categories(indicator["styleQML"])["fail"][1] == STATUS_COLORS["fail"]
    # proposal layers: default style labelled with their own id
    for layer, field in (("split_pieces", "piece_id"), ("merge_groups", "group_id")):
        rows = table[(table["f_table_name"] == layer) & (table["useAsDefault"] == 1)]
        assert len(rows) == 1
        assert ET.fromstring(rows.iloc[0]["styleQML"]).find("labeling/settings/text-style").get("fieldName") == field
    pieces = table[(table["f_table_name"] == "split_pieces") & (table["useAsDefault"] == 0)]
    assert set(pieces["description"]) == {"status_min_piece_area", "status_plan"}
    # issues has no status: no style
    assert "issues" not in set(table["f_table_name"])


def test_rewriting_replaces_and_english(result, gpkg):
    before = len(styles(gpkg))
    written = write_layer_styles(gpkg, layer_status_columns(result), lang="en")
    table = styles(gpkg)
    assert len(table) == before == len(written)
    with sqlite3.connect(gpkg) as con:
        assert con.execute("SELECT count(*) FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchone()[0] == 1
    row = table[(table["f_table_name"] == "parcels") & (table["useAsDefault"] == 1)].iloc[0]
    assert row["styleName"] == "landtool status"
    assert {s: label for s, (label, _, _) in categories(row["styleQML"]).items()} == {
        "pass": "pass", "fail": "fail", "not_applicable": "not applicable", "insufficient_data": "insufficient data",
    }  # fmt: skip
    assert ("parcels", "landtool status: Technical-economic indicators") in written


def test_unknown_layers_skipped_and_errors(result, gpkg, tmp_path):
    assert write_layer_styles(gpkg, {"no_such_layer": ["status_x"]}) == []
    with pytest.raises(InputError, match="file not found"):
        write_layer_styles(tmp_path / "missing.gpkg", {"parcels": []})
    with pytest.raises(InputError, match="--lang"):
        write_layer_styles(gpkg, {"parcels": []}, lang="fr")
    with pytest.raises(InputError, match="--lang"):
        status_qml(lang="de")
