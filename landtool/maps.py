"""The HTML map of a check: one self-contained, offline file officials open in a browser.

The page inlines Leaflet 1.9.3 from the XStatic-Leaflet package (no CDN; the page's own
script needs no jQuery), so it
opens on intranet PCs without internet access. Parcels are drawn on a canvas; the
data travel as one compact JSON document (delta-encoded integer micro-degree
coordinates, column-oriented attributes and verdicts) that a small inline script
turns into one layer per rule family, coloured by status in JavaScript.

Safety: user-supplied text (owners, ids, clauses …) never becomes HTML. It reaches
the page only inside the JSON document, with ``<``, ``>`` and ``&`` escaped as
``\\u003c`` …, and the script puts it on the page with ``textContent``. Nothing of the
data goes through a Jinja template either (folium re-compiles macro output as a
template, which would let ``{{ … }}`` in an owner's name run template code).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.template import Template

from landtool.labels import FAMILY_LABELS, RULE_NAMES, STATUS_COLORS, STATUS_LABELS
from landtool.policy import RULE_IDS
from landtool.result import STATUSES, family_of

__all__ = ["build_map", "write_map", "STATUS_COLORS"]

#: Fill/outline colour per status (the legend shows the same).
_NO_STATUS_COLOR = "#607d8b"
_STATUS_CODE = {"pass": "p", "fail": "f", "not_applicable": "n", "insufficient_data": "i"}

#: Display precision: 1e-6 degree ≈ 0.1 m.
_SCALE = 1_000_000
#: coverage_simplify tolerance in the projected CRS (metres).
_SIMPLIFY_M = 0.5

_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
_OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

# --------------------------------------------------------------------------- labels


_LAYER_LABELS = {
    "zh": {
        "zones": "区域",
        "buildings": "房屋",
        "facility_land": "配套用地范围",
        "split_pieces": "分割方案",
        "merge_groups": "合并方案",
        "fringe": "零星地块申请",
        "fringe_candidates": "零星地块候选",
        "issues": "数据质量",
        "compare": "政策对比（结论变化）",
    },
    "en": {
        "zones": "Zones",
        "buildings": "Buildings",
        "facility_land": "Facility land (areas)",
        "split_pieces": "Split plan",
        "merge_groups": "Merge plan",
        "fringe": "Fringe applications",
        "fringe_candidates": "Fringe candidates",
        "issues": "Data quality",
        "compare": "Policy comparison (changed verdicts)",
    },
}


_UI = {
    "zh": {
        "status": STATUS_LABELS["zh"],
        "status_col": "结论",
        "no_status": "无结论",
        "legend": "图例",
        "parcel": "宗地",
        "parcels": "宗地",
        "owner": "权利人",
        "area": "面积",
        "mu": "亩",
        "far": "容积率",
        "height": "建筑高度",
        "overall": "综合结论",
        "rule": "规则",
        "value": "实际值",
        "limit": "标准",
        "unit": "单位",
        "headroom": "余量",
        "clause": "条款",
        "verdicts": "核查结果",
        "no_verdicts": "无核查结果",
        "hsrc": {"attribute": "属性", "buildings": "房屋", "raster": "高度栅格"},
        "search": "宗地代码或权利人",
        "search_go": "查找",
        "no_match": "未找到",
        "check": "核查",
        "layer": "图层",
        "blank": "无底图",
        "basemap": "底图",
        "title": "腾笼换鸟、凤凰涅槃 工业用地核查图",
        "as_of": "检查日期",
        "pack": "政策包",
        "warnings": "提示",
        "open_parcel": "查看宗地",
        "yes": "是",
        "no": "否",
        "subject": {
            "split_piece": "分割块",
            "split_plan": "分割方案",
            "merge_group": "合并组",
            "fringe": "零星地块",
            "host": "宿主宗地",
        },
        "units": {
            "m2": "m²",
            "m": "米",
            "mu": "亩",
            "yuan": "元",
            "10k_yuan": "万元",
            "10k_yuan/mu": "万元/亩",
            "years": "年",
            "year": "年",
            "count": "个",
            "ratio": "",
            "share": "",
        },
        "cols": {
            "zone_id": "区域编号",
            "name": "名称",
            "zone_type": "类型",
            "height_max_m": "限高（米）",
            "building_id": "幢号",
            "parcel_id": "宗地代码",
            "floors": "层数",
            "height_m": "高度（米）",
            "gfa_m2": "建筑面积（m²）",
            "use": "用途",
            "is_new": "技改新增",
            "self_use": "自有自用",
            "facility_id": "配套用地编号",
            "area_m2": "面积（m²）",
            "area_mu": "面积（亩）",
            "piece_id": "分割块编号",
            "transferee_grade": "受让方等级",
            "group_id": "合并组编号",
            "parcel_ids": "宗地",
            "fringe_id": "零星地块编号",
            "host_parcel_id": "宿主宗地",
            "status": "结论",
            "issue": "问题",
            "kind": "类型",
            "type": "类型",
            "message": "说明",
            "detail": "说明",
            "reason": "原因",
            "layer": "图层",
            "feature_id": "要素编号",
            "severity": "级别",
        },
    },
    "en": {
        "status": STATUS_LABELS["en"],
        "status_col": "Status",
        "no_status": "no verdict",
        "legend": "Legend",
        "parcel": "Parcel",
        "parcels": "parcels",
        "owner": "Owner",
        "area": "Area",
        "mu": "mu",
        "far": "FAR",
        "height": "Height",
        "overall": "Overall",
        "rule": "Rule",
        "value": "Value",
        "limit": "Limit",
        "unit": "Unit",
        "headroom": "Headroom",
        "clause": "Clause",
        "verdicts": "Verdicts",
        "no_verdicts": "No verdicts",
        "hsrc": {"attribute": "attribute", "buildings": "buildings", "raster": "height raster"},
        "search": "Parcel id or owner",
        "search_go": "Find",
        "no_match": "no match",
        "check": "Check",
        "layer": "Layer",
        "blank": "No basemap",
        "basemap": "Basemap",
        "title": "Industrial land check (腾笼换鸟、凤凰涅槃)",
        "as_of": "as of",
        "pack": "Pack",
        "warnings": "Warnings",
        "open_parcel": "Show parcel",
        "yes": "yes",
        "no": "no",
        "subject": {
            "split_piece": "piece",
            "split_plan": "split plan",
            "merge_group": "merge group",
            "fringe": "fringe plot",
            "host": "host",
        },
        "units": {"m2": "m²", "10k_yuan": "10k yuan", "10k_yuan/mu": "10k yuan/mu", "ratio": "", "share": ""},
        "cols": {},
    },
}

_VALUE_LABELS = {
    "zh": {
        "zone_type": {
            "development_zone": "开发区/园区",
            "municipal_industrial_zone": "市级产业功能区",
            "control_line": "工业用地控制线",
            "non_industrial_plan": "规划调整为非工业",
            "expropriation_plan": "近期征收拆迁计划",
            "relocation_plan": "近期搬迁改造",
            "height_limit": "限高区",
        },
        "use": {"production": "生产", "storage": "仓储", "office": "行政办公", "living": "生活服务", "other": "其他"},
    },
    "en": {},
}

#: Columns shown in the popups of the extra layers, in order (when present).
_LAYER_COLUMNS = {
    "zones": ["zone_id", "name", "zone_type", "height_max_m"],
    "buildings": ["building_id", "parcel_id", "floors", "height_m", "gfa_m2", "use", "is_new", "self_use"],
    "facility_land": ["facility_id", "parcel_id", "area_m2", "area_mu"],
    "split_pieces": ["piece_id", "parcel_id", "area_m2", "area_mu", "transferee_grade", "status"],
    "merge_groups": ["group_id", "parcel_ids", "area_m2", "area_mu", "transferee_grade", "status"],
    "fringe": ["fringe_id", "host_parcel_id", "parcel_id", "area_m2", "area_mu", "status"],
    "fringe_candidates": ["fringe_id", "host_parcel_id", "parcel_id", "area_m2", "area_mu", "status"],
    "compare": ["parcel_id", "owner", "compared", "changes", "detail"],
}
_MAX_COLUMNS = 12

#: Extra layers in drawing order (bottom to top); others follow before ``issues``.
_LAYER_ORDER = ["zones", "facility_land", "split_pieces", "merge_groups", "fringe", "fringe_candidates", "buildings", "issues"]

_LAYER_STYLES = {
    "zones": {"color": "#6a3d9a", "weight": 1.5, "dashArray": "6 4", "fillOpacity": 0.05},
    "buildings": {"color": "#424242", "weight": 0.8, "fillColor": "#757575", "fillOpacity": 0.35},
    "facility_land": {"color": "#1565c0", "weight": 1, "fillColor": "#42a5f5", "fillOpacity": 0.35},
    "split_pieces": {"color": "#ef6c00", "weight": 1.5, "fillOpacity": 0.2},
    "merge_groups": {"color": "#00838f", "weight": 2, "fillOpacity": 0.15},
    "fringe": {"color": "#ad1457", "weight": 2, "fillOpacity": 0.25},
    "fringe_candidates": {"color": "#ad1457", "weight": 1.5, "dashArray": "4 3", "fillOpacity": 0.1},
    "issues": {"color": "#e65100", "weight": 2, "dashArray": "3 3", "fillColor": "#ffb74d", "fillOpacity": 0.2},
    "compare": {"color": "#4a148c", "weight": 2.5, "fillColor": "#ce93d8", "fillOpacity": 0.35},
}
_DEFAULT_STYLE = {"color": "#37474f", "weight": 1, "fillOpacity": 0.15}


# --------------------------------------------------------------------------- public API


def build_map(result, *, lang: str = "zh", basemap: str | None = None, tianditu_key: str | None = None) -> folium.Map:
    """The interactive map of ``result`` (a :class:`landtool.result.CheckResult`).

    Parameters
    ----------
    lang
        ``"zh"`` (default) or ``"en"``: labels, legend and popups.
    basemap
        None (default): no basemap, the page needs no network at all. ``"osm"``:
        OpenStreetMap tiles. ``"tianditu"``: Tianditu vector map and labels (needs
        ``tianditu_key``). Any ``http(s)://…{z}/{x}/{y}…`` template: an XYZ tile
        server, e.g. on the intranet.

    The map is self-contained: Leaflet is inlined, and the only
    network reference is the basemap's tile URL, if one was asked for.
    """
    if lang not in _UI:
        msg = f"unknown map language {lang!r}; use 'zh' or 'en'"
        raise ValueError(msg)
    tiles = _tile_config(basemap, tianditu_key, lang)

    parcels = result.parcels
    if parcels.crs is None:
        msg = "parcels have no CRS; cannot place them on the map"
        raise ValueError(msg)
    crs = parcels.crs

    # ---- geometries, simplified in the projected CRS, then to EPSG:4326
    parcel_geoms = _display_geoms(parcels.geometry, crs)
    extra = _extra_layers(result, parcels, crs)
    all_geoms = [parcel_geoms] + [g for _, _, g in extra]
    bounds = _bounds(all_geoms)
    if bounds is None:
        origin = (120_000_000, 29_000_000)
    else:
        origin = (int(math.floor(bounds[0] * 100)) * 10_000, int(math.floor(bounds[1] * 100)) * 10_000)

    payload = {
        "lang": lang,
        "origin": list(origin),
        "scale": _SCALE,
        "colors": STATUS_COLORS,
        "noColor": _NO_STATUS_COLOR,
        "labels": _ui_labels(lang),
        "tiles": tiles,
        "header": _header(result, lang),
        "parcels": _parcel_payload(parcels, parcel_geoms, origin, lang),
    }
    index = {pid: i for i, pid in enumerate(payload["parcels"]["id"])}
    payload["verdicts"], payload["ruleNames"], payload["hasHeadroom"] = _verdict_payload(result.verdicts, index, lang)
    payload["layers"] = [_layer_payload(name, gdf, geoms, origin, lang, index) for name, gdf, geoms in extra]

    fmap = folium.Map(
        location=[29.2, 120.5] if bounds is None else [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        zoom_start=7 if bounds is None else 12,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        attribution_control=bool(tiles),
        zoom_snap=0.25,
    )
    # No CDN: drop folium's default links (bootstrap, font-awesome, awesome-markers …)
    # for this instance; Leaflet is inlined by _LandtoolMap.
    fmap.default_js = []
    fmap.default_css = []
    figure = fmap.get_root()
    figure.title = html.escape(_page_title(result, lang))
    figure._template = Template(_page_template(lang))  # <html lang=…>: the browser picks CJK glyphs
    if bounds is not None:
        # room for the header (top) and the search box (left)
        fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], padding_top_left=(40, 100), padding_bottom_right=(40, 30))
    fmap.add_child(_LandtoolMap(payload), name="landtool")
    return fmap


def write_map(result, path, *, lang: str = "zh", basemap: str | None = None, tianditu_key: str | None = None) -> Path:
    """Build the map and write it to ``path`` atomically (temp file, then rename)."""
    path = Path(path)
    fmap = build_map(result, lang=lang, basemap=basemap, tianditu_key=tianditu_key)
    text = fmap.get_root().render()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------- page elements


def _page_template(lang: str) -> str:
    """branca's Figure template with a ``lang`` attribute."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n'
        "<head>\n"
        "{% if this.title %}<title>{{this.title}}</title>{% endif %}"
        "    {{this.header.render(**kwargs)}}\n"
        "</head>\n"
        "<body>\n"
        "    {{this.html.render(**kwargs)}}\n"
        "</body>\n"
        "<script>\n"
        "    {{this.script.render(**kwargs)}}\n"
        "</script>\n"
        "</html>\n"
    )


