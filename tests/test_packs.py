"""Tests of the policy-pack data (landtool/packs/*.yaml) and of the pack validator.

These test the numbers, clauses and quotes of the packs against POLICY.md and the source
texts, not the rule code. The seed texts and POLICY.md live outside the repository: set
LANDTOOL_SEEDS / LANDTOOL_POLICY_MD to their location (default ../shared beside the repository); the tests
that need them are skipped, with the reason, when they are not found.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

import pytest

from landtool.errors import InputError
from landtool.policy import KINDS, RULE_IDS, _boundary, available_packs, load_pack

PACK_IDS = ("taizhou", "tiantai", "yuhuan", "shengzhou")
PACK_DIR = Path(__file__).resolve().parent.parent / "landtool" / "packs"
#: The specification folder sits beside the repository (``../shared``), as in CI.
SHARED = Path(os.environ.get("LANDTOOL_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SEEDS_DIR = Path(os.environ.get("LANDTOOL_SEEDS", SHARED / "seeds"))
POLICY_MD = Path(os.environ.get("LANDTOOL_POLICY_MD", SHARED / "POLICY.md"))

def _unavailable(reason: str):
    """Skip locally, fail in CI (where shared/ is always beside the clone)."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


YUHUAN_TITLE = "玉环市新一轮制造业“腾笼换鸟、凤凰涅槃”攻坚行动方案"

#: POLICY.md, "The source documents": id, document, issued, valid_until, seed files.
HEADERS = {
    "taizhou": ("台政发〔2021〕27号", dt.date(2021, 12, 26), ("001_fb7f4ab96431e52a.txt",)),
    "tiantai": ("天政发〔2022〕1号", dt.date(2022, 2, 20), ("000_f0a92bbcc1112979.txt", "002_42ae9d5b022a2738.txt")),
    "yuhuan": (YUHUAN_TITLE, None, ("003_0a6a0c0d8fe2ff51.txt",)),
    "shengzhou": ("嵊政〔2022〕28号", dt.date(2022, 5, 10), ("004_ac5443d83dc80200.txt",)),
}
VALID_UNTIL = dt.date(2023, 12, 31)

#: Every clause starts with the document number (yuhuan has none: the short form 玉环方案).
CLAUSE_PREFIX = {"taizhou": "台政发〔2021〕27号 ", "tiantai": "天政发〔2022〕1号 ", "yuhuan": "玉环方案 ", "shengzhou": "嵊政〔2022〕28号 "}

_FRINGE = {"fringe.adjacent", "fringe.area_cap", "fringe.intensity", "fringe.no_split"}
_TRANSFER = {
    "split.in_production", "split.partition", "split.max_pieces", "split.min_piece_area",
    "split.building_integrity", "split.facility_land", "split.no_resplit",
    "transfer.transferee", "transfer.standard_land",
    "merge.adjacent", "merge.same_ownership", "merge.same_right_type", "merge.remaining_term", "merge.no_split_after",
}
_INDICATORS = {"indicator.far_max", "indicator.height_max", "indicator.density_max"}
_COMMON_TZ = _FRINGE | _TRANSFER | _INDICATORS | {
    "incentive.vertical_subsidy", "efficiency.survey_scope", "efficiency.low_efficiency", "efficiency.benchmark",
    "efficiency.grade_incentive", "landuse.retain_industrial", "renovation.admission", "transfer.pre_registration",
}

#: Which rules each pack has — exactly (a pack never borrows a rule from another).
EXPECTED_RULES = {
    "taizhou": _COMMON_TZ | {
        "facility.land_share", "landuse.control_line", "supply.industrial_share", "supply.standard_land",
        "incentive.rent_subsidy",
    },
    "tiantai": _COMMON_TZ | {
        "incentive.fee_exempt_area", "facility.land_share", "landuse.control_line", "supply.industrial_share",
        "supply.standard_land", "incentive.rent_subsidy",
    },
    "yuhuan": _COMMON_TZ | {"renovation.permit_exempt"},
    "shengzhou": {"efficiency.survey_scope", "efficiency.benchmark", "supply.industrial_share", "supply.standard_land"},
}

