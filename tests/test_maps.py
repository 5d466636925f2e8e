"""The HTML map (landtool.map): offline, self-contained, escaped, compact, codes not sentences."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from string import Formatter

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from branca.element import Element

sys.path.insert(0, str(Path(__file__).parent))
from map_pages import CJK, IDS, SCRIPT_OWNER, XSS_OWNER, sample_result, tiny_result

from landtool.compare import CHANGE_KINDS, compare_results
from landtool.errors import InputError
from landtool.map import STATUS_COLORS, MapPage, build_map, check_basemap, write_map
from landtool.map.layers import LAYER_COLUMNS, LAYER_ORDER
from landtool.map.page import package_text
from landtool.map.payload import ALPHABET, encode
from landtool.map.shell import _leaflet
from landtool.map.words import parse_template
from landtool.messages import LANGS, catalogue
from landtool.result import CheckResult

MAP_DIR = Path(__file__).parents[1] / "landtool" / "map"


# --------------------------------------------------------------------------- helpers


def payload(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="landtool-data">(.*?)</script>', page, re.DOTALL)
    assert m, "data document missing"
    return json.loads(m.group(1))


def col(c, k):
    """The page's column decoding (app.js ``col``), for the tests."""
    if not isinstance(c, dict):
        return c[k] if isinstance(c, list) else c
    if "x" in c:
        x = c["x"]
        return c["f"][ALPHABET.index(x[k]) if isinstance(x, str) else x[k]]
    if "n" in c:
        t = c["n"].split(",")[k]
        return None if t == "" else float(t)
    if "l" in c:
        return c["l"][k]
    return c.get("c")


def decode(geom: list | None, origin: list[int], scale: int) -> list:
    """Polygon rings (lists of (lon, lat)) of a compact geometry."""
    if geom is None:
        return []

    def ring(a):
        xy = np.cumsum(np.asarray(a, dtype=np.int64).reshape(-1, 2), axis=0) + np.asarray(origin)
        return [tuple(p) for p in (xy / scale).tolist()]

    t = geom[0]
    if t == 3:
        return [ring(r) for r in geom[1:]]
    if t == 6:
        return [ring(r) for poly in geom[1:] for r in poly]
    if t in (1, 2, 4):
        return [ring(geom[1])]
    return []


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "action") and value is not None:
                self.refs.append((tag, name, value))


@pytest.fixture(scope="module")
def result() -> CheckResult:
    return tiny_result(owners={1: XSS_OWNER, 2: SCRIPT_OWNER})


@pytest.fixture(scope="module")
def page(result) -> str:
    return build_map(result).html


@pytest.fixture(scope="module")
def data(page) -> dict:
    return payload(page)


# --------------------------------------------------------------------------- the file


def test_build_map_returns_the_page_and_its_data(result):
    built = build_map(result)
    assert isinstance(built, MapPage)
    assert built.html.startswith("<!DOCTYPE html>") and built.render() == built.html
    assert payload(built.html) == json.loads(json.dumps(built.payload))


def test_write_map_is_atomic_and_returns_path(result, tmp_path):
    out = write_map(result, tmp_path / "sub" / "map.html")
    assert out == tmp_path / "sub" / "map.html"
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in out.parent.iterdir()) == ["map.html"]  # no temp file left
    write_map(result, out, lang="en")
    assert payload(out.read_text(encoding="utf-8"))["lang"] == "en"


def test_page_is_offline_and_self_contained(page):
    links = _Links()
    links.feed(page)
    assert links.refs == [], links.refs  # no src/href at all: everything is inline
    assert "link" not in links.tags
    for cdn in ("cdn.jsdelivr", "code.jquery.com", "cdnjs", "unpkg", "bootstrap", "fontawesome", "font-awesome"):
        assert cdn not in page
    assert "Leaflet 1.9.3" in page  # inlined from XStatic-Leaflet
    assert "sourceMappingURL" not in page
    css_urls = re.findall(r"url\(([^)]*)\)", page)
    assert css_urls and all(u.strip("'\"").startswith(("data:", "#")) for u in css_urls), css_urls
    assert "tile.openstreetmap" not in page and "tianditu.gov.cn" not in page
    # the page's own script and style are the package files, inlined
    assert package_text("format.js").splitlines()[3] in page
    assert "function parcelPopup" in page and ".lt-side {" in page


