"""Land use and planning overlays, renovation admission, transfers and supply (POLICY.md §9,
§10), and the extra height-limit layers of §4.

- ``landuse.retain_industrial`` (taizhou 二（一）, tiantai 四（二）, yuhuan 四.13): a parcel in a
  ``non_industrial_plan`` zone and not in an ``expropriation_plan`` zone may keep industrial
  use for zero-land renovation, if the enterprise commits to demolish without compensation
  (tiantai: only grades A/B, and environmental compliance; yuhuan: temporarily). The floor
  area under the commitment is reported by the pack's ``commit_area_basis``.
- ``landuse.control_line`` (taizhou 二（十三）, tiantai 四（十四））: inside the industrial-land
  control line, a parcel whose land use is not industrial must be balanced by industrial
  land added elsewhere (改一补一). :func:`control_line_balance` gives the balance per
  control-line zone; the added area is the zone's ``added_m2`` attribute.
- ``renovation.admission``: no zero-land renovation in a near-term relocation plan.
- ``transfer.pre_registration``: development investment share < 25 % → conditional
  transfer with pre-registration.
- ``renovation.permit_exempt`` (yuhuan 四.15, info): investment ≤ 200万元 or floor area
  ≤ 1000 m² → no construction permit.
- ``supply.standard_land``: newly supplied industrial land is 100 % 标准地.

A zero-land renovation applicant is a parcel with any renovation figure
(``gfa_before_m2``, ``gfa_after_m2``, ``renovation_gfa_m2``).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landtool.height import HeightRaster, _open, raster_heights
from landtool.policy import Rule, compare
from landtool.prepare import VACANT_PATTERN
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, ratio
from landtool.verdicts import NOT_INDUSTRIAL, parcel_verdicts

__all__ = [
    "control_line",
    "control_line_balance",
    "height_limit_layers",
    "permit_exempt",
    "pre_registration",
    "renovation_admission",
    "renovation_applicant",
    "retain_industrial",
    "standard_land",
]

RENOVATION_FIELDS = ("gfa_before_m2", "gfa_after_m2", "renovation_gfa_m2")


def renovation_applicant(frame: pd.DataFrame) -> np.ndarray:
    """True where the parcel has any zero-land renovation figure."""
    return frame[list(RENOVATION_FIELDS)].notna().any(axis=1).to_numpy(bool)


def _in_zones(frame: pd.DataFrame, zone_types) -> np.ndarray:
    flags = np.zeros(len(frame), bool)
    for zone_type in zone_types:
        column = f"in_{zone_type}"
        if column in frame:
            flags |= frame[column].to_numpy(bool)
    return flags


# --------------------------------------------------------------------------- retain industrial

#: commit_area_basis values → (zh, en) labels.
BASES = {
    "above_certified_area": ("超过原证载建筑面积部分", "floor area above the certified floor area"),
    "above_contract_far": ("超过出让合同约定容积率部分", "floor area above the contract FAR"),
    "added_gfa": ("增加的建筑面积（未约定容积率）", "added floor area (no contract FAR)"),
    "approved_buildings": ("报批的建筑面积", "floor area of the buildings applied for"),
}
#: What each basis needs, for the explanation when none can be computed.
BASIS_NEEDS = {
    "above_certified_area": "certified_gfa_m2",
    "above_contract_far": "contract_far",
    "added_gfa": "gfa_before_m2",
    "approved_buildings": "renovation_gfa_m2",
}

RETAIN_EXPLAIN = {
    "outside": {
        "zh": "不在规划调整为非工业用地的范围内，不适用",
        "en": "not in a zone planned for non-industrial use: does not apply",
    },
    "not_industrial": {
        "zh": "现状非工业用地（{land_use}），不属存量工业用地",
        "en": "current land use {land_use} is not industrial: not stock industrial land",
    },
    "expropriation": {
        "zh": "已列入近期政府征收拆迁改造计划，不得保留工业用地性质实施“零增地”技改",
        "en": "listed in the near-term expropriation plan: may not keep industrial use for zero-land renovation",
    },
    "no_grade": {
        "zh": "仅上一年度亩均评价 {grades} 类企业可保留，缺少亩均评价等级（grade）",
        "en": "only enterprises graded {grades} last year qualify; grade missing",
    },
    "grade": {
        "zh": "上一年度亩均评价为 {grade} 类，仅 {grades} 类企业可保留工业用地性质",
        "en": "last year's grade is {grade}; only grades {grades} may keep industrial use",
    },
    "pass": {
        "zh": "规划已调整为非工业、未列入近期征收计划，{temporary_zh}可保留工业用地性质实施“零增地”技改，前提是企业承诺服从政府今后安排并无偿拆除（承诺不在数据中）{env_zh}；承诺拆除面积（{basis_zh}）{value} ㎡",
        "en": "planned for non-industrial use and not in the near-term expropriation plan: may {temporary_en}keep industrial use for zero-land renovation, provided the enterprise commits to demolish without compensation (the commitment is not in the data){env_en}; floor area under the commitment ({basis_en}): {value} m²",
    },
    "pass_no_area": {
        "zh": "规划已调整为非工业、未列入近期征收计划，{temporary_zh}可保留工业用地性质实施“零增地”技改，前提是企业承诺服从政府今后安排并无偿拆除（承诺不在数据中）{env_zh}；承诺拆除面积（{basis_zh}）无法计算，缺少{needs}",
        "en": "planned for non-industrial use and not in the near-term expropriation plan: may {temporary_en}keep industrial use for zero-land renovation, provided the enterprise commits to demolish without compensation (the commitment is not in the data){env_en}; the floor area under the commitment ({basis_en}) needs {needs}",
    },
}


def commitment_area(frame: pd.DataFrame, bases: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(floor area in m² under the demolition commitment, basis used) per parcel.

    The first basis of ``bases`` whose inputs the parcel has is used. The certified floor
    area is the optional column ``certified_gfa_m2`` (证载建筑面积); the floor area after
    renovation is ``gfa_after_m2``, else ``gfa_m2``.
    """
    n = len(frame)
    after = frame["gfa_after_m2"].fillna(frame["gfa_m2"]).to_numpy(float)
    before = frame["gfa_before_m2"].to_numpy(float)
    certified = frame["certified_gfa_m2"].to_numpy(float) if "certified_gfa_m2" in frame else np.full(n, np.nan)
    contract = frame["contract_far"].to_numpy(float)
    area = frame["area_exact_m2"].to_numpy(float)
    renovation = frame["renovation_gfa_m2"].to_numpy(float)
    candidates = {
        "above_certified_area": after - certified,
        "above_contract_far": after - contract * area,
        # 未约定容积率的，按增加建筑面积计算: only where the contract has no FAR
        "added_gfa": np.where(np.isnan(contract), after - before, np.nan),
        "approved_buildings": np.where(np.isnan(renovation), after - before, renovation),
    }
    value = np.full(n, np.nan)
    used = np.full(n, bases[0] if bases else "", dtype=object)
    for basis in reversed(bases):  # the first basis of the list wins
        candidate = candidates[basis]
        known = ~np.isnan(candidate)
        value = np.where(known, candidate, value)
        used[known] = basis
    return np.round(np.maximum(value, 0.0), AREA_DECIMALS), used


