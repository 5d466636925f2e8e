"""The HTML map in a real browser: Debian's Chromium driven by Python playwright.

Every request that is not ``file:`` is aborted, so a page that needs the network
fails here. Locally the tests skip when /usr/bin/chromium or playwright is missing;
with CI set they fail instead (``.ci/run`` installs chromium and fonts-noto-cjk).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import geopandas as gpd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_maps import XSS_OWNER, make_result  # noqa: E402

from landtool.maps import write_map  # noqa: E402

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
SCREENSHOT = Path(__file__).parents[1] / "maps" / "screenshot.png"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def browser():
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} not found (apt-get install chromium fonts-noto-cjk)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "python playwright is not installed (pip install playwright; never 'playwright install')"
    if reason:
        if _in_ci():
            pytest.fail(f"CI is set but the browser tests cannot run: {reason}")
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """A page with the network cut off, recording errors and attempted requests."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.route("**/*", self._route)
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("window.landtool && window.landtool.ready === true", timeout=30_000)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def click_parcel(self, result, k: int) -> str:
        """Click inside parcel ``k`` (pixel from map.latLngToContainerPoint); the popup's text."""
        area = result.parcels.geometry.iloc[k]
        if "buildings" in result.layers:  # not on a building, which may be drawn on top
            area = area.difference(result.layers["buildings"].geometry.union_all())
        pt = gpd.GeoSeries([area], crs=result.parcels.crs).to_crs("EPSG:4326").iloc[0].point_on_surface()
        x, y = self.page.evaluate(
            """([lat, lng]) => {
                const m = window.landtool.map, p = m.latLngToContainerPoint([lat, lng]);
                const r = m.getContainer().getBoundingClientRect();
                return [p.x + r.left, p.y + r.top];
            }""",
            [pt.y, pt.x],
        )
        self.page.mouse.click(x, y)
        popup = self.page.wait_for_selector(".leaflet-popup-content .lt-popup", timeout=5_000)
        return popup.inner_text()

    def close(self):
        self.page.close()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    result = make_result(owners={1: XSS_OWNER})
    path = write_map(result, tmp_path_factory.mktemp("map") / "map.html")
    return result, path


@pytest.fixture
def page(browser, sample):
    p = Page(browser, sample[1])
    yield p
    p.close()


def test_opens_offline_without_errors_and_draws_every_parcel(page, sample):
    result, _ = sample
    n = len(result.parcels)
    assert page.errors == []
    assert page.requests == []
    assert page.page.evaluate("window.landtool.parcelsDrawn") == n
    assert page.page.get_attribute(".folium-map", "data-parcels-drawn") == str(n)
    # through Leaflet's own layer API: the canvas paths of the overall layer on the map
    drawn = page.page.evaluate(
        """() => { const seen = new Set(), lt = window.landtool;
                   lt.map.eachLayer(l => { if (l.lt_i !== undefined && lt.layers.overall.hasLayer(l)) seen.add(l.lt_i); });
                   return seen.size; }"""
    )
    assert drawn == n
    header = page.page.inner_text(".lt-header")
    for text in ("tiantai", "天政发〔2022〕1号", "2023-06-30", "宗地 12", "不通过 4", "通过 2", "不适用 3", "数据不足 3"):
        assert text in header
    assert page.page.inner_text(".lt-legend").split() == ["图例", "通过", "不通过", "不适用", "数据不足"]
    # family layers are there but off until asked for
    assert page.page.evaluate("window.landtool.map.hasLayer(window.landtool.layers.indicator)") is False


def test_layer_control_toggles_family_and_extra_layers(page, sample):
    result, _ = sample
    page.page.get_by_text("核查 · 技术经济指标").click()
    assert page.page.evaluate("window.landtool.map.hasLayer(window.landtool.layers.indicator)") is True
    assert page.page.evaluate("window.landtool.layers.indicator.lt_count") == len(result.parcels)
    page.page.get_by_text("核查 · 数据质量").click()
    assert page.page.evaluate("window.landtool.layers['layer:issues'].lt_count") == 3
    page.page.get_by_text("图层 · 房屋").click()
    assert page.page.evaluate("window.landtool.layers['layer:buildings'].getLayers().length") == len(result.parcels)
    assert page.errors == []


def test_click_parcel_shows_popup(page, sample):
    result, _ = sample
    k = 2
    text = page.click_parcel(result, k)
    row = result.parcels.iloc[k]
    assert row["parcel_id"] in text
    assert f"{row['area_mu']:.2f} 亩" in text
    assert f"{row['area_m2']:.2f} m²" in text
    assert row["owner"] in text
    assert "容积率上限" in text and "indicator.far_max" in text
    assert "不适用" in text  # this parcel's FAR verdict
    assert "天政发〔2022〕1号 四（五）" in text
    assert "高度栅格" in text  # height source, translated
    assert page.errors == []


def test_popup_of_split_parcel_lists_its_pieces(page, sample):
    result, _ = sample
    text = page.click_parcel(result, 0)
    assert "分割块 P1" in text and "分割块 P2" in text
    assert "-133.33" in text  # headroom
    rows = page.page.eval_on_selector_all(".lt-popup tr[data-rule]", "rs => rs.map(r => r.dataset.rule)")
    assert rows.count("split.min_piece_area") == 2


def test_owner_markup_is_shown_as_text_and_never_runs(page, sample):
    result, _ = sample
    text = page.click_parcel(result, 1)
    assert XSS_OWNER in text
    assert page.page.eval_on_selector_all(".leaflet-popup-content img, .leaflet-popup-content script", "els => els.length") == 0
    # also via the search box, which matches owners
    page.page.fill(".lt-q", "onerror")
    page.page.press(".lt-q", "Enter")
    page.page.wait_for_timeout(300)
    assert page.page.evaluate("typeof window.__pwned") == "undefined"
    assert page.errors == []
    assert page.requests == []  # the <img src=x> never became a request


def test_search_by_id_and_owner(page, sample):
    result, _ = sample
    pid = result.parcels["parcel_id"].iloc[7]
    page.page.fill(".lt-q", pid)
    page.page.press(".lt-q", "Enter")
    popup = page.page.wait_for_selector(".leaflet-popup-content .lt-popup")
    assert pid in popup.inner_text()
    assert page.page.inner_text(".lt-info") == "1/1"
    page.page.fill(".lt-q", "三门县")
    page.page.press(".lt-q", "Enter")
    assert page.page.inner_text(".lt-info") == "1/3"
    page.page.press(".lt-q", "Enter")
    assert page.page.inner_text(".lt-info") == "2/3"
    page.page.fill(".lt-q", "没有这个企业")
    page.page.press(".lt-q", "Enter")
    assert page.page.inner_text(".lt-info") == "未找到"


def test_english_popup(browser, tmp_path):
    result = make_result()
    path = write_map(result, tmp_path / "en.html", lang="en")
    page = Page(browser, path)
    try:
        text = page.click_parcel(result, 1)
        assert "Maximum FAR" in text and "fail" in text
        assert f"{result.parcels['area_mu'].iloc[1]:.2f} mu" in text
        assert page.page.inner_text(".lt-legend").splitlines() == ["Legend", "pass", "fail", "not applicable", "insufficient data"]
        assert page.errors == []
    finally:
        page.close()


def test_screenshot(browser, tmp_path):
    """maps/screenshot.png for the README: overall status, buildings, a popup open."""
    result = make_result()
    path = write_map(result, tmp_path / "shot.html")
    page = Page(browser, path)
    try:
        page.page.get_by_text("图层 · 房屋").click()
        page.click_parcel(result, 1)
        page.page.wait_for_timeout(500)  # popup fade-in
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.page.screenshot(path=str(SCREENSHOT))
        assert SCREENSHOT.stat().st_size > 10_000
        assert page.errors == []
    finally:
        page.close()


def test_tianditu_basemap_only_requests_its_tiles(browser, tmp_path):
    result = make_result()
    path = write_map(result, tmp_path / "tdt.html", basemap="tianditu", tianditu_key="KEY123")
    page = Page(browser, path)
    try:
        page.page.wait_for_timeout(300)
        assert page.requests, "no tile was asked for"
        for url in page.requests:
            assert url.startswith("https://t") and ".tianditu.gov.cn/" in url and "tk=KEY123" in url, url
        layers = {"vec" if "/vec_w/" in u else "cva" if "/cva_w/" in u else "?" for u in page.requests}
        assert layers == {"vec", "cva"}
        # the blocked tiles are the only errors; the parcels are drawn regardless
        assert [e for e in page.errors if "Failed to load resource" not in e] == []
        assert page.page.evaluate("window.landtool.parcelsDrawn") == len(result.parcels)
    finally:
        page.close()
