"""Per-mu efficiency — 亩均论英雄 (POLICY.md §8).

Per-mu figures are per enterprise (``owner``): the sums of its parcels' figures over
the sum of its parcels' measured areas in mu. A parcel without an owner counts as an
enterprise of its own. Monetary figures are in 万元 (10k yuan).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landtool.policy import Rule, compare
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, mu_to_m2, ratio
from landtool.verdicts import NOT_INDUSTRIAL, parcel_verdicts

__all__ = ["benchmark", "grade_incentive", "in_survey_scope", "low_efficiency", "survey_scope"]



# --------------------------------------------------------------------------- scope

SCOPE_EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "all": {
        "zh": "占用工业用地的企业全部纳入排查（企业用地 {value} 亩）",
        "en": "every enterprise on industrial land is surveyed (enterprise land {value} mu)",
    },
    "above_scale": {
        "zh": "规上企业，纳入排查（企业用地 {value} 亩）",
        "en": "above-scale enterprise: surveyed (enterprise land {value} mu)",
    },
    "area": {
        "zh": "规下企业实际用地 {value} 亩 ≥ {limit} 亩，纳入排查",
        "en": "below-scale enterprise with {value} mu ≥ {limit} mu of land: surveyed",
    },
    "out": {
        "zh": "规下企业实际用地 {value} 亩 < {limit} 亩，不在排查范围",
        "en": "below-scale enterprise with {value} mu < {limit} mu: outside the survey",
    },
    "unknown": {
        "zh": "企业用地 {value} 亩 < {limit} 亩，缺少“规上企业”（above_scale）无法判断",
        "en": "enterprise land {value} mu < {limit} mu and above_scale is missing: cannot tell",
    },
}


def _scope(frame: pd.DataFrame, rule: Rule) -> tuple[np.ndarray, np.ndarray]:
    """(status, reason) of the survey scope per parcel."""
    industrial = frame["is_industrial"].to_numpy(bool)
    if rule.value("scope") == "all_industrial":
        return (
            np.where(industrial, "pass", "not_applicable"),
            np.where(industrial, "all", "not_industrial"),
        )
    above = frame["owner_above_scale"]
    min_area = rule["min_area_mu"]
    big = compare(frame["owner_area_m2"], min_area.op or ">=", mu_to_m2(min_area.number), decimals=AREA_DECIMALS)
    conditions = [~industrial, above.fillna(False).to_numpy(bool), big, above.isna().to_numpy()]
    status = np.select(conditions, ["not_applicable", "pass", "pass", "insufficient_data"], "not_applicable")
    reason = np.select(conditions, ["not_industrial", "above_scale", "area", "unknown"], "out")
    return status, reason


def in_survey_scope(frame: pd.DataFrame, rule: Rule | None) -> np.ndarray:
    """True where the parcel's enterprise is in the pack's survey scope (no rule: all industrial).

    :func:`landtool.check` stores it as the ``in_survey_scope`` column, which
    :func:`low_efficiency` reads.
    """
    if rule is None:
        return frame["is_industrial"].to_numpy(bool)
    return _scope(frame, rule)[0] == "pass"


def survey_scope(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``efficiency.survey_scope``: is the parcel's enterprise in the per-mu survey?

    ``pass`` = in scope, ``not_applicable`` = outside it. Value: the enterprise's
    land in mu.
    """
    status, reason = _scope(frame, rule)
    min_area = rule.value("min_area_mu")
    return parcel_verdicts(
        frame, rule, pack_id, lang=lang, explain=SCOPE_EXPLAIN, status=status, reason=reason,
        value=np.round(frame["owner_area_mu"].to_numpy(float), 4),
        limit=np.nan if min_area is None else float(min_area),
        unit="mu",
    )


# --------------------------------------------------------------------------- low efficiency