#: Parameters that are settings of the tool, not numbers of the text: they carry no `words`.
SETTINGS = {
    "gap_m", "snap_tolerance_m", "partition_tolerance_m2", "building_cut_tolerance_m2", "facility_cut_tolerance_m2",
    "min_shared_length_m", "balance_ratio_min", "standard_land_share_min", "large_revenue_10k",
}
UNITS = {"ratio", "m", "m2", "mu", "yuan", "yuan_per_m2", "10k_yuan", "10k_yuan_per_mu", "count", "year"}


@pytest.fixture(scope="module")
def packs():
    return {pid: load_pack(pid) for pid in PACK_IDS}


def _norm(text: str) -> str:
    """Fold full-/half-width forms (（，；％Ａ㎡ ≡ (,;%Am2) and drop all whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _seed_texts(pid: str) -> list[str]:
    files = [SEEDS_DIR / name for name in HEADERS[pid][2]]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        _unavailable(f"seed texts not found: {', '.join(missing)} (set LANDTOOL_SEEDS)")
    return [_norm(f.read_text(encoding="utf-8")) for f in files]


# --------------------------------------------------------------------------- loading and headers


def test_bundled_packs_are_listed():
    assert set(PACK_IDS) <= set(available_packs())


@pytest.mark.parametrize("pid", PACK_IDS)
def test_pack_loads_by_id_and_by_path(pid):
    by_id = load_pack(pid)
    by_path = load_pack(PACK_DIR / f"{pid}.yaml")
    assert by_id.id == by_path.id == pid
    assert by_id.rules == by_path.rules


@pytest.mark.parametrize("pid", PACK_IDS)
def test_header_matches_policy_table(packs, pid):
    pack = packs[pid]
    document, issued, seeds = HEADERS[pid]
    assert pack.id == pid
    assert pack.document == document
    assert pack.issued == issued
    assert pack.valid_until == VALID_UNTIL
    assert pack.source in seeds
    assert pack.title.get("zh") and pack.title.get("en")


def _policy_table() -> dict[str, list[str]]:
    if not POLICY_MD.is_file():
        _unavailable(f"{POLICY_MD} not found (set LANDTOOL_POLICY_MD)")
    rows = {}
    for line in POLICY_MD.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`(\w+)`\s*\|(.*)\|\s*$", line)
        if m and m.group(1) in PACK_IDS:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


@pytest.mark.parametrize("pid", PACK_IDS)
def test_header_against_policy_md_itself(packs, pid):
    row = _policy_table()[pid]
    document, issued, valid_until, seeds = row
    pack = packs[pid]

    def unquote(s):
        return s.replace("“", '"').replace("”", '"')

    assert unquote(pack.document) in unquote(document)
    assert (issued == "unknown") if pack.issued is None else (issued == pack.issued.isoformat())
    assert valid_until == pack.valid_until.isoformat()
    assert pack.source in seeds


@pytest.mark.parametrize("pid", PACK_IDS)
def test_validity_warning_after_expiry(packs, pid):
    pack = packs[pid]
    assert pack.validity_warning(dt.date(2023, 12, 31)) is None
    warning = pack.validity_warning(dt.date(2024, 1, 1))
    assert warning.code == "pack_expired" and warning.args["valid_until"] == "2023-12-31"
    assert "expired on 2023-12-31" in warning.render("en") and "已于 2023-12-31 失效" in warning.render("zh")


# --------------------------------------------------------------------------- rules, clauses, quotes


@pytest.mark.parametrize("pid", PACK_IDS)
def test_pack_has_exactly_its_rules(packs, pid):
    rules = set(packs[pid].rules)
    assert rules <= set(RULE_IDS)
    assert rules - EXPECTED_RULES[pid] == set(), "rule not in this policy"
    assert EXPECTED_RULES[pid] - rules == set(), "rule of this policy missing"


@pytest.mark.parametrize(
    ("pid", "rule_id"),
    [
        ("taizhou", "incentive.fee_exempt_area"),  # 二（六）: no parcel-level number
        ("taizhou", "renovation.permit_exempt"),
        ("tiantai", "renovation.permit_exempt"),
        ("yuhuan", "facility.land_share"),
        ("yuhuan", "incentive.fee_exempt_area"),
        ("yuhuan", "incentive.rent_subsidy"),
        ("yuhuan", "landuse.control_line"),
        ("yuhuan", "supply.industrial_share"),
        ("yuhuan", "supply.standard_land"),
        ("shengzhou", "indicator.far_max"),
        ("shengzhou", "indicator.height_max"),
        ("shengzhou", "fringe.area_cap"),
        ("shengzhou", "efficiency.low_efficiency"),
        ("shengzhou", "efficiency.grade_incentive"),
    ],
)
def test_rule_not_in_policy_is_absent(packs, pid, rule_id):
    assert packs[pid].rule(rule_id) is None


@pytest.mark.parametrize("pid", PACK_IDS)
def test_every_clause_starts_with_the_document_number(packs, pid):
    for rule in packs[pid].rules.values():
        assert rule.clause.startswith(CLAUSE_PREFIX[pid]), (rule.id, rule.clause)
        assert len(rule.clause) > len(CLAUSE_PREFIX[pid]), (rule.id, "clause names no section")


@pytest.mark.parametrize("pid", PACK_IDS)
def test_quotes_are_verbatim_from_the_seed(packs, pid):
    texts = _seed_texts(pid)
    for rule in packs[pid].rules.values():
        quote = _norm(rule.quote)
        assert quote, f"{rule.id}: empty quote"
        assert any(quote in text for text in texts), f"{pid} {rule.id}: quote not in the seed: {rule.quote}"


@pytest.mark.parametrize("pid", PACK_IDS)
def test_quoted_numbers_are_in_the_quote(packs, pid):
    """Every number a param takes from the text (it has words) appears in the rule's quote."""
    for rule in packs[pid].rules.values():
        quote = _norm(rule.quote)
        for p in rule.params.values():
            if not p.words or not isinstance(p.value, (int, float)) or isinstance(p.value, bool):
                continue
            shown = {
                "ratio": [f"{p.value * 100:g}%", f"{p.value:g}"],  # shares in %, FAR as such
                "10k_yuan": [f"{p.value:g}万元", f"{p.value / 10000:g}亿元"],
                "yuan": [f"{p.value / 10000:g}万元"],
            }.get(p.unit, [f"{p.value:g}"])
            assert any(s in quote for s in shown), f"{pid} {rule.id}.{p.name}: {shown} not in quote"


