"""Subsidies paid per square metre (POLICY.md §6, §10). Kind ``amount``: the verdict's
``value`` is the amount in yuan (``unit`` = ``yuan``), ``limit`` the cap that applied.

``incentive.vertical_subsidy`` has two schemes, told apart by the pack's parameters:

- taizhou 二（十一）, yuhuan 四.23 (``rate_by_grade_yuan_per_m2``): route 1 — when the
  zero-land renovation raises the floor area by more than ``rise_threshold`` (gfa_after /
  gfa_before − 1) or the renovation floor area is more than ``share_threshold`` of the total
  after it ("20%（不含）以上", exclusive), the part above 20 % is paid at the grade's rate
  (A 60 / B 50, yuhuan A 80 / B 50 ¥/m²). The part above 20 % is the floor area beyond
  1.2 × gfa_before, or renovation_gfa beyond 0.2 × gfa_after, whichever condition is met;
  the larger if both (the pack's interpretation). Only own-use (自有自用) production floor
  area counts: the part is at most the parcel's new own-use production floor area
  (buildings with ``is_new`` and ``self_use``, production ``use``). Route 2 — when neither
  condition is met — pays new own-use production floor area on floor 4, 5, 6 and above
  (30 / 40 / 50 ¥/m², the highest key for every higher floor). A building of N floors and
  floor area G is read as G / N per floor (floors 1–3 earn nothing): per floor, not per
  building class (the pack's interpretation). Each route is capped per project; a project
  is one parcel's zero-land renovation. Both routes read the parcel's buildings: a parcel
  with no building, or a counted building without floor area (route 2: floors), is
  ``insufficient_data`` — never a floor area of 0.
- tiantai 四（十二） (``rate_yuan_per_m2``): a one-off 50 ¥/m² of the whole approved
  expansion floor area (``renovation_gfa_m2``, else gfa_after − gfa_before) when it is at
  least 1000 m² and the FAR after it is above the industry FAR (``industry_far``) and above
  the contract FAR (contract silent: 1.1). The floor area after the expansion is
  ``gfa_after_m2``, else gfa_before + renovation_gfa, else the current ``gfa_m2``; with
  none of them the FAR is unknown (``insufficient_data``, naming the inputs that would
  give it, among them those :func:`landtool.prepare.prepare` found missing for ``gfa_m2``).
  At most 500,000 ¥ per enterprise: the parcel amounts of one ``owner`` are summed and
  capped, and the capped total is shared among its parcels in proportion to their
  uncapped amounts.

``incentive.rent_subsidy`` (taizhou 二（十）, tiantai 四（十一））: 3 ¥/m² of newly leased plant
(``leased_new_m2``) per month for 12 months, at most 500,000 ¥, for a project with at least
1000万元 of investment by an enterprise graded B or better the previous year.

A parcel with none of the application figures (renovation figures; ``leased_new_m2``) is
not an applicant: ``not_applicable``. Partial figures are ``insufficient_data``. Rules
give reason codes; the sentences are in ``landtool/messages/*/subsidy.yaml``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from landtool.policy import Rule, compare
from landtool.prepare import buildings_off_parcel
from landtool.rules.common import flag
from landtool.rules.indicators import GAP_INPUTS
from landtool.rules.landuse import renovation_applicant
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, ratio
from landtool.verdicts import by_reason, declare, only, parcel_verdicts

__all__ = ["PRODUCTION_USES", "floor_tier_amounts", "rent_subsidy", "vertical_subsidy"]

#: Building uses that count as production plant (生产厂房).
PRODUCTION_USES = r"production|生产|厂房|车间"

#: Reasons of the taizhou / yuhuan scheme (by grade, or by floor tier), in the order they are
#: decided (the last when no other holds).
BY_GRADE_REASONS = (
    "not_industrial",
    "not_applicant",
    "no_renovation_figures",
    "no_grade",
    "grade_not_eligible",
    "no_buildings_layer",
    "no_building",
    "building_incomplete",
    "no_own_use_area",
    "above_20_percent",
    "no_tier_area",
    "floor_tiers",
)
#: Reasons of the tiantai scheme (approved expansion).
EXPANSION_REASONS = (
    "not_industrial",
    "not_applicant",
    "not_completed",
    "small_expansion",
    "far_not_above",
    "no_expansion",
    "no_floor_area_after",
    "no_industry_far",
    "expansion",
)
declare("incentive.vertical_subsidy", BY_GRADE_REASONS + EXPANSION_REASONS)
RENT_REASONS = ("no_lease", "investment_below", "grade_below", "no_investment", "no_grade", "rent")
declare("incentive.rent_subsidy", RENT_REASONS)


def _money(amount) -> np.ndarray:
    return np.round(np.asarray(amount, dtype=float), 2)


def _grades(frame: pd.DataFrame) -> np.ndarray:
    """The ``grade`` column, trimmed and upper-case; "" where missing."""
    return frame["grade"].fillna("").astype(str).str.strip().str.upper().to_numpy(object)




def _lists(codes: np.ndarray, lists: list[list[str]]) -> np.ndarray:
    """Per row, ``lists[codes[row]]`` (an object array of lists; built once per distinct list)."""
    table = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        table[i] = item
    return table[codes]


# --------------------------------------------------------------------------- floor tiers


def floor_tier_amounts(floors, gfa, rates: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per building: (floor area on tiered floors in m², amount in yuan).

    ``rates`` maps a floor number to a rate (¥/m²) that applies from that floor up to
    the next key; the highest key applies to every higher floor. A building of N floors
    and floor area G has G / N on each floor. NaN floors or floor area give NaN.
    """
    n = np.floor(np.asarray(floors, dtype=float))
    per_floor = ratio(gfa, n)
    keys = sorted((int(k), float(v)) for k, v in rates.items())
    tier_floors = np.zeros(len(n))
    rate_floors = np.zeros(len(n))
    for i, (first, rate) in enumerate(keys):  # a handful of tiers
        last = keys[i + 1][0] - 1 if i + 1 < len(keys) else np.inf
        with np.errstate(invalid="ignore"):
            count = np.clip(np.minimum(last, n) - first + 1, 0, None)
        count = np.nan_to_num(count)
        tier_floors += count
        rate_floors += count * rate
    return per_floor * tier_floors, per_floor * rate_floors


