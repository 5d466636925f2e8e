"""The ``dask`` engine: the parcels measured in spatial partitions on a dask.distributed
cluster, with the same answers as the in-memory engine.

Measuring — cleaning the geometry, finding overlaps and gaps, assigning buildings and
measuring them, raster heights, zones, facility land, extra height limits — is what costs
on a large cadastre, and it is local: a parcel needs only itself, its neighbours and the
buildings and facility land that touch it. So the parcels are cut into spatial
partitions along a Hilbert curve (dask-geopandas), and each partition is measured by
:func:`landtool.prepare.prepare` on a worker, together with a *halo*:

- every parcel that a routed building or facility polygon touches, or that a routed
  building names (so a building straddling two partitions is assigned as it would be
  with every parcel at hand), and every parcel within twice the gap width of the
  partition (so an overlap or a gap on the edge is found);
- the buildings and facility land that touch the partition's own parcels, or name them.

Each partition keeps what belongs to its own parcels: their rows, the buildings assigned
to them, the issues of their features (an overlap or a gap is the partition's whose
parcel comes first in the input). What touches no parcel is reported on the client, as
the in-memory engine reports it. Per-enterprise sums are made over the whole layer once
the partitions are back. Everything after measuring — the rules, the proposals, the
output — runs as in the in-memory engine, so the verdicts are the same table.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landtool.check import Measured, add_height_limits
from landtool.crs import to_crs_checked, working_crs
from landtool.errors import InputError
from landtool.height import coverage_warnings
from landtool.messages import Message
from landtool.prepare import _check_ids, add_owner_sums, prepare, stray_features

__all__ = ["measure_distributed", "spatial_partitions"]

#: Gaps between parcels this wide (m) or narrower are issues (as in :func:`landtool.prepare.prepare`).
GAP_WIDTH_M = 2.0
#: Warnings about the raster's coverage, made again from every partition's footprints.
COVERAGE_CODES = ("raster_covers_part", "raster_covers_none")
#: Partitions per worker by default: enough to balance the load, few enough to keep the
#: halos (measured twice) a small share.
PARTITIONS_PER_WORKER = 2
#: Parcels per partition at most by default, so that a worker's memory does not grow with the
#: whole run (at 10^6 parcels on 2 workers: 20 partitions, not 4).
PARCELS_PER_PARTITION = 50_000


@contextlib.contextmanager
def cluster(workers: int | None, scheduler: str | None) -> Iterator:
    """A dask.distributed client: of the scheduler at ``scheduler``, else of a local
    cluster of ``workers`` single-threaded processes (default: 2)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError("dask_missing", command="pip install 'landtool[dask]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout=30)
        except (OSError, TimeoutError) as exc:
            raise InputError("dask_no_scheduler", scheduler=scheduler, detail=str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        with client:
            yield client
        return
    # silence_logs: the cluster's own log lines (e.g. a heartbeat traceback while it shuts down)
    # are not the user's; a task that fails raises here, through gather, as a landtool error.
    # No dashboard; the scheduler's HTTP routes (health, metrics) still listen, so on a free
    # loopback port: the default 8787 may be taken (another cluster), which is a warning
    with LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                      scheduler_kwargs={"dashboard": False}, silence_logs=logging.CRITICAL) as local, Client(local) as client:
        yield client


def default_partitions(parcels: int, workers: int) -> int:
    """How many partitions by default: :data:`PARTITIONS_PER_WORKER` per worker, more when a
    partition would exceed :data:`PARCELS_PER_PARTITION` parcels."""
    return max(PARTITIONS_PER_WORKER * max(1, workers), -(-parcels // PARCELS_PER_PARTITION))


def spatial_partitions(geometry: gpd.GeoSeries, count: int) -> np.ndarray:
    """Partition number (0 … count − 1) of each geometry: consecutive stretches of the
    Hilbert curve through their extent (dask-geopandas' Hilbert distance), so each
    partition is a compact patch of the map. An empty geometry goes to partition 0."""
    import dask_geopandas

    present = ~(geometry.isna() | geometry.is_empty).to_numpy()
    parts = np.zeros(len(geometry), dtype=np.int64)
    if present.sum() == 0:
        return parts
    import dask

    frame = dask_geopandas.from_geopandas(gpd.GeoDataFrame(geometry=geometry[present].reset_index(drop=True)), npartitions=1)
    with dask.config.set(scheduler="sync"):  # computed here: the geometry is not shipped to the cluster
        distance = frame.hilbert_distance().compute().to_numpy()
    order = np.argsort(distance, kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order))
    parts[present] = ranks * count // len(order)
    return parts


def measure_distributed(
    parcels: gpd.GeoDataFrame,
    *,
    buildings: gpd.GeoDataFrame | None,
    zones: gpd.GeoDataFrame | None,
    facility_land: gpd.GeoDataFrame | None,
    height,
    height_limit_raster: str | None,
    label: str,
    workers: int | None = None,
    scheduler: str | None = None,
    partitions: int | None = None,
) -> Measured:
    """Measure the parcels in spatial partitions on a cluster (see module docstring)."""
    if parcels.empty:
        raise InputError("no_parcels", layer=label)
    crs = working_crs(parcels)
    _check_ids(parcels, "parcel_id", label)
    parcels = to_crs_checked(parcels, crs, label).reset_index(drop=True)
    buildings = _working(buildings, crs, "buildings", "building_id")
    facility_land = _working(facility_land, crs, "facility_land", None)
    zones = _working(zones, crs, "zones", None)
    started = time.perf_counter()
    with cluster(workers, scheduler) as client:
        count = partitions or default_partitions(len(parcels), len(client.scheduler_info().get("workers", {})) or (workers or 2))
        plans = _plans(parcels, buildings, facility_land, count)
        zones_future = client.scatter(zones, broadcast=True) if zones is not None else None

        def scattered(frame):
            """The partition's data sent to a worker ahead of its task (not inside the task graph)."""
            return None if frame is None else client.scatter(frame, hash=False)

        futures = [
            client.submit(
                _measure_part,
                scattered(parcels.iloc[plan["frame"]]),
                plan["core"],
                scattered(buildings.iloc[plan["buildings"]] if buildings is not None else None),
                zones_future,
                scattered(facility_land.iloc[plan["facility"]] if facility_land is not None else None),
                plan["facility_home"],
                height,
                height_limit_raster,
                label,
                crs,
                k == 0,
                pure=False,
            )
            for k, plan in enumerate(plans)
            if len(plan["core"])
        ]
        parts = client.gather(futures)
        workers_seen = len(client.scheduler_info().get("workers", {}))
    measured = _combine(parts, parcels, buildings, facility_land, crs, plans, height)
    measured.timings = {"measure_s": round(time.perf_counter() - started, 3), "workers": workers_seen,
                        "partitions": [{"parcels": p["count"], "seconds": p["seconds"]} for p in parts]}
    return measured


def _working(layer: gpd.GeoDataFrame | None, crs, name: str, ids: str | None) -> gpd.GeoDataFrame | None:
    if layer is None:
        return None
    if ids is not None:
        _check_ids(layer, ids, name)
    return to_crs_checked(layer, crs, name).reset_index(drop=True)


def _plans(parcels: gpd.GeoDataFrame, buildings, facility_land, count: int) -> list[dict]:
    """Per partition: the positions of its parcels (``core``), of the parcels it is measured
    with (``frame``: core and halo, in input order), of its buildings and facility land."""
    geoms = parcels.geometry.to_numpy()
    part = spatial_partitions(parcels.geometry, count)
    tree = shapely.STRtree(geoms)
    by_id = pd.Series(np.arange(len(parcels)), index=parcels["parcel_id"].to_numpy())
    near_left, near_right = tree.query(geoms, predicate="dwithin", distance=2 * GAP_WIDTH_M)

    def touching(layer):
        """(feature, parcel) position pairs of a layer's features and the parcels they touch."""
        if layer is None or len(layer) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return tree.query(layer.geometry.to_numpy(), predicate="intersects")

    b_item, b_parcel = touching(buildings)
    f_item, f_parcel = touching(facility_land)
    b_named = _named(buildings, by_id)
    f_named = _named(facility_land, by_id)
    # a facility polygon belongs to the partition of the first parcel it touches, else of
    # the parcel it names
    facility_home = np.where(f_named >= 0, part[np.maximum(f_named, 0)], -1) if len(f_named) else np.zeros(0, dtype=np.int64)
    if len(f_item):
        first = pd.Series(f_parcel).groupby(f_item).min()
        facility_home[first.index.to_numpy()] = part[first.to_numpy()]
    plans = []
    for k in range(count):
        core = np.flatnonzero(part == k)
        in_core = np.zeros(len(parcels), bool)
        in_core[core] = True
        routed_b = np.union1d(b_item[in_core[b_parcel]], np.flatnonzero(in_core[np.maximum(b_named, 0)] & (b_named >= 0)))
        routed_f = np.union1d(f_item[in_core[f_parcel]], np.flatnonzero(in_core[np.maximum(f_named, 0)] & (f_named >= 0)))
        halo = np.concatenate([
            near_right[in_core[near_left]],
            b_parcel[np.isin(b_item, routed_b)],
            f_parcel[np.isin(f_item, routed_f)],
            b_named[routed_b][b_named[routed_b] >= 0],
            f_named[routed_f][f_named[routed_f] >= 0],
        ])
        frame = np.union1d(core, halo)  # sorted: the input order, as the in-memory engine sees it
        plans.append({"core": np.searchsorted(frame, core), "frame": frame, "buildings": routed_b, "facility": routed_f,
                      "facility_home": facility_home[routed_f] == k})
    return plans


def _named(layer, by_id: pd.Series) -> np.ndarray:
    """Per feature, the position of the parcel its ``parcel_id`` names (-1: none or unknown)."""
    if layer is None or "parcel_id" not in layer:
        return np.full(0 if layer is None else len(layer), -1)
    return layer["parcel_id"].map(by_id).fillna(-1).astype(np.int64).to_numpy()


def _measure_part(frame, core, buildings, zones, facility_land, facility_home, height, height_limit_raster, label, crs, first: bool):
    """Measure one partition with its halo; keep what belongs to its own parcels."""
    started = time.perf_counter()
    prep = prepare(frame, buildings=buildings, zones=zones, facility_land=facility_land, height=height, label=label, crs=crs)
    parcels = prep.parcels
    own_ids = set(frame["parcel_id"].to_numpy()[core])
    own = parcels["parcel_id"].isin(own_ids).to_numpy()
    layers = dict(prep.layers)
    b = layers.get("buildings")
    own_buildings = set()
    if b is not None:
        b = b[b["parcel_id"].isin(own_ids)]
        own_buildings = set(b["source_fid"])
        layers["buildings"] = b
    if not first:
        layers.pop("zones", None)
    own_facility = set(facility_land["source_fid"].to_numpy()[facility_home]) if facility_land is not None else set()
    f = layers.get("facility_land")
    if f is not None:
        layers["facility_land"] = f[f["source_fid"].isin(own_facility)]
    issues = prep.issues_layer()
    keep = _own_issues(issues, own_ids, own_buildings, own_facility, frame, first)
    parcels = parcels[own]
    limit_issues, limit_warnings = add_height_limits(parcels, layers.get("buildings"), height_limit_raster)
    return {"parcels": parcels, "layers": layers, "issues": [issues[keep], *limit_issues], "warnings": prep.warnings + limit_warnings,
            "count": len(parcels), "seconds": round(time.perf_counter() - started, 3)}


def _own_issues(issues, own_ids: set, own_buildings: set, own_facility: set, frame, first: bool) -> np.ndarray:
    """The issues a partition reports: of its own parcels, buildings and facility land (by
    source feature number), the overlaps and gaps whose first parcel (in input order) is
    its own, and the zones' once."""
    if len(issues) == 0:
        return np.zeros(0, bool)
    layer = issues["layer"].to_numpy()
    feature = issues["feature_id"].to_numpy(dtype=object)
    fid = pd.Series(issues["source_fid"].to_numpy(dtype=object))
    problem = issues["problem"].to_numpy(dtype=object)
    order = pd.Series(np.arange(len(frame)), index=frame["parcel_id"].to_numpy())
    keep = np.zeros(len(issues), bool)
    parcel_rows = layer == "parcels"
    gaps = parcel_rows & (problem == "gap")
    keep[parcel_rows & ~gaps] = pd.Series(feature[parcel_rows & ~gaps]).isin(own_ids).to_numpy()
    for i in np.flatnonzero(gaps):
        ids = [p.strip() for p in str(feature[i]).split(",")]
        keep[i] = min(ids, key=lambda p: order.get(p, len(order))) in own_ids
    keep[layer == "buildings"] = fid[layer == "buildings"].isin(own_buildings).to_numpy()
    keep[layer == "facility_land"] = fid[layer == "facility_land"].isin(own_facility).to_numpy()
    keep[layer == "zones"] = first
    return keep


def _combine(parts: list[dict], parcels, buildings, facility_land, crs, plans, height) -> Measured:
    """The partitions back into one prepared table, in input order, as one measuring gives it."""
    frame = pd.concat([p["parcels"] for p in parts])
    position = pd.Series(np.arange(len(parcels)), index=parcels["parcel_id"].to_numpy())
    frame = frame.iloc[np.argsort(position.reindex(frame["parcel_id"]).to_numpy(), kind="stable")].reset_index(drop=True)
    add_owner_sums(frame)  # per-enterprise sums over every partition
    layers: dict = {}
    for name in sorted({n for p in parts for n in p["layers"]}):
        pieces = [p["layers"][name] for p in parts if p["layers"].get(name) is not None]
        if pieces:
            joined = pd.concat(pieces, ignore_index=True)
            layers[name] = joined.sort_values("source_fid", kind="stable", ignore_index=True) if "source_fid" in joined else joined
    issues = [i for p in parts for i in p["issues"]]
    routed_b = np.unique(np.concatenate([p["buildings"] for p in plans])) if plans else np.zeros(0, int)
    routed_f = np.unique(np.concatenate([p["facility"] for p in plans])) if plans else np.zeros(0, int)
    if buildings is not None:
        stray = np.setdiff1d(np.arange(len(buildings)), routed_b)
        if len(stray):  # outside every parcel: in the issues, not in the layer
            issues.append(stray_features(crs, buildings.iloc[stray], "buildings")[1])
    if facility_land is not None:
        stray = np.setdiff1d(np.arange(len(facility_land)), routed_f)
        if len(stray):  # outside every parcel: in the issues, and in the layer as read
            kept, found = stray_features(crs, facility_land.iloc[stray], "facility_land")
            issues.append(found)
            used = pd.concat([layers["facility_land"], kept], ignore_index=True) if "facility_land" in layers else kept
            layers["facility_land"] = used.sort_values("source_fid", kind="stable", ignore_index=True)
    warnings = merge_warnings([w for p in parts for w in p["warnings"]])
    if height is not None and height.given:  # the raster's coverage of every footprint, not of one partition's
        b = layers.get("buildings")
        if b is not None:
            problems = b.loc[b["height_source"] != "buildings", "height_problem"].to_numpy(dtype=object)
        else:
            problems = frame["raster_problem"].to_numpy(dtype=object) if "raster_problem" in frame else np.zeros(0, dtype=object)
        warnings = [w for w in warnings if w.code not in COVERAGE_CODES] + coverage_warnings(height, problems)
    return Measured(gpd.GeoDataFrame(frame, geometry="geometry", crs=crs), crs, layers, issues, warnings)


def merge_warnings(warnings: list[Message]) -> list[Message]:
    """One warning per code from the partitions' warnings: counts added up, lists united,
    shares the largest."""
    merged: dict = {}
    for w in warnings:
        key = (w.code, w.group)
        if key not in merged:
            merged[key] = dict(w.args)
            continue
        args = merged[key]
        for name, value in w.args.items():
            old = args.get(name)
            if isinstance(value, bool) or old is None:
                args[name] = value if old is None else old
            elif isinstance(value, int):
                args[name] = old + value
            elif isinstance(value, float):
                args[name] = max(old, value)
            elif isinstance(value, list):
                args[name] = sorted(set(old) | set(value), key=str)
    return [Message(code, args, group) for (code, group), args in merged.items()]