@pytest.mark.parametrize("pid", PACK_IDS)
def test_params_are_well_formed(packs, pid):
    for rule in packs[pid].rules.values():
        assert rule.kind in KINDS
        if rule.interpretation:
            assert rule.interpretation.get("zh") and rule.interpretation.get("en"), rule.id
        for p in rule.params.values():
            if p.unit is not None:
                assert p.unit in UNITS, (rule.id, p.name, p.unit)
            numeric = isinstance(p.value, (int, float)) and not isinstance(p.value, bool)
            if p.op and numeric and p.name not in SETTINGS:
                assert p.words, f"{pid} {rule.id}.{p.name}: a number of the text needs its boundary words"
            if p.unit == "ratio" and numeric and p.name not in {"far_max", "default_contract_far", "far_threshold"}:
                assert 0 <= p.value <= 1, (rule.id, p.name, "ratios are fractions")


# --------------------------------------------------------------------------- key numbers


def _param(packs, pid, rule_id, name):
    rule = packs[pid].rule(rule_id)
    assert rule is not None, f"{pid} has no {rule_id}"
    return rule[name]


@pytest.mark.parametrize(
    ("pid", "rule_id", "name", "value", "op"),
    [
        # fringe 零星地块
        ("taizhou", "fringe.area_cap", "area_ratio_max", 0.20, "<="),
        ("taizhou", "fringe.area_cap", "area_cap_mu", 10, "<="),
        ("tiantai", "fringe.area_cap", "area_ratio_max", 0.20, "<="),
        ("tiantai", "fringe.area_cap", "area_cap_mu", 10, "<="),
        ("yuhuan", "fringe.area_cap", "area_ratio_max", 0.10, "<="),
        ("yuhuan", "fringe.area_cap", "area_cap_mu", 3, "<="),
        *[(p, "fringe.intensity", n, 0.20, ">=") for p in ("taizhou", "tiantai", "yuhuan") for n in ("far_rise_min", "renovation_share_min")],
        *[(p, "fringe.adjacent", "gap_m", 0, "<=") for p in ("taizhou", "tiantai", "yuhuan")],
        # split / merge
        *[(p, "split.max_pieces", "max_pieces", 3, "<=") for p in ("taizhou", "tiantai", "yuhuan")],
        *[(p, "split.min_piece_area", "min_piece_area_mu", 10, ">=") for p in ("taizhou", "tiantai", "yuhuan")],
        *[(p, "split.building_integrity", "building_cut_tolerance_m2", 0.5, "<=") for p in ("taizhou", "tiantai", "yuhuan")],
        *[(p, "merge.adjacent", "min_shared_length_m", 0.5, ">=") for p in ("taizhou", "tiantai", "yuhuan")],
        # indicators
        ("tiantai", "indicator.far_max", "far_max", 1.1, "<="),
        ("tiantai", "indicator.height_max", "height_max_m", 24, "<="),
        ("yuhuan", "indicator.height_max", "height_max_m", 24, "<="),
        ("taizhou", "indicator.density_max", "standard_land_density_max", 0.60, "<="),
        ("tiantai", "incentive.fee_exempt_area", "far_threshold", 1.1, ">"),
        # vertical subsidy
        *[(p, "incentive.vertical_subsidy", n, 0.20, ">") for p in ("taizhou", "yuhuan") for n in ("rise_threshold", "share_threshold")],
        *[(p, "incentive.vertical_subsidy", n, 1_000_000, "<=") for p in ("taizhou", "yuhuan") for n in ("cap_per_project_yuan", "floor_cap_per_project_yuan")],
        ("tiantai", "incentive.vertical_subsidy", "rate_yuan_per_m2", 50, None),
        ("tiantai", "incentive.vertical_subsidy", "min_expansion_m2", 1000, ">="),
        ("tiantai", "incentive.vertical_subsidy", "cap_per_enterprise_yuan", 500_000, "<="),
        ("tiantai", "incentive.vertical_subsidy", "default_contract_far", 1.1, ">"),
        # facility share
        *[(p, "facility.land_share", "land_share_max", 0.07, "<=") for p in ("taizhou", "tiantai")],
        *[(p, "facility.land_share", "raised_land_share_max", 0.15, "<=") for p in ("taizhou", "tiantai")],
        *[(p, "facility.land_share", "raised_floor_share_max", 0.30, "<=") for p in ("taizhou", "tiantai")],
        *[(p, "facility.land_share", "leading_min_area_mu", 50, ">=") for p in ("taizhou", "tiantai")],
        # per-mu efficiency
        *[(p, "efficiency.survey_scope", "min_area_mu", 3, ">=") for p in ("taizhou", "yuhuan", "shengzhou")],
        *[(p, "efficiency.low_efficiency", "large_revenue_10k", 10000, ">=") for p in ("taizhou", "tiantai", "yuhuan")],
        *[(p, "efficiency.low_efficiency", "large_tax_per_mu_max_10k", 10, "<=") for p in ("taizhou", "tiantai", "yuhuan")],
        *[(p, "efficiency.low_efficiency", "other_tax_per_mu_max_10k", 5, "<=") for p in ("taizhou", "tiantai", "yuhuan")],
        *[(p, "efficiency.low_efficiency", "years", 2, None) for p in ("taizhou", "tiantai", "yuhuan")],
        ("taizhou", "efficiency.benchmark", "tax_per_mu_target_10k", 28, ">="),
        ("taizhou", "efficiency.benchmark", "value_added_per_mu_target_10k", 153, ">="),
        ("tiantai", "efficiency.benchmark", "tax_per_mu_target_10k", 25, ">="),
        ("tiantai", "efficiency.benchmark", "value_added_per_mu_target_10k", 150, ">="),
        ("yuhuan", "efficiency.benchmark", "tax_per_mu_target_10k", 34.6, ">="),
        ("yuhuan", "efficiency.benchmark", "value_added_per_mu_target_10k", 179.6, ">="),
        ("shengzhou", "efficiency.benchmark", "tax_per_mu_target_10k", 28, ">="),
        ("shengzhou", "efficiency.benchmark", "value_added_per_mu_target_10k", 115, ">="),
        ("taizhou", "efficiency.grade_incentive", "grade_a_investment_10k", 10000, ">="),
        ("taizhou", "efficiency.grade_incentive", "not_d_investment_10k", 3000, ">="),
        ("tiantai", "efficiency.grade_incentive", "grade_a_investment_10k", 10000, ">="),
        ("tiantai", "efficiency.grade_incentive", "not_d_investment_10k", 3000, ">="),
        ("yuhuan", "efficiency.grade_incentive", "grade_a_investment_10k", 20000, ">="),
        ("yuhuan", "efficiency.grade_incentive", "not_d_investment_10k", 5000, ">="),
        # land use, supply, minor rules
        *[(p, "transfer.pre_registration", "investment_share_max", 0.25, "<") for p in ("taizhou", "tiantai", "yuhuan")],
        *[(p, "supply.industrial_share", "industrial_share_min", 0.30, ">=") for p in ("taizhou", "tiantai", "shengzhou")],
        *[(p, "supply.standard_land", "standard_land_share_min", 1.0, ">=") for p in ("taizhou", "tiantai", "shengzhou")],
        ("yuhuan", "renovation.permit_exempt", "investment_max_10k", 200, "<="),
        ("yuhuan", "renovation.permit_exempt", "floor_area_max_m2", 1000, "<="),
        *[(p, "incentive.rent_subsidy", "min_investment_10k", 1000, ">=") for p in ("taizhou", "tiantai")],
        *[(p, "incentive.rent_subsidy", "rate_yuan_per_m2_month", 3, None) for p in ("taizhou", "tiantai")],
        *[(p, "incentive.rent_subsidy", "months", 12, None) for p in ("taizhou", "tiantai")],
        *[(p, "incentive.rent_subsidy", "cap_yuan", 500_000, "<=") for p in ("taizhou", "tiantai")],
    ],
)
def test_key_numbers(packs, pid, rule_id, name, value, op):
    p = _param(packs, pid, rule_id, name)
    assert p.value == pytest.approx(value)
    assert p.op == op


