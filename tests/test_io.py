"""Reading what bureaus have: aliases, user field maps, GBK shapefiles, typed values."""

from __future__ import annotations

import re
import warnings
import zipfile

import numpy as np
import pandas as pd
import pyogrio
import pytest

import landtool
from landtool.errors import InputError
from landtool.io import detect_dbf_encoding, load_field_map, parse_bool, read_layer, read_table
from landtool.messages import catalogue
from landtool.values import implausible_values, parse_column
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
    with pytest.raises(InputError) as err:
        read_layer(path, "parcels")
    assert (err.value.code, err.value.problem_codes) == ("layer_invalid", ["required_field_missing"])
    assert re.search(r"p\.gpkg.*parcel_id.*宗地代码", str(err.value))
    assert re.search(r"p\.gpkg::p（宗地图层）：缺少必填字段宗地代码（parcel_id）（如 宗地代码、宗地号、宗地编号）", err.value.render("zh"))


def test_unparseable_numbers_name_the_features(tmp_path):
    path = tmp_path / "p.gpkg"
    rows = [("A", "abc"), ("B", "1,200"), ("C", "1,2"), ("D", "12,345.6")]
    frame([{"宗地代码": pid, "总建筑面积": v, "geometry": square(100, x=50 * i)} for i, (pid, v) in enumerate(rows)]).to_file(path)
    with pytest.raises(InputError) as err:
        read_layer(path, "parcels")
    assert err.value.code == "layer_invalid"
    assert err.value.problem_codes == ["value_bad_separator", "value_not_number"]
    message = str(err.value)
    assert "field 总建筑面积 (gfa_m2) is not a number in 1 feature(s), e.g. feature 1: 'abc'" in message
    assert "thousands separator" in message and "feature 3: '1,2'" in message
    assert "字段 总建筑面积（gfa_m2）有 1 个要素的值不是数字，如要素 1: 'abc'" in err.value.render("zh")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,200", 1200.0), ("12,345.6", 12345.6), ("1,234,567", 1234567.0), ("-1,200", -1200.0), ("１，２００", 1200.0),
     ("60%", 0.6), ("６０％", 0.6), (" 7.5 ", 7.5), ("", None)],
)
def test_numbers_and_thousands_separators(text, value):
    values, bad = parse_column(pd.Series([text], dtype=object), "number")
    assert not any(mask.any() for mask in bad.values())
    assert (values.iloc[0] == pytest.approx(value)) if value is not None else pd.isna(values.iloc[0])


@pytest.mark.parametrize(
    ("text", "code"),
    [("1,2", "value_bad_separator"), ("12,34", "value_bad_separator"), ("1,2345", "value_bad_separator"), ("1,200,00", "value_bad_separator"),
     (",500", "value_bad_separator"), ("1.2万", "value_not_number"), ("inf", "value_not_number"), ("nan%", "value_not_number")],
)
def test_numbers_that_are_not_read(text, code):
    values, bad = parse_column(pd.Series([text], dtype=object), "number")
    assert pd.isna(values.iloc[0])
    assert [c for c, mask in bad.items() if mask.any()] == [code]


def test_duplicate_parcel_ids_are_listed():
    gdf = frame([{"parcel_id": "A", "geometry": square(100)}, {"parcel_id": "A", "geometry": square(100, x=50)}])
    with pytest.raises(InputError) as err:
        landtool.check(gdf, as_of="2023-01-01")
    assert err.value.code == "ids_duplicate" and "A" in str(err.value)


def test_parcels_without_any_usable_polygon_are_an_error_not_an_empty_run(tmp_path):
    path = tmp_path / "宗地.gpkg"
    frame([{"parcel_id": "A", "geometry": square(100)}, {"parcel_id": "B", "geometry": square(100, x=500)}]).assign(geometry=None).to_file(path)
    with pytest.raises(InputError) as err:
        landtool.check(str(path), as_of="2023-01-01")
    assert err.value.code == "no_usable_parcels" and err.value.params["count"] == 2
    assert str(path) in err.value.render("en")
    one_left = frame([{"parcel_id": "A", "geometry": square(100)}, {"parcel_id": "B", "geometry": None}])
    result = landtool.check(one_left, as_of="2023-01-01")
    assert result.parcels["parcel_id"].tolist() == ["A"]
    assert result.layers["issues"].query("problem == 'empty_geometry'")["feature_id"].tolist() == ["B"]


