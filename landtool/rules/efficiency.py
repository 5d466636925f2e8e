"""Per-mu efficiency — 亩均论英雄 (POLICY.md §8).

Per-mu figures are per enterprise (``owner``): the sums of its parcels' figures over
the sum of its parcels' measured areas in mu. A parcel without an owner counts as an
enterprise of its own. Monetary figures are in 万元 (10k yuan). Figures the reader
found implausible (negative tax, revenue, investment) arrive blank (NaN): a blank
figure is never read as 0, so it never passes a test. Rules give reason codes; the
sentences are in ``landtool/messages/*/efficiency.yaml``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landtool.policy import Rule, compare
from landtool.rules.common import flag
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, mu_to_m2, ratio
from landtool.verdicts import by_reason, declare, only, parcel_verdicts

__all__ = ["benchmark", "grade_incentive", "in_survey_scope", "low_efficiency", "survey_scope"]

declare(
    "efficiency.survey_scope",
    ("not_industrial", "all_industrial", "above_scale", "min_area", "min_area_scale_unknown", "below_min_area", "scale_unknown"),
)
declare("efficiency.low_efficiency", ("not_industrial", "out_of_scope", "scope_unknown", "no_tax", "no_revenue", "low", "not_low"))
declare("efficiency.benchmark", ("not_industrial", "no_figures", "met", "below"))
declare("efficiency.grade_incentive", ("not_industrial", "no_investment", "grade_a", "not_d", "no_incentive"))




def _nan_names(columns: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """Per row, the list of the ``columns`` names whose value is NaN (built once per pattern)."""
    names = list(columns)
    code = np.zeros(len(rows), dtype=np.intp)
    for bit, name in enumerate(names):
        code |= np.isnan(columns[name]).astype(np.intp) << bit
    table = np.empty(1 << len(names), dtype=object)
    for pattern in range(len(table)):  # at most a few patterns
        table[pattern] = [name for bit, name in enumerate(names) if pattern >> bit & 1]
    return np.where(rows, table[code], None)


# --------------------------------------------------------------------------- scope


def _scope(frame: pd.DataFrame, rule: Rule) -> tuple[np.ndarray, np.ndarray]:
    """(status, reason) of the survey scope per parcel.

    The area test is made on the enterprise's area in m² rounded to 0.01 m² (POLICY.md):
    3 mu is 2000.00 m². Whether the enterprise is above-scale is ``owner_above_scale``;
    unknown is never read as below-scale.
    """
    industrial = frame["is_industrial"].to_numpy(bool)
    if rule.value("scope") == "all_industrial":
        return (
            np.where(industrial, "pass", "not_applicable"),
            np.where(industrial, "all_industrial", "not_industrial"),
        )
    above, known = flag(frame["owner_above_scale"])
    min_area = rule["min_area_mu"]
    big = compare(frame["owner_area_m2"], min_area.op or ">=", mu_to_m2(min_area.number), decimals=AREA_DECIMALS)
    conditions = [~industrial, above, big & known, big, known]
    status = np.select(conditions, ["not_applicable", "pass", "pass", "pass", "not_applicable"], "insufficient_data")
    reason = np.select(conditions, ["not_industrial", "above_scale", "min_area", "min_area_scale_unknown", "below_min_area"], "scale_unknown")
    return status, reason


def in_survey_scope(frame: pd.DataFrame, rule: Rule | None) -> pd.arrays.BooleanArray:
    """Per parcel, whether its enterprise is in the pack's survey scope: True, False, or
    NA where that is unknown (below the area line and ``above_scale`` unknown). No rule:
    every industrial parcel.

    :func:`landtool.check` stores it as the ``in_survey_scope`` column, which
    :func:`low_efficiency` reads.
    """
    if rule is None:
        return pd.array(frame["is_industrial"].to_numpy(bool), dtype="boolean")
    status = _scope(frame, rule)[0]
    out = pd.array(status == "pass", dtype="boolean")
    out[status == "insufficient_data"] = pd.NA
    return out


def survey_scope(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``efficiency.survey_scope``: is the parcel's enterprise in the per-mu survey?

    ``pass`` = in scope, ``not_applicable`` = outside it, ``insufficient_data`` = below
    the area line with ``above_scale`` unknown. Value: the enterprise's land in mu (from
    its area in m² at 0.01 m², unrounded, so that 1999.99 m² shows as 2.999985 mu).
    """
    status, reason = _scope(frame, rule)
    min_area = rule.value("min_area_mu")
    area_m2 = frame["owner_area_m2"].to_numpy(float)
    with_area = np.isin(reason, ("min_area", "min_area_scale_unknown", "below_min_area", "scale_unknown"))
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=np.round(frame["owner_area_mu"].to_numpy(float), RATIO_DECIMALS),
        limit=np.nan if min_area is None else float(min_area),
        unit="mu",
        args={
            "land_use": only(reason == "not_industrial", frame["land_use"]),
            "area_m2": only(with_area, np.round(area_m2, AREA_DECIMALS)),
            "limit_m2": only(with_area, round(mu_to_m2(float(min_area)), AREA_DECIMALS)) if min_area is not None else None,
            "missing": by_reason(reason, {"scale_unknown": ["above_scale"]}),
        },
    )