def test_no_third_party_javascript_in_the_repository():
    assert sorted(p.name for p in MAP_DIR.iterdir() if p.suffix in (".js", ".css")) == ["app.css", "app.js", "format.js"]
    for name in ("app.js", "format.js"):
        assert "Leaflet 1.9" not in package_text(name)


def test_data_cannot_break_out_and_templates_never_run(result, page, data):
    assert "</script><script>window.__pwned" not in page
    assert "<img src=x" not in page
    assert "49" not in json.dumps(data["parcels"]["owners"])  # {{7*7}} kept as text, not evaluated
    owners = [data["parcels"]["owners"][k] for k in data["parcels"]["owner"]]
    assert owners[1] == XSS_OWNER and owners[2] == SCRIPT_OWNER
    # the page's script builds its DOM with textContent only
    app = package_text("app.js")
    assert "innerHTML" not in app and "insertAdjacentHTML" not in app and "document.write" not in app


def test_page_is_built_with_folium_and_no_cdn_is_left(result, page):
    # folium's document, its map <div> inside the page's #lt-map, and its Leaflet map, handed to app.js
    assert '<div id="lt-map">' in page and '<div class="folium-map" id="map_landtool" ></div>' in page
    assert page.index('<div id="lt-map">') < page.index('id="map_landtool"') < page.index('<aside id="lt-side"')
    made, handed = page.index('var map_landtool = L.map(\n                "map_landtool"'), page.index("landtoolApp(map_landtool);")
    assert page.index("window.landtoolApp = function (map)") < made < handed
    assert page.index("Leaflet 1.9.3") < made  # Leaflet is there before folium's script uses it
    script = page[made:handed]
    for option in ('"preferCanvas": true', '"zoomControl": false', '"attributionControl": false', '"zoomSnap": 0.25', '"maxZoom": 22'):
        assert option in script, option
    assert '"attributionControl": true' in build_map(result, basemap="osm").html
    # nothing of folium's CDNs, nor jQuery code; folium's own lists untouched for other maps
    for _, url in folium.Map.default_js + folium.Map.default_css:
        assert url not in page and url.split("/")[2] not in page, url
    assert "$(document)" not in page and "awesome" not in page.lower()
    assert folium.Map.default_js[0] == ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
    assert page.count("<html") == page.count("<body") == page.count("</body>") == 1
    assert page.rindex("</script>") < page.index("</body>")  # the closing script inside <body>
    assert build_map(result).html == page  # the same result, the same file (a fixed map id)


JINJA_OWNER = "{{ 7*7 }}{% if x %}{# {{ self.__init__.__globals__ }} {%- endraw %}"


def test_jinja_never_sees_data_or_the_inlined_scripts():
    # branca's Element(text) renders text as a template: what the page must never do with data
    assert Element("{{ 7*7 }}").render() == "49"
    run_document = "{{7*7}} <b>{% raw %}</b>"
    tiny = tiny_result(owners={3: JINJA_OWNER})
    tiny = dataclasses.replace(tiny, run={**tiny.run, "document": run_document})
    built = build_map(tiny)  # a template compiled from the data would raise TemplateSyntaxError
    data = payload(built.html)
    owners = [data["parcels"]["owners"][k] for k in data["parcels"]["owner"]]
    assert owners[3] == JINJA_OWNER and data["header"]["document"] == run_document
    assert JINJA_OWNER in built.html  # as text (no <>& in it to escape), not 49
    assert "<title>工业用地核查图 · tiantai {{7*7}} &lt;b&gt;{% raw %}&lt;/b&gt;</title>" in built.html
    # the inlined files arrive exactly as they are (Leaflet has '}}' in many places)
    css, leaflet_js = _leaflet()
    for text in (leaflet_js, css, package_text("app.js"), package_text("format.js"), package_text("app.css")):
        assert text.strip() in built.html


# --------------------------------------------------------------------------- parcels and verdicts


