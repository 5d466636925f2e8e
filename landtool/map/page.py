"""Page assembly: the data document, the header and the basemaps.

The page is one self-contained HTML file, built with folium (:mod:`landtool.map.shell`:
folium's document, map ``<div>`` and Leaflet map; Leaflet 1.9.3 and its CSS from the
XStatic-Leaflet package; the page's own ``format.js``, ``app.js`` and ``app.css``; all
inlined, so it opens on intranet PCs without network access).

Safety: user-supplied text (owners, ids, clauses …) never becomes HTML and never goes
through Jinja. It reaches the page only inside the JSON document, with ``<``, ``>`` and
``&`` escaped as ``\\u003c`` …, and the script puts it on the page with ``textContent``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from landtool.errors import InputError
from landtool.labels import STATUS_COLORS
from landtool.map.geometry import SCALE, bounds, display_geoms, encode_geoms, origin_of
from landtool.map.layers import extra_layers, layer_payload
from landtool.map.payload import (
    CHANGE_CODES,
    CHANGE_KINDS,
    TEXT_RULE,
    Pairs,
    compare_payload,
    parcel_payload,
    share_columns,
    shown_verdicts,
    verdict_payload,
)
from landtool.map.shell import package_text, script_json
from landtool.map.shell import page_html as shell_page
from landtool.map.words import ENDONYMS, page_words, reason_templates, term_groups
from landtool.messages import LANGS, Message, catalogue

__all__ = ["MapPage", "build_map", "check_basemap", "package_text", "script_json", "write_map"]

#: Colour of a parcel without a verdict (or unchanged, on a comparison map).
NO_STATUS_COLOR = "#90a4ae"
#: Colours of the kinds of change.
CHANGE_COLORS = {
    "pass_to_fail": "#d7263d",
    "becomes_uncheckable": "#f0a30a",
    "becomes_applicable": "#1e88e5",
    "fail_to_pass": "#2e9d44",
    "becomes_checkable": "#00897b",
    "becomes_not_applicable": "#795548",
    "limit_changed": "#8e24aa",
    "value_changed": "#5c6bc0",
}

_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
_OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
#: What ``basemap`` may be (named in the error for anything else).
BASEMAP_CHOICES = ("none", "osm", "tianditu", "http(s)://…/{z}/{x}/{y}…")


@dataclass(frozen=True)
class MapPage:
    """A built map: the page's HTML and the data document inside it."""

    html: str
    payload: dict
    title: str

    def render(self) -> str:
        return self.html


