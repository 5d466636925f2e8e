"""Yearly industrial share of land supply (POLICY.md §10; taizhou 二（十三）, tiantai 四（十四）,
shengzhou 四（二））.

Of the land supplied in a year, industrial land must be at least ``industrial_share_min``
(30 %, "不低于30%" / "30%以上", inclusive) by area. The subjects are the calendar years of
``supply_date`` over all parcels that have one (subject ``supply_year``); parcels without
a ``supply_date`` are not counted. A supplied parcel with a blank land use is of unknown
use here: the year is decided only when the share meets the minimum counting every such
parcel as non-industrial, or misses it counting them all as industrial; otherwise it is
``insufficient_data``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from landtool.errors import InputError
from landtool.policy import Rule, compare
from landtool.prepare import INDUSTRIAL_PATTERN
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, ratio
from landtool.verdicts import verdict_frame

__all__ = ["industrial_share"]

EXPLAIN = {
    "outside": {
        "zh": "{year} 年不在本政策施行期内（工业用地占比 {value}），不适用",
        "en": "{year} lies outside the policy's period (industrial share {value}): does not apply",
    },
    "none": {
        "zh": "没有带出让日期（supply_date）的宗地，无法按年计算",
        "en": "no parcel has a supply_date: no yearly share to compute",
    },
    "pass": {
        "zh": "{year} 年出让土地 {total_m2} ㎡，其中工业用地 {industrial_m2} ㎡，占比 {value} ≥ {limit}",
        "en": "{year}: {industrial_m2} m² of {total_m2} m² supplied is industrial land, a share of {value} ≥ {limit}",
    },
    "fail": {
        "zh": "{year} 年出让土地 {total_m2} ㎡，其中工业用地 {industrial_m2} ㎡，占比 {value} 低于 {limit}",
        "en": "{year}: {industrial_m2} m² of {total_m2} m² supplied is industrial land, a share of {value} below {limit}",
    },
    "unknown": {
        "zh": "{year} 年出让土地 {total_m2} ㎡，工业用地 {industrial_m2} ㎡（占比 {value}），另有 {unknown_m2} ㎡ 缺少土地用途（land_use），无法判断是否达到 {limit}",
        "en": "{year}: {industrial_m2} m² of {total_m2} m² supplied is industrial (share {value}); {unknown_m2} m² lack a land_use, so whether the share reaches {limit} cannot be told",
    },
}


def industrial_share(
    frame: pd.DataFrame,
    rule: Rule,
    pack_id: str,
    *,
    lang: str,
    supplied_from: dt.date | None = None,
    supplied_until: dt.date | None = None,
) -> pd.DataFrame:
    """``supply.industrial_share``: per supply year, industrial area / all supplied area.

    One verdict per year (``subject`` ``supply_year``, ``subject_id`` the year as text,
    ``parcel_id`` None); ``value`` is the share (ratio), areas are the measured ones.
    Years wholly outside ``supplied_from`` .. ``supplied_until`` (the pack's issue date
    and validity end) are ``not_applicable``: the policy did not govern them.
    """
    period = rule.value("period", "year")
    if period != "year":
        msg = f"supply.industrial_share: period {period!r} is not supported; use year"
        raise InputError(msg)
    dates = pd.to_datetime(frame["supply_date"])
    supplied = dates.notna().to_numpy(bool)
    p = rule["industrial_share_min"]
    if not supplied.any():
        return verdict_frame(
            rule, pack_id, subject="supply_year", subject_id=[None], parcel_id=[None], status=["not_applicable"],
            reason=["none"], explain=EXPLAIN, lang=lang, limit=p.number, unit="ratio",
        )
    land_use = frame["land_use"].fillna("").astype(str).str.strip()
    blank = land_use.eq("").to_numpy(bool)
    industrial = land_use.str.contains(INDUSTRIAL_PATTERN, case=False, regex=True).to_numpy(bool) & ~blank
    area = frame["area_m2"].to_numpy(float)
    table = (
        pd.DataFrame(
            {
                "year": dates.dt.year.to_numpy()[supplied].astype(int),
                "total": area[supplied],
                "industrial": np.where(industrial, area, 0.0)[supplied],
                "unknown": np.where(blank, area, 0.0)[supplied],
            }
        )
        .groupby("year")
        .sum()
        .round(AREA_DECIMALS)
    )
    share = ratio(table["industrial"], table["total"])
    share_high = ratio(table["industrial"] + table["unknown"], table["total"])
    op = p.op or ">="
    low_ok = compare(share, op, p.number, decimals=RATIO_DECIMALS)
    high_ok = compare(share_high, op, p.number, decimals=RATIO_DECIMALS)
    year = table.index.to_numpy(int)
    governed = np.ones(len(year), bool)
    if supplied_from is not None:
        governed &= year >= supplied_from.year
    if supplied_until is not None:
        governed &= year <= supplied_until.year
    reason = np.select([~governed, low_ok, ~high_ok], ["outside", "pass", "fail"], "unknown")
    status = np.select([reason == "outside", reason == "unknown"], ["not_applicable", "insufficient_data"], reason)
    years = table.index.astype(str).to_numpy(object)
    return verdict_frame(
        rule,
        pack_id,
        subject="supply_year",
        subject_id=years,
        parcel_id=np.full(len(years), None, dtype=object),
        status=status,
        reason=reason,
        explain=EXPLAIN,
        lang=lang,
        value=np.round(share, RATIO_DECIMALS),
        limit=p.number,
        unit="ratio",
        extra={
            "year": years,
            "total_m2": table["total"].to_numpy(float),
            "industrial_m2": table["industrial"].to_numpy(float),
            "unknown_m2": table["unknown"].to_numpy(float),
        },
    )


RULES = {"supply.industrial_share": industrial_share}