def test_payload_parcels(result, data):
    p = data["parcels"]
    parcels = result.parcels
    assert p["n"] == len(parcels) == 12
    assert p["id"] == parcels["parcel_id"].tolist()
    assert p["area_m2"] == [round(a, 2) for a in parcels["area_m2"]]
    assert p["area_mu"] == [round(a, 4) for a in parcels["area_mu"]]
    assert p["height"][3] is None
    assert p["status"]["overall"] == "".join({"pass": "p", "fail": "f", "not_applicable": "n", "insufficient_data": "i"}[s] for s in parcels["status"])
    assert p["families"] == ["split", "indicator", "efficiency"]  # catalogue order
    assert data["colors"] == STATUS_COLORS


def test_verdicts_travel_as_codes_and_numbers_not_sentences(result, page, data):
    far = next(v for v in data["verdicts"] if v["r"] == "indicator.far_max")
    assert "p" not in far  # one row per parcel in parcel order: no index list
    assert [col(far["l"], k) for k in range(4)] == [1.1, 1.1, 1.1, None]  # few values: codes into them
    table = result.table[(result.table["rule"] == "indicator.far_max")].reset_index(drop=True)
    pairs = data["pairs"]
    for k, row in table.iterrows():
        status, x, _ = far["k"]["f"][ALPHABET.index(far["k"]["x"][k])]
        assert status == {"pass": "p", "fail": "f", "not_applicable": "n", "insufficient_data": "i"}[row["status"]]
        assert pairs[x] == ["indicator.far_max", row["reason"]]
        assert col(far["v"], k) == (None if pd.isna(row["value"]) else pytest.approx(row["value"]))
    # the sentences are not in the page: only their templates
    for text in result.verdicts_in("zh")["explanation"].head(20):
        assert text not in page
    assert "explanation" not in json.dumps(data["verdicts"])


def test_templates_of_both_languages_parsed_as_python_does(data):
    for lang in LANGS:
        cat = catalogue(lang)
        assert len(data["templates"][lang]) == len(data["pairs"])
        for (rule, reason), parts in zip(data["pairs"], data["templates"][lang], strict=True):
            template = cat.get(f"reasons.{rule}.{reason}") or cat.get(f"reasons.*.{reason}")
            assert parts == parse_template(template)
    assert parse_template("{what!t} {value:,.2f} {{x}}") == [["what", "", "t"], " ", ["value", ",.2f", ""], " {x}"]
    assert next(iter(Formatter().parse("{a.b!i}")))[1:] == ("a.b", "", "i")


def test_rules_the_pack_does_not_have_are_not_on_the_map(result, data):
    assert "renovation.permit_exempt" in set(result.table["rule"])  # the check gives them …
    assert all(v["r"] != "renovation.permit_exempt" for v in data["verdicts"])  # … the map leaves them out
    assert "renovation.permit_exempt" not in data["rules"]
    assert ["renovation.permit_exempt", "not_in_policy"] not in data["pairs"]


def test_subject_rows_keep_their_ids_and_parcels(data):
    piece = next(v for v in data["verdicts"] if v["r"] == "split.min_piece_area")
    assert piece["sub"] == "split_piece" and piece["p"] == [0, 0] and col(piece["sid"], 1) == "P2"
    merge = next(v for v in data["verdicts"] if v["r"] == "merge.adjacent")
    assert merge["p"] == [-1] and col(merge["pid"], 0) == f"{IDS[4]},{IDS[5]}"  # a group is no parcel of the map
    host = next(v for v in data["verdicts"] if v["r"] == "fringe.area_cap")
    assert host["sub"] == "host" and host["p"] == [8]
    assert data["rules"] == ["indicator.far_max", "indicator.height_max", "efficiency.low_efficiency"]


