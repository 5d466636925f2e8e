"""Names shown to people — statuses, rule families, rules — from the message catalogues,
and the status colours.

Shared by the map, the reports, the terminal and the QGIS styles so that all say the same.
"""

from __future__ import annotations

from landtool.messages import LANGS, catalogue

__all__ = ["FAMILY_LABELS", "RULE_NAMES", "STATUS_COLORS", "STATUS_LABELS", "rule_name"]

#: Colours by status, on the map, in reports and in QGIS styles.
STATUS_COLORS = {
    "pass": "#2e9d44",
    "fail": "#d7263d",
    "not_applicable": "#9e9e9e",
    "insufficient_data": "#f0a30a",
}

#: Statuses as people read them, per language.
STATUS_LABELS = {lang: dict(catalogue(lang).data["statuses"]) for lang in LANGS}
#: Rule families (the part of a rule id before the dot), and the overall status.
FAMILY_LABELS = {lang: dict(catalogue(lang).data["families"]) for lang in LANGS}
#: Short names of the rules of POLICY.md.
RULE_NAMES = {lang: dict(catalogue(lang).data["rules"]) for lang in LANGS}


def rule_name(rule_id: str, lang: str) -> str:
    """The rule's name in ``lang`` (the id when it has none)."""
    return RULE_NAMES[lang].get(rule_id, rule_id)