class _Raw(Element):
    """Literal text in the page: rendered as is, never compiled as a Jinja template."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _LandtoolMap(MacroElement):
    """Inline assets, the data document and the script that draws it."""

    def __init__(self, payload: dict):
        super().__init__()
        self._name = "LandtoolMap"
        self.payload = payload

    def render(self, **kwargs):
        figure = self.get_root()
        map_name = self._parent.get_name()
        data_id = f"landtool-data-{self._id}"
        figure.header.add_child(_Raw(_assets_html()), name="landtool_assets")
        figure.html.add_child(
            _Raw(f'<script type="application/json" id="{data_id}">{_script_json(self.payload)}</script>'),
            name="landtool_data",
        )
        script = _APP_JS.replace("__MAP__", map_name).replace("__DATA_ID__", data_id)
        figure.script.add_child(_Raw(script), name="landtool_script")


def _script_json(obj: Any) -> str:
    """JSON safe inside a <script> element: no ``</script>``, ``<!--`` breakout."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _inline_js(text: str) -> str:
    lines = [ln for ln in text.splitlines() if not ln.startswith("//# sourceMappingURL=")]
    text = "\n".join(lines)
    lowered = text.lower()
    if "</script" in lowered or "<!--" in lowered:  # pragma: no cover - vendored files are known
        text = text.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT").replace("<!--", "<\\!--")
    return text