@pytest.mark.parametrize(
    ("pid", "rule_id", "name", "value"),
    [
        ("taizhou", "indicator.far_max", "far_max", "plan"),
        ("taizhou", "indicator.height_max", "height_max_m", "plan"),
        ("taizhou", "indicator.density_max", "density_max", "plan"),
        ("tiantai", "indicator.density_max", "density_max", "plan"),
        ("yuhuan", "indicator.far_max", "far_max", "unlimited"),
        ("yuhuan", "indicator.density_max", "density_max", "unlimited"),
        ("tiantai", "indicator.far_max", "zones", {"development_zone": "plan"}),
        ("tiantai", "indicator.height_max", "zones", {"development_zone": "plan"}),
        ("yuhuan", "indicator.height_max", "zones", {"municipal_industrial_zone": "unlimited"}),
        ("tiantai", "indicator.far_max", "plan_condition", "overrides"),
        ("tiantai", "indicator.height_max", "plan_condition", "overrides"),
        ("yuhuan", "indicator.height_max", "plan_condition", "also_applies"),
        ("taizhou", "incentive.vertical_subsidy", "rate_by_grade_yuan_per_m2", {"A": 60, "B": 50}),
        ("yuhuan", "incentive.vertical_subsidy", "rate_by_grade_yuan_per_m2", {"A": 80, "B": 50}),
        ("taizhou", "incentive.vertical_subsidy", "floor_rates_yuan_per_m2", {4: 30, 5: 40, 6: 50}),
        ("yuhuan", "incentive.vertical_subsidy", "floor_rates_yuan_per_m2", {4: 30, 5: 40, 6: 50}),
        ("taizhou", "facility.land_share", "leading_grades", ["A", "B"]),
        ("tiantai", "facility.land_share", "leading_grades", ["A", "B"]),
        *[(p, "transfer.transferee", "excluded_grades", ["C", "D"]) for p in ("taizhou", "tiantai", "yuhuan")],
        *[(p, "split.max_pieces", "exempt", ["industrial_real_estate"]) for p in ("taizhou", "tiantai", "yuhuan")],
        ("taizhou", "efficiency.survey_scope", "scope", "above_scale_or_min_area"),
        ("yuhuan", "efficiency.survey_scope", "scope", "above_scale_or_min_area"),
        ("shengzhou", "efficiency.survey_scope", "scope", "above_scale_or_min_area"),
        ("tiantai", "efficiency.survey_scope", "scope", "all_industrial"),
        ("taizhou", "supply.standard_land", "negative_list_exempt", True),
        ("tiantai", "supply.standard_land", "negative_list_exempt", True),
        ("shengzhou", "supply.standard_land", "negative_list_exempt", False),
        *[(p, "incentive.rent_subsidy", "eligible_grades", ["A", "B"]) for p in ("taizhou", "tiantai")],
    ],
)
def test_key_settings(packs, pid, rule_id, name, value):
    assert _param(packs, pid, rule_id, name).value == value