def _building_figures(frame: pd.DataFrame, buildings: gpd.GeoDataFrame, rule: Rule) -> dict[str, np.ndarray]:
    """Per parcel of ``frame``: its number of buildings, new own-use production floor
    area (m²), tiered floor area (m²) and amount (yuan), and whether a counted building
    lacks floor area or floors.

    Buildings are matched to parcels by integer position (``parcel_id`` → row of
    ``frame``) and summed with ``np.bincount``.
    """
    n = len(frame)
    pos = pd.Index(frame["parcel_id"].to_numpy(object), dtype=object).get_indexer(pd.Index(buildings["parcel_id"].to_numpy(object), dtype=object))
    on = pos >= 0
    use = buildings["use"].fillna("").astype(str).str.lower()
    counted = flag(buildings["is_new"])[0] & use.str.contains(PRODUCTION_USES, regex=True).to_numpy(bool) & on
    if rule.value("self_use_required", True):
        counted &= flag(buildings["self_use"])[0]
    gfa = buildings["gfa_m2"].to_numpy(float)[counted]
    floors = buildings["floors"].to_numpy(float)[counted]
    tier_m2, tier_yuan = floor_tier_amounts(floors, gfa, rule.value("floor_rates_yuan_per_m2", {}))
    p = pos[counted]

    def total(weights) -> np.ndarray:
        return np.bincount(p, weights=np.asarray(weights, dtype=float), minlength=n)

    return {
        "count": np.bincount(pos[on], minlength=n),
        "own_new_m2": total(np.nan_to_num(gfa)),
        "tier_m2": total(np.nan_to_num(tier_m2)),
        "tier_yuan": total(np.nan_to_num(tier_yuan)),
        "no_gfa": total(np.isnan(gfa)) > 0,
        "no_floors": total(np.isnan(floors)) > 0,
    }