def retain_industrial(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``landuse.retain_industrial``: may the parcel keep industrial use for zero-land renovation?

    ``value``: the floor area (m²) under the demolition commitment, by the pack's
    ``commit_area_basis`` (see :func:`commitment_area`).
    """
    grades = frame["grade"].fillna("").astype(str).str.strip().str.upper().to_numpy()
    eligible = [str(g).upper() for g in rule.value("eligible_grades") or []]
    bases = list(rule.value("commit_area_basis") or ["added_gfa"])
    area, used = commitment_area(frame, bases)
    conditions = [
        ~frame["in_non_industrial_plan"].to_numpy(bool),
        ~frame["is_industrial"].to_numpy(bool),
        frame["in_expropriation_plan"].to_numpy(bool),
        bool(eligible) & (grades == ""),
        bool(eligible) & ~np.isin(grades, eligible),
        np.isnan(area),
    ]
    reason = np.select(conditions, ["outside", "not_industrial", "expropriation", "no_grade", "grade", "pass_no_area"], "pass")
    status = np.select(
        [np.isin(reason, ["outside", "not_industrial"]), np.isin(reason, ["expropriation", "grade"]), reason == "no_grade"],
        ["not_applicable", "fail", "insufficient_data"],
        "pass",
    )
    temporary = bool(rule.value("temporary", False))
    env = bool(rule.value("environmental_compliance_required", False))
    return parcel_verdicts(
        frame, rule, pack_id, lang=lang, explain=RETAIN_EXPLAIN, status=status, reason=reason,
        value=np.where(status == "pass", area, np.nan),
        unit="m2",
        extra={
            "land_use": frame["land_use"].fillna("—"),
            "grade": np.where(grades == "", "—", grades),
            "grades": "/".join(eligible),
            "basis_zh": [BASES[b][0] for b in used],
            "basis_en": [BASES[b][1] for b in used],
            "needs": "、".join(BASIS_NEEDS[b] for b in bases) if lang == "zh" else ", ".join(BASIS_NEEDS[b] for b in bases),
            "temporary_zh": "暂时" if temporary else "",
            "temporary_en": "temporarily " if temporary else "",
            "env_zh": "，且须符合环保要求（环保情况不在数据中，未核对）" if env else "",
            "env_en": ", and it must meet environmental requirements (not in the data: not checked)" if env else "",
        },
    )


# --------------------------------------------------------------------------- control line


def _control_line_pairs(frame: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """The control-line zones (in the frame's CRS) and (parcel, zone) position pairs:
    a parcel belongs to a zone when its point on surface lies in it (as in prepare)."""
    z = zones[zones["zone_type"].astype(str).str.strip() == "control_line"]
    if frame.crs is not None and z.crs is not None and z.crs != frame.crs:
        z = z.to_crs(frame.crs)
    z = z.reset_index(drop=True)
    points = shapely.point_on_surface(frame.geometry.to_numpy())
    parcel_idx, zone_idx = shapely.STRtree(z.geometry.to_numpy()).query(points, predicate="within")
    return z, parcel_idx, zone_idx


def control_line_balance(frame: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, rule: Rule | None = None) -> pd.DataFrame:
    """The 改一补一 balance per control-line zone (``zone_type`` ``control_line``).

    Columns: ``zone_id``, ``name``, ``parcels`` (count), ``industrial_m2`` (measured area of
    the industrial parcels inside), ``converted_m2`` (of the parcels inside whose land use
    is not industrial: changed out of industrial use), ``added_m2`` (the zone's attribute
    ``added_m2``: industrial land added elsewhere to balance it; NaN when not given),
    ``balance_ratio`` (added / converted) and, with the pack's rule, ``balanced``
    (``balance_ratio >= balance_ratio_min``; True when nothing was converted, NA when the
    added area is unknown).
    """
    z, parcel_idx, zone_idx = _control_line_pairs(frame, zones)
    area = frame["area_m2"].to_numpy(float)[parcel_idx]
    industrial = frame["is_industrial"].to_numpy(bool)[parcel_idx]
    pairs = pd.DataFrame(
        {"zone": zone_idx, "industrial": np.where(industrial, area, 0.0), "converted": np.where(industrial, 0.0, area)}
    ).groupby("zone")
    n = len(z)
    out = pd.DataFrame(
        {
            "zone_id": z["zone_id"].to_numpy(object) if "zone_id" in z else np.arange(n).astype(object),
            "name": z["name"].to_numpy(object) if "name" in z else np.full(n, None, dtype=object),
            "parcels": pairs.size().reindex(range(n), fill_value=0).to_numpy(int),
            "industrial_m2": np.round(pairs["industrial"].sum().reindex(range(n), fill_value=0.0).to_numpy(float), AREA_DECIMALS),
            "converted_m2": np.round(pairs["converted"].sum().reindex(range(n), fill_value=0.0).to_numpy(float), AREA_DECIMALS),
            "added_m2": pd.to_numeric(z["added_m2"], errors="coerce").to_numpy(float) if "added_m2" in z else np.full(n, np.nan),
        }
    )
    out["balance_ratio"] = np.round(ratio(out["added_m2"], out["converted_m2"]), RATIO_DECIMALS)
    if rule is not None:
        p = rule["balance_ratio_min"]
        ok = compare(out["balance_ratio"], p.op or ">=", p.number, decimals=RATIO_DECIMALS)
        balanced = pd.array(ok, dtype="boolean")
        balanced[np.isnan(out["added_m2"].to_numpy(float))] = pd.NA
        balanced[out["converted_m2"].to_numpy(float) == 0] = True
        out["balanced"] = balanced
    return out


CONTROL_EXPLAIN = {
    "outside": {"zh": "不在工业用地控制线内，不适用", "en": "outside the industrial-land control line: does not apply"},
    "vacant": {
        "zh": "控制线内的空闲或储备土地（{land_use}），尚无用途改变",
        "en": "vacant or reserve land ({land_use}) inside the control line: no change of use yet",
    },
    "industrial": {
        "zh": "控制线内，保持工业用途",
        "en": "inside the control line and kept in industrial use",
    },
    "no_balance": {
        "zh": "控制线内用地已改为非工业用途（{land_use}），未提供“改一补一”补充面积（控制线区域的 added_m2），不能确认占补平衡",
        "en": "inside the control line but no longer industrial ({land_use}); no 改一补一 balance given (added_m2 of the control-line zone): the balance cannot be confirmed",
    },
    "unbalanced": {
        "zh": "控制线内用地已改为非工业用途（{land_use}）；控制线 {zones}：改出 {converted_m2} ㎡，补充 {added_m2} ㎡，补改比 {value} 低于 {limit}，未实现占补平衡",
        "en": "inside the control line but no longer industrial ({land_use}); control line {zones}: {converted_m2} m² converted, {added_m2} m² added, ratio {value} below {limit}: not balanced",
    },
    "balanced": {
        "zh": "控制线内用地已改为非工业用途（{land_use}）；控制线 {zones}：改出 {converted_m2} ㎡，补充 {added_m2} ㎡，补改比 {value} ≥ {limit}，占补平衡",
        "en": "inside the control line and no longer industrial ({land_use}); control line {zones}: {converted_m2} m² converted, {added_m2} m² added, ratio {value} ≥ {limit}: balanced (改一补一)",
    },
}


def control_line(
    frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str, zones: gpd.GeoDataFrame | None = None
) -> pd.DataFrame:
    """``landuse.control_line``: inside the control line, land stays industrial unless balanced.

    A non-industrial parcel inside passes only when every control-line zone holding it is
    balanced (:func:`control_line_balance`); without ``zones`` (or their ``added_m2``)
    the balance is unknown and the parcel fails. ``value``: the zone's added / converted
    ratio (the lowest, if several zones hold the parcel).
    """
    n = len(frame)
    inside = frame["in_control_line"].to_numpy(bool)
    industrial = frame["is_industrial"].to_numpy(bool)
    balance_ratio = np.full(n, np.nan)
    converted = np.full(n, np.nan)
    added = np.full(n, np.nan)
    balanced = np.zeros(n, bool)
    known = np.zeros(n, bool)
    names = np.full(n, "—", dtype=object)
    if zones is not None and len(zones):
        table = control_line_balance(frame, zones, rule=rule)
        _, parcel_idx, zone_idx = _control_line_pairs(frame, zones)
        per = pd.DataFrame(
            {
                "parcel": parcel_idx,
                "ratio": table["balance_ratio"].to_numpy(float)[zone_idx],
                "converted": table["converted_m2"].to_numpy(float)[zone_idx],
                "added": table["added_m2"].to_numpy(float)[zone_idx],
                "known": ~np.isnan(table["added_m2"].to_numpy(float))[zone_idx],
                "balanced": table["balanced"].fillna(False).to_numpy(bool)[zone_idx],
                "name": table["name"].fillna(table["zone_id"].astype(str)).astype(str).to_numpy()[zone_idx],
            }
        ).sort_values("ratio")
        first = per.drop_duplicates("parcel")  # the least balanced zone of each parcel
        grouped = per.groupby("parcel")
        idx = first["parcel"].to_numpy()
        balance_ratio[idx] = first["ratio"].to_numpy()
        converted[idx] = first["converted"].to_numpy()
        added[idx] = first["added"].to_numpy()
        all_known = grouped["known"].all()
        all_balanced = grouped["balanced"].all()
        known[all_known.index] = all_known.to_numpy()
        balanced[all_balanced.index] = all_balanced.to_numpy()
        joined = grouped["name"].agg(lambda s: "、".join(sorted(set(s))))
        names[joined.index] = joined.to_numpy()
    vacant = frame["land_use"].fillna("").astype(str).str.contains(VACANT_PATTERN, regex=True).to_numpy(bool)
    conditions = [~inside, industrial, vacant, ~known, ~balanced]
    reason = np.select(conditions, ["outside", "industrial", "vacant", "no_balance", "unbalanced"], "balanced")
    status = np.select([np.isin(reason, ["outside", "vacant"]), np.isin(reason, ["industrial", "balanced"])], ["not_applicable", "pass"], "fail")
    limit = rule["balance_ratio_min"].number
    return parcel_verdicts(
        frame, rule, pack_id, lang=lang, explain=CONTROL_EXPLAIN, status=status, reason=reason,
        value=np.where(inside & ~industrial, balance_ratio, np.nan),
        limit=np.where(inside & ~industrial, limit, np.nan),
        unit="ratio",
        extra={"land_use": frame["land_use"].fillna("—"), "zones": names, "converted_m2": converted, "added_m2": added},
    )


# --------------------------------------------------------------------------- renovation admission

ADMISSION_EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "excluded": {
        "zh": "已列入近期搬迁改造范围（{zones}），不得进行“零增地”技改",
        "en": "in a near-term relocation plan ({zones}): zero-land renovation is not allowed",
    },
    "excluded_no_project": {
        "zh": "已列入近期搬迁改造范围（{zones}），不得进行“零增地”技改（本宗地无技改数据）",
        "en": "in a near-term relocation plan ({zones}): zero-land renovation would not be allowed (no renovation figures on this parcel)",
    },
    "admitted": {
        "zh": "未列入近期搬迁改造范围，可进行“零增地”技改；是否属明令淘汰、限制类项目不在数据中，未核对",
        "en": "not in a near-term relocation plan: zero-land renovation may proceed; whether the project is eliminated or restricted (明令淘汰、限制类) is not in the data and not checked",
    },
    "not_applicant": {
        "zh": "无“零增地”技改数据，非技改项目",
        "en": "no zero-land renovation figures: not a renovation applicant",
    },
}


def renovation_admission(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``renovation.admission``: no zero-land renovation in ``excluded_zone_types`` zones.

    ``fail``: an applicant (renovation figures given) in such a zone; ``pass``: an applicant
    outside them. Eliminated or restricted projects are not in the input data.
    """
    zone_types = list(rule.value("excluded_zone_types") or [])
    excluded = _in_zones(frame, zone_types)
    applicant = renovation_applicant(frame)
    conditions = [~frame["is_industrial"].to_numpy(bool), excluded & applicant, excluded, applicant]
    reason = np.select(conditions, ["not_industrial", "excluded", "excluded_no_project", "admitted"], "not_applicant")
    status = np.select([reason == "excluded", reason == "admitted"], ["fail", "pass"], "not_applicable")
    return parcel_verdicts(
        frame, rule, pack_id, lang=lang, explain=ADMISSION_EXPLAIN, status=status, reason=reason, extra={"zones": ", ".join(zone_types)})


# --------------------------------------------------------------------------- pre-registration

PRE_EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "missing": {
        "zh": "未提供开发投资比例（investment_share），不属预告登记转让情形",
        "en": "no development investment share (investment_share): not a pre-registration case",
    },
    "eligible": {
        "zh": "开发投资比例 {value} 未达到 {limit}：可签订附条件转让合同并办理预告登记（须经批准、出让合同无特殊限制转让约定，且属低效工业用地，均不在数据中）",
        "en": "development investment share {value} is below {limit}: may be transferred by conditional contract with pre-registration (subject to approval, no contract clause restricting transfer, and the land being low-efficiency — none of these is in the data)",
    },
    "reached": {
        "zh": "开发投资比例 {value} 已达到 {limit}，按一般规定转让，不适用预告登记试点",
        "en": "development investment share {value} has reached {limit}: ordinary transfer rules apply, not the pre-registration pilot",
    },
}


def pre_registration(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``transfer.pre_registration`` (incentive): ``investment_share`` below 25 % (未达到).

    ``pass`` = eligible for the conditional transfer with pre-registration.
    """
    share = frame["investment_share"].to_numpy(float)
    p = rule["investment_share_max"]
    below = compare(share, p.op or "<", p.number, decimals=RATIO_DECIMALS)
    conditions = [~frame["is_industrial"].to_numpy(bool), np.isnan(share), below]
    reason = np.select(conditions, ["not_industrial", "missing", "eligible"], "reached")
    status = np.where(reason == "eligible", "pass", "not_applicable")
    return parcel_verdicts(
        frame, rule, pack_id, lang=lang, explain=PRE_EXPLAIN, status=status, reason=reason,
        value=np.round(share, RATIO_DECIMALS), limit=p.number, unit="ratio",
    )


# --------------------------------------------------------------------------- permit exemption

PERMIT_EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "no_project": {
        "zh": "无工程总投资额（investment_10k）和技改建筑面积（renovation_gfa_m2），不适用",
        "en": "no project investment (investment_10k) or floor area (renovation_gfa_m2): does not apply",
    },
    "exempt": {
        "zh": "工程总投资额 {value} 万元（≤ {limit}）或建筑面积 {floor_m2} ㎡（≤ {floor_max}）符合条件，可不申请办理施工许可证",
        "en": "investment {value} (10k yuan, limit {limit}) or floor area {floor_m2} m² (limit {floor_max}) qualifies: no construction permit needed",
    },
    "unknown": {
        "zh": "工程总投资额 {value} 万元、建筑面积 {floor_m2} ㎡：缺少另一项，无法判断是否免办施工许可证",
        "en": "investment {value} (10k yuan), floor area {floor_m2} m²: the other figure is missing, cannot tell whether a permit is needed",
    },
    "permit": {
        "zh": "工程总投资额 {value} 万元（限 {limit}）、建筑面积 {floor_m2} ㎡（限 {floor_max}）不符合免办条件，须办理施工许可证",
        "en": "investment {value} (10k yuan, limit {limit}) and floor area {floor_m2} m² (limit {floor_max}) do not qualify: a construction permit is needed",
    },
}


def permit_exempt(frame: pd.DataFrame, rule: Rule, pack_id: str, *, lang: str) -> pd.DataFrame:
    """``renovation.permit_exempt`` (info): investment ≤ 200万元 or floor area ≤ 1000 m²
    (the works' floor area: ``renovation_gfa_m2``). ``pass`` = no permit needed."""
    investment = frame["investment_10k"].to_numpy(float)
    floor = np.round(frame["renovation_gfa_m2"].to_numpy(float), AREA_DECIMALS)
    inv_p, floor_p = rule["investment_max_10k"], rule["floor_area_max_m2"]
    inv_ok = compare(investment, inv_p.op or "<=", inv_p.number, decimals=RATIO_DECIMALS)
    floor_ok = compare(floor, floor_p.op or "<=", floor_p.number, decimals=AREA_DECIMALS)
    inv_no = ~np.isnan(investment) & ~inv_ok
    floor_no = ~np.isnan(floor) & ~floor_ok
    if rule.value("combine", "any") == "all":
        exempt, needed = inv_ok & floor_ok, inv_no | floor_no
    else:
        exempt, needed = inv_ok | floor_ok, inv_no & floor_no
    conditions = [
        ~frame["is_industrial"].to_numpy(bool),
        np.isnan(investment) & np.isnan(floor),
        exempt,
        needed,
    ]
    reason = np.select(conditions, ["not_industrial", "no_project", "exempt", "permit"], "unknown")
    status = np.select([reason == "exempt", reason == "unknown"], ["pass", "insufficient_data"], "not_applicable")
    return parcel_verdicts(
        frame, rule, pack_id, lang=lang, explain=PERMIT_EXPLAIN, status=status, reason=reason,
        value=investment, limit=inv_p.number, unit="10k_yuan",
        extra={"floor_m2": floor, "floor_max": floor_p.number},
    )


# --------------------------------------------------------------------------- standard land supply

STANDARD_EXPLAIN = {
    "not_industrial": NOT_INDUSTRIAL,
    "not_supplied": {
        "zh": "无出让日期（supply_date），非新增供地",
        "en": "no supply_date: not newly supplied land",
    },
    "outside_window": {
        "zh": "出让日期 {supply_date} 不在 {window}，不属本政策期内新增工业用地",
        "en": "supplied on {supply_date}, outside {window}: not new industrial land under this policy",
    },
    "unknown": {
        "zh": "新增工业用地（{supply_date} 出让），缺少是否标准地（standard_land）",
        "en": "new industrial land (supplied {supply_date}); standard_land missing",
    },
    "standard": {
        "zh": "新增工业用地（{supply_date} 出让）按“标准地”出让",
        "en": "new industrial land (supplied {supply_date}) supplied as 标准地",
    },
    "not_standard": {
        "zh": "新增工业用地（{supply_date} 出让）未按“标准地”出让（新增工业用地中标准地面积占比 {value}，要求 {limit}）{negative_zh}",
        "en": "new industrial land (supplied {supply_date}) not supplied as 标准地 (标准地 share of new industrial land {value}, required {limit}){negative_en}",
    },
    "share_met": {
        "zh": "新增工业用地（{supply_date} 出让）未按“标准地”出让，但标准地面积占比 {value} 达到 {limit}",
        "en": "new industrial land (supplied {supply_date}) not supplied as 标准地, but the 标准地 share {value} reaches {limit}",
    },
}


def standard_land(
    frame: pd.DataFrame,
    rule: Rule,
    pack_id: str,
    *,
    lang: str,
    supplied_from: dt.date | None = None,
    supplied_until: dt.date | None = None,
) -> pd.DataFrame:
    """``supply.standard_land``: newly supplied industrial land is 标准地.

    Newly supplied = ``supply_date`` within ``supplied_from`` .. ``supplied_until``
    (inclusive; give the pack's ``issued`` and ``valid_until``; None = open). ``value``: the
    share (by area) of the new industrial land with a known flag that is 标准地; a
    parcel not flagged ``standard_land`` fails while that share is below
    ``standard_land_share_min`` (1.0: every one fails).
    """
    dates = pd.to_datetime(frame["supply_date"])
    lo = pd.Timestamp(supplied_from) if supplied_from else None
    hi = pd.Timestamp(supplied_until) if supplied_until else None
    within = dates.notna()
    if lo is not None:
        within &= dates >= lo
    if hi is not None:
        within &= dates < hi + pd.Timedelta(days=1)
    within = within.to_numpy(bool)
    industrial = frame["is_industrial"].to_numpy(bool)
    flag = frame["standard_land"].astype("boolean")
    is_standard = flag.fillna(False).to_numpy(bool)
    flag_known = flag.notna().to_numpy(bool)
    new = industrial & within
    area = frame["area_m2"].to_numpy(float)
    share = float(ratio(area[new & flag_known & is_standard].sum(), area[new & flag_known].sum()))
    p = rule["standard_land_share_min"]
    share_met = bool(compare(share, p.op or ">=", p.number, decimals=RATIO_DECIMALS))
    conditions = [~industrial, dates.isna().to_numpy(bool), ~within, ~flag_known, is_standard, np.full(len(frame), share_met)]
    reason = np.select(conditions, ["not_industrial", "not_supplied", "outside_window", "unknown", "standard", "share_met"], "not_standard")
    status = np.select(
        [np.isin(reason, ["not_industrial", "not_supplied", "outside_window"]), reason == "unknown", reason == "not_standard"],
        ["not_applicable", "insufficient_data", "fail"],
        "pass",
    )
    negative = bool(rule.value("negative_list_exempt", False))
    window = f"{supplied_from or '…'} – {supplied_until or '…'}"
    return parcel_verdicts(
        frame, rule, pack_id, lang=lang, explain=STANDARD_EXPLAIN, status=status, reason=reason,
        value=np.where(new, round(share, RATIO_DECIMALS) if not np.isnan(share) else np.nan, np.nan),
        limit=p.number,
        unit="ratio",
        extra={
            "supply_date": dates.dt.strftime("%Y-%m-%d").fillna("—").to_numpy(object),
            "window": window,
            "negative_zh": "；负面清单内项目除外（负面清单不在数据中）" if negative else "",
            "negative_en": "; projects on the negative list are exempt (the list is not in the data)" if negative else "",
        },
    )


# --------------------------------------------------------------------------- extra height limits


def height_limit_layers(
    frame: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    *,
    height_limit_raster: str | None = None,
    min_coverage: float = 0.5,
) -> pd.DataFrame:
    """The strictest extra height limit (m) per parcel and the buildings above it.

    Extra limits are the ``height_limit`` zones (``zone_height_max_m`` of the prepared
    table: the lowest limit of the zones holding the parcel's point on surface) and a
    height-limit raster: the highest allowed building top per cell, in the same vertical
    reference as building heights (heights above ground, m). Each building's raster limit
    is the minimum over the cells at least ``min_coverage`` inside its footprint, read
    window by window (:func:`landtool.height.raster_heights`); its limit is the stricter
    of that and its parcel's zone limit, and it is listed when its ``height_m`` is above
    it (at 0.01 m). For a parcel without buildings, the raster limit is taken over the
    parcel and compared with the parcel's ``height_m``.

    Returns a frame indexed like ``frame``: ``parcel_id``, ``zone_limit_m``,
    ``raster_limit_m``, ``extra_limit_m`` (the stricter of the two), ``extra_limit_source``
    (``zone``, ``raster`` or None), ``buildings_over`` (list of building ids) and
    ``exceeds`` (bool).
    """
    n = len(frame)
    zone_limit = frame["zone_height_max_m"].to_numpy(float) if "zone_height_max_m" in frame else np.full(n, np.nan)
    source = None
    if height_limit_raster is not None:
        with _open(height_limit_raster, "height-limit"):
            pass  # a clear error for a bad path before any work
        source = HeightRaster(ndsm=height_limit_raster, statistic=0.0, min_coverage=min_coverage)  # percentile 0 = minimum
    over_lists: list[list] = [[] for _ in range(n)]
    raster_limit = np.full(n, np.nan)
    exceeds = np.zeros(n, bool)
    has_buildings = np.zeros(n, bool)
    if buildings is not None and len(buildings):
        position = pd.Series(np.arange(n), index=frame["parcel_id"].to_numpy()).reindex(buildings["parcel_id"].to_numpy())
        on_parcel = position.notna().to_numpy()
        b = buildings[on_parcel]
        pos = position.to_numpy()[on_parcel].astype(int)
        has_buildings[pos] = True
        b_raster = raster_heights(b.geometry, source) if source is not None else np.full(len(b), np.nan)
        b_limit = np.fmin(zone_limit[pos], b_raster)
        height = b["height_m"].to_numpy(float) if "height_m" in b else np.full(len(b), np.nan)
        over = ~np.isnan(height) & ~np.isnan(b_limit) & ~compare(height, "<=", b_limit, decimals=AREA_DECIMALS)
        lowest = pd.Series(b_raster).groupby(pos).min()
        raster_limit[lowest.index.to_numpy()] = lowest.to_numpy()
        for p, building_id in zip(pos[over], b["building_id"].to_numpy(object)[over], strict=True):
            over_lists[p].append(building_id)
        exceeds[pos[over]] = True
    # Parcels without buildings: the raster over the parcel, against the parcel's height.
    bare = ~has_buildings
    if bare.any():
        if source is not None:
            raster_limit[bare] = raster_heights(frame.geometry[bare], source)
        height = frame["height_m"].to_numpy(float)[bare]
        limit = np.fmin(zone_limit[bare], raster_limit[bare])
        exceeds[bare] = ~np.isnan(height) & ~np.isnan(limit) & ~compare(height, "<=", limit, decimals=AREA_DECIMALS)
    extra = np.fmin(zone_limit, raster_limit)
    extra_source = np.where(np.isnan(extra), None, np.where(extra == zone_limit, "zone", "raster"))
    return pd.DataFrame(
        {
            "parcel_id": frame["parcel_id"].to_numpy(object),
            "zone_limit_m": zone_limit,
            "raster_limit_m": np.round(raster_limit, AREA_DECIMALS),
            "extra_limit_m": np.round(extra, AREA_DECIMALS),
            "extra_limit_source": extra_source.astype(object),
            "buildings_over": over_lists,
            "exceeds": exceeds,
        },
        index=frame.index,
    )


RULES = {
    "landuse.retain_industrial": retain_industrial,
    "landuse.control_line": control_line,
    "renovation.admission": renovation_admission,
    "transfer.pre_registration": pre_registration,
    "renovation.permit_exempt": permit_exempt,
    "supply.standard_land": standard_land,
}