# --------------------------------------------------------------------------- low efficiency


def _two_years_low(tax: np.ndarray, prev: np.ndarray, line, op: str) -> np.ndarray:
    """"fail" (low both years), "pass" (above the line in either) or "insufficient_data"."""
    low_now = compare(tax, op, line, decimals=RATIO_DECIMALS)
    low_prev = compare(prev, op, line, decimals=RATIO_DECIMALS)
    high_now = ~np.isnan(tax) & ~low_now
    high_prev = ~np.isnan(prev) & ~low_prev
    return np.select([high_now | high_prev, low_now & low_prev], ["pass", "fail"], "insufficient_data")


def low_efficiency(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``efficiency.low_efficiency``: per-mu tax (万元/亩) at or below the line two years running.

    The line is ``large_tax_per_mu_max_10k`` (10) for an enterprise with revenue of at
    least ``large_revenue_10k`` (10000 万元 = 1亿元), else ``other_tax_per_mu_max_10k`` (5).
    ``fail`` = a low-efficiency enterprise. Without revenue the verdict is given when
    both lines agree (band ``either``), else ``insufficient_data``. Only enterprises in
    the survey scope (``in_survey_scope``) are judged; where the scope is unknown the
    verdict is ``insufficient_data``.
    """
    mu = frame["owner_area_exact_mu"].to_numpy(float)
    tax = np.round(ratio(frame["owner_tax_10k"], mu), RATIO_DECIMALS)
    prev = np.round(ratio(frame["owner_tax_prev_10k"], mu), RATIO_DECIMALS)
    large_p, large_max, other_max = rule["large_revenue_10k"], rule["large_tax_per_mu_max_10k"], rule["other_tax_per_mu_max_10k"]
    op = large_max.op or "<="
    revenue = frame["owner_revenue_10k"].to_numpy(float)
    large = compare(revenue, large_p.op or ">=", large_p.number, decimals=RATIO_DECIMALS)
    by_large = _two_years_low(tax, prev, large_max.number, op)
    by_other = _two_years_low(tax, prev, other_max.number, op)
    known = ~np.isnan(revenue)
    agree = by_large == by_other
    result = np.where(known, np.where(large, by_large, by_other), np.where(agree, by_large, "insufficient_data"))
    band = np.where(known, np.where(large, "large", "other"), "either")
    # Revenue unknown: a pass holds even at the higher line, a fail even at the lower one.
    limit = np.where(band == "large", large_max.number, other_max.number)
    limit = np.where((band == "either") & (result == "pass"), large_max.number, limit)

    industrial = frame["is_industrial"].to_numpy(bool)
    if "in_survey_scope" in frame:
        in_scope, scope_known = flag(frame["in_survey_scope"])
    else:
        in_scope, scope_known = industrial, np.ones(len(frame), bool)
    undecided = result == "insufficient_data"
    taxes_missing = undecided & (np.isnan(tax) | np.isnan(prev))
    conditions = [~industrial, scope_known & ~in_scope, ~scope_known, taxes_missing, undecided, result == "fail"]
    reason = np.select(conditions, ["not_industrial", "out_of_scope", "scope_unknown", "no_tax", "no_revenue", "low"], "not_low")
    status = np.select([np.isin(reason, ("not_industrial", "out_of_scope")), reason == "scope_unknown"], ["not_applicable", "insufficient_data"], result)
    # What would decide: the missing tax figures, and the revenue where the lines disagree.
    gaps = _nan_names({"tax_10k": tax, "tax_prev_10k": prev, "revenue_10k": np.where(~known & ~agree, np.nan, 0.0)}, reason == "no_tax")
    missing = by_reason(reason, {"scope_unknown": ["above_scale"], "no_tax": gaps, "no_revenue": ["revenue_10k"]})
    judged = np.isin(reason, ("no_revenue", "low", "not_low"))
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=tax,
        limit=np.where(np.isin(reason, ("low", "not_low")), limit, np.nan),
        unit="10k_yuan_per_mu",
        args={
            "land_use": only(~industrial, frame["land_use"]),
            "missing": missing,
            "prev": only(judged, prev),
            "efficiency_band": only(np.isin(reason, ("low", "not_low")), band),
            "large_line": only(reason == "no_revenue", large_max.number),
            "other_line": only(reason == "no_revenue", other_max.number),
        },
    )


# --------------------------------------------------------------------------- benchmark


def benchmark(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``efficiency.benchmark`` (info): per-mu tax and value added against the 2023 targets.

    ``pass`` = both targets met; ``fail`` = a known figure below its target (the other
    may be unknown); ``insufficient_data`` = the known figures meet their targets and
    another is missing.
    """
    mu = frame["owner_area_exact_mu"].to_numpy(float)
    tax = np.round(ratio(frame["owner_tax_10k"], mu), RATIO_DECIMALS)
    va = np.round(ratio(frame["owner_value_added_10k"], mu), RATIO_DECIMALS)
    tax_t, va_t = rule["tax_per_mu_target_10k"], rule["value_added_per_mu_target_10k"]
    tax_met = compare(tax, tax_t.op or ">=", tax_t.number, decimals=RATIO_DECIMALS)
    va_met = compare(va, va_t.op or ">=", va_t.number, decimals=RATIO_DECIMALS)
    below = (~np.isnan(tax) & ~tax_met) | (~np.isnan(va) & ~va_met)
    industrial = frame["is_industrial"].to_numpy(bool)
    conditions = [~industrial, below, np.isnan(tax) | np.isnan(va)]
    status = np.select(conditions, ["not_applicable", "fail", "insufficient_data"], "pass")
    reason = np.select(conditions, ["not_industrial", "below", "no_figures"], "met")
    gaps = _nan_names({"tax_10k": tax, "value_added_10k": va}, reason == "no_figures")
    compared = np.isin(reason, ("met", "below"))
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=tax,
        limit=tax_t.number,
        unit="10k_yuan_per_mu",
        args={
            "land_use": only(~industrial, frame["land_use"]),
            "missing": by_reason(reason, {"no_figures": gaps}),
            "va": only(compared, va),
            "va_target": only(compared, va_t.number),
        },
    )


