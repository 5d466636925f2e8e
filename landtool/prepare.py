"""Preparing the parcel table the rules read: measured areas, floor areas, heights,
zone membership, facility land and per-enterprise sums — all in the working CRS.

Everything that cannot be used as given (empty or invalid geometry, buildings outside
every parcel, overlapping parcels, areas that differ from the registered area) is
recorded in the ``issues`` layer, so that nothing is lost silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from landtool import threads
from landtool.crs import to_crs_checked, working_crs
from landtool.errors import InputError
from landtool.height import HeightRaster, building_heights, raster_heights
from landtool.io import field_specs
from landtool.issues import ISSUE_COLUMNS, empty_issues, issue_frame
from landtool.units import AREA_DECIMALS, M2_PER_MU, ratio
from landtool.values import implausible_values
from landtool.verdicts import per_row

__all__ = ["ISSUE_COLUMNS", "ZONE_TYPES", "Prepared", "add_owner_sums", "blank_land_use", "buildings_off_parcel", "is_industrial", "prepare", "stray_features"]

#: Zone types of SCHEMA.md.
ZONE_TYPES = (
    "development_zone",
    "municipal_industrial_zone",
    "control_line",
    "non_industrial_plan",
    "expropriation_plan",
    "relocation_plan",
    "height_limit",
)
#: Chinese names of the zone types (SCHEMA.md), accepted as zone_type values.
ZONE_ALIASES = {
    "经济开发区": "development_zone",
    "开发区": "development_zone",
    "创业创新园": "development_zone",
    "产业园区": "development_zone",
    "工业园区": "development_zone",
    "市级产业功能区": "municipal_industrial_zone",
    "工业用地控制线": "control_line",
    "控制线": "control_line",
    "规划调整为非工业": "non_industrial_plan",
    "近期征收拆迁计划": "expropriation_plan",
    "近期搬迁改造": "relocation_plan",
    "限高": "height_limit",
    "机场净空": "height_limit",
}
#: Building uses that count as admin-office and living-service floor area.
FACILITY_USES = ("office", "living", "行政办公", "生活服务", "办公", "宿舍", "生活")
#: Land-use values read as industrial land (GB/T 21010 0601, GB 50137 M, text).
INDUSTRIAL_PATTERN = r"工业|^0601|^M\d?$|industr"
#: Land-use values read as vacant or government-held (reserve) land.
VACANT_PATTERN = r"空闲|储备|空地|vacant|reserve"

#: A building is reported as straddling parcels when more than this much of its
#: footprint (m²) lies outside the parcel it is assigned to (digitising noise is less).
STRADDLE_TOLERANCE_M2 = 0.5
#: GEOS validity reasons (``is_valid_reason`` up to the "["), as codes of ``terms.geos``.
GEOS_REASONS = {
    "Self-intersection": "self_intersection",
    "Ring Self-intersection": "ring_self_intersection",
    "Too few points in geometry component": "too_few_points",
    "Hole lies outside shell": "hole_outside_shell",
    "Nested shells": "nested_shells",
    "Nested holes": "nested_holes",
    "Interior is disconnected": "interior_disconnected",
    "Invalid Coordinate": "invalid_coordinate",
    "Ring is not closed": "ring_not_closed",
    "Duplicate Rings": "duplicate_rings",
}


@dataclass
class Prepared:
    """The prepared parcel table, the layers in the working CRS, and the issues found."""

    parcels: gpd.GeoDataFrame
    crs: CRS
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    issues: list[gpd.GeoDataFrame] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_issues(self, layer: str, features: pd.DataFrame, problem: str, *, args=None, value_m2=np.nan, geometry=None) -> None:
        """Record data-quality findings for ``features`` (one row each; see :mod:`landtool.issues`)."""
        if len(features) == 0:
            return
        id_column = {"parcels": "parcel_id", "buildings": "building_id", "facility_land": "facility_id", "zones": "zone_id"}.get(layer)
        geom = geometry if geometry is not None else (features.geometry.to_numpy() if isinstance(features, gpd.GeoDataFrame) else None)
        self.issues.append(
            issue_frame(
                self.crs,
                layer,
                problem,
                feature_id=features[id_column] if id_column in features else None,
                source_fid=features["source_fid"] if "source_fid" in features else None,
                args=args,
                value_m2=value_m2,
                geometry=geom,
                n=len(features),
            )
        )

    def issues_layer(self) -> gpd.GeoDataFrame:
        if not self.issues:
            return empty_issues(self.crs)
        return pd.concat(self.issues, ignore_index=True)


def blank_land_use(land_use: pd.Series) -> np.ndarray:
    """True where a parcel's land use is missing or blank."""
    return land_use.fillna("").astype(str).str.strip().eq("").to_numpy(bool)


