"""The page around the data: a folium map as the shell, everything inlined, no template
engine near the data.

folium makes the document (a branca ``Figure``: head, body and the closing script), the
map's ``<div>`` inside ``#lt-map`` and the Leaflet map object (``var map_landtool =
L.map(...)``, with the page's options), which it hands to ``app.js``
(``landtoolApp(map_landtool)``). What folium would fetch from CDNs (Leaflet, jQuery,
Bootstrap, Font Awesome, awesome-markers …) is left out: Leaflet 1.9.3 and its CSS come
from the XStatic-Leaflet package, and the page's own ``format.js``, ``app.js`` and
``app.css`` are package files, all inlined, so the page opens with no network.

Safety: branca renders with Jinja, and ``Element(text)`` compiles ``text`` as a template
(so does every ``MacroElement``: its macros' output is wrapped in ``Element`` and
rendered a second time). Data would be evaluated there (an owner named ``{{7*7}}``
would read 49) and could break the page. So nothing of ours is ever a template: every
piece we add is a :class:`RawHTML`, whose ``render`` returns its text as it is, and
Jinja only prints it as a value (branca's templates do not autoescape and never render
printed values again). User data reach the page only inside the JSON document, with
``<``, ``>`` and ``&`` escaped (:func:`script_json`), and ``app.js`` puts them on the
page with ``textContent``. folium's own templates only see numbers and booleans (the
map's centre and options).
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure
from jinja2 import Template

__all__ = ["MAP_ID", "RawHTML", "package_text", "page_html", "script_json"]

#: folium's id of the map: its ``<div>`` and JavaScript variable are ``map_landtool``
#: (a fixed id, not branca's random one, so that the same result gives the same file).
MAP_ID = "landtool"
#: Where the map opens before ``app.js`` fits it to the parcels (no parcels: Taizhou).
DEFAULT_VIEW = ((29.2, 120.5), 7)


class RawHTML(Element):
    """Markup put on the page exactly as given: never compiled or rendered as a template."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "RawHTML"
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _Document(Figure):
    """branca's Figure with the page's language and the closing script inside ``<body>``;
    the title is a head element (escaped here, not by a template)."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang }}">\n'
        "<head>\n{{ this.header.render(**kwargs) }}\n</head>\n"
        "<body>\n{{ this.html.render(**kwargs) }}\n"
        "<script>\n{{ this.script.render(**kwargs) }}\n</script>\n"
        "</body>\n</html>\n"
    )

    def __init__(self, lang: str):
        super().__init__()
        self.lang = "zh-CN" if lang == "zh" else html.escape(lang)


class _Page(Element):
    """landtool's page around folium's map. A child of the map, so it is rendered after
    the map has put its style, ``<div>`` and script into the Figure; it adds its parts
    around them (as :class:`RawHTML`, names fixed so a second render replaces them)."""

    def __init__(self, *, title: str, head: str, before: str, after: str, start: str):
        super().__init__()
        self._name = "LandtoolPage"
        self.parts = {"title": title, "head": head, "before": before, "after": after, "start": start}

    def render(self, **kwargs) -> str:
        figure = self.get_root()
        assert isinstance(figure, Figure), "the page is rendered in its Figure"
        p = self.parts
        figure.header.add_child(RawHTML(p["title"]), name="landtool_title", index=1)  # after the charset
        figure.header.add_child(RawHTML(p["head"]), name="landtool_head")
        figure.html.add_child(RawHTML(p["before"]), name="landtool_before", index=0)  # opens #lt-map
        figure.html.add_child(RawHTML(p["after"]), name="landtool_after")  # closes it
        figure.script.add_child(RawHTML(p["start"]), name="landtool_start")  # after L.map(...)
        return ""


def make_map(payload: dict) -> folium.Map:
    """folium's Leaflet map with the page's options: canvas, no tiles of folium's own
    (``app.js`` adds the basemaps, named in the language shown), no zoom control of
    folium's (``app.js`` adds one with titles in that language), no CDN links."""
    box = payload.get("bounds")
    if box:
        (south, west), (north, east) = box
        location, zoom = ((south + north) / 2, (west + east) / 2), 14
    else:
        location, zoom = DEFAULT_VIEW
    m = folium.Map(
        location=location,
        zoom_start=zoom,
        tiles=None,
        position="absolute",  # fills #lt-map, which the page's layout sizes
        font_size="0.75rem",  # Leaflet's own (folium's default is 1rem)
        prefer_canvas=True,
        zoom_control=False,
        attribution_control=bool(payload.get("tiles")),
        zoom_snap=0.25,
    )
    m.options["max_zoom"] = 22  # folium takes max_zoom= for its tile layer, not the map
    m._id = MAP_ID
    m.default_js, m.default_css = [], []  # this map's lists: folium's own stay as they are
    return m


def page_html(payload: dict, *, lang: str, title: str, noscript: str = "") -> str:
    """The whole page: folium's document and map, the page's markup around the map's
    ``<div>``, the data document, Leaflet and the page's script and style."""
    css, leaflet_js = _leaflet()
    m = make_map(payload)
    document = _Document(lang)
    document.add_child(m)
    page = _Page(
        title=f"<title>{html.escape(title)}</title>",
        head=f"<style>{css}</style>\n<style>{package_text('app.css')}</style>",
        before='<div id="lt-app"><header id="lt-header" class="lt-header"></header><div id="lt-main"><div id="lt-map">',
        after=(
            '</div><aside id="lt-side" class="lt-side"></aside></div></div>\n'
            f"<noscript>{html.escape(noscript)}</noscript>\n"
            f'<script type="application/json" id="landtool-data">{script_json(payload)}</script>\n'
            f"<script>{leaflet_js}</script>\n"
            f"<script>{inline_js(package_text('format.js') + chr(10) + package_text('app.js'))}</script>"
        ),
        start=f"landtoolApp({m.get_name()});",
    )
    m.add_child(page, name="landtool_page")
    return document.render()


# --------------------------------------------------------------------------- inlined text


def script_json(obj: Any) -> str:
    """JSON safe inside a <script> element: no ``</script>``, ``<!--`` breakout."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def inline_js(text: str) -> str:
    """A script's text safe inside ``<script>`` (no source map comment)."""
    text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("//# sourceMappingURL="))
    lowered = text.lower()
    if "</script" in lowered or "<!--" in lowered:  # pragma: no cover - the files are known
        text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE).replace("<!--", "<\\!--")
    return text


def package_text(name: str) -> str:
    """A file of the ``landtool.map`` package (``app.js``, ``format.js``, ``app.css``)."""
    return (resources.files("landtool.map") / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _leaflet() -> tuple[str, str]:
    """Leaflet's CSS (images as data: URIs) and script, from XStatic-Leaflet."""
    import xstatic.pkg.leaflet as xleaflet

    root = Path(xleaflet.BASE_DIR)
    css = (root / "leaflet.css").read_text(encoding="utf-8")
    for png in sorted((root / "images").glob("*.png")):
        uri = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{png.name})", f'url("{uri}")')
    return css, inline_js((root / "leaflet.js").read_text(encoding="utf-8"))