@functools.lru_cache(maxsize=1)
def _assets_html() -> str:
    import xstatic.pkg.leaflet as xleaflet

    lroot = Path(xleaflet.BASE_DIR)
    css = (lroot / "leaflet.css").read_text(encoding="utf-8")
    images = {}
    for png in sorted((lroot / "images").glob("*.png")):
        uri = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
        images[png.name] = uri
        css = css.replace(f"url(images/{png.name})", f'url("{uri}")')
    leaflet_js = _inline_js((lroot / "leaflet.js").read_text(encoding="utf-8"))
    icons = json.dumps(
        {
            "iconUrl": images.get("marker-icon.png", ""),
            "iconRetinaUrl": images.get("marker-icon-2x.png", ""),
            "shadowUrl": images.get("marker-shadow.png", ""),
        }
    )
    return (
        f"<style>{css}</style>\n<style>{_APP_CSS}</style>\n"
        f"<script>{leaflet_js}</script>\n"
        f"<script>L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({icons});</script>\n"
    )


def _tile_config(basemap: str | None, key: str | None, lang: str) -> list[dict]:
    """Base layers for the page: [] (no basemap) or [{name, layers: [{url, opts}]}]."""
    if basemap is None or basemap == "" or basemap == "none":
        return []
    name = _UI[lang]["basemap"]
    if basemap == "osm":
        return [{"name": "OpenStreetMap", "layers": [{"url": _OSM, "opts": {"attribution": "© OpenStreetMap contributors", "maxNativeZoom": 19}}]}]
    if basemap == "tianditu":
        if not key:
            msg = "the tianditu basemap needs a key (tianditu_key=…)"
            raise ValueError(msg)
        opts = {"subdomains": "01234567", "maxNativeZoom": 18, "attribution": "天地图 Tianditu"}
        return [
            {
                "name": "天地图" if lang == "zh" else "Tianditu",
                "layers": [
                    {"url": _TIANDITU.replace("{layer}", "vec").replace("{key}", key), "opts": opts},
                    {"url": _TIANDITU.replace("{layer}", "cva").replace("{key}", key), "opts": opts},
                ],
            }
        ]
    if basemap.startswith(("http://", "https://")):
        return [{"name": name, "layers": [{"url": basemap, "opts": {"maxNativeZoom": 18}}]}]
    msg = f"unknown basemap {basemap!r}; use 'osm', 'tianditu' or an http(s) XYZ tile URL template"
    raise ValueError(msg)


def _page_title(result, lang: str) -> str:
    pack = getattr(result, "pack", None)
    parts = [_UI[lang]["title"]]
    if pack is not None:
        parts.append(f"{getattr(pack, 'id', '')} {getattr(pack, 'document', '')}".strip())
    return " · ".join(p for p in parts if p)


def _header(result, lang: str) -> dict:
    pack = getattr(result, "pack", None)
    title = ""
    if pack is not None:
        titles = getattr(pack, "title", None) or {}
        if isinstance(titles, dict):
            title = titles.get(lang) or titles.get("zh") or ""
        else:
            title = str(titles)
    as_of = getattr(result, "as_of", None)
    if isinstance(as_of, (dt.date, dt.datetime, pd.Timestamp)):
        as_of = as_of.isoformat()[:10]
    counts = {s: 0 for s in STATUSES}
    if "status" in result.parcels.columns:
        vc = result.parcels["status"].value_counts()
        for s in STATUSES:
            counts[s] = int(vc.get(s, 0))
    return {
        "packId": "" if pack is None else str(getattr(pack, "id", "") or ""),
        "document": "" if pack is None else str(getattr(pack, "document", "") or ""),
        "packTitle": str(title or ""),
        "asOf": "" if as_of is None else str(as_of),
        "total": len(result.parcels),
        "counts": counts,
        "warnings": [str(w) for w in (getattr(result, "warnings", None) or [])][:50],
    }


def _ui_labels(lang: str) -> dict:
    labels = dict(_UI[lang])
    labels["families"] = FAMILY_LABELS[lang]
    labels["layerNames"] = _LAYER_LABELS[lang]
    return labels


# --------------------------------------------------------------------------- geometry


def _display_geoms(geoseries: gpd.GeoSeries, crs) -> np.ndarray:
    """Simplify (coverage-preserving) in the projected CRS, then reproject to EPSG:4326."""
    geoms = np.asarray(geoseries.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = np.full(len(geoms), None, dtype=object)
    if not present.any():
        return out
    work = geoms[present]
    collections = np.flatnonzero(shapely.get_type_id(work) == 7)
    if len(collections):  # keep the polygonal parts of a GeometryCollection
        work = work.copy()
        for k in collections.tolist():
            polys = [g for g in shapely.get_parts(work[k]) if shapely.get_type_id(g) in (3, 6)]
            if polys:
                work[k] = shapely.unary_union(polys)
    if crs is not None and crs.is_projected:
        polygonal = np.isin(shapely.get_type_id(work), (3, 6)).all()
        if polygonal:
            work = _coverage_simplify(work)
    series = gpd.GeoSeries(work, crs=crs)
    if crs is not None and not crs.equals("EPSG:4326"):
        series = series.to_crs("EPSG:4326")
    out[present] = np.asarray(series.values, dtype=object)
    return out


def _coverage_simplify(geoms: np.ndarray) -> np.ndarray:
    """coverage_simplify at ~0.5 m keeps shared edges shared; invalid coverages stay as they are."""
    try:
        if not bool(shapely.is_valid(geoms).all()) or not bool(shapely.coverage_is_valid(geoms)):
            return geoms
        simplified = shapely.coverage_simplify(geoms, _SIMPLIFY_M)
    except (shapely.errors.GEOSException, ValueError, AttributeError):
        return geoms
    if len(simplified) != len(geoms) or shapely.is_empty(simplified).any():
        return geoms
    return simplified


def _bounds(geom_arrays: list[np.ndarray]) -> tuple[float, float, float, float] | None:
    boxes = []
    for geoms in geom_arrays:
        present = [g for g in geoms if g is not None and not g.is_empty]
        if present:
            boxes.append(shapely.total_bounds(np.asarray(present, dtype=object)))
    if not boxes:
        return None
    b = np.asarray(boxes)
    return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))


