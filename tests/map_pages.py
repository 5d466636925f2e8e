"""Shared by the map tests: results to draw, and a browser with the network cut off.

``sample_result()`` is the check of the bundled sample; ``tiny_result()`` a hand-made
CheckResult of twelve parcels whose verdict rows use real reason codes, with args made
for the fields their sentences name (so that the sentences exist in both languages).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
from pathlib import Path
from string import Formatter

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import landtool
from landtool.issues import issue_frame
from landtool.messages import Message, catalogue
from landtool.policy import load_pack
from landtool.result import CheckResult

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS_OWNER = "<img src=x onerror=alert(1)>{{7*7}}"
SCRIPT_OWNER = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
M2_PER_MU = 10000 / 15
COLUMNS = {"value", "limit", "unit", "headroom", "status", "subject_id", "parcel_id"}


# --------------------------------------------------------------------------- results


@functools.cache
def _sample() -> CheckResult:
    return landtool.check(policy="tiantai", as_of="2023-06-30")


def sample_result(lang: str = "zh") -> CheckResult:
    """The check of the bundled sample (tiantai, as of 2023-06-30), in ``lang``."""
    result = _sample()
    return result if lang == result.lang else dataclasses.replace(result, lang=lang)


def args_for(rule: str, reason: str, k: int = 0) -> dict:
    """Args for every field the sentences of (rule, reason) name, in both languages."""
    out: dict = {}
    for lang in ("zh", "en"):
        cat = catalogue(lang)
        template = cat.get(f"reasons.{rule}.{reason}") or cat.get(f"reasons.*.{reason}")
        assert isinstance(template, str), (rule, reason)
        for _, name, spec, conversion in Formatter().parse(template):
            if not name or name.split(".")[0] in COLUMNS:
                continue
            terms = catalogue("zh").data.get("terms", {}).get(name) or {}
            if conversion == "t":
                out[name] = list(terms)[k % len(terms)] if terms else "x"
            elif conversion == "i":
                out[name] = ["gfa_m2", "buildings"]
            elif conversion == "p":
                out[name] = 0.0725
            elif conversion == "l":
                out[name] = ["331023001001", "331023001002"]
            elif name == "land_use":
                out[name] = "商业用地"
            else:
                out[name] = 1234.5 + k
    return out


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


#: (rule, [(status, reason, value, limit, unit)] cycled over the parcels)
TINY_RULES = [
    ("indicator.far_max", [("pass", "within_limit", 0.8, 1.1, "ratio"), ("fail", "over_limit", 1.35, 1.1, "ratio"),
                           ("insufficient_data", "no_floor_area", None, 1.1, "ratio"), ("not_applicable", "not_industrial", None, None, "ratio")]),
    ("indicator.height_max", [("pass", "within_limit", 12.0, 24.0, "m"), ("fail", "over_limit", 30.5, 24.0, "m")]),
    ("efficiency.low_efficiency", [("pass", "not_low", 12.5, 5.0, "10k_yuan_per_mu")]),
    ("renovation.permit_exempt", [("not_applicable", "not_in_policy", None, None, "")]),
]
IDS = [f"331023001{k:03d}GB{k:05d}" for k in range(12)]


def tiny_result(*, owners: dict[int, str] | None = None, lang: str = "zh") -> CheckResult:
    """Twelve parcels with verdicts of three families, proposals, findings and a run."""
    polys = _grid()
    n = len(polys)
    owner_names = ["天台县汽配有限公司", "浙江某某机械有限公司", "台州市阀门厂", "三门县水泵有限公司"]
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": IDS,
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
    parcels["area_m2"] = parcels.geometry.area.round(2)
    parcels["area_mu"] = (parcels["area_m2"] / M2_PER_MU).round(4)

    pack = load_pack("tiantai")
    rows = []
    for rule, cases in TINY_RULES:
        for k, pid in enumerate(IDS):
            status, reason, value, limit, unit = cases[k % len(cases)]
            args = args_for(rule, reason, k) if reason != "not_in_policy" else {}
            if status == "fail" and pack.rule(rule) is not None and pack.rule(rule).discretionary:
                args["discretionary"] = True
            headroom = None if value is None or limit is None else round(limit - value, 6)
            rows.append(("parcel", pid, pid, rule, status, reason, value, limit, unit, "tiantai",
                         pack.rule(rule).clause if pack.rule(rule) else "", headroom, json.dumps(args, ensure_ascii=False) if args else None))
    # a split plan of parcel 0 (two pieces), a merge group of parcels 4+5, a fringe plot next to parcel 8
    rows.append(("split_piece", "P1", IDS[0], "split.min_piece_area", "fail", "below_limit", 1200.0, 6666.67, "m2", "tiantai", pack.rule("split.min_piece_area").clause, -5466.67, json.dumps(args_for("split.min_piece_area", "below_limit"))))
    rows.append(("split_piece", "P2", IDS[0], "split.min_piece_area", "pass", "within_limit", 7000.0, 6666.67, "m2", "tiantai", pack.rule("split.min_piece_area").clause, 333.33, json.dumps(args_for("split.min_piece_area", "within_limit"))))
    rows.append(("split_plan", IDS[0], IDS[0], "split.max_pieces", "pass", "within_limit", 2.0, 4.0, "count", "tiantai", pack.rule("split.max_pieces").clause, 2.0, json.dumps(args_for("split.max_pieces", "within_limit"))))
    merge_reason = "not_one_block"
    rows.append(("merge_group", "G1", f"{IDS[4]},{IDS[5]}", "merge.adjacent", "fail", merge_reason, 2.0, 1.0, "count", "tiantai", pack.rule("merge.adjacent").clause, None, json.dumps(args_for("merge.adjacent", merge_reason))))
    fringe_reason = "touches"
    rows.append(("fringe", "F1", IDS[8], "fringe.adjacent", "pass", fringe_reason, None, None, "", "tiantai", pack.rule("fringe.adjacent").clause, None, json.dumps(args_for("fringe.adjacent", fringe_reason))))
    cap_reason = "over_cap"
    rows.append(("host", IDS[8], IDS[8], "fringe.area_cap", "fail", cap_reason, 3100.0, 2000.0, "m2", "tiantai", pack.rule("fringe.area_cap").clause, -1100.0, json.dumps(args_for("fringe.area_cap", cap_reason))))
    table = pd.DataFrame(rows, columns=["subject", "subject_id", "parcel_id", "rule", "status", "reason", "value", "limit", "unit", "pack", "clause", "headroom", "args"])
    table["value"] = table["value"].astype(float)
    table["limit"] = table["limit"].astype(float)
    table["headroom"] = table["headroom"].astype(float)

    statuses = {pid: g["status"].tolist() for pid, g in table[table["subject"] == "parcel"].groupby("parcel_id")}
    worst = {"fail": 3, "insufficient_data": 2, "pass": 1, "not_applicable": 0}
    for fam in ("indicator", "efficiency"):
        on = table[(table["subject"] == "parcel") & table["rule"].str.startswith(fam)]
        parcels[f"status_{fam}"] = on.groupby("parcel_id")["status"].agg(lambda s: max(s, key=worst.get)).reindex(IDS).to_numpy()
    parcels["status_split"] = ["fail"] + ["not_applicable"] * (n - 1)
    parcels["status"] = [max(statuses[p] + (["fail"] if k == 0 else []), key=worst.get) for k, p in enumerate(IDS)]

    p0 = polys[0]
    minx, miny, maxx, maxy = p0.bounds
    left = p0.intersection(shapely.box(minx, miny, (minx + maxx) / 2, maxy))
    right = p0.intersection(shapely.box((minx + maxx) / 2, miny, maxx, maxy))
    split_pieces = gpd.GeoDataFrame(
        {"piece_id": ["P1", "P2"], "parcel_id": [IDS[0], IDS[0]], "area_m2": [left.area, right.area], "area_mu": [left.area / M2_PER_MU, right.area / M2_PER_MU],
         "status_min_piece_area": ["fail", "pass"], "status": ["fail", "pass"]},
        geometry=[left, right], crs="EPSG:4549",
    )
    merge_groups = gpd.GeoDataFrame(
        {"group_id": ["G1"], "parcel_ids": [f"{IDS[4]},{IDS[5]}"], "area_m2": [polys[4].area + polys[5].area], "status": ["fail"]},
        geometry=[shapely.unary_union([polys[4], polys[5]])], crs="EPSG:4549",
    )
    c8 = polys[8].centroid
    fringe_geom = shapely.box(c8.x - 10, c8.y - 10, c8.x + 10, c8.y + 10)
    fringe = gpd.GeoDataFrame(
        {"fringe_id": ["F1"], "host_parcel_id": [IDS[8]], "area_m2": [fringe_geom.area], "status_adjacent": ["pass"], "status_area_cap": ["fail"], "status": ["fail"]},
        geometry=[fringe_geom], crs="EPSG:4549",
    )
    buildings = gpd.GeoDataFrame(
        {"building_id": [f"B{k}" for k in range(n)], "parcel_id": IDS, "floors": [2 + k % 4 for k in range(n)],
         "height_m": [10.0 + k for k in range(n)], "use": ["production", "storage", "office", "living"] * 3, "self_use": [True, False] * 6},
        geometry=[shapely.box(p.bounds[0] + 6, p.bounds[1] + 6, p.bounds[0] + 26, p.bounds[1] + 20) for p in polys], crs="EPSG:4549",
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": ["天台经济开发区"], "zone_type": ["development_zone"]},
        geometry=[shapely.unary_union(polys[:6]).buffer(5)], crs="EPSG:4549",
    )
    issues = pd.concat(
        [
            issue_frame("EPSG:4549", "parcels", "overlap", feature_id=[IDS[5]], args={"other": IDS[6]}, value_m2=[12.5], geometry=[polys[5].intersection(polys[6]).buffer(1)]),
            issue_frame("EPSG:4549", "parcels", "repaired_geometry", feature_id=[IDS[7]], args={"geos": "self_intersection"}, geometry=[None]),
            issue_frame("EPSG:4549", "buildings", "outside_parcels", feature_id=["B99"], geometry=[shapely.Point(500_500, 3_280_100)]),
        ],
        ignore_index=True,
    )
    run = {
        "landtool": "0.1.0", "pack": "tiantai", "document": pack.document, "pack_source": "tiantai.yaml", "issued": "2022-02-20",
        "valid_until": "2023-12-31", "as_of": "2024-03-01", "lang": lang, "created": "2024-03-01T09:30:00+08:00", "sample": False,
        "inputs": [
            {"role": "parcels", "path": "/home/gis/宗地/parcels.gpkg", "size": 1, "sha256": "0" * 64, "features": 12, "crs": "EPSG:4549"},
            {"role": "buildings", "path": "postgresql://gis:secret@db.example.cn:5432/cadastre::public.房屋", "size": None, "sha256": None, "features": 12, "crs": "EPSG:4549"},
            {"role": "height_raster", "path": "C:/data/ndsm.tif", "size": 5, "sha256": "1" * 64, "features": None, "crs": "EPSG:4549"},
        ],
    }
    return CheckResult(
        table=table,
        parcels=parcels,
        layers={"buildings": buildings, "zones": zones, "split_pieces": split_pieces, "merge_groups": merge_groups, "fringe": fringe, "issues": issues},
        pack=pack,
        as_of=dt.date(2024, 3, 1),
        lang=lang,
        warnings=[Message("pack_expired", {"pack": "tiantai", "document": pack.document, "valid_until": "2023-12-31", "as_of": "2024-03-01"})],
        run=run,
    )


# --------------------------------------------------------------------------- the browser


_BROWSER: dict = {"users": 0}


def chromium():
    """Debian's Chromium, shared by the map test modules (each makes a session fixture of it)."""
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} not found (apt-get install chromium fonts-noto-cjk)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "python playwright is not installed (pip install playwright; never 'playwright install')"
    if reason:
        pytest.fail(f"the browser tests cannot run: {reason}")
    if not _BROWSER["users"]:
        _BROWSER["playwright"] = sync_playwright().start()
        _BROWSER["browser"] = _BROWSER["playwright"].chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    _BROWSER["users"] += 1
    yield _BROWSER["browser"]
    _BROWSER["users"] -= 1
    if not _BROWSER["users"]:
        _BROWSER["browser"].close()
        _BROWSER["playwright"].stop()


