"""Helpers shared by the rule families: flags, the pack's date window.

Kept in one place so that two families never read the same input two ways.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from landtool.io import parse_bool

__all__ = ["any_flag", "flag", "governed"]


def flag(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(true, known) masks of a flag column: nullable booleans, or text such as 是/否.

    >>> flag(pd.Series([True, False, None], dtype="boolean"))
    (array([ True, False, False]), array([ True,  True, False]))
    """
    if values.dtype == bool:
        arr = values.to_numpy(bool)
        return arr, np.ones(len(arr), bool)
    if str(values.dtype) == "boolean":
        return values.fillna(False).to_numpy(bool), values.notna().to_numpy(bool)
    parsed = pd.Series([None if v is None or v is pd.NA else parse_bool(v) for v in values.to_numpy(dtype=object)], dtype="boolean")
    return parsed.fillna(False).to_numpy(bool), parsed.notna().to_numpy(bool)


def any_flag(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per row: (any of ``columns`` true, all of them known); an absent column is unknown."""
    n = len(frame)
    any_true = np.zeros(n, bool)
    all_known = np.ones(n, bool)
    for column in columns:
        true, known = flag(frame[column]) if column in frame else (np.zeros(n, bool), np.zeros(n, bool))
        any_true |= true
        all_known &= known
    return any_true, all_known


def governed(dates: pd.Series, start: dt.date | None, end: dt.date | None) -> np.ndarray:
    """True where a date lies in the pack's policy period ``start`` .. ``end`` (inclusive; None = open).

    POLICY.md "One date window per pack": every date-dependent rule asks this one
    question, at day precision, so a parcel is governed for one rule if and only if it
    is for the others. A missing date is not governed.

    >>> days = pd.Series(pd.to_datetime(["2021-06-01", "2021-12-26", "2023-12-31", None]))
    >>> governed(days, dt.date(2021, 12, 26), dt.date(2023, 12, 31))
    array([False,  True,  True, False])
    """
    stamps = pd.Series(pd.to_datetime(dates)).dt.normalize()  # calendar days: 2023-12-31 15:00 is 2023-12-31
    within = stamps.notna().to_numpy().copy()
    if start is not None:
        within &= (stamps >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        within &= (stamps <= pd.Timestamp(end)).to_numpy()
    return within
