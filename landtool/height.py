"""Building heights: from attributes, else from a height raster, with the evidence checked.

The raster is an nDSM (heights above ground, metres) or a DSM with a DEM from which the
nDSM is derived cell by cell. A building's height is a statistic (default: the 90th
percentile, robust to a chimney or an antenna) of the valid cells that lie mostly inside
its footprint: a cell counts when at least ``min_coverage`` of its area is inside.

No height is given without evidence for it. A footprint gets NaN and a problem code
instead (see :class:`RasterHeights`) when the raster does not cover it, covers it only
in part (its tallest part could be missed), has no valid cell under it, or holds
implausible values there (below ``min_plausible_m`` or above ``max_plausible_m``: nodata
markers, a DSM given as an nDSM …). Cells holding nodata-like values (−9999, −32768,
±3.4e38 …) are nodata even when the raster declares none. A DEM that does not cover a
cell makes the cell nodata, never DSM − 0; a DSM lying below its DEM on a large share of
the cells (an nDSM given as a DSM) is an input error.

Cells are read and summarised by exactextract (raster-sequential: each block of the
raster is read once, at most :data:`CHUNK_CELLS` cells at a time, so memory does not grow
with the raster), through :class:`_Cells`, which masks, scales and subtracts the DEM.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from exactextract import exact_extract
from exactextract.feature import Feature, FeatureSource
from exactextract.raster import RasterSource
from exactextract.writer import Writer
from rasterio.enums import Resampling
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window, from_bounds

from landtool.errors import InputError
from landtool.messages import Message

__all__ = ["HeightRaster", "RasterHeights", "building_heights", "raster_heights"]

#: Values that mark missing data (nodata markers), masked even when the raster declares
#: another nodata value or none: any value at or below SENTINEL_MAX (−9999, −32767,
#: −32768, −99999, −3.4e38 …), any non-finite one or of magnitude SENTINEL_ABS or more
#: (±3.4e38, the float32 extremes), and the largest value of an integer type (255,
#: 32767, 65535 …). No height or ground elevation comes near them.
SENTINEL_MAX = -9999.0
SENTINEL_ABS = 1e30
#: Share of a footprint's area that may fall outside the raster's extent (rounding only).
OUTSIDE_TOLERANCE = 1e-3
#: A DSM below its DEM by more than ``min_plausible_m`` on more than this share of the
#: cells read is not a DSM: pits, water and resampling at walls give scattered cells only.
DSM_BELOW_DEM_SHARE = 0.25
#: Heights within this many metres of 0 are ground; an nDSM (or DSM − DEM) in which fewer
#: than NO_GROUND_SHARE of the cells read are ground has its ground somewhere else.
GROUND_M = 2.0
NO_GROUND_SHARE = 0.1
#: Raster cells exactextract holds in memory at a time (8 bytes each, a few copies).
CHUNK_CELLS = 2_000_000
#: Footprints summarised per exactextract call (in Hilbert order, so each call reads a
#: compact part of the raster); bounds the memory the cells of the footprints take.
BATCH_FOOTPRINTS = 50_000
#: Sorting cells by footprint and value: values clipped to ± this (m) in the sort key.
SORT_CLIP_M = 10_000.0
#: validate(): the DSM − DEM check reads up to SAMPLE_GRID² windows of SAMPLE_CELLS².
SAMPLE_GRID, SAMPLE_CELLS = 8, 128

PROBLEMS = ("outside_raster", "partly_outside_raster", "no_valid_cells", "implausible", "no_building_cells")


@dataclass(frozen=True)
class HeightRaster:
    """Where raster heights come from (an nDSM, or a DSM minus a DEM) and how they are read."""

    ndsm: str | None = None
    dsm: str | None = None
    dem: str | None = None
    statistic: float = 90.0
    """Percentile of the counted cells taken as a building's height (100 = max)."""
    min_coverage: float = 0.5
    """Share of a cell's area that must lie inside the footprint for the cell to count."""
    min_building_height_m: float = 2.0
    """With no buildings layer: cells at least this high (m) are taken as buildings."""
    parcel_top_area_m2: float = 20.0
    """With no buildings layer: a parcel's height is the height that at least this much of
    its building cells (m²) reaches — a chimney is ignored, a small tall building is not."""
    min_plausible_m: float = -1.0
    """Heights below this (m) are not ground noise but wrong data."""
    max_plausible_m: float = 1000.0
    """Heights above this (m) are wrong data (no building is that tall)."""
    max_missing_share: float = 0.05
    """Share of a footprint's area that may lie on nodata cells, and of its counted cells
    that may be below ``min_plausible_m``, before its height is not trusted."""
    role: str = "height"
    """What the raster holds, as named in errors: ``height`` (building heights) or
    ``height-limit`` (allowed tops: no check that the ground is at 0 m)."""

    def __post_init__(self):
        if self.ndsm and (self.dsm or self.dem):
            raise InputError("height_raster_conflict")
        if bool(self.dsm) != bool(self.dem):
            raise InputError("dsm_without_dem")

    @property
    def given(self) -> bool:
        return bool(self.ndsm or self.dsm)

    @property
    def label(self) -> str:
        """The raster(s) as named in messages."""
        return self.ndsm or f"{self.dsm} − {self.dem}"

    def validate(self) -> None:
        """Check the raster(s) before any work; raise :class:`InputError` naming the file.

        Each file must open, have a CRS, one band and a north-up grid; a DEM must overlap
        its DSM, and a sample of DSM − DEM (up to 64 windows of 128 × 128 cells) must not
        lie below the ground (an nDSM given as a DSM). :func:`raster_heights` repeats
        these checks (the last one on every cell it reads).
        """
        if not self.given:
            return
        with ExitStack() as stack:
            cells = _Cells.open(self, stack)
            if cells.ground is not None:
                try:
                    for window in _sample_windows(cells.main):
                        cells.read_window(window.col_off, window.row_off, window.width, window.height)
                except rasterio.errors.RasterioError:
                    if cells.error is None:
                        raise
                    raise cells.error from None
                cells.check_ground()