def test_tiantai_survey_scope_has_no_area_threshold(packs):
    assert "min_area_mu" not in packs["tiantai"].rule("efficiency.survey_scope").params


@pytest.mark.parametrize(
    ("pid", "rule_id"),
    [
        *[(p, r) for p in ("taizhou", "tiantai", "yuhuan") for r in ("split.max_pieces", "fringe.no_split")],
        ("tiantai", "indicator.far_max"),
        ("tiantai", "indicator.height_max"),
    ],
)
def test_discretionary_limits(packs, pid, rule_id):
    assert packs[pid].rule(rule_id).discretionary


@pytest.mark.parametrize(
    ("pid", "rule_id"),
    [
        *[(p, r) for p in ("taizhou", "tiantai", "yuhuan") for r in ("split.min_piece_area", "fringe.area_cap")],
        ("yuhuan", "indicator.height_max"),
    ],
)
def test_strict_limits(packs, pid, rule_id):
    assert not packs[pid].rule(rule_id).discretionary


@pytest.mark.parametrize(
    ("pid", "rule_id"),
    [
        *[(p, r) for p in ("taizhou", "tiantai", "yuhuan") for r in (
            "fringe.adjacent", "fringe.intensity", "split.building_integrity", "merge.adjacent",
            "incentive.vertical_subsidy", "efficiency.low_efficiency",
        )],
    ],
)
def test_interpretations_are_stated(packs, pid, rule_id):
    rule = packs[pid].rule(rule_id)
    assert rule.interpretation_text("zh") and rule.interpretation_text("en")


