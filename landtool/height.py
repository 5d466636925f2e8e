"""Building heights: from attributes, else from a height raster read window by window.

The raster is an nDSM (heights above ground, metres) or a DSM with a DEM from which
the nDSM is derived. Each building's height is a statistic (default: the 90th
percentile, robust to a chimney or an antenna) of the cells that lie mostly inside its
footprint: a cell counts when at least ``min_coverage`` of its area is inside.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window, from_bounds

from landtool.errors import InputError

__all__ = ["HeightRaster", "building_heights", "raster_heights"]


@dataclass(frozen=True)
class HeightRaster:
    """Where raster heights come from: an nDSM, or a DSM minus a DEM."""

    ndsm: str | None = None
    dsm: str | None = None
    dem: str | None = None
    statistic: float = 90.0
    """Percentile of the covered cells taken as the building's height (100 = max)."""
    min_coverage: float = 0.5
    """Share of a cell's area that must lie inside the footprint for the cell to count."""

    def __post_init__(self):
        if self.ndsm and (self.dsm or self.dem):
            msg = "give either --height-raster (an nDSM) or --dsm with --dem, not both"
            raise InputError(msg)
        if bool(self.dsm) != bool(self.dem):
            msg = "--dsm and --dem go together: the height above ground is DSM − DEM"
            raise InputError(msg)

    @property
    def given(self) -> bool:
        return bool(self.ndsm or self.dsm)


def _open(path: str, what: str):
    try:
        return rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        msg = f"{path}: cannot open the {what} raster ({str(exc).splitlines()[0]})"
        raise InputError(msg) from None


def raster_heights(footprints: gpd.GeoSeries, source: HeightRaster) -> np.ndarray:
    """Height (m) per footprint from the raster; NaN where no valid cell is covered.

    Each footprint's window is read on its own, so the raster never has to fit in
    memory. Footprints are transformed to the raster's CRS first.
    """
    heights = np.full(len(footprints), np.nan)
    if len(footprints) == 0:
        return heights
    with ExitStack() as stack:
        main = stack.enter_context(_open(source.ndsm or source.dsm, "height" if source.ndsm else "DSM"))
        if main.crs is None:
            msg = f"{source.ndsm or source.dsm}: raster has no CRS"
            raise InputError(msg)
        ground = None
        if source.dem:
            dem = stack.enter_context(_open(source.dem, "DEM"))
            # The DEM is resampled onto the DSM's grid, window by window, through a VRT.
            ground = stack.enter_context(
                WarpedVRT(
                    dem,
                    crs=main.crs,
                    transform=main.transform,
                    width=main.width,
                    height=main.height,
                    resampling=Resampling.bilinear,
                )
            )
        geoms = footprints.to_crs(main.crs).to_numpy()
        full = Window(0, 0, main.width, main.height)
        for i, geom in enumerate(geoms):
            if geom is None or geom.is_empty:
                continue
            window = _cell_window(from_bounds(*geom.bounds, transform=main.transform))
            try:
                window = window.intersection(full)
            except rasterio.errors.WindowError:
                continue  # footprint outside the raster
            values = _read(main, window)
            if ground is not None:
                values = values - _read(ground, window)
            heights[i] = _statistic(values, geom, main.window_transform(window), source)
    return heights


def _cell_window(window: Window) -> Window:
    """The whole cells a fractional window touches."""
    col0, row0 = np.floor(window.col_off), np.floor(window.row_off)
    col1, row1 = np.ceil(window.col_off + window.width), np.ceil(window.row_off + window.height)
    return Window(int(col0), int(row0), int(col1 - col0), int(row1 - row0))


def _read(src, window: Window) -> np.ma.MaskedArray:
    data = src.read(1, window=window, masked=True).astype("float64")
    return np.ma.masked_invalid(data)


def _coverage(geom, shape: tuple[int, int], transform) -> np.ndarray:
    """Share (0–1) of each cell of a window that lies inside ``geom``, per cell (raveled).

    Only cells crossed by the footprint's boundary can be partly inside: their share is
    computed exactly from the cell polygon; every other cell is wholly inside or outside,
    which its centre tells.
    """
    rows, cols = shape
    c, r = (a.ravel() for a in np.meshgrid(np.arange(cols), np.arange(rows)))
    t = transform
    shapely.prepare(geom)
    coverage = shapely.contains_xy(geom, t.a * (c + 0.5) + t.b * (r + 0.5) + t.c, t.d * (c + 0.5) + t.e * (r + 0.5) + t.f).astype(float)
    edge = rasterize([(geom.boundary, 1)], out_shape=shape, transform=transform, all_touched=True, dtype="uint8").ravel() == 1
    if edge.any():
        ce, re_ = c[edge], r[edge]
        x0, y0 = t.a * ce + t.b * re_ + t.c, t.d * ce + t.e * re_ + t.f
        x1, y1 = x0 + t.a + t.b, y0 + t.d + t.e
        boxes = shapely.box(np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1))
        cell_area = abs(t.a * t.e - t.b * t.d)
        coverage[edge] = shapely.area(shapely.intersection(boxes, geom)) / cell_area
    return coverage


def _statistic(values: np.ma.MaskedArray, geom, transform, source: HeightRaster) -> float:
    if values.shape[0] == 0 or values.shape[1] == 0:
        return np.nan
    coverage = _coverage(geom, values.shape, transform)
    use = (coverage >= source.min_coverage) & ~np.ma.getmaskarray(values).ravel()
    if not use.any():
        return np.nan
    return float(np.percentile(values.filled(np.nan).ravel()[use], source.statistic))


def building_heights(buildings: gpd.GeoDataFrame, source: HeightRaster | None) -> pd.DataFrame:
    """Each building's height (m) and where it came from.

    Returns a frame indexed like ``buildings`` with ``height_m`` and
    ``height_source`` (``buildings`` for the attribute, ``raster``, or None).
    """
    given = buildings["height_m"] if "height_m" in buildings else pd.Series(np.nan, index=buildings.index)
    height = given.astype(float).copy()
    origin = pd.Series(np.where(height.notna(), "buildings", None), index=buildings.index, dtype=object)
    missing = height.isna().to_numpy()
    if source is not None and source.given and missing.any():
        from_raster = raster_heights(buildings.geometry[missing], source)
        height[missing] = from_raster
        origin[missing] = np.where(np.isnan(from_raster), None, "raster")
    return pd.DataFrame({"height_m": height, "height_source": origin})
