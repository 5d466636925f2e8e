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
import hashlib
import operator
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from landtool.errors import InputError
from landtool.messages import YAML_LOADER, Message
from landtool.problems import Problem, raise_problems
from landtool.values import read_text

__all__ = [
    "OPERATORS",
    "RULE_IDS",
    "Pack",
    "Param",
    "Rule",
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
#: Values a compared parameter may take besides a number (the rule code reads them).
SYMBOLIC_LIMITS = ("plan", "unlimited")

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
            raise InputError("pack_param_missing", rule=self.id, clause=self.clause, param=name, params=list(self.params)) from None

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
    """``pack:<id>`` for a bundled pack, else the YAML file's path."""
    sha256: str = ""
    """SHA-256 of the pack's YAML file, for the run record."""

    def rule(self, rule_id: str) -> Rule | None:
        """The rule, or None when it is not in this policy."""
        return self.rules.get(rule_id)

    def validity_warning(self, as_of: dt.date, lang: str | None = None) -> Message | None:
        """A warning (``pack_expired`` / ``pack_not_yet_issued``) when ``as_of`` lies outside the
        pack's validity, else None. ``lang`` is ignored (the message is rendered where shown)."""
        args = {"pack": self.id, "document": self.document, "as_of": as_of.isoformat()}
        if self.valid_until and as_of > self.valid_until:
            args["valid_until"] = self.valid_until.isoformat()
            return Message("pack_expired", args)
        if self.issued and as_of < self.issued:
            args["issued"] = self.issued.isoformat()
            return Message("pack_not_yet_issued", args)
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


class _PackLoader(YAML_LOADER):
    """YAML (libyaml's parser where there is one) without implicit timestamps: dates stay text
    and are checked by :func:`_date`, so that an impossible date (2023-02-30) is a listed
    problem, not a crash of the parser."""


_PackLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in YAML_LOADER.yaml_implicit_resolvers.items()
}


def load_pack(name_or_path: str | Path) -> Pack:
    """Load a bundled pack by id, or a user's pack from a YAML file (UTF-8, else GB18030/GBK).

    Raises InputError (``pack_invalid``) listing every problem found in the file.
    """
    text_path = Path(name_or_path)
    if str(name_or_path) in available_packs():
        resource = resources.files("landtool") / "packs" / f"{name_or_path}.yaml"
        label = f"{name_or_path}.yaml"
        raw = resource.read_bytes()
        text = raw.decode("utf-8")
        source_path = f"pack:{name_or_path}"
    elif text_path.suffix in {".yaml", ".yml"} or text_path.exists():
        if not text_path.is_file():
            raise InputError("pack_not_found", path=str(text_path))
        label = source_path = str(text_path)
        raw = text_path.read_bytes()
        text = read_text(text_path, "pack_not_text")
    else:
        raise InputError("pack_unknown", name=str(name_or_path), packs=available_packs())
    try:
        data = yaml.load(text, Loader=_PackLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError("pack_not_yaml", path=label, line=mark.line + 1 if mark else 1, detail=str(getattr(exc, "problem", "") or "")) from None
    return replace(_build_pack(data, label), path=source_path, sha256=hashlib.sha256(raw).hexdigest())


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value: Any, key: str, problems: list[Problem]) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        if _ISO_DATE.fullmatch(str(value)):
            return dt.date.fromisoformat(str(value))
    except ValueError:
        pass
    problems.append(Problem("pack_bad_date", {"key": key, "value": str(value)}))
    return None


def _typed(data: dict, key: str, where: str, expected: str, problems: list[Problem], default: Any = None) -> Any:
    """``data[key]`` when it has the expected type (``text``, ``mapping``, ``bool``,
    ``text_or_mapping``), else ``default`` and a ``pack_wrong_type`` problem."""
    value = data.get(key, default)
    if value is None or value is default:
        return value
    ok = {
        "text": isinstance(value, str),
        "mapping": isinstance(value, dict),
        "bool": isinstance(value, bool),
        "text_or_mapping": isinstance(value, str) or (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())),
    }[expected]
    if ok:
        return value
    problems.append(Problem("pack_wrong_type", {"key": f"{where}{key}", "pack_type": expected}))
    return default


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_symbolic(value: Any) -> bool:
    """A compared value the rule code resolves: ``plan``, ``unlimited``, or a list of the
    input fields to compare with (``[industry_far, contract_far]``)."""
    if isinstance(value, list):
        from landtool.fields import field_specs

        known = {f for layer in field_specs().values() for f in layer}
        return bool(value) and all(isinstance(v, str) and v in known for v in value)
    return isinstance(value, str) and value in SYMBOLIC_LIMITS


