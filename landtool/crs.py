"""Choosing the CRS areas are measured in, and checking that a layer's CRS tells the truth.

Registered parcel areas in China are planar areas in the CGCS2000 3-degree Gauss-Krüger
zone of the land (Zhejiang: EPSG:4549, central meridian 120°E, and its neighbours), so:
a projected CRS in metres is used as it is; anything else (geographic EPSG:4490 / 4326,
or a projected CRS in feet) is projected to the 3-degree zone whose central meridian is
nearest the data's longitude — or, outside China, to the data's UTM zone.

Before anything is measured, :func:`check_coordinates` compares a layer's coordinates
with its CRS's area of use (EPSG's, widened by :data:`AREA_MARGIN_DEG`): numbers that
cannot be where the CRS says — longitude/latitude in a projected CRS, Gauss-Krüger
eastings with the zone prefix in the CRS without it (and the reverse), a 3-degree zone
read as a 6-degree one, swapped x/y, 1e15, inf, NaN — are an error that says what the
data probably is, because they would be mis-measured or mis-placed silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from landtool.errors import InputError
from landtool.messages import Message

__all__ = [
    "AREA_MARGIN_DEG",
    "GK",
    "allowed_box",
    "check_coordinates",
    "crs_label",
    "gk_zone_epsg",
    "gk_zones",
    "is_metric_projected",
    "parse_crs",
    "settle_crs",
    "to_crs_checked",
    "utm_epsg",
    "working_crs",
]

#: EPSG code of "CGCS2000 / 3-degree Gauss-Kruger CM 75E"; CM 78E … 135E follow in steps of 3°.
_GK_CM75 = 4534
#: Rough bounding box of China's land (lon min, lat min, lon max, lat max), degrees.
_CHINA = (73.0, 3.0, 135.5, 54.0)
#: A CRS's area of use is widened by this much (degrees, each side) before coordinates are
#: called outside it: data a little past a zone edge (a county straddling it) is fine.
AREA_MARGIN_DEG = 0.5
#: No CRS has coordinates this large (the Earth's circumference is 4e7 m, 1.3e8 ft).
_ABSURD = 1e9
#: Features whose coordinates are scanned at once for inf/NaN (bounds memory).
_CHUNK = 200_000
#: How many feature numbers an error lists.
_SHOWN = 5


def is_metric_projected(crs: CRS) -> bool:
    """True for a projected CRS whose axes are in metres."""
    return crs.is_projected and all(
        (axis.unit_name or "").lower() in {"metre", "meter", "m"} for axis in crs.axis_info[:2]
    )


def gk_zone_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree GK zone (no zone prefix) for a longitude.

    >>> gk_zone_epsg(121.03)   # 天台: CM 120°E
    4549
    >>> gk_zone_epsg(121.6)    # CM 123°E is nearer
    4550
    """
    cm = 3 * round(lon / 3)
    cm = min(max(cm, 75), 135)
    return _GK_CM75 + (cm - 75) // 3


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone of a point.

    >>> utm_epsg(-74.2, 40.5)   # Staten Island
    32618
    """
    zone = min(int((lon + 180) // 6) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def working_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """The CRS to measure ``gdf`` in (see module docstring). ``gdf`` must have a CRS."""
    crs = CRS.from_user_input(gdf.crs)
    if is_metric_projected(crs):
        return crs
    minx, miny, maxx, maxy = gdf.total_bounds
    to_lonlat = Transformer.from_crs(crs, 4326, always_xy=True)
    lon, lat = to_lonlat.transform((minx + maxx) / 2, (miny + maxy) / 2)
    if _CHINA[0] <= lon <= _CHINA[2] and _CHINA[1] <= lat <= _CHINA[3]:
        return CRS.from_epsg(gk_zone_epsg(lon))
    return CRS.from_epsg(utm_epsg(lon, lat))


# --------------------------------------------------------------------------- CGCS2000 Gauss-Krüger


@dataclass(frozen=True)
class GK:
    """A CGCS2000 Gauss-Krüger CRS: zone width (3 or 6°), central meridian (°E), zone number,
    and whether eastings carry the zone number as a prefix (x = zone × 10⁶ + 500 000 at the CM)."""

    epsg: int
    width: int
    cm: int
    zone: int
    prefixed: bool


@cache
def gk_zones() -> tuple[GK, ...]:
    """The 64 CGCS2000 GK CRSs: 6° EPSG:4491–4501 (prefixed, zones 13–23) and 4502–4512
    (CM 75–135°E), 3° EPSG:4513–4533 (prefixed, zones 25–45) and 4534–4554 (CM 75–135°E).

    >>> [g for g in gk_zones() if g.epsg in (4498, 4528, 4549)]  # doctest: +NORMALIZE_WHITESPACE
    [GK(epsg=4498, width=6, cm=117, zone=20, prefixed=True),
     GK(epsg=4528, width=3, cm=120, zone=40, prefixed=True),
     GK(epsg=4549, width=3, cm=120, zone=40, prefixed=False)]
    """
    zones = []
    for first, width, prefixed in ((4491, 6, True), (4502, 6, False), (4513, 3, True), (4534, 3, False)):
        for i in range(11 if width == 6 else 21):
            cm = 75 + width * i
            zones.append(GK(first + i, width, cm, (cm + 3) // 6 if width == 6 else cm // 3, prefixed))
    return tuple(zones)


def _central_meridian(crs: CRS) -> float | None:
    """Longitude of origin of a transverse-Mercator CRS, else None."""
    op = crs.coordinate_operation
    if op is None or "transverse mercator" not in op.method_name.lower():
        return None
    for param in op.params:
        if param.name == "Longitude of natural origin":
            return float(param.value)
    return None


# --------------------------------------------------------------------------- parsing and naming


def parse_crs(text, what: str = "--crs") -> CRS:
    """A CRS from user text (``EPSG:4549``, ``4549``, WKT, PROJ string); InputError if unknown.

    ``what`` names where the text came from in the message (``--crs``).
    """
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        raise InputError("crs_unknown", crs=str(text), option=what) from None
    if not (crs.is_geographic or crs.is_projected):
        raise InputError("crs_not_horizontal", crs=str(text), option=what, kind=crs.type_name)
    return crs


def crs_label(crs) -> str:
    """How a CRS is named in messages: ``EPSG:4549`` when it has an authority code, else its name."""
    crs = CRS.from_user_input(crs)
    auth = crs.to_authority(min_confidence=70)
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


# --------------------------------------------------------------------------- areas of use


def _area_of_use(crs: CRS) -> tuple[float, float, float, float] | None:
    area = crs.area_of_use
    if area is None:  # e.g. an ESRI .prj: take the area of the EPSG CRS it matches
        code = crs.to_epsg(min_confidence=70)
        area = CRS.from_epsg(code).area_of_use if code else None
    return None if area is None else tuple(area.bounds)


@lru_cache(maxsize=512)
def allowed_box(crs: CRS) -> tuple[float, float, float, float] | None:
    """(xmin, ymin, xmax, ymax) in ``crs`` units where its coordinates may lie, or None (unknown).

    A geographic CRS: longitude −180…180, latitude −90…90 (anywhere on Earth: CGCS2000
    and WGS 84 differ by centimetres). A projected CRS: its area of use widened by
    :data:`AREA_MARGIN_DEG` and transformed into the CRS.
    """
    if crs.is_geographic:
        return (-180.0, -90.0, 180.0, 90.0)
    area = _area_of_use(crs)
    if area is None or area[0] > area[2]:  # unknown, or across the antimeridian
        return None
    m = AREA_MARGIN_DEG
    w, s, e, n = max(area[0] - m, -180.0), max(area[1] - m, -90.0), min(area[2] + m, 180.0), min(area[3] + m, 90.0)
    try:
        box = Transformer.from_crs(4326, crs, always_xy=True).transform_bounds(w, s, e, n, densify_pts=21)
    except ProjError:
        return None
    return tuple(float(v) for v in box) if np.isfinite(box).all() else None


def _inside(bounds: np.ndarray, box) -> np.ndarray:
    """Per row of ``bounds`` (n × 4): inside ``box``."""
    b = np.atleast_2d(bounds)
    return (b[:, 0] >= box[0]) & (b[:, 1] >= box[1]) & (b[:, 2] <= box[2]) & (b[:, 3] <= box[3])


def _fits(bounds, crs) -> bool:
    box = allowed_box(crs)
    return box is not None and bool(_inside(np.asarray(bounds, dtype=float), box).all())


def _nonfinite(geoms: np.ndarray) -> np.ndarray:
    """Per geometry: holds an inf or NaN coordinate (GEOS bounds skip NaN, so coordinates are read)."""
    out = np.zeros(len(geoms), dtype=bool)
    for start in range(0, len(geoms), _CHUNK):
        coords, index = shapely.get_coordinates(geoms[start : start + _CHUNK], return_index=True)
        bad = ~np.isfinite(coords).all(axis=1)
        out[start + np.unique(index[bad])] = True
    return out


# --------------------------------------------------------------------------- checks


def check_coordinates(gdf: gpd.GeoDataFrame, label: str) -> None:
    """Raise InputError when the coordinates of ``gdf`` cannot be in its CRS (see module docstring).

    ``label`` names the layer (file or ``file::layer``); features are named by
    ``source_fid`` (1-based, else their position). Empty geometries are left to the
    ``issues`` layer.
    """
    if gdf.crs is None:
        raise InputError("no_crs", layer=label)
    crs = CRS.from_user_input(gdf.crs)
    geoms = gdf.geometry.to_numpy()
    fids = gdf["source_fid"].to_numpy() if "source_fid" in gdf else np.arange(1, len(gdf) + 1)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms, fids = geoms[present], fids[present]
    if len(geoms) == 0:
        return
    bad = _nonfinite(geoms)
    if bad.any():
        raise InputError("coordinates_not_finite", layer=label, features=_shown(fids[bad]), count=int(bad.sum()))
    bounds = shapely.bounds(geoms)
    huge = (np.abs(bounds) > _ABSURD).any(axis=1)
    if huge.any():
        value = float(np.abs(bounds[huge]).max())
        raise InputError("coordinates_absurd", layer=label, features=_shown(fids[huge]), count=int(huge.sum()), value=value)
    total = (bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max())
    if crs.is_projected and _lonlat_range(total):  # even where a world-wide CRS's area allows it (EPSG:3857)
        where = {"layer": label, "crs": crs_label(crs), "x": _round(bounds[0][0]), "y": _round(bounds[0][1])}
        raise _diagnose(crs, total, where, fids)
    box = allowed_box(crs)
    if box is None:
        return
    inside = _inside(bounds, box)
    if inside.all():
        return
    out = ~inside
    first = bounds[out][0]
    where = {"layer": label, "crs": crs_label(crs), "x": _round(first[0]), "y": _round(first[1])}
    if inside.any():  # some features are fine: the CRS is right, those features are not
        raise InputError("coordinates_outside_crs", **where, features=_shown(fids[out]), count=int(out.sum()))
    raise _diagnose(crs, total, where, fids)


def _diagnose(crs: CRS, total, where: dict, fids: np.ndarray) -> InputError:
    """The error for a layer none of whose features fits its CRS: what the data probably is."""
    minx, miny, maxx, maxy = total
    swapped = (miny, minx, maxy, maxx)
    if crs.is_projected and _lonlat_range(total):
        china = _CHINA[0] <= minx and maxx <= _CHINA[2] and _CHINA[1] <= miny and maxy <= _CHINA[3]
        return InputError("coordinates_look_geographic", **where, suggest=f"EPSG:{4490 if china else 4326}")
    if _fits(swapped, crs):
        return InputError("coordinates_latlon" if crs.is_geographic else "coordinates_swapped", **where)
    gk = _guess_gk(crs, total)
    if gk is not None:
        prefix = "prefixed" if gk.prefixed else "unprefixed"
        return InputError("coordinates_look_gk", **where, epsg=str(gk.epsg), width=gk.width, zone=gk.zone, cm=gk.cm, gk_prefix=prefix)
    if crs.is_geographic:
        return InputError("coordinates_look_projected", **where)
    return InputError("coordinates_outside_crs", **where, features=_shown(fids), count=len(fids))


def _guess_gk(crs: CRS, total) -> GK | None:
    """The one CGCS2000 GK CRS the coordinates fit, judged from the zone prefix or the declared
    central meridian; None when there is none or several."""
    minx, _, maxx, _ = total
    declared = crs.to_epsg(min_confidence=70)
    if minx >= 1e7:  # zone prefix: 13–23 are 6° zones, 25–45 3° zones
        zone = int(minx // 1_000_000)
        if int(maxx // 1_000_000) != zone:
            return None
        candidates = [g for g in gk_zones() if g.prefixed and g.zone == zone]
    else:
        cm = _central_meridian(crs)
        candidates = [g for g in gk_zones() if not g.prefixed and cm is not None and g.cm == round(cm)]
    fitting = [g for g in candidates if g.epsg != declared and _fits(total, CRS.from_epsg(g.epsg))]
    return fitting[0] if len(fitting) == 1 else None


def _lonlat_range(total) -> bool:
    """All of (minx, miny, maxx, maxy) within longitude −180…180 and latitude −90…90."""
    minx, miny, maxx, maxy = total
    return minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90


def _shown(fids) -> list[int]:
    return [int(f) for f in np.asarray(fids)[:_SHOWN]]


def _round(value: float) -> float:
    return float(round(value, 6))


def settle_crs(gdf: gpd.GeoDataFrame, label: str, assumed=None) -> gpd.GeoDataFrame:
    """The layer with its CRS settled and its coordinates checked.

    ``assumed`` (``--crs``, text or CRS) is the CRS of a layer that has none — and of a
    layer whose declared CRS its coordinates contradict, when they fit ``assumed``; then
    the frame's ``attrs["warnings"]`` holds a ``crs_overridden`` :class:`Message`. A
    declared CRS that the coordinates fit is never overridden. Raises InputError.
    """
    wanted = None if assumed is None else (assumed if isinstance(assumed, CRS) else parse_crs(assumed))
    if gdf.crs is None:
        if wanted is None:
            raise InputError("no_crs", layer=label)
        gdf = gdf.set_crs(wanted)
        check_coordinates(gdf, label)
        return gdf
    try:
        check_coordinates(gdf, label)
        return gdf
    except InputError as err:
        if wanted is None or CRS.from_user_input(gdf.crs) == wanted:
            raise
        declared = crs_label(gdf.crs)
        candidate = gdf.set_crs(wanted, allow_override=True)
        try:
            check_coordinates(candidate, label)
        except InputError:
            raise err from None
        args = {"layer": label, "declared": declared, "crs": crs_label(wanted)}
        candidate.attrs["warnings"] = [Message("crs_overridden", args)]
        return candidate


def to_crs_checked(gdf: gpd.GeoDataFrame, crs, label: str) -> gpd.GeoDataFrame:
    """``gdf.to_crs(crs)``, raising InputError naming the layer when a feature's reprojection
    fails (inf, NaN or empty where the source had a geometry) instead of failing later."""
    target = CRS.from_user_input(crs)
    if gdf.crs is not None and CRS.from_user_input(gdf.crs) == target:
        return gdf
    geoms = gdf.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    fids = gdf["source_fid"].to_numpy() if "source_fid" in gdf else np.arange(1, len(gdf) + 1)
    where = {"layer": label, "crs": crs_label(gdf.crs) if gdf.crs is not None else "—", "target": crs_label(target)}
    try:
        out = gdf.to_crs(target)
    except (ProjError, CRSError, ValueError):
        raise InputError("reprojection_failed", **where, features=_shown(fids[present]), count=int(present.sum())) from None
    new = out.geometry.to_numpy()
    bad = np.zeros(len(new), dtype=bool)
    bad[present] = shapely.is_missing(new[present]) | shapely.is_empty(new[present]) | _nonfinite(new[present])
    if bad.any():
        raise InputError("reprojection_failed", **where, features=_shown(fids[bad]), count=int(bad.sum()))
    return out
