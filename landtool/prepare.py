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

from landtool.crs import working_crs
from landtool.errors import InputError
from landtool.height import HeightRaster, building_heights
from landtool.io import field_specs
from landtool.units import AREA_DECIMALS, M2_PER_MU, ratio

__all__ = ["Prepared", "ZONE_TYPES", "is_industrial", "prepare"]

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

ISSUE_COLUMNS = ["layer", "feature_id", "source_fid", "problem", "detail", "value_m2", "geometry"]


@dataclass
class Prepared:
    """The prepared parcel table, the layers in the working CRS, and the issues found."""

    parcels: gpd.GeoDataFrame
    crs: CRS
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    issues: list[gpd.GeoDataFrame] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_issues(self, layer: str, features: gpd.GeoDataFrame | pd.DataFrame, problem: str, detail="", value_m2=np.nan, geometry=None):
        """Record data-quality findings for ``features`` (one row each)."""
        if len(features) == 0:
            return
        id_column = {"parcels": "parcel_id", "buildings": "building_id", "facility_land": "facility_id", "zones": "zone_id"}.get(layer)
        ids = features[id_column] if id_column in features else pd.Series([None] * len(features), index=features.index)
        geom = geometry if geometry is not None else (features.geometry if isinstance(features, gpd.GeoDataFrame) else None)
        frame = gpd.GeoDataFrame(
            {
                "layer": layer,
                "feature_id": ids.astype(object).to_numpy(),
                "source_fid": features["source_fid"].to_numpy() if "source_fid" in features else None,
                "problem": problem,
                "detail": np.broadcast_to(np.asarray(detail, dtype=object), (len(features),)),
                "value_m2": np.broadcast_to(np.asarray(value_m2, dtype=float), (len(features),)),
            },
            geometry=gpd.GeoSeries(np.asarray(geom) if geom is not None else [None] * len(features), crs=self.crs),
            crs=self.crs,
        )
        self.issues.append(frame)

    def issues_layer(self) -> gpd.GeoDataFrame:
        if not self.issues:
            return gpd.GeoDataFrame({c: [] for c in ISSUE_COLUMNS[:-1]}, geometry=gpd.GeoSeries([], crs=self.crs), crs=self.crs)
        return pd.concat(self.issues, ignore_index=True)


def is_industrial(land_use: pd.Series) -> pd.Series:
    """True for industrial land; a blank land use is taken as industrial (the tool's subject)."""
    text = land_use.fillna("").astype(str).str.strip()
    return text.eq("") | text.str.contains(INDUSTRIAL_PATTERN, case=False, regex=True)