# --------------------------------------------------------------------------- grade incentive


def grade_incentive(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``efficiency.grade_incentive``: the project's total investment (万元) against the
    grade-A and not-grade-D lines. ``pass`` = an incentive applies; ``not_applicable`` =
    none, or no project investment (not an applicant, like the subsidies).
    """
    investment = frame["investment_10k"].to_numpy(float)
    a, not_d = rule["grade_a_investment_10k"], rule["not_d_investment_10k"]
    is_a = compare(investment, a.op or ">=", a.number, decimals=RATIO_DECIMALS)
    is_not_d = compare(investment, not_d.op or ">=", not_d.number, decimals=RATIO_DECIMALS)
    industrial = frame["is_industrial"].to_numpy(bool)
    conditions = [~industrial, np.isnan(investment), is_a, is_not_d]
    status = np.select(conditions, ["not_applicable", "not_applicable", "pass", "pass"], "not_applicable")
    reason = np.select(conditions, ["not_industrial", "no_investment", "grade_a", "not_d"], "no_incentive")
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=investment,
        limit=np.where(is_a, a.number, not_d.number),
        unit="10k_yuan",
        args={"land_use": only(~industrial, frame["land_use"])},
    )


RULES = {
    "efficiency.survey_scope": survey_scope,
    "efficiency.low_efficiency": low_efficiency,
    "efficiency.benchmark": benchmark,
    "efficiency.grade_incentive": grade_incentive,
}