def _encode_geoms(geoms: np.ndarray, origin: tuple[int, int]) -> list:
    """Compact geometry: integer micro-degrees relative to ``origin``, delta-coded per ring.

    Polygon → ``[3, ring, …]``, MultiPolygon → ``[6, [ring, …], …]``, Point →
    ``[1, [x, y]]``, LineString → ``[2, ring]``, MultiPoint → ``[4, ring]``,
    MultiLineString → ``[5, ring, …]``, collection → ``[7, geom, …]``, missing → null.
    A ring is ``[x0, y0, dx1, dy1, …]`` without the closing vertex.
    """
    out: list = [None] * len(geoms)
    geoms = np.asarray(geoms, dtype=object)
    types = np.where(shapely.is_empty(geoms), -1, shapely.get_type_id(geoms))
    poly_idx = np.flatnonzero(np.isin(types, (3, 6)))
    if len(poly_idx):
        _encode_polygons(geoms, poly_idx, types, origin, out)
    for i in np.flatnonzero(~np.isin(types, (-1, 3, 6))):
        out[i] = _encode_one(geoms[i], origin)
    return out


def _quantize(xy: np.ndarray, origin: tuple[int, int]) -> np.ndarray:
    q = np.rint(xy * _SCALE).astype(np.int64)
    q[:, 0] -= origin[0]
    q[:, 1] -= origin[1]
    return q


def _delta_ring(q: np.ndarray) -> list[int]:
    d = q.copy()
    d[1:] -= q[:-1]
    return d.ravel().tolist()


def _encode_polygons(geoms, poly_idx, types, origin, out) -> None:
    sel = np.asarray(geoms[poly_idx], dtype=object)
    parts, part_geom = shapely.get_parts(sel, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, coord_ring = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(coord_ring, minlength=len(rings))
    ends = np.cumsum(counts)
    starts = ends - counts
    keep = np.ones(len(xy), dtype=bool)
    keep[ends[counts > 0] - 1] = False  # drop each ring's closing vertex
    q = _quantize(xy, origin)
    d = q.copy()
    d[1:] -= q[:-1]
    # each ring starts from the origin, not from the previous ring
    first = starts[counts > 0]
    d[first] = q[first]
    flat = d[keep].ravel().tolist()
    kept_counts = np.maximum(counts - 1, 0)
    kept_ends = np.cumsum(kept_counts) * 2
    kept_starts = kept_ends - kept_counts * 2
    ring_lists = [flat[a:b] for a, b in zip(kept_starts.tolist(), kept_ends.tolist(), strict=True)]
    # group rings into parts, parts into geometries
    part_rings: list[list] = [[] for _ in range(len(parts))]
    for r, p in zip(ring_lists, ring_part.tolist(), strict=True):
        part_rings[p].append(r)
    geom_parts: list[list] = [[] for _ in range(len(sel))]
    for rs, g in zip(part_rings, part_geom.tolist(), strict=True):
        geom_parts[g].append(rs)
    for k, gi in enumerate(poly_idx.tolist()):
        ps = geom_parts[k]
        if not ps:
            continue
        if types[gi] == 3:
            out[gi] = [3, *ps[0]]
        else:
            out[gi] = [6, *ps]


def _encode_one(geom, origin):
    if geom is None or geom.is_empty:
        return None
    t = shapely.get_type_id(geom)
    if t == 0:  # Point
        return [1, _delta_ring(_quantize(shapely.get_coordinates(geom), origin))]
    if t in (1, 2):  # LineString, LinearRing
        return [2, _delta_ring(_quantize(shapely.get_coordinates(geom), origin))]
    if t == 4:  # MultiPoint
        return [4, _delta_ring(_quantize(shapely.get_coordinates(geom), origin))]
    if t == 5:  # MultiLineString
        return [5, *[_delta_ring(_quantize(shapely.get_coordinates(p), origin)) for p in geom.geoms]]
    if t in (3, 6):
        tmp: list = [None]
        _encode_polygons(np.array([geom], dtype=object), np.array([0]), np.array([t]), origin, tmp)
        return tmp[0]
    if t == 7:
        parts = [_encode_one(p, origin) for p in geom.geoms]
        return [7, *[p for p in parts if p is not None]]
    return None


# --------------------------------------------------------------------------- attributes


def _num(x: Any, decimals: int | None = None) -> Any:
    """A JSON-ready number (None for missing), rounded for display."""
    if x is None or isinstance(x, bool):
        return x
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    if decimals is None:
        decimals = 2 if abs(f) >= 100 else 4
    f = round(f, decimals)
    if f.is_integer() and abs(f) < 1e15:
        return int(f)
    return f


def _value(x: Any, lang: str) -> Any:
    """A verdict value / limit / attribute for display: number, text or None."""
    if x is None:
        return None
    if isinstance(x, (bool, np.bool_)):
        return _UI[lang]["yes"] if x else _UI[lang]["no"]
    if isinstance(x, (int, float, np.integer, np.floating)):
        return _num(x)
    if isinstance(x, (dt.date, dt.datetime, pd.Timestamp)):
        return None if pd.isna(x) else x.isoformat()[:10]
    if isinstance(x, (list, tuple, set, np.ndarray)):
        return ", ".join(str(_value(v, lang)) for v in x)
    try:
        if pd.isna(x):
            return None
    except (TypeError, ValueError):
        pass
    return str(x)


def _column(values: list) -> Any:
    """One value when all are equal, else the list."""
    if values and all(v == values[0] and type(v) is type(values[0]) for v in values):
        return values[0]
    return values


def _num_list(values: np.ndarray, decimals: int | None = None) -> list:
    """Vectorised :func:`_num`: rounded numbers, integers as int, missing as None."""
    a = np.asarray(values, dtype=float)
    if decimals is None:
        r = np.where(np.abs(a) >= 100, np.round(a, 2), np.round(a, 4))
    else:
        r = np.round(a, decimals)
    finite = np.isfinite(r)
    whole = finite & (np.abs(r) < 1e15)
    whole[whole] = r[whole] == np.floor(r[whole])
    out = r.tolist()
    if not finite.all() or whole.any():
        for k in np.flatnonzero(~finite | whole).tolist():
            out[k] = int(out[k]) if whole[k] else None
    return out


def _values(series: pd.Series, lang: str) -> Any:
    """:func:`_value` over a column, vectorised for numbers; one value when all are equal."""
    if len(series) == 0:
        return []
    if pd.api.types.is_bool_dtype(series.dtype):
        return _column([_value(bool(x), lang) for x in series.tolist()])
    if pd.api.types.is_numeric_dtype(series.dtype):
        return _column(_num_list(series.to_numpy(dtype=float, na_value=np.nan)))
    first = series.iloc[0]
    if not isinstance(first, (list, tuple, set, np.ndarray)) and (series == first).all():
        return _value(first, lang)
    numeric = pd.to_numeric(series, errors="coerce")
    notna = series.notna()
    is_bool = series.map(lambda x: isinstance(x, (bool, np.bool_)))
    if (numeric.notna() == notna).all() and not is_bool.any():
        return _column(_num_list(numeric.to_numpy(dtype=float, na_value=np.nan)))
    return _column([_value(x, lang) for x in series.tolist()])


def _status_codes(series: pd.Series) -> str:
    return "".join(series.map(_STATUS_CODE).fillna("-").astype(str).tolist())


def _text_list(series: pd.Series) -> list:
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v) for v in series.tolist()]