@dataclass
class RasterHeights:
    """Heights (m) per footprint, and per footprint the problem that left one unknown.

    ``problem`` is None or one of :data:`PROBLEMS`; where it is not None, ``height_m`` is
    NaN. ``warnings`` are :class:`~landtool.messages.Message` objects about the raster.
    """

    height_m: np.ndarray
    problem: np.ndarray
    warnings: list
    covered_m: np.ndarray | None = None
    """The same statistic over the counted cells whatever the problem (NaN without any):
    for a footprint partly outside, a bound on what the covered part shows."""


def _open(path: str, what: str):
    """The raster at ``path`` opened with rasterio; ``what`` (``height``, ``DSM``, ``DEM``,
    ``height-limit``) names its role in the error when it cannot be opened."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)  # _check says it
            return rasterio.open(path)
    except (rasterio.errors.RasterioError, OSError) as exc:
        raise InputError("raster_unreadable", path=str(path), raster_role=what, reason=_first_line(exc)) from None


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _check(ds, path: str, what: str) -> None:
    if ds.crs is None:
        raise InputError("raster_no_crs", path=str(path), raster_role=what)
    if ds.count != 1:
        raise InputError("raster_bands", path=str(path), raster_role=what, bands=ds.count)
    t = ds.transform
    if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:  # exactextract reads north-up grids only
        raise InputError("raster_rotated", path=str(path), raster_role=what)


def _sentinel_mask(raw: np.ndarray) -> np.ndarray:
    """Cells of ``raw`` (as read, before scaling) holding a nodata marker."""
    if raw.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            return ~(np.abs(raw) < SENTINEL_ABS) | (raw <= SENTINEL_MAX)
    info = np.iinfo(raw.dtype)
    bad = raw == info.max
    if info.min <= SENTINEL_MAX:
        bad |= raw <= SENTINEL_MAX
    return bad


def _tally(values: np.ndarray) -> dict:
    """How many times each value occurs (usually a single marker value)."""
    if (values == values[0]).all():
        return {values[0]: values.size}
    return dict(zip(*np.unique(values, return_counts=True), strict=True))


class _Cells(RasterSource):
    """The height cells exactextract reads: nodata and sentinels masked, scale and offset
    applied, the DEM (resampled bilinearly onto the DSM grid, window by window)
    subtracted. Counts what it masks and sees, for the warnings and the ground check."""

    def __init__(self, source: HeightRaster, main, ground=None):
        super().__init__()
        self.source, self.main, self.ground = source, main, ground
        self.path = source.ndsm or source.dsm
        self.role = source.role if source.ndsm else "DSM"
        self.masked = {self.path: Counter(), source.dem: Counter()} if ground is not None else {self.path: Counter()}
        self.valid = self.below = self.near_ground = 0
        self.error: InputError | None = None
        self.same_grid = ground is not None and (ground.crs, ground.transform, ground.shape) == (main.crs, main.transform, main.shape)

    @classmethod
    def open(cls, source: HeightRaster, stack: ExitStack) -> _Cells:
        path, role = source.ndsm or source.dsm, source.role if source.ndsm else "DSM"
        main = stack.enter_context(_open(path, role))
        _check(main, path, role)
        ground = None
        if source.dem:
            ground = stack.enter_context(_open(source.dem, "DEM"))
            _check(ground, source.dem, "DEM")
            dem_box = shapely.box(*transform_bounds(ground.crs, main.crs, *ground.bounds, densify_pts=21))
            if not dem_box.intersects(shapely.box(*main.bounds)) or dem_box.intersection(shapely.box(*main.bounds)).area == 0:
                raise InputError("dem_disjoint", dem=source.dem, dsm=source.dsm)
        return cls(source, main, ground)

    # --- RasterSource -------------------------------------------------------------------
    def res(self):
        return abs(self.main.transform.a), abs(self.main.transform.e)

    def extent(self):
        b = self.main.bounds
        return (b.left, b.bottom, b.right, b.top)

    def srs_wkt(self):
        return self.main.crs.wkt

    def nodata_value(self):
        return None  # read_window gives NaN where there is no data

    def read_window(self, x0, y0, nx, ny):
        if nx <= 0 or ny <= 0:
            return np.zeros((max(ny, 0), max(nx, 0)))
        window = Window(x0, y0, nx, ny)
        values, mask = self._read(self.main, window, self.path, self.role)
        if self.ground is not None:
            floor, floor_mask = self._ground(window)
            values = values - floor
            mask |= floor_mask
        # NaN, not a masked array: exactextract 0.3 (raster-sequential) may ignore masks
        values[mask] = np.nan
        with np.errstate(invalid="ignore"):
            self.valid += values.size - int(np.count_nonzero(mask))
            if self.ground is not None:
                self.below += int(np.count_nonzero(values < self.source.min_plausible_m))
            self.near_ground += int(np.count_nonzero(np.abs(values) <= GROUND_M))
        return values

    # --- reading ------------------------------------------------------------------------
    def _read(self, ds, window: Window, path: str, role: str) -> tuple[np.ndarray, np.ndarray]:
        """Values (float64, scaled) and mask of one window of band 1 of ``ds``.

        A read error (a truncated or corrupt file) is kept as an :class:`InputError`
        naming the file, raised by :func:`_extract` once exactextract has given up.
        """
        try:
            data = ds.read(1, window=window, masked=True)
        except rasterio.errors.RasterioError as exc:
            self.error = InputError("raster_read_failed", path=str(path), raster_role=role, reason=_first_line(exc))
            raise
        raw = np.ma.getdata(data)
        mask = np.ma.getmaskarray(data).copy()
        sentinel = _sentinel_mask(raw) & ~mask
        if sentinel.any():
            self.masked[path].update(_tally(raw[sentinel]))
            mask |= sentinel
        values = raw.astype("float64")
        scale, offset = ds.scales[0], ds.offsets[0]
        if scale != 1.0 or offset != 0.0:
            values = values * scale + offset
        return values, mask

    def _ground(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """The DEM on the DSM cells of ``window``: NaN (masked) where it has no data."""
        dem = self.ground
        if self.same_grid:
            return self._read(dem, window, self.source.dem, "DEM")
        out = np.full((int(window.height), int(window.width)), np.nan)
        bounds = rasterio.windows.bounds(window, self.main.transform)
        if dem.crs != self.main.crs:
            bounds = transform_bounds(self.main.crs, dem.crs, *bounds, densify_pts=21)
        w = from_bounds(*bounds, transform=dem.transform)
        col0, row0 = math.floor(w.col_off) - 2, math.floor(w.row_off) - 2  # bilinear needs the neighbours
        col1, row1 = math.ceil(w.col_off + w.width) + 2, math.ceil(w.row_off + w.height) + 2
        col0, row0, col1, row1 = max(col0, 0), max(row0, 0), min(col1, dem.width), min(row1, dem.height)
        if col1 <= col0 or row1 <= row0:
            return out, np.ones(out.shape, bool)
        src_window = Window(col0, row0, col1 - col0, row1 - row0)
        values, mask = self._read(dem, src_window, self.source.dem, "DEM")
        values[mask] = np.nan
        reproject(
            values,
            out,
            src_transform=dem.window_transform(src_window),
            src_crs=dem.crs,
            src_nodata=np.nan,
            dst_transform=self.main.window_transform(window),
            dst_crs=self.main.crs,
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
        return out, np.isnan(out)

    # --- what was seen ------------------------------------------------------------------
    def check_ground(self) -> None:
        """Raise when DSM − DEM lies below the ground on too many of the cells read."""
        if self.ground is None or self.valid == 0:
            return
        share = self.below / self.valid
        if share > DSM_BELOW_DEM_SHARE:
            raise InputError("dsm_below_dem", dsm=self.source.dsm, dem=self.source.dem, share=share, tolerance_m=-self.source.min_plausible_m)

    def warnings(self) -> list[Message]:
        out = []
        for path, counts in self.masked.items():
            if not counts:
                continue
            ds = self.main if path == self.path else self.ground
            values = [f"{v:g}" for v in sorted(float(v) for v in counts)]
            args = {"raster": path, "values": values}  # no count: chunks of two batches may overlap
            if ds.nodata is None:
                out.append(Message("raster_no_nodata_sentinels", args))
            else:
                out.append(Message("raster_sentinels_masked", {**args, "nodata": f"{ds.nodata:g}"}))
        if self.source.role == "height" and self.valid >= 1000 and self.near_ground / self.valid < NO_GROUND_SHARE:
            code = "raster_no_ground" if self.ground is None else "dsm_dem_no_ground"
            out.append(Message(code, {"raster": self.source.label, "share": self.near_ground / self.valid, "ground_m": GROUND_M}))
        return out


def _sample_windows(ds) -> list[Window]:
    """Windows spread evenly over ``ds``: the whole raster when it is small."""
    if ds.width * ds.height <= (SAMPLE_GRID * SAMPLE_CELLS) ** 2:
        return [Window(0, 0, ds.width, ds.height)]
    cols = np.linspace(0, max(ds.width - SAMPLE_CELLS, 0), SAMPLE_GRID).astype(int)
    rows = np.linspace(0, max(ds.height - SAMPLE_CELLS, 0), SAMPLE_GRID).astype(int)
    return [Window(int(c), int(r), min(SAMPLE_CELLS, ds.width), min(SAMPLE_CELLS, ds.height)) for r in rows for c in cols]


# --- exactextract glue ---------------------------------------------------------------------


class _Footprint(Feature):
    """One footprint for exactextract (WKB geometry and its position), or a result sink."""

    def __init__(self, fid=None, wkb=None, sink=None):
        Feature.__init__(self)
        self.fid, self.wkb, self.sink = fid, wkb, sink

    def geometry(self):
        return self.wkb

    def set_geometry_format(self):
        return "wkb"

    def set_geometry(self, wkb):
        pass

    def get(self, name):
        return self.fid

    def set(self, name, value):
        self.sink[name].append(value)

    def fields(self):
        return ["fid"]


class _Footprints(FeatureSource):
    def __init__(self, geoms: np.ndarray, wkt: str):
        super().__init__()
        self.wkb, self.wkt = shapely.to_wkb(geoms), wkt

    def count(self):
        return len(self.wkb)

    def __iter__(self):
        for fid, wkb in enumerate(self.wkb):
            yield _Footprint(fid, wkb)

    def srs_wkt(self):
        return self.wkt


class _Collect(Writer):
    """Keeps the cell values and coverage fractions of each footprint, nothing else."""

    def __init__(self):
        super().__init__()
        self.out = {"fid": [], "values": [], "coverage": []}

    def write(self, feature):
        feature.copy_to(_Footprint(sink=self.out))

    def features(self):
        return self.out


def _extract(cells: _Cells, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(footprint position, value, coverage fraction) of every valid cell each footprint touches."""
    writer = _Collect()
    try:
        exact_extract(
            cells,
            _Footprints(geoms, cells.srs_wkt()),
            ["values", "coverage"],
            include_cols=["fid"],
            output=writer,
            strategy="raster-sequential",
            max_cells_in_memory=CHUNK_CELLS,
        )
    except Exception:
        if cells.error is not None:
            raise cells.error from None
        raise
    out = writer.out
    lengths = np.fromiter((len(v) for v in out["values"]), dtype=np.int64, count=len(out["values"]))
    fid = np.repeat(np.asarray(out["fid"], dtype=np.int64), lengths)
    if lengths.sum() == 0:
        return fid, np.zeros(0), np.zeros(0)
    return fid, np.concatenate(out["values"]).astype(float), np.concatenate(out["coverage"]).astype(float)