# --------------------------------------------------------------------------- vertical (taizhou, yuhuan)


def _vertical_by_grade(frame: pd.DataFrame, rule: Rule, pack_id: str, *, buildings) -> pd.DataFrame:
    n = len(frame)
    before = frame["gfa_before_m2"].to_numpy(float)
    after = frame["gfa_after_m2"].to_numpy(float)
    renovation = frame["renovation_gfa_m2"].to_numpy(float)
    rise_p, share_p = rule["rise_threshold"], rule["share_threshold"]
    rise = np.round(ratio(after, before) - 1, RATIO_DECIMALS)
    share = np.round(ratio(renovation, after), RATIO_DECIMALS)
    rise_over = compare(rise, rise_p.op or ">", rise_p.number, decimals=RATIO_DECIMALS)
    share_over = compare(share, share_p.op or ">", share_p.number, decimals=RATIO_DECIMALS)
    over = rise_over | share_over
    known = ~np.isnan(rise) & ~np.isnan(share)
    # The part above 20 %, by the condition(s) met; the larger if both.
    with np.errstate(invalid="ignore"):
        part_rise = np.where(rise_over, after - (1 + rise_p.number) * before, 0.0)
        part_share = np.where(share_over, renovation - share_p.number * after, 0.0)
    part = np.round(np.maximum(part_rise, part_share), AREA_DECIMALS)

    self_use = bool(rule.value("self_use_required", True))
    if buildings is not None:
        figures = _building_figures(frame, buildings, rule)
    else:
        zeros = np.zeros(n)
        figures = {"count": zeros, "own_new_m2": zeros, "tier_m2": zeros, "tier_yuan": zeros, "no_gfa": zeros > 0, "no_floors": zeros > 0}
    own_new = np.round(figures["own_new_m2"], AREA_DECIMALS)
    base = np.minimum(part, own_new) if self_use else part

    grades = _grades(frame)
    rates = {str(k).upper(): float(v) for k, v in rule.value("rate_by_grade_yuan_per_m2", {}).items()}
    rate = pd.Series(grades).map(rates).fillna(0.0).to_numpy(float)
    cap1 = rule["cap_per_project_yuan"].number
    cap2 = rule["floor_cap_per_project_yuan"].number
    raw = _money(np.where(over, rate * base, figures["tier_yuan"]))
    cap = np.where(over, cap1, cap2)
    amount = np.minimum(raw, cap)

    # Route 1 reads the buildings for the own-use floor area (when own use is required),
    # route 2 for the floor tiers; route 1 needs their floor area, route 2 also their floors.
    decided = over | known
    needs_buildings = decided & (~over | self_use)
    no_layer = needs_buildings & (buildings is None)
    # a building naming the parcel but lying elsewhere (prepare: footprint_gap): its own-use
    # floor area cannot be told, as for a parcel with no building on it
    away = buildings_off_parcel(frame)
    no_building = needs_buildings & ((figures["count"] == 0) | away)
    incomplete = needs_buildings & (figures["no_gfa"] | (~over & figures["no_floors"]))
    industrial = frame["is_industrial"].to_numpy(bool)
    conditions = [
        ~industrial,
        ~renovation_applicant(frame),
        ~decided,
        over & (grades == ""),
        over & (rate == 0),
        no_layer,
        no_building,
        incomplete,
        over & (amount <= 0),
        over,
        amount <= 0,
    ]
    # BY_GRADE_REASONS is in the order of the conditions; the last is the default
    reason = np.select(conditions, BY_GRADE_REASONS[:-1], BY_GRADE_REASONS[-1])
    paid = np.isin(reason, ("above_20_percent", "floor_tiers"))
    insufficient = np.isin(reason, ("no_renovation_figures", "no_grade", "no_buildings_layer", "no_building", "building_incomplete"))
    status = np.where(paid, "pass", np.where(insufficient, "insufficient_data", "not_applicable"))

    # What is missing: the floor area after the renovation is needed by both tests; else
    # either of the other figures could show a rise or a share above the line.
    figure_gap = np.where(np.isnan(after), 0, np.where(np.isnan(before) & np.isnan(renovation), 1, np.where(np.isnan(before), 2, 3)))
    figure_lists = _lists(figure_gap, [["gfa_after_m2"], ["gfa_before_m2", "renovation_gfa_m2"], ["gfa_before_m2"], ["renovation_gfa_m2"]])
    building_lists = _lists(np.where(over, 0, 1), [["gfa_m2", "floors"], ["floors"]])
    missing = by_reason(
        reason,
        {
            "no_renovation_figures": figure_lists,
            "no_grade": ["grade"],
            "no_buildings_layer": ["buildings"],
            "no_building": _lists(away.astype(np.intp), [["building_on_parcel"], ["building_location"]]),
            "building_incomplete": building_lists,
        },
    )
    with_figures = np.isin(reason, ("no_grade", "grade_not_eligible", "no_own_use_area", "above_20_percent", "no_tier_area", "floor_tiers"))
    with_lines = with_figures | (reason == "no_renovation_figures")
    route1 = reason == "above_20_percent"
    route2 = np.isin(reason, ("no_tier_area", "floor_tiers"))
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=np.where(paid, amount, np.where(insufficient, np.nan, 0.0)),
        limit=np.where(paid, cap, np.nan),
        unit="yuan",
        args={
            "land_use": only(~industrial, frame["land_use"]),
            "missing": missing,
            "rise": only(with_figures, rise),
            "share": only(with_figures, share),
            "rise_line": only(with_lines, rise_p.number),
            "share_line": only(with_lines, share_p.number),
            "grade": only(np.isin(reason, ("grade_not_eligible", "above_20_percent")), grades),
            "eligible_grades": only(reason == "grade_not_eligible", sorted(rates)),
            "part_m2": only(route1, part),
            "own_new_m2": only(route1, own_new),
            "base_m2": only(route1, base),
            "rate": only(route1, rate),
            "first_floor": only(route2, min((int(k) for k in rule.value("floor_rates_yuan_per_m2", {})), default=0)),
            "tier_m2": only(reason == "floor_tiers", np.round(figures["tier_m2"], AREA_DECIMALS)),
            "raw": only(paid, raw),
        },
    )