def _parcel_payload(parcels: gpd.GeoDataFrame, geoms: np.ndarray, origin, lang: str) -> dict:
    n = len(parcels)

    def col(name):
        return parcels[name] if name in parcels.columns else pd.Series([None] * n, index=parcels.index, dtype=object)

    ids = [str(v) for v in col("parcel_id").tolist()] if "parcel_id" in parcels.columns else [str(i) for i in range(n)]
    owners = col("owner")
    codes, uniques = pd.factorize(owners.map(lambda v: None if pd.isna(v) else str(v)), use_na_sentinel=True)
    area_m2 = col("area_m2") if "area_m2" in parcels.columns else pd.Series(parcels.geometry.area, index=parcels.index)
    area_mu = col("area_mu") if "area_mu" in parcels.columns else area_m2 / (10000 / 15)
    status = {"overall": _status_codes(col("status"))}
    families = [c[len("status_"):] for c in parcels.columns if c.startswith("status_")]
    families.sort(key=_family_sort_key)
    for fam in families:
        status[fam] = _status_codes(parcels[f"status_{fam}"])
    hsrc = col("height_source")
    return {
        "n": n,
        "id": ids,
        "owners": [str(u) for u in uniques],
        "owner": codes.tolist(),
        "area_m2": [_num(v, 2) for v in pd.to_numeric(area_m2, errors="coerce").tolist()],
        "area_mu": [_num(v, 2) for v in pd.to_numeric(area_mu, errors="coerce").tolist()],
        "far": [_num(v, 2) for v in pd.to_numeric(col("far"), errors="coerce").tolist()],
        "height": [_num(v, 2) for v in pd.to_numeric(col("height_m"), errors="coerce").tolist()],
        "hsrc": _text_list(hsrc),
        "families": families,
        "status": status,
        "geom": _encode_geoms(geoms, origin),
    }


def _family_sort_key(fam: str) -> tuple[int, str]:
    order = list(dict.fromkeys(family_of(r) for r in RULE_IDS))
    return (order.index(fam) if fam in order else len(order), fam)


def _verdict_payload(verdicts: pd.DataFrame | None, index: dict[str, int], lang: str) -> tuple[list, dict, bool]:
    """Verdicts grouped by (rule, subject), column-oriented, only what the popup shows."""
    if verdicts is None or len(verdicts) == 0 or "parcel_id" not in verdicts.columns or "rule" not in verdicts.columns:
        return [], {}, False
    v = verdicts.copy()
    pid = v["parcel_id"]
    v["_p"] = pid.where(pid.isna(), pid.astype(str)).map(index)
    v = v[v["_p"].notna()]
    if v.empty:
        return [], {}, False
    v["_p"] = v["_p"].astype(np.int64)
    if "subject" not in v.columns:
        v["subject"] = "parcel"
    v["subject"] = v["subject"].fillna("parcel").astype(str)
    has_headroom = "headroom" in v.columns and v["headroom"].notna().any()
    catalogue = {r: k for k, r in enumerate(RULE_IDS)}
    v["_order"] = v["rule"].map(catalogue).fillna(len(catalogue))
    v = v.sort_values(["_order", "rule", "subject", "_p"], kind="stable")
    n = len(index)
    out = []
    names = {}
    for (rule, subject), g in v.groupby(["rule", "subject"], sort=False):
        rule = str(rule)
        names[rule] = RULE_NAMES[lang].get(rule, rule)
        p = g["_p"].to_numpy()
        entry: dict[str, Any] = {"r": rule}
        if subject != "parcel":
            entry["sub"] = subject
            entry["sid"] = _values(g["subject_id"], lang) if "subject_id" in g.columns else None
        if not (len(p) == n and np.array_equal(p, np.arange(n))):
            entry["p"] = p.tolist()
        entry["s"] = _status_codes(g["status"]) if "status" in g.columns else "-" * len(g)
        for key, name in (("v", "value"), ("l", "limit"), ("u", "unit"), ("c", "clause")):
            if name in g.columns:
                entry[key] = _values(g[name], lang)
        if has_headroom:
            entry["h"] = _values(g["headroom"], lang)
        out.append(entry)
    return out, names, bool(has_headroom)


# --------------------------------------------------------------------------- extra layers


def _extra_layers(result, parcels: gpd.GeoDataFrame, crs) -> list[tuple[str, gpd.GeoDataFrame, np.ndarray]]:
    layers = dict(getattr(result, "layers", None) or {})
    names = [n for n in _LAYER_ORDER if n in layers]
    others = [n for n in layers if n not in _LAYER_ORDER]
    if "issues" in names:
        names = [n for n in names if n != "issues"] + others + ["issues"]
    else:
        names += others
    out = []
    for name in names:
        gdf = layers[name]
        if not isinstance(gdf, gpd.GeoDataFrame) or len(gdf) == 0:
            continue
        try:
            gdf.geometry  # noqa: B018 - raises when there is no active geometry
        except AttributeError:
            continue
        layer_crs = gdf.crs or crs
        geoseries = gdf.geometry
        if name == "issues" and "parcel_id" in gdf.columns and "parcel_id" in parcels.columns:
            # a finding without geometry is shown on its parcel
            missing = geoseries.isna() | geoseries.is_empty
            if missing.any():
                pgeom = parcels.geometry if parcels.crs == layer_crs else parcels.geometry.to_crs(layer_crs)
                lookup = pd.Series(pgeom.values, index=parcels["parcel_id"].astype(str).values)
                lookup = lookup[~lookup.index.duplicated()]
                geoseries = geoseries.copy()
                geoseries.loc[missing] = gdf.loc[missing, "parcel_id"].astype(str).map(lookup).values
        if name == "issues":
            geoms = _display_geoms_plain(geoseries, layer_crs)
        else:
            geoms = _display_geoms(geoseries, layer_crs)
        out.append((name, gdf, geoms))
    return out


