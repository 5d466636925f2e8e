"""Choosing the CRS areas are measured in.

Registered parcel areas in China are planar areas in the CGCS2000 3-degree Gauss-Krüger
zone of the land (Zhejiang: EPSG:4549, central meridian 120°E, and its neighbours), so:
a projected CRS in metres is used as it is; anything else (geographic EPSG:4490 / 4326,
or a projected CRS in feet) is projected to the 3-degree zone whose central meridian is
nearest the data's longitude — or, outside China, to the data's UTM zone.
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS, Transformer

__all__ = ["gk_zone_epsg", "is_metric_projected", "utm_epsg", "working_crs"]

#: EPSG code of "CGCS2000 / 3-degree Gauss-Kruger CM 75E"; CM 78E … 135E follow in steps of 3°.
_GK_CM75 = 4534
#: Rough bounding box of China's land (lon min, lat min, lon max, lat max), degrees.
_CHINA = (73.0, 3.0, 135.5, 54.0)


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