def build_map(
    result,
    *,
    lang: str | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    compare: pd.DataFrame | None = None,
) -> MapPage:
    """The interactive map of ``result`` (a :class:`landtool.result.CheckResult`).

    Parameters
    ----------
    lang
        The language the page opens in (default: the run's, ``result.lang``); the page
        carries every language and switches in place.
    basemap
        None (default): no basemap, the page needs no network at all. ``"osm"``:
        OpenStreetMap tiles. ``"tianditu"``: Tianditu vector map and labels (needs
        ``tianditu_key``). Any ``http(s)://…{z}/{x}/{y}…`` template: an XYZ tile
        server, e.g. on the intranet.
    compare
        The differences between two checks (:func:`landtool.compare.compare_results`,
        ``result`` being side b): parcels are coloured by kind of change and their
        popups list the changed verdicts with both sentences.
    """
    lang = lang or getattr(result, "lang", None) or LANGS[0]
    if lang not in LANGS:
        raise InputError("map_lang_unknown", lang=lang, langs=list(LANGS))
    tiles = tile_config(basemap, tianditu_key)
    parcels = result.parcels
    if parcels.crs is None:
        raise InputError("map_no_crs")
    crs = parcels.crs

    parcel_geoms = display_geoms(parcels.geometry, crs)
    extra = extra_layers(result, parcels, crs)
    box = bounds([parcel_geoms] + [g for _, _, g in extra])
    origin = origin_of(box)
    payload: dict[str, Any] = {
        "format": 2,
        "lang": lang,
        "langs": {code: ENDONYMS.get(code, code) for code in LANGS},
        "origin": list(origin),
        "scale": SCALE,
        "bounds": None if box is None else [[box[1], box[0]], [box[3], box[2]]],
        "colors": dict(STATUS_COLORS),
        "noColor": NO_STATUS_COLOR,
        "changeColors": {c: CHANGE_COLORS.get(k, "#8e24aa") for c, k in zip(CHANGE_CODES, CHANGE_KINDS, strict=True)},
        "changeKinds": dict(zip(CHANGE_CODES, CHANGE_KINDS, strict=True)),
        "tiles": tiles,
        "header": header(result),
        "parcels": parcel_payload(parcels, encode_geoms(parcel_geoms, origin)),
    }
    index = {pid: i for i, pid in enumerate(payload["parcels"]["id"])}
    pairs = Pairs()
    table = getattr(result, "table", None)
    if table is None:
        table = getattr(result, "verdicts", None)
    payload["verdicts"], payload["rules"], units = verdict_payload(shown_verdicts(table, result.pack), index, pairs)
    share_columns(payload["verdicts"])
    # information rules (亩均税收基准 …) do not decide the overall status: their failures are
    # listed after those of the requirements
    pack_rules = getattr(result.pack, "rules", None) or {}
    payload["information"] = sorted(r for r, rule in pack_rules.items() if rule.kind == "info")
    payload["layers"] = [layer_payload(name, gdf, geoms, origin, index) for name, gdf, geoms in extra]
    payload["compare"] = None
    if compare is not None:
        payload["compare"], more = compare_payload(shown_verdicts(compare, None), index, pairs, len(parcels))
        units |= more
    templates = _templates(pairs.pairs)
    payload["pairs"] = [list(p) for p in pairs.pairs]
    payload["templates"] = templates
    groups = term_groups(t for parts in templates.values() for t in parts)
    rules = sorted({r for r, _ in pairs.pairs if r != TEXT_RULE})
    units |= {"m2", "mu", "m"}
    payload["words"] = {code: page_words(code, rules=rules, units=sorted(units), terms=groups) for code in LANGS}
    title = page_title(payload, lang)
    return MapPage(html=page_html(payload, lang=lang, title=title), payload=payload, title=title)


def write_map(
    result,
    path,
    *,
    lang: str | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    compare: pd.DataFrame | None = None,
) -> Path:
    """Build the map and write it to ``path`` atomically (temp file, then rename)."""
    path = Path(path)
    page = build_map(result, lang=lang, basemap=basemap, tianditu_key=tianditu_key, compare=compare)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page.html)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _templates(pairs: list[tuple[str, str]]) -> dict[str, list]:
    """Per language, the parsed template of each (rule, reason); sentences read back
    from an older result stand as literal text."""
    parsed = reason_templates([(r, x) if r != TEXT_RULE else ("", "") for r, x in pairs])
    for lang in parsed:
        for k, (rule, text) in enumerate(pairs):
            if rule == TEXT_RULE:
                parsed[lang][k] = [text] if text else None
    return parsed


# --------------------------------------------------------------------------- header