def _display_geoms_plain(geoseries: gpd.GeoSeries, crs) -> np.ndarray:
    geoms = np.asarray(geoseries.values, dtype=object)
    present = np.array([g is not None and not (isinstance(g, float)) and not g.is_empty for g in geoms], dtype=bool)
    out = np.full(len(geoms), None, dtype=object)
    if present.any():
        series = gpd.GeoSeries(list(geoms[present]), crs=crs)
        if crs is not None and not series.crs.equals("EPSG:4326"):
            series = series.to_crs("EPSG:4326")
        out[present] = np.asarray(series.values, dtype=object)
    return out


def _layer_payload(name: str, gdf: gpd.GeoDataFrame, geoms: np.ndarray, origin, lang: str, index: dict[str, int]) -> dict:
    geom_col = gdf.geometry.name
    available = [c for c in gdf.columns if c != geom_col]
    wanted = _LAYER_COLUMNS.get(name)
    if wanted:
        cols = [c for c in wanted if c in available]
        cols += [c for c in available if c.startswith("status_") and c not in cols]
        if not cols:
            cols = available[:_MAX_COLUMNS]
    else:
        cols = available[:_MAX_COLUMNS]
    cols = cols[:_MAX_COLUMNS]
    value_labels = _VALUE_LABELS.get(lang, {})
    values = []
    for c in cols:
        series = gdf[c]
        if c == "status" or c.startswith("status_"):
            vals = [_UI[lang]["status"].get(str(x), _value(x, lang)) for x in series.tolist()]
        elif c in value_labels:
            vals = [value_labels[c].get(str(x), _value(x, lang)) for x in series.tolist()]
        elif c in ("area_m2", "area_mu"):
            vals = [_num(x, 2) for x in pd.to_numeric(series, errors="coerce").tolist()]
        else:
            vals = [_value(x, lang) for x in series.tolist()]
        values.append(vals)
    cols_labels = _UI[lang]["cols"]
    entry: dict[str, Any] = {
        "key": name,
        "name": _LAYER_LABELS[lang].get(name, name),
        "cols": [cols_labels.get(c, c) for c in cols],
        "vals": values,
        "style": _LAYER_STYLES.get(name, _DEFAULT_STYLE),
        "geom": _encode_geoms(geoms, origin),
    }
    if "status" in gdf.columns:
        entry["status"] = _status_codes(gdf["status"])
    if "parcel_id" in gdf.columns:
        entry["parcel"] = [index.get(str(x), -1) if not pd.isna(x) else -1 for x in gdf["parcel_id"].tolist()]
    return entry


# --------------------------------------------------------------------------- CSS and JS

_APP_CSS = """
html, body { font-family: "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC",
  "Source Han Sans SC", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif; }
.leaflet-container { background: #f4f4f0; font-family: inherit; }
.lt-header { position: absolute; top: 8px; left: 50%; transform: translateX(-50%); z-index: 1000;
  background: rgba(255,255,255,.94); border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,.3);
  padding: 6px 14px; text-align: center; max-width: 60%; font-size: 13px; line-height: 1.5; }
.lt-header .lt-h1 { font-size: 15px; font-weight: bold; }
.lt-header .lt-sub { color: #444; }
.lt-chip { display: inline-block; margin: 0 4px; white-space: nowrap; }
.lt-sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px;
  margin-right: 4px; border: 1px solid rgba(0,0,0,.25); }
.lt-legend, .lt-search { background: rgba(255,255,255,.95); padding: 6px 10px; border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0,0,0,.3); font-size: 13px; line-height: 1.6; }
.lt-legend .lt-lt { font-weight: bold; margin-bottom: 2px; }
.lt-search input { width: 180px; font-size: 13px; padding: 2px 4px; }
.lt-search button { font-size: 13px; margin-left: 4px; }
.lt-search .lt-info { color: #555; margin-left: 6px; }
.lt-popup { font-size: 13px; }
.lt-popup .lt-pt { font-weight: bold; font-size: 14px; margin-bottom: 4px; }
.lt-popup table { border-collapse: collapse; }
.lt-popup td, .lt-popup th { border-bottom: 1px solid #e4e4e4; padding: 2px 6px; text-align: left;
  vertical-align: top; }
.lt-popup th { background: #f3f3f3; white-space: nowrap; }
.lt-popup .lt-attr td:first-child { color: #555; white-space: nowrap; }
.lt-popup .lt-vt { margin-top: 6px; }
.lt-popup .lt-rid { color: #888; font-size: 11px; }
.lt-popup .lt-st { white-space: nowrap; font-weight: bold; }
.lt-popup .lt-num { text-align: right; white-space: nowrap; }
.lt-popup button { margin-top: 4px; }
.lt-warn { color: #8a5300; font-size: 12px; }
.leaflet-control-layers-overlays label { white-space: nowrap; }
"""