# --- heights -------------------------------------------------------------------------------


def raster_heights(footprints: gpd.GeoSeries, source: HeightRaster, *, min_height_m: float | None = None) -> RasterHeights:
    """Height (m) per footprint from the raster, and the problem where there is none.

    Footprints are transformed to the raster's CRS (without a CRS, they are taken to be
    in it). Per footprint, in this order:

    - ``outside_raster``: it does not overlap the raster;
    - ``no_valid_cells``: no valid cell lies at least ``min_coverage`` inside it;
    - ``implausible``: a counted cell is above ``max_plausible_m``, or more than
      ``max_missing_share`` of them are below ``min_plausible_m``;
    - ``partly_outside_raster``: part of it (more than :data:`OUTSIDE_TOLERANCE` of its
      area) lies outside the raster, or more than ``max_missing_share`` on nodata cells:
      its tallest part could be missed;
    - ``no_building_cells`` (``min_height_m`` given): less than ``parcel_top_area_m2`` of
      its counted cells reach ``min_height_m`` — no building to measure.

    Otherwise its height is the ``statistic`` percentile of the counted cells; with
    ``min_height_m`` (the footprint is a parcel, no buildings layer) the height that at
    least ``parcel_top_area_m2`` of its cells of ``min_height_m`` or more reach (the k-th
    highest such cell), i.e. its tallest building's, a chimney aside.

    Raises :class:`InputError` for a raster that cannot be read, has no CRS or several
    bands, or (DSM − DEM) lies below the ground on more than :data:`DSM_BELOW_DEM_SHARE`
    of the cells read.
    """
    n = len(footprints)
    height = np.full(n, np.nan)
    problem = np.full(n, None, dtype=object)
    if n == 0:
        return RasterHeights(height, problem, [], height.copy())
    with ExitStack() as stack:
        cells = _Cells.open(source, stack)
        crs = cells.main.crs
        geoms = (footprints.to_crs(crs) if footprints.crs is not None else footprints).to_numpy()
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        problem[~present] = "no_valid_cells"
        idx = np.flatnonzero(present)
        if len(idx):
            order = idx[np.argsort(gpd.GeoSeries(geoms[idx], crs=crs).hilbert_distance(), kind="stable")]
            for start in range(0, len(order), BATCH_FOOTPRINTS):
                part = order[start : start + BATCH_FOOTPRINTS]
                height[part], problem[part] = _measure(cells, geoms[part], source, min_height_m)
        cells.check_ground()
        notes = cells.warnings() + coverage_warnings(source, problem)
    covered = height.copy()
    height[pd.notna(problem)] = np.nan  # never a value beside a problem
    return RasterHeights(height, problem, notes, covered)


