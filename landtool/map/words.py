"""The words of the page, in every language: what the map ships instead of sentences.

The page renders a verdict's sentence in the browser from its template and its
numbers, exactly as :meth:`landtool.messages.Catalogue.format` does (``format.js``).
So that both parse a template the same way, templates are split here, with Python's
own :class:`string.Formatter`, into literal text and fields ``[name, spec, conversion]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from string import Formatter
from typing import Any

from landtool.messages import LANGS, catalogue

__all__ = ["ENDONYMS", "arg_value", "page_words", "parse_template", "reason_templates", "term_groups"]

#: Each language's name in itself: the label of the button that switches to it.
ENDONYMS = {"zh": "中文", "en": "English"}

_FORMATTER = Formatter()


def parse_template(text: str) -> list:
    """``"{what!t} {value}"`` → ``[["what", "", "t"], " ", ["value", "", ""]]``."""
    parts: list = []
    for literal, name, spec, conversion in _FORMATTER.parse(text):
        if literal:
            if parts and isinstance(parts[-1], str):
                parts[-1] += literal
            else:
                parts.append(literal)
        if name is not None:
            parts.append([name, spec or "", conversion or ""])
    return parts


def reason_templates(pairs: Iterable[tuple[str, str]], langs: Iterable[str] = LANGS) -> dict[str, list]:
    """Per language, the parsed template of each (rule, reason), in the order of ``pairs``.

    The rule's own entry ``reasons.<rule>.<reason>``, else the shared ``reasons.*.<reason>``
    (as :func:`landtool.messages.render_verdicts` chooses); None where neither exists.
    """
    pairs = list(pairs)
    out = {}
    for lang in langs:
        cat = catalogue(lang)
        parsed = []
        for rule, reason in pairs:
            template = cat.get(f"reasons.{rule}.{reason}")
            if not isinstance(template, str):
                template = cat.get(f"reasons.*.{reason}")
            parsed.append(parse_template(template) if isinstance(template, str) else None)
        out[lang] = parsed
    return out


def term_groups(templates: Iterable[list | None]) -> set[str]:
    """The ``terms`` groups that ``{name!t}`` fields of these parsed templates use."""
    groups = set()
    for parts in templates:
        for part in parts or ():
            if isinstance(part, list) and part[2] == "t":
                groups.add(part[0].split(".")[-1])
    return groups


def arg_value(value: Any) -> Any:
    """An arg as the page needs it to format like Python.

    In a list, Python formats floats as numbers and everything else with ``str()``
    (an int 1000 is "1000", a float 1000.0 is "1,000"): JavaScript cannot tell the two
    apart, so list items that are not floats or strings travel as their ``str()``.
    """
    if isinstance(value, list):
        return [v if isinstance(v, (float, str)) else str(v) for v in value]
    if isinstance(value, dict):
        return {k: arg_value(v) for k, v in value.items()}
    return value


def page_words(lang: str, *, rules: Iterable[str], units: Iterable[str], terms: Iterable[str]) -> dict:
    """Everything the page shows in ``lang``: ``ui.map``, names and the terms the templates use."""
    cat = catalogue(lang)
    data = cat.data
    all_terms: Mapping[str, Any] = data.get("terms", {})
    groups = set(terms) | {"change_kind"}
    return {
        "lang": lang,
        "ui": cat.get("ui.map"),
        "statuses": dict(data.get("statuses", {})),
        "families": dict(data.get("families", {})),
        "rules": {r: cat.label("rules", r) for r in rules},
        "units": {u: cat.label("units", u) for u in units},
        "subjects": dict(data.get("subjects", {})),
        "inputs": dict(data.get("inputs", {})),
        "fields": dict(data.get("fields", {})),
        "problems": dict(data.get("problems", {})),
        "terms": {g: dict(all_terms[g]) for g in sorted(groups) if isinstance(all_terms.get(g), Mapping)},
        "sep": data.get("list_separator", ", "),
        "alt": data.get("alternatives_separator", " or "),
        "discretion": cat.get("notes.discretion", ""),
    }