def test_words_of_both_languages_and_units_as_words(data):
    assert data["langs"] == {"zh": "中文", "en": "English"}
    zh, en = data["words"]["zh"], data["words"]["en"]
    assert zh["ui"] == catalogue("zh").get("ui.map") and en["ui"] == catalogue("en").get("ui.map")
    assert zh["units"]["10k_yuan_per_mu"] == "万元/亩" and en["units"]["10k_yuan_per_mu"] == "10k yuan/mu"
    assert zh["rules"]["indicator.far_max"] == "容积率上限" and en["rules"]["indicator.far_max"] == "Maximum FAR"
    assert "what" in zh["terms"] and zh["terms"]["what"]["far"] == "容积率"  # a term group a template uses
    assert set(zh["terms"]) == set(en["terms"])
    assert en["discretion"] == catalogue("en").get("notes.discretion")


def test_header_says_what_was_checked(data):
    h = data["header"]
    assert h["packId"] == "tiantai" and h["document"] == "天政发〔2022〕1号"
    assert (h["asOf"], h["issued"], h["validUntil"]) == ("2024-03-01", "2022-02-20", "2023-12-31")
    assert h["inputs"] == [
        {"role": "parcels", "name": "parcels.gpkg", "features": 12},
        {"role": "buildings", "name": "cadastre::public.房屋", "features": 12},  # no password, no host
        {"role": "height_raster", "name": "ndsm.tif", "features": None},
    ]
    assert "secret" not in json.dumps(data) and "0" * 64 not in json.dumps(data)  # names, not hashes
    assert h["warnings"]["zh"] == ["政策包 tiantai（天政发〔2022〕1号）已于 2023-12-31 失效；仍按 2024-03-01 检查"]
    assert h["warnings"]["en"][0].startswith("policy pack tiantai (天政发〔2022〕1号) expired on 2023-12-31")
    assert h["sample"] is False and h["created"] == "2024-03-01 09:30"


def test_validity_warning_of_a_result_read_back_from_its_geopackage(result):
    run = {**result.run, "validity": "pack_expired"}
    again = CheckResult(table=result.table, parcels=result.parcels, pack=result.pack, as_of=result.as_of, run=run)
    assert build_map(again).payload["header"]["warnings"]["zh"] == ["政策包 tiantai（天政发〔2022〕1号）已于 2023-12-31 失效；仍按 2024-03-01 检查"]


def test_header_of_the_bundled_sample_says_so():
    h = payload(build_map(sample_result()).html)["header"]
    assert h["sample"]["zh"].startswith("未给出宗地图层") and h["sample"]["en"].startswith("no parcels layer given")
    assert not any("bundled sample" in w for w in h["warnings"]["en"])  # said once
    assert [i["role"] for i in h["inputs"]][:1] == ["parcels"] and h["inputs"][0]["features"] == 335


def test_language_default_is_the_runs_and_the_title_follows():
    zh = build_map(tiny_result(lang="zh"))
    en = build_map(tiny_result(lang="en"))
    assert zh.payload["lang"] == "zh" and '<html lang="zh-CN">' in zh.html
    assert en.payload["lang"] == "en" and '<html lang="en">' in en.html
    assert re.search(r"<title>工业用地核查图 · tiantai 天政发〔2022〕1号</title>", zh.html)
    assert re.search(r"<title>Industrial land check map · tiantai 天政发〔2022〕1号</title>", en.html)
    assert build_map(tiny_result(lang="en"), lang="zh").payload["lang"] == "zh"
    with pytest.raises(InputError) as err:
        build_map(tiny_result(), lang="fr")
    assert err.value.code == "map_lang_unknown" and "zh, en" in str(err.value)


# --------------------------------------------------------------------------- geometry


def test_coordinates_close_and_shared_vertices_identical(result, data):
    origin, scale = data["origin"], data["scale"]
    back = gpd.GeoSeries([shapely.Polygon(decode(g, origin, scale)[0]) for g in data["parcels"]["geom"]], crs="EPSG:4326").to_crs("EPSG:4549")
    for orig, got in zip(result.parcels.geometry, back, strict=True):
        assert orig.hausdorff_distance(got) < 0.15  # 1e-6 degree ≈ 0.1 m
    rings = [set(decode(g, origin, scale)[0]) for g in data["parcels"]["geom"]]
    assert len(rings[0] & rings[1]) == 2  # neighbours still share their corners exactly