class Page:
    """A page with the network cut off, recording errors and attempted requests."""

    def __init__(self, browser, path: Path, *, size: tuple[int, int] = (1024, 768)):
        self.page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.route("**/*", self._route)
        self.page.goto(Path(path).resolve().as_uri())
        self.page.wait_for_function("window.landtool && window.landtool.ready === true", timeout=30_000)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def pixel(self, geom, crs) -> tuple[float, float]:
        """The page pixel of a point inside ``geom`` (in ``crs``)."""
        pt = gpd.GeoSeries([geom], crs=crs).to_crs("EPSG:4326").iloc[0].point_on_surface()
        return self.js(
            """([lat, lng]) => {
                const m = window.landtool.map, p = m.latLngToContainerPoint([lat, lng]);
                const r = m.getContainer().getBoundingClientRect();
                return [p.x + r.left, p.y + r.top];
            }""",
            [pt.y, pt.x],
        )

    def show(self, geom, crs, zoom: float = 17) -> None:
        """Centre the map on ``geom`` (popups closed)."""
        c = gpd.GeoSeries([geom], crs=crs).to_crs("EPSG:4326").iloc[0].centroid
        self.js("([lat, lng, z]) => { landtool.map.closePopup(); landtool.map.setView([lat, lng], z, {animate: false}); }", [c.y, c.x, zoom])
        self.page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 0")  # the old one fades out

    def click_at(self, geom, crs, *, avoid=None) -> str:
        """Click inside ``geom`` (not on ``avoid``); the popup's text."""
        area = geom if avoid is None else geom.difference(avoid)
        self.show(geom, crs)
        x, y = self.pixel(area, crs)
        self.page.mouse.click(x, y)
        popup = self.page.wait_for_selector(".leaflet-popup-content .lt-popup", timeout=5_000)
        return popup.inner_text()

    def popup_rows(self) -> list[dict]:
        """The verdict rows of the open popup: rule, status and the sentence below."""
        return self.js(
            """() => [...document.querySelectorAll('.leaflet-popup-content tr.lt-row')].map(r => ({
                   rule: r.dataset.rule, status: r.dataset.status, subject: r.dataset.subject || null, kind: r.dataset.kind || null,
                   cells: [...r.children].map(c => c.innerText.trim()),
                   sentence: r.nextElementSibling && r.nextElementSibling.classList.contains('lt-sent') ? r.nextElementSibling.innerText.trim() : null}))"""
        )

    def close(self):
        self.page.close()