@pytest.mark.parametrize(
    ("pid", "rule_id"),
    [
        *[(p, "incentive.vertical_subsidy") for p in ("taizhou", "tiantai", "yuhuan")],
        *[(p, "incentive.rent_subsidy") for p in ("taizhou", "tiantai")],
        ("tiantai", "incentive.fee_exempt_area"),
    ],
)
def test_money_rules_are_amounts(packs, pid, rule_id):
    assert packs[pid].rule(rule_id).kind == "amount"


@pytest.mark.parametrize("pid", PACK_IDS)
def test_benchmark_is_info(packs, pid):
    assert packs[pid].rule("efficiency.benchmark").kind == "info"


# --------------------------------------------------------------------------- validator


def _pack_text(rule_yaml: str, *, issued: str = "2024-01-01", valid_until: str = "2025-12-31", extra: str = "") -> str:
    return f"id: mine\ndocument: 测试〔2024〕1号\nissued: {issued}\nvalid_until: {valid_until}\n{extra}rules:\n" + rule_yaml


def _load_text(tmp_path, text: str):
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return load_pack(path)


def test_minimal_user_pack_loads(tmp_path):
    pack = _load_text(
        tmp_path,
        _pack_text(
            "  fringe.area_cap:\n    clause: 测试〔2024〕1号 二\n"
            "    params:\n      area_cap_mu: {value: 5, op: \"<=\", unit: mu, words: 不超过}\n"
        ),
    )
    assert pack.rule("fringe.area_cap")["area_cap_mu"].number == 5


def _problems(tmp_path, text: str) -> tuple[list[str], str]:
    with pytest.raises(InputError) as err:
        _load_text(tmp_path, text)
    assert err.value.code == "pack_invalid"
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'mine.yaml'}: invalid policy pack: ") and "\n" not in message
    return err.value.problem_codes, message