def test_duplicate_building_ids_name_the_file(tmp_path):
    buildings = tmp_path / "房屋.gpkg"
    frame([{"building_id": "b1", "geometry": square(100)}, {"building_id": "b1", "geometry": square(100, x=50)}]).to_file(buildings, layer="房屋")
    parcels = frame([{"parcel_id": "A", "geometry": square(10_000)}])
    with pytest.raises(InputError) as err:
        landtool.check(parcels, buildings=str(buildings), as_of="2023-01-01")
    assert err.value.code == "ids_duplicate"
    assert str(err.value).startswith(f"{buildings}::房屋: ") and "b1" in str(err.value)


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
    with pytest.raises(InputError) as err:
        read_layer(shp, "parcels")
    assert err.value.code == "no_crs" and "nocrs.shp" in str(err.value) and "--crs" in err.value.render("zh")
    assert read_layer(shp, "parcels", crs="EPSG:4549").crs.to_epsg() == 4549


# --------------------------------------------------------------------------- field mappings


def _gpkg(tmp_path, rows, name="p.gpkg"):
    path = tmp_path / name
    frame(rows).to_file(path)
    return path


def _mapping(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "fields.yaml"
    path.write_bytes(text.encode(encoding))
    return load_field_map(path)


def test_mapping_units_are_converted(tmp_path):
    path = _gpkg(tmp_path, [{"BBL": "5080500076", "LotArea": 3828.0, "BldgArea": "1,472", "Ht": 30.0, "geometry": square(356)}])
    fields = _mapping(tmp_path, "parcels:\n  parcel_id: BBL\n  registered_area_m2: {column: LotArea, unit: ft2}\n"
                                "  gfa_m2: {column: BldgArea, unit: sqft}\n  height_m: {column: Ht, unit: ft}\n")
    parcels = read_layer(path, "parcels", fields=fields)
    # 3828 ft² × 0.09290304 m²/ft² = 355.632837 m²; 1472 ft² = 136.753275 m²; 30 ft × 0.3048 = 9.144 m
    assert parcels.loc[0, "registered_area_m2"] == pytest.approx(355.63283712)
    assert parcels.loc[0, "gfa_m2"] == pytest.approx(136.75327488)
    assert parcels.loc[0, "height_m"] == pytest.approx(9.144)


@pytest.mark.parametrize(("unit", "m2"), [("m2", 1.0), ("mu", 10000 / 15), ("亩", 10000 / 15), ("ha", 10000.0), ("ft2", 0.09290304)])
def test_area_units(tmp_path, unit, m2):
    path = _gpkg(tmp_path, [{"parcel_id": "A", "ZDMJ_X": 3.0, "geometry": square(100)}])
    fields = _mapping(tmp_path, f"registered_area_m2: {{column: ZDMJ_X, unit: {unit}}}\n")
    assert read_layer(path, "parcels", fields=fields).loc[0, "registered_area_m2"] == pytest.approx(3 * m2)


@pytest.mark.parametrize(
    ("text", "codes", "named"),
    [
        ("owner: {column: QYMC, unit: ft2}\n", ["fields_unit_not_measure"], "owner"),
        ("height_m: {column: H, unit: ft2}\n", ["fields_unknown_unit"], "ft2"),
        ("gfa_m2: {column: A, unit: acre}\n", ["fields_unknown_unit"], "acre"),
        ("parcels:\n  gfa_m2: {col: A}\n", ["fields_bad_entry"], "gfa_m2"),
        ("parcel: {parcel_id: DKBH}\n", ["fields_unknown_layer"], "parcel"),
        ("gfa: JZMJ\nowner: {column: Q, unit: m}\n", ["fields_unknown_field", "fields_unit_not_measure"], "gfa"),
    ],
)
def test_bad_mappings_list_every_problem(tmp_path, text, codes, named):
    with pytest.raises(InputError) as err:
        _mapping(tmp_path, text)
    assert (err.value.code, err.value.problem_codes) == ("fields_invalid", codes)
    assert "fields.yaml" in str(err.value) and named in str(err.value)


def test_mapping_file_in_gbk(tmp_path):
    path = _gpkg(tmp_path, [{"地块编号X": "A", "单位名称": OWNER, "geometry": square(100)}])
    fields = _mapping(tmp_path, "parcels:\n  parcel_id: 地块编号X\n  owner: [企业, 单位名称]\n", encoding="gbk")
    parcels = read_layer(path, "parcels", fields=fields)
    assert parcels[["parcel_id", "owner"]].iloc[0].tolist() == ["A", OWNER]


def test_layer_mapping_naming_a_missing_column_is_an_error(tmp_path):
    path = _gpkg(tmp_path, [{"parcel_id": "A", "JZMJ": 100.0, "geometry": square(100)}])
    fields = _mapping(tmp_path, "parcels:\n  gfa_m2: BldgArea\n  owner: [QYMC, 单位名称]\n")
    with pytest.raises(InputError) as err:
        read_layer(path, "parcels", fields=fields)
    assert err.value.problem_codes == ["mapped_column_missing", "mapped_column_missing"]
    assert "BldgArea" in str(err.value) and "QYMC, 单位名称" in str(err.value)


def test_flat_mapping_of_a_one_layer_field_is_checked_at_once(tmp_path):
    path = _gpkg(tmp_path, [{"parcel_id": "A", "geometry": square(100)}])
    with pytest.raises(InputError) as err:
        read_layer(path, "parcels", fields=_mapping(tmp_path, "owner: QYMC\n"))
    assert err.value.problem_codes == ["mapped_column_missing"] and "QYMC" in str(err.value)


def test_flat_mapping_of_a_shared_field_needs_one_layer_with_the_column(tmp_path):
    parcels = _gpkg(tmp_path, [{"parcel_id": "A", "geometry": square(100)}])
    buildings = _gpkg(tmp_path, [{"building_id": "B", "TotalSqft": 1000.0, "geometry": square(50)}], "b.gpkg")
    fields = _mapping(tmp_path, "gfa_m2: {column: TotalSqft, unit: ft2}\n")
    read_layer(parcels, "parcels", fields=fields)  # parcels lack TotalSqft: not an error by itself
    assert read_layer(buildings, "buildings", fields=fields).loc[0, "gfa_m2"] == pytest.approx(92.90304)
    fields.check_used()
    alone = _mapping(tmp_path, "gfa_m2: TotalSqft\n")
    read_layer(parcels, "parcels", fields=alone)
    with pytest.raises(InputError) as err:
        alone.check_used()
    assert err.value.problem_codes == ["mapped_column_unused"] and "TotalSqft" in str(err.value) and "parcels" in str(err.value)


def test_mapped_column_wins_over_a_column_named_like_the_field(tmp_path):
    path = _gpkg(tmp_path, [{"parcel_id": "A", "owner": "旧", "QYMC": OWNER, "geometry": square(100)}])
    parcels = read_layer(path, "parcels", fields=_mapping(tmp_path, "owner: QYMC\n"))
    assert parcels.loc[0, "owner"] == OWNER and list(parcels.columns).count("owner") == 1


# --------------------------------------------------------------------------- plausibility


def test_implausible_values_become_missing_with_a_finding():
    table = pd.DataFrame(
        {"parcel_id": ["A", "B", "C"], "source_fid": [1, 2, 3], "gfa_m2": [-5.0, 0.0, 1200.0], "plan_density_max": [0.6, 1.0, 1.5], "investment_share": [1.0001, np.nan, 0.25]}
    )
    fixed, found = implausible_values(table, "parcels")
    assert fixed["gfa_m2"].isna().tolist() == [True, False, False]  # 0 m² is plausible (vacant land)
    assert fixed["plan_density_max"].isna().tolist() == [False, False, True]  # 1.0 is the limit, inclusive
    assert fixed["investment_share"].isna().tolist() == [True, True, False]
    assert found[["source_fid", "field", "value", "problem", "range"]].values.tolist() == [
        [1, "gfa_m2", -5.0, "implausible_value", "≥ 0"],
        [1, "investment_share", 1.0001, "implausible_value", "0–1"],
        [3, "plan_density_max", 1.5, "implausible_value", "0–1"],
    ]
    assert table["gfa_m2"].iloc[0] == -5.0  # the input is not changed


def test_implausible_floors_and_heights_of_buildings():
    table = pd.DataFrame({"building_id": ["B1", "B2", "B3"], "floors": [301.0, 300.0, -1.0], "height_m": [1000.0, 1000.5, 24.0]})
    fixed, found = implausible_values(table, "buildings")
    assert found[["source_fid", "field"]].values.tolist() == [[1, "floors"], [2, "height_m"], [3, "floors"]]
    assert fixed["floors"].isna().tolist() == [True, False, True]


@pytest.mark.parametrize(("field", "value", "kept"), [(f, v, v >= 1) for f in ("floors", "height_m", "gfa_m2") for v in (0.0, 0.99, 1.0, 1.01)])
def test_a_building_of_zero_storeys_height_or_floor_area_is_not_plausible(field, value, kept):
    """0 is what an unfilled attribute holds; read as 0 it would lower the parcel's FAR,
    density or height. The range starts at 1 (storey, m, m²), which is kept; 0.99 is not."""
    table = pd.DataFrame({"building_id": ["B1"], field: [value]})
    fixed, found = implausible_values(table, "buildings")
    assert (len(found) == 0) == kept and (fixed[field].iloc[0] == value) == kept


def test_a_parcel_whose_only_building_has_zero_floors_has_no_far():
    parcels = frame([{"parcel_id": "P", "land_use": "工业用地", "geometry": square(10_000)}])
    buildings = frame([{"building_id": "b", "parcel_id": "P", "floors": 0, "geometry": square(400)}])
    result = landtool.check(parcels, buildings=buildings, as_of="2023-06-30")
    far = result.verdicts.set_index("rule").loc["indicator.far_max"]
    assert (far["status"], far["reason"]) == ("insufficient_data", "no_floor_area")  # not FAR 0 → pass
    assert result.layers["issues"]["problem"].tolist() == ["implausible_value"]


def test_implausible_value_sentences():
    args = {"field": "plan_density_max", "value": 1.5, "range": "0–1"}
    assert catalogue("en").text("issues.implausible_value", **args) == "planning density limit (plan_density_max): 1.5 is not plausible (expected 0–1); read as missing"
    assert catalogue("zh").text("issues.implausible_value", **args) == "规划建筑密度上限（plan_density_max）的值 1.5 不合理（合理范围 0–1），按缺失处理"


# --------------------------------------------------------------------------- paths and files


def zipped_gbk_shapefile(tmp_path, archive: str, folder: str):
    """The GBK parcels shapefile (without .cpg) zipped as ``archive`` under ``folder/``."""
    shp = tmp_path / "宗地.shp"
    pyogrio.write_dataframe(chinese_parcels(), shp, encoding="GBK")
    path = tmp_path / archive
    with zipfile.ZipFile(path, "w") as z:
        for part in shp.parent.glob("宗地.*"):
            if part.suffix not in (".cpg", ".zip"):
                z.write(part, f"{folder}/{part.name}")
    return path


def test_vsizip_shapefile_in_gbk_is_read(tmp_path):
    archive = zipped_gbk_shapefile(tmp_path, "data.zip", "cadastre")
    parcels = read_layer(f"/vsizip/{archive}/cadastre/宗地.shp", "parcels")
    assert parcels["owner"].iloc[0] == OWNER and len(parcels) == 2


def test_zip_holding_one_gbk_shapefile_is_read(tmp_path):
    archive = zipped_gbk_shapefile(tmp_path, "宗地.zip", "2023/宗地")
    assert read_layer(archive, "parcels")["owner"].iloc[0] == OWNER


def test_shapefile_with_names_cut_inside_a_character(tmp_path):
    # GDAL cuts UTF-8 field names at the DBF's 10 bytes, here inside the 4th character:
    # 宗地代码 → 宗地代 + 1 byte of 码. The layer is read; the error lists the fields it has.
    path = tmp_path / "cut.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(frame([{"宗地代码": "A", "土地用途": "工业用地", "geometry": square(100)}]), path, encoding="UTF-8")
    with pytest.raises(InputError) as err:
        read_layer(path, "parcels")
    assert err.value.problem_codes == ["required_field_missing"]
    assert "its fields are 宗地代, 土地用" in str(err.value)
    fields = tmp_path / "f.yaml"
    fields.write_text("parcel_id: 宗地代\nland_use: 土地用\n", encoding="utf-8")
    parcels = read_layer(path, "parcels", fields=load_field_map(fields))
    assert parcels[["parcel_id", "land_use"]].iloc[0].tolist() == ["A", "工业用地"]


def test_missing_file_and_member(tmp_path):
    with pytest.raises(InputError) as err:
        read_layer(tmp_path / "nope.gpkg", "parcels")
    assert err.value.code == "file_not_found" and "nope.gpkg" in str(err.value)
    with pytest.raises(InputError) as err:
        read_layer(f"/vsizip/{tmp_path}/nope.zip/a.shp", "parcels")
    assert err.value.code == "file_not_found"


def test_layer_choice(tmp_path):
    path = tmp_path / "two.gpkg"
    frame([{"parcel_id": "A", "geometry": square(100)}]).to_file(path, layer="宗地")
    frame([{"parcel_id": "B", "geometry": square(100)}]).to_file(path, layer="other")
    with pytest.raises(InputError) as err:
        read_layer(path, "parcels")
    assert err.value.code == "layer_ambiguous" and "宗地, other" in str(err.value)
    with pytest.raises(InputError) as err:
        read_layer(f"{path}::missing", "parcels")
    assert err.value.code == "layer_not_found" and "missing" in str(err.value)
    assert read_layer(f"{path}::宗地", "parcels")["parcel_id"].tolist() == ["A"]


def test_unknown_encoding_is_said_up_front(tmp_path):
    with pytest.raises(InputError) as err:
        read_layer(tmp_path / "nope.shp", "parcels", encoding="foo")
    assert err.value.code == "encoding_unknown" and "foo" in str(err.value)
