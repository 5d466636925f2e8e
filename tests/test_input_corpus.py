"""A corpus of broken and lying inputs, built in code: each ends in a clear one-line error
naming the culprit (in English and in Chinese, never a traceback) or in a successful read
whose finding is recorded — never in a verdict on bad evidence.

Every case writes its input files into ``tmp_path`` and reads them through the readers
(:func:`landtool.io.read_layer`, :func:`~landtool.io.read_table`,
:func:`~landtool.io.load_field_map`, :func:`landtool.policy.load_pack`).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from landtool.errors import InputError
from landtool.io import load_field_map, read_layer, read_table
from landtool.policy import load_pack
from landtool.values import implausible_values
from tests.conftest import X0, Y0

CJK = re.compile(r"[\u3400-\u9fff]")
#: 天台 (121.03°E, 29.14°N) in degrees, a 10 m × 10 m box there.
LON, LAT = 121.03, 29.14


@dataclass(frozen=True)
class Case:
    """One input: ``run(tmp_path)`` reads it. Either an error (``code``, optional
    ``problem`` of a listing error, ``culprit`` named in both languages) or a success
    (``check`` asserts on the result)."""

    id: str
    run: Callable[[Path], Any]
    code: str | None = None
    culprit: str | None = None
    problem: str | None = None
    check: Callable[[Any], None] | None = None


def _box(x: float, y: float, side: float = 100.0) -> shapely.Polygon:
    return shapely.box(x, y, x + side, y + side)


def _layer(tmp_path: Path, geoms, crs, name: str = "parcels.shp", **columns) -> Path:
    """Write parcels with the given geometries and declared CRS (a .prj for shapefiles)."""
    n = len(geoms)
    data = {"parcel_id": [f"P{i + 1}" for i in range(n)], **{k: (v if isinstance(v, list) else [v] * n) for k, v in columns.items()}}
    path = tmp_path / name
    pyogrio.write_dataframe(gpd.GeoDataFrame(data, geometry=list(geoms), crs=crs), path)
    return path


def _read(tmp_path: Path, geoms, crs, name: str = "parcels.shp", *, kind: str = "parcels", read_crs=None, fields=None, **columns):
    return read_layer(_layer(tmp_path, geoms, crs, name, **columns), kind, crs=read_crs, fields=fields)


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _pack(issued: str = "2024-01-01", rules: str = "  fringe.area_cap:\n    clause: 测试〔2024〕1号 二\n") -> str:
    return f"id: mine\ndocument: 测试〔2024〕1号\nissued: {issued}\nvalid_until: 2025-12-31\nrules:\n{rules}"


def _zip_shapefile(tmp_path: Path) -> Path:
    """A GBK shapefile (no .cpg) zipped under ``data/``."""
    source = tmp_path / "src"
    source.mkdir()
    shp = source / "宗地.shp"
    frame = gpd.GeoDataFrame({"parcel_id": ["A"], "owner": ["天台县赤城机械有限公司"]}, geometry=[_box(X0, Y0)], crs=4549)
    pyogrio.write_dataframe(frame, shp, encoding="GBK")
    archive = tmp_path / "cadastre.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in source.iterdir():
            if part.suffix != ".cpg":
                z.write(part, f"data/{part.name}")
    return archive


def _truncated_geojson(tmp_path: Path) -> Path:
    full = tmp_path / "full.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"parcel_id": ["A", "B"]}, geometry=[_box(LON, LAT, 0.001)] * 2, crs=4326), full)
    text = full.read_text(encoding="utf-8")
    return _write(tmp_path, "cut.geojson", text[: len(text) // 2])


def _truncated_shapefile(tmp_path: Path) -> Path:
    path = _layer(tmp_path, [_box(X0, Y0), _box(X0 + 200, Y0)], 4549)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 40])
    return path


def _gfa(values: list[str]) -> Callable[[Path], Any]:
    return lambda t: _read(t, [_box(X0 + 200 * i, Y0) for i in range(len(values))], 4549, "p.gpkg", 总建筑面积=values)


def _finding(field: str, value: float) -> Callable[[Any], None]:
    def check(frame) -> None:
        fixed, found = implausible_values(frame, "parcels")
        assert found[["field", "value", "problem"]].values.tolist() == [[field, value, "implausible_value"]]
        assert np.isnan(fixed.loc[found["row"].iloc[0], field])

    return check


CASES = [
    # --- CRS that lie (a .prj saying one thing, coordinates another)
    Case("lonlat-in-projected-crs", lambda t: _read(t, [_box(LON, LAT, 0.0001)], 4549), "coordinates_look_geographic", "--crs EPSG:4490"),
    Case("lonlat-in-web-mercator", lambda t: _read(t, [_box(LON, LAT, 0.0001)], 3857, "p.gpkg"), "coordinates_look_geographic", "EPSG:3857"),
    Case("gk-prefix-declared-without", lambda t: _read(t, [_box(40_000_000 + X0, Y0)], 4549), "coordinates_look_gk", "--crs EPSG:4528"),
    Case("gk-no-prefix-declared-with", lambda t: _read(t, [_box(X0, Y0)], 4528), "coordinates_look_gk", "--crs EPSG:4549"),
    Case("6-degree-read-as-3-degree", lambda t: _read(t, [_box(20_000_000 + X0 + 250_000, Y0)], 4528), "coordinates_look_gk", "--crs EPSG:4498"),
    Case("3-degree-read-as-6-degree", lambda t: _read(t, [_box(40_000_000 + X0, Y0)], 4498), "coordinates_look_gk", "--crs EPSG:4528"),
    Case("6-degree-cm117-read-as-3-degree-cm117", lambda t: _read(t, [_box(770_000, 3_300_000)], 4548), "coordinates_look_gk", "--crs EPSG:4509"),
    Case("x-y-swapped", lambda t: _read(t, [_box(Y0, X0)], 4549), "coordinates_swapped", "EPSG:4549"),
    Case("metres-in-geographic-crs", lambda t: _read(t, [_box(X0, Y0)], 4490, "p.gpkg"), "coordinates_look_projected", "EPSG:4490"),
    Case("coordinates-1e15", lambda t: _read(t, [_box(1e15, 1e15)], 4549, "p.gpkg"), "coordinates_absurd", "1e+15"),
    Case("coordinates-inf", lambda t: _read(t, [shapely.Polygon([(X0, Y0), (np.inf, Y0), (X0, Y0 + 9)])], 4549, "p.gpkg"), "coordinates_not_finite", "feature 1"),
    Case("one-feature-elsewhere", lambda t: _read(t, [_box(X0, Y0), _box(40_000_000 + X0, Y0)], 4549), "coordinates_outside_crs", "feature 2"),
    Case("crs-flag-foo", lambda t: _read(t, [_box(X0, Y0)], 4549, read_crs="foo"), "crs_unknown", "foo"),
    Case(
        "crs-flag-corrects-a-lying-prj",
        lambda t: _read(t, [_box(LON, LAT, 0.0001)], 4549, read_crs="EPSG:4490"),
        check=lambda f: (f.crs.to_epsg() == 4490 and f.attrs["warnings"][0].code == "crs_overridden") or pytest.fail(str(f.attrs)),
    ),
    Case("new-york-in-wgs84-is-fine", lambda t: _read(t, [_box(-74.25, 40.5, 0.001)], 4326, "nyc.geojson"), check=lambda f: len(f) == 1 or pytest.fail()),
    # --- values read wrongly
    Case("decimal-comma-1,2", _gfa(["1,2"]), "layer_invalid", "feature 1: '1,2'", "value_bad_separator"),
    Case("comma-12,34", _gfa(["1,200", "12,34"]), "layer_invalid", "feature 2: '12,34'", "value_bad_separator"),
    Case("comma-1,2345", _gfa(["1,2345"]), "layer_invalid", "总建筑面积", "value_bad_separator"),
    Case("thousands-1,234,567", _gfa(["1,234,567", "12,345.6"]), check=lambda f: f["gfa_m2"].tolist() == [1234567.0, 12345.6] or pytest.fail()),
    Case("negative-floor-area", _gfa(["-5"]), check=_finding("gfa_m2", -5.0)),
    Case(
        "density-1.5",
        lambda t: _read(t, [_box(X0, Y0)], 4549, "p.gpkg", 规划建筑密度上限="150%"),
        check=_finding("plan_density_max", 1.5),
    ),
    Case("impossible-date", lambda t: _read(t, [_box(X0, Y0)], 4549, "p.gpkg", 终止日期="2052-02-30"), "layer_invalid", "'2052-02-30'", "value_not_date"),
    Case("not-yes-or-no", lambda t: _read(t, [_box(X0, Y0)], 4549, "p.gpkg", 规上企业="也许"), "layer_invalid", "'也许'", "value_not_bool"),
    Case("no-building-id", lambda t: _read(t, [_box(X0, Y0)], 4549, "p.gpkg", kind="buildings"), "layer_invalid", "building_id", "required_field_missing"),
    Case(
        "csv-table-12,34",
        lambda t: read_table(_write(t, "parcels.csv", "宗地代码,总建筑面积\nA,\"1,200\"\nB,\"12,34\"\n", "gb18030"), "parcels"),
        "layer_invalid", "feature 2: '12,34'", "value_bad_separator",
    ),
    # --- field mappings
    Case(
        "mapped-column-missing",
        lambda t: _read(t, [_box(X0, Y0)], 4549, "p.gpkg", fields=load_field_map(_write(t, "f.yaml", "parcels:\n  gfa_m2: BldgArea\n"))),
        "layer_invalid", "BldgArea", "mapped_column_missing",
    ),
    Case(
        "ft2-unit-converted",
        lambda t: _read(t, [_box(X0, Y0)], 4549, "p.gpkg", BldgArea=[1000.0], fields=load_field_map(_write(t, "f.yaml", "gfa_m2: {column: BldgArea, unit: ft2}\n"))),
        check=lambda f: f.loc[0, "gfa_m2"] == pytest.approx(92.90304) or pytest.fail(),  # 1000 ft² × 0.09290304
    ),
    Case("unit-on-a-text-field", lambda t: load_field_map(_write(t, "f.yaml", "owner: {column: QYMC, unit: m2}\n")), "fields_invalid", "owner", "fields_unit_not_measure"),
    Case(
        "gbk-fields-yaml",
        lambda t: _read(t, [_box(X0, Y0)], 4549, "p.gpkg", 单位名称="赤城机械", fields=load_field_map(_write(t, "f.yaml", "owner: 单位名称\n", "gbk"))),
        check=lambda f: f.loc[0, "owner"] == "赤城机械" or pytest.fail(),
    ),
    # --- policy packs
    Case("gbk-pack-yaml", lambda t: load_pack(_write(t, "pack.yaml", _pack(), "gbk")), check=lambda p: p.document == "测试〔2024〕1号" or pytest.fail()),
    Case("impossible-pack-date", lambda t: load_pack(_write(t, "pack.yaml", _pack("2023-02-30"))), "pack_invalid", "2023-02-30", "pack_bad_date"),
    Case(
        "pack-params-not-a-mapping",
        lambda t: load_pack(_write(t, "pack.yaml", _pack(rules="  fringe.area_cap:\n    clause: c\n    params: [5]\n"))),
        "pack_invalid", "rules.fringe.area_cap.params", "pack_wrong_type",
    ),
    # --- paths and files
    Case("vsizip-shapefile", lambda t: read_layer(f"/vsizip/{_zip_shapefile(t)}/data/宗地.shp", "parcels"), check=lambda f: f.loc[0, "owner"] == "天台县赤城机械有限公司" or pytest.fail()),
    Case("missing-zip-member", lambda t: read_layer(f"/vsizip/{_zip_shapefile(t)}/data/楼栋.shp", "buildings"), "member_not_found", "楼栋.shp"),
    Case("missing-zip", lambda t: read_layer(f"/vsizip/{t}/none.zip/a.shp", "parcels"), "file_not_found", "none.zip"),
    Case("encoding-foo", lambda t: read_layer(_layer(t, [_box(X0, Y0)], 4549), "parcels", encoding="foo"), "encoding_unknown", "foo"),
    Case("truncated-geojson", lambda t: read_layer(_truncated_geojson(t), "parcels"), "cannot_read", "cut.geojson"),
    Case("truncated-shapefile", lambda t: read_layer(_truncated_shapefile(t), "parcels"), "file_truncated", "parcels.shp"),
    Case("empty-file", lambda t: read_layer(_write(t, "empty.geojson", ""), "parcels"), "file_empty", "empty.geojson"),
    Case("not-a-geopackage", lambda t: read_layer(_write(t, "junk.gpkg", "x" * 2000), "parcels"), "format_unknown", "junk.gpkg"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_input_corpus(tmp_path, case):
    if case.code is None:
        case.check(case.run(tmp_path))
        return
    with pytest.raises(InputError) as info:
        case.run(tmp_path)
    err = info.value
    assert err.code == case.code, str(err)
    if case.problem is not None:
        assert case.problem in err.problem_codes, err.problem_codes
    en, zh = str(err), err.render("zh")
    for text in (en, zh):
        assert "\n" not in text and "Traceback" not in text
    assert case.culprit in en, en
    assert case.culprit.replace("feature ", "要素 ") in zh, zh
    assert CJK.search(zh), zh


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 25
    assert sum(c.code is not None for c in CASES) >= 20