_APP_JS = r"""
(function () {
  "use strict";
  var map = __MAP__;
  var T0 = performance.now();
  var D = JSON.parse(document.getElementById("__DATA_ID__").textContent);
  var LT = window.landtool = {map: map, data: D, layers: {}, timing: {script: T0, parsed: performance.now()},
                              parcelsDrawn: 0, ready: false};
  var S = D.labels, C = D.colors, P = D.parcels, OX = D.origin[0], OY = D.origin[1], K = D.scale;
  var CODE = {p: "pass", f: "fail", n: "not_applicable", i: "insufficient_data"};
  var renderer = L.canvas({padding: 0.5, tolerance: 3});
  map.setMaxZoom(22);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function colorOf(code) { return C[CODE[code]] || D.noColor; }
  function statusText(code) { var s = CODE[code]; return s ? S.status[s] : S.no_status; }
  function fixed(x, d) { return (x === null || x === undefined) ? "—" : Number(x).toFixed(d); }
  function show(x) {
    if (x === null || x === undefined || x === "") return "—";
    return String(x);
  }
  function col(c, k) { return Array.isArray(c) ? c[k] : c; }
  function unitText(u) {
    if (u === null || u === undefined) return "";
    return Object.prototype.hasOwnProperty.call(S.units, u) ? S.units[u] : String(u);
  }

  // ---- geometry: delta-coded integer micro-degrees -> LatLng
  function ring(a) {
    var out = new Array(a.length / 2), x = 0, y = 0;
    for (var k = 0, j = 0; k < a.length; k += 2, j++) {
      x += a[k]; y += a[k + 1];
      out[j] = L.latLng((OY + y) / K, (OX + x) / K);
    }
    return out;
  }
  function polyLatLngs(g) {
    if (!g) return null;
    if (g[0] === 3) return g.slice(1).map(ring);
    if (g[0] === 6) return g.slice(1).map(function (p) { return p.map(ring); });
    return null;
  }
  function toLayers(g, opts, out) {
    if (!g) return out;
    var t = g[0], k;
    if (t === 3 || t === 6) out.push(L.polygon(polyLatLngs(g), opts));
    else if (t === 2) out.push(L.polyline(ring(g[1]), opts));
    else if (t === 5) out.push(L.polyline(g.slice(1).map(ring), opts));
    else if (t === 1 || t === 4) {
      var pts = ring(g[1]);
      for (k = 0; k < pts.length; k++) out.push(L.circleMarker(pts[k], L.extend({radius: 6}, opts)));
    } else if (t === 7) for (k = 1; k < g.length; k++) toLayers(g[k], opts, out);
    return out;
  }
  var PLL = new Array(P.n);
  function parcelLL(i) {
    if (PLL[i] === undefined) PLL[i] = polyLatLngs(P.geom[i]);
    return PLL[i];
  }
  function flatLL(ll, out) {
    out = out || [];
    for (var k = 0; k < ll.length; k++) {
      if (Array.isArray(ll[k])) flatLL(ll[k], out); else out.push(ll[k]);
    }
    return out;
  }

  // ---- verdict lookup: entry -> positions for parcel i
  function positions(V, i) {
    if (!V.p) return (i < P.n) ? [i] : [];
    if (!V._idx) {
      V._idx = {};
      for (var k = 0; k < V.p.length; k++) (V._idx[V.p[k]] = V._idx[V.p[k]] || []).push(k);
    }
    return V._idx[i] || [];
  }

  function attrRow(t, label, value) {
    var tr = el("tr"); tr.appendChild(el("td", null, label)); tr.appendChild(el("td", null, value)); t.appendChild(tr);
    return tr;
  }
  function statusCell(code) {
    var td = el("td", "lt-st");
    var sw = el("span", "lt-sw"); sw.style.background = colorOf(code);
    td.appendChild(sw); td.appendChild(document.createTextNode(statusText(code)));
    td.style.color = code === "f" ? C.fail : "";
    return td;
  }

  function parcelPopup(i) {
    var box = el("div", "lt-popup");
    box.setAttribute("data-parcel-index", String(i));
    box.appendChild(el("div", "lt-pt", S.parcel + " " + P.id[i]));
    var t = el("table", "lt-attr");
    var o = P.owner[i];
    attrRow(t, S.owner, o >= 0 ? P.owners[o] : "—");
    attrRow(t, S.area, fixed(P.area_m2[i], 2) + " m²（" + fixed(P.area_mu[i], 2) + " " + S.mu + "）")
      .setAttribute("data-field", "area");
    attrRow(t, S.far, fixed(P.far[i], 2));
    var hs = P.hsrc[i];
    attrRow(t, S.height, (P.height[i] === null ? "—" : fixed(P.height[i], 2) + " m") +
      (hs ? "（" + (S.hsrc[hs] || hs) + "）" : ""));
    var tr = el("tr"); tr.appendChild(el("td", null, S.overall)); tr.appendChild(statusCell(P.status.overall.charAt(i)));
    t.appendChild(tr);
    box.appendChild(t);

    var vt = el("table", "lt-vt"), head = el("tr");
    var cols = [S.rule, S.status_col, S.value, S.limit, S.unit];
    if (D.hasHeadroom) cols.push(S.headroom);
    cols.push(S.clause);
    cols.forEach(function (c) { head.appendChild(el("th", null, c)); });
    vt.appendChild(head);
    var rows = 0;
    D.verdicts.forEach(function (V) {
      positions(V, i).forEach(function (k) {
        var r = el("tr"), rc = el("td");
        rc.appendChild(el("div", null, D.ruleNames[V.r] || V.r));
        var rid = V.r;
        if (V.sub) rid += " · " + (S.subject[V.sub] || V.sub) + " " + show(col(V.sid, k));
        rc.appendChild(el("div", "lt-rid", rid));
        r.appendChild(rc);
        r.appendChild(statusCell(V.s.charAt(k)));
        r.appendChild(el("td", "lt-num", show(col(V.v, k))));
        r.appendChild(el("td", "lt-num", show(col(V.l, k))));
        r.appendChild(el("td", null, unitText(col(V.u, k))));
        if (D.hasHeadroom) r.appendChild(el("td", "lt-num", show(col(V.h, k))));
        r.appendChild(el("td", null, show(col(V.c, k))));
        r.setAttribute("data-rule", V.r);
        vt.appendChild(r); rows++;
      });
    });
    if (rows) box.appendChild(vt); else box.appendChild(el("div", "lt-vt", S.no_verdicts));
    return box;
  }

  var highlight = null;
  function openParcel(i, latlng) {
    var ll = parcelLL(i);
    if (highlight) { map.removeLayer(highlight); highlight = null; }
    if (ll) highlight = L.polygon(ll, {renderer: renderer, interactive: false, fill: false, color: "#1565c0", weight: 3}).addTo(map);
    if (!latlng) latlng = ll ? L.latLngBounds(flatLL(ll)).getCenter() : map.getCenter();
    LT.popup = L.popup({maxWidth: 780, minWidth: 300, maxHeight: 420, autoPanPaddingTopLeft: [30, 130], autoPanPaddingBottomRight: [30, 30]})
      .setLatLng(latlng).setContent(parcelPopup(i)).openOn(map);
  }
  map.on("popupclose", function () { if (highlight) { map.removeLayer(highlight); highlight = null; } });

  // ---- parcel layers: one per family, styled from the status codes
  function parcelLayer(fam) {
    var group = L.featureGroup(), codes = P.status[fam];
    group.lt_count = 0;
    group.lt_fill = function () {
      if (group.lt_filled) return;
      group.lt_filled = true;
      var styles = {};
      for (var i = 0; i < P.n; i++) {
        var ll = parcelLL(i);
        if (!ll) continue;
        var code = codes.charAt(i), st = styles[code];
        if (!st) {
          var c = colorOf(code);
          st = styles[code] = {renderer: renderer, color: c, weight: 1, opacity: 0.9, fillColor: c, fillOpacity: 0.35};
        }
        var poly = L.polygon(ll, st);
        poly.lt_i = i;
        group.addLayer(poly);
        group.lt_count++;
      }
    };
    group.on("add", group.lt_fill);
    group.on("click", function (e) { openParcel(e.layer.lt_i, e.latlng); });
    return group;
  }

  function layerPopup(spec, k) {
    var box = el("div", "lt-popup");
    box.appendChild(el("div", "lt-pt", spec.name));
    var t = el("table", "lt-attr");
    spec.cols.forEach(function (c, j) { attrRow(t, c, show(spec.vals[j][k])); });
    box.appendChild(t);
    if (spec.parcel && spec.parcel[k] >= 0) {
      var b = el("button", null, S.open_parcel + " " + P.id[spec.parcel[k]]);
      b.addEventListener("click", function () { openParcel(spec.parcel[k]); });
      box.appendChild(b);
    }
    return box;
  }
  function extraLayer(spec) {
    var group = L.featureGroup();
    group.lt_count = 0;
    group.lt_fill = function () {
      if (group.lt_filled) return;
      group.lt_filled = true;
      for (var k = 0; k < spec.geom.length; k++) {
        var opts = L.extend({renderer: renderer}, spec.style);
        if (spec.status) { var c = colorOf(spec.status.charAt(k)); opts.color = c; opts.fillColor = c; }
        var parts = toLayers(spec.geom[k], opts, []);
        for (var j = 0; j < parts.length; j++) { parts[j].lt_k = k; group.addLayer(parts[j]); }
        if (parts.length) group.lt_count++;
      }
    };
    group.on("add", group.lt_fill);
    group.on("click", function (e) {
      L.popup({maxWidth: 480, maxHeight: 400, autoPanPaddingTopLeft: [30, 130]}).setLatLng(e.latlng).setContent(layerPopup(spec, e.layer.lt_k)).openOn(map);
    });
    return group;
  }

  // ---- base layers
  var bases = {}, firstBase = null;
  (D.tiles || []).forEach(function (b) {
    var parts = b.layers.map(function (t) { return L.tileLayer(t.url, L.extend({maxZoom: 22}, t.opts)); });
    var layer = parts.length === 1 ? parts[0] : L.layerGroup(parts);
    bases[esc(b.name)] = layer;
    if (!firstBase) firstBase = layer;
  });
  if (firstBase) {
    bases[esc(S.blank)] = L.layerGroup();
    firstBase.addTo(map);
    if (map.attributionControl) map.attributionControl.setPrefix("Leaflet");
  }

  // ---- overlays
  var overlays = {}, order = [];
  var overall = parcelLayer("overall");
  LT.layers.overall = overall;
  overlays[esc(S.check + " · " + S.families.overall)] = overall;
  P.families.forEach(function (fam) {
    var g = parcelLayer(fam);
    LT.layers[fam] = g;
    overlays[esc(S.check + " · " + (S.families[fam] || fam))] = g;
  });
  D.layers.forEach(function (spec) {
    var g = extraLayer(spec);
    LT.layers["layer:" + spec.key] = g;
    order.push(g);
    var label = spec.key === "issues" ? S.check + " · " + spec.name : S.layer + " · " + spec.name;
    overlays[esc(label) + " (" + spec.geom.length + ")"] = g;
  });
  overall.addTo(map);
  LT.parcelsDrawn = overall.lt_count;
  map.getContainer().setAttribute("data-parcels-drawn", String(overall.lt_count));
  LT.timing.added = performance.now();

  map.on("overlayadd", function () {
    var zones = LT.layers["layer:zones"];
    if (zones && map.hasLayer(zones)) zones.bringToBack();
    order.forEach(function (g) { if (g !== zones && map.hasLayer(g)) g.bringToFront(); });
  });
  L.control.layers(bases, overlays, {collapsed: false, position: "topright"}).addTo(map);

  // ---- header: pack, document, as-of date, counts per status
  var H = D.header, hd = el("div", "lt-header");
  hd.appendChild(el("div", "lt-h1", S.title));
  var sub = [];
  if (H.packTitle) sub.push(H.packTitle);
  if (H.packId) sub.push(S.pack + " " + H.packId);
  if (H.document) sub.push(H.document);
  if (H.asOf) sub.push(S.as_of + " " + H.asOf);
  hd.appendChild(el("div", "lt-sub", sub.join(" · ")));
  var counts = el("div", "lt-counts");
  counts.appendChild(el("span", "lt-chip", S.parcels + " " + H.total));
  ["pass", "fail", "not_applicable", "insufficient_data"].forEach(function (s) {
    var chip = el("span", "lt-chip"), sw = el("span", "lt-sw");
    sw.style.background = C[s];
    chip.appendChild(sw);
    chip.appendChild(document.createTextNode(S.status[s] + " " + H.counts[s]));
    chip.setAttribute("data-status", s);
    counts.appendChild(chip);
  });
  hd.appendChild(counts);
  if (H.warnings && H.warnings.length) {
    var w = el("div", "lt-warn", S.warnings + "：" + H.warnings[0] + (H.warnings.length > 1 ? " …（" + H.warnings.length + "）" : ""));
    w.title = H.warnings.join("\n");
    hd.appendChild(w);
  }
  L.DomEvent.disableClickPropagation(hd);
  L.DomEvent.disableScrollPropagation(hd);
  map.getContainer().appendChild(hd);

  // ---- legend
  var Legend = L.Control.extend({
    options: {position: "bottomright"},
    onAdd: function () {
      var box = el("div", "lt-legend");
      box.appendChild(el("div", "lt-lt", S.legend));
      ["pass", "fail", "not_applicable", "insufficient_data"].forEach(function (s) {
        var r = el("div"), sw = el("span", "lt-sw");
        sw.style.background = C[s];
        r.appendChild(sw); r.appendChild(document.createTextNode(S.status[s]));
        box.appendChild(r);
      });
      return box;
    }
  });
  new Legend().addTo(map);

  // ---- search by parcel id or owner
  var lowIds = null, lowOwners = null, last = {q: null, hits: [], k: -1};
  function findParcels(q) {
    q = String(q || "").trim().toLowerCase();
    if (!q) return [];
    if (!lowIds) {
      lowIds = P.id.map(function (s) { return String(s).toLowerCase(); });
      lowOwners = P.owners.map(function (s) { return String(s).toLowerCase(); });
    }
    var exact = [], part = [];
    for (var i = 0; i < P.n; i++) {
      if (lowIds[i] === q) exact.push(i);
      else if (lowIds[i].indexOf(q) >= 0) part.push(i);
      else { var o = P.owner[i]; if (o >= 0 && lowOwners[o].indexOf(q) >= 0) part.push(i); }
    }
    return exact.concat(part);
  }
  function zoomTo(i) {
    if (!map.hasLayer(overall)) overall.addTo(map);
    var ll = parcelLL(i);
    if (ll) map.fitBounds(L.latLngBounds(flatLL(ll)), {maxZoom: 19, animate: false, padding: [40, 40]});
    openParcel(i);
  }
  LT.search = function (q) {
    q = String(q || "").trim();
    if (q !== last.q) last = {q: q, hits: findParcels(q), k: -1};
    if (!last.hits.length) return null;
    last.k = (last.k + 1) % last.hits.length;
    zoomTo(last.hits[last.k]);
    return {id: P.id[last.hits[last.k]], index: last.k + 1, count: last.hits.length};
  };
  LT.openParcel = function (id) {
    var i = P.id.indexOf(String(id));
    if (i < 0) return false;
    zoomTo(i);
    return true;
  };
  var Search = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function () {
      var box = el("div", "lt-search"), input = el("input"), btn = el("button", null, S.search_go), info = el("span", "lt-info");
      input.type = "search"; input.placeholder = S.search; input.className = "lt-q";
      function go() {
        var r = LT.search(input.value);
        info.textContent = r ? r.index + "/" + r.count : (input.value.trim() ? S.no_match : "");
      }
      input.addEventListener("keydown", function (e) { if (e.key === "Enter") go(); });
      btn.addEventListener("click", go);
      box.appendChild(input); box.appendChild(btn); box.appendChild(info);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    }
  });
  new Search().addTo(map);

  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      LT.timing.drawn = performance.now();
      LT.ready = true;
      map.getContainer().setAttribute("data-ready", "1");
    });
  });
})();
"""