LOW_EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "out_of_scope": {"zh": "不在亩均评价排查范围", "en": "outside the per-mu survey scope"},
    "no_tax": {
        "zh": "缺少{missing}，无法计算亩均税收",
        "en": "{missing} missing: cannot compute the per-mu tax",
    },
    "no_revenue": {
        "zh": "亩均税收 {value} 万元/亩介于两档之间，缺少营业收入（revenue_10k）无法确定适用标准",
        "en": "per-mu tax {value} (10k yuan/mu) lies between the two lines; revenue_10k is needed to choose one",
    },
    "low": {
        "zh": "连续两年亩均税收（今年 {value}、上年 {prev} 万元/亩）≤ {limit} 万元/亩（{band_zh}），属低效企业",
        "en": "per-mu tax {value} this year and {prev} last year (10k yuan/mu) both at or below {limit} ({band_en}): low-efficiency enterprise",
    },
    "ok": {
        "zh": "亩均税收今年 {value}、上年 {prev} 万元/亩，未连续两年 ≤ {limit}（{band_zh}）",
        "en": "per-mu tax {value} this year, {prev} last year (10k yuan/mu): not at or below {limit} two years running ({band_en})",
    },
}


def _two_years_low(tax: np.ndarray, prev: np.ndarray, line, op: str) -> np.ndarray:
    """"fail" (low both years), "pass" (above the line in either) or "insufficient_data"."""
    low_now = compare(tax, op, line, decimals=RATIO_DECIMALS)
    low_prev = compare(prev, op, line, decimals=RATIO_DECIMALS)
    high_now = ~np.isnan(tax) & ~low_now
    high_prev = ~np.isnan(prev) & ~low_prev
    return np.select([high_now | high_prev, low_now & low_prev], ["pass", "fail"], "insufficient_data")


def low_efficiency(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``efficiency.low_efficiency``: per-mu tax (万元/亩) at or below the line two years running.

    The line is ``large_tax_per_mu_max_10k`` (10) for an enterprise with revenue of at
    least ``large_revenue_10k`` (10000 万元 = 1亿元), else ``other_tax_per_mu_max_10k`` (5).
    ``fail`` = a low-efficiency enterprise. Without revenue the verdict is given when
    both lines agree, else ``insufficient_data``.
    """
    mu = frame["owner_area_exact_mu"].to_numpy(float)
    tax = ratio(frame["owner_tax_10k"], mu)
    prev = ratio(frame["owner_tax_prev_10k"], mu)
    large_p, large_max, other_max = rule["large_revenue_10k"], rule["large_tax_per_mu_max_10k"], rule["other_tax_per_mu_max_10k"]
    op = large_max.op or "<="
    revenue = frame["owner_revenue_10k"].to_numpy(float)
    large = compare(revenue, large_p.op or ">=", large_p.number, decimals=RATIO_DECIMALS)
    by_large = _two_years_low(tax, prev, large_max.number, op)
    by_other = _two_years_low(tax, prev, other_max.number, op)
    known = ~np.isnan(revenue)
    result = np.where(known, np.where(large, by_large, by_other), np.where(by_large == by_other, by_large, "insufficient_data"))
    limit = np.where(known & large, large_max.number, other_max.number)
    limit = np.where(~known & (by_large == "pass"), large_max.number, limit)

    in_scope = frame["in_survey_scope"].to_numpy(bool) if "in_survey_scope" in frame else frame["is_industrial"].to_numpy(bool)
    industrial = frame["is_industrial"].to_numpy(bool)
    data_missing = (result == "insufficient_data") & (np.isnan(tax) | np.isnan(prev))
    status = np.where(industrial & in_scope, result, "not_applicable")
    reason = np.select(
        [~industrial, ~in_scope, data_missing, result == "insufficient_data", result == "fail"],
        ["not_industrial", "out_of_scope", "no_tax", "no_revenue", "low"],
        "ok",
    )
    missing = np.where(np.isnan(tax), "tax_10k", "tax_prev_10k")
    band = np.where(limit == large_max.number, "large", "other")
    return parcel_verdicts(
        frame, rule, pack_id, lang=lang, explain=LOW_EXPLAIN, status=status, reason=reason,
        value=np.round(tax, RATIO_DECIMALS),
        limit=np.where(reason == "no_revenue", np.nan, limit),
        unit="10k_yuan_per_mu",
        extra={
            "prev": np.round(prev, RATIO_DECIMALS),
            "missing": missing,
            "band_zh": np.where(band == "large", "营业收入1亿元以上企业", "其他企业"),
            "band_en": np.where(band == "large", "enterprise with revenue of 1亿 yuan or more", "other enterprise"),
        },
    )


# --------------------------------------------------------------------------- benchmark

BENCH_EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "missing": {
        "zh": "缺少税收或增加值，无法对标（参考信息）",
        "en": "tax or value added missing: cannot compare with the targets (information)",
    },
    "met": {
        "zh": "亩均税收 {value}（目标 {limit}）、亩均增加值 {va}（目标 {va_target}）万元/亩，均达到2023年目标（参考信息）",
        "en": "per-mu tax {value} (target {limit}) and value added {va} (target {va_target}) in 10k yuan/mu both meet the 2023 targets (information)",
    },
    "below": {
        "zh": "亩均税收 {value}（目标 {limit}）、亩均增加值 {va}（目标 {va_target}）万元/亩，未全部达到2023年目标（参考信息）",
        "en": "per-mu tax {value} (target {limit}) and value added {va} (target {va_target}) in 10k yuan/mu: not both at the 2023 targets (information)",
    },
}


def benchmark(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``efficiency.benchmark`` (info): per-mu tax and value added against the 2023 targets."""
    mu = frame["owner_area_exact_mu"].to_numpy(float)
    tax = ratio(frame["owner_tax_10k"], mu)
    va = ratio(frame["owner_value_added_10k"], mu)
    tax_t, va_t = rule["tax_per_mu_target_10k"], rule["value_added_per_mu_target_10k"]
    met = compare(tax, tax_t.op or ">=", tax_t.number, decimals=RATIO_DECIMALS) & compare(
        va, va_t.op or ">=", va_t.number, decimals=RATIO_DECIMALS
    )
    conditions = [~frame["is_industrial"].to_numpy(bool), np.isnan(tax) | np.isnan(va), met]
    status = np.select(conditions, ["not_applicable", "insufficient_data", "pass"], "fail")
    reason = np.select(conditions, ["not_industrial", "missing", "met"], "below")
    return parcel_verdicts(
        frame, rule, pack_id, lang=lang, explain=BENCH_EXPLAIN, status=status, reason=reason,
        value=np.round(tax, RATIO_DECIMALS),
        limit=tax_t.number,
        unit="10k_yuan_per_mu",
        extra={"va": np.round(va, RATIO_DECIMALS), "va_target": va_t.number},
    )


# --------------------------------------------------------------------------- grade incentive

GRADE_EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "missing": {
        "zh": "无项目总投资（investment_10k），非激励申请项目",
        "en": "no project investment (investment_10k): not an incentive applicant",
    },
    "grade_a": {
        "zh": "总投资 {value} 万元 ≥ {limit} 万元：项目建设期间列入亩均评价A类",
        "en": "investment {value} ≥ {limit} (10k yuan): graded A during construction",
    },
    "not_d": {
        "zh": "总投资 {value} 万元 ≥ {limit} 万元：项目建设期间不列入亩均评价D类",
        "en": "investment {value} ≥ {limit} (10k yuan): not graded D during construction",
    },
    "none": {
        "zh": "总投资 {value} 万元 < {limit} 万元，无评价激励",
        "en": "investment {value} < {limit} (10k yuan): no grade incentive",
    },
}


