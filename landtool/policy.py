"""Policy packs: each policy document's rules and numbers as a data file.

A pack is a YAML file (see ``landtool/packs/*.yaml``)::

    id: tiantai
    title: {zh: ..., en: ...}
    document: 天政发〔2022〕1号
    issued: 2022-02-20          # null when the text carries no date
    valid_until: 2023-12-31
    source: 002_42ae9d5b022a2738.txt
    rules:
      indicator.far_max:
        clause: 天政发〔2022〕1号 四（五）
        quote: 无规划条件和控制性详细规划的，按容积率不得大于1.1……控制
        discretionary: true     # 原则上: a breach may still be approved
        kind: requirement       # requirement | incentive | info | amount
        interpretation: {zh: ..., en: ...}   # optional
        params:
          far_max: {value: 1.1, op: "<=", unit: ratio, words: 不得大于}

A rule absent from a pack is "not in this policy" and answers ``not_applicable``; a
pack never borrows another pack's number. ``words`` is the boundary word of the text;
when given it must agree with ``op`` (民法典 Art. 1259: 以上/以下/不超过… include the
number, 超过/不满/以外/（不含） exclude it).
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from landtool.errors import InputError

__all__ = [
    "OPERATORS",
    "Pack",
    "Param",
    "Rule",
    "RULE_IDS",
    "available_packs",
    "compare",
    "load_pack",
]

#: Comparison operators a parameter may use, as a vectorized function of (value, limit).
OPERATORS = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
}

#: Boundary words of the texts and the operators they allow (民法典 Art. 1259).
INCLUSIVE_WORDS = ("以上", "以下", "以内", "不超过", "不少于", "不得大于", "不应大于", "不低于", "（含）", "(含)", "可放宽至", "达到")
EXCLUSIVE_WORDS = ("超过", "不满", "以外", "（不含）", "(不含)", "未达到", "高于", "低于")

KINDS = ("requirement", "incentive", "info", "amount")

#: Every rule id of POLICY.md, in catalogue order. A pack may hold any subset.
RULE_IDS = (
    "fringe.adjacent",
    "fringe.area_cap",
    "fringe.intensity",
    "fringe.no_split",
    "split.in_production",
    "split.partition",
    "split.max_pieces",
    "split.min_piece_area",
    "split.building_integrity",
    "split.facility_land",
    "split.no_resplit",
    "transfer.transferee",
    "transfer.standard_land",
    "merge.adjacent",
    "merge.same_ownership",
    "merge.same_right_type",
    "merge.remaining_term",
    "merge.no_split_after",
    "indicator.far_max",
    "indicator.height_max",
    "indicator.density_max",
    "incentive.fee_exempt_area",
    "incentive.vertical_subsidy",
    "facility.land_share",
    "efficiency.survey_scope",
    "efficiency.low_efficiency",
    "efficiency.benchmark",
    "efficiency.grade_incentive",
    "landuse.retain_industrial",
    "landuse.control_line",
    "renovation.admission",
    "transfer.pre_registration",
    "supply.industrial_share",
    "supply.standard_land",
    "renovation.permit_exempt",
    "incentive.rent_subsidy",
)


@dataclass(frozen=True)
class Param:
    """One number (or setting) of a rule, with how it is compared."""

    name: str
    value: Any
    op: str | None = None
    unit: str | None = None
    words: str | None = None

    @property
    def number(self) -> float:
        """The value as a float (raises for non-numeric values)."""
        return float(self.value)

    def describe(self) -> str:
        """``"<= 1.1 ratio (不得大于)"`` — for listings."""
        parts = [f"{self.op} " if self.op else "", _fmt(self.value)]
        if self.unit:
            parts.append(f" {self.unit}")
        if self.words:
            parts.append(f" ({self.words})")
        return "".join(parts)


@dataclass(frozen=True)
class Rule:
    """A rule of one pack: its clause, its numbers and how to read them."""

    id: str
    clause: str
    quote: str = ""
    kind: str = "requirement"
    discretionary: bool = False
    interpretation: dict[str, str] = field(default_factory=dict)
    params: dict[str, Param] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Param:
        try:
            return self.params[name]
        except KeyError:
            msg = f"rule {self.id} ({self.clause}) has no parameter {name!r}; it has: {', '.join(self.params) or 'none'}"
            raise InputError(msg) from None

    def value(self, name: str, default: Any = None) -> Any:
        """The value of parameter ``name``, or ``default`` when the pack omits it."""
        p = self.params.get(name)
        return default if p is None else p.value

    def interpretation_text(self, lang: str) -> str:
        return self.interpretation.get(lang) or self.interpretation.get("zh") or ""


@dataclass(frozen=True)
class Pack:
    """A policy document as data."""

    id: str
    title: dict[str, str]
    document: str
    issued: dt.date | None
    valid_until: dt.date | None
    rules: dict[str, Rule]
    source: str = ""
    path: str = ""

    def rule(self, rule_id: str) -> Rule | None:
        """The rule, or None when it is not in this policy."""
        return self.rules.get(rule_id)

    def validity_warning(self, as_of: dt.date, lang: str = "zh") -> str | None:
        """A warning when ``as_of`` lies outside the pack's validity, else None."""
        if self.valid_until and as_of > self.valid_until:
            if lang == "en":
                return f"policy pack {self.id} ({self.document}) expired on {self.valid_until.isoformat()}; checking as of {as_of.isoformat()} anyway"
            return f"政策包 {self.id}（{self.document}）已于 {self.valid_until.isoformat()} 失效；仍按 {as_of.isoformat()} 检查"
        if self.issued and as_of < self.issued:
            if lang == "en":
                return f"policy pack {self.id} ({self.document}) was issued on {self.issued.isoformat()}, after the as-of date {as_of.isoformat()}"
            return f"政策包 {self.id}（{self.document}）于 {self.issued.isoformat()} 发布，晚于检查日期 {as_of.isoformat()}"
        return None


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def compare(value, op: str, limit, *, decimals: int) -> np.ndarray:
    """Vectorized ``value op limit`` after rounding both to ``decimals`` places.

    Rounding first means floating-point noise never decides a verdict: areas are
    compared at 0.01 m² (``decimals=2``), ratios at 6 decimal places.
    NaN on either side compares False.

    >>> compare([48000 / 40000 - 1, 0.2000004, 0.2000006], ">=", 0.2, decimals=6)
    array([ True,  True,  True])
    >>> compare([1.1, 1.1000004, 1.100001, float("nan")], "<=", 1.1, decimals=6)
    array([ True,  True, False, False])
    """
    v = np.round(np.asarray(value, dtype=float), decimals)
    lim = np.round(np.asarray(limit, dtype=float), decimals)
    with np.errstate(invalid="ignore"):
        return OPERATORS[op](v, lim)


