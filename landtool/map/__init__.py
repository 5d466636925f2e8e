"""The HTML map of a check: one self-contained, offline page officials open in a browser.

``build_map(result)`` builds the page, ``write_map(result, path)`` writes it. The page
carries the verdicts as codes and numbers with the sentence templates of every language
(not millions of sentences) and switches between Chinese and English in place; see
:mod:`landtool.map.page` (assembly), :mod:`landtool.map.payload` (the data document),
:mod:`landtool.map.shell` (the folium map and document, everything inlined, no Jinja
near the data), ``format.js`` (sentences, exactly as
:meth:`landtool.messages.Catalogue.format`) and ``app.js`` (the map).
"""

from landtool.labels import STATUS_COLORS
from landtool.map.page import MapPage, build_map, check_basemap, write_map

__all__ = ["STATUS_COLORS", "MapPage", "build_map", "check_basemap", "write_map"]