def _iso(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.isoformat(timespec="minutes")[:16].replace("T", " ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text[:16].replace("T", " ") if re.match(r"\d{4}-\d\d-\d\dT", text) else text


def _input_name(path: Any) -> str:
    """A file's name for the header: no directories, no credentials of a database URL."""
    text = str(path or "")
    if "://" in text:
        text = re.sub(r"^[a-z][a-z0-9+.-]*://([^@/]*@)?", "", text, flags=re.IGNORECASE)
        return text.split("/", 1)[-1] if "/" in text else text
    layer = ""
    if "::" in text:
        text, layer = text.split("::", 1)
        layer = "::" + layer
    return (Path(text).name or text) + layer


def header(result) -> dict:
    """What was checked: pack, document, dates, inputs, warnings in every language."""
    run = dict(getattr(result, "run", None) or {})
    pack = getattr(result, "pack", None)
    titles = getattr(pack, "title", None) or {}
    if not isinstance(titles, dict):
        titles = {code: str(titles) for code in LANGS}
    warnings = list(getattr(result, "warnings", None) or [])[:20]
    if not warnings and run.get("validity"):  # a result read back from its GeoPackage keeps the code only
        params = {k: str(run.get(k) or "") for k in ("pack", "document", "issued", "valid_until", "as_of")}
        warnings = [Message(str(run["validity"]), params)]
    sample = bool(run.get("sample"))
    sample_note = [w for w in warnings if getattr(w, "code", None) == "sample_checked"]
    if sample:  # said once, in the header's sample line
        warnings = [w for w in warnings if getattr(w, "code", None) != "sample_checked"]
    inputs = []
    for item in run.get("inputs") or []:
        features = item.get("features")
        inputs.append(
            {
                "role": str(item.get("role") or ""),
                "name": _input_name(item.get("path")),
                "features": int(features) if isinstance(features, (int, float)) and not math.isnan(features) else None,
            }
        )
    return {
        "packId": str(run.get("pack") or getattr(pack, "id", "") or ""),
        "title": {code: str(titles.get(code) or titles.get("zh") or "") for code in LANGS},
        "document": str(run.get("document") or getattr(pack, "document", "") or ""),
        "issued": _iso(run.get("issued") or getattr(pack, "issued", None)),
        "validUntil": _iso(run.get("valid_until") or getattr(pack, "valid_until", None)),
        "asOf": _iso(run.get("as_of") or getattr(result, "as_of", None)),
        "created": _iso(run.get("created")),
        "version": str(run.get("landtool") or ""),
        "sample": {code: _warning(sample_note[0], code) for code in LANGS} if sample and sample_note else sample,
        "inputs": inputs,
        "warnings": {code: [_warning(w, code) for w in warnings] for code in LANGS},
    }


def _warning(w: Any, lang: str) -> str:
    render = getattr(w, "render", None)
    return render(lang) if callable(render) else str(w)


def page_title(payload: dict, lang: str) -> str:
    ui = payload["words"][lang]["ui"]
    h = payload["header"]
    base = ui["compare_title"] if payload.get("compare") else ui["title"]
    return " · ".join(p for p in (base, f"{h['packId']} {h['document']}".strip()) if p)


# --------------------------------------------------------------------------- basemaps


def check_basemap(basemap: str | None, tianditu_key: str | None = None) -> None:
    """Raise :class:`InputError` for a basemap the map cannot draw (the CLI asks before
    the run): ``tianditu`` without a key, or anything but none, osm, tianditu or an
    http(s) tile URL template."""
    tile_config(basemap, tianditu_key)


def tile_config(basemap: str | None, key: str | None) -> list[dict]:
    """Base layers: [] (no basemap) or ``[{kind, layers: [{url, opts}]}]``; the page
    names them and their attribution in the language shown."""
    if basemap is None or basemap in ("", "none"):
        return []
    if basemap == "osm":
        return [{"kind": "osm", "layers": [{"url": _OSM, "opts": {"maxNativeZoom": 19}}]}]
    if basemap == "tianditu":
        if not key:
            raise InputError("tianditu_key_missing")
        opts = {"subdomains": "01234567", "maxNativeZoom": 18}
        return [
            {
                "kind": "tianditu",
                "layers": [
                    {"url": _TIANDITU.replace("{layer}", "vec").replace("{key}", key), "opts": opts},
                    {"url": _TIANDITU.replace("{layer}", "cva").replace("{key}", key), "opts": opts},
                ],
            }
        ]
    if basemap.startswith(("http://", "https://")):
        return [{"kind": "url", "layers": [{"url": basemap, "opts": {"maxNativeZoom": 18}}]}]
    raise InputError("map_basemap_unknown", basemap=basemap, choices=list(BASEMAP_CHOICES))


# --------------------------------------------------------------------------- the page


def page_html(payload: dict, *, lang: str, title: str) -> str:
    """The whole page (:func:`landtool.map.shell.page_html`: folium's document and map,
    the data document, Leaflet and the page's script, all inline)."""
    return shell_page(payload, lang=lang, title=title, noscript=catalogue(lang).get("ui.map.noscript", ""))
