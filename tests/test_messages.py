"""The message catalogues: complete, used, in one language each, and rendering as documented."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import landtool.check
from landtool.messages import LANGS, _float_texts, catalogue, fmt_number
from landtool.policy import RULE_IDS
from landtool.verdicts import REASONS, SHARED_REASONS

SOURCE = Path(__file__).resolve().parent.parent / "landtool"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
#: ASCII words a Chinese sentence may hold: option names, formats, codes.
ZH_ALLOWED_WORDS = {"landtool", "LANDTOOL_DEBUG", "GeoPackage", "GeoDataFrame", "YAML", "PARCELS", "html", "xlsx", "csv", "gpkg", "json", "lines",
                    "policy", "as", "of", "out", "map", "report", "lang", "fields", "encoding", "crs", "config", "fail", "on", "all",
                    "dsm", "dem", "height", "raster", "compare", "tianditu", "key", "basemap", "land_use", "reason", "EPSG", "LANDTOOL_DATA", "zone_type", "JSON", "gdalwarp", "GDAL", "GeoTIFF", "PostGIS", "SQL",
                    "check", "validate", "fringe", "candidates", "policies", "DSM", "DEM", "Parquet", "parquet", "postgresql", "dask", "distributed"}


def _strings(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, str):
        yield path, node


def _keys(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _keys(value, f"{path}.{key}" if path else str(key))
    else:
        yield path


def test_languages_have_the_same_entries():
    zh, en = (set(_keys(catalogue(lang).data)) for lang in LANGS)
    assert zh - en == set(), "in zh only"
    assert en - zh == set(), "in en only"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_declares_reasons_with_sentences(rule_id):
    assert rule_id in REASONS, f"{rule_id}: no rule function declares its reasons"
    for lang in LANGS:
        cat = catalogue(lang)
        assert cat.label("rules", rule_id) != rule_id, f"{lang}: no name for {rule_id}"
        for reason in REASONS[rule_id] | SHARED_REASONS:
            own, shared = cat.get(f"reasons.{rule_id}.{reason}"), cat.get(f"reasons.*.{reason}")
            assert isinstance(own or shared, str), f"{lang}: no sentence for {rule_id} {reason}"


def test_no_reason_sentence_is_unused():
    for lang in LANGS:
        reasons = catalogue(lang).data["reasons"]
        for rule_id, entries in reasons.items():
            if rule_id == "*":
                used = set().union(*REASONS.values()) | SHARED_REASONS
                assert set(entries) <= used, f"{lang}: shared reasons no rule gives: {set(entries) - used}"
            else:
                assert rule_id in REASONS, f"{lang}: sentences for an unknown rule {rule_id}"
                assert set(entries) <= REASONS[rule_id], f"{lang}: {rule_id} sentences for reasons it never gives: {set(entries) - REASONS[rule_id]}"


def test_every_error_and_warning_code_in_the_code_has_a_sentence():
    text = "\n".join(p.read_text(encoding="utf-8") for p in SOURCE.rglob("*.py"))
    errors = set(re.findall(r'(?:InputError|LandtoolError)\(\s*"([a-z0-9_]+)"', text))
    messages = set(re.findall(r'Message\(\s*"([a-z0-9_]+)"', text))
    assert errors, "no error codes found: the scan is broken"
    for lang in LANGS:
        cat = catalogue(lang)
        assert not {c for c in errors if not isinstance(cat.get(f"errors.{c}"), str)}, lang
        missing = {code for code in messages if not any(isinstance(cat.get(f"{group}.{code}"), str) for group in ("warnings", "progress"))}
        assert not missing, f"{lang}: {missing}"


def test_every_issue_has_a_name_and_a_sentence():
    for lang in LANGS:
        cat = catalogue(lang)
        assert set(cat.data["issues"]) == set(cat.data["problems"]), lang


def test_english_has_no_chinese():
    found = [(key, text) for key, text in _strings(catalogue("en").data) if CJK.search(text)]
    assert found == []


def test_chinese_has_no_english_sentences():
    found = []
    for key, text in _strings(catalogue("zh").data):
        if key.startswith("list_separator") or key.startswith("alternatives_separator"):
            continue
        outside = re.sub(r"\{[^}]*\}", "", text)
        # field codes (gfa_m2, investment_10k) may stand in parentheses; words may not
        tokens = set(re.findall(r"[A-Za-z0-9_\-]+", outside))
        words = {t for t in tokens if t.isalpha() and len(t) >= 3} - ZH_ALLOWED_WORDS
        if words:
            found.append((key, sorted(words)))
    assert found == []


def test_templates_render_with_their_conversions():
    zh, en = catalogue("zh"), catalogue("en")
    assert zh.format("{a!l}", {"a": ["x", "y"]}) == "x、y"
    assert en.format("{a!i}", {"a": ["gfa_m2", "buildings"]}) == "gross floor area (gfa_m2) or buildings layer"
    assert zh.format("{s!p}", {"s": 0.075}) == "7.5%"
    assert en.format("{v} of {w:,.2f}", {"v": 2.9999850000000002, "w": 6666.666667}) == "2.999985 of 6,666.67"
    assert en.format("{missing}", {}) == "—"
    assert fmt_number(1_000_000.0) == "1,000,000"


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30), st.sampled_from(["", ",.2f", ".1f"]))
@example([0.0, -0.0, -1e-7, 2.9999850000000002, 1234567.891, float("nan")], "")
def test_numbers_formatted_at_once_read_as_one_by_one(values, spec):
    """The array path for a column of floats writes what fmt_number writes for each value."""
    one_by_one = ["—" if math.isnan(v) else fmt_number(v, spec) for v in values]
    assert _float_texts(values, spec) == one_by_one