def test_coverage_simplify_drops_noise_vertices():
    xs = np.linspace(0, 100, 52)
    zig = np.where(np.arange(52) % 2, 0.04, 0.0)
    zig[0] = zig[-1] = 0
    edge = list(zip(500_000 + xs, 3_280_000 + 50 + zig, strict=True))
    south = shapely.Polygon([(500_000, 3_280_000), (500_100, 3_280_000), *edge[::-1]])
    north = shapely.Polygon([*edge, (500_100, 3_280_100), (500_000, 3_280_100)])
    parcels = gpd.GeoDataFrame({"parcel_id": ["a", "b"]}, geometry=[south, north], crs="EPSG:4549")
    data = build_map(CheckResult(table=pd.DataFrame(), parcels=parcels)).payload
    geoms = data["parcels"]["geom"]
    assert all(len(g[1]) // 2 < 10 for g in geoms)  # 54 vertices → a handful
    a, b = (set(decode(g, data["origin"], data["scale"])[0]) for g in geoms)
    assert len(a & b) >= 2  # the shared edge is still shared
    parcels["geometry"] = [south, shapely.affinity.translate(south, 0, 10)]  # overlapping: no coverage
    geoms = build_map(CheckResult(table=pd.DataFrame(), parcels=parcels)).payload["parcels"]["geom"]
    assert all(len(g[1]) // 2 == 54 for g in geoms)


def test_multipolygons_holes_and_collections():
    shell = shapely.box(500_000, 3_280_000, 500_100, 3_280_100)
    holed = shell.difference(shapely.box(500_040, 3_280_040, 500_060, 3_280_060))
    island = shapely.box(500_200, 3_280_000, 500_220, 3_280_020)
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["a", "b", "c"]},
        geometry=[
            shapely.MultiPolygon([holed, island]),
            shapely.GeometryCollection([shapely.box(500_300, 3_280_000, 500_350, 3_280_050), shapely.LineString([(0, 0), (1, 1)])]),
            shapely.Polygon(),
        ],
        crs="EPSG:4549",
    )
    data = build_map(CheckResult(table=pd.DataFrame(), parcels=parcels)).payload
    multi, coll, empty = data["parcels"]["geom"]
    assert multi[0] == 6 and [len(part) for part in multi[1:]] == [2, 1]  # shell + hole, island
    assert coll[0] == 3 and len(coll[1]) == 8  # the polygon of the collection, 4 vertices
    assert empty is None
    back = gpd.GeoSeries([shapely.Polygon(r) for r in decode(multi, data["origin"], data["scale"])], crs="EPSG:4326").to_crs("EPSG:4549")
    assert back.area.round(-1).tolist() == [10000.0, 400.0, 400.0]


# --------------------------------------------------------------------------- layers


def test_layers_in_order_with_codes_not_words(data):
    layers = {spec["key"]: spec for spec in data["layers"]}
    assert list(layers) == ["zones", "split_pieces", "merge_groups", "fringe", "buildings", "issues"]
    zones = layers["zones"]
    assert zones["cols"] == ["zone_id", "name", "zone_type"] and col(zones["vals"][2], 0) == "development_zone"
    assert layers["buildings"]["cols"][:2] == ["building_id", "parcel_id"]
    assert layers["buildings"]["parcel"] == list(range(12))
    # proposal layers: their rules come from the verdicts (by subject), not from status_* columns
    for key, sub in (("split_pieces", "split_piece"), ("merge_groups", "merge_group"), ("fringe", "fringe")):
        assert layers[key]["sub"] == sub
        assert not any(c.startswith("status_") for c in layers[key]["cols"])
    assert layers["split_pieces"]["sid"] == ["P1", "P2"] and layers["split_pieces"]["status"] == "fp"
    assert layers["fringe"]["parcel"] == [8]  # its host


