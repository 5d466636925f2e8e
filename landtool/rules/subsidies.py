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
  floor area G is read as G / N per floor (floors 1–3 earn nothing). Each route is capped
  per project; a project is one parcel's zero-land renovation.
- tiantai 四（十二） (``rate_yuan_per_m2``): a one-off 50 ¥/m² of the whole approved
  expansion floor area (``renovation_gfa_m2``, else gfa_after − gfa_before) when it is at
  least 1000 m² and the FAR after it is above the industry FAR (``industry_far``) and above
  the contract FAR (contract silent: 1.1). At most 500,000 ¥ per enterprise: the parcel
  amounts of one ``owner`` are summed and capped, and the capped total is shared among its
  parcels in proportion to their uncapped amounts.

``incentive.rent_subsidy`` (taizhou 二（十）, tiantai 四（十一））: 3 ¥/m² of newly leased plant
(``leased_new_m2``) per month for 12 months, at most 500,000 ¥, for a project with at least
1000万元 of investment by an enterprise graded B or better the previous year.

A parcel with none of the application figures (renovation figures; ``leased_new_m2``) is
not an applicant: ``not_applicable``. Partial figures are ``insufficient_data``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from landtool.policy import Rule, compare
from landtool.rules.landuse import renovation_applicant
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, ratio
from landtool.verdicts import NOT_INDUSTRIAL, parcel_verdicts

__all__ = ["PRODUCTION_USES", "floor_tier_amounts", "rent_subsidy", "vertical_subsidy"]

#: Building uses that count as production plant (生产厂房).
PRODUCTION_USES = r"production|生产|厂房|车间"

NOT_APPLICANT = {
    "zh": "无“零增地”技改数据（gfa_before_m2、gfa_after_m2、renovation_gfa_m2），非申请项目",
    "en": "no zero-land renovation figures (gfa_before_m2, gfa_after_m2, renovation_gfa_m2): not an applicant",
}


def _money(amount) -> np.ndarray:
    return np.round(np.asarray(amount, dtype=float), 2)


def _bool(series: pd.Series) -> np.ndarray:
    """A nullable flag as numpy bools; missing counts as False."""
    return series.astype("boolean").fillna(False).to_numpy(bool)


# --------------------------------------------------------------------------- floor tiers


def floor_tier_amounts(floors, gfa, rates: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per building: (floor area on tiered floors in m², amount in yuan).

    ``rates`` maps a floor number to a rate (¥/m²) that applies from that floor up to
    the next key; the highest key applies to every higher floor. A building of N floors
    and floor area G has G / N on each floor.
    """
    n = np.floor(np.asarray(floors, dtype=float))
    per_floor = ratio(gfa, n)
    keys = sorted((int(k), float(v)) for k, v in rates.items())
    tier_floors = np.zeros(len(n))
    rate_floors = np.zeros(len(n))
    for i, (first, rate) in enumerate(keys):
        last = keys[i + 1][0] - 1 if i + 1 < len(keys) else np.inf
        with np.errstate(invalid="ignore"):
            count = np.clip(np.minimum(last, n) - first + 1, 0, None)
        count = np.nan_to_num(count)
        tier_floors += count
        rate_floors += count * rate
    return per_floor * tier_floors, per_floor * rate_floors


def _building_figures(frame: pd.DataFrame, buildings: gpd.GeoDataFrame, rule: Rule) -> pd.DataFrame:
    """Per parcel: new own-use production floor area, tiered floor area and amount,
    and whether a counted building lacks floors or floor area."""
    use = buildings["use"].fillna("").astype(str).str.lower()
    counted = _bool(buildings["is_new"]) & use.str.contains(PRODUCTION_USES, regex=True).to_numpy()
    if rule.value("self_use_required", True):
        counted &= _bool(buildings["self_use"])
    b = buildings[counted]
    gfa = b["gfa_m2"].to_numpy(float)
    floors = b["floors"].to_numpy(float)
    tier_m2, tier_yuan = floor_tier_amounts(floors, gfa, rule.value("floor_rates_yuan_per_m2", {}))
    per_building = pd.DataFrame(
        {
            "parcel_id": b["parcel_id"].to_numpy(object),
            "own_new_m2": np.nan_to_num(gfa),
            "tier_m2": np.nan_to_num(tier_m2),
            "tier_yuan": np.nan_to_num(tier_yuan),
            "no_gfa": np.isnan(gfa),
            "no_floors": np.isnan(floors),
        }
    )
    sums = per_building.groupby("parcel_id").agg(
        own_new_m2=("own_new_m2", "sum"),
        tier_m2=("tier_m2", "sum"),
        tier_yuan=("tier_yuan", "sum"),
        no_gfa=("no_gfa", "any"),
        no_floors=("no_floors", "any"),
    )
    out = sums.reindex(frame["parcel_id"].to_numpy())
    out[["own_new_m2", "tier_m2", "tier_yuan"]] = out[["own_new_m2", "tier_m2", "tier_yuan"]].fillna(0.0)
    for column in ("no_gfa", "no_floors"):
        out[column] = out[column].astype("boolean").fillna(False).astype(bool)
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- vertical (taizhou, yuhuan)

VERTICAL_EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "not_applicant": NOT_APPLICANT,
    "missing": {
        "zh": "缺少{missing}，无法判断是否超过20%",
        "en": "{missing} missing: cannot tell whether the 20 % line is exceeded",
    },
    "no_grade": {
        "zh": "技改超过20%（提高 {rise}、占比 {share}），缺少亩均评价等级（grade）",
        "en": "the renovation exceeds 20 % (rise {rise}, share {share}) but grade is missing",
    },
    "grade": {
        "zh": "技改超过20%（提高 {rise}、占比 {share}），但亩均评价为 {grade} 类，超20%部分仅补助A、B类",
        "en": "the renovation exceeds 20 % (rise {rise}, share {share}) but the grade is {grade}: the above-20 % subsidy is for grades A and B only",
    },
    "no_buildings": {
        "zh": "需房屋图层（层数、用途、技改新增、自有自用）核定自有自用新增生产厂房面积",
        "en": "the buildings layer (floors, use, is_new, self_use) is needed to find the new own-use production floor area",
    },
    "incomplete": {
        "zh": "技改新增自有自用生产厂房缺少层数或建筑面积",
        "en": "a new own-use production building lacks floors or floor area",
    },
    "route1_none": {
        "zh": "技改超过20%（提高 {rise}、占比 {share}），但无技改新增自有自用生产厂房面积，无补助",
        "en": "the renovation exceeds 20 % (rise {rise}, share {share}) but adds no own-use production floor area: no subsidy",
    },
    "route1": {
        "zh": "技改超过20%（提高 {rise}、占比 {share}）：超过部分 {base_m2} ㎡（自有自用新增生产厂房 {own_new_m2} ㎡ 以内）× {rate} 元/㎡（{grade} 类）= {raw} 元，单个项目上限 {limit} 元，补助 {value} 元",
        "en": "the renovation exceeds 20 % (rise {rise}, share {share}): {base_m2} m² above the line (within {own_new_m2} m² of new own-use production floor area) × {rate} ¥/m² (grade {grade}) = {raw} ¥; cap {limit} ¥ per project: {value} ¥",
    },
    "route2_none": {
        "zh": "技改未超过20%（提高 {rise}、占比 {share}），无4层及以上技改新增自有自用生产厂房面积，无补助",
        "en": "the renovation does not exceed 20 % (rise {rise}, share {share}) and adds no own-use production floor area on floor 4 or above: no subsidy",
    },
    "route2": {
        "zh": "技改未超过20%（提高 {rise}、占比 {share}）：4层及以上新增自有自用生产厂房 {tier_m2} ㎡ 分层补助 {raw} 元，单个项目上限 {limit} 元，补助 {value} 元",
        "en": "the renovation does not exceed 20 % (rise {rise}, share {share}): {tier_m2} m² of new own-use production floor area on floors 4 and up earn {raw} ¥ by floor tier; cap {limit} ¥ per project: {value} ¥",
    },
}


def _vertical_by_grade(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str, buildings) -> pd.DataFrame:
    n = len(frame)
    before = frame["gfa_before_m2"].to_numpy(float)
    after = frame["gfa_after_m2"].to_numpy(float)
    renovation = frame["renovation_gfa_m2"].to_numpy(float)
    rise_p, share_p = rule["rise_threshold"], rule["share_threshold"]
    rise = ratio(after, before) - 1
    share = ratio(renovation, after)
    rise_over = compare(rise, rise_p.op or ">", rise_p.number, decimals=RATIO_DECIMALS)
    share_over = compare(share, share_p.op or ">", share_p.number, decimals=RATIO_DECIMALS)
    over = rise_over | share_over
    known = ~np.isnan(rise) & ~np.isnan(share)
    # The part above 20 %, by the condition(s) met; the larger if both.
    with np.errstate(invalid="ignore"):
        part_rise = np.where(rise_over, after - (1 + rise_p.number) * before, 0.0)
        part_share = np.where(share_over, renovation - share_p.number * after, 0.0)
    part = np.round(np.maximum(part_rise, part_share), AREA_DECIMALS)

    if buildings is not None:
        figures = _building_figures(frame, buildings, rule)
    else:
        zeros = np.zeros(n)
        figures = pd.DataFrame({"own_new_m2": zeros, "tier_m2": zeros, "tier_yuan": zeros, "no_gfa": zeros.astype(bool), "no_floors": zeros.astype(bool)})
    own_new = np.round(figures["own_new_m2"].to_numpy(float), AREA_DECIMALS)
    base = np.minimum(part, own_new) if rule.value("self_use_required", True) else part

    grades = frame["grade"].fillna("").astype(str).str.strip().str.upper().to_numpy()
    rates = {str(k).upper(): float(v) for k, v in rule.value("rate_by_grade_yuan_per_m2", {}).items()}
    rate = np.array([rates.get(g, 0.0) for g in grades])
    cap1 = rule["cap_per_project_yuan"].number
    cap2 = rule["floor_cap_per_project_yuan"].number
    tier_yuan = figures["tier_yuan"].to_numpy(float)
    raw = _money(np.where(over, rate * base, tier_yuan))
    cap = np.where(over, cap1, cap2)
    amount = np.minimum(raw, cap)

    no_buildings = buildings is None
    # Route 1 needs the buildings' floor area; route 2 also their floors.
    incomplete = figures["no_gfa"].to_numpy(bool) | (~over & figures["no_floors"].to_numpy(bool))
    conditions = [
        ~frame["is_industrial"].to_numpy(bool),
        ~renovation_applicant(frame),
        over & (grades == ""),
        over & (rate == 0),
        no_buildings & (over | known),
        incomplete & (over | known),
        over & (amount <= 0),
        over,
        ~known,
        amount <= 0,
    ]
    choices = ["not_industrial", "not_applicant", "no_grade", "grade", "no_buildings", "incomplete", "route1_none", "route1", "missing", "route2_none"]
    reason = np.select(conditions, choices, "route2")
    status = pd.Series(reason).map(
        {
            "not_industrial": "not_applicable",
            "not_applicant": "not_applicable",
            "no_grade": "insufficient_data",
            "grade": "not_applicable",
            "no_buildings": "insufficient_data",
            "incomplete": "insufficient_data",
            "route1_none": "not_applicable",
            "route1": "pass",
            "missing": "insufficient_data",
            "route2_none": "not_applicable",
            "route2": "pass",
        }
    ).to_numpy(object)
    value = np.where(status == "insufficient_data", np.nan, np.where(status == "pass", amount, 0.0))
    missing = np.where(np.isnan(before), "gfa_before_m2", np.where(np.isnan(after), "gfa_after_m2", "renovation_gfa_m2"))
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        explain=VERTICAL_EXPLAIN,
        lang=lang,
        value=value,
        limit=np.where(status == "pass", cap, np.nan),
        unit="yuan",
        extra={
            "rise": np.round(rise, RATIO_DECIMALS),
            "share": np.round(share, RATIO_DECIMALS),
            "grade": np.where(grades == "", "—", grades),
            "rate": rate,
            "base_m2": base,
            "own_new_m2": own_new,
            "tier_m2": np.round(figures["tier_m2"].to_numpy(float), AREA_DECIMALS),
            "raw": raw,
            "missing": missing,
        },
    )


# --------------------------------------------------------------------------- vertical (tiantai)

EXPANSION_EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "not_applicant": NOT_APPLICANT,
    "not_completed": {
        "zh": "原规划厂区未竣工投产（in_production 为否），不适用",
        "en": "the original plant is not completed and in production (in_production false): does not apply",
    },
    "missing": {"zh": "缺少{missing}", "en": "{missing} missing"},
    "small": {
        "zh": "批准扩建总建筑面积 {expansion_m2} ㎡ 不足 {min_m2} ㎡，无补助",
        "en": "approved expansion {expansion_m2} m² is below {min_m2} m²: no subsidy",
    },
    "far_low": {
        "zh": "扩建后容积率 {far} 未高于{far_line_zh} {far_line}，无补助",
        "en": "FAR after expansion {far} is not above the {far_line_en} {far_line}: no subsidy",
    },
    "pass": {
        "zh": "扩建后容积率 {far} 高于行业容积率 {industry_far} 及出让合同容积率 {contract_far}，批准扩建 {expansion_m2} ㎡ × {rate} 元/㎡ = {raw} 元（一次性）；企业 {owner} 合计 {owner_raw} 元，单家企业限 {limit} 元，本宗地分得 {value} 元（按未封顶金额比例分配）；竣工验收情况不在数据中，未核对",
        "en": "FAR after expansion {far} is above the industry FAR {industry_far} and the contract FAR {contract_far}: approved expansion {expansion_m2} m² × {rate} ¥/m² = {raw} ¥ (one-off); enterprise {owner} totals {owner_raw} ¥, cap {limit} ¥ per enterprise; this parcel's share is {value} ¥ (in proportion to the uncapped amounts); completion and acceptance are not in the data and not checked",
    },
}


def _vertical_expansion(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    area = frame["area_exact_m2"].to_numpy(float)
    after = frame["gfa_after_m2"].fillna(frame["gfa_m2"]).to_numpy(float)
    expansion = frame["renovation_gfa_m2"].fillna(frame["gfa_after_m2"] - frame["gfa_before_m2"]).to_numpy(float)
    expansion = np.round(expansion, AREA_DECIMALS)
    far = ratio(after, area)
    default_contract = rule["default_contract_far"]
    contract = frame["contract_far"].fillna(default_contract.number).to_numpy(float)
    industry = frame["industry_far"].to_numpy(float)
    far_op = rule["far_must_exceed"].op or ">"
    lines = {"industry_far": industry, "contract_far": contract}
    above = np.ones(len(frame), bool)
    failing_line = np.full(len(frame), "", dtype=object)
    for name in rule.value("far_must_exceed", []):
        ok = compare(far, far_op, lines[name], decimals=RATIO_DECIMALS)
        failing_line[~ok & (failing_line == "")] = name
        above &= ok
    min_p = rule["min_expansion_m2"]
    big = compare(expansion, min_p.op or ">=", min_p.number, decimals=AREA_DECIMALS)
    rate = rule["rate_yuan_per_m2"].number
    cap = rule["cap_per_enterprise_yuan"].number

    # in_production false: the original plant is not completed; missing: not checked.
    not_completed = ~frame["in_production"].astype("boolean").fillna(True).to_numpy(bool)
    conditions = [
        ~frame["is_industrial"].to_numpy(bool),
        ~renovation_applicant(frame),
        not_completed,
        np.isnan(expansion) | np.isnan(far),
        np.isnan(industry),
        ~big,
        ~above,
    ]
    reason = np.select(conditions, ["not_industrial", "not_applicant", "not_completed", "missing", "missing", "small", "far_low"], "pass")
    eligible = reason == "pass"
    raw = _money(np.where(eligible, rate * expansion, 0.0))
    # Per enterprise: sum, cap, and share the capped total in proportion to the parcels' amounts.
    owner = frame["owner"].fillna("\0" + frame["parcel_id"].astype(str)).to_numpy(object)
    owner_raw = pd.Series(raw).groupby(owner).transform("sum").to_numpy(float)
    factor = np.where(owner_raw > cap, ratio(cap, owner_raw), 1.0)
    amount = _money(raw * factor)
    amount = _fix_rounding(amount, raw, owner, np.minimum(owner_raw, cap))
    status = np.select([eligible, np.isin(reason, ["missing"])], ["pass", "insufficient_data"], "not_applicable")
    missing = np.where(
        np.isnan(expansion), "renovation_gfa_m2（或 gfa_before_m2 与 gfa_after_m2）" if lang == "zh" else "renovation_gfa_m2 (or gfa_before_m2 and gfa_after_m2)",
        np.where(np.isnan(far), "gfa_after_m2", "industry_far"),
    )
    silent = f"{default_contract.number:g}"
    far_line_zh = np.where(failing_line == "industry_far", "行业容积率", f"出让合同约定容积率（未约定的按{silent}）")
    far_line_en = np.where(failing_line == "industry_far", "industry FAR", f"contract FAR ({silent} where the contract is silent)")
    far_line = np.where(failing_line == "industry_far", industry, contract)
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        explain=EXPANSION_EXPLAIN,
        lang=lang,
        value=np.where(status == "insufficient_data", np.nan, np.where(eligible, amount, 0.0)),
        limit=np.where(eligible, cap, np.nan),
        unit="yuan",
        extra={
            "far": np.round(far, RATIO_DECIMALS),
            "industry_far": industry,
            "contract_far": contract,
            "expansion_m2": expansion,
            "min_m2": min_p.number,
            "rate": rate,
            "raw": raw,
            "owner": frame["owner"].fillna("—"),
            "owner_raw": owner_raw,
            "missing": missing,
            "far_line_zh": far_line_zh,
            "far_line_en": far_line_en,
            "far_line": far_line,
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
    lang: str,
    buildings: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """``incentive.vertical_subsidy`` (amount, yuan): the vertical-industry subsidy.

    ``buildings`` are the buildings already assigned to parcels (``parcel_id``,
    ``gfa_m2``, ``floors``, ``use``, ``is_new``, ``self_use``); the taizhou / yuhuan
    scheme needs them for the own-use production floor area and the floor tiers.
    See the module docstring for both schemes.
    """
    if "rate_by_grade_yuan_per_m2" in rule.params:
        return _vertical_by_grade(frame, rule, pack_id, lang=lang, buildings=buildings)
    return _vertical_expansion(frame, rule, pack_id, lang=lang)


# --------------------------------------------------------------------------- rent

RENT_EXPLAIN = {
    "no_lease": {
        "zh": "无新增租赁厂房（leased_new_m2），不适用",
        "en": "no newly leased plant (leased_new_m2): does not apply",
    },
    "no_investment": {"zh": "缺少实际投资额（investment_10k）", "en": "investment_10k missing"},
    "no_grade": {"zh": "缺少上一年度亩均评价等级（grade）", "en": "last year's grade missing"},
    "small": {
        "zh": "实际投资额 {investment} 万元不足 {min_investment} 万元，无租金补助",
        "en": "investment {investment} (10k yuan) is below {min_investment}: no rent subsidy",
    },
    "grade": {
        "zh": "上一年度亩均评价为 {grade} 类，须B类及以上，无租金补助",
        "en": "last year's grade is {grade}; B or better is required: no rent subsidy",
    },
    "pass": {
        "zh": "新增租赁厂房 {leased_m2} ㎡ × {rate} 元/㎡/月 × {months} 个月 = {raw} 元，上限 {limit} 元，补助 {value} 元",
        "en": "newly leased plant {leased_m2} m² × {rate} ¥/m² per month × {months} months = {raw} ¥; cap {limit} ¥: {value} ¥",
    },
}


def rent_subsidy(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``incentive.rent_subsidy`` (amount, yuan): min(rate × leased_new_m2 × months, cap).

    Each parcel row is one project (its ``investment_10k``); the leased plant need not
    lie on the parcel, so the land use is not checked.
    """
    leased = np.round(frame["leased_new_m2"].to_numpy(float), AREA_DECIMALS)
    investment = frame["investment_10k"].to_numpy(float)
    min_p = rule["min_investment_10k"]
    big = compare(investment, min_p.op or ">=", min_p.number, decimals=RATIO_DECIMALS)
    grades = frame["grade"].fillna("").astype(str).str.strip().str.upper().to_numpy()
    eligible_grades = {str(g).upper() for g in rule.value("eligible_grades", [])}
    good = np.isin(grades, list(eligible_grades))
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
    reason = np.select(conditions, ["no_lease", "small", "grade", "no_investment", "no_grade"], "pass")
    status = np.select(
        [reason == "pass", np.isin(reason, ["no_investment", "no_grade"])], ["pass", "insufficient_data"], "not_applicable"
    )
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        explain=RENT_EXPLAIN,
        lang=lang,
        value=np.where(status == "insufficient_data", np.nan, np.where(status == "pass", amount, 0.0)),
        limit=np.where(status == "pass", cap_p.number, np.nan),
        unit="yuan",
        extra={
            "leased_m2": leased,
            "investment": investment,
            "min_investment": min_p.number,
            "grade": np.where(grades == "", "—", grades),
            "rate": rate,
            "months": months,
            "raw": raw,
        },
    )


RULES = {
    "incentive.vertical_subsidy": vertical_subsidy,
    "incentive.rent_subsidy": rent_subsidy,
}