def _ensure_columns(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Add every canonical field of ``kind`` that the input lacks, as missing values."""
    for name, spec in field_specs()[kind].items():
        if name not in frame:
            frame[name] = pd.Series(pd.NA if spec["type"] == "bool" else (None if spec["type"] == "text" else np.nan), index=frame.index, dtype="boolean" if spec["type"] == "bool" else (object if spec["type"] == "text" else ("datetime64[ns]" if spec["type"] == "date" else float)))
    return frame


def _clean_polygons(prep: Prepared, gdf: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Drop empty / non-polygon features and repair invalid ones, recording each in issues."""
    geom = gdf.geometry.to_numpy()
    empty = shapely.is_missing(geom) | shapely.is_empty(geom)
    prep.add_issues(layer, gdf[empty], "empty_geometry", "no geometry: not checked")
    gdf = gdf[~empty]
    geom = gdf.geometry.to_numpy()
    kinds = shapely.get_type_id(geom)
    polygonal = np.isin(kinds, [3, 6, 7])  # Polygon, MultiPolygon, GeometryCollection (repairable)
    if len(gdf) and not polygonal.any():
        found = ", ".join(sorted(set(shapely.get_type_id(geom).astype(str))))
        names = {"0": "Point", "1": "LineString", "2": "LinearRing", "4": "MultiPoint", "5": "MultiLineString"}
        msg = f"{layer}: holds {', '.join(names.get(k, k) for k in found.split(', '))} geometries; the {layer} layer must be polygons"
        raise InputError(msg)
    prep.add_issues(layer, gdf[~polygonal], "not_polygon", "geometry is not a polygon: not checked")
    gdf = gdf[polygonal].copy()
    geom = gdf.geometry.to_numpy()
    invalid = ~shapely.is_valid(geom)
    if invalid.any():
        reasons = shapely.is_valid_reason(geom[invalid])
        repaired = shapely.make_valid(geom[invalid], method="structure", keep_collapsed=False)
        # keep only the polygonal part of the repair
        repaired = np.array([polygonal_part(g) for g in repaired], dtype=object)
        prep.add_issues(layer, gdf[invalid], "repaired_geometry", reasons, geometry=geom[invalid])
        geom = geom.copy()
        geom[invalid] = repaired
        gdf = gdf.set_geometry(gpd.GeoSeries(geom, index=gdf.index, crs=gdf.crs))
        still_empty = shapely.is_empty(gdf.geometry.to_numpy())
        prep.add_issues(layer, gdf[still_empty], "empty_geometry", "nothing left after repair: not checked")
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


def _to_crs(gdf: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    return gdf if CRS.from_user_input(gdf.crs) == crs else gdf.to_crs(crs)


def _check_ids(gdf: pd.DataFrame, column: str, label: str) -> None:
    ids = gdf[column]
    missing = ids.isna()
    if missing.any():
        fids = ", ".join(map(str, gdf.loc[missing, "source_fid"].head(5)))
        msg = f"{label}: {int(missing.sum())} feature(s) without {column} (features {fids})"
        raise InputError(msg)
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        shown = ", ".join(sorted(map(str, dup.unique()))[:10])
        msg = f"{label}: duplicate {column}: {shown}"
        raise InputError(msg)


def _largest_overlap(items: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> pd.Series:
    """For each item, the position (iloc) of the parcel it overlaps most; -1 for none."""
    tree = shapely.STRtree(parcels.geometry.to_numpy())
    item_idx, parcel_idx = tree.query(items.geometry.to_numpy(), predicate="intersects")
    result = np.full(len(items), -1)
    if len(item_idx) == 0:
        return pd.Series(result, index=items.index)
    overlap = shapely.area(shapely.intersection(items.geometry.to_numpy()[item_idx], parcels.geometry.to_numpy()[parcel_idx]))
    pairs = pd.DataFrame({"item": item_idx, "parcel": parcel_idx, "overlap": overlap})
    pairs = pairs[pairs["overlap"] > 0]
    best = pairs.loc[pairs.groupby("item")["overlap"].idxmax()]
    result[best["item"].to_numpy()] = best["parcel"].to_numpy()
    return pd.Series(result, index=items.index)


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
) -> Prepared:
    """Prepare the parcel table (see module docstring).

    Parameters
    ----------
    area_tolerance
        Relative difference between measured and registered area above which an
        ``area_mismatch`` issue is recorded (default 1 %).
    gap_width
        Gaps between parcels narrower than this (m) are recorded as ``gap`` issues
        (default 2 m: digitising gaps and slivers, not roads).
    """
    if parcels.empty:
        msg = f"{label}: the parcels layer has no features"
        raise InputError(msg)
    crs = working_crs(parcels)
    prep = Prepared(parcels=parcels, crs=crs)
    _check_ids(parcels, "parcel_id", label)
    parcels = _ensure_columns(_clean_polygons(prep, _to_crs(parcels, crs), "parcels"), "parcels")

    area = shapely.area(parcels.geometry.to_numpy())
    parcels["area_exact_m2"] = area
    parcels["area_m2"] = np.round(area, AREA_DECIMALS)
    parcels["area_mu"] = np.round(area / M2_PER_MU, 4)
    parcels["is_industrial"] = is_industrial(parcels["land_use"]).to_numpy()
    _record_area_mismatch(prep, parcels, area_tolerance)
    _record_overlaps(prep, parcels)
    _record_gaps(prep, parcels, gap_width)

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
    detail = [f"measured {m:.2f} m² vs registered {r:.2f} m² ({d:+.2f} m²)" for m, r, d in zip(bad["area_m2"], bad["registered_area_m2"], diff[off], strict=True)]
    prep.add_issues("parcels", bad, "area_mismatch", detail, value_m2=diff[off])


def _record_overlaps(prep: Prepared, parcels: gpd.GeoDataFrame) -> None:
    geoms = parcels.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="overlaps")
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return
    overlap = shapely.intersection(geoms[left], geoms[right])
    area = shapely.area(overlap)
    big = area > 0.01
    rows = parcels.iloc[left[big]]
    detail = [f"overlaps {other} by {a:.2f} m²" for other, a in zip(parcels["parcel_id"].to_numpy()[right[big]], area[big], strict=True)]
    prep.add_issues("parcels", rows, "overlap", detail, value_m2=area[big], geometry=overlap[big])


def _record_gaps(prep: Prepared, parcels: gpd.GeoDataFrame, width: float) -> None:
    """Unparcelled strips narrower than ``width`` between two or more parcels.

    Closing the union of the parcels (buffer out, then in, by half the width) fills
    exactly such strips; a filled piece that touches at least two parcels is a gap in the
    cadastre (a notch of a single parcel is not).
    """
    geoms = parcels.geometry.to_numpy()
    union = shapely.union_all(geoms)
    half = width / 2
    closed = shapely.buffer(shapely.buffer(union, half, join_style="mitre"), -half, join_style="mitre")
    pieces = shapely.get_parts(shapely.difference(closed, union))
    pieces = pieces[shapely.area(pieces) > 0.01]
    if len(pieces) == 0:
        return
    tree = shapely.STRtree(geoms)
    piece_idx, parcel_idx = tree.query(pieces, predicate="dwithin", distance=1e-6)
    ids = parcels["parcel_id"].to_numpy()
    neighbours = pd.Series(ids[parcel_idx]).groupby(piece_idx).agg(lambda s: sorted(set(s)))
    between = neighbours[neighbours.map(len) >= 2]
    if between.empty:
        return
    found = pieces[between.index.to_numpy()]
    area = shapely.area(found)
    table = pd.DataFrame({"parcel_id": [", ".join(n) for n in between], "source_fid": None})
    detail = [f"{a:.2f} m² unparcelled between {', '.join(n)}" for a, n in zip(area, between, strict=True)]
    prep.add_issues("parcels", table, "gap", detail, value_m2=area, geometry=found)


def _add_buildings(prep: Prepared, parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None, height: HeightRaster | None) -> None:
    n = len(parcels)
    parcels["buildings_count"] = 0
    gfa_from_buildings = np.full(n, np.nan)
    footprint = np.full(n, np.nan)
    facility_gfa = np.full(n, np.nan)
    b_height = np.full(n, np.nan)
    b_source = np.full(n, None, dtype=object)
    if buildings is not None:
        _check_ids(buildings, "building_id", "buildings")
        b = _ensure_columns(_clean_polygons(prep, _to_crs(buildings, prep.crs), "buildings"), "buildings")
        position = pd.Series(-1, index=b.index)
        pid_to_pos = pd.Series(np.arange(n), index=parcels["parcel_id"].to_numpy())
        if b["parcel_id"].notna().any():
            position = b["parcel_id"].map(pid_to_pos).fillna(-1).astype(int)
            unknown = b["parcel_id"].notna() & (position < 0)
            prep.add_issues("buildings", b[unknown], "unknown_parcel", [f"parcel_id {p} not among the parcels; assigned by location" for p in b.loc[unknown, "parcel_id"]])
        by_location = position < 0
        if by_location.any():
            position[by_location] = _largest_overlap(b[by_location], parcels)
        outside = position < 0
        prep.add_issues("buildings", b[outside], "outside_parcels", "building outside every parcel: not counted")
        b = b[~outside].copy()
        b["parcel_pos"] = position[~outside].to_numpy()
        b["parcel_id"] = parcels["parcel_id"].to_numpy()[b["parcel_pos"]]
        fp = shapely.area(b.geometry.to_numpy())
        b["footprint_m2"] = np.round(fp, AREA_DECIMALS)
        b["gfa_m2"] = b["gfa_m2"].fillna(pd.Series(fp, index=b.index) * b["floors"])
        heights = building_heights(b, height)
        b["height_m"] = heights["height_m"].round(2)
        b["height_source"] = heights["height_source"]
        on_parcel = shapely.area(shapely.intersection(b.geometry.to_numpy(), parcels.geometry.to_numpy()[b["parcel_pos"]]))
        use = b["use"].fillna("").astype(str).str.lower()
        is_facility = use.str.contains("|".join(FACILITY_USES), regex=True)
        grouped = pd.DataFrame(
            {
                "pos": b["parcel_pos"].to_numpy(),
                "gfa": b["gfa_m2"].to_numpy(float),
                "footprint": on_parcel,
                "facility_gfa": np.where(is_facility, b["gfa_m2"], 0.0),
                "height": b["height_m"].to_numpy(float),
            }
        ).groupby("pos")
        sums = grouped.sum(min_count=1)
        counts = grouped.size()
        gfa_from_buildings[:] = 0.0
        footprint[:] = 0.0
        facility_gfa[:] = 0.0
        gfa_from_buildings[sums.index] = sums["gfa"].to_numpy()
        footprint[sums.index] = sums["footprint"].to_numpy()
        facility_gfa[sums.index] = sums["facility_gfa"].to_numpy()
        parcels.iloc[counts.index, parcels.columns.get_loc("buildings_count")] = counts.to_numpy()
        # the tallest building's height and source, per parcel
        tall = b.dropna(subset=["height_m"]).sort_values("height_m", ascending=False).drop_duplicates("parcel_pos")
        b_height[tall["parcel_pos"].to_numpy()] = tall["height_m"].to_numpy()
        b_source[tall["parcel_pos"].to_numpy()] = tall["height_source"].to_numpy()
        prep.layers["buildings"] = b.drop(columns=["parcel_pos"])
    parcels["gfa_source"] = np.where(parcels["gfa_m2"].notna(), "attribute", np.where(np.isnan(gfa_from_buildings), None, "buildings"))
    parcels["gfa_m2"] = parcels["gfa_m2"].fillna(pd.Series(gfa_from_buildings, index=parcels.index))
    parcels["far"] = ratio(parcels["gfa_m2"], parcels["area_exact_m2"])
    parcels["footprint_m2"] = footprint
    parcels["density"] = ratio(footprint, parcels["area_exact_m2"])
    parcels["facility_gfa_m2"] = facility_gfa
    attr = parcels["height_m"].notna().to_numpy()
    parcels["height_source"] = np.where(attr, "attribute", b_source)
    parcels["height_m"] = np.where(attr, parcels["height_m"], b_height)


def _add_zones(prep: Prepared, parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None) -> None:
    """``in_<zone_type>`` flags: the parcel's point on surface lies in such a zone."""
    for zone_type in ZONE_TYPES:
        parcels[f"in_{zone_type}"] = False
    parcels["zone_height_max_m"] = np.nan
    if zones is None:
        return
    z = _clean_polygons(prep, _to_crs(zones, prep.crs), "zones")
    types = z["zone_type"].astype(str).str.strip()
    z = z.assign(zone_type=types.map(lambda t: ZONE_ALIASES.get(t, t.lower())))
    unknown = sorted(set(z["zone_type"]) - set(ZONE_TYPES))
    if unknown:
        msg = f"zones: unknown zone_type {', '.join(map(repr, unknown))}; allowed: {', '.join(ZONE_TYPES)}"
        raise InputError(msg)
    points = shapely.point_on_surface(parcels.geometry.to_numpy())
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
    f = _ensure_columns(_clean_polygons(prep, _to_crs(facility, prep.crs), "facility_land"), "facility_land")
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
    prep.add_issues("facility_land", f[stray], "outside_parcels", "facility land outside its parcel / every parcel: not counted")
    prep.layers["facility_land"] = f


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