def test_issues_in_words_of_both_languages_and_on_their_parcel(data):
    issues = next(spec for spec in data["layers"] if spec["key"] == "issues")
    assert all(g is not None for g in issues["geom"])  # the repaired geometry is drawn on its parcel
    assert issues["geom"][2][0] == 1  # a point
    assert issues["parcel"] == [5, 7, -1]
    detail = issues["issue"]["detail"]
    assert col(detail["zh"], 0) == f"与宗地 {IDS[6]} 重叠 12.50 平方米"
    assert col(detail["en"], 1) == catalogue("en").text("issues.repaired_geometry", geos="self_intersection")
    assert [col(issues["issue"]["problem"], k) for k in range(3)] == ["overlap", "repaired_geometry", "outside_parcels"]
    assert data["words"]["zh"]["problems"]["overlap"] == "宗地重叠"


def test_every_column_and_layer_shown_has_a_name_in_both_languages():
    for lang in LANGS:
        cat = catalogue(lang)
        names = cat.get("ui.map.layer_names")
        assert set(LAYER_ORDER) <= set(names), lang
        for layer, cols in LAYER_COLUMNS.items():
            for c in cols:
                assert cat.get(f"ui.map.columns.{c}") or cat.get(f"fields.{c}"), (lang, layer, c)


# --------------------------------------------------------------------------- basemaps and errors


