"""Land use and planning overlays, renovation admission, transfers and supply (POLICY.md §9,
§10). The extra height-limit layers of §4 are in :mod:`landtool.rules.limits`.

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

Every verdict carries a reason code and the args its sentence needs (sentences:
``landtool/messages/*/landuse.yaml``); the zones that decide a verdict are named by their
``name`` (else ``zone_id``). No bundled pack marks these rules "原则上"; where a pack
does, the note goes only with a breach of the pack's own condition or number (grades,
the balance ratio, the 标准地 share), never with a planning overlay (an expropriation or
relocation plan).

A zero-land renovation applicant is a parcel with any renovation figure
(``gfa_before_m2``, ``gfa_after_m2``, ``renovation_gfa_m2``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landtool.policy import Rule, compare
from landtool.prepare import VACANT_PATTERN
from landtool.rules.common import flag, governed
from landtool.rules.limits import HeightLimits, extra_height_limits, height_limit_layers
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, ratio
from landtool.verdicts import declare, only, parcel_verdicts, per_row

__all__ = [
    "HeightLimits",
    "commitment_area",
    "control_line",
    "control_line_balance",
    "extra_height_limits",
    "height_limit_layers",
    "permit_exempt",
    "pre_registration",
    "renovation_admission",
    "renovation_applicant",
    "retain_industrial",
    "standard_land",
    "zone_labels",
]

declare(
    "landuse.retain_industrial",
    ("outside_plan", "not_industrial", "in_expropriation_plan", "no_grade", "grade_not_eligible", "may_retain", "may_retain_area_unknown"),
)
declare("landuse.control_line", ("outside_line", "kept_industrial", "vacant_land", "no_balance", "unbalanced", "balanced"))
declare("renovation.admission", ("not_industrial", "in_excluded_zone", "in_excluded_zone_no_project", "admitted", "not_applicant"))
declare("transfer.pre_registration", ("not_industrial", "no_investment_share", "below_share", "share_reached"))
declare(
    "renovation.permit_exempt",
    ("not_industrial", "no_project", "exempt_investment", "exempt_floor_area", "exempt_both", "permit_needed", "figure_missing"),
)
declare(
    "supply.standard_land",
    ("not_industrial", "not_supplied", "outside_period", "no_standard_flag", "standard", "share_met", "not_standard", "not_standard_negative_list"),
)

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


def _zone_pairs(frame: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None, zone_types: Sequence[str]) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """The zones of ``zone_types`` (in the frame's CRS) and (parcel, zone) position pairs:
    a parcel belongs to a zone when its point on surface lies in it (as in prepare)."""
    if zones is None or len(zones) == 0:
        empty = np.zeros(0, dtype=np.intp)
        return gpd.GeoDataFrame(geometry=[], crs=frame.crs), empty, empty
    z = zones[zones["zone_type"].astype(str).str.strip().isin(list(zone_types))]
    if frame.crs is not None and z.crs is not None and z.crs != frame.crs:
        z = z.to_crs(frame.crs)
    z = z.reset_index(drop=True)
    points = frame["surface_point"].to_numpy() if "surface_point" in frame else shapely.point_on_surface(frame.geometry.to_numpy())
    parcel_idx, zone_idx = shapely.STRtree(z.geometry.to_numpy()).query(points, predicate="within")
    return z, parcel_idx, zone_idx


def _labels_of(z: pd.DataFrame) -> np.ndarray:
    """What a zone is called in a sentence: its ``name``, else ``zone_id``, else ``#<source_fid>``."""
    fid = z["source_fid"].to_numpy(object) if "source_fid" in z else np.arange(1, len(z) + 1)
    label = pd.Series([f"#{f}" for f in fid], dtype=object)  # one per zone, not per parcel
    for column in ("zone_id", "name"):  # the later one wins where given
        if column in z:
            text = z[column].reset_index(drop=True).astype(object)
            given = text.notna() & (text.astype(str).str.strip() != "")
            label = label.where(~given, text.astype(str))
    return label.to_numpy(object)



def _first_given(*arrays: np.ndarray) -> np.ndarray:
    """Per row, the first of ``arrays`` (object arrays of args) that is not None."""
    out = np.asarray(arrays[0], dtype=object).copy()
    for values in arrays[1:]:
        take = pd.isna(pd.Series(out, dtype=object)).to_numpy() & pd.notna(pd.Series(values, dtype=object)).to_numpy()
        out[take] = np.asarray(values, dtype=object)[take]
    return out


def zone_labels(frame: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None, zone_types: Sequence[str]) -> np.ndarray:
    """Per parcel, the sorted labels of the ``zone_types`` zones holding its point on surface
    (``name``, else ``zone_id``, else ``#<source_fid>``); None where none does or no zones
    are given."""
    out = np.full(len(frame), None, dtype=object)
    z, parcel_idx, zone_idx = _zone_pairs(frame, zones, zone_types)
    if len(parcel_idx):
        pairs = pd.DataFrame({"parcel": parcel_idx, "label": _labels_of(z)[zone_idx]}).drop_duplicates().sort_values(["parcel", "label"])
        alone = pairs["parcel"].map(pairs["parcel"].value_counts()).to_numpy() == 1
        # a parcel in one zone (nearly all) shares that zone's one-label list
        single = pairs[alone]
        lists = {label: [label] for label in pd.unique(single["label"])}
        out[single["parcel"].to_numpy()] = per_row([lists[label] for label in single["label"]])
        several = pairs[~alone].groupby("parcel")["label"].agg(list)
        out[several.index.to_numpy()] = per_row(several.to_list())
    return out


def _named(labels: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """``labels`` where ``flagged``, with "—" for a flagged parcel whose zone has no label
    (no zones layer given): a sentence that names zones never shows an empty list."""
    return _first_given(np.where(flagged, labels, None), only(flagged, ["—"]))


def _flag_lists(frame: pd.DataFrame, codes: Sequence[str], columns: Sequence[str]) -> np.ndarray:
    """Per row, the ``codes`` whose boolean ``columns`` hold (None where none does).

    Vectorized: rows are grouped by their combination of flags, one list per combination.
    """
    n = len(frame)
    bits = np.zeros(n, dtype=np.int64)
    for k, column in enumerate(columns):
        if column in frame:
            bits |= frame[column].to_numpy(bool).astype(np.int64) << k
    combos, inverse = np.unique(bits, return_inverse=True)
    lut = np.empty(len(combos), dtype=object)
    for u, combo in enumerate(combos):  # a few combinations, not one per parcel
        lut[u] = [c for k, c in enumerate(codes) if combo >> k & 1] or None
    return lut[inverse]


# --------------------------------------------------------------------------- retain industrial

#: What each ``commit_area_basis`` needs besides the floor area after renovation, for the
#: explanation when no basis can be computed.
BASIS_NEEDS = {
    "above_certified_area": "certified_gfa_m2",
    "above_contract_far": "contract_far",
    "added_gfa": "gfa_before_m2",
    "approved_buildings": "renovation_gfa_m2",
}


def commitment_area(frame: pd.DataFrame, bases: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(floor area in m² under the demolition commitment, basis used) per parcel.

    The first basis of ``bases`` whose inputs the parcel has is used. The certified floor
    area is the optional column ``certified_gfa_m2`` (证载建筑面积); the floor area after
    renovation is ``gfa_after_m2``, else ``gfa_m2``. Never negative: a building within its
    certified area or contract FAR commits 0 m².
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


def _basis_missing(frame: pd.DataFrame, bases: list[str], mask: np.ndarray) -> np.ndarray:
    """Where ``mask``, what would let a commitment basis be computed (alternatives, ``!i``).

    With the floor area after renovation known, any basis's own input; without it, that
    floor area (``gfa_after_m2`` or ``gfa_m2``; for ``approved_buildings`` also the
    renovation floor area, which needs no "after" figure).
    """
    after_known = frame["gfa_after_m2"].fillna(frame["gfa_m2"]).notna().to_numpy()
    without_after = ["gfa_after_m2", "gfa_m2"] + (["renovation_gfa_m2"] if "approved_buildings" in bases else [])
    return _first_given(only(mask & after_known, [BASIS_NEEDS[b] for b in bases]), only(mask & ~after_known, without_after))


def retain_industrial(frame: pd.DataFrame, rule: Rule, pack_id: str, *, zones: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """``landuse.retain_industrial``: may the parcel keep industrial use for zero-land renovation?

    ``not_applicable`` outside ``non_industrial_plan`` zones and on land that is not
    industrial; ``fail`` in an ``expropriation_plan`` zone (named in the sentence) or, where
    the pack limits it to ``eligible_grades``, for another grade; ``insufficient_data``
    without a grade there; else ``pass`` — the commitment itself (and tiantai's
    environmental compliance) is not in the data, as the sentence says. ``value``: the
    floor area (m²) under the demolition commitment, by the pack's ``commit_area_basis``
    (see :func:`commitment_area`); NaN with reason ``may_retain_area_unknown`` when no
    basis can be computed.
    """
    grades = frame["grade"].fillna("").astype(str).str.strip().str.upper().to_numpy()
    eligible = [str(g).upper() for g in rule.value("eligible_grades") or []]
    bases = list(rule.value("commit_area_basis") or ["added_gfa"])
    area, used = commitment_area(frame, bases)
    in_plan = frame["in_non_industrial_plan"].to_numpy(bool)
    industrial = frame["is_industrial"].to_numpy(bool)
    expropriated = frame["in_expropriation_plan"].to_numpy(bool)
    conditions = [
        ~in_plan,
        ~industrial,
        expropriated,
        bool(eligible) & (grades == ""),
        bool(eligible) & ~np.isin(grades, eligible),
        np.isnan(area),
    ]
    reason = np.select(
        conditions, ["outside_plan", "not_industrial", "in_expropriation_plan", "no_grade", "grade_not_eligible", "may_retain_area_unknown"], "may_retain"
    )
    status = np.select(
        [np.isin(reason, ["outside_plan", "not_industrial"]), np.isin(reason, ["in_expropriation_plan", "grade_not_eligible"]), reason == "no_grade"],
        ["not_applicable", "fail", "insufficient_data"],
        "pass",
    )
    may = np.isin(reason, ["may_retain", "may_retain_area_unknown"])
    conditions_of_pack = (["demolition_commitment"] if rule.value("commitment_required", True) else []) + (
        ["environmental_compliance"] if rule.value("environmental_compliance_required", False) else []
    )
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=np.where(status == "pass", area, np.nan),
        unit="m2",
        args={
            "land_use": only(reason == "not_industrial", frame["land_use"]),
            "expropriation_zones": _named(zone_labels(frame, zones, ["expropriation_plan"]), reason == "in_expropriation_plan"),
            "plan_zones": _named(zone_labels(frame, zones, ["non_industrial_plan"]), may),
            "grade": only(reason == "grade_not_eligible", grades),
            "eligible_grades": only(np.isin(reason, ["no_grade", "grade_not_eligible"]), eligible),
            "missing": _first_given(only(reason == "no_grade", ["grade"]), _basis_missing(frame, bases, reason == "may_retain_area_unknown")),
            "retain_mode": only(may, "keep_temporarily" if rule.value("temporary", False) else "keep"),
            "retain_conditions": only(may, conditions_of_pack),
            "commit_basis": only(may, used),
        },
        # 原则上 only for the pack's own condition (grades), never for a plan overlay (expropriation)
        discretionary=(reason == "grade_not_eligible") & rule.discretionary,
    )


# --------------------------------------------------------------------------- control line


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
    z, parcel_idx, zone_idx = _zone_pairs(frame, zones, ["control_line"])
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


def control_line(frame: pd.DataFrame, rule: Rule, pack_id: str, *, zones: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """``landuse.control_line``: inside the control line, land stays industrial unless balanced.

    A non-industrial parcel inside passes only when every control-line zone holding it is
    balanced (:func:`control_line_balance`); without ``zones`` (or their ``added_m2``)
    the balance is not shown and the parcel fails (reason ``no_balance``): the text requires
    the balance ("确需改变用途的，应‘改一补一’"). ``value``: the zone's added / converted
    ratio (the lowest, if several zones hold the parcel); ``limit``: ``balance_ratio_min``.
    """
    n = len(frame)
    inside = frame["in_control_line"].to_numpy(bool)
    industrial = frame["is_industrial"].to_numpy(bool)
    balance_ratio = np.full(n, np.nan)
    converted = np.full(n, np.nan)
    added = np.full(n, np.nan)
    balanced = np.zeros(n, bool)
    known = np.zeros(n, bool)
    if zones is not None and len(zones):
        table = control_line_balance(frame, zones, rule=rule)
        _, parcel_idx, zone_idx = _zone_pairs(frame, zones, ["control_line"])
        per = pd.DataFrame(
            {
                "parcel": parcel_idx,
                "ratio": table["balance_ratio"].to_numpy(float)[zone_idx],
                "converted": table["converted_m2"].to_numpy(float)[zone_idx],
                "added": table["added_m2"].to_numpy(float)[zone_idx],
                "known": ~np.isnan(table["added_m2"].to_numpy(float))[zone_idx],
                "balanced": table["balanced"].fillna(False).to_numpy(bool)[zone_idx],
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
    vacant = frame["land_use"].fillna("").astype(str).str.contains(VACANT_PATTERN, regex=True).to_numpy(bool)
    conditions = [~inside, industrial, vacant, ~known, ~balanced]
    reason = np.select(conditions, ["outside_line", "kept_industrial", "vacant_land", "no_balance", "unbalanced"], "balanced")
    status = np.select(
        [np.isin(reason, ["outside_line", "vacant_land"]), np.isin(reason, ["kept_industrial", "balanced"])], ["not_applicable", "pass"], "fail"
    )
    limit = rule["balance_ratio_min"].number
    converted_use = inside & ~industrial & ~vacant
    figures = np.isin(reason, ["unbalanced", "balanced"])
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=np.where(inside & ~industrial, balance_ratio, np.nan),
        limit=np.where(inside & ~industrial, limit, np.nan),
        unit="ratio",
        args={
            "land_use": only(inside & ~industrial, frame["land_use"].fillna("—")),
            "control_zones": _named(zone_labels(frame, zones, ["control_line"]), inside & (industrial | converted_use)),
            "converted_m2": only(figures, converted),
            "added_m2": only(figures, added),
            "missing": only(reason == "no_balance", ["added_m2"]),
        },
    )


# --------------------------------------------------------------------------- renovation admission


def renovation_admission(frame: pd.DataFrame, rule: Rule, pack_id: str, *, zones: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """``renovation.admission``: no zero-land renovation in ``excluded_zone_types`` zones.

    ``fail``: an applicant (renovation figures given) in such a zone, named in the sentence;
    ``pass``: an applicant outside them. Eliminated or restricted projects
    (``excluded_projects``) are not in the input data: the sentence says they were not checked.
    """
    zone_types = list(rule.value("excluded_zone_types") or [])
    excluded = _in_zones(frame, zone_types)
    applicant = renovation_applicant(frame)
    conditions = [~frame["is_industrial"].to_numpy(bool), excluded & applicant, excluded, applicant]
    reason = np.select(conditions, ["not_industrial", "in_excluded_zone", "in_excluded_zone_no_project", "admitted"], "not_applicant")
    status = np.select([reason == "in_excluded_zone", reason == "admitted"], ["fail", "pass"], "not_applicable")
    inside = np.isin(reason, ["in_excluded_zone", "in_excluded_zone_no_project"])
    types_in = _flag_lists(frame, zone_types, [f"in_{t}" for t in zone_types])
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        args={
            "land_use": only(reason == "not_industrial", frame["land_use"]),
            # inside: the excluded zone types holding the parcel; admitted: those it is not in
            "admission_zone_type": _first_given(only(inside, types_in), only(reason == "admitted", zone_types)),
            "admission_zones": _named(zone_labels(frame, zones, zone_types), inside),
            "excluded_projects": only(reason == "admitted", list(rule.value("excluded_projects") or [])),
        },
        discretionary=False,  # a planning overlay (relocation plan), never "原则上"
    )


# --------------------------------------------------------------------------- pre-registration


def pre_registration(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``transfer.pre_registration`` (incentive): ``investment_share`` below 25 % (未达到).

    ``pass`` = eligible for the conditional transfer with pre-registration; a share that
    reached the limit, or no share, is ``not_applicable`` (ordinary transfer rules).
    """
    share = frame["investment_share"].to_numpy(float)
    p = rule["investment_share_max"]
    below = compare(share, p.op or "<", p.number, decimals=RATIO_DECIMALS)
    conditions = [~frame["is_industrial"].to_numpy(bool), np.isnan(share), below]
    reason = np.select(conditions, ["not_industrial", "no_investment_share", "below_share"], "share_reached")
    status = np.where(reason == "below_share", "pass", "not_applicable")
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=np.round(share, RATIO_DECIMALS),
        limit=p.number,
        unit="ratio",
        args={
            "land_use": only(reason == "not_industrial", frame["land_use"]),
            "missing": only(reason == "no_investment_share", ["investment_share"]),
        },
    )


# --------------------------------------------------------------------------- permit exemption


def permit_exempt(frame: pd.DataFrame, rule: Rule, pack_id: str) -> pd.DataFrame:
    """``renovation.permit_exempt`` (info): investment ≤ 200万元 or floor area ≤ 1000 m²
    (the works' floor area: ``renovation_gfa_m2``). ``pass`` = no permit needed.

    With ``combine: any`` (yuhuan: "或") either figure suffices, and the sentence names the
    one that qualifies (the investment first); with ``combine: all`` both must. Where the
    known figures do not decide, the missing one is named (``insufficient_data``).
    ``value``: the investment (万元); the floor area is an arg.
    """
    investment = frame["investment_10k"].to_numpy(float)
    floor = np.round(frame["renovation_gfa_m2"].to_numpy(float), AREA_DECIMALS)
    inv_p, floor_p = rule["investment_max_10k"], rule["floor_area_max_m2"]
    inv_ok = compare(investment, inv_p.op or "<=", inv_p.number, decimals=RATIO_DECIMALS)
    floor_ok = compare(floor, floor_p.op or "<=", floor_p.number, decimals=AREA_DECIMALS)
    inv_no = ~np.isnan(investment) & ~inv_ok
    floor_no = ~np.isnan(floor) & ~floor_ok
    both = rule.value("combine", "any") == "all"
    exempt, needed = (inv_ok & floor_ok, inv_no | floor_no) if both else (inv_ok | floor_ok, inv_no & floor_no)
    conditions = [~frame["is_industrial"].to_numpy(bool), np.isnan(investment) & np.isnan(floor), exempt & both, exempt & inv_ok, exempt, needed]
    reason = np.select(
        conditions, ["not_industrial", "no_project", "exempt_both", "exempt_investment", "exempt_floor_area", "permit_needed"], "figure_missing"
    )
    status = np.select([np.isin(reason, ["exempt_both", "exempt_investment", "exempt_floor_area"]), reason == "figure_missing"], ["pass", "insufficient_data"], "not_applicable")
    unknown_inv, unknown_floor = np.isnan(investment), np.isnan(floor)
    missing = _first_given(
        only(reason == "no_project", ["investment_10k", "renovation_gfa_m2"]),
        only((reason == "figure_missing") & unknown_inv, ["investment_10k"]),
        only((reason == "figure_missing") & unknown_floor, ["renovation_gfa_m2"]),
    )
    figures = ~np.isin(reason, ["not_industrial", "no_project"])
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=investment,
        limit=inv_p.number,
        unit="10k_yuan",
        args={
            "land_use": only(reason == "not_industrial", frame["land_use"]),
            "floor_m2": only(figures, floor),
            "floor_max_m2": only(figures, floor_p.number),
            "missing": missing,
        },
    )


# --------------------------------------------------------------------------- standard land supply


def standard_land(
    frame: pd.DataFrame,
    rule: Rule,
    pack_id: str,
    *,
    supplied_from: dt.date | None = None,
    supplied_until: dt.date | None = None,
) -> pd.DataFrame:
    """``supply.standard_land``: newly supplied industrial land is 标准地.

    Newly supplied = ``supply_date`` within the pack's policy period ``supplied_from`` ..
    ``supplied_until`` (give the pack's ``issued`` and ``valid_until``; None = open), asked
    through :func:`landtool.rules.common.governed` — the one date window of the pack, at
    day precision, so that a parcel counts as supplied under the pack here if and only if
    it does for ``supply.industrial_share``. ``value``: the share (by area) of the new
    industrial land with a known flag that is 标准地; a parcel not flagged
    ``standard_land`` fails while that share is below ``standard_land_share_min`` (1.0:
    every one fails). Where the pack exempts the negative list (``negative_list_exempt``),
    the failing sentence says so: the list is not in the data.
    """
    dates = pd.to_datetime(frame["supply_date"])
    within = governed(dates, supplied_from, supplied_until)
    industrial = frame["is_industrial"].to_numpy(bool)
    is_standard, flag_known = flag(frame["standard_land"])
    new = industrial & within
    area = frame["area_m2"].to_numpy(float)
    share = float(ratio(area[new & flag_known & is_standard].sum(), area[new & flag_known].sum()))
    p = rule["standard_land_share_min"]
    share_met = bool(compare(share, p.op or ">=", p.number, decimals=RATIO_DECIMALS))
    negative = bool(rule.value("negative_list_exempt", False))
    conditions = [~industrial, dates.isna().to_numpy(bool), ~within, ~flag_known, is_standard, np.full(len(frame), share_met)]
    reason = np.select(
        conditions,
        ["not_industrial", "not_supplied", "outside_period", "no_standard_flag", "standard", "share_met"],
        "not_standard_negative_list" if negative else "not_standard",
    )
    status = np.select(
        [np.isin(reason, ["not_industrial", "not_supplied", "outside_period"]), reason == "no_standard_flag", np.isin(reason, ["standard", "share_met"])],
        ["not_applicable", "insufficient_data", "pass"],
        "fail",
    )
    dated = ~np.isin(reason, ["not_industrial", "not_supplied"])
    outside = reason == "outside_period"
    return parcel_verdicts(
        frame,
        rule,
        pack_id,
        status=status,
        reason=reason,
        value=np.where(new, round(share, RATIO_DECIMALS) if not np.isnan(share) else np.nan, np.nan),
        limit=p.number,
        unit="ratio",
        args={
            "land_use": only(reason == "not_industrial", frame["land_use"]),
            "supply_date": only(dated, dates.dt.strftime("%Y-%m-%d").to_numpy(object)),
            "period_from": only(outside, supplied_from.isoformat()) if supplied_from else None,
            "period_until": only(outside, supplied_until.isoformat()) if supplied_until else None,
            "missing": only(reason == "no_standard_flag", ["standard_land"]),
        },
    )


RULES = {
    "landuse.retain_industrial": retain_industrial,
    "landuse.control_line": control_line,
    "renovation.admission": renovation_admission,
    "transfer.pre_registration": pre_registration,
    "renovation.permit_exempt": permit_exempt,
    "supply.standard_land": standard_land,
}