# --------------------------------------------------------------------------- loading


def available_packs() -> list[str]:
    """Ids of the packs bundled with landtool."""
    root = resources.files("landtool") / "packs"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def load_pack(name_or_path: str | Path) -> Pack:
    """Load a bundled pack by id, or a user's pack from a YAML file.

    Raises InputError listing every problem found in the file.
    """
    text_path = Path(name_or_path)
    if str(name_or_path) in available_packs():
        resource = resources.files("landtool") / "packs" / f"{name_or_path}.yaml"
        label = f"pack {name_or_path}"
        text = resource.read_text(encoding="utf-8")
    elif text_path.suffix in {".yaml", ".yml"} or text_path.exists():
        if not text_path.is_file():
            msg = f"{text_path}: policy pack file not found"
            raise InputError(msg)
        label = str(text_path)
        text = text_path.read_text(encoding="utf-8")
    else:
        msg = f"unknown policy pack {name_or_path!r}; bundled packs: {', '.join(available_packs())} (or give a path to a .yaml pack)"
        raise InputError(msg)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        msg = f"{label}:{where} not valid YAML ({getattr(exc, 'problem', exc)})"
        raise InputError(msg) from None
    return _build_pack(data, label)


def _date(value: Any, what: str, problems: list[str]) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{what}: {value!r} is not a date (YYYY-MM-DD)")
        return None


