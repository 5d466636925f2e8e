"""The HTML map: offline, self-contained, escaped, compact (landtool.maps)."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity

from landtool.maps import STATUS_COLORS, build_map, write_map
from landtool.policy import Pack
from landtool.result import CheckResult

XSS_OWNER = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
M2_PER_MU = 10000 / 15

# --------------------------------------------------------------------------- sample result


def _grid(nx: int = 4, ny: int = 3, cell: float = 90.0, seed: int = 1) -> list[shapely.Polygon]:
    """Irregular quadrilaterals sharing their corners (a valid coverage), EPSG:4549 metres."""
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(500_000 + np.arange(nx + 1) * cell, 3_280_000 + np.arange(ny + 1) * cell)
    gx = gx + rng.uniform(-12, 12, gx.shape)
    gy = gy + rng.uniform(-12, 12, gy.shape)
    return [
        shapely.Polygon([(gx[j, i], gy[j, i]), (gx[j, i + 1], gy[j, i + 1]), (gx[j + 1, i + 1], gy[j + 1, i + 1]), (gx[j + 1, i], gy[j + 1, i])])
        for j in range(ny)
        for i in range(nx)
    ]


def make_result(*, owners: dict[int, str] | None = None, lang: str = "zh") -> CheckResult:
    """Twelve parcels in EPSG:4549 with verdicts of four families and extra layers."""
    polys = _grid()
    n = len(polys)
    statuses = ["pass", "fail", "not_applicable", "insufficient_data"]
    ids = [f"331023001{k:03d}GB{k:05d}" for k in range(n)]
    owner_names = ["天台县汽配有限公司", "浙江某某机械有限公司", "台州市阀门厂", "三门县水泵有限公司"]
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ids,
            "owner": [owner_names[k % 4] for k in range(n)],
            "far": [round(0.6 + 0.15 * k, 3) for k in range(n)],
            "height_m": [None if k == 3 else 12.0 + 2 * k for k in range(n)],
            "height_source": [None if k == 3 else ["attribute", "buildings", "raster"][k % 3] for k in range(n)],
        },
        geometry=polys,
        crs="EPSG:4549",
    )
    for k, name in (owners or {}).items():
        parcels.loc[k, "owner"] = name
    parcels["area_m2"] = parcels.geometry.area
    parcels["area_mu"] = parcels["area_m2"] / M2_PER_MU
    parcels["status_indicator"] = [statuses[k % 4] for k in range(n)]
    parcels["status_facility"] = [statuses[(k + 1) % 4] for k in range(n)]
    parcels["status_efficiency"] = ["pass"] * n
    parcels["status_split"] = ["fail"] + ["not_applicable"] * (n - 1)
    parcels["status"] = [statuses[k % 4] for k in range(n)]
    parcels.loc[0, "status"] = "fail"

    rows = []
    for k, pid in enumerate(ids):
        far = parcels.loc[k, "far"]
        rows.append(("parcel", pid, pid, "indicator.far_max", statuses[k % 4], far, 1.1, "ratio", "天政发〔2022〕1号 四（五）", round(1.1 - far, 6)))
        rows.append(("parcel", pid, pid, "indicator.height_max", "pass", parcels.loc[k, "height_m"], 24.0, "m", "天政发〔2022〕1号 四（五）", None))
        rows.append(("parcel", pid, pid, "facility.land_share", statuses[(k + 1) % 4], 0.05, 0.07, "ratio", "天政发〔2022〕1号 四（六）", 0.02))
        rows.append(("parcel", pid, pid, "efficiency.low_efficiency", "pass", 12.5, 5.0, "10k_yuan/mu", "天政发〔2022〕1号 二（二）", None))
    rows.append(("split_piece", "P1", ids[0], "split.min_piece_area", "fail", 1200.0, 1333.33, "m2", "天政发〔2022〕1号 五（一）", -133.33))
    rows.append(("split_piece", "P2", ids[0], "split.min_piece_area", "pass", 6000.0, 1333.33, "m2", "天政发〔2022〕1号 五（一）", 4666.67))
    rows.append(("split_plan", "S1", None, "split.max_pieces", "pass", 2, 4, "count", "五（二）", 2))
    verdicts = pd.DataFrame(rows, columns=["subject", "subject_id", "parcel_id", "rule", "status", "value", "limit", "unit", "clause", "headroom"])
    verdicts["pack"] = "tiantai"
    verdicts["explanation"] = "说明"
    verdicts["interpretation"] = None

    p0 = polys[0]
    minx, miny, maxx, maxy = p0.bounds
    left = p0.intersection(shapely.box(minx, miny, (minx + maxx) / 2, maxy))
    right = p0.intersection(shapely.box((minx + maxx) / 2, miny, maxx, maxy))
    split_pieces = gpd.GeoDataFrame(
        {"piece_id": ["P1", "P2"], "parcel_id": [ids[0], ids[0]], "status": ["fail", "pass"]},
        geometry=[left, right],
        crs="EPSG:4549",
    )
    buildings = gpd.GeoDataFrame(
        {
            "building_id": [f"B{k}" for k in range(n)],
            "parcel_id": ids,
            "floors": [2 + k % 4 for k in range(n)],
            "height_m": [10.0 + k for k in range(n)],
            "use": ["production", "storage", "office", "living"] * 3,
        },
        geometry=[p.centroid.buffer(15, cap_style="square") for p in polys],
        crs="EPSG:4549",
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": ["天台经济开发区"], "zone_type": ["development_zone"]},
        geometry=[shapely.unary_union(polys[:6]).buffer(5)],
        crs="EPSG:4549",
    )
    issues = gpd.GeoDataFrame(
        {
            "parcel_id": [ids[5], ids[7], None],
            "issue": ["area_difference", "invalid_geometry", "building_outside"],
            "detail": ["证载面积与实测面积相差 8%", "自相交，已修复", "房屋 B99 不在任何宗地内"],
        },
        geometry=[polys[5], None, shapely.Point(500_500, 3_280_100)],
        crs="EPSG:4549",
    )
    pack = Pack(
        id="tiantai",
        title={"zh": "天台县工业用地提质增效", "en": "Tiantai industrial land"},
        document="天政发〔2022〕1号",
        issued=dt.date(2022, 2, 20),
        valid_until=dt.date(2023, 12, 31),
        rules={},
    )
    return CheckResult(
        verdicts=verdicts,
        parcels=parcels,
        layers={"buildings": buildings, "zones": zones, "split_pieces": split_pieces, "issues": issues},
        pack=pack,
        as_of=dt.date(2023, 6, 30),
        lang=lang,
        warnings=["政策包 tiantai 已于 2023-12-31 失效"],
    )


# --------------------------------------------------------------------------- helpers


def render(result, **kwargs) -> str:
    return build_map(result, **kwargs).get_root().render()


def payload(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="landtool-data-[0-9a-f]+">(.*?)</script>', page, re.S)
    assert m, "data document missing"
    return json.loads(m.group(1))


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
    return make_result()


@pytest.fixture(scope="module")
def page(result) -> str:
    return render(result)


# --------------------------------------------------------------------------- tests


def test_build_map_returns_folium_map(result):
    assert isinstance(build_map(result), folium.Map)


def test_write_map_is_atomic_and_returns_path(result, tmp_path):
    out = write_map(result, tmp_path / "sub" / "map.html")
    assert out == tmp_path / "sub" / "map.html"
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in out.parent.iterdir()) == ["map.html"]  # no temp file left
    # overwriting works too
    write_map(result, out, lang="en")
    assert '"lang":"en"' in out.read_text(encoding="utf-8")


def test_page_is_offline_and_self_contained(page):
    links = _Links()
    links.feed(page)
    assert links.refs == [], links.refs  # no src/href at all: everything is inline
    assert "link" not in links.tags
    for cdn in ("cdn.jsdelivr", "code.jquery.com", "cdnjs", "bootstrap", "fontawesome", "font-awesome", "awesome-markers"):
        assert cdn not in page
    assert "Leaflet 1.9.3" in page
    assert "jQuery" not in page  # nothing on the page uses it
    assert "sourceMappingURL" not in page
    css_urls = re.findall(r"url\(([^)]*)\)", page)
    assert css_urls and all(u.strip("'\"").startswith(("data:", "#")) for u in css_urls), css_urls
    assert "tile.openstreetmap" not in page and "tianditu.gov.cn" not in page


def test_no_jinja_or_script_breakout(result):
    evil = "</script><script>window.__pwned=1</script>{{ 7*7 }}{% raw %}"
    page = render(make_result(owners={0: evil, 1: XSS_OWNER}))
    assert "</script><script>window.__pwned" not in page
    assert "<img src=x" not in page
    data = payload(page)
    owners = [data["parcels"]["owners"][k] for k in data["parcels"]["owner"]]
    assert owners[0] == evil  # kept as text, not evaluated by Jinja
    assert owners[1] == XSS_OWNER
    assert "49" not in owners[0]


def test_payload_parcels(result, page):
    data = payload(page)
    p = data["parcels"]
    parcels = result.parcels
    assert p["n"] == len(parcels) == 12
    assert p["id"] == parcels["parcel_id"].tolist()
    assert p["area_mu"] == [round(a, 2) for a in parcels["area_mu"]]
    assert p["area_m2"] == [round(a, 2) for a in parcels["area_m2"]]
    assert p["height"][3] is None
    assert p["status"]["overall"] == "".join({"pass": "p", "fail": "f", "not_applicable": "n", "insufficient_data": "i"}[s] for s in parcels["status"])
    # families in catalogue order, one layer each
    assert p["families"] == ["split", "indicator", "facility", "efficiency"]
    assert data["colors"] == STATUS_COLORS


def test_payload_verdicts_only_what_the_popup_shows(result, page):
    data = payload(page)
    verdicts = data["verdicts"]
    rules = [(v["r"], v.get("sub")) for v in verdicts]
    assert ("indicator.far_max", None) in rules
    assert ("split.min_piece_area", "split_piece") in rules
    assert all(r != "split.max_pieces" for r, _ in rules)  # no parcel: not in any popup
    far = next(v for v in verdicts if v["r"] == "indicator.far_max")
    assert "p" not in far  # one per parcel, in parcel order: no index list
    assert far["l"] == 1.1 and far["u"] == "ratio"  # constant columns stored once
    assert far["v"] == [round(x, 4) for x in result.parcels["far"]]
    assert "explanation" not in json.dumps(verdicts)
    piece = next(v for v in verdicts if v["r"] == "split.min_piece_area")
    assert piece["p"] == [0, 0] and piece["sid"] == ["P1", "P2"] and piece["s"] == "fp"
    assert data["hasHeadroom"] is True
    assert data["ruleNames"]["indicator.far_max"] == "容积率上限"


def test_header_and_title(page):
    data = payload(page)
    h = data["header"]
    assert h["packId"] == "tiantai" and h["document"] == "天政发〔2022〕1号"
    assert h["asOf"] == "2023-06-30"
    assert h["counts"] == {"pass": 2, "fail": 4, "not_applicable": 3, "insufficient_data": 3}
    assert h["total"] == 12
    assert '<html lang="zh-CN">' in page
    assert re.search(r"<title>[^<]*tiantai 天政发〔2022〕1号</title>", page)


def test_labels_follow_lang(result):
    zh = payload(render(result))
    en = payload(render(result, lang="en"))
    assert zh["labels"]["status"] == {"pass": "通过", "fail": "不通过", "not_applicable": "不适用", "insufficient_data": "数据不足"}
    assert en["labels"]["status"] == {"pass": "pass", "fail": "fail", "not_applicable": "not applicable", "insufficient_data": "insufficient data"}
    assert zh["labels"]["families"]["indicator"] == "技术经济指标"
    assert en["ruleNames"]["indicator.far_max"] == "Maximum FAR"
    with pytest.raises(ValueError, match="language"):
        build_map(result, lang="fr")


def test_coordinates_close_and_shared_vertices_identical(result, page):
    data = payload(page)
    origin, scale = data["origin"], data["scale"]
    wgs = result.parcels.to_crs("EPSG:4326")
    back = gpd.GeoSeries([shapely.Polygon(decode(g, origin, scale)[0]) for g in data["parcels"]["geom"]], crs="EPSG:4326").to_crs("EPSG:4549")
    # 1e-6 degree rounding: every vertex within ~0.15 m of the original
    for orig, got in zip(result.parcels.geometry, back, strict=True):
        assert orig.hausdorff_distance(got) < 0.15
    # neighbours still share their corners exactly (no slivers or gaps)
    rings = [set(decode(g, origin, scale)[0]) for g in data["parcels"]["geom"]]
    assert len(rings[0] & rings[1]) == 2
    assert len(wgs) == len(rings)


def test_coverage_simplify_drops_noise_vertices():
    # a parcel edge with 50 tiny zigzags (< 5 cm) shared by two neighbours
    xs = np.linspace(0, 100, 52)
    zig = np.where(np.arange(52) % 2, 0.04, 0.0)
    zig[0] = zig[-1] = 0
    edge = list(zip(500_000 + xs, 3_280_000 + 50 + zig, strict=True))
    south = shapely.Polygon([(500_000, 3_280_000), (500_100, 3_280_000), *edge[::-1]])
    north = shapely.Polygon([*edge, (500_100, 3_280_100), (500_000, 3_280_100)])
    res = make_result()
    parcels = res.parcels.iloc[:2].copy()
    parcels["geometry"] = [south, north]
    res = CheckResult(verdicts=res.verdicts.iloc[:0], parcels=gpd.GeoDataFrame(parcels, crs="EPSG:4549"), pack=res.pack)
    data = payload(render(res))
    geoms = data["parcels"]["geom"]
    assert all(len(g[1]) // 2 < 10 for g in geoms)  # 54 vertices → a handful
    a, b = (set(decode(g, data["origin"], data["scale"])[0]) for g in geoms)
    assert len(a & b) >= 2  # the shared edge is still shared

    # overlapping parcels are no valid coverage: left as they are
    overlap = shapely.affinity.translate(south, 0, 10)
    parcels["geometry"] = [south, overlap]
    res2 = CheckResult(verdicts=res.verdicts, parcels=gpd.GeoDataFrame(parcels, crs="EPSG:4549"), pack=res.pack)
    geoms2 = payload(render(res2))["parcels"]["geom"]
    assert all(len(g[1]) // 2 == 54 for g in geoms2)  # 54 vertices kept


def test_multipolygons_holes_and_collections():
    res = make_result()
    parcels = res.parcels.iloc[:3].copy()
    shell = shapely.box(500_000, 3_280_000, 500_100, 3_280_100)
    holed = shell.difference(shapely.box(500_040, 3_280_040, 500_060, 3_280_060))
    island = shapely.box(500_200, 3_280_000, 500_220, 3_280_020)
    parcels["geometry"] = [
        shapely.MultiPolygon([holed, island]),
        shapely.GeometryCollection([shapely.box(500_300, 3_280_000, 500_350, 3_280_050), shapely.LineString([(0, 0), (1, 1)])]),
        shapely.Polygon(),
    ]
    res = CheckResult(verdicts=res.verdicts, parcels=gpd.GeoDataFrame(parcels, crs="EPSG:4549"), pack=res.pack)
    data = payload(render(res))
    multi, coll, empty = data["parcels"]["geom"]
    assert multi[0] == 6 and [len(part) for part in multi[1:]] == [2, 1]  # shell + hole, island
    assert coll[0] == 3 and len(coll[1]) == 8  # the polygon of the collection, 4 vertices
    assert empty is None
    rings = decode(multi, data["origin"], data["scale"])
    back = gpd.GeoSeries([shapely.Polygon(r) for r in rings], crs="EPSG:4326").to_crs("EPSG:4549")
    assert back.area.round(-1).tolist() == [10000.0, 400.0, 400.0]


def test_layers_present_and_issue_without_geometry_on_its_parcel(result, page):
    data = payload(page)
    layers = {spec["key"]: spec for spec in data["layers"]}
    assert list(layers) == ["zones", "split_pieces", "buildings", "issues"]
    assert layers["zones"]["name"] == "区域"
    assert layers["zones"]["vals"][layers["zones"]["cols"].index("类型")] == ["开发区/园区"]
    assert layers["buildings"]["vals"][layers["buildings"]["cols"].index("用途")][:2] == ["生产", "仓储"]
    assert layers["split_pieces"]["status"] == "fp"
    issues = layers["issues"]
    assert issues["name"] == "数据质量"
    assert all(g is not None for g in issues["geom"])  # the invalid-geometry finding sits on its parcel
    assert issues["geom"][2][0] == 1  # a point
    assert issues["parcel"] == [5, 7, -1]


def test_basemaps(result):
    assert payload(render(result))["tiles"] == []
    osm = payload(render(result, basemap="osm"))["tiles"]
    assert osm[0]["layers"][0]["url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tdt = payload(render(result, basemap="tianditu", tianditu_key="abc123"))["tiles"][0]["layers"]
    assert [("vec_w" in t["url"], "cva_w" in t["url"], "tk=abc123" in t["url"]) for t in tdt] == [(True, False, True), (False, True, True)]
    intranet = "http://10.1.2.3/tiles/{z}/{x}/{y}.png"
    assert payload(render(result, basemap=intranet))["tiles"][0]["layers"][0]["url"] == intranet
    with pytest.raises(ValueError, match="key"):
        build_map(result, basemap="tianditu")
    with pytest.raises(ValueError, match="basemap"):
        build_map(result, basemap="google")


def test_requires_crs_and_tolerates_sparse_results():
    res = make_result()
    bare = gpd.GeoDataFrame({"parcel_id": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(ValueError, match="CRS"):
        build_map(CheckResult(verdicts=pd.DataFrame(), parcels=bare))
    # no owner, no status columns, no verdicts, no pack, a null geometry
    sparse = gpd.GeoDataFrame({"parcel_id": ["a", "b"]}, geometry=[res.parcels.geometry.iloc[0], None], crs="EPSG:4549")
    data = payload(render(CheckResult(verdicts=pd.DataFrame(), parcels=sparse)))
    assert data["parcels"]["n"] == 2 and data["parcels"]["geom"][1] is None
    assert data["verdicts"] == [] and data["header"]["packId"] == ""
    # no parcels at all
    empty = gpd.GeoDataFrame({"parcel_id": []}, geometry=[], crs="EPSG:4549")
    assert payload(render(CheckResult(verdicts=pd.DataFrame(), parcels=empty)))["parcels"]["n"] == 0


def test_size_is_compact():
    from importlib import util

    spec = util.spec_from_file_location("bench_map", Path(__file__).parents[1] / "scripts" / "bench_map.py")
    bench = util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    page = render(bench.synthetic_result(2000))
    data_bytes = len(page.encode()) - len(render(bench.synthetic_result(1)).encode())
    # 2000 parcels with 12 verdicts each: well under 1 KB per parcel
    assert data_bytes / 2000 < 600, data_bytes / 2000