def test_bad_op_is_rejected(tmp_path):
    text = _pack_text(
        "  fringe.area_cap:\n    clause: 测试〔2024〕1号 二\n"
        "    params:\n      area_cap_mu: {value: 5, op: \"=<\", unit: mu}\n"
    )
    codes, message = _problems(tmp_path, text)
    assert codes == ["pack_not_one_of"]
    assert "rules.fringe.area_cap.params.area_cap_mu.op: '=<' is not one of <=, <, >=, >, ==" in message


def test_words_contradicting_op_are_rejected(tmp_path):
    text = _pack_text(
        "  fringe.area_cap:\n    clause: 测试〔2024〕1号 二\n"
        "    params:\n      area_cap_mu: {value: 5, op: \"<\", unit: mu, words: 不超过}\n"
    )
    codes, message = _problems(tmp_path, text)
    assert codes == ["pack_words_include"]
    assert "area_cap_mu: '不超过' includes the number but op is '<'" in message


def test_exclusive_words_with_inclusive_op_are_rejected(tmp_path):
    text = _pack_text(
        "  incentive.vertical_subsidy:\n    clause: 测试〔2024〕1号 二\n"
        "    params:\n      rise_threshold: {value: 0.2, op: \">=\", unit: ratio, words: 20%（不含）以上}\n"
    )
    codes, message = _problems(tmp_path, text)
    assert codes == ["pack_words_exclude"]
    assert "rise_threshold: '20%（不含）以上' excludes the number but op is '>='" in message


def test_unknown_rule_id_is_rejected(tmp_path):
    codes, message = _problems(tmp_path, _pack_text("  fringe.area_limit:\n    clause: 测试〔2024〕1号 二\n"))
    assert codes == ["pack_unknown_rule"] and "rules.fringe.area_limit" in message


def test_missing_clause_is_rejected(tmp_path):
    codes, message = _problems(tmp_path, _pack_text("  fringe.area_cap:\n    quote: 不超过10亩\n"))
    assert codes == ["pack_no_clause"] and "rules.fringe.area_cap" in message


def test_all_problems_are_reported_at_once(tmp_path):
    text = _pack_text(
        "  fringe.area_limit:\n    clause: x\n"
        "  fringe.area_cap:\n    quote: y\n"
    )
    codes, _ = _problems(tmp_path, text)
    assert codes == ["pack_unknown_rule", "pack_no_clause"]


_CAP = "  fringe.area_cap:\n    clause: c\n"


@pytest.mark.parametrize(
    ("text", "codes", "named"),
    [
        (_pack_text(_CAP, issued="2023-02-30"), ["pack_bad_date"], "issued: '2023-02-30'"),
        (_pack_text(_CAP, valid_until="2023-1-5"), ["pack_bad_date"], "2023-1-5"),
        (_pack_text(_CAP, valid_until="2019-12-31"), ["pack_dates_reversed"], "valid_until 2019-12-31 is before issued 2024-01-01"),
        (_pack_text(_CAP + "    discretionary: 是\n"), ["pack_wrong_type"], "rules.fringe.area_cap.discretionary: must be true or false"),
        (_pack_text(_CAP + "    params: [1, 2]\n"), ["pack_wrong_type"], "rules.fringe.area_cap.params: must be a mapping"),
        (_pack_text(_CAP + "    params:\n      area_cap_mu: {value: 十亩, op: \"<=\"}\n"), ["pack_value_not_number"], "'十亩'"),
        (_pack_text(_CAP + "    params:\n      area_cap_mu: {value: [gfa_m2, floor_area], op: \">\"}\n"), ["pack_value_not_number"], "floor_area"),
        (_pack_text(_CAP + "    params:\n      area_cap_mu: 10\n"), ["pack_param_no_value"], "area_cap_mu: needs a value"),
        (_pack_text(_CAP + "    kind: rule\n    params:\n      area_cap_mu: {value: 10, opp: \"<=\"}\n"),
         ["pack_not_one_of", "pack_param_unknown_keys"], "unknown keys opp"),
        (_pack_text(_CAP, extra="title: [a, b]\n"), ["pack_wrong_type"], "title: must be text or a mapping"),
    ],
)
def test_malformed_packs_list_every_problem(tmp_path, text, codes, named):
    got, message = _problems(tmp_path, text)
    assert got == codes and named in message