def _build_pack(data: Any, label: str) -> Pack:
    problems: list[str] = []
    if not isinstance(data, dict):
        msg = f"{label}: a pack must be a mapping with id, document, valid_until and rules"
        raise InputError(msg)
    for key in ("id", "document", "rules"):
        if key not in data:
            problems.append(f"missing key {key!r}")
    rules: dict[str, Rule] = {}
    raw_rules = data.get("rules") or {}
    if not isinstance(raw_rules, dict):
        problems.append("rules: must be a mapping of rule id to rule")
        raw_rules = {}
    for rule_id, raw in raw_rules.items():
        where = f"rules.{rule_id}"
        if rule_id not in RULE_IDS:
            problems.append(f"{where}: unknown rule id (known: see POLICY.md)")
            continue
        if not isinstance(raw, dict) or not raw.get("clause"):
            problems.append(f"{where}: every rule needs a clause")
            continue
        kind = raw.get("kind", "requirement")
        if kind not in KINDS:
            problems.append(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
        params: dict[str, Param] = {}
        for pname, praw in (raw.get("params") or {}).items():
            pwhere = f"{where}.params.{pname}"
            if not isinstance(praw, dict) or "value" not in praw:
                problems.append(f"{pwhere}: needs a value")
                continue
            unknown = set(praw) - {"value", "op", "unit", "words"}
            if unknown:
                problems.append(f"{pwhere}: unknown keys {sorted(unknown)}")
            op = praw.get("op")
            if op is not None and op not in OPERATORS:
                problems.append(f"{pwhere}.op: {op!r} is not one of {', '.join(OPERATORS)}")
            words = praw.get("words")
            if words and op in OPERATORS:
                problems.extend(_check_words(pwhere, str(words), op))
            params[pname] = Param(pname, praw["value"], op, praw.get("unit"), words)
        interp = raw.get("interpretation") or {}
        if isinstance(interp, str):
            interp = {"zh": interp, "en": interp}
        rules[rule_id] = Rule(
            id=rule_id,
            clause=str(raw["clause"]),
            quote=str(raw.get("quote", "")),
            kind=kind,
            discretionary=bool(raw.get("discretionary", False)),
            interpretation=dict(interp),
            params=params,
        )
    issued = _date(data.get("issued"), "issued", problems)
    valid_until = _date(data.get("valid_until"), "valid_until", problems)
    if problems:
        msg = f"{label}: invalid policy pack: " + "; ".join(problems)
        raise InputError(msg)
    title = data.get("title") or {}
    if isinstance(title, str):
        title = {"zh": title, "en": title}
    return Pack(
        id=str(data["id"]),
        title=dict(title),
        document=str(data["document"]),
        issued=issued,
        valid_until=valid_until,
        rules=rules,
        source=str(data.get("source", "")),
        path=label,
    )


def _boundary(words: str) -> str | None:
    """"inclusive", "exclusive" or None for a phrase of the text.

    Longest words are matched first so that 不超过 is not read as 超过, 不低于 not as
    低于; an explicit （不含） makes the whole phrase exclusive ("20%（不含）以上").
    """
    found = set()
    for word in sorted(INCLUSIVE_WORDS + EXCLUSIVE_WORDS, key=len, reverse=True):
        if word in words:
            found.add("exclusive" if word in EXCLUSIVE_WORDS else "inclusive")
            words = words.replace(word, " ")
    if "exclusive" in found:
        return "exclusive"
    return "inclusive" if found else None


def _check_words(where: str, words: str, op: str) -> list[str]:
    """The boundary word of the text must agree with the operator."""
    boundary = _boundary(words)
    if boundary == "exclusive" and op in ("<=", ">="):
        return [f"{where}: {words!r} excludes the number but op is {op!r}"]
    if boundary == "inclusive" and op in ("<", ">"):
        return [f"{where}: {words!r} includes the number but op is {op!r}"]
    return []


def rules_markdown(pack_ids: list[str] | None = None) -> str:
    """A Markdown section listing, per pack, every rule with its clause and numbers.

    The README's rule list is this text (``scripts/update_readme.py`` writes it, a test
    checks it), so it cannot drift from the pack files.
    """
    lines = []
    for pack_id in pack_ids or available_packs():
        pack = load_pack(pack_id)
        issued = pack.issued.isoformat() if pack.issued else "no date in the text"
        lines += [
            f"#### `{pack.id}` — {pack.document}",
            "",
            f"{pack.title.get('zh', '')} (issued {issued}, valid until {pack.valid_until}). {len(pack.rules)} rules; every other rule answers `not_applicable` (\"not in this policy\").",
            "",
            "| rule | clause | parameters |",
            "|---|---|---|",
        ]
        for rule_id in RULE_IDS:
            rule = pack.rule(rule_id)
            if rule is None:
                continue
            params = "; ".join(f"`{p.name}` {p.describe()}".replace("|", "\\|") for p in rule.params.values()) or "—"
            flag = " (原则上)" if rule.discretionary else ""
            lines.append(f"| `{rule_id}`{flag} | {rule.clause} | {params} |")
        lines.append("")
    return "\n".join(lines)