# --------------------------------------------------------------------------- vertical (tiantai)


def _floor_area_lists(frame: pd.DataFrame, prefix: list[str]) -> np.ndarray:
    """Per parcel, ``prefix`` followed by the inputs that would give its ``gfa_m2``
    (by its ``floor_area_gap`` code; built once per distinct code)."""
    gaps = frame["floor_area_gap"] if "floor_area_gap" in frame else pd.Series(None, index=frame.index, dtype=object)
    codes, uniques = pd.factorize(gaps.astype(object), use_na_sentinel=True)
    names = GAP_INPUTS["floor_area_gap"]
    lists = [prefix + names.get(u, ["gfa_m2"]) for u in uniques] + [[*prefix, "gfa_m2"]]
    return _lists(np.where(codes < 0, len(uniques), codes), lists)


def _vertical_expansion(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    n = len(frame)
    area = frame["area_exact_m2"].to_numpy(float)
    before = frame["gfa_before_m2"]
    after = frame["gfa_after_m2"].fillna(before + frame["renovation_gfa_m2"]).fillna(frame["gfa_m2"]).to_numpy(float)
    expansion = frame["renovation_gfa_m2"].fillna(frame["gfa_after_m2"] - before).to_numpy(float)
    expansion = np.round(expansion, AREA_DECIMALS)
    far = np.round(ratio(after, area), RATIO_DECIMALS)
    default_contract = rule["default_contract_far"]
    silent = frame["contract_far"].isna().to_numpy()
    contract = frame["contract_far"].fillna(default_contract.number).to_numpy(float)
    industry = frame["industry_far"].to_numpy(float)
    # The lines are parcel fields, so the operator ("高于", >) is stated on the number that
    # stands in for a silent contract.
    far_op = rule["far_must_exceed"].op or default_contract.op or ">"
    lines = {"industry_far": industry, "contract_far": contract}
    # The first line (known) that the FAR after the expansion is not above.
    failing_line = np.full(n, None, dtype=object)
    failing_value = np.full(n, np.nan)
    not_above = np.zeros(n, bool)
    for name in rule.value("far_must_exceed", []):  # two lines
        ok = compare(far, far_op, lines[name], decimals=RATIO_DECIMALS)
        fails = ~ok & ~np.isnan(far) & ~np.isnan(lines[name]) & ~not_above
        failing_line[fails] = name
        failing_value[fails] = lines[name][fails]
        not_above |= fails
    line_code = np.where(failing_line == "contract_far", np.where(silent, "default_contract_far", "contract_far"), failing_line)
    min_p = rule["min_expansion_m2"]
    big = compare(expansion, min_p.op or ">=", min_p.number, decimals=AREA_DECIMALS)
    rate = rule["rate_yuan_per_m2"].number
    cap = rule["cap_per_enterprise_yuan"].number

    # in_production false: the original plant is not completed; missing: not checked.
    produces, produces_known = flag(frame["in_production"])
    industrial = frame["is_industrial"].to_numpy(bool)
    # Evidence of ineligibility first: a known small expansion or a FAR not above a known
    # line decides, whatever else is missing.
    conditions = [
        ~industrial,
        ~renovation_applicant(frame),
        produces_known & ~produces,
        ~np.isnan(expansion) & ~big,
        not_above,
        np.isnan(expansion),
        np.isnan(far),
        np.isnan(industry),
    ]
    choices = ["not_industrial", "not_applicant", "not_completed", "small_expansion", "far_not_above", "no_expansion", "no_floor_area_after", "no_industry_far"]
    reason = np.select(conditions, choices, "expansion")
    eligible = reason == "expansion"
    insufficient = np.isin(reason, ("no_expansion", "no_floor_area_after", "no_industry_far"))
    status = np.where(eligible, "pass", np.where(insufficient, "insufficient_data", "not_applicable"))
    raw = _money(np.where(eligible, rate * expansion, 0.0))
    # Per enterprise: sum, cap, and share the capped total in proportion to the parcels' amounts.
    owner = frame["owner"].fillna("\0" + frame["parcel_id"].astype(str)).to_numpy(object)
    owner_raw = pd.Series(raw).groupby(owner).transform("sum").to_numpy(float)
    factor = np.where(owner_raw > cap, ratio(cap, owner_raw), 1.0)
    amount = _money(raw * factor)
    amount = _fix_rounding(amount, raw, owner, np.minimum(owner_raw, cap))

    before_unknown = np.isnan(before.to_numpy(float)).astype(int)
    missing = by_reason(
        reason,
        {
            # renovation_gfa_m2 alone, or the one of before / after that is missing, would give it
            "no_expansion": _lists(before_unknown, [["renovation_gfa_m2", "gfa_after_m2"], ["renovation_gfa_m2", "gfa_before_m2"]]),
            # here renovation_gfa_m2 is known: gfa_after_m2, gfa_before_m2 or the current gfa_m2 would give it
            "no_floor_area_after": _floor_area_lists(frame, ["gfa_after_m2", "gfa_before_m2"]),
            "no_industry_far": ["industry_far"],
        },
    )
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=np.where(eligible, amount, np.where(insufficient, np.nan, 0.0)),
        limit=np.where(eligible, cap, np.nan),
        unit="yuan",
        args={
            "land_use": only(~industrial, frame["land_use"]),
            "missing": missing,
            "far": only(np.isin(reason, ("far_not_above", "expansion")), far),
            "subsidy_far_line": np.where(eligible, np.where(silent, "default_contract_far", "contract_far"), only(reason == "far_not_above", line_code)),
            "line_far": only(reason == "far_not_above", failing_value),
            "industry_far": only(eligible, industry),
            "contract_far": only(eligible, contract),
            "expansion_m2": only(np.isin(reason, ("small_expansion", "expansion")), expansion),
            "min_m2": only(reason == "small_expansion", min_p.number),
            "rate": only(eligible, rate),
            "raw": only(eligible, raw),
            "owner": only(eligible, frame["owner"]),
            "owner_raw": only(eligible, owner_raw),
        },
    )