def test_compared_values_may_be_plan_unlimited_or_input_fields(tmp_path):
    params = "    params:\n      a: {value: plan, op: \"<=\"}\n      b: {value: unlimited, op: \"<=\"}\n      c: {value: [industry_far, contract_far], op: \">\"}\n"
    pack = _load_text(tmp_path, _pack_text(_CAP + params))
    assert pack.rule("fringe.area_cap")["c"].value == ["industry_far", "contract_far"]


def test_rules_that_are_not_a_mapping(tmp_path):
    codes, message = _problems(tmp_path, "id: mine\ndocument: d\nrules: [fringe.area_cap]\n")
    assert codes == ["pack_wrong_type"] and "rules: must be a mapping" in message


def test_pack_problems_render_in_chinese(tmp_path):
    text = _pack_text("  fringe.area_limit:\n    clause: x\n", issued="2023-02-30")
    with pytest.raises(InputError) as err:
        _load_text(tmp_path, text)
    zh = err.value.render("zh")
    assert zh == f"{tmp_path / 'mine.yaml'}：政策包有误：rules.fringe.area_limit：未知的规则编号（规则编号见政策说明文档）；issued：“2023-02-30”不是有效日期（年-月-日）"


def test_pack_in_gbk_is_read(tmp_path):
    path = tmp_path / "gbk.yaml"
    text = _pack_text("  fringe.area_cap:\n    clause: 测试〔2024〕1号 二\n    params:\n      area_cap_mu: {value: 5, op: \"<=\", unit: mu, words: 不超过}\n")
    path.write_bytes(text.encode("gbk"))
    pack = load_pack(path)
    assert pack.document == "测试〔2024〕1号" and pack.issued == dt.date(2024, 1, 1)
    assert pack.rule("fringe.area_cap")["area_cap_mu"].words == "不超过"


def test_pack_file_errors(tmp_path):
    with pytest.raises(InputError) as err:
        load_pack(tmp_path / "absent.yaml")
    assert err.value.code == "pack_not_found" and "absent.yaml" in str(err.value)
    (tmp_path / "bad.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_pack(tmp_path / "bad.yaml")
    assert err.value.code == "pack_not_yaml" and "bad.yaml: line 2" in str(err.value)
    (tmp_path / "list.yaml").write_text("- a\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_pack(tmp_path / "list.yaml")
    assert err.value.code == "pack_not_mapping"


def test_missing_parameter_names_rule_and_clause(packs):
    with pytest.raises(InputError) as err:
        packs["tiantai"].rule("indicator.far_max")["nope"]
    assert err.value.code == "pack_param_missing"
    assert "indicator.far_max (天政发〔2022〕1号 四（五）) has no parameter nope" in str(err.value)


def test_unknown_pack_id_names_the_bundled_packs():
    with pytest.raises(InputError) as err:
        load_pack("nowhere")
    assert err.value.code == "pack_unknown"
    assert re.search(r"unknown policy pack 'nowhere'.*taizhou", str(err.value))


@pytest.mark.parametrize(
    "words",
    ["以上", "以下", "不超过", "不少于", "不得大于", "不应大于", "不低于", "3亩（含）以上", "3亩(含)以上", "以内", "达到"],
)
def test_inclusive_boundary_words(words):
    assert _boundary(words) == "inclusive"


@pytest.mark.parametrize("words", ["超过", "不满", "以外", "20%（不含）以上", "20% (不含) 以上", "未达到", "高于1.1以上"])
def test_exclusive_boundary_words(words):
    assert _boundary(words) == "exclusive"


def test_words_without_a_boundary():
    assert _boundary("界线相邻") is None


@pytest.mark.parametrize("pid", PACK_IDS)
def test_pack_words_agree_with_ops(packs, pid):
    """Redundant with the loader, but states the convention on the bundled data."""
    for rule in packs[pid].rules.values():
        for p in rule.params.values():
            if p.words and p.op:
                b = _boundary(p.words)
                if b == "inclusive":
                    assert p.op in ("<=", ">=", "=="), (rule.id, p.name)
                elif b == "exclusive":
                    assert p.op in ("<", ">"), (rule.id, p.name)
