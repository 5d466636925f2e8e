"""Reading what bureaus have: aliases, user field maps, GBK shapefiles, typed values."""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest

import landtool
from landtool.errors import InputError
from landtool.io import detect_dbf_encoding, parse_bool, read_layer, read_table
from tests.conftest import frame, square

OWNER = "天台县赤城机械有限公司"


def chinese_parcels():
    return frame(
        [
            {"宗地代码": "331023001001JA00001", "权利人": OWNER, "土地用途": "工业用地", "规上企业": "是", "终止日期": "2052年6月30日", "geometry": square(10_000)},
            {"宗地代码": "331023001001JA00002", "权利人": "天台县橡胶制品有限公司", "土地用途": "0601", "规上企业": "否", "终止日期": "2049/12/31", "geometry": square(5_000, x=200)},
        ]
    )


def test_gbk_shapefile_without_cpg_is_decoded(tmp_path):
    path = tmp_path / "宗地.shp"
    pyogrio.write_dataframe(chinese_parcels(), path, encoding="GBK")
    cpg = path.with_suffix(".cpg")
    if cpg.exists():
        cpg.unlink()
    assert detect_dbf_encoding(path.with_suffix(".dbf")) == "GB18030"
    parcels = read_layer(path, "parcels")
    assert parcels["owner"].iloc[0] == OWNER
    assert parcels["parcel_id"].tolist() == ["331023001001JA00001", "331023001001JA00002"]
    assert parcels["above_scale"].tolist() == [True, False]
    assert parcels["term_end"].iloc[0] == pd.Timestamp("2052-06-30")


def abbreviated_parcels():
    """Cadastral abbreviations as field names (DBF names hold 10 bytes: 3 Chinese characters in UTF-8)."""
    return frame([{"ZDDM": "A", "QLR": OWNER, "geometry": square(10_000)}])


def test_encoding_flag_overrides_detection(tmp_path):
    path = tmp_path / "parcels.shp"
    pyogrio.write_dataframe(abbreviated_parcels(), path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert read_layer(path, "parcels", encoding="GBK")["owner"].iloc[0] == OWNER
    assert read_layer(path, "parcels", encoding="latin1")["owner"].iloc[0] != OWNER


def test_utf8_shapefile_is_read_as_utf8(tmp_path):
    path = tmp_path / "parcels.shp"
    pyogrio.write_dataframe(abbreviated_parcels(), path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert detect_dbf_encoding(path.with_suffix(".dbf")) == "UTF-8"
    assert read_layer(path, "parcels")["owner"].iloc[0] == OWNER


def test_aliases_are_case_insensitive_and_abbreviations_work(tmp_path):
    gdf = frame([{"zddm": "A", "QLR": "甲", "TdYt": "工业用地", "geometry": square(100)}])
    path = tmp_path / "p.gpkg"
    gdf.to_file(path)
    parcels = read_layer(path, "parcels")
    assert parcels[["parcel_id", "owner", "land_use"]].iloc[0].tolist() == ["A", "甲", "工业用地"]


def test_user_field_map(tmp_path):
    gdf = frame([{"DKBH": "A", "QYMC": "甲", "geometry": square(100)}])
    path = tmp_path / "p.gpkg"
    gdf.to_file(path)
    mapping = tmp_path / "fields.yaml"
    mapping.write_text("parcels:\n  parcel_id: DKBH\n  owner: [QYMC]\n", encoding="utf-8")
    result = landtool.check(str(path), fields=str(mapping), policy="tiantai", as_of="2023-01-01")
    assert result.parcels[["parcel_id", "owner"]].iloc[0].tolist() == ["A", "甲"]


def test_missing_required_field_names_field_and_layer(tmp_path):
    path = tmp_path / "p.gpkg"
    frame([{"name": "A", "geometry": square(100)}]).to_file(path)
    with pytest.raises(InputError, match=r"p\.gpkg.*parcel_id.*宗地代码"):
        read_layer(path, "parcels")


def test_unparseable_numbers_name_the_features(tmp_path):
    path = tmp_path / "p.gpkg"
    frame([{"宗地代码": "A", "总建筑面积": "abc", "geometry": square(100)}, {"宗地代码": "B", "总建筑面积": "1,200", "geometry": square(100, x=50)}]).to_file(path)
    with pytest.raises(InputError, match=r"总建筑面积 \(gfa_m2\) is not a number: feature 1 'abc'"):
        read_layer(path, "parcels")


def test_duplicate_parcel_ids_are_listed():
    gdf = frame([{"parcel_id": "A", "geometry": square(100)}, {"parcel_id": "A", "geometry": square(100, x=50)}])
    with pytest.raises(InputError, match="duplicate parcel_id: A"):
        landtool.check(gdf, as_of="2023-01-01")


@pytest.mark.parametrize(("text", "value"), [("是", True), ("否", False), ("Y", True), ("n", False), ("1", True), ("0", False), ("TRUE", True), ("false", False), ("", None), ("也许", None)])
def test_parse_bool(text, value):
    assert parse_bool(text) is value


def test_merge_plan_csv_in_gb18030(tmp_path):
    path = tmp_path / "merge.csv"
    path.write_bytes("合并组,宗地代码\nG1,甲-1\nG1,甲-2\n".encode("gb18030"))
    table = read_table(path, "merge_plan")
    assert table[["group_id", "parcel_id"]].values.tolist() == [["G1", "甲-1"], ["G1", "甲-2"]]


def test_geoparquet(tmp_path):
    path = tmp_path / "p.parquet"
    chinese_parcels().to_parquet(path)
    assert read_layer(path, "parcels")["owner"].iloc[0] == OWNER


def test_layer_without_crs_needs_crs_flag(tmp_path):
    gdf = abbreviated_parcels()
    shp = tmp_path / "nocrs.shp"
    pyogrio.write_dataframe(gdf, shp, encoding="UTF-8")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match="no CRS.*--crs"):
        read_layer(shp, "parcels")
    assert read_layer(shp, "parcels", crs="EPSG:4549").crs.to_epsg() == 4549