def _cell_area_m2(ds) -> float:
    """Area of one raster cell in m² (at the raster's centre for a geographic CRS)."""
    t = ds.transform
    if ds.crs.is_geographic:
        lat = math.radians((ds.bounds.top + ds.bounds.bottom) / 2)
        return abs(t.a) * 111_320 * math.cos(lat) * abs(t.e) * 110_574
    factor = ds.crs.linear_units_factor[1] if ds.crs.linear_units_factor else 1.0
    return abs(t.a * t.e) * factor**2


def _measure(cells: _Cells, geoms: np.ndarray, source: HeightRaster, min_height_m: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Heights and problems of one batch of footprints (raster CRS)."""
    n = len(geoms)
    ds = cells.main
    extent = shapely.box(*ds.bounds)
    area = shapely.area(geoms)
    b = shapely.bounds(geoms)
    within = (b[:, 0] >= ds.bounds.left) & (b[:, 1] >= ds.bounds.bottom) & (b[:, 2] <= ds.bounds.right) & (b[:, 3] <= ds.bounds.top)
    outside_share = np.zeros(n)
    edge = ~within & (area > 0)
    outside_share[edge] = 1.0 - shapely.area(shapely.intersection(geoms[edge], extent)) / area[edge]
    point = ~within & (area <= 0)
    outside_share[point] = np.where(shapely.intersects(geoms[point], extent), 0.0, 1.0)
    fid, values, coverage = _extract(cells, geoms)
    cell_area = abs(ds.transform.a * ds.transform.e)
    with np.errstate(invalid="ignore", divide="ignore"):
        missing_share = np.where(area > 0, 1.0 - np.bincount(fid, coverage, n) * cell_area / area, 1.0)
    counted = coverage >= source.min_coverage - 1e-9
    fid, values = fid[counted], values[counted]
    n_counted = np.bincount(fid, minlength=n)
    too_high = np.bincount(fid, values > source.max_plausible_m, n) > 0
    too_low = np.bincount(fid, values < source.min_plausible_m, n) > source.max_missing_share * n_counted
    if min_height_m is None:
        height, enough = _percentile(fid, values, n, source.statistic), np.ones(n, bool)
    else:
        k = max(1, math.ceil(source.parcel_top_area_m2 / _cell_area_m2(ds) - 1e-9))
        tall = values >= min_height_m
        height, enough = _kth_highest(fid[tall], values[tall], n, k)
    problem = np.select(
        [
            outside_share >= 1.0 - 1e-9,
            n_counted == 0,
            too_high | too_low,
            (outside_share > OUTSIDE_TOLERANCE) | (missing_share > source.max_missing_share + 1e-9),
            ~enough,
        ],
        ["outside_raster", "no_valid_cells", "implausible", "partly_outside_raster", "no_building_cells"],
        default="",
    ).astype(object)
    problem[problem == ""] = None
    return height, problem


def _sorted_groups(fid: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``values`` sorted within each footprint, each footprint's first position and count.

    One sort of ``fid × span + value`` (a lexsort is ten times slower). For the key only,
    values are clipped to ±:data:`SORT_CLIP_M` — beyond, a footprint is implausible and
    has no height — so the key resolves values to about 1e-9 × span × n m (< 1e-6 m).
    """
    if len(values) == 0:
        return values, np.zeros(n, np.int64), np.zeros(n, np.int64)
    lo = max(float(values.min()), -SORT_CLIP_M)
    hi = min(float(values.max()), SORT_CLIP_M)
    order = np.argsort(fid * (hi - lo + 1.0) + (np.clip(values, lo, hi) - lo))
    counts = np.bincount(fid, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return values[order], starts, counts


def _percentile(fid: np.ndarray, values: np.ndarray, n: int, q: float) -> np.ndarray:
    """The ``q`` percentile (0–100, linear interpolation as numpy's) of each footprint's values."""
    ordered, starts, counts = _sorted_groups(fid, values, n)
    out = np.full(n, np.nan)
    has = counts > 0
    pos = (q / 100.0) * (counts[has] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, counts[has] - 1)
    a, b = ordered[starts[has] + lo], ordered[starts[has] + hi]
    out[has] = a + (pos - lo) * (b - a)
    return out


def _kth_highest(fid: np.ndarray, values: np.ndarray, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each footprint's k-th highest value, and whether it has k values at all."""
    ordered, starts, counts = _sorted_groups(fid, values, n)
    enough = counts >= k
    out = np.full(n, np.nan)
    out[enough] = ordered[starts[enough] + counts[enough] - k]
    return out, enough


def coverage_warnings(source: HeightRaster, problem: np.ndarray) -> list[Message]:
    """One warning when the raster misses some (or all) of the footprints: outside it, partly
    outside or on nodata, or with no valid cell at all under them."""
    total = len(problem)
    outside = int(np.count_nonzero(problem == "outside_raster"))
    partly = int(np.count_nonzero(problem == "partly_outside_raster"))
    empty = int(np.count_nonzero(problem == "no_valid_cells"))
    if total and outside == total:
        return [Message("raster_covers_none", {"raster": source.label, "total": total})]
    if outside or partly or empty:
        covered = total - outside - partly - empty
        return [Message("raster_covers_part", {"raster": source.label, "covered": covered, "total": total, "outside": outside, "partly": partly, "empty": empty})]
    return []


def building_heights(buildings: gpd.GeoDataFrame, source: HeightRaster | None) -> tuple[pd.DataFrame, list[Message]]:
    """Each building's height (m), where it came from, and why it is unknown.

    Returns a frame indexed like ``buildings`` with ``height_m``, ``height_source``
    (``buildings`` for the attribute, ``raster``, or None) and ``height_problem`` (None
    or a :func:`raster_heights` problem code), and the raster's warnings.
    """
    notes: list[Message] = []
    given = buildings["height_m"] if "height_m" in buildings else pd.Series(np.nan, index=buildings.index)
    height = given.astype(float).copy()
    origin = pd.Series(np.where(height.notna(), "buildings", None), index=buildings.index, dtype=object)
    missing = height.isna().to_numpy()
    problem = pd.Series(np.full(len(buildings), None, dtype=object), index=buildings.index, dtype=object)
    if source is not None and source.given and missing.any():
        found = raster_heights(buildings.geometry[missing], source)
        height[missing] = found.height_m
        origin[missing] = np.where(np.isnan(found.height_m), None, "raster")
        problem[missing] = found.problem
        notes = found.warnings
    return pd.DataFrame({"height_m": height, "height_source": origin, "height_problem": problem}), notes
