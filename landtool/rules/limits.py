"""Extra height limits (POLICY.md §4): ``height_limit`` zones and a height-limit raster.

Taizhou 二（四）: "建筑高度在符合详细规划要求的同时应满足机场净空保护、历史文化风貌…等相关要求".
Such limits come from outside the pack — an airport-clearance surface, a heritage
zone — so they are never "原则上": :mod:`landtool.rules.indicators` receives them with
their source (``extra_limit_source``: ``zone`` or ``raster``) and marks no breach of
them discretionary.

What an official expects of a height-limit raster, and what this module does:

- A building wholly **outside the raster's extent** is not governed by it: it has no
  raster limit. One warning (``height_limit_outside_raster``) says how many such
  buildings there are, so that a raster in the wrong place or CRS does not pass unnoticed.
- A building wholly on **valid cells** is limited by the lowest allowed top among the
  cells it stands on: every cell of which more than :data:`MIN_CELL_SHARE` lies under
  its footprint (the limit holds wherever the building stands — not the majority rule
  used for measured building heights).
- A building **partly outside** the raster (or more than 5 % of it on nodata cells), on
  **nodata** cells only, or on **implausible** values gets no pass from the raster: its
  raster limit is unconfirmed (``extra_limit_problem``: the problem code of
  :func:`landtool.height.raster_heights` — ``partly_outside_raster``,
  ``no_valid_cells``, ``implausible``), recorded as one ``height_limit_<problem>`` issue
  per building, parallel to the ``raster_<problem>`` issues of the height raster, and
  counted in one warning (``height_limit_unconfirmed``). Where what is known already
  puts the building over — a zone limit, or the lowest covered cell of a building partly
  outside (the true limit is at most that) — it is an exceedance all the same.

The same holds for a parcel without buildings, whose own geometry and ``height_m`` are
compared instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from landtool.height import HeightRaster, _check, _open, raster_heights
from landtool.issues import empty_issues, issue_frame
from landtool.messages import Message
from landtool.policy import compare
from landtool.units import AREA_DECIMALS

__all__ = ["HEIGHT_ONLY_WARNINGS", "MIN_CELL_SHARE", "HeightLimits", "extra_height_limits", "height_limit_layers", "height_limit_source"]

#: A cell of the height-limit raster binds a building when more than this share of the
#: cell lies under its footprint (a positive overlap; the margin ignores the slivers
#: that coordinate noise leaves along a footprint edge lying on a cell edge).
MIN_CELL_SHARE = 1e-4


@dataclass
class HeightLimits:
    """The extra height limits of a check.

    Attributes
    ----------
    table
        One row per parcel, indexed like the parcel frame: ``parcel_id``,
        ``zone_limit_m`` (lowest ``height_limit`` zone holding the parcel, m),
        ``raster_limit_m`` (lowest raster limit over its buildings, or over the parcel
        without buildings, m; for a footprint partly outside the raster, the lowest of
        its covered cells, which the true limit is at most), ``extra_limit_m`` and
        ``extra_height_m`` (the binding
        comparison: the limit and height, m, of the building with the least headroom —
        without buildings, the parcel's own), ``extra_limit_source`` (``zone``,
        ``raster`` or None; missing values are NA in the table), ``extra_limit_problem``
        (NA, or the raster problem of a building whose limit is unconfirmed — one not
        already known to be over), ``buildings_over`` and
        ``buildings_unconfirmed`` (building ids), ``exceeds`` (bool: some building, or
        the bare parcel, is above its limit at 0.01 m).
    buildings
        One row per building given, indexed like it: ``building_id``, ``parcel_id``,
        ``zone_limit_m``, ``raster_limit_m``, ``extra_limit_m``, ``extra_limit_source``,
        ``extra_limit_problem``, ``extra_headroom_m`` and ``over_extra_limit``.
    issues
        Rows of the ``issues`` layer: ``height_limit_<problem>`` per building (or bare
        parcel) whose raster limit is unconfirmed.
    warnings
        :class:`landtool.messages.Message` s: buildings outside the raster, buildings
        whose raster limit is unconfirmed, and the raster reader's own warnings about
        its cells (nodata sentinels); not its warnings about measured heights
        (:data:`HEIGHT_ONLY_WARNINGS`).
    """

    table: pd.DataFrame
    buildings: pd.DataFrame
    issues: gpd.GeoDataFrame
    warnings: list = field(default_factory=list)


def _stricter(zone: np.ndarray, raster: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the stricter limit, its source ``zone``/``raster``/None); a tie is the zone's."""
    limit = np.fmin(zone, raster)
    source = np.where(np.isnan(limit), None, np.where(limit == zone, "zone", "raster")).astype(object)
    return limit, source