def _fix_rounding(amount: np.ndarray, raw: np.ndarray, owner: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Put the cent left over by rounding the shares on the enterprise's largest parcel,
    so that its parcels add up to exactly the capped total."""
    frame = pd.DataFrame({"owner": owner, "amount": amount, "raw": raw, "target": target})
    residue = _money(frame["target"] - frame.groupby("owner")["amount"].transform("sum"))
    largest = frame.groupby("owner")["raw"].transform("idxmax").to_numpy() == np.arange(len(frame))
    return _money(np.where(largest & (raw > 0), amount + residue, amount))


def vertical_subsidy(
    frame: pd.DataFrame,
    rule: Rule,
    pack_id: str,
    *,
    buildings: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """``incentive.vertical_subsidy`` (amount, yuan): the vertical-industry subsidy.

    ``buildings`` are the buildings already assigned to parcels (``parcel_id``,
    ``gfa_m2``, ``floors``, ``use``, ``is_new``, ``self_use``); the taizhou / yuhuan
    scheme needs them for the own-use production floor area and the floor tiers.
    See the module docstring for both schemes.
    """
    if "rate_by_grade_yuan_per_m2" in rule.params:
        return _vertical_by_grade(frame, rule, pack_id, buildings=buildings)
    return _vertical_expansion(frame, rule, pack_id)


# --------------------------------------------------------------------------- rent


def rent_subsidy(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``incentive.rent_subsidy`` (amount, yuan): min(rate × leased_new_m2 × months, cap).

    Each parcel row is one project (its ``investment_10k``); the leased plant need not
    lie on the parcel, so the land use is not checked. No newly leased plant (missing,
    or 0 m²): not an applicant.
    """
    leased = np.round(frame["leased_new_m2"].to_numpy(float), AREA_DECIMALS)
    investment = frame["investment_10k"].to_numpy(float)
    min_p = rule["min_investment_10k"]
    big = compare(investment, min_p.op or ">=", min_p.number, decimals=RATIO_DECIMALS)
    grades = _grades(frame)
    eligible_grades = sorted({str(g).upper() for g in rule.value("eligible_grades", [])})
    good = np.isin(grades, eligible_grades)
    rate = rule["rate_yuan_per_m2_month"].number
    months = rule["months"].number
    cap_p = rule["cap_yuan"]
    raw = _money(rate * leased * months)
    amount = np.minimum(raw, cap_p.number)
    conditions = [
        np.isnan(leased) | (leased <= 0),
        ~np.isnan(investment) & ~big,
        (grades != "") & ~good,
        np.isnan(investment),
        grades == "",
    ]
    reason = np.select(conditions, ["no_lease", "investment_below", "grade_below", "no_investment", "no_grade"], "rent")
    paid = reason == "rent"
    insufficient = np.isin(reason, ("no_investment", "no_grade"))
    status = np.where(paid, "pass", np.where(insufficient, "insufficient_data", "not_applicable"))
    missing = by_reason(reason, {"no_investment": ["investment_10k"], "no_grade": ["grade"]})
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=np.where(paid, amount, np.where(insufficient, np.nan, 0.0)),
        limit=np.where(paid, cap_p.number, np.nan),
        unit="yuan",
        args={
            "missing": missing,
            "investment": only(reason == "investment_below", investment),
            "min_investment": only(np.isin(reason, ("investment_below", "no_investment")), min_p.number),
            "grade": only(reason == "grade_below", grades),
            "eligible_grades": only(np.isin(reason, ("grade_below", "no_grade")), eligible_grades),
            "leased_m2": only(paid, leased),
            "rate": only(paid, rate),
            "months": only(paid, months),
            "raw": only(paid, raw),
        },
    )


RULES = {
    "incentive.vertical_subsidy": vertical_subsidy,
    "incentive.rent_subsidy": rent_subsidy,
}