def is_industrial(land_use: pd.Series) -> pd.Series:
    """True for industrial land; a blank land use is taken as industrial (the tool's subject;
    the run warns how many, and the supply share counts them as of unknown use)."""
    named = land_use.fillna("").astype(str).str.contains(INDUSTRIAL_PATTERN, case=False, regex=True).to_numpy(bool)
    return pd.Series(blank_land_use(land_use) | named, index=land_use.index)


def buildings_off_parcel(parcels: pd.DataFrame) -> np.ndarray:
    """True for the parcels a building names but does not lie on (``footprint_gap``
    ``building_off_parcel``): their floor area, footprint and height rest on no evidence."""
    if "footprint_gap" not in parcels:
        return np.zeros(len(parcels), bool)
    return parcels["footprint_gap"].to_numpy(dtype=object) == "building_off_parcel"


def _ensure_columns(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Add every canonical field of ``kind`` that the input lacks, as missing values."""
    for name, spec in field_specs()[kind].items():
        if name not in frame:
            frame[name] = pd.Series(pd.NA if spec["type"] == "bool" else (None if spec["type"] == "text" else np.nan), index=frame.index, dtype="boolean" if spec["type"] == "bool" else (object if spec["type"] == "text" else ("datetime64[ns]" if spec["type"] == "date" else float)))
    return frame


def _repeated_vertex_suspects(geoms: np.ndarray) -> np.ndarray:
    """Positions of the geometries with two equal consecutive coordinates: every one with a
    repeated vertex, and the rare one whose ring starts where the ring before it ended.
    Found on the coordinate array, so only these are rebuilt without repeats."""
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    same = (owner[1:] == owner[:-1]) & (coords[1:] == coords[:-1]).all(axis=1)
    return np.unique(owner[1:][same])


def _clean_polygons(prep: Prepared, gdf: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Drop empty / non-polygon features and repair invalid ones, recording each in issues.

    Also recorded, but kept: Z coordinates (ignored), repeated vertices (removed) and
    line or point parts of a collection (dropped). Rows are copied only when some must
    go (a clean layer of millions of buildings is not copied at all).
    """
    geom = gdf.geometry.to_numpy()
    empty = shapely.is_missing(geom) | shapely.is_empty(geom)
    kinds = shapely.get_type_id(geom)
    polygonal = np.isin(kinds, [3, 6, 7]) & ~empty  # Polygon, MultiPolygon, GeometryCollection (repairable)
    if len(gdf) and not polygonal.any() and not empty.all():
        raise InputError("layer_not_polygons", layer=layer, geom_type=sorted({int(k) for k in kinds[~empty]}))
    prep.add_issues(layer, gdf[empty], "empty_geometry")
    prep.add_issues(layer, gdf[~polygonal & ~empty], "not_polygon", args={"geom_type": kinds[~polygonal & ~empty]})
    if not polygonal.all():
        gdf = gdf[polygonal]
        geom = geom[polygonal]
    changed = False
    with_z = shapely.has_z(geom)
    if with_z.any():
        prep.add_issues(layer, gdf[with_z], "has_z")
        geom, changed = shapely.force_2d(geom), True
    suspects = _repeated_vertex_suspects(geom)
    deduplicated = shapely.remove_repeated_points(geom[suspects])
    repeated = np.zeros(len(geom), dtype=np.int64)
    repeated[suspects] = shapely.get_num_coordinates(geom[suspects]) - shapely.get_num_coordinates(deduplicated)
    if (repeated > 0).any():
        prep.add_issues(layer, gdf[repeated > 0], "duplicate_vertices", args={"count": repeated[repeated > 0]})
        geom = geom.copy()
        geom[suspects] = deduplicated
        changed = True
    del deduplicated
    collections = shapely.get_type_id(geom) == 7
    if collections.any():
        parts = np.array([polygonal_part(g) for g in geom[collections]], dtype=object)
        lossy = shapely.get_num_geometries(geom[collections]) != shapely.get_num_geometries(parts)
        prep.add_issues(layer, gdf[collections][lossy], "non_polygon_parts", geometry=geom[collections][lossy])
        geom = geom.copy()
        geom[collections] = parts
        changed = True
    invalid = ~threads.each(shapely.is_valid, geom)
    if invalid.any():
        reasons = [GEOS_REASONS.get(r.split("[")[0].strip(), "other") for r in shapely.is_valid_reason(geom[invalid])]
        repaired = shapely.make_valid(geom[invalid], method="structure", keep_collapsed=False)
        # keep only the polygonal part of the repair
        repaired = np.array([polygonal_part(g) for g in repaired], dtype=object)
        prep.add_issues(layer, gdf[invalid], "repaired_geometry", args={"geos": np.asarray(reasons, dtype=object)}, geometry=geom[invalid])
        geom = geom.copy()
        geom[invalid] = repaired
        changed = True
    if changed:
        gdf = gdf.set_geometry(gpd.GeoSeries(geom, index=gdf.index, crs=gdf.crs))
        still_empty = shapely.is_empty(geom)
        prep.add_issues(layer, gdf[still_empty], "empty_after_repair")
        if still_empty.any():
            gdf = gdf[~still_empty]
    return gdf


def polygonal_part(geom):
    """The polygonal part of a geometry (e.g. after make_valid), or an empty polygon."""
    if geom is None:
        return shapely.Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _named(gdf: pd.DataFrame, label: str) -> str:
    """The file and layer a read layer came from (``read_layer`` notes it), else ``label``."""
    return gdf.attrs.get("source") or label


def _to_crs(gdf: gpd.GeoDataFrame, crs: CRS, label: str) -> gpd.GeoDataFrame:
    return to_crs_checked(gdf, crs, _named(gdf, label))


def _record_implausible(prep: Prepared, frame: pd.DataFrame, layer: str) -> pd.DataFrame:
    """Blank the values outside their field's plausible range, recording each in issues."""
    frame, found = implausible_values(frame, layer)
    if len(found):
        prep.add_issues(layer, frame.iloc[found["row"].to_numpy()], "implausible_value",
                        args={"field": found["field"].to_numpy(), "value": found["value"].to_numpy(), "range": found["range"].to_numpy()})
    return frame


def _check_ids(gdf: pd.DataFrame, column: str, label: str) -> None:
    label = _named(gdf, label)
    ids = gdf[column]
    missing = ids.isna()
    if missing.any():
        raise InputError("ids_missing", layer=label, field=column, count=int(missing.sum()), features=[int(f) for f in gdf.loc[missing, "source_fid"].head(5)])
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        raise InputError("ids_duplicate", layer=label, field=column, count=int(dup.nunique()), ids=sorted(map(str, dup.unique()))[:10])


def _assign(items: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Assign each item to the parcel it overlaps most.

    Returns, per item, the parcel's position (-1 for none), the item's area inside that
    parcel (m²) and the position of the other parcel holding most of the rest (-1 for
    none). Items wholly inside one parcel — nearly all, in a cadastre — are found with
    one prepared ``within`` query and need no intersection.
    """
    n = len(items)
    geoms = items.geometry.to_numpy()
    parcel_geoms = parcels.geometry.to_numpy()
    best = np.full(n, -1)
    inside = shapely.area(geoms)
    second = np.full(n, -1)
    if n == 0:
        return best, inside, second
    # each parcel, prepared once, asked which items it contains (faster than asking
    # each item which parcel it lies within)
    item_idx, parcel_idx = threads.query(shapely.STRtree(geoms), parcel_geoms, predicate="contains")[::-1]
    best[item_idx] = parcel_idx  # parcels overlap rarely; the last one wins, as good as any
    rest = np.flatnonzero(best < 0)
    if len(rest):
        i, p = shapely.STRtree(parcel_geoms).query(geoms[rest], predicate="intersects")
        overlap = shapely.area(shapely.intersection(geoms[rest][i], parcel_geoms[p]))
        pairs = pd.DataFrame({"item": rest[i], "parcel": p, "overlap": overlap})
        pairs = pairs[pairs["overlap"] > 0].sort_values(["item", "overlap"], ascending=[True, False])
        first = pairs.drop_duplicates("item")
        best[first["item"].to_numpy()] = first["parcel"].to_numpy()
        inside[rest] = 0.0
        inside[first["item"].to_numpy()] = first["overlap"].to_numpy()
        runner_up = pairs[pairs.duplicated("item")].drop_duplicates("item")
        second[runner_up["item"].to_numpy()] = runner_up["parcel"].to_numpy()
    return best, inside, second


def prepare(
    parcels: gpd.GeoDataFrame,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    facility_land: gpd.GeoDataFrame | None = None,
    height: HeightRaster | None = None,
    area_tolerance: float = 0.01,
    gap_width: float = 2.0,
    label: str = "parcels",
    crs: CRS | None = None,
) -> Prepared:
    """Prepare the parcel table (see module docstring).

    Parameters
    ----------
    area_tolerance
        Relative difference between measured and registered area above which an
        ``area_mismatch`` issue is recorded (default 1 %).
    gap_width
        Gaps between parcels this wide (m) or narrower are recorded as ``gap`` issues
        (default 2 m: digitising gaps and slivers, not roads).
    crs
        The working CRS (default: chosen from the parcels, :func:`landtool.crs.working_crs`);
        a part of a larger layer is measured in the whole layer's.
    """
    if parcels.empty:
        raise InputError("no_parcels", layer=label)
    crs = crs if crs is not None else working_crs(parcels)
    prep = Prepared(parcels=parcels, crs=crs)
    _check_ids(parcels, "parcel_id", label)
    given = len(parcels)
    parcels = _record_implausible(prep, _ensure_columns(_clean_polygons(prep, _to_crs(parcels, crs, label), "parcels"), "parcels"), "parcels")
    if parcels.empty:  # nothing left to check: an error, not a run that says nothing
        raise InputError("no_usable_parcels", layer=_named(prep.parcels, label), count=given)

    area = shapely.area(parcels.geometry.to_numpy())
    parcels["area_exact_m2"] = area
    parcels["area_m2"] = np.round(area, AREA_DECIMALS)
    parcels["area_mu"] = np.round(area / M2_PER_MU, 4)
    parcels["is_industrial"] = is_industrial(parcels["land_use"]).to_numpy()
    # where zone membership is decided: inside the parcel, also for a concave one
    parcels["surface_point"] = shapely.point_on_surface(parcels.geometry.to_numpy())
    _record_area_mismatch(prep, parcels, area_tolerance)
    _record_coverage(prep, parcels, gap_width)

    _add_buildings(prep, parcels, buildings, height)
    _add_zones(prep, parcels, zones)
    _add_facility_land(prep, parcels, facility_land)
    _add_owner_sums(parcels)
    prep.parcels = parcels
    return prep


def _record_area_mismatch(prep: Prepared, parcels: gpd.GeoDataFrame, tolerance: float) -> None:
    registered = parcels["registered_area_m2"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = parcels["area_m2"].to_numpy() - registered
        off = np.abs(diff) > tolerance * registered
    bad = parcels[off]
    args = {"measured_m2": bad["area_m2"], "registered_m2": bad["registered_area_m2"], "share": np.round(diff[off] / bad["registered_area_m2"].to_numpy(float), 6)}
    prep.add_issues("parcels", bad, "area_mismatch", args=args, value_m2=np.round(diff[off], AREA_DECIMALS))


def _record_coverage(prep: Prepared, parcels: gpd.GeoDataFrame, width: float) -> None:
    """Overlapping parcels, and unparcelled strips at most ``width`` wide between parcels.

    GEOS's coverage validator finds, in one pass over the shared edges, every parcel whose
    edges do not match its neighbours' — which every overlap and every such gap implies —
    so the exact overlaps and gaps are measured only among those parcels and their
    neighbours (in a clean cadastre: none).
    """
    geoms = parcels.geometry.to_numpy()
    flagged = np.flatnonzero(threads.invalid_coverage(geoms, width))
    if len(flagged) == 0:
        return
    tree = shapely.STRtree(geoms)
    near_idx, other = tree.query(geoms[flagged], predicate="intersects")
    left, right = np.minimum(flagged[near_idx], other), np.maximum(flagged[near_idx], other)
    pairs = np.unique(np.stack([left, right], axis=1)[left < right], axis=0)
    if len(pairs):
        left, right = pairs[:, 0], pairs[:, 1]
        interiors_meet = shapely.relate_pattern(geoms[left], geoms[right], "2********")
        left, right = left[interiors_meet], right[interiors_meet]
        overlap = shapely.intersection(geoms[left], geoms[right])
        area = shapely.area(overlap)
        big = area > 0.01
        args = {"other": parcels["parcel_id"].to_numpy()[right[big]]}
        prep.add_issues("parcels", parcels.iloc[left[big]], "overlap", args=args, value_m2=np.round(area[big], AREA_DECIMALS), geometry=overlap[big])
    _record_gaps(prep, parcels, np.union1d(flagged, other), width)


def _record_gaps(prep: Prepared, parcels: gpd.GeoDataFrame, among: np.ndarray, width: float) -> None:
    """Unparcelled strips at most ``width`` wide (m) between two or more of the parcels at
    positions ``among``.

    Closing the union of the parcels (buffer out, then in, by half the width) fills
    exactly such strips; a filled piece that touches at least two parcels is a gap in the
    cadastre (a notch of a single parcel is not).
    """
    geoms = parcels.geometry.to_numpy()[among]
    union = shapely.union_all(geoms)
    half = width / 2
    closed = shapely.buffer(shapely.buffer(union, half, join_style="mitre"), -half, join_style="mitre")
    pieces = shapely.get_parts(shapely.difference(closed, union))
    pieces = pieces[shapely.area(pieces) > 0.01]
    if len(pieces) == 0:
        return
    tree = shapely.STRtree(geoms)
    piece_idx, parcel_idx = tree.query(pieces, predicate="dwithin", distance=1e-6)
    ids = parcels["parcel_id"].to_numpy()[among]
    neighbours = pd.Series(ids[parcel_idx]).groupby(piece_idx).agg(lambda s: sorted(set(s)))
    between = neighbours[neighbours.map(len) >= 2]
    if between.empty:
        return
    found = pieces[between.index.to_numpy()]
    area = shapely.area(found)
    table = pd.DataFrame({"parcel_id": [", ".join(n) for n in between], "source_fid": None})
    prep.add_issues("parcels", table, "gap", args={"parcels": per_row(list(between))}, value_m2=np.round(area, AREA_DECIMALS), geometry=found)


#: Raster height problems (:func:`landtool.height.raster_heights`) → the parcel's height gap.
_RASTER_GAPS = {"implausible": "raster_implausible", "no_building_cells": "raster_no_building"}


def _add_buildings(prep: Prepared, parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None, height: HeightRaster | None) -> None:
    """Floor area, footprint, facility floor area and height per parcel, from its buildings.

    A parcel's measure comes from its buildings only when there is evidence for it:
    with no building on the parcel, or a building without floor area (or height), the
    measure is unknown (NaN) and the ``*_gap`` column says why — never 0.
    """
    n = len(parcels)
    parcels["buildings_count"] = 0
    gfa_from_buildings = np.full(n, np.nan)
    footprint = np.full(n, np.nan)
    facility_gfa = np.full(n, np.nan)
    b_height = np.full(n, np.nan)
    b_source = np.full(n, None, dtype=object)
    floor_gap = np.full(n, "no_buildings_layer", dtype=object)
    footprint_gap = floor_gap.copy()
    height_gap = np.full(n, "no_height_source", dtype=object)
    raster_given = height is not None and height.given
    if buildings is not None:
        b = _building_table(prep, parcels, buildings, height)
        pos = b["parcel_pos"].to_numpy()
        use = b["use"].fillna("").astype(str).str.lower()
        is_facility = use.str.contains("|".join(FACILITY_USES), regex=True).to_numpy()
        gfa = b["gfa_m2"].to_numpy(float)
        heights = b["height_m"].to_numpy(float)
        grouped = pd.DataFrame(
            {
                "pos": pos,
                "gfa": gfa,
                "gfa_unknown": np.isnan(gfa),
                "footprint": b["on_parcel_m2"].to_numpy(float),
                "facility_gfa": np.where(is_facility, gfa, 0.0),
                "height": heights,
                "height_unknown": np.isnan(heights),
                "implausible": (b["height_problem"] == "implausible").to_numpy(),
                "away": b["off_named_parcel"].to_numpy(bool),
            }
        ).groupby("pos")
        sums = grouped.sum()
        idx = sums.index.to_numpy()
        counts = grouped.size()
        floor_gap[:] = "no_building"
        footprint_gap[:] = "no_building"
        height_gap[:] = "no_building"
        away = sums["away"].to_numpy() > 0  # a building named to the parcel lies off it
        floor_gap[idx] = np.where(away, "building_off_parcel", np.where(sums["gfa_unknown"] > 0, "building_floor_area", None))
        footprint_gap[idx] = np.where(away, "building_off_parcel", None)
        # sums to the micrometre: the last bits of a float sum depend on how it was grouped
        sums = sums.round({"footprint": 6, "gfa": 6, "facility_gfa": 6})
        footprint[idx] = np.where(away, np.nan, sums["footprint"].to_numpy())
        gfa_from_buildings[idx] = np.where((sums["gfa_unknown"] > 0) | away, np.nan, sums["gfa"].to_numpy())
        facility_gfa[idx] = np.where((sums["gfa_unknown"] > 0) | away, np.nan, sums["facility_gfa"].to_numpy())
        parcels.iloc[counts.index, parcels.columns.get_loc("buildings_count")] = counts.to_numpy()
        # The parcel's height is its tallest building's, known only when every building's is.
        tallest = grouped["height"].max().to_numpy()
        unknown = (sums["height_unknown"].to_numpy() > 0) | away
        b_height[idx] = np.where(unknown, np.nan, tallest)
        gap_when_unknown = np.where(away, "building_off_parcel",
                                    np.where(sums["implausible"] > 0, "raster_implausible", "raster_no_cells" if raster_given else "building_height"))
        height_gap[idx] = np.where(unknown, gap_when_unknown, None)
        tall = b.dropna(subset=["height_m"]).sort_values("height_m", ascending=False).drop_duplicates("parcel_pos")
        b_source[tall["parcel_pos"].to_numpy()] = tall["height_source"].to_numpy()
        b_source[idx[unknown]] = None
        prep.layers["buildings"] = b.drop(columns=["parcel_pos", "on_parcel_m2", "off_named_parcel"])
    elif raster_given:
        # SCHEMA.md: with no buildings layer, the height comes from the raster cells of
        # the parcel's buildings (cells above the minimum building height).
        found = raster_heights(parcels.geometry, height, min_height_m=height.min_building_height_m)
        parcels["raster_problem"] = found.problem  # what kept a parcel's height unknown
        prep.warnings.extend(found.warnings)
        b_height[:] = np.round(found.height_m, AREA_DECIMALS)
        b_source[:] = np.where(np.isnan(found.height_m), None, "raster")
        height_gap[:] = [None if not np.isnan(h) else _RASTER_GAPS.get(p, "raster_no_cells") for h, p in zip(found.height_m, found.problem, strict=True)]
        _record_raster_problems(prep, "parcels", parcels, found.problem, height)
    parcels["gfa_source"] = np.where(parcels["gfa_m2"].notna(), "attribute", np.where(np.isnan(gfa_from_buildings), None, "buildings"))
    parcels["floor_area_gap"] = np.where(parcels["gfa_m2"].notna(), None, floor_gap)
    parcels["gfa_m2"] = parcels["gfa_m2"].fillna(pd.Series(gfa_from_buildings, index=parcels.index))
    parcels["far"] = ratio(parcels["gfa_m2"], parcels["area_exact_m2"])
    parcels["footprint_m2"] = np.round(footprint, AREA_DECIMALS)
    parcels["footprint_gap"] = footprint_gap
    parcels["density"] = ratio(footprint, parcels["area_exact_m2"])
    parcels["facility_gfa_m2"] = facility_gfa
    attr = parcels["height_m"].notna().to_numpy()
    parcels["height_source"] = np.where(attr, "attribute", b_source)
    parcels["height_gap"] = np.where(attr, None, height_gap)
    parcels["height_m"] = np.where(attr, parcels["height_m"], b_height)


def _building_table(prep: Prepared, parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, height: HeightRaster | None) -> gpd.GeoDataFrame:
    """The buildings in the working CRS, each assigned to a parcel, with floor area and height.

    Records in ``issues``: a ``parcel_id`` naming no parcel (assigned by location
    instead), buildings outside every parcel (not counted), buildings with more than
    :data:`STRADDLE_TOLERANCE_M2` outside their parcel (counted there, with the share
    outside and the parcel holding most of the rest), and raster heights that could not
    be measured.
    """
    n = len(parcels)
    _check_ids(buildings, "building_id", "buildings")
    b = _record_implausible(prep, _ensure_columns(_clean_polygons(prep, _to_crs(buildings, prep.crs, "buildings"), "buildings"), "buildings"), "buildings")
    pid_to_pos = pd.Series(np.arange(n), index=parcels["parcel_id"].to_numpy())
    named = b["parcel_id"].map(pid_to_pos).fillna(-1).astype(int).to_numpy()
    unknown = b["parcel_id"].notna().to_numpy() & (named < 0)
    prep.add_issues("buildings", b[unknown], "unknown_parcel", args={"parcel_id": b.loc[unknown, "parcel_id"]})
    best, inside, second = _assign(b, parcels)
    position = np.where(named >= 0, named, best)
    outside = position < 0
    prep.add_issues("buildings", b[outside], "outside_parcels")
    fp = shapely.area(b.geometry.to_numpy())
    # A building placed by its parcel_id: its area inside that parcel.
    by_name = (named >= 0) & (named != best)
    if by_name.any():
        inside[by_name] = shapely.area(shapely.intersection(b.geometry.to_numpy()[by_name], parcels.geometry.to_numpy()[named[by_name]]))
    off = fp - inside
    # named to a parcel it does not touch: the id and the geometry contradict each other, so
    # that parcel's floor area, footprint and height rest on a building that may not be its
    away = (named >= 0) & (inside <= STRADDLE_TOLERANCE_M2)
    if away.any():
        ids = parcels["parcel_id"].to_numpy()
        prep.add_issues("buildings", b[away], "off_named_parcel",
                        args={"parcel": ids[named[away]], "other": np.where(best[away] >= 0, ids[np.maximum(best[away], 0)], None)},
                        value_m2=np.round(fp[away], AREA_DECIMALS))
    straddles = ~outside & ~away & (off > STRADDLE_TOLERANCE_M2)
    if straddles.any():
        ids = parcels["parcel_id"].to_numpy()
        other = np.where(second[straddles] >= 0, ids[np.maximum(second[straddles], 0)], None)
        prep.add_issues(
            "buildings",
            b[straddles],
            np.where(second[straddles] >= 0, "straddles_parcels", "partly_outside_parcels"),
            args={"parcel": ids[position[straddles]], "other": other, "share_outside": np.round(off[straddles] / fp[straddles], 4)},
            value_m2=np.round(off[straddles], AREA_DECIMALS),
        )
    keep = ~outside
    b = b[keep].copy()
    b["parcel_pos"] = position[keep]
    b["parcel_id"] = parcels["parcel_id"].to_numpy()[b["parcel_pos"]]
    b["footprint_m2"] = np.round(fp[keep], AREA_DECIMALS)
    b["on_parcel_m2"] = inside[keep]
    b["off_named_parcel"] = away[keep]
    b["gfa_m2"] = b["gfa_m2"].fillna(pd.Series(fp[keep], index=b.index) * b["floors"])
    heights, warnings = building_heights(b, height)
    prep.warnings.extend(warnings)
    b["height_m"] = heights["height_m"].round(2)
    b["height_source"] = heights["height_source"]
    b["height_problem"] = heights["height_problem"]
    _record_raster_problems(prep, "buildings", b, heights["height_problem"].to_numpy(dtype=object), height)
    return b


def _record_raster_problems(prep: Prepared, layer: str, features: gpd.GeoDataFrame, problems: np.ndarray, height: HeightRaster | None) -> None:
    """One ``raster_<problem>`` issue per feature whose raster height could not be measured."""
    if height is None or not height.given:
        return
    problems = np.asarray(problems, dtype=object)
    for problem in pd.unique(problems[pd.notna(problems)]):
        rows = problems == problem
        prep.add_issues(layer, features[rows], f"raster_{problem}", args={"raster": height.label})


def _add_zones(prep: Prepared, parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None) -> None:
    """``in_<zone_type>`` flags: the parcel's point on surface lies in such a zone."""
    for zone_type in ZONE_TYPES:
        parcels[f"in_{zone_type}"] = False
    parcels["zone_height_max_m"] = np.nan
    if zones is None:
        return
    z = _record_implausible(prep, _clean_polygons(prep, _to_crs(zones, prep.crs, "zones"), "zones"), "zones")
    types = z["zone_type"].astype(str).str.strip()
    z = z.assign(zone_type=types.map(lambda t: ZONE_ALIASES.get(t, t.lower())))
    unknown = sorted(set(z["zone_type"]) - set(ZONE_TYPES))
    if unknown:
        raise InputError("unknown_zone_type", values=unknown, allowed=list(ZONE_TYPES))
    points = parcels["surface_point"].to_numpy()
    tree = shapely.STRtree(z.geometry.to_numpy())
    point_idx, zone_idx = tree.query(points, predicate="within")
    types = z["zone_type"].to_numpy()[zone_idx]
    for zone_type in np.unique(types):
        hit = point_idx[types == zone_type]
        flags = np.zeros(len(parcels), bool)
        flags[hit] = True
        parcels[f"in_{zone_type}"] = flags
    if "height_max_m" in z:
        limits = pd.Series(z["height_max_m"].to_numpy(float)[zone_idx]).where(types == "height_limit")
        lowest = limits.groupby(point_idx).min()
        parcels.iloc[lowest.index, parcels.columns.get_loc("zone_height_max_m")] = lowest.to_numpy()
    prep.layers["zones"] = z


def _add_facility_land(prep: Prepared, parcels: gpd.GeoDataFrame, facility: gpd.GeoDataFrame | None) -> None:
    """``facility_area_m2``: facility land inside each parcel (NaN when no layer is given)."""
    if facility is None:
        parcels["facility_area_m2"] = np.nan
        return
    f = _ensure_columns(_clean_polygons(prep, _to_crs(facility, prep.crs, "facility_land"), "facility_land"), "facility_land")
    geoms = parcels.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    f_idx, p_idx = tree.query(f.geometry.to_numpy(), predicate="intersects")
    inside = shapely.area(shapely.intersection(f.geometry.to_numpy()[f_idx], geoms[p_idx]))
    pairs = pd.DataFrame({"f": f_idx, "p": p_idx, "area": inside})
    # A facility naming its parcel counts only there.
    named = f["parcel_id"].to_numpy()[pairs["f"]]
    pairs = pairs[pd.isna(named) | (named == parcels["parcel_id"].to_numpy()[pairs["p"]])]
    pairs = pairs[pairs["area"] > 0]
    totals = pairs.groupby("p")["area"].sum()
    area = np.zeros(len(parcels))
    area[totals.index] = totals.to_numpy()
    parcels["facility_area_m2"] = np.round(area, AREA_DECIMALS)
    stray = ~np.isin(np.arange(len(f)), pairs["f"].to_numpy())
    prep.add_issues("facility_land", f[stray], "outside_parcels")
    prep.layers["facility_land"] = f


def stray_features(crs: CRS, features: gpd.GeoDataFrame, layer: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Features that meet no parcel, cleaned as :func:`prepare` cleans them, and their
    issues: what the cleaning finds, implausible values, and ``outside_parcels``."""
    prep = Prepared(parcels=features, crs=crs)
    kept = _record_implausible(prep, _ensure_columns(_clean_polygons(prep, _to_crs(features, crs, layer), layer), layer), layer)
    prep.add_issues(layer, kept, "outside_parcels")
    return kept, prep.issues_layer()


def add_owner_sums(parcels: gpd.GeoDataFrame) -> None:
    """Per-enterprise sums (``owner_*`` columns) over every parcel of ``parcels``."""
    _add_owner_sums(parcels)


def _add_owner_sums(parcels: gpd.GeoDataFrame) -> None:
    """Per-enterprise sums of area and figures, repeated on each of its parcels."""
    owner = parcels["owner"].fillna("\0" + parcels["parcel_id"].astype(str))
    grouped = parcels.groupby(owner)
    parcels["owner_area_exact_mu"] = grouped["area_exact_m2"].transform("sum") / M2_PER_MU
    parcels["owner_area_m2"] = grouped["area_m2"].transform("sum")
    parcels["owner_area_mu"] = parcels["owner_area_m2"] / M2_PER_MU
    for column in ("tax_10k", "tax_prev_10k", "revenue_10k", "value_added_10k"):
        known = grouped[column].transform("count") > 0
        parcels[f"owner_{column}"] = grouped[column].transform("sum").where(known)
    above = parcels["above_scale"].astype("Float64").groupby(owner).transform("max")
    parcels["owner_above_scale"] = above.astype("boolean")
