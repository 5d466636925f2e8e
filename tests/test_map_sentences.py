"""The map's sentences: rendered in the browser (format.js) from the templates and the
numbers, they are exactly the sentences Python renders (landtool.messages), zh and en."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from map_pages import Page, chromium, sample_result, tiny_result

import landtool
from landtool.compare import compare_results, with_sentences
from landtool.map import write_map
from landtool.map.page import package_text
from landtool.map.words import arg_value, parse_template
from landtool.messages import LANGS, Catalogue

#: A catalogue with the features templates use: terms (text, int and bool codes),
#: inputs and fields, separators.
DATA = {
    "zh": {
        "list_separator": "、",
        "alternatives_separator": "或",
        "terms": {"what": {"far": "容积率", "height": "建筑高度"}, "geom_type": {0: "点", 1: "线"}, "flag": {True: "是", False: "否"}},
        "inputs": {"buildings": "房屋（幢）图层", "height_raster": "建筑高度栅格"},
        "fields": {"gfa_m2": "总建筑面积", "height_m": "建筑高度"},
    },
    "en": {
        "list_separator": ", ",
        "alternatives_separator": " or ",
        "terms": {"what": {"far": "FAR", "height": "building height"}, "geom_type": {0: "point", 1: "line"}, "flag": {True: "yes", False: "no"}},
        "inputs": {"buildings": "buildings layer", "height_raster": "building-height raster"},
        "fields": {"gfa_m2": "gross floor area", "height_m": "building height"},
    },
}

#: (template, args): numbers at ties and limits, specs, every conversion, lists, gaps.
CASES = [
    ("{v}", {"v": 2.9999850000000002}),
    ("{v}", {"v": 1.2}),
    ("{v}", {"v": 0.0078125}),  # an exact tie at the 7th decimal: half to even
    ("{v}", {"v": 0.0234375}),
    ("{v}", {"v": 2.5e-7}),
    ("{v}", {"v": -0.0000001}),
    ("{v}", {"v": -1234567.891}),
    ("{v}", {"v": 1e15}),
    ("{v}", {"v": 123456789012}),
    ("{v}", {"v": 0}),
    ("{v}", {"v": -0.0}),
    ("{v}", {"v": 4666.666667}),
    ("{v}", {"v": True}),
    ("{v}", {"v": None}),
    ("{v}", {"v": "天政发〔2022〕1号 四（五）"}),
    ("{v}", {}),
    ("{v:,.2f}", {"v": 0.125}),  # a tie: half to even
    ("{v:,.2f}", {"v": 0.375}),
    ("{v:,.2f}", {"v": 2.675}),  # just below the tie in binary
    ("{v:,.2f}", {"v": 6666.666667}),
    ("{v:,.2f}", {"v": 1234567}),
    ("{v:+,.2f}", {"v": 12.5}),
    ("{v:+,.2f}", {"v": -3.255}),
    ("{v:.1%}", {"v": 0.0725}),
    ("{v:.0f}", {"v": 2.5}),
    ("{v:08.3f}", {"v": -3.14159}),
    ("{v:>8}", {"v": "ab"}),
    ("{v:,.2f}", {"v": True}),
    ("{what!t}", {"what": "far"}),
    ("{what!t}", {"what": "unknown_code"}),
    ("{what!t}", {"what": ["far", "height"]}),
    ("{what!t}", {"what": None}),
    ("{geom_type!t}", {"geom_type": 1}),
    ("{geom_type!t}", {"geom_type": 1.0}),
    ("{geom_type!t}", {"geom_type": [0, 1]}),
    ("{flag!t}", {"flag": True}),
    ("{v!l}", {"v": ["a", "b", "c"]}),
    ("{v!l}", {"v": [1000.0, 2.5, 0.1]}),
    ("{v!l}", {"v": [1000, 2]}),  # ints in a list are not grouped by Python: str(1000)
    ("{v!l}", {"v": [True, None, "x"]}),
    ("{v!l}", {"v": "abc"}),
    ("{v!l}", {"v": []}),
    ("{v!l}", {"v": None}),
    ("{v}", {"v": ["x", 1.5]}),
    ("{s!p}", {"s": 0.075}),
    ("{s!p}", {"s": 1 / 3}),
    ("{s!p}", {"s": 0.123456789}),
    ("{s!p}", {"s": "0.2"}),
    ("{s!p}", {"s": None}),
    ("{s!p}", {"s": [0.1, 0.2]}),
    ("{m!i}", {"m": ["gfa_m2", "buildings"]}),
    ("{m!i}", {"m": "height_m"}),
    ("{m!i}", {"m": ["height_raster", "no_such_input"]}),
    ("{m!i}", {"m": None}),
    ("{a.b} / {a.c} / {a.b.c}", {"a": {"b": 3.5}}),
    ("{{literal}} {v} {{x}}", {"v": 1}),
    ("容积率 {value} 超过 {source!t}限值 {limit}（{missing!i}）", {"value": 1.35, "limit": 1.1, "source": "far", "missing": ["gfa_m2"]}),
]


@pytest.fixture(scope="session")
def browser():
    yield from chromium()


@pytest.fixture(scope="module")
def formatter(browser, tmp_path_factory):
    path = tmp_path_factory.mktemp("fmt") / "format.html"
    path.write_text(f"<!DOCTYPE html><meta charset=utf-8><script>{package_text('format.js')}</script>"
                    "<script>window.landtool = {ready: true};</script>", encoding="utf-8")
    page = Page(browser, path)
    yield page
    page.close()


@pytest.mark.parametrize("lang", LANGS)
def test_format_js_renders_as_catalogue_format(formatter, lang):
    cat = Catalogue(lang, DATA[lang])
    words = json.loads(json.dumps({"lang": lang, "terms": DATA[lang]["terms"], "inputs": DATA[lang]["inputs"], "fields": DATA[lang]["fields"],
                                   "sep": DATA[lang]["list_separator"], "alt": DATA[lang]["alternatives_separator"]}))
    cases = [(parse_template(t), {k: arg_value(v) for k, v in args.items()}) for t, args in CASES]
    got = formatter.js("([W, cases]) => cases.map(([parts, args]) => landtoolFormat.format(W, parts, args))", [words, cases])
    expected = [cat.format(t, args) for t, args in CASES]
    assert list(zip((t for t, _ in CASES), got, strict=True)) == list(zip((t for t, _ in CASES), expected, strict=True))
    assert formatter.errors == []


def _python_rows(result, lang):
    """(rule, subject, subject id, parcel id, status, sentence) of every row the map shows."""
    v = result.verdicts_in(lang)
    v = v[(v["reason"] != "not_in_policy") & v["rule"].isin(list(result.pack.rules))]
    return sorted(
        (r.rule, r.subject, _s(r.subject_id), _s(r.parcel_id), r.status, r.explanation)
        for r in v.itertuples()
    )


def _s(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


def _js_rows(page):
    return sorted(tuple(_s(c) if i in (2, 3) else c for i, c in enumerate(row)) for row in page.js("landtool.rows()"))


@pytest.mark.parametrize("which", ["sample", "tiny"])
def test_every_sentence_of_the_map_is_pythons(browser, tmp_path, which):
    result = sample_result() if which == "sample" else tiny_result()
    path = write_map(result, tmp_path / "map.html")
    page = Page(browser, path)
    try:
        for lang in ("zh", "en"):
            page.js(f"landtool.setLang('{lang}')")
            got, expected = _js_rows(page), _python_rows(result, lang)
            assert len(got) == len(expected) > 0
            mismatched = [(g, e) for g, e in zip(got, expected, strict=True) if g != e]
            assert mismatched == [], mismatched[:5]
        assert page.errors == [] and page.requests == []
    finally:
        page.close()


def test_compare_sentences_of_both_sides_are_pythons(browser, tmp_path):
    a = landtool.check(policy="taizhou", as_of="2023-06-30")
    b = sample_result()
    differences = compare_results(a, b)
    path = write_map(b, tmp_path / "compare.html", compare=differences)
    page = Page(browser, path)
    try:
        for lang in ("zh", "en"):
            page.js(f"landtool.setLang('{lang}')")
            got = sorted((r[0], r[1], _s(r[2]), r[3], r[4], r[5]) for r in page.js("landtool.changes()"))
            shown = with_sentences(differences, a, b, lang)
            expected = sorted(
                (r.rule, r.subject, _s(r.subject_id), r.kind, r.explanation_a, r.explanation_b) for r in shown.itertuples()
            )
            assert len(got) == len(expected) > 0
            assert [(g, e) for g, e in zip(got, expected, strict=True) if g != e][:5] == []
        assert page.errors == []
    finally:
        page.close()