def grade_incentive(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``efficiency.grade_incentive``: the project's total investment (万元) against the
    grade-A and not-grade-D lines. ``pass`` = an incentive applies; ``not_applicable`` = none.
    """
    investment = frame["investment_10k"].to_numpy(float)
    a, not_d = rule["grade_a_investment_10k"], rule["not_d_investment_10k"]
    is_a = compare(investment, a.op or ">=", a.number, decimals=RATIO_DECIMALS)
    is_not_d = compare(investment, not_d.op or ">=", not_d.number, decimals=RATIO_DECIMALS)
    conditions = [~frame["is_industrial"].to_numpy(bool), np.isnan(investment), is_a, is_not_d]
    # Like the subsidies: a parcel without a project investment is not an applicant.
    status = np.select(conditions, ["not_applicable", "not_applicable", "pass", "pass"], "not_applicable")
    reason = np.select(conditions, ["not_industrial", "missing", "grade_a", "not_d"], "none")
    return parcel_verdicts(
        frame, rule, pack_id, lang=lang, explain=GRADE_EXPLAIN, status=status, reason=reason,
        value=investment,
        limit=np.where(is_a, a.number, not_d.number),
        unit="10k_yuan",
    )


RULES = {
    "efficiency.survey_scope": survey_scope,
    "efficiency.low_efficiency": low_efficiency,
    "efficiency.benchmark": benchmark,
    "efficiency.grade_incentive": grade_incentive,
}