def _over(height: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Above the limit at 0.01 m (NaN on either side: not over)."""
    return ~np.isnan(height) & ~np.isnan(limit) & ~compare(height, "<=", limit, decimals=AREA_DECIMALS)


#: Warnings of :func:`landtool.height.raster_heights` that concern measured heights, not a
#: limit surface: a clearance surface has no ground, and coverage is reported here in the
#: limit's own terms (``height_limit_outside_raster``, ``height_limit_unconfirmed``).
HEIGHT_ONLY_WARNINGS = ("raster_no_ground", "dsm_dem_no_ground", "raster_covers_none", "raster_covers_part")


def height_limit_source(path: str | None, min_cell_share: float = MIN_CELL_SHARE) -> HeightRaster | None:
    """The height-limit raster as a :class:`~landtool.height.HeightRaster` read for limits,
    checked first: it opens, has a CRS, one band and a north-up grid (an
    :class:`~landtool.errors.InputError` names it as the ``height-limit`` raster). A check
    may call this before the slow work, to fail fast on a bad path."""
    if path is None:
        return None
    with _open(path, "height-limit") as ds:
        _check(ds, path, "height-limit")
    return HeightRaster(ndsm=path, statistic=0.0, min_coverage=min_cell_share, role="height-limit")  # percentile 0 = the minimum


def _read_raster(footprints: gpd.GeoSeries, source: HeightRaster | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """(raster limit m, problem, outside mask, warnings) per footprint.

    Outside the raster: no limit and no problem (the raster does not govern it). Partly
    outside: the lowest of the covered cells (``covered_m``) — the true limit is at most
    that, so a building above it is over whatever the uncovered part allows — with the
    problem kept. Any other problem leaves no limit.
    """
    n = len(footprints)
    if source is None or n == 0:
        return np.full(n, np.nan), np.full(n, None, dtype=object), np.zeros(n, bool), []
    found = raster_heights(footprints, source)
    problem = np.asarray(found.problem, dtype=object).copy()
    outside = problem == "outside_raster"
    problem[outside] = None
    limit = np.asarray(found.height_m, dtype=float).copy()
    covered = getattr(found, "covered_m", None)
    partly = problem == "partly_outside_raster"
    limit[partly] = np.asarray(covered, dtype=float)[partly] if covered is not None else np.nan
    limit[outside | (pd.notna(pd.Series(problem, dtype=object)).to_numpy() & ~partly)] = np.nan
    return limit, problem, outside, [w for w in found.warnings if w.code not in HEIGHT_ONLY_WARNINGS]


def extra_height_limits(
    frame: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    *,
    height_limit_raster: str | None = None,
    min_cell_share: float = MIN_CELL_SHARE,
) -> HeightLimits:
    """The extra height limits (m) per building and parcel, and what could not be confirmed.

    Zone limits are the ``height_limit`` zones (``zone_height_max_m`` of the prepared
    table: the lowest limit of the zones holding the parcel's point on surface). The
    height-limit raster holds the highest allowed building top per cell, in the same
    vertical reference as building heights (m above ground); it is read block by block
    (:func:`landtool.height.raster_heights`, the minimum of the cells under each
    footprint — see the module docstring for coverage). A building's limit is the
    stricter of its parcel's zone limit and its raster limit; it is over when its
    ``height_m`` is above that (at 0.01 m). A parcel without buildings is checked with
    the raster over the parcel against the parcel's ``height_m``.
    """
    n = len(frame)
    zone_limit = frame["zone_height_max_m"].to_numpy(float) if "zone_height_max_m" in frame else np.full(n, np.nan)
    source = height_limit_source(height_limit_raster, min_cell_share)

    # The footprints compared: each building on a parcel, then each parcel without buildings.
    if buildings is not None and len(buildings):
        position = pd.Series(np.arange(n), index=frame["parcel_id"].to_numpy()).reindex(buildings["parcel_id"].to_numpy())
        on_parcel = position.notna().to_numpy()
        b = buildings[on_parcel]
        b_pos = position.to_numpy()[on_parcel].astype(int)
    else:
        b = frame.iloc[0:0].assign(building_id=pd.Series(dtype=object))
        b_pos = np.zeros(0, dtype=int)
    nb = len(b)
    bare = np.ones(n, bool)
    bare[b_pos] = False
    bare_pos = np.flatnonzero(bare)
    pos = np.concatenate([b_pos, bare_pos])
    b_ids = b["building_id"].to_numpy(object) if "building_id" in b else np.arange(nb).astype(object)
    ids = np.concatenate([b_ids, frame["parcel_id"].to_numpy(object)[bare_pos]])
    b_height = b["height_m"].to_numpy(float) if "height_m" in b else np.full(nb, np.nan)
    height = np.concatenate([b_height, frame["height_m"].to_numpy(float)[bare_pos]])
    geoms = gpd.GeoSeries(np.concatenate([b.geometry.to_numpy(), frame.geometry.to_numpy()[bare_pos]]), crs=frame.crs)

    raster, problem, outside, warnings = _read_raster(geoms, source)
    limit, limit_source = _stricter(zone_limit[pos], raster)
    over = _over(height, limit)
    headroom = np.round(np.round(limit, AREA_DECIMALS) - np.round(height, AREA_DECIMALS), AREA_DECIMALS)
    per = pd.DataFrame(
        {"pos": pos, "id": ids, "limit": limit, "height": height, "headroom": headroom, "source": limit_source, "raster": raster, "problem": problem, "over": over}
    )
    raster_limit = per.groupby("pos")["raster"].min().reindex(range(n)).to_numpy(float)
    # The binding comparison per parcel: least headroom first, then the lowest limit.
    binding = per.dropna(subset=["limit"]).sort_values(["headroom", "limit"], na_position="last").drop_duplicates("pos")
    extra_limit = np.full(n, np.nan)
    extra_height = np.full(n, np.nan)
    extra_source = np.full(n, None, dtype=object)
    extra_limit[binding["pos"].to_numpy()] = binding["limit"].to_numpy(float)
    extra_height[binding["pos"].to_numpy()] = binding["height"].to_numpy(float)
    extra_source[binding["pos"].to_numpy()] = binding["source"].to_numpy(object)
    # Unconfirmed: a raster problem, and not already over a limit that is known.
    unconfirmed = per[per["problem"].notna() & ~per["over"]]
    parcel_problem = np.full(n, None, dtype=object)
    first = unconfirmed.drop_duplicates("pos")
    parcel_problem[first["pos"].to_numpy()] = first["problem"].to_numpy(object)
    over_lists = _id_lists(n, per[per["over"] & (per.index < nb)])
    unconfirmed_lists = _id_lists(n, unconfirmed[unconfirmed.index < nb])

    issues = _issues(frame.crs, "buildings", b, b_ids, problem[:nb], height_limit_raster)
    issues += _issues(frame.crs, "parcels", frame.iloc[bare_pos], ids[nb:], problem[nb:], height_limit_raster)
    if source is not None and outside.any():
        counts = {"raster": height_limit_raster, "count": int(outside.sum()), "total": len(per)}
        warnings.append(Message("height_limit_outside_raster", counts))
    if len(unconfirmed):
        counts = {"raster": height_limit_raster, "count": len(unconfirmed), "total": len(per)}
        warnings.append(Message("height_limit_unconfirmed", counts))

    table = pd.DataFrame(
        {
            "parcel_id": frame["parcel_id"].to_numpy(object),
            "zone_limit_m": zone_limit,
            "raster_limit_m": np.round(raster_limit, AREA_DECIMALS),
            "extra_limit_m": np.round(extra_limit, AREA_DECIMALS),
            "extra_height_m": extra_height,
            "extra_limit_source": extra_source,
            "extra_limit_problem": parcel_problem,
            "buildings_over": over_lists,
            "buildings_unconfirmed": unconfirmed_lists,
            "exceeds": np.isin(np.arange(n), per.loc[per["over"], "pos"].to_numpy()),
        },
        index=frame.index,
    )
    per_building = pd.DataFrame(
        {
            "building_id": b_ids,
            "parcel_id": frame["parcel_id"].to_numpy(object)[b_pos],
            "zone_limit_m": zone_limit[b_pos],
            "raster_limit_m": np.round(raster[:nb], AREA_DECIMALS),
            "extra_limit_m": np.round(limit[:nb], AREA_DECIMALS),
            "extra_limit_source": limit_source[:nb],
            "extra_limit_problem": problem[:nb],
            "extra_headroom_m": headroom[:nb],
            "over_extra_limit": over[:nb],
        },
        index=b.index,
    )
    if buildings is not None:
        per_building = per_building.reindex(buildings.index)
    found = pd.concat(issues, ignore_index=True) if issues else empty_issues(frame.crs)
    return HeightLimits(table=table, buildings=per_building, issues=found, warnings=warnings)


def _id_lists(n: int, rows: pd.DataFrame) -> np.ndarray:
    """Per parcel, the ids of ``rows`` (by their ``pos``), an empty list where none."""
    out = np.empty(n, dtype=object)
    out[:] = [[] for _ in range(n)]
    if len(rows):
        lists = rows.groupby("pos")["id"].agg(list)
        out[lists.index.to_numpy()] = lists.to_numpy(dtype=object)
    return out


def _issues(crs, layer: str, features: gpd.GeoDataFrame, ids: np.ndarray, problems: np.ndarray, raster: str | None) -> list[gpd.GeoDataFrame]:
    """One ``height_limit_<problem>`` issue per feature whose raster limit is unconfirmed."""
    out = []
    problems = np.asarray(problems, dtype=object)
    for problem in pd.unique(problems[pd.notna(pd.Series(problems, dtype=object)).to_numpy()]):
        rows = problems == problem
        out.append(
            issue_frame(
                crs,
                layer,
                f"height_limit_{problem}",
                feature_id=ids[rows],
                source_fid=features["source_fid"].to_numpy(object)[rows] if "source_fid" in features else None,
                args={"raster": raster},
                geometry=features.geometry.to_numpy()[rows],
                n=int(rows.sum()),
            )
        )
    return out


def height_limit_layers(
    frame: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    *,
    height_limit_raster: str | None = None,
    min_cell_share: float = MIN_CELL_SHARE,
) -> pd.DataFrame:
    """The per-parcel table of :func:`extra_height_limits` (``HeightLimits.table``).

    Kept for callers that only need the limits; a check must also keep the issues and
    warnings of :func:`extra_height_limits`, or unconfirmed raster limits go unreported.
    """
    return extra_height_limits(frame, buildings, height_limit_raster=height_limit_raster, min_cell_share=min_cell_share).table