def _build_pack(data: Any, label: str) -> Pack:
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InputError("pack_not_mapping", path=label)
    for key in ("id", "document", "rules"):
        if key not in data:
            problems.append(Problem("pack_missing_key", {"key": key}))
    for key in ("id", "document"):
        if key in data and not isinstance(data[key], (str, int)):
            problems.append(Problem("pack_wrong_type", {"key": key, "pack_type": "text"}))
    title = _typed(data, "title", "", "text_or_mapping", problems, {})
    source = _typed(data, "source", "", "text", problems, "")
    rules: dict[str, Rule] = {}
    raw_rules = _typed(data, "rules", "", "mapping", problems, {}) or {}
    for rule_id, raw in raw_rules.items():
        where = f"rules.{rule_id}"
        if rule_id not in RULE_IDS:
            problems.append(Problem("pack_unknown_rule", {"key": where}))
            continue
        if not isinstance(raw, dict) or not raw.get("clause"):
            problems.append(Problem("pack_no_clause", {"key": where}))
            continue
        if not isinstance(raw["clause"], str):
            problems.append(Problem("pack_wrong_type", {"key": f"{where}.clause", "pack_type": "text"}))
        kind = raw.get("kind", "requirement")
        if kind not in KINDS:
            problems.append(Problem("pack_not_one_of", {"key": f"{where}.kind", "value": str(kind), "allowed": list(KINDS)}))
        discretionary = _typed(raw, "discretionary", f"{where}.", "bool", problems, False)
        quote = _typed(raw, "quote", f"{where}.", "text", problems, "")
        interp = _typed(raw, "interpretation", f"{where}.", "text_or_mapping", problems, {}) or {}
        if isinstance(interp, str):
            interp = {"zh": interp, "en": interp}
        raw_params = _typed(raw, "params", f"{where}.", "mapping", problems, {}) or {}
        params = {str(name): p for name, praw in raw_params.items() if (p := _param(f"{where}.params.{name}", str(name), praw, problems))}
        rules[rule_id] = Rule(
            id=rule_id,
            clause=str(raw["clause"]),
            quote=str(quote or ""),
            kind=kind,
            discretionary=bool(discretionary),
            interpretation=dict(interp),
            params=params,
        )
    issued = _date(data.get("issued"), "issued", problems)
    valid_until = _date(data.get("valid_until"), "valid_until", problems)
    if issued and valid_until and valid_until < issued:
        problems.append(Problem("pack_dates_reversed", {"issued": issued.isoformat(), "valid_until": valid_until.isoformat()}))
    raise_problems("pack_invalid", problems, path=label)
    if isinstance(title, str):
        title = {"zh": title, "en": title}
    return Pack(
        id=str(data["id"]),
        title=dict(title or {}),
        document=str(data["document"]),
        issued=issued,
        valid_until=valid_until,
        rules=rules,
        source=str(source or ""),
        path=label,
    )


def _param(where: str, name: str, praw: Any, problems: list[Problem]) -> Param | None:
    """One parameter of a rule, or None (with problems) when it cannot be used."""
    if not isinstance(praw, dict) or "value" not in praw:
        problems.append(Problem("pack_param_no_value", {"key": where}))
        return None
    unknown = set(map(str, praw)) - {"value", "op", "unit", "words"}
    if unknown:
        problems.append(Problem("pack_param_unknown_keys", {"key": where, "keys": sorted(unknown)}))
    op = praw.get("op")
    if op is not None and op not in OPERATORS:
        problems.append(Problem("pack_not_one_of", {"key": f"{where}.op", "value": str(op), "allowed": list(OPERATORS)}))
    value = praw["value"]
    if op is not None and not (_is_number(value) or _is_symbolic(value)):
        problems.append(Problem("pack_value_not_number", {"key": f"{where}.value", "value": str(value), "allowed": list(SYMBOLIC_LIMITS)}))
    for key in ("unit", "words"):
        if praw.get(key) is not None and not isinstance(praw[key], str):
            problems.append(Problem("pack_wrong_type", {"key": f"{where}.{key}", "pack_type": "text"}))
    words = praw.get("words")
    if isinstance(words, str) and words and op in OPERATORS:
        problems.extend(_check_words(where, words, op))
    return Param(name, value, op, praw.get("unit"), words)


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


def _check_words(where: str, words: str, op: str) -> list[Problem]:
    """The boundary word of the text must agree with the operator."""
    boundary = _boundary(words)
    if boundary == "exclusive" and op in ("<=", ">="):
        return [Problem("pack_words_exclude", {"key": where, "words": words, "op": op})]
    if boundary == "inclusive" and op in ("<", ">"):
        return [Problem("pack_words_include", {"key": where, "words": words, "op": op})]
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
