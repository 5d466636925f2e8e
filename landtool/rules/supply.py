"""Yearly industrial share of land supply (POLICY.md §10; taizhou 二（十三）, tiantai 四（十四）,
shengzhou 四（二））.

Of the land supplied in a year, industrial land must be at least ``industrial_share_min``
(30 %, "不低于30%" / "30%以上", inclusive) by area. The subjects are the calendar years of
``supply_date`` over all parcels that have one (subject ``supply_year``).

**One date window per pack** (POLICY.md conventions): a supply counts only when it is
governed by the pack, i.e. its ``supply_date`` lies in the pack's period
(:func:`landtool.rules.common.governed`, day precision, the same question
``supply.standard_land`` asks). A year with no governed supply is ``not_applicable``; a
year the period covers only in part (taizhou 2021: from 2021-12-26) is decided on the
supplies of the governed part alone, and its verdict names that part
(``period_from`` .. ``period_until``).

A supplied parcel with a blank land use is of unknown use here: the year is decided
only when the share meets the minimum counting every such parcel as non-industrial,
or misses it counting them all as industrial; otherwise it is ``insufficient_data``.
Sentences: ``landtool/messages/<lang>/supply.yaml``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from landtool.errors import InputError
from landtool.policy import Rule, compare
from landtool.prepare import blank_land_use, is_industrial
from landtool.rules.common import governed
from landtool.units import AREA_DECIMALS, RATIO_DECIMALS, ratio
from landtool.verdicts import declare, only, verdict_frame

__all__ = ["industrial_share"]

declare("supply.industrial_share", ("no_supply_dates", "outside_period", "share_met", "share_below", "land_use_unknown"))


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def industrial_share(
    frame: pd.DataFrame,
    rule: Rule,
    pack_id: str,
    *,
    supplied_from: dt.date | None = None,
    supplied_until: dt.date | None = None,
) -> pd.DataFrame:
    """``supply.industrial_share``: per supply year, governed industrial area / governed supplied area.

    One verdict per calendar year of ``supply_date`` (``subject`` ``supply_year``,
    ``subject_id`` the year as text, ``parcel_id`` None); ``value`` is the share (ratio)
    of the measured areas (``area_m2``, m²) of the supplies governed by the pack, i.e.
    supplied within ``supplied_from`` .. ``supplied_until`` (the pack's issue date and
    validity end, inclusive; None = open).
    """
    period = rule.value("period", "year")
    if period != "year":
        raise InputError("supply_period", rule=rule.id, period=str(period), supported=["year"])
    p = rule["industrial_share_min"]
    op = p.op or ">="
    dates = pd.to_datetime(frame["supply_date"]).reset_index(drop=True)
    supplied = dates.notna().to_numpy(bool)
    if not supplied.any():
        return verdict_frame(
            rule, pack_id, subject="supply_year", subject_id=[None], parcel_id=[None], status="not_applicable",
            reason="no_supply_dates", limit=p.number, unit="ratio",
        )
    inside = governed(dates, supplied_from, supplied_until)
    blank = blank_land_use(frame["land_use"])
    industrial = is_industrial(frame["land_use"]).to_numpy(bool) & ~blank
    area = np.where(inside, frame["area_m2"].to_numpy(float), 0.0)
    table = (
        pd.DataFrame(
            {
                "year": dates.dt.year.to_numpy()[supplied].astype(int),
                "governed": inside[supplied],
                "total": area[supplied],
                "industrial": np.where(industrial, area, 0.0)[supplied],
                "unknown": np.where(blank, area, 0.0)[supplied],
            }
        )
        .groupby("year")
        .sum()
    )
    total = np.round(table["total"].to_numpy(float), AREA_DECIMALS)
    industrial_m2 = np.round(table["industrial"].to_numpy(float), AREA_DECIMALS)
    unknown_m2 = np.round(table["unknown"].to_numpy(float), AREA_DECIMALS)
    share = ratio(industrial_m2, total)
    share_high = ratio(industrial_m2 + unknown_m2, total)
    low_ok = compare(share, op, p.number, decimals=RATIO_DECIMALS)
    high_ok = compare(share_high, op, p.number, decimals=RATIO_DECIMALS)
    counted = table["governed"].to_numpy(int) > 0  # the year holds a governed supply

    reason = np.select([~counted, low_ok, ~high_ok], ["outside_period", "share_met", "share_below"], "land_use_unknown")
    status = np.select(
        [reason == "outside_period", reason == "land_use_unknown", reason == "share_met"],
        ["not_applicable", "insufficient_data", "pass"],
        "fail",
    )
    year = table.index.to_numpy(int)
    # the part of each year the pack governs
    first = pd.to_datetime([f"{y}-01-01" for y in year])
    last = pd.to_datetime([f"{y}-12-31" for y in year])
    if supplied_from is not None:
        first = first.where(first >= pd.Timestamp(supplied_from), pd.Timestamp(supplied_from))
    if supplied_until is not None:
        last = last.where(last <= pd.Timestamp(supplied_until), pd.Timestamp(supplied_until))
    years = year.astype(str).astype(object)
    return verdict_frame(
        rule,
        pack_id,
        subject="supply_year",
        subject_id=years,
        parcel_id=np.full(len(years), None, dtype=object),
        status=status,
        reason=reason,
        value=np.where(counted, np.round(share, RATIO_DECIMALS), np.nan),
        limit=p.number,
        unit="ratio",
        args={
            "period_from": only(counted, first.strftime("%Y-%m-%d").to_numpy(dtype=object)),
            "period_until": only(counted, last.strftime("%Y-%m-%d").to_numpy(dtype=object)),
            "policy_from": only(~counted, _day(supplied_from)),
            "policy_until": only(~counted, _day(supplied_until)),
            "total_m2": only(counted, total),
            "industrial_m2": only(counted, industrial_m2),
            "unknown_m2": only(reason == "land_use_unknown", unknown_m2),
            "missing": only(reason == "land_use_unknown", ["land_use"]),
        },
    )


RULES = {"supply.industrial_share": industrial_share}