def test_basemaps(result):
    assert build_map(result).payload["tiles"] == []
    osm = build_map(result, basemap="osm").payload["tiles"]
    assert osm[0]["kind"] == "osm" and osm[0]["layers"][0]["url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tdt = build_map(result, basemap="tianditu", tianditu_key="abc123").payload["tiles"][0]["layers"]
    assert [("vec_w" in t["url"], "cva_w" in t["url"], "tk=abc123" in t["url"]) for t in tdt] == [(True, False, True), (False, True, True)]
    intranet = "http://10.1.2.3/tiles/{z}/{x}/{y}.png"
    assert build_map(result, basemap=intranet).payload["tiles"][0]["layers"][0]["url"] == intranet


def test_tianditu_without_key_and_unknown_basemap_are_input_errors(result):
    with pytest.raises(InputError) as err:
        build_map(result, basemap="tianditu")
    assert err.value.code == "tianditu_key_missing"
    assert err.value.render("zh") == "天地图底图需要密钥：请加 --tianditu-key"
    with pytest.raises(InputError) as err:
        build_map(result, basemap="google")
    assert err.value.code == "map_basemap_unknown" and "google" in err.value.render("zh") and "osm" in str(err.value)
    # the same checks without a result, for the CLI before the run
    with pytest.raises(InputError, match="tianditu-key"):
        check_basemap("tianditu")
    for fine in (None, "none", "osm", "https://x/{z}/{x}/{y}.png"):
        assert check_basemap(fine) is None
    assert check_basemap("tianditu", "k") is None


def test_requires_crs_and_tolerates_sparse_results():
    bare = gpd.GeoDataFrame({"parcel_id": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(InputError) as err:
        build_map(CheckResult(table=pd.DataFrame(), parcels=bare))
    assert err.value.code == "map_no_crs"
    sparse = gpd.GeoDataFrame({"parcel_id": ["a", "b"]}, geometry=[shapely.box(500_000, 3_280_000, 500_050, 3_280_050), None], crs="EPSG:4549")
    data = build_map(CheckResult(table=pd.DataFrame(), parcels=sparse)).payload
    assert data["parcels"]["n"] == 2 and data["parcels"]["geom"][1] is None
    assert data["verdicts"] == [] and data["header"]["packId"] == ""
    empty = gpd.GeoDataFrame({"parcel_id": []}, geometry=[], crs="EPSG:4549")
    assert build_map(CheckResult(table=pd.DataFrame(), parcels=empty)).payload["parcels"]["n"] == 0


def test_an_older_result_without_reason_codes_shows_its_sentences(result):
    old = result.verdicts_in("zh").drop(columns=["reason", "args"])
    data = build_map(CheckResult(table=old, parcels=result.parcels, pack=result.pack)).payload
    texts = {tuple(p) for p in data["pairs"]}
    far = old[old["rule"] == "indicator.far_max"]["explanation"].iloc[1]
    assert ("=text", far) in texts
    k = [tuple(p) for p in data["pairs"]].index(("=text", far))
    assert data["templates"]["zh"][k] == data["templates"]["en"][k] == [far]


# --------------------------------------------------------------------------- compare


def test_compare_payload_colours_parcels_by_their_weightiest_change():
    import landtool

    a = landtool.check(policy="taizhou", as_of="2023-06-30")
    b = sample_result()
    differences = compare_results(a, b)
    data = build_map(b, compare=differences).payload
    cmp = data["compare"]
    assert (cmp["a"], cmp["b"]) == ("taizhou@2023-06-30", "tiantai@2023-06-30")
    index = {pid: i for i, pid in enumerate(data["parcels"]["id"])}
    kinds = {c: k for c, k in data["changeKinds"].items()}
    assert list(kinds.values()) == list(CHANGE_KINDS)
    on_parcels = differences[differences["parcel_id"].isin(index)]
    rank = {k: i for i, k in enumerate(CHANGE_KINDS)}
    weightiest = on_parcels.groupby("parcel_id")["kind"].agg(lambda s: min(s, key=rank.get))
    for pid, kind in weightiest.items():
        assert kinds[cmp["parcelKind"][index[pid]]] == kind, pid
    unchanged = set(index) - set(weightiest.index)
    assert all(cmp["parcelKind"][index[p]] == "-" for p in unchanged)
    assert sum(len(g["p"]) for g in cmp["groups"]) == len(differences)
    assert data["words"]["zh"]["terms"]["change_kind"]["pass_to_fail"] == "由通过变为不通过"


# --------------------------------------------------------------------------- catalogue of the map


def test_every_word_of_the_page_is_in_both_catalogues_and_used():
    code = package_text("app.js") + (MAP_DIR / "page.py").read_text(encoding="utf-8")
    zh, en = catalogue("zh").get("ui.map"), catalogue("en").get("ui.map")
    assert set(zh) == set(en)
    for key in zh:
        assert re.search(rf"U\.{key}\b|ui\.map\.{key}\b|U\[\"{key}\"\]", code), f"ui.map.{key} is not used"
    for key in set(re.findall(r"\bU\.([a-z_]+)", package_text("app.js"))):
        assert key in zh, f"app.js uses ui.map.{key}, which the catalogues lack"
    assert set(catalogue("zh").get("terms.change_kind")) == set(CHANGE_KINDS) == set(catalogue("en").get("terms.change_kind"))


def test_map_catalogue_is_in_one_language_each():
    import yaml

    root = Path(__file__).parents[1] / "landtool" / "messages"
    en = yaml.safe_load((root / "en" / "map.yaml").read_text(encoding="utf-8"))
    zh = yaml.safe_load((root / "zh" / "map.yaml").read_text(encoding="utf-8"))

    def strings(node):
        if isinstance(node, dict):
            for v in node.values():
                yield from strings(v)
        elif isinstance(node, str):
            yield node

    assert [s for s in strings(en) if CJK.search(s)] == []
    english = re.compile(r"\b[A-Za-z]{3,}\b")
    allowed = {"tianditu", "key", "landtool"}
    found = [s for s in strings(zh) if set(english.findall(re.sub(r"\{[^}]*\}", "", s))) - allowed]
    assert found == []


# --------------------------------------------------------------------------- size


def test_encode_picks_the_compact_form():
    assert encode([1.5] * 10) == 1.5
    assert encode([None, 1.0, None, 1.0] * 10) == {"f": [None, 1.0], "x": "#$#$" * 10}
    assert encode([0.5, None, 2, 3.25]) == {"n": "0.5,,2,3.25"}
    assert encode(["a", "b", "c"]) == ["a", "b", "c"]
    assert encode([["x"], ["x"]], tagged=True, keys=["k", "k"]) == {"c": ["x"]}


def test_size_is_compact():
    from importlib import util

    spec = util.spec_from_file_location("bench_map", Path(__file__).parents[1] / "scripts" / "bench_map.py")
    bench = util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    small, large = (len(build_map(bench.synthetic_result(n)).html.encode()) for n in (1, 2000))
    # 2000 parcels with 17 verdicts each, reasons and args: well under 400 bytes a parcel
    assert (large - small) / 2000 < 400, (large - small) / 2000
