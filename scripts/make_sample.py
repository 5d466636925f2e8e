#!/usr/bin/env python3
"""Generate landtool's bundled sample: a synthetic industrial district near 天台 (Tiantai).

    python scripts/make_sample.py [--out data]

Deterministic (numpy ``default_rng(20220220)``; GeoPackage timestamps pinned through
``OGR_CURRENT_DATE``), so re-running it reproduces the committed files. Everything is in
EPSG:4549 (CGCS2000 / 3-degree Gauss-Krüger CM 120°E); the district's south-west corner is
placed so that its centre falls on 121.03°E 29.14°N (computed with pyproj).

Writes parcels.gpkg, buildings.gpkg, zones.gpkg, facility_land.gpkg, ndsm.tif,
split_plan.gpkg, merge_plan.csv, fringe.gpkg, expected_tiantai.csv and README.md.
The designed pass/fail cases (README.md, expected_tiantai.csv) are computed from the
generated geometry, so they always match the files.

All names of enterprises are fictitious.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import rasterio
import shapely
from pyproj import Transformer
from rasterio.features import rasterize
from rasterio.transform import from_origin
from shapely import affinity
from shapely.geometry import LineString, MultiLineString, Point, Polygon, box
from shapely.ops import split as shp_split

SEED = 20220220
MU = 10000 / 15  # m² per mu, exactly
CRS = "EPSG:4549"
CENTER_LONLAT = (121.03, 29.14)
W, H = 2000, 1500  # district extent, m
COUNTY = "331023"  # 天台县
MIN_AREA = 2 * MU  # smallest enterprise parcel
AS_OF = dt.date(2023, 6, 30)  # the date the README's remaining terms refer to

# Road grid (local metres from the south-west corner): centre line, width.
NS_ROADS = [(400, 24), (820, 40), (1240, 24), (1630, 20)]
EW_ROADS = [(380, 24), (780, 36), (1140, 20)]
COLS = [(12, 388), (412, 800), (840, 1228), (1252, 1620), (1640, 1988)]
ROWS = [(12, 368), (392, 762), (798, 1130), (1150, 1488)]

# Parcel grain per block (col, row): the stop size of the recursive split, in mu.
GRAIN = {
    (0, 0): (5, 18), (1, 0): (5, 20), (2, 0): (4, 14), (3, 0): (8, 30), (4, 0): (6, 20),
    (0, 1): (3, 12), (1, 1): (5, 18), (2, 1): (30, 80),
    (0, 2): (4, 15), (1, 2): (5, 18), (3, 2): (22, 70), (4, 2): (6, 22),
    (0, 3): (4, 14), (1, 3): (4, 16), (2, 3): (6, 25), (3, 3): (40, 110), (4, 3): (6, 26),
}
P50_TOP = 798 + math.ceil(50 * MU / 376 * 1e6) / 1e6  # 376 m wide, 50 mu at 0.01 m² (on the 1 µm grid)
FIXED = {  # designed parcels carved out of a block before it is subdivided (local boxes)
    (0, 2): [("P50", (12, 798, 388, P50_TOP)), ("P3MU", (12, 1080, 52, 1130))],
    (1, 3): [("A80", (412, 1150, 652, 1370))],
    (2, 0): [("C54", (840, 12, 1040, 192)), ("NL51", (1040, 12, 1228, 192))],
    (1, 2): [("HZ", (412, 950, 512, 1050))],
    (2, 3): [("IND2023", (840, 1150, 900, 1200)), ("COM2023", (900, 1150, 1040, 1200))],
}
# Hand-laid blocks: every parcel is given.
HAND = {
    (2, 2): [  # the merge grid: 4 × 3 standard plots with cross junctions
        (f"G{c}{r}", (u0, v0, u1, v1))
        for c, (u0, u1) in enumerate(zip([840, 940, 1030, 1130], [940, 1030, 1130, 1228], strict=True))
        for r, (v0, v1) in enumerate(zip([798, 908, 1018], [908, 1018, 1130], strict=True))
    ],
    (3, 1): [  # fringe block A
        ("H1", (1252, 392, 1492, 560)), ("V1", (1492, 392, 1620, 560)),
        ("H4", (1252, 560, 1432, 762)), ("V2", (1432, 560, 1480, 762)), ("H5", (1480, 560, 1620, 762)),
    ],
    (4, 1): [  # fringe block B
        ("H7", (1640, 392, 1830, 572)), ("V3", (1830, 392, 1988, 572)),
        ("H2", (1640, 572, 1740, 762)), ("V4", (1740, 572, 1756, 762)), ("H3", (1756, 572, 1800, 762)),
        ("V5", (1800, 572, 1814, 762)), ("H6", (1814, 572, 1988, 762)),
    ],
}
VACANT_FIXED = {"V1": "储备地", "V2": "空闲地", "V3": "储备地", "V4": "空闲地", "V5": "空闲地"}

# Parcel fields: canonical name → Chinese label (SCHEMA.md aliases), arrow type.
PARCEL_FIELDS = [
    ("parcel_id", "宗地代码", "str"), ("owner", "权利人", "str"), ("land_use", "土地用途", "str"),
    ("ownership", "权属性质", "str"), ("right_type", "使用权类型", "str"),
    ("registered_area_m2", "证载面积", "f8"), ("term_end", "终止日期", "date"),
    ("contract_far", "出让合同约定容积率", "f8"), ("plan_far_max", "规划容积率上限", "f8"),
    ("plan_height_max_m", "规划建筑限高", "f8"), ("plan_density_max", "规划建筑密度上限", "f8"),
    ("industry_far", "行业容积率标准", "f8"), ("gfa_m2", "总建筑面积", "f8"),
    ("gfa_before_m2", "技改前建筑面积", "f8"), ("gfa_after_m2", "技改后建筑面积", "f8"),
    ("renovation_gfa_m2", "技改建筑面积", "f8"), ("height_m", "建筑高度", "f8"),
    ("grade", "亩均评价等级", "str"), ("tax_10k", "税收（万元）", "f8"),
    ("tax_prev_10k", "上年税收（万元）", "f8"), ("revenue_10k", "营业收入（万元）", "f8"),
    ("value_added_10k", "增加值（万元）", "f8"), ("investment_10k", "总投资（万元）", "f8"),
    ("investment_share", "开发投资比例", "f8"), ("supply_date", "出让日期", "date"),
    ("leased_new_m2", "新增租赁厂房面积", "f8"), ("above_scale", "规上企业", "bool"),
    ("in_production", "已竣工投产", "bool"), ("standard_land", "标准地", "bool"),
    ("from_split", "分割形成", "bool"), ("from_merge", "合并形成", "bool"),
    ("from_fringe", "零星地块出让", "bool"), ("industrial_real_estate", "工业地产", "bool"),
    ("leading_enterprise", "龙头骨干企业", "bool"),
]
BUILDING_FIELDS = [
    ("building_id", "幢号", "str"), ("parcel_id", "宗地代码", "str"), ("floors", "层数", "i4"),
    ("height_m", "建筑高度", "f8"), ("gfa_m2", "建筑面积", "f8"), ("use", "用途", "str"),
    ("is_new", "技改新增", "bool"), ("self_use", "自有自用", "bool"),
]

# Fictitious trade names (字号) and the district's industries (with their FAR benchmark).
TRADE_NAMES = (
    "华丰 永强 恒通 金鼎 宏达 天和 三友 双峰 明珠 赤城 始丰 琼台 寒山 石梁 华顶 和合 飞龙 新光 东方 合力 "
    "精工 鑫源 瑞丰 泰和 永盛 大成 宏昌 凯达 远航 力拓 博盛 中元 德尔 嘉诚 汇通 信达 振华 联丰 立新 百川 "
    "恒远 富强 天成 宇航 亿利 旭日 金马 同创 海天 建业 安泰 兴隆 昌盛 鸿运 金桥 丰源 永信 创新 中意 欧亚 "
    "龙腾 三和 天润 华宇 高新 明达 科尔 达利 亚美 东泰 利民 新亚 永丰 众合 天越 康达 九鼎 宏宇 天鸿 盛达 "
    "荣达 协和 新源 裕丰 润泽 金帆 广信 伟业 世纪 华盛 群力 中天 金盾 星火 恒达 天顺 鼎力 卓越 瑞达 海纳 "
    "丰华 诚信 立达 天宏 嘉利 宏盛 通达 锦华 兆丰 聚力 合众 腾飞 驰宇 申达 晟华 坤宇 泓泰 沃德 凯丰 益民 "
    "屯桥 平桥 白鹤 街头 坦头 三合 洪畴 雷峰 南屏 龙溪 泳溪 福溪 苍山 螺溪 赤诚 桐柏 天皇 万年 紫凝 清溪 "
    "国祥 银峰 金乔 博远 开元 永福 长盛 顺达 茂源 恒晟 天工 华锐 精达 和丰 明远 嘉禾 泰丰 荣昌 鼎盛 佳源 "
    "宏伟 永安 德信 华瑞 金诚 恒丰 东升 正阳 天力 华美 中汇 益达 达成 新华 宝丰 晨阳 万通 金辉 立丰 鑫达 "
    "协力 丰收 华强 兴达 恒信 奥达 欣荣 润丰 天元 瑞祥"
).split()
INDUSTRIES = [  # (industry, name pattern, weight, industry FAR benchmark)
    ("汽车零部件", "{z}汽车零部件有限公司", 0.18, 1.2), ("橡胶制品", "{z}橡胶制品有限公司", 0.12, 1.0),
    ("输送带", "{z}输送带有限公司", 0.05, 1.0), ("过滤材料", "{z}过滤材料有限公司", 0.10, 1.2),
    ("机械", "{z}机械有限公司", 0.15, 1.2), ("机电", "{z}机电有限公司", 0.05, 1.2),
    ("汽车用品", "{z}汽车用品有限公司", 0.06, 1.2), ("医药化工", "{z}医药化工有限公司", 0.04, 1.0),
    ("工艺品", "{z}工艺品有限公司", 0.05, 1.2), ("塑料制品", "{z}塑业有限公司", 0.06, 1.2),
    ("五金", "{z}五金制品有限公司", 0.05, 1.3), ("新材料", "{z}新材料科技有限公司", 0.05, 1.2),
    ("环保设备", "{z}环保设备有限公司", 0.04, 1.2),
]


# --------------------------------------------------------------------------- geometry helpers


def chaikin(points, n=4):
    """Chaikin corner cutting: a smooth polyline through the control points."""
    pts = np.asarray(points, float)
    for _ in range(n):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        new = np.empty((2 * len(q), 2))
        new[0::2], new[1::2] = q, r
        pts = np.vstack([pts[:1], new, pts[-1:]])
    return pts


def polys_of(geom):
    return [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]


def split_polys(poly, lines):
    splitter = lines[0] if len(lines) == 1 else MultiLineString([list(ln.coords) for ln in lines])
    return [g for g in shp_split(poly, splitter).geoms if g.geom_type == "Polygon"]


def frame_angle(poly) -> float:
    """Direction (degrees) of the long side of the minimum rotated rectangle, snapped to axes."""
    c = np.asarray(shapely.oriented_envelope(poly).exterior.coords)
    e0, e1 = c[1] - c[0], c[2] - c[1]
    v = e0 if np.hypot(*e0) >= np.hypot(*e1) else e1
    ang = (math.degrees(math.atan2(v[1], v[0])) + 90) % 180 - 90
    for a in (-90.0, 0.0, 90.0):
        if abs(ang - a) < 1e-6:
            return a
    return ang


@dataclass
class Frame:
    """A local frame whose x axis runs along a polygon's long side."""

    angle: float
    origin: tuple[float, float]

    @classmethod
    def of(cls, poly, angle=None):
        c = poly.centroid
        return cls(frame_angle(poly) if angle is None else angle, (c.x, c.y))

    def to(self, g):
        return affinity.rotate(g, -self.angle, origin=self.origin) if self.angle else g

    def back(self, g):
        return affinity.rotate(g, self.angle, origin=self.origin) if self.angle else g


def bisect(fn, lo, hi, target, tol=1e-10, it=200):
    """x in [lo, hi] with fn(x) = target, fn increasing."""
    for _ in range(it):
        mid = (lo + hi) / 2
        if fn(mid) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < tol:
            break
    return (lo + hi) / 2


def is_rect(g) -> bool:
    minx, miny, maxx, maxy = g.bounds
    return abs(g.area - (maxx - minx) * (maxy - miny)) < 1e-6


def shared_length(a, b) -> float:
    inter = a.boundary.intersection(b.boundary)
    return float(shapely.length(inter)) if not inter.is_empty else 0.0


def longest_shared_line(a, b):
    inter = shapely.line_merge(shapely.union_all([g for g in shapely.get_parts(a.boundary.intersection(b.boundary)) if g.geom_type == "LineString"]))
    parts = [g for g in shapely.get_parts(inter) if g.geom_type == "LineString"]
    return max(parts, key=lambda g: g.length) if parts else None


# --------------------------------------------------------------------------- the sample


@dataclass
class Parcel:
    geom: Polygon
    kind: str  # random | fixed | hand | strip | sliver
    block: tuple[int, int]
    name: str | None = None
    role: str | None = None
    a: dict = field(default_factory=dict)  # canonical attributes


@dataclass
class Building:
    geom: Polygon
    use: str
    floors: int
    height: float  # true height (m): the raster's roof
    parcel: int  # index of the parcel it was made for (-1: none)
    height_attr: bool = True
    gfa_attr: float | None = None
    code_attr: bool = True
    is_new: bool = False
    self_use: bool = True
    tag: str = ""


class Sample:
    def __init__(self):
        self.rng = np.random.default_rng(SEED)
        t = Transformer.from_crs("EPSG:4490", CRS, always_xy=True)
        cx, cy = t.transform(*CENTER_LONLAT)
        self.x0, self.y0 = float(round(cx - W / 2)), float(round(cy - H / 2))
        self.parcels: list[Parcel] = []
        self.buildings: list[Building] = []
        self.facility: list[dict] = []
        self.roles: dict[str, int] = {}
        self.notes: dict[str, str] = {}
        self.split_plans: list[dict] = []
        self.merge_rows: list[dict] = []
        self.fringe_rows: list[dict] = []
        self.expected: list[dict] = []
        self.dq: dict[str, list] = {}
        self.trees: list[tuple] = []

    # ------------------------------------------------------------------ helpers
    def B(self, u0, v0, u1, v1):
        return box(self.x0 + u0, self.y0 + v0, self.x0 + u1, self.y0 + v1)

    def L(self, g):
        return affinity.translate(g, self.x0, self.y0)

    def col_row(self, pt):
        u, v = pt.x - self.x0, pt.y - self.y0
        c = next((i for i, (a, b) in enumerate(COLS) if a - 1 <= u <= b + 1), None)
        r = next((i for i, (a, b) in enumerate(ROWS) if a - 1 <= v <= b + 1), None)
        return c, r

    # ------------------------------------------------------------------ 1. the district
    def layout(self):
        gaps = []
        for c, w in NS_ROADS:
            gaps.append(self.B(c - w / 2, -100, c + w / 2, H + 100))
        for c, w in EW_ROADS:
            gaps.append(self.B(-100, c - w / 2, W + 100, c + w / 2))
        self.diag = self.L(LineString([(1240, 780), (2140, 1410)]))
        gaps.append(self.diag.buffer(10, cap_style="flat"))
        river_pts = chaikin([(-80, 610), (120, 645), (260, 600), (400, 560), (560, 528), (670, 455),
                             (735, 380), (765, 250), (758, 120), (790, -80)])
        self.river = self.L(LineString(river_pts))
        gaps.append(self.river.buffer(25))  # 30 m of water and 10 m of green on each side
        th = np.radians(np.linspace(-96, 6, 80))
        self.arc_road = self.L(LineString(np.c_[12 + 230 * np.cos(th), 1488 + 230 * np.sin(th)]))
        gaps.append(self.arc_road.buffer(8, cap_style="flat"))
        self.gaps = shapely.union_all(gaps)
        developable = self.B(12, 12, W - 12, H - 12)
        blocks = polys_of(developable.difference(self.gaps))
        self.blocks = []
        for g in sorted(blocks, key=lambda g: (round(g.centroid.y, 3), round(g.centroid.x, 3))):
            c, r = self.col_row(g.representative_point())
            self.blocks.append(((c, r), g))

    def subdivide_all(self):
        leaves = []
        for (c, r), block in self.blocks:
            frontage = block.boundary
            if block.area < 150:
                continue
            if block.area < MIN_AREA:
                leaves.append(Parcel(block, "sliver", (c, r)))
                continue
            if (c, r) in HAND:
                pieces = [(n, self.B(*bx)) for n, bx in HAND[(c, r)]]
                assert abs(sum(p.area for _, p in pieces) - block.area) < 1e-3, (c, r)
                leaves += [Parcel(p, "hand", (c, r), name=n) for n, p in pieces]
                continue
            rest = block
            for n, bx in FIXED.get((c, r), []):
                p = self.B(*bx)
                assert p.difference(block).area < 1e-6, n
                leaves.append(Parcel(p, "fixed", (c, r), name=n))
                rest = rest.difference(p)
            for part in polys_of(rest):
                out = []
                self.subdivide(part, frontage, GRAIN[(c, r)], out)
                for g, kind in out:
                    if g.area < 150:
                        continue
                    if kind == "piece":
                        kind = "random"
                    if kind == "random" and g.area < MIN_AREA:
                        kind = "sliver"
                    leaves.append(Parcel(g, kind, (c, r)))
        self.parcels = leaves

    def subdivide(self, poly, frontage, grain, out, depth=0):
        lo, hi = grain
        thr = self.rng.uniform(lo, hi) * MU
        if poly.area <= thr or poly.area < 2.2 * MIN_AREA or depth > 12:
            out.append((poly, "random"))
            return
        minx, miny, maxx, maxy = poly.bounds
        axes = ["x", "y"] if (maxx - minx) >= (maxy - miny) else ["y", "x"]
        for axis in axes:
            parts = self._try_cut(poly, axis, frontage)
            if parts:
                for g, kind in parts:
                    if kind == "strip":
                        out.append((g, "strip"))
                    else:
                        self.subdivide(g, frontage, grain, out, depth + 1)
                return
        out.append((poly, "random"))

    def _cut_line(self, poly, axis, pos, slant=0.0):
        minx, miny, maxx, maxy = poly.bounds
        if axis == "x":
            line, mid = LineString([(pos, miny - 80), (pos, maxy + 80)]), (pos, (miny + maxy) / 2)
        else:
            line, mid = LineString([(minx - 80, pos), (maxx + 80, pos)]), ((minx + maxx) / 2, pos)
        return affinity.rotate(line, slant, origin=mid) if slant else line

    def _arc_line(self, poly, axis, pos):
        minx, miny, maxx, maxy = poly.bounds
        span = (maxy - miny) if axis == "x" else (maxx - minx)
        radius = span * self.rng.uniform(0.9, 1.6) + 40
        sgn = 1 if self.rng.random() < 0.5 else -1
        half = math.asin(min(0.999, (span / 2 + 40) / radius))
        th = np.linspace(-half, half, 48)
        if axis == "x":
            cx, cy = pos + sgn * radius, (miny + maxy) / 2
            pts = np.c_[cx - sgn * radius * np.cos(th), cy + radius * np.sin(th)]
        else:
            cx, cy = (minx + maxx) / 2, pos + sgn * radius
            pts = np.c_[cx + radius * np.sin(th), cy - sgn * radius * np.cos(th)]
        return LineString(pts)

    def _try_cut(self, poly, axis, frontage):
        rng = self.rng
        minx, miny, maxx, maxy = poly.bounds
        lo, hi = (minx, maxx) if axis == "x" else (miny, maxy)
        ext, span = hi - lo, (maxy - miny) if axis == "x" else (maxx - minx)
        r = rng.random()
        for _ in range(4):
            pos = float(round(lo + rng.uniform(0.33, 0.67) * ext))
            strip = None
            if r < 0.12 and ext > 120 and 30 <= span <= 150:
                w = float(np.clip(round(rng.uniform(1.3, 2.7) * MU / span), 10, 40))
                lines = [self._cut_line(poly, axis, pos), self._cut_line(poly, axis, pos + w)]
                strip = (pos, pos + w)
            elif r < 0.17:
                lines = [self._cut_line(poly, axis, pos, slant=float(rng.choice([-1, 1]) * rng.uniform(5, 15)))]
            elif r < 0.20 and poly.area > 25 * MU:
                lines = [self._arc_line(poly, axis, pos)]
            else:
                lines = [self._cut_line(poly, axis, pos)]
            parts = split_polys(poly, lines)
            if len(parts) != (3 if strip else 2):
                continue
            res, ok = [], True
            for g in parts:
                cv = g.centroid.x if axis == "x" else g.centroid.y
                in_strip = strip is not None and strip[0] < cv < strip[1]
                front = g.boundary.intersection(frontage).length
                if g.area < (0.9 * MU if in_strip else MIN_AREA) or front < (8 if in_strip else 15):
                    ok = False
                    break
                if not in_strip:  # no unrealistically thin plots
                    env = np.asarray(shapely.oriented_envelope(g).exterior.coords)
                    s1, s2 = sorted((np.hypot(*(env[1] - env[0])), np.hypot(*(env[2] - env[1]))))
                    if s1 < 24 or s2 / s1 > 5:
                        ok = False
                        break
                res.append((g, "strip" if in_strip else "piece"))
            if ok and (strip is None or sum(k == "strip" for _, k in res) == 1):
                return res
        return None

    def node_coverage(self):
        """Re-derive every parcel from the noded linework: neighbours share vertices exactly."""
        geoms = np.array([p.geom for p in self.parcels], dtype=object)
        # Snap-rounding on a 1 µm grid nodes the T-junctions that floating-point cuts leave
        # (integer-metre vertices are kept exactly).
        noded = shapely.union_all(shapely.boundary(geoms), grid_size=1e-6)
        faces = np.array(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))), dtype=object)
        tiny = shapely.area(faces) < 0.01
        self.tiny_faces = int(tiny.sum())
        faces = faces[~tiny]
        tree = shapely.STRtree(geoms)
        f_idx, p_idx = tree.query(shapely.point_on_surface(faces), predicate="within")
        assert len(set(p_idx)) == len(p_idx) == len(geoms), (len(p_idx), len(geoms), len(faces))
        for f, p in zip(f_idx, p_idx, strict=True):
            assert abs(faces[f].area - geoms[p].area) < 1e-3, (faces[f].area, geoms[p].area)
            self.parcels[p].geom = faces[f]
        self.unmatched_faces = len(faces) - len(f_idx)

    def merge_l_shapes(self, n=14):
        """Union some pairs of neighbours into L-shaped / stepped parcels."""
        rng = self.rng
        done = 0
        for _ in range(400):
            if done >= n:
                break
            cand = [i for i, p in enumerate(self.parcels) if p.kind == "random" and 3 * MU <= p.geom.area <= 30 * MU]
            i = cand[rng.integers(len(cand))]
            gi = self.parcels[i].geom
            nb = [j for j in self._touching(i) if self.parcels[j].kind == "random" and shared_length(gi, self.parcels[j].geom) >= 20]
            rng.shuffle(nb)
            for j in nb:
                u = shapely.union_all([gi, self.parcels[j].geom])
                if u.geom_type != "Polygon" or u.area > 60 * MU or len(u.interiors):
                    continue
                if u.area / u.convex_hull.area > 0.9:
                    continue
                self.parcels[i].geom = shapely.normalize(u)
                self.parcels[i].kind = "random"
                del self.parcels[j]
                done += 1
                break
        self.l_merges = done

    def _touching(self, i):
        g = self.parcels[i].geom
        return [j for j, p in enumerate(self.parcels) if j != i and p.geom.intersects(g)]

    # ------------------------------------------------------------------ 2. context
    def zones(self):
        Z = []
        dev = Polygon([(820, 380), (820, 1500), (2000, 1500), (2000, 0), (1240, 0), (1240, 380)])
        Z.append(("Z01", "天台经济开发区", "development_zone", None, self.L(dev)))
        Z.append(("Z02", "天台县创业创新园", "development_zone", None, self.B(0, 1140, 400, 1500)))
        ctl = Polygon([(0, 380), (0, 1500), (2000, 1500), (2000, 0), (820, 0), (820, 380)])
        Z.append(("Z03", "工业用地控制线", "control_line", None, self.L(ctl)))
        Z.append(("Z04", "规划调整为居住用地（西南片区）", "non_industrial_plan", None, self.B(0, 0, 820, 380)))
        Z.append(("Z05", "近期征收拆迁计划（西南地块）", "expropriation_plan", None, self.B(0, 0, 400, 380)))
        Z.append(("Z06", "近期搬迁改造区块（东南地块）", "relocation_plan", None, self.B(1630, 0, 2000, 380)))
        Z.append(("Z07", "文物保护建设控制地带（限高30米）", "height_limit", 30.0, self.L(Point(560, 1000).buffer(180, 64))))
        self.zone_rows = Z
        self.z = {zid: g for zid, _, _, _, g in Z}

    def context(self):
        """Per-parcel flags the role selection needs."""
        for p in self.parcels:
            g = p.geom
            pt = g.point_on_surface()
            minx, miny, maxx, maxy = g.bounds
            p.area = g.area
            p.mu = g.area / MU
            self.orig_area[self.parcels.index(p)] = g.area
            p.rect = is_rect(g)
            p.int_area = abs(g.area - round(g.area)) < 1e-6
            p.even_area = p.int_area and round(g.area) % 2 == 0
            p.min_dim = min(maxx - minx, maxy - miny)
            p.in_z01 = self.z["Z01"].contains(pt)
            p.in_z02 = self.z["Z02"].contains(pt)
            p.in_park = p.in_z01 or p.in_z02
            p.nonind = self.z["Z04"].contains(pt)
            p.expro = self.z["Z05"].contains(pt)
            p.reloc = self.z["Z06"].contains(pt)
            p.hlimit = self.z["Z07"].intersects(g)
            p.outside_clean = not (p.in_park or p.nonind or p.reloc or p.hlimit)
        geoms = np.array([p.geom for p in self.parcels], dtype=object)
        tree = shapely.STRtree(geoms)
        a, b = tree.query(geoms, predicate="intersects")
        self.nb = {i: [] for i in range(len(self.parcels))}
        for i, j in zip(a, b, strict=True):
            if i != j:
                ln = shared_length(geoms[i], geoms[j])
                if ln > 0.5:
                    self.nb[i].append(j)

    # ------------------------------------------------------------------ 3. roles
    def pick(self, role, pred, *, kinds=("random",), check=None):
        cand = [i for i, p in enumerate(self.parcels) if p.role is None and p.kind in kinds and pred(p)]
        order = self.rng.permutation(len(cand))
        for k in order:
            i = cand[k]
            if check is None or check(i):
                self.parcels[i].role = role
                self.roles[role] = i
                return i
        msg = f"no candidate parcel for designed role {role}"
        raise RuntimeError(msg)

    def named(self, name, role):
        i = next(i for i, p in enumerate(self.parcels) if p.name == name)
        self.parcels[i].role = role
        self.roles[role] = i
        return i

    def assign_roles(self):
        P = self.parcels
        # Split parents first: they need large parcels and a feasible cut.
        self.pieces = {}
        self.pick("S1", lambda p: 34 <= p.mu <= 75 and not p.rect and p.geom.area / shapely.oriented_envelope(p.geom).area < 0.985,
                  check=lambda i: self._plan_cuts(i, "S1"))
        for role in ("S2", "S9"):
            self.pick(role, lambda p: 42 <= p.mu <= 110, check=lambda i, r=role: self._plan_cuts(i, r))
        self.pick("S3", lambda p: 21 <= p.mu <= 45, check=lambda i: self._plan_cuts(i, "S3"))
        for role in ("S4", "S5", "S6", "S7", "S8", "S10"):
            self.pick(role, lambda p: 22 <= p.mu <= 60, check=lambda i, r=role: self._plan_cuts(i, r))

        # fringe on a sandwiched strip with a failing renovation
        self._pick_strip_host("F8")
        # Fixed and hand-laid designed parcels.
        for name, role in [("P50", "FAC_LEAD_EXACT50"), ("P3MU", "EFF_SCOPE_3MU"), ("A80", "FAC_LEAD_A80"),
                           ("C54", "FAC_LEAD_C"), ("NL51", "FAC_BIG_NOTLEAD"), ("HZ", "HEIGHT_ZONE"),
                           ("IND2023", "SUP2023_IND"), ("COM2023", "SUP2023_COM")]:
            self.named(name, role)
        for name in ("H1", "H2", "H3", "H4", "H5", "H6", "H7", "V1", "V2", "V3", "V4", "V5"):
            self.named(name, "FRINGE_" + name)
        for c in range(4):
            for r in range(3):
                self.named(f"G{c}{r}", f"MERGE_G{c}{r}")

        out_rect = lambda lo, hi, md=35: lambda p: p.outside_clean and p.rect and lo <= p.mu <= hi and p.min_dim >= md
        out_exact = lambda lo, hi, md=35: lambda p: out_rect(lo, hi, md)(p) and p.int_area
        out_any = lambda lo, hi: lambda p: p.outside_clean and lo <= p.mu <= hi
        in_rect = lambda lo, hi: lambda p: p.in_z01 and not p.reloc and p.rect and lo <= p.mu <= hi and p.min_dim >= 60
        # exact-at-limit parcels first (they need an even integer area)
        for role in ("FAR_OUT_EXACT", "FAR_PLAN_EXACT", "FAC_OUT_7"):
            self.pick(role, out_exact(6, 40))
        self.pick("DENS_EXACT", out_rect(6, 40, 36))
        self.pick("FAC_IN_15", lambda p: in_rect(6, 45)(p) and p.int_area)
        self.pick("DENS_PASS", out_rect(6, 40, 36))
        self.pick("DENS_FAIL", out_rect(6, 40, 36))
        for role in ("FAR_OUT_LOW", "FAR_OUT_HIGH", "FAR_OUT_BLD_HIGH", "FAR_PLAN_PASS", "FAR_PLAN_FAIL",
                     "HEIGHT_OUT_LOW", "HEIGHT_OUT_PARCEL24", "HEIGHT_OUT_BLD24", "HEIGHT_OUT_FAIL",
                     "HEIGHT_OUT_RASTER_FAIL", "HEIGHT_OUT_RASTER_PASS", "HEIGHT_PLAN_PASS",
                     "FAC_OUT_5", "FAC_OUT_9", "FAC_OUT_2POLY"):
            self.pick(role, out_any(5, 40))
        for role in ("FAR_IN_NOPLAN", "FAR_IN_PLAN_PASS", "FAR_IN_PLAN_FAIL", "FAC_IN_12", "FAC_IN_18", "FAC_IN_GFA"):
            self.pick(role, lambda p: p.in_z01 and not p.reloc and 6 <= p.mu <= 45)
        self.pick("FAC_IN_INNOV", lambda p: p.in_z02 and 5 <= p.mu <= 40)
        # per-mu efficiency (single-parcel enterprises; exact ones need an even integer area)
        for role in ("EFF_BIG_EXACT10", "EFF_SMALL_EXACT5"):
            self.pick(role, lambda p: p.even_area and 5 <= p.mu <= 40 and not (p.nonind or p.reloc))
        for role in ("EFF_BIG_LOW", "EFF_BIG_ONEYEAR", "EFF_BIG_HIGH", "EFF_REV_EXACT", "EFF_SMALL_LOW", "EFF_SMALL_PASS"):
            self.pick(role, lambda p: 5 <= p.mu <= 40 and not (p.nonind or p.reloc))
        self.pick("EFF_SMALL_SCALE", lambda p: 2 <= p.mu < 3 and not (p.nonind or p.reloc))
        # a three-parcel enterprise whose parcels each have revenue < 1亿 but sum ≥ 1亿
        self.pick("EFF_MULTI_1", lambda p: 5 <= p.mu <= 30 and not (p.nonind or p.reloc),
                  check=lambda i: len([j for j in self.nb[i] if P[j].role is None and P[j].kind == "random"]) >= 2)
        i = self.roles["EFF_MULTI_1"]
        for k, j in enumerate([j for j in self.nb[i] if P[j].role is None and P[j].kind == "random"][:2]):
            P[j].role = f"EFF_MULTI_{k + 2}"
            self.roles[P[j].role] = j
        for role in ("INV_25000", "INV_10000", "INV_5000", "INV_3000", "INV_2999"):
            self.pick(role, lambda p: 4 <= p.mu <= 40 and not (p.nonind or p.reloc))
        for role, lo, hi in (("VS_PASS", 10, 25), ("VS_CAP", 20, 45), ("VS_SMALL", 10, 25), ("VS_EXACT1000", 8, 20),
                             ("VS_LOWFAR", 10, 25), ("VS_CONTRACT", 10, 25)):
            self.pick(role, lambda p, lo=lo, hi=hi: lo <= p.mu <= hi and not (p.nonind or p.reloc))
        for role in ("RS_PASS", "RS_CAP", "RS_GRADE_C", "RS_INV_EXACT"):
            self.pick(role, lambda p: 4 <= p.mu <= 40 and not (p.nonind or p.reloc))
        self.pick("RET_A", lambda p: p.nonind and not p.expro and p.mu >= 3)
        self.pick("RET_C", lambda p: p.nonind and not p.expro and p.mu >= 3)
        self.pick("RET_EXPRO", lambda p: p.expro and p.mu >= 3)
        self.pick("REN_RELOC", lambda p: p.reloc and p.mu >= 4)
        self.pick("REN_OK", lambda p: p.in_z01 and not p.reloc and p.mu >= 6)
        # land supplied 2021 and 2022 (the 2023 pair is fixed)
        for role in ("SUP2021_IND1", "SUP2021_IND2"):
            self.pick(role, lambda p: p.in_park and 2.5 <= p.mu <= 6)
        for role in ("SUP2021_COM1", "SUP2021_COM2"):
            self.pick(role, lambda p: p.in_z01 and 12 <= p.mu <= 30)
        for k in range(1, 6):
            self.pick(f"SUP2022_IND{k}", lambda p: p.in_z01 and not p.reloc and 10 <= p.mu <= 40)
        self.pick("SUP2022_COM", lambda p: p.in_z01 and 5 <= p.mu <= 15)
        # commercial parcels near the main road and a few vacant reserve parcels
        for k in range(4):
            self.pick(f"COM{k + 1}", lambda p: p.in_z01 and p.block[0] in (2, 3) and 3 <= p.mu <= 25)
        for k in range(5):
            self.pick(f"RESERVE{k + 1}", lambda p: 3 <= p.mu <= 15 and not p.nonind,
                      check=lambda i: sum(P[j].kind == "random" for j in self.nb[i]) >= 2)
        # merge groups beyond the grid
        for role in ("MG6", "MG7"):
            self._pick_pair(role)
        self._pick_across_road("MG8")

    def _pick_pair(self, role):
        P = self.parcels
        i = self.pick(role + "_a", lambda p: 5 <= p.mu <= 40 and not p.nonind,
                      check=lambda i: any(P[j].role is None and P[j].kind == "random" and 5 <= P[j].mu <= 40
                                          and shared_length(P[i].geom, P[j].geom) >= 30 for j in self.nb[i]))
        j = next(j for j in self.nb[i] if P[j].role is None and P[j].kind == "random" and 5 <= P[j].mu <= 40
                 and shared_length(P[i].geom, P[j].geom) >= 30)
        P[j].role = role + "_b"
        self.roles[role + "_b"] = j

    def _pick_across_road(self, role):
        P = self.parcels
        geoms = np.array([p.geom for p in P], dtype=object)
        tree = shapely.STRtree(geoms)

        def partner(i):
            for j in tree.query(P[i].geom.buffer(26)):
                q = P[j]
                if j == i or q.role is not None or q.kind != "random" or q.block == P[i].block or not 5 <= q.mu <= 40:
                    continue
                d = P[i].geom.distance(q.geom)
                line = shapely.shortest_line(P[i].geom, q.geom)
                if 15 <= d <= 26 and line.intersection(self.gaps).length > d - 0.01:
                    return j
            return None

        i = self.pick(role + "_a", lambda p: 5 <= p.mu <= 40 and not p.nonind, check=lambda i: partner(i) is not None)
        j = partner(i)
        P[j].role = role + "_b"
        self.roles[role + "_b"] = j

    def _pick_strip_host(self, role):
        P = self.parcels

        def host_of(s):
            hs = [j for j in self.nb[s] if P[j].role is None and P[j].kind == "random" and P[j].mu >= 5.5 * P[s].mu
                  and shared_length(P[s].geom, P[j].geom) >= 30]
            return hs[0] if hs else None

        s = self.pick(role + "_strip", lambda p: p.mu <= 3, kinds=("strip",), check=lambda s: host_of(s) is not None)
        h = host_of(s)
        P[h].role = role + "_host"
        self.roles[role + "_host"] = h

    # ------------------------------------------------------------------ split plans
    def _cuts_geoms(self, poly, fr, positions):
        minx, miny, maxx, maxy = fr.to(poly).bounds
        return [fr.back(LineString([(a, miny - 50), (a, maxy + 50)])) for a in positions]

    def _area_left(self, poly, fr, a):
        minx, miny, maxx, maxy = fr.to(poly).bounds
        return fr.back(box(minx - 10, miny - 10, a, maxy + 10)).intersection(poly).area

    def _position_for(self, poly, fr, target):
        minx, _, maxx, _ = fr.to(poly).bounds
        return bisect(lambda a: self._area_left(poly, fr, a), minx, maxx, target, tol=1e-11)

    def _plan_cuts(self, i, role):
        """Decide the pieces of a split plan; False when the parcel cannot host it."""
        poly = self.parcels[i].geom
        fr = Frame.of(poly)
        A = poly.area
        if role == "S1":
            targets = [10 * MU, 10 * MU + (A - 10 * MU) * 0.45]
        elif role in ("S2", "S9"):
            targets = [A * k / 4 for k in (1, 2, 3)]
        elif role == "S3":
            targets = [7 * MU]
        else:
            targets = [A * 0.46]
        positions = [self._position_for(poly, fr, t) for t in targets]
        pieces = split_polys(poly, self._cuts_geoms(poly, fr, positions))
        if len(pieces) != len(targets) + 1:
            return False
        pieces.sort(key=lambda g: fr.to(g.centroid).x)
        if any(abs(pc.area - (targets[0] if k == 0 else 0)) > 1e-4 for k, pc in enumerate(pieces[:1])):
            return False
        mins = {"S3": [6.9, 10.5]}.get(role, [10.0] if role == "S1" else [10.5])
        for k, pc in enumerate(pieces):
            need = mins[min(k, len(mins) - 1)]
            if round(pc.area, 2) < round(need * MU, 2) - 1e-9:
                return False
            # each piece must be compact enough to hold buildings
            if pc.area / shapely.oriented_envelope(pc).area < 0.5 or min(np.ptp(np.asarray(fr.to(pc).exterior.coords), axis=0)) < 35:
                return False
        if role == "S1" and abs(round(pieces[0].area, 2) - round(10 * MU, 2)) > 1e-9:
            return False
        self.pieces[role] = dict(parent=i, frame=fr, positions=positions, pieces=pieces)
        return True

    # ------------------------------------------------------------------ 4. land use, owners, attributes
    def land_use(self):
        rng = self.rng
        for p in self.parcels:
            a = p.a
            if p.kind in ("strip", "sliver"):
                a["land_use"] = "空闲地" if rng.random() < 0.75 else "储备地"
            elif p.role is None and p.kind == "random" and p.mu < 3.5 and p.geom.area / shapely.oriented_envelope(p.geom).area < 0.75:
                a["land_use"] = "空闲地"  # an odd-shaped leftover corner (零星边角地)
            elif p.name in VACANT_FIXED:
                a["land_use"] = VACANT_FIXED[p.name]
            elif p.role and (p.role.startswith("COM") or p.role.startswith("SUP20") and "_COM" in p.role):
                a["land_use"] = "商服用地"
            elif p.role and p.role.startswith("RESERVE"):
                a["land_use"] = "储备地"
            else:
                a["land_use"] = "工业用地"
        # some industrial parcels carry the GB/T 21010 code; some are warehouses
        free = [i for i, p in enumerate(self.parcels) if p.role is None and p.a["land_use"] == "工业用地"]
        rng.shuffle(free)
        for i in free[:22]:
            self.parcels[i].a["land_use"] = "仓储用地"
        for i in free[22:70]:
            self.parcels[i].a["land_use"] = "0601"
        for role in ("FAR_OUT_LOW", "EFF_BIG_LOW", "S2", "FAC_IN_12", "MERGE_G00"):
            self.parcels[self.roles[role]].a["land_use"] = "0601"

    def vacant(self, p):
        return p.a["land_use"] in ("空闲地", "储备地")

    def enterprises(self):
        """~120 enterprises, many holding 2–4 neighbouring parcels."""
        rng = self.rng
        P = self.parcels
        names = list(TRADE_NAMES)
        rng.shuffle(names)
        self._names = iter(names)
        self.ents = []
        single = {r for r in self.roles if r.split("_")[0] in ("EFF", "INV", "VS", "RS", "RET", "FAC")
                  and not r.startswith("EFF_MULTI") and not r.startswith("FAC_OUT") and not r.startswith("FAC_IN")}
        single |= {"FAC_LEAD_EXACT50", "FAC_LEAD_A80", "FAC_LEAD_C", "FAC_BIG_NOTLEAD"}
        for role in sorted(single, key=lambda r: self.roles[r]):
            i = self.roles[role]
            if P[i].a["land_use"] == "商服用地":
                continue
            self.new_enterprise([i])
        self.new_enterprise([self.roles[f"EFF_MULTI_{k}"] for k in (1, 2, 3)])
        # commercial owners
        for p in P:
            if p.a["land_use"] == "商服用地":
                z = next(self._names)
                kind = rng.choice(["商贸有限公司", "酒店管理有限公司", "置业有限公司"])
                p.a["owner"] = f"天台县{z}{kind}"
        # clusters of the rest, in block order
        order = sorted((i for i, p in enumerate(P) if "owner" not in p.a and not self.vacant(p)),
                       key=lambda i: (P[i].block[1], P[i].block[0], round(P[i].geom.centroid.x, 1)))
        taken = set()
        logistics = []
        groups = []
        in_order = set(order)
        for i in order:
            if i in taken:
                continue
            if P[i].a["land_use"] == "仓储用地" and len(logistics) < 3 and rng.random() < 0.3:
                logistics.append(i)
                taken.add(i)
                continue
            k = int(rng.choice([1, 2, 3, 4], p=[0.05, 0.25, 0.35, 0.35]))
            group = [i]
            frontier = [i]
            while frontier and len(group) < k:
                j0 = frontier.pop(0)
                for j in self.nb[j0]:
                    if j not in taken and j not in group and j in in_order and P[j].block == P[i].block and len(group) < k:
                        group.append(j)
                        frontier.append(j)
            taken.update(group)
            groups.append(group)
        # a parcel left alone joins a neighbouring group of fewer than four
        where = {i: g for g in groups for i in g}
        for g in [g for g in groups if len(g) == 1]:
            i = g[0]
            hosts = [where[j] for j in self.nb[i] if j in where and where[j] is not g and len(where[j]) < 4]
            if hosts:
                hosts[0].append(i)
                where[i] = hosts[0]
                g.clear()
        for i in logistics:
            self.new_enterprise([i], logistics=True)
        for g in groups:
            if g:
                self.new_enterprise(g)

    def new_enterprise(self, idx, logistics=False):
        rng = self.rng
        z = next(self._names)
        if logistics:
            name, ind, ifar = f"天台县{z}物流有限公司", "物流", None
        else:
            k = rng.choice(len(INDUSTRIES), p=np.array([x[2] for x in INDUSTRIES]) / sum(x[2] for x in INDUSTRIES))
            ind, pattern, _, ifar = INDUSTRIES[k]
            prefix = "浙江" if rng.random() < 0.15 else ("台州" if rng.random() < 0.1 else "天台县")
            name = prefix + pattern.format(z=z)
            if prefix == "浙江" and rng.random() < 0.5:
                name = name.replace("有限公司", "股份有限公司")
        mu = sum(self.parcels[i].geom.area for i in idx) / MU
        grade = str(rng.choice(list("ABCD"), p=[0.18, 0.37, 0.30, 0.15]))
        per_mu = {"A": (30, 60), "B": (15, 30), "C": (6, 15), "D": (1, 6)}[grade]
        tax_mu = rng.uniform(*per_mu)
        e = dict(name=name, industry=ind, industry_far=ifar, parcels=list(idx), mu=mu, grade=None if logistics else grade,
                 tax=tax_mu * mu, tax_prev=tax_mu * rng.uniform(0.8, 1.15) * mu)
        e["revenue"] = e["tax"] * rng.uniform(12, 25)
        e["va"] = e["revenue"] * rng.uniform(0.18, 0.3)
        e["leading"] = grade in "AB" and mu >= 25 and rng.random() < 0.35 and not logistics
        e["investment"] = float(round(rng.uniform(500, 20000), -1)) if rng.random() < 0.2 else None
        e["investment_share"] = None
        e["leased"] = None
        e["exact"] = False
        self.ents.append(e)
        for i in idx:
            self.parcels[i].a["owner"] = name
            self.parcels[i].ent = len(self.ents) - 1
        return e

    def attributes(self):
        rng = self.rng
        for p in self.parcels:
            a = p.a
            lu = a["land_use"]
            a["ownership"] = "国有"
            if self.vacant(p):
                if a.get("owner") is None:
                    a["owner"] = "天台县土地储备中心" if lu == "储备地" else ("天台经济开发区管理委员会" if p.in_park else "天台县赤城街道办事处")
                a["right_type"] = None
                continue
            if lu == "商服用地":
                sd = dt.date(int(rng.integers(2004, 2019)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
                a.update(right_type="出让", supply_date=sd, term_end=sd.replace(year=sd.year + 40) - dt.timedelta(days=1),
                         contract_far=float(rng.choice([2.0, 2.5, 3.0])), in_production=True)
                continue
            year = int(rng.choice(np.arange(1996, 2020), p=self._year_weights()))
            sd = dt.date(year, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
            rt = str(rng.choice(["出让", "划拨", "租赁", "作价出资"], p=[0.86, 0.04, 0.06, 0.04]))
            if p.role is not None and not p.role.startswith("EFF") and not p.role.startswith("INV"):
                rt = "出让"  # designed parcels stay plain unless their case says otherwise
            a["right_type"] = rt
            a["supply_date"] = sd
            a["term_end"] = {"出让": sd.replace(year=sd.year + 50), "作价出资": sd.replace(year=sd.year + 50),
                             "租赁": sd.replace(year=sd.year + 20), "划拨": None}[rt]
            if a["term_end"]:
                a["term_end"] -= dt.timedelta(days=1)
            if rt in ("出让", "作价出资") and (year >= 2008 and rng.random() < 0.75 or rng.random() < 0.2):
                a["contract_far"] = float(rng.choice([1.0, 1.2, 1.5, 1.8, 2.0]))
            if p.in_park and rng.random() < 0.8 or not p.in_park and rng.random() < 0.3:
                a["plan_far_max"] = float(rng.choice([1.5, 2.0, 2.5, 3.0]))
                a["plan_height_max_m"] = float(rng.choice([24, 30, 36, 40, 50]))
                a["plan_density_max"] = float(rng.choice([0.45, 0.5, 0.55, 0.6]))
            e = self.ents[p.ent] if hasattr(p, "ent") else None
            a["industry_far"] = e["industry_far"] if e else None
            a["in_production"] = True
            a["standard_land"] = bool(year >= 2018 and p.in_park and rng.random() < 0.8)
            for flag in ("from_split", "from_merge", "from_fringe", "industrial_real_estate"):
                a[flag] = False
        # collective land in the outskirts (west side)
        west = [i for i, p in enumerate(self.parcels) if p.role is None and not self.vacant(p) and p.a["land_use"] != "商服用地"
                and p.block[0] <= 1 and p.block[1] <= 1]
        self.rng.shuffle(west)
        for i in west[:8]:
            a = self.parcels[i].a
            a["ownership"] = "集体"
            if self.rng.random() < 0.5:
                a["right_type"] = "租赁"
                a["term_end"] = a["supply_date"].replace(year=a["supply_date"].year + 20) - dt.timedelta(days=1)
        # a few origin flags on undesigned parcels
        free = [i for i, p in enumerate(self.parcels) if p.role is None and "from_split" in p.a]
        self.rng.shuffle(free)
        for i in free[:4]:
            self.parcels[i].a["from_split"] = True
        for i in free[4:7]:
            self.parcels[i].a["from_merge"] = True
        for i in free[7:9]:
            self.parcels[i].a["from_fringe"] = True
        for i in free[9:11]:
            self.parcels[i].a["industrial_real_estate"] = True

    @staticmethod
    def _year_weights():
        y = np.arange(1996, 2020)
        w = np.exp(-((y - 2009) / 7.0) ** 2)
        return w / w.sum()

    # ------------------------------------------------------------------ 5. facility land
    def facility_poly(self, i, share, *, corner=True, end="min", frame=None, poly=None):
        """Facility land of ``share`` × the parcel area at one end of the parcel (bisected to 1e-9 m²)."""
        parcel = self.parcels[i].geom
        poly = parcel if poly is None else poly
        fr = frame or Frame.of(parcel)
        P = fr.to(poly)
        minx, miny, maxx, maxy = P.bounds
        depth = maxy - miny
        y1 = miny + 0.55 * depth if corner and depth >= 70 else maxy + 1
        target = share * parcel.area

        def area(t):
            b = box(minx - 1, miny - 1, t, y1) if end == "min" else box(maxx + 1 - t + minx, miny - 1, maxx + 1, y1)
            return b.intersection(P).area

        t = bisect(area, minx, maxx + 1, target, tol=1e-12)
        b = box(minx - 1, miny - 1, t, y1) if end == "min" else box(maxx + 1 - t + minx, miny - 1, maxx + 1, y1)
        g = fr.back(b.intersection(P))
        g = g if g.geom_type == "Polygon" else max(polys_of(g), key=lambda x: x.area)
        return g

    def add_facility(self, i, share, **kw):
        g = self.facility_poly(i, share, **kw)
        self.facility.append(dict(geom=g, parcel=i, share=share))
        return g

    # ------------------------------------------------------------------ 6. buildings
    def floors_height(self, use, in_park, max_h=None):
        rng = self.rng
        if use == "生产":
            fl = int(rng.choice([1, 2, 3, 4, 5, 6], p=[0.15, 0.25, 0.3, 0.2, 0.07, 0.03] if in_park else [0.3, 0.36, 0.25, 0.09, 0, 0]))
            h = rng.uniform(7, 10) if fl == 1 else fl * rng.uniform(4.2, 5.2) + 0.9
        elif use == "仓储":
            fl = int(rng.choice([1, 2], p=[0.6, 0.4]))
            h = rng.uniform(8, 12) if fl == 1 else fl * rng.uniform(4.5, 5.5) + 0.9
        elif use == "行政办公":
            fl = int(rng.integers(3, 7))
            h = fl * 3.8 + 1.2
        elif use == "生活服务":
            fl = int(rng.integers(4, 8))
            h = fl * 3.1 + 1.0
        else:
            fl = 1
            h = rng.uniform(3.5, 5)
        cap = max_h if max_h is not None else (60 if in_park else 23.5)
        while h > cap and fl > 1:
            h = h * (fl - 1) / fl
            fl -= 1
        return fl, round(min(h, cap) if fl == 1 else h, 1)

    def pack_rects(self, region, frame, *, depth=(16, 40), length=(20, 66), gap_x=(8, 14), gap_y=(10, 16), notch=0.12):
        """Footprints packed in rows inside ``region`` (in frame coordinates on return: global)."""
        rng = self.rng
        if region.is_empty or region.area < 60:
            return []
        R = frame.to(region)
        minx, miny, maxx, maxy = R.bounds
        out = []
        y = miny
        while maxy - y >= 10:
            d = min(rng.uniform(*depth), maxy - y)
            x = minx + rng.uniform(0, 3)
            while maxx - x >= 10:
                ln = rng.uniform(*length)
                x1 = min(x + ln, maxx)
                rect = box(x, y, x1, y + d)
                clip = rect.intersection(R)
                parts = polys_of(clip)
                if parts:
                    g = max(parts, key=lambda q: q.area)
                    if g.area >= max(40, 0.6 * rect.area):
                        if abs(g.area - rect.area) < 1e-6 and (x1 - x) >= 40 and d >= 28 and rng.random() < notch:
                            g = rect.difference(box(x1 - 0.45 * (x1 - x), y + 0.5 * d, x1 + 1, y + d + 1))
                        out.append(frame.back(shapely.normalize(g.simplify(0.01))))
                x = x1 + rng.uniform(*gap_x)
            y += d + rng.uniform(*gap_y)
        return out

    def make_buildings(self, i, *, pieces=None, fac=None, density=None, max_h=None, far_target=None, corridor=5.0):
        """Footprints of an ordinary enterprise parcel; returns the Building objects."""
        rng = self.rng
        p = self.parcels[i]
        parcel = p.geom
        fr = Frame.of(parcel)
        lu = p.a["land_use"]
        setback = 5.0 if p.mu < 8 else rng.uniform(6, 9)
        regions = pieces if pieces is not None else [parcel]
        out = []
        for reg in regions:
            inner = reg.buffer(-(corridor if pieces is not None else setback), join_style="mitre")
            inner = inner.intersection(parcel.buffer(-setback, join_style="mitre"))
            if fac is not None:
                inner = inner.difference(fac.buffer(5, join_style="mitre"))
            for g in self.pack_rects(inner, fr):
                out.append(Building(g, "生产", 1, 0.0, i))
        target = density if density is not None else rng.uniform(0.28, 0.48)
        rng.shuffle(out)
        while len(out) > 1 and sum(b.geom.area for b in out) > target * parcel.area:
            out.pop()
        # uses
        out.sort(key=lambda b: -b.geom.area)
        for b in out:
            if b.geom.area < 150:
                b.use = "其他"
            elif lu == "仓储用地" or rng.random() < 0.2:
                b.use = "仓储"
        if lu == "商服用地":
            for b in out:
                b.use = "其他"
        if fac is not None:
            inner = fac.buffer(-3, join_style="mitre")
            offs = self.pack_rects(inner, Frame.of(fac), depth=(12, 18), length=(18, 40), gap_x=(8, 12), gap_y=(8, 12), notch=0)
            offs = sorted(offs, key=lambda g: -g.area)[:2]
            if not offs and self.parcels[i].role and not inner.is_empty:
                env = shapely.oriented_envelope(inner)
                g = affinity.scale(env, 0.7, 0.7, origin=env.centroid).intersection(inner)
                if g.geom_type == "Polygon" and g.area >= 40:
                    offs = [shapely.normalize(g)]
            for k, g in enumerate(offs):
                out.append(Building(g, "行政办公" if k == 0 else "生活服务", 1, 0.0, i))
        elif lu not in ("仓储用地", "商服用地") and rng.random() < 0.6:
            small = [b for b in out if 200 <= b.geom.area <= 1200 and b.use == "生产"]
            if small:
                small[-1].use = "行政办公"
        for b in out:
            b.floors, b.height = self.floors_height(b.use, p.in_park, max_h)
            if lu == "商服用地":
                b.floors = int(rng.integers(3, 9))
                b.height = round(b.floors * 3.9 + 1.0, 1)
        if far_target is not None:
            self.tune_far(out, parcel.area, far_target, max_h or 23.5)
        self.buildings += out
        return out

    def tune_far(self, blds, area, target, max_h):
        """Raise or lower floors of production buildings until FAR is near the target."""
        prod = [b for b in blds if b.use in ("生产", "仓储")]
        for _ in range(200):
            far = sum(b.geom.area * b.floors for b in blds) / area
            if abs(far - target) < 0.05 * target or not prod:
                break
            b = prod[self.rng.integers(len(prod))]
            per = 4.3
            if far < target and (b.floors + 1) * per + 0.9 <= max_h:
                b.floors += 1
            elif far > target and b.floors > 1:
                b.floors -= 1
            b.height = round(b.floors * per + 0.9, 1) if b.floors > 1 else 8.5

    def all_buildings(self):
        P = self.parcels
        skip = {"SUP2023_IND", "SUP2023_COM"}
        fac_of = {}
        for f in self.facility:
            fac_of.setdefault(f["parcel"], []).append(f["geom"])
        for i, p in enumerate(P):
            if self.vacant(p) or p.role in skip or p.role in self.bld_designed:
                continue
            facs = fac_of.get(i)
            fac = shapely.union_all(facs) if facs else None
            if p.role in self.pieces_roles:
                continue
            blds = self.make_buildings(i, fac=fac)
            if p.role and p.role.startswith("SUP2022_IND"):
                for b in blds[1:]:
                    self.buildings.remove(b)  # under construction: one building so far
        for role, info in self.pieces.items():
            self.split_buildings(role, info)
        for fn in self.bld_designed.values():
            fn()

    # ------------------------------------------------------------------ run everything
    def run(self):
        self.layout()
        self.subdivide_all()
        self.node_coverage()
        self.merge_l_shapes()
        self.zones()
        self.context()
        self.assign_roles()
        self.land_use()
        self.enterprises()
        self.attributes()
        self.design()
        self.building_attributes()
        self.data_quality()
        self.codes()
        self.proposals()
        self.registered_areas()


# The designed cases live in a mixin to keep the generator above readable.
class Designed:
    def design(self):
        """Attributes, facility land and building recipes of every designed case."""
        P = self.parcels
        R = self.roles
        rng = self.rng
        self.bld_designed = {}
        self.pieces_roles = set(self.pieces)

        def a(role):
            return P[R[role]].a

        def clear_plan(role):
            for k in ("plan_far_max", "plan_height_max_m", "plan_density_max"):
                a(role)[k] = None

        def full_plan(role, far, h, dens):
            a(role).update(plan_far_max=far, plan_height_max_m=h, plan_density_max=dens)

        # ---- FAR outside the parks (tiantai: 1.1 without planning conditions)
        A = lambda role: P[R[role]].geom.area
        for role in ("FAR_OUT_LOW", "FAR_OUT_EXACT", "FAR_OUT_HIGH", "FAR_OUT_BLD_HIGH"):
            clear_plan(role)
            a(role)["contract_far"] = None
        a("FAR_OUT_EXACT")["gfa_m2"] = round(1.1 * round(A("FAR_OUT_EXACT")), 2)
        a("FAR_OUT_HIGH")["gfa_m2"] = round(1.35 * A("FAR_OUT_HIGH"), 2)
        self.recipe("FAR_OUT_LOW", far_target=0.75, max_h=22, height_attr=True)
        self.recipe("FAR_OUT_EXACT", far_target=1.1, max_h=22, height_attr=True)
        self.recipe("FAR_OUT_HIGH", far_target=1.35, max_h=22, height_attr=True, density=0.42)
        self.recipe("FAR_OUT_BLD_HIGH", far_target=1.6, max_h=23.5, height_attr=True, density=0.5, gfa_attr=0.5)
        full_plan("FAR_PLAN_PASS", 2.0, 30.0, 0.6)
        full_plan("FAR_PLAN_EXACT", 1.5, 30.0, 0.6)
        full_plan("FAR_PLAN_FAIL", 1.2, 30.0, 0.6)
        a("FAR_PLAN_PASS")["gfa_m2"] = round(1.6 * A("FAR_PLAN_PASS"), 2)
        a("FAR_PLAN_EXACT")["gfa_m2"] = round(1.5 * round(A("FAR_PLAN_EXACT")), 2)
        a("FAR_PLAN_FAIL")["gfa_m2"] = round(1.45 * A("FAR_PLAN_FAIL"), 2)
        for role, f in (("FAR_PLAN_PASS", 1.6), ("FAR_PLAN_EXACT", 1.5), ("FAR_PLAN_FAIL", 1.45)):
            self.recipe(role, far_target=f, max_h=22, height_attr=True, density=0.45)
        # ---- FAR inside the development zone
        clear_plan("FAR_IN_NOPLAN")
        full_plan("FAR_IN_PLAN_PASS", 3.0, 40.0, 0.6)
        full_plan("FAR_IN_PLAN_FAIL", 2.0, 40.0, 0.6)
        a("FAR_IN_PLAN_PASS")["gfa_m2"] = round(2.2 * A("FAR_IN_PLAN_PASS"), 2)
        a("FAR_IN_PLAN_FAIL")["gfa_m2"] = round(2.4 * A("FAR_IN_PLAN_FAIL"), 2)
        self.recipe("FAR_IN_PLAN_PASS", far_target=2.2, max_h=36, height_attr=True, density=0.5)
        self.recipe("FAR_IN_PLAN_FAIL", far_target=2.4, max_h=36, height_attr=True, density=0.5)
        # ---- heights outside the parks (24 m without planning conditions)
        for role in ("HEIGHT_OUT_LOW", "HEIGHT_OUT_PARCEL24", "HEIGHT_OUT_BLD24", "HEIGHT_OUT_FAIL",
                     "HEIGHT_OUT_RASTER_FAIL", "HEIGHT_OUT_RASTER_PASS"):
            clear_plan(role)
        self.recipe("HEIGHT_OUT_LOW", max_h=18, height_attr=True)
        a("HEIGHT_OUT_PARCEL24")["height_m"] = 24.0
        self.recipe("HEIGHT_OUT_PARCEL24", max_h=21, height_attr=False)
        self.recipe("HEIGHT_OUT_BLD24", max_h=20, height_attr=True, tallest=(5, 24.0, True))
        self.recipe("HEIGHT_OUT_FAIL", max_h=20, height_attr=True, tallest=(6, 28.8, True))
        self.recipe("HEIGHT_OUT_RASTER_FAIL", max_h=18, height_attr=False, tallest=(6, 27.0, False))
        self.recipe("HEIGHT_OUT_RASTER_PASS", max_h=16, height_attr=False)
        full_plan("HEIGHT_PLAN_PASS", 2.5, 40.0, 0.6)
        self.recipe("HEIGHT_PLAN_PASS", max_h=22, height_attr=True, tallest=(8, 32.0, True))
        full_plan("HEIGHT_ZONE", 2.5, 40.0, 0.6)
        self.recipe("HEIGHT_ZONE", max_h=22, height_attr=True, tallest=(8, 33.0, True))
        # ---- density (planning conditions outside the parks)
        full_plan("DENS_PASS", 2.0, 30.0, 0.6)
        full_plan("DENS_EXACT", 2.0, 30.0, 0.55)
        full_plan("DENS_FAIL", 2.0, 30.0, 0.5)
        self.bld_designed["DENS_PASS"] = lambda: self.density_buildings("DENS_PASS", 0.45)
        self.bld_designed["DENS_EXACT"] = lambda: self.density_buildings("DENS_EXACT", 0.55)
        self.bld_designed["DENS_FAIL"] = lambda: self.density_buildings("DENS_FAIL", 0.62)
        # ---- facility land share
        fac_cases = {
            "FAC_OUT_5": 0.05, "FAC_OUT_7": 0.07, "FAC_OUT_9": 0.09,
            "FAC_IN_12": 0.12, "FAC_IN_15": 0.15, "FAC_IN_18": 0.18, "FAC_IN_GFA": 0.10, "FAC_IN_INNOV": 0.14,
            "FAC_LEAD_A80": 0.12, "FAC_LEAD_EXACT50": 0.15, "FAC_LEAD_C": 0.12, "FAC_BIG_NOTLEAD": 0.10,
        }
        for role, share in fac_cases.items():
            self.add_facility(R[role], share)
            self.recipe(role, max_h=22, height_attr=True, density=0.4, fac=True, office_floor_cap=role != "FAC_IN_GFA")
        self.add_facility(R["FAC_OUT_2POLY"], 0.04, end="min")
        self.add_facility(R["FAC_OUT_2POLY"], 0.045, end="max")
        self.recipe("FAC_OUT_2POLY", max_h=22, height_attr=True, density=0.4, fac=True)
        self.recipe("FAC_IN_GFA", max_h=30, height_attr=True, density=0.3, fac=True, office_floor_cap=False, gfa_share=0.35)
        for role, grade, lead in (("FAC_LEAD_A80", "A", True), ("FAC_LEAD_EXACT50", "B", True), ("FAC_LEAD_C", "C", True),
                                  ("FAC_BIG_NOTLEAD", "A", False)):
            e = self.ents[P[R[role]].ent]
            e.update(grade=grade, leading=lead)
            self.set_per_mu(e, {"A": 38, "B": 22, "C": 9}[grade], {"A": 35, "B": 20, "C": 8}[grade], revenue_per_mu=300)
        # random facility land on ~28 more parcels
        free = [i for i, p in enumerate(P) if p.role is None and not self.vacant(p) and p.a["land_use"] in ("工业用地", "0601")
                and p.mu >= 6]
        rng.shuffle(free)
        exact7 = next(i for i in free if P[i].int_area)
        free.remove(exact7)
        self.add_facility(exact7, 0.07)
        self.random_exact7 = exact7
        for i in free[:27]:
            self.add_facility(i, float(np.round(rng.uniform(0.02, 0.2), 3)), corner=rng.random() < 0.6, end=str(rng.choice(["min", "max"])))
        # ---- per-mu efficiency (single-parcel enterprises unless noted)
        eff = {  # role: (tax/mu this year, last year, revenue 万元, above scale)
            "EFF_BIG_LOW": (8.0, 9.5, 15000), "EFF_BIG_EXACT10": (10.0, 10.0, 12000),
            "EFF_BIG_ONEYEAR": (8.0, 14.0, 20000), "EFF_BIG_HIGH": (35.0, 32.0, 30000),
            "EFF_REV_EXACT": (9.0, 9.5, 10000), "EFF_SMALL_LOW": (4.2, 4.8, 3000),
            "EFF_SMALL_EXACT5": (5.0, 5.0, 5000), "EFF_SMALL_PASS": (5.5, 6.0, 4000),
            "EFF_SMALL_SCALE": (3.0, 3.2, 600), "EFF_SCOPE_3MU": (6.0, 6.5, 900),
        }
        for role, (t, tp, rev) in eff.items():
            e = self.ents[P[R[role]].ent]
            self.set_per_mu(e, t, tp, revenue=rev)
            e["grade"] = "D" if t <= 5 else ("C" if t <= 10 else "B")
        self.ents[P[R["EFF_BIG_HIGH"]].ent]["grade"] = "A"
        a("EFF_BIG_LOW")["investment_share"] = 0.2
        a("EFF_SMALL_EXACT5")["investment_share"] = 0.25
        a("EFF_SMALL_LOW")["investment_share"] = 0.6
        e = self.ents[P[R["EFF_MULTI_1"]].ent]
        self.set_per_mu(e, 8.0, 9.0, revenue=16000)
        e["grade"] = "C"
        # ---- investment, vertical subsidy, rent subsidy
        for role, inv in (("INV_25000", 25000.0), ("INV_10000", 10000.0), ("INV_5000", 5000.0), ("INV_3000", 3000.0), ("INV_2999", 2999.0)):
            e = self.ents[P[R[role]].ent]
            e["investment"] = inv
            self.set_per_mu(e, 18, 17, revenue_per_mu=250)
            e["grade"] = "B"
        vs = {  # role: (FAR after the expansion, expansion m², contract FAR, industry FAR)
            "VS_PASS": (1.5, 6000, None, 1.2), "VS_CAP": (1.4, 12000, None, 1.2), "VS_SMALL": (1.25, 900, None, 1.1),
            "VS_EXACT1000": (1.3, 1000, None, 1.2), "VS_LOWFAR": (0.9, 3000, None, 1.0), "VS_CONTRACT": (1.5, 3000, 1.8, 1.2),
        }
        for role, (fa, ren, cfar, ifar) in vs.items():
            after = float(round(fa * A(role)))
            assert after - ren > 0.3 * A(role), role
            a(role).update(gfa_before_m2=after - ren, gfa_after_m2=after, renovation_gfa_m2=float(ren),
                           contract_far=cfar, industry_far=ifar, in_production=True)
            e = self.ents[P[R[role]].ent]
            self.set_per_mu(e, 20, 19, revenue_per_mu=260)
            e["grade"] = "B"
            self.renovation_hosts.add(R[role])
        rs = {"RS_PASS": (2000.0, 5000.0, "B"), "RS_CAP": (3000.0, 20000.0, "A"), "RS_GRADE_C": (2000.0, 5000.0, "C"),
              "RS_INV_EXACT": (1000.0, 3000.0, "A")}
        for role, (inv, leased, grade) in rs.items():
            e = self.ents[P[R[role]].ent]
            e.update(investment=inv, leased=leased, grade=grade)
            self.set_per_mu(e, {"A": 36, "B": 20, "C": 9}[grade], {"A": 33, "B": 19, "C": 8}[grade], revenue_per_mu=280)
        # ---- planning overlays and renovation admission
        for role, grade in (("RET_A", "A"), ("RET_C", "C"), ("RET_EXPRO", "A")):
            e = self.ents[P[R[role]].ent]
            e["grade"] = grade
            self.set_per_mu(e, 33 if grade == "A" else 9, 31 if grade == "A" else 8, revenue_per_mu=300 if grade == "A" else 120)
        for role in ("REN_RELOC", "REN_OK"):
            area = A(role)
            before = float(round(0.8 * area))
            a(role).update(gfa_before_m2=before, gfa_after_m2=float(round(1.1 * area)), renovation_gfa_m2=float(round(1.1 * area)) - before)
            self.renovation_hosts.add(R[role])
        # ---- land supply
        supply = {"SUP2021_IND1": "2021-04-16", "SUP2021_IND2": "2021-09-28", "SUP2021_COM1": "2021-06-30",
                  "SUP2021_COM2": "2021-11-12", "SUP2022_COM": "2022-08-19", "SUP2023_IND": "2023-03-15",
                  "SUP2023_COM": "2023-06-20"}
        supply |= {f"SUP2022_IND{k}": f"2022-{2 + 2 * k:02d}-{10 + k:02d}" for k in range(1, 6)}
        for role, d in supply.items():
            sd = dt.date.fromisoformat(d)
            life = 40 if "COM" in role else 50
            a(role).update(supply_date=sd, term_end=sd.replace(year=sd.year + life) - dt.timedelta(days=1), right_type="出让",
                           ownership="国有")
            if "IND" in role:
                a(role).update(standard_land=True, in_production=role.startswith("SUP2021"), contract_far=2.0,
                               plan_far_max=2.5, plan_height_max_m=40.0, plan_density_max=0.6)
        a("SUP2022_IND3")["standard_land"] = False
        # ---- split parents
        for role in self.pieces:
            a(role).update(in_production=True, from_split=False, from_merge=False, from_fringe=False, industrial_real_estate=False)
        a("S1")["standard_land"] = True
        a("S6")["from_split"] = True
        a("S8")["in_production"] = False
        a("S9")["industrial_real_estate"] = True
        # ---- merge groups: attributes
        grid = {f"G{c}{r}": a(f"MERGE_G{c}{r}") for c in range(4) for r in range(3)}
        base = dt.date(2009, 5, 20)
        for g in grid.values():
            g.update(ownership="国有", right_type="出让", supply_date=base, term_end=base.replace(year=2059) - dt.timedelta(days=1))
        grid["G21"]["ownership"] = "集体"
        grid["G32"].update(right_type="租赁", term_end=dt.date(2029, 5, 19))
        for role in ("MG6_a", "MG6_b", "MG7_a", "MG7_b", "MG8_a", "MG8_b"):
            a(role).update(ownership="国有", right_type="出让", supply_date=dt.date(2006, 3, 1), term_end=dt.date(2056, 2, 28))
        a("MG6_a").update(supply_date=dt.date(2002, 9, 1), term_end=dt.date(2052, 8, 31))
        a("MG6_b").update(supply_date=dt.date(2013, 3, 15), term_end=dt.date(2063, 3, 14))
        # ---- fringe hosts: renovation figures (FAR rise = after / before − 1; share = renovation / after)
        ren = {  # host: (before, after, renovation)
            "H1": (30000, 40500, 10500), "H2": (10000, 13000, 3000), "H3": (6000, 6600, 600),
            "H4": (32000, 34000, 8500), "H5": (24000, 30000, 6000), "H6": (24000, 28800, 4800),
            "H7": (28000, 30000, 6000),
        }
        for h, (b0, b1, rg) in ren.items():
            a("FRINGE_" + h).update(gfa_before_m2=float(b0), gfa_after_m2=float(b1), renovation_gfa_m2=float(rg), in_production=True)
            self.renovation_hosts.add(R["FRINGE_" + h])
        a("F8_host").update(gfa_before_m2=10000.0, gfa_after_m2=11000.0, renovation_gfa_m2=1000.0)
        self.renovation_hosts.add(R["F8_host"])
        # ---- commercial and random extras
        for i, p in enumerate(P):
            if p.role is None and not self.vacant(p) and p.a["land_use"] in ("工业用地", "0601") and rng.random() < 0.08:
                self.renovation_hosts.add(i)
        free = [i for i, p in enumerate(P) if p.role is None and not self.vacant(p) and p.a["land_use"] in ("工业用地", "0601")]
        rng.shuffle(free)
        self.random_parcel_heights = free[:5]
        self.random_gfa = free[5:30]

    def set_per_mu(self, e, tax_mu, prev_mu, *, revenue=None, revenue_per_mu=None):
        """Enterprise totals from per-mu figures on its measured area (exact for even integer areas)."""
        mu = sum(self.parcels[i].geom.area for i in e["parcels"]) / MU
        e["tax"], e["tax_prev"] = tax_mu * mu, prev_mu * mu
        e["revenue"] = revenue if revenue is not None else revenue_per_mu * mu
        e["va"] = e["revenue"] * 0.24
        e["exact"] = True

    def recipe(self, role, *, fac=False, tallest=None, height_attr=None, gfa_attr=None, office_floor_cap=True, gfa_share=None, **kw):
        i = self.roles[role]

        def build():
            facs = [f["geom"] for f in self.facility if f["parcel"] == i]
            blds = self.make_buildings(i, fac=shapely.union_all(facs) if facs else None, **kw)
            for b in blds:
                b.tag = role
                if height_attr is not None:
                    b.height_attr = height_attr
                if gfa_attr is not None:
                    b.gfa_attr = "draw" if self.rng.random() < gfa_attr else None
                else:
                    b.gfa_attr = None
            if tallest:
                fl, h, attr = tallest
                prod = [b for b in blds if b.use in ("生产", "仓储")] or blds
                assert prod, f"no building on designed parcel {role}"
                b = max(prod, key=lambda b: b.geom.area)
                b.floors, b.height, b.height_attr, b.use = fl, h, attr, "生产"
            offices = [b for b in blds if b.use in ("行政办公", "生活服务")]
            if gfa_share is not None:
                # facility floor area share ≈ gfa_share of the total: tall offices, low plants
                for b in blds:
                    if b.use not in ("行政办公", "生活服务"):
                        b.floors, b.height = 1, 8.5
                for _ in range(40):
                    tot = sum(b.geom.area * b.floors for b in blds)
                    fgfa = sum(b.geom.area * b.floors for b in offices)
                    if fgfa / tot >= gfa_share + 0.02:
                        break
                    b = min(offices, key=lambda b: b.floors)
                    b.floors += 1
                    b.height = round(b.floors * 3.5 + 1.0, 1)
            elif office_floor_cap and offices:
                for _ in range(40):
                    tot = sum(b.geom.area * b.floors for b in blds)
                    fgfa = sum(b.geom.area * b.floors for b in offices)
                    if fgfa / tot <= 0.25:
                        break
                    b = max(offices, key=lambda b: b.floors)
                    if b.floors <= 1:
                        break
                    b.floors -= 1
                    b.height = round(b.floors * 3.8 + 1.2, 1)
            return blds

        self.bld_designed[role] = build

    def density_buildings(self, role, density):
        """Two rectangular plants end to end whose footprints make exactly ``density`` of the parcel."""
        i = self.roles[role]
        g = self.parcels[i].geom
        minx, miny, maxx, maxy = g.bounds
        along_x = (maxx - minx) >= (maxy - miny)
        long_, short = (maxx - minx, maxy - miny) if along_x else (maxy - miny, maxx - minx)
        s, gap = 4.0, 10.0
        width = short - 2 * s
        l1 = round((long_ - 2 * s - gap) * 0.55, 1)
        l2 = density * g.area / width - l1
        assert 8 < l2 and l1 + l2 + gap <= long_ - 2 * s, (role, l1, l2)
        if along_x:
            r1 = box(minx + s, miny + s, minx + s + l1, maxy - s)
            r2 = box(maxx - s - l2, miny + s, maxx - s, maxy - s)
        else:
            r1 = box(minx + s, miny + s, maxx - s, miny + s + l1)
            r2 = box(minx + s, maxy - s - l2, maxx - s, maxy - s)
        out = []
        for r, fl in ((r1, 3), (r2, 2)):
            out.append(Building(r, "生产", fl, round(fl * 4.5 + 0.9, 1), i, height_attr=True, tag=role))
        self.buildings += out
        return out

    def split_buildings(self, role, info):
        """Buildings of a split parent, kept inside its pieces (except S4's cut building)."""
        i = info["parent"]
        fr = info["frame"]
        fac = None
        if role == "S1":  # facility land wholly inside the last (largest) piece, at its far end
            last = info["pieces"][-1]
            fac = self.add_facility(i, 0.05, end="max", frame=fr)
            assert fac.difference(last).area < 1e-6
        if role == "S5":  # facility land straddling the cut
            cut = info["positions"][0]
            P = fr.to(self.parcels[i].geom)
            minx, miny, maxx, maxy = P.bounds
            target = 0.06 * self.parcels[i].geom.area

            def area(t):
                return box(cut - 30, miny - 1, cut + 30, miny + t).intersection(P).area

            t = bisect(area, 0, maxy - miny + 1, target)
            fac = fr.back(box(cut - 30, miny - 1, cut + 30, miny + t).intersection(P))
            self.facility.append(dict(geom=fac, parcel=i, share=0.06))
        corridor = 9.0 if role == "S4" else 5.0
        blds = self.make_buildings(i, pieces=info["pieces"], fac=fac, corridor=corridor)
        if fac is not None and role == "S5":  # keep the offices off the cut line too
            cutline = self._cuts_geoms(self.parcels[i].geom, fr, info["positions"][:1])[0]
            for b in list(blds):
                if b.geom.distance(cutline) < 3:
                    self.buildings.remove(b)
                    blds.remove(b)
        for b in blds:
            b.tag = role
        if role == "S4":  # a plant astride the first cut line
            cut = info["positions"][0]
            P = fr.to(self.parcels[i].geom)
            inner = P.buffer(-8, join_style="mitre")
            minx, miny, maxx, maxy = inner.bounds
            for y in np.arange(miny, maxy - 30, 2.0):
                r = box(cut - 6, y, cut + 6, y + 30)
                if inner.contains(r):
                    g = fr.back(r)
                    if not any(g.intersects(b.geom) for b in blds):
                        b = Building(g, "生产", 2, 10.1, i, height_attr=True, tag="S4_cut")
                        self.buildings.append(b)
                        break
            else:
                raise RuntimeError("no room for the cut building of S4")

    # ------------------------------------------------------------------ building attributes
    def building_attributes(self):
        rng = self.rng
        self.all_buildings()
        for b in self.buildings:
            tagged = bool(b.tag)
            if not tagged:
                b.height_attr = rng.random() < 0.52
                b.gfa_attr = "draw" if rng.random() < 0.45 else None
            b.code_attr = rng.random() < 0.5
            b.self_use = rng.random() > 0.08
        for b in self.buildings:
            if b.gfa_attr == "draw":
                b.gfa_attr = round(b.geom.area * b.floors * rng.uniform(0.97, 1.03), 2)
        by_parcel = {}
        for b in self.buildings:
            by_parcel.setdefault(b.parcel, []).append(b)
        gfa = lambda b: b.gfa_attr if b.gfa_attr is not None else b.geom.area * b.floors
        for i in self.random_gfa:  # 总建筑面积 given (close to, not equal to, the buildings' sum)
            if by_parcel.get(i):
                self.parcels[i].a["gfa_m2"] = round(sum(map(gfa, by_parcel[i])) * rng.uniform(0.95, 1.1), 2)
        for i in self.random_parcel_heights:
            if by_parcel.get(i):
                self.parcels[i].a["height_m"] = max(b.height for b in by_parcel[i])
        for i in sorted(self.renovation_hosts):
            a = self.parcels[i].a
            if a.get("gfa_before_m2") is None and by_parcel.get(i):
                before = round(sum(map(gfa, by_parcel[i])), -1)
                a.update(gfa_before_m2=before, gfa_after_m2=round(before * rng.uniform(1.05, 1.6), -1))
                a["renovation_gfa_m2"] = a["gfa_after_m2"] - before
        for i in sorted(self.renovation_hosts):
            blds = by_parcel.get(i, [])
            if blds:
                newest = max(blds, key=lambda b: (b.floors, b.geom.area))
                newest.is_new = True
        self.by_parcel = by_parcel

    # ------------------------------------------------------------------ data-quality cases
    def data_quality(self):
        P = self.parcels
        rng = self.rng
        designed = {i for i, p in enumerate(P) if p.role is not None}
        near_designed = set(designed)
        for i in designed:
            near_designed.update(self.nb[i])
        plain = [i for i, p in enumerate(P) if i not in near_designed and p.kind == "random" and not self.vacant(p)
                 and p.a["land_use"] != "商服用地"]
        rng.shuffle(plain)
        # buildings crossing their parcel edge by 1–2.5 m (into a road or a neighbour)
        crossing = []
        gaps = self.gaps
        for i in plain:
            if len(crossing) >= 5:
                break
            blds = [b for b in self.by_parcel.get(i, []) if b.use in ("生产", "仓储")]
            if not blds:
                continue
            b = blds[rng.integers(len(blds))]
            edge = P[i].geom.exterior
            d = b.geom.distance(edge)
            line = shapely.shortest_line(b.geom, edge)
            (x1, y1), (x2, y2) = line.coords
            n = math.hypot(x2 - x1, y2 - y1)
            if n < 1e-6:
                continue
            over = rng.uniform(1.0, 2.5)
            g = affinity.translate(b.geom, (x2 - x1) / n * (d + over), (y2 - y1) / n * (d + over))
            others = [o for o in self.buildings if o is not b and o.geom.distance(g) < 1.0]
            if others or g.difference(P[i].geom).area < 5:
                continue
            into_road = g.intersection(gaps).area > 1
            b.geom = g
            b.tag = "crossing"
            crossing.append((b, into_road))
        self.dq["crossing"] = crossing
        # one building outside every parcel: a pump house in the river's green belt
        s = self.river.project(self.L(Point(300, 590)))
        pt = self.river.interpolate(s)
        pt2 = self.river.interpolate(s + 1)
        dx, dy = pt2.x - pt.x, pt2.y - pt.y
        n = math.hypot(dx, dy)
        ux, uy = dx / n, dy / n
        cx, cy = pt.x - uy * 20, pt.y + ux * 20
        pump = Polygon([(cx - ux * 4 - uy * 2.5, cy - uy * 4 + ux * 2.5), (cx + ux * 4 - uy * 2.5, cy + uy * 4 + ux * 2.5),
                        (cx + ux * 4 + uy * 2.5, cy + uy * 4 - ux * 2.5), (cx - ux * 4 + uy * 2.5, cy - uy * 4 - ux * 2.5)])
        pump = shapely.normalize(pump)
        assert not any(pump.intersects(p.geom) for p in P)
        b = Building(pump, "其他", 1, 4.5, -1, height_attr=True, tag="outside")
        b.code_attr = False
        self.buildings.append(b)
        self.dq["outside"] = b
        # an overlap (a 3 m band into the neighbour) and a 1.5 m gap
        rest = [i for i in plain if not any(b.parcel == i for b, _ in crossing)]
        done = {}
        for i in rest:
            if "overlap" in done and "gap" in done:
                break
            nbs = [j for j in self.nb[i] if j not in near_designed and P[j].kind == "random" and not self.vacant(P[j])
                   and j not in done.values() and shared_length(P[i].geom, P[j].geom) >= 40]
            if not nbs:
                continue
            j = nbs[0]
            line = longest_shared_line(P[i].geom, P[j].geom)
            if line is None or line.length < 40:
                continue
            self.orig_area[i] = self.orig_area.get(i, P[i].geom.area)
            if "overlap" not in done:
                band = line.buffer(3, cap_style="flat").intersection(P[j].geom)
                u = shapely.union_all([P[i].geom, band])
                if u.geom_type != "Polygon":
                    continue
                P[i].geom = u
                done["overlap"] = i
                self.dq["overlap"] = (i, j, band.area)
            else:
                if i in done.values() or j in done.values():
                    continue
                g = P[i].geom.difference(line.buffer(1.5, cap_style="flat"))
                if g.geom_type != "Polygon":
                    continue
                self.dq["gap"] = (i, j, P[i].geom.area - g.area)
                P[i].geom = g
                done["gap"] = i
        # the bow-tie: two vertices of a quadrilateral swapped
        for i in rest:
            if i in done.values():
                continue
            ring = list(P[i].geom.exterior.coords)[:-1]
            if len(ring) <= 6 and 3 * MU <= P[i].geom.area <= 12 * MU and P[i].rect:
                k = max(range(len(ring)), key=lambda k: Point(ring[k]).distance(Point(ring[(k + 1) % len(ring)])))
                ring[k], ring[(k + 1) % len(ring)] = ring[(k + 1) % len(ring)], ring[k]
                bow = Polygon(ring)
                if bow.is_valid or shapely.make_valid(bow).area < 0.2 * P[i].geom.area:
                    continue
                self.dq["bowtie"] = (i, P[i].geom.area)
                P[i].bowtie = bow
                break
        else:
            raise RuntimeError("no quadrilateral for the bow-tie")

    # ------------------------------------------------------------------ codes and registered areas
    def codes(self):
        P = self.parcels
        order = sorted(range(len(P)), key=lambda i: (P[i].block[1] * 5 + P[i].block[0], round(P[i].geom.centroid.y, 1), round(P[i].geom.centroid.x, 1)))
        seq = {}
        for i in order:
            sub = P[i].block[1] * 5 + P[i].block[0] + 1
            seq[sub] = seq.get(sub, 0) + 1
            kind = "JB" if P[i].a.get("ownership") == "集体" else "GB"
            P[i].a["parcel_id"] = f"{COUNTY}001{sub:03d}{kind}{seq[sub]:05d}"
        ids = [p.a["parcel_id"] for p in P]
        assert len(set(ids)) == len(ids)

    def registered_areas(self):
        rng = self.rng
        P = self.parcels
        designed = {i for i, p in enumerate(P) if p.role is not None}
        plain = [i for i in range(len(P)) if i not in designed]
        rng.shuffle(plain)
        off = set(plain[:15])
        self.dq["area_off"] = []
        for i, p in enumerate(P):
            area = self.orig_area.get(i, p.geom.area)
            if i in designed:
                reg = round(area, 2)
            elif i in off:
                f = rng.choice([-1, 1]) * rng.uniform(0.015, 0.06)
                reg = round(area * (1 + f), 2)
                self.dq["area_off"].append(i)
            else:
                reg = round(area * (1 + float(np.clip(rng.normal(0, 0.0012), -0.003, 0.003))), 2)
            p.a["registered_area_m2"] = reg


class Proposals:
    def proposals(self):
        P = self.parcels
        pid = lambda i: P[i].a["parcel_id"]
        # ---- split plans
        grades = {"S1": ["A", "B", "A"], "S2": ["A", "B", "B", "A"], "S9": ["B", "B", "A", "B"], "S10": ["B", "C"]}
        for role in ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10"]:
            info = self.pieces[role]
            pieces = list(info["pieces"])
            if role == "S7":  # a 2 m gap between the two pieces
                cut = self._cuts_geoms(P[info["parent"]].geom, info["frame"], info["positions"][:1])[0]
                pieces[0] = pieces[0].difference(cut.buffer(2.0, cap_style="flat"))
                assert pieces[0].geom_type == "Polygon"
            g = grades.get(role, ["A", "B", "B", "A"])
            for k, pc in enumerate(pieces):
                self.split_area[f"{role}-{k + 1}"] = pc.area
                self.split_plans.append(dict(parcel_id=pid(info["parent"]), piece_id=f"{role}-{k + 1}",
                                             transferee_grade=g[k % len(g)], geometry=pc, role=role))
        # ---- merge plan
        groups = [("MG1", ["G00", "G10"], "A"), ("MG2", ["G20", "G30", "G31"], "B"), ("MG3", ["G01", "G12"], "A"),
                  ("MG4", ["G11", "G21"], "B"), ("MG5", ["G22", "G32"], "A")]
        for gid, names, grade in groups:
            for n in names:
                self.merge_rows.append(dict(group_id=gid, parcel_id=pid(self.roles["MERGE_" + n]), transferee_grade=grade))
        for gid, grade in (("MG6", "A"), ("MG7", "C"), ("MG8", "B")):
            for s in ("a", "b"):
                self.merge_rows.append(dict(group_id=gid, parcel_id=pid(self.roles[f"{gid}_{s}"]), transferee_grade=grade))
        # ---- fringe applications (pieces of the vacant parcels)
        B = self.B
        f = [
            ("F01", "H2", B(1740, 572, 1756, 762)),  # the whole sandwiched strip V4
            ("F02", "H3", B(1800, 572, 1814, 762)),  # the whole strip V5: over 20 % of a small host
            ("F03", "H1", B(1492, 392, 1492 + 11 * MU / 168, 560)),  # 11 mu: over the 10 mu cap
            ("F04a", "H4", B(1432, 560, 1480, 560 + 4 * MU / 48)),
            ("F04b", "H4", B(1432, 560 + 4 * MU / 48, 1480, 560 + 7.5 * MU / 48)),
            ("F04c", "H4", B(1432, 560 + 7.5 * MU / 48, 1480, 560 + 10.5 * MU / 48)),  # cumulative 10.5 mu
            ("F05", "H5", B(1560, 392, 1620, 440)),  # 120 m from its host
            ("F06", "H6", B(1868, 572 - 0.2 * 174 * 190 / 120, 1988, 572)),  # exactly 20 % of the host
            ("F07", "H7", B(1830, 392, 1830 + 10 * MU / 180, 572)),  # exactly 10 mu
        ]
        for fid, host, g in f:
            self.fringe_rows.append(dict(fringe_id=fid, host_parcel_id=pid(self.roles["FRINGE_" + host]), geometry=g, host=host))
        s = self.roles["F8_strip"]
        self.fringe_rows.append(dict(fringe_id="F08", host_parcel_id=pid(self.roles["F8_host"]), geometry=P[s].geom, host="F8"))


class Writer:
    def write(self, out: Path):
        os.environ["OGR_CURRENT_DATE"] = "2022-02-20T00:00:00Z"
        out.mkdir(parents=True, exist_ok=True)
        for name in ("parcels.gpkg", "buildings.gpkg", "zones.gpkg", "facility_land.gpkg", "split_plan.gpkg", "fringe.gpkg", "ndsm.tif"):
            (out / name).unlink(missing_ok=True)
        P = self.parcels
        # ---- parcels
        rows = []
        for i, p in enumerate(P):
            a = dict(p.a)
            e = self.ents[p.ent] if hasattr(p, "ent") else None
            if e is not None:
                share = self.orig_area[i] / sum(self.orig_area[j] for j in e["parcels"])
                nd = 4 if e["exact"] else 2
                for key, src in (("tax_10k", "tax"), ("tax_prev_10k", "tax_prev"), ("revenue_10k", "revenue"), ("value_added_10k", "va")):
                    a[key] = round(e[src] * share, nd)
                a["grade"] = e["grade"]
                a["above_scale"] = e["revenue"] >= 2000
                a["leading_enterprise"] = bool(e["leading"])
                if e["investment"] is not None:
                    a["investment_10k"] = round(e["investment"] * share, 2) if len(e["parcels"]) > 1 else e["investment"]
                if e["leased"] is not None:
                    a["leased_new_m2"] = e["leased"]
                if a.get("industry_far") is None and e["industry_far"] is not None and a["land_use"] not in ("商服用地",):
                    a["industry_far"] = e["industry_far"]
            for flag in ("from_split", "from_merge", "from_fringe", "industrial_real_estate", "leading_enterprise", "standard_land"):
                a.setdefault(flag, False)
            rows.append(a)
        geoms = [getattr(p, "bowtie", p.geom) for p in P]
        self._write(out / "parcels.gpkg", "parcels", rows, geoms, PARCEL_FIELDS)
        self.parcel_rows = rows
        # ---- buildings
        rows, geoms = [], []
        counters = {}
        for b in sorted(self.buildings, key=lambda b: (b.parcel, round(b.geom.centroid.y, 1), round(b.geom.centroid.x, 1))):
            code = P[b.parcel].a["parcel_id"] if b.parcel >= 0 else None
            counters[code] = counters.get(code, 0) + 1
            bid = f"{code}F{counters[code]:04d}" if code else f"无证建筑{counters[code]:04d}"  # unregistered: no 宗地
            b.id = bid
            rows.append(dict(building_id=bid, parcel_id=code if b.code_attr else None, floors=int(b.floors),
                             height_m=float(b.height) if b.height_attr else None, gfa_m2=b.gfa_attr, use=b.use,
                             is_new=b.is_new, self_use=b.self_use))
            geoms.append(b.geom)
        self._write(out / "buildings.gpkg", "buildings", rows, geoms, BUILDING_FIELDS)
        # ---- zones
        rows = [dict(zone_id=z, name=n, zone_type=t, height_max_m=h) for z, n, t, h, _ in self.zone_rows]
        self._write(out / "zones.gpkg", "zones", rows, [g for *_, g in self.zone_rows],
                    [("zone_id", "zone_id", "str"), ("name", "name", "str"), ("zone_type", "zone_type", "str"), ("height_max_m", "height_max_m", "f8")])
        # ---- facility land
        rows, geoms = [], []
        for k, f in enumerate(sorted(self.facility, key=lambda f: (P[f["parcel"]].a["parcel_id"], f["geom"].centroid.x))):
            named = self.rng.random() < 0.6
            f["id"] = f"PT{k + 1:04d}"
            rows.append(dict(facility_id=f["id"], parcel_id=P[f["parcel"]].a["parcel_id"] if named else None))
            f["named"] = named
            geoms.append(f["geom"])
        self._write(out / "facility_land.gpkg", "facility_land", rows, geoms,
                    [("facility_id", "facility_id", "str"), ("parcel_id", "宗地代码", "str")])
        # ---- proposals
        self._write(out / "split_plan.gpkg", "split_plan", self.split_plans, [r["geometry"] for r in self.split_plans],
                    [("parcel_id", "宗地代码", "str"), ("piece_id", "piece_id", "str"), ("transferee_grade", "transferee_grade", "str")])
        self._write(out / "fringe.gpkg", "fringe", self.fringe_rows, [r["geometry"] for r in self.fringe_rows],
                    [("fringe_id", "fringe_id", "str"), ("host_parcel_id", "host_parcel_id", "str")])
        pd.DataFrame(self.merge_rows).rename(columns={"parcel_id": "宗地代码"}).to_csv(out / "merge_plan.csv", index=False, encoding="utf-8", lineterminator="\n")
        self.write_raster(out / "ndsm.tif")

    @staticmethod
    def _write(path, layer, rows, geoms, fields):
        cols = {}
        for canon, label, kind in fields:
            vals = [r.get(canon) for r in rows]
            if kind == "str":
                arr = pa.array([None if v is None else str(v) for v in vals], pa.string())
            elif kind == "f8":
                arr = pa.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in vals], pa.float64())
            elif kind == "i4":
                arr = pa.array(vals, pa.int32())
            elif kind == "date":
                arr = pa.array(vals, pa.date32())
            elif kind == "bool":
                arr = pa.array([None if v is None else ("是" if v else "否") for v in vals], pa.string())
            cols[label] = arr
        cols["geom"] = pa.array(shapely.to_wkb(np.array(geoms, dtype=object)), pa.binary())
        kinds = {g.geom_type for g in geoms}
        gtype = kinds.pop() if len(kinds) == 1 else "Unknown"
        pyogrio.write_arrow(pa.table(cols), str(path), layer=layer, driver="GPKG", geometry_name="geom",
                            geometry_type=gtype, crs=CRS)

    # ------------------------------------------------------------------ the height raster
    def write_raster(self, path):
        rng = self.rng
        cell = 2.0
        x0, y0 = self.x0 - 20, self.y0 + H + 20
        width, height = int((W + 40) / cell), int((H + 40) / cell)
        transform = from_origin(x0, y0, cell, cell)
        ndsm = np.zeros((height, width), np.float32)
        # trees: vacant land, the river's green belt and one avenue
        blds = shapely.STRtree(np.array([b.geom for b in self.buildings], dtype=object))
        trees = []
        for p in self.parcels:
            if self.vacant(p):
                for _ in range(int(min(12, 2 + p.geom.area / 1500))):
                    minx, miny, maxx, maxy = p.geom.bounds
                    pt = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
                    if p.geom.contains(pt):
                        trees.append((pt, rng.uniform(2, 4), rng.uniform(5, 10)))
        for side in (-1, 1):
            line = self.river.offset_curve(side * 20)
            for s in np.arange(0, line.length, 14):
                trees.append((line.interpolate(s), rng.uniform(2, 3.5), rng.uniform(5, 10)))
        for v in (780 - 15, 780 + 15):
            for u in np.arange(20, W - 20, 8):
                trees.append((Point(self.x0 + u, self.y0 + v), 2.0, rng.uniform(5, 8)))
        shapes = []
        for pt, r, h in trees:
            disc = pt.buffer(r, 16)
            if len(blds.query(disc.buffer(3), predicate="intersects")):
                continue
            shapes.append((disc, float(h)))
        self.trees = shapes
        if shapes:
            ndsm = rasterize(shapes, out=ndsm, transform=transform, merge_alg=rasterio.enums.MergeAlg.replace)
            tree_mask = ndsm > 0
            ndsm[tree_mask] += rng.uniform(-0.5, 0.5, tree_mask.sum()).astype(np.float32)
        roofs = np.zeros_like(ndsm)
        roofs = rasterize([(b.geom, float(b.height)) for b in self.buildings], out=roofs, transform=transform)
        roof_mask = roofs > 0
        ndsm[roof_mask] = roofs[roof_mask] + np.round(rng.uniform(-0.3, 0.3, roof_mask.sum()), 2).astype(np.float32)
        # nodata holes: one over a small building without a height attribute, four elsewhere
        holes = []
        designed_parcels = {i for i, p in enumerate(self.parcels) if p.role is not None}
        cands = [b for b in self.buildings if not b.height_attr and b.parcel not in designed_parcels and b.parcel >= 0
                 and 100 <= b.geom.area <= 600 and not b.tag]
        hb = cands[rng.integers(len(cands))]
        holes.append(hb.geom.centroid.buffer(math.sqrt(hb.geom.area) + 6))
        self.dq["hole_building"] = hb
        for _ in range(4):
            while True:
                pt = Point(self.x0 + rng.uniform(50, W - 50), self.y0 + rng.uniform(50, H - 50))
                disc = pt.buffer(rng.uniform(6, 15))
                hit = [self.buildings[k] for k in blds.query(disc.buffer(2), predicate="intersects")]
                if all(b.height_attr and b.parcel not in designed_parcels for b in hit):
                    holes.append(disc)
                    break
        hole_mask = rasterize([(h, 1) for h in holes], out_shape=ndsm.shape, transform=transform).astype(bool)
        ndsm[hole_mask] = -9999.0
        self.holes = holes
        profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="float32", crs=CRS, transform=transform,
                       nodata=-9999.0, tiled=True, blockxsize=256, blockysize=256, compress="deflate", predictor=3, zlevel=9)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(ndsm, 1)
            dst.update_tags(TIFFTAG_IMAGEDESCRIPTION="landtool sample nDSM: heights above ground (m)", units="m")


class Report:
    """The designed-case table (tiantai), README.md, expected_tiantai.csv and the summary."""

    def expect(self, case, subject, subject_id, parcel, rule, status, value=None, limit=None, note=""):
        self.expected.append(dict(case=case, subject=subject, subject_id=subject_id, parcel_id=parcel, rule=rule,
                                  expected=status, value=value, limit=limit, note=note))

    def measures(self):
        """Per-parcel figures from the written values, computed the way landtool does (prepare.py):
        GFA = 总建筑面积 else Σ(建筑面积 else footprint × 层数); density = footprint on the parcel / area;
        facility share = facility land rounded to 0.01 m² / area; per-mu = Σ owner's 税收 / Σ owner's mu."""
        P = self.parcels
        rows = self.parcel_rows
        self.m = {}
        owner_mu, owner_tax, owner_prev, owner_rev = {}, {}, {}, {}
        for i, p in enumerate(P):
            o = rows[i].get("owner") or rows[i]["parcel_id"]
            owner_mu[o] = owner_mu.get(o, 0) + p.geom.area / MU
            for d, k in ((owner_tax, "tax_10k"), (owner_prev, "tax_prev_10k"), (owner_rev, "revenue_10k")):
                d[o] = d.get(o, 0) + (rows[i].get(k) or 0)
        for i, p in enumerate(P):
            area = p.geom.area
            blds = [b for b in self.buildings if b.parcel == i and b.tag != "crossing"]
            bgfa = lambda b: b.gfa_attr if b.gfa_attr is not None else b.geom.area * b.floors
            gfa = rows[i].get("gfa_m2") if rows[i].get("gfa_m2") is not None else sum(map(bgfa, blds))
            fp = sum(b.geom.intersection(p.geom).area for b in blds)
            fac = round(sum(f["geom"].intersection(p.geom).area for f in self.facility if f["parcel"] == i), 2)
            fgfa = sum(bgfa(b) for b in blds if b.use in ("行政办公", "生活服务"))
            hs = [(b.height, "buildings" if b.height_attr else "raster") for b in blds]
            h = (rows[i]["height_m"], "attribute") if rows[i].get("height_m") is not None else (max(hs) if hs else (None, None))
            o = rows[i].get("owner") or rows[i]["parcel_id"]
            self.m[i] = dict(area=area, gfa=gfa, far=gfa / area, density=fp / area, fac=fac, fac_share=fac / area,
                             fac_floor=fgfa / gfa if gfa else None, height=h[0], height_src=h[1], n_bld=len(blds),
                             tax_mu=owner_tax[o] / owner_mu[o], prev_mu=owner_prev[o] / owner_mu[o], revenue=owner_rev[o])

    def cases(self):
        P = self.parcels
        R = self.roles
        m = self.m
        pid = lambda role: P[R[role]].a["parcel_id"]
        r6 = lambda x: None if x is None else round(x, 6)

        def par(case, role, rule, status, value, limit, note=""):
            self.expect(case, "parcel", pid(role), pid(role), rule, status, value, limit, note)

        # ---- 4. indicators
        for role, st, note in (
            ("FAR_OUT_LOW", "pass", "outside the parks, no planning condition: limit 1.1; FAR from buildings"),
            ("FAR_OUT_EXACT", "pass", "总建筑面积 = 1.1 × area exactly (at the limit, 不得大于 includes it)"),
            ("FAR_OUT_HIGH", "fail", "总建筑面积 = 1.35 × area"),
            ("FAR_OUT_BLD_HIGH", "fail", "FAR from buildings (half with 建筑面积, half footprint × 层数)"),
            ("FAR_PLAN_PASS", "pass", "规划容积率上限 2.0 overrides 1.1"),
            ("FAR_PLAN_EXACT", "pass", "总建筑面积 = 1.5 × area = the plan limit"),
            ("FAR_PLAN_FAIL", "fail", "规划容积率上限 1.2"),
            ("FAR_IN_PLAN_PASS", "pass", "inside 天台经济开发区 with 规划容积率上限 3.0"),
            ("FAR_IN_PLAN_FAIL", "fail", "inside 天台经济开发区 with 规划容积率上限 2.0"),
            ("FAR_IN_NOPLAN", "insufficient_data", "inside the park (天政办发〔2018〕22号 applies) and no 规划容积率上限"),
        ):
            i = R[role]
            lim = P[i].a.get("plan_far_max") or (None if role == "FAR_IN_NOPLAN" else 1.1)
            par(role, role, "indicator.far_max", st, r6(m[i]["far"]), lim, note)
        for role, st, note in (
            ("HEIGHT_OUT_LOW", "pass", "tallest building 建筑高度 attribute"),
            ("HEIGHT_OUT_PARCEL24", "pass", "parcel 建筑高度 = 24.0 exactly (不超过 includes it)"),
            ("HEIGHT_OUT_BLD24", "pass", "tallest building 建筑高度 = 24.0 exactly"),
            ("HEIGHT_OUT_FAIL", "fail", "a building of 6 floors, 建筑高度 28.8"),
            ("HEIGHT_OUT_RASTER_FAIL", "fail", "no height attributes: the tallest roof is 27.0 m (6 floors) in ndsm.tif, ±0.3 m cell noise"),
            ("HEIGHT_OUT_RASTER_PASS", "pass", f"no height attributes: the tallest roof is {m[R['HEIGHT_OUT_RASTER_PASS']]['height']} m in ndsm.tif, ±0.3 m cell noise"),
            ("HEIGHT_PLAN_PASS", "pass", "规划建筑限高 40 overrides 24 (building 32.0 m)"),
            ("HEIGHT_ZONE", "fail", "规划建筑限高 40 passes, but the building (33.0 m) is inside the height_limit zone Z07 (30 m), which always applies"),
            ("FAR_IN_NOPLAN", "insufficient_data", "inside the park without 规划建筑限高"),
        ):
            i = R[role]
            lim = 30.0 if role == "HEIGHT_ZONE" else (P[i].a.get("plan_height_max_m") or (None if role == "FAR_IN_NOPLAN" else 24.0))
            par(role if role != "FAR_IN_NOPLAN" else "HEIGHT_IN_NOPLAN", role, "indicator.height_max", st,
                None if m[i]["height"] is None else round(m[i]["height"], 2), lim, note + f" [source: {m[i]['height_src']}]")
        for role, st, note in (("DENS_PASS", "pass", "规划建筑密度上限 0.6"), ("DENS_EXACT", "pass", "footprints = 0.55 × area exactly, limit 0.55"),
                               ("DENS_FAIL", "fail", "规划建筑密度上限 0.5")):
            i = R[role]
            par(role, role, "indicator.density_max", st, r6(m[i]["density"]), P[i].a["plan_density_max"], note)
        par("DENS_NOPLAN", "FAR_OUT_LOW", "indicator.density_max", "insufficient_data", r6(m[R["FAR_OUT_LOW"]]["density"]), None,
            "outside the parks without 规划建筑密度上限: tiantai defers density to the (absent) park rules")
        # fee exemption (contract FAR empty): zero-land renovation applicants only (四（七）)
        for role, st, note in (
            ("VS_PASS", "pass", "exempt floor area = 技改后建筑面积 − 1.1 × area"),
            ("VS_LOWFAR", "not_applicable", "FAR after the renovation 0.9, not above 1.1"),
            ("VS_CONTRACT", "not_applicable", "出让合同约定容积率 1.8 given"),
            ("FAR_OUT_HIGH", "not_applicable", "FAR 1.35 but no renovation figures: not a zero-land renovation applicant"),
        ):
            i = R[role]
            gfa = P[i].a.get("gfa_after_m2") or m[i]["gfa"]
            val = max(0.0, round(gfa - 1.1 * m[i]["area"], 2))
            par("FEE_" + role, role, "incentive.fee_exempt_area", st, val if st == "pass" else None, round(1.1 * m[i]["area"], 2), note)  # limit: the floor area at FAR 1.1, m²
        # ---- 7. facility share
        for role, st, lim, note in (
            ("FAC_OUT_5", "pass", 0.07, "outside the parks"),
            ("FAC_OUT_7", "pass", 0.07, "exactly 7 % of the parcel (to 0.01 m²)"),
            ("FAC_OUT_9", "fail", 0.07, "outside the parks, not a leading enterprise"),
            ("FAC_OUT_2POLY", "fail", 0.07, "two facility polygons, 4 % + 4.5 %"),
            ("FAC_IN_12", "pass", 0.15, "inside 天台经济开发区: raised limit"),
            ("FAC_IN_15", "pass", 0.15, "inside the park, exactly 15 %"),
            ("FAC_IN_18", "fail", 0.15, "inside the park, 18 %"),
            ("FAC_IN_GFA", "fail", 0.15, "land 10 % passes but the office/dormitory floor area is over 30 % of the total"),
            ("FAC_IN_INNOV", "pass", 0.15, "inside 天台县创业创新园 (a development_zone too)"),
            ("FAC_LEAD_A80", "pass", 0.15, "outside the parks, leading enterprise, grade A, 79.2 mu"),
            ("FAC_LEAD_EXACT50", "pass", 0.15, "outside, leading, grade B, exactly 50 mu (50亩以上 includes it) and exactly 15 %"),
            ("FAC_LEAD_C", "fail", 0.07, "outside, leading but grade C (54 mu): 7 % applies"),
            ("FAC_BIG_NOTLEAD", "fail", 0.07, "outside, grade A, 50.76 mu, not a leading enterprise: 7 % applies"),
        ):
            i = R[role]
            ff = m[i]["fac_floor"]
            par(role, role, "facility.land_share", st, r6(m[i]["fac_share"]), lim,
                note + (f"; facility floor share {ff:.3f}" if lim == 0.15 and ff is not None else ""))
        # ---- 8. efficiency
        for role, st, note in (
            ("EFF_BIG_LOW", "fail", "revenue 15000 万元 ≥ 1亿: per-mu tax 8.0 / 9.5 ≤ 10 both years"),
            ("EFF_BIG_EXACT10", "fail", "revenue 12000: per-mu tax exactly 10.0 both years (（含）以下)"),
            ("EFF_BIG_ONEYEAR", "pass", "revenue 20000: 8.0 this year but 14.0 last year"),
            ("EFF_BIG_HIGH", "pass", "revenue 30000: 35 / 32"),
            ("EFF_REV_EXACT", "fail", "revenue exactly 10000 (1亿元以上 includes it): 9.0 / 9.5 ≤ 10"),
            ("EFF_SMALL_LOW", "fail", "revenue 3000: 4.2 / 4.8 ≤ 5"),
            ("EFF_SMALL_EXACT5", "fail", "revenue 5000: exactly 5.0 both years"),
            ("EFF_SMALL_PASS", "pass", "revenue 4000: 5.5 / 6.0 > 5"),
            ("EFF_SMALL_SCALE", "fail", "below-scale enterprise (规上=否) on < 3 mu: surveyed under tiantai; 3.0 / 3.2 ≤ 5"),
            ("EFF_SCOPE_3MU", "pass", "below-scale enterprise on exactly 3 mu: 6.0 / 6.5 > 5"),
        ):
            i = R[role]
            par(role, role, "efficiency.low_efficiency", st, round(m[i]["tax_mu"], 6), 10 if m[i]["revenue"] >= 10000 else 5, note)
        for k in (1, 2, 3):
            role = f"EFF_MULTI_{k}"
            par("EFF_MULTI", role, "efficiency.low_efficiency", "fail", round(m[R[role]]["tax_mu"], 6), 10,
                "three parcels of one enterprise: 营业收入 is split by area (each part < 10000), the enterprise's sum is 16000 ≥ 1亿; per-mu 8.0 / 9.0 ≤ 10")
        for role in ("EFF_SMALL_SCALE", "EFF_SCOPE_3MU"):
            i = R[role]
            par(role, role, "efficiency.survey_scope", "pass", round(P[i].geom.area / MU, 4), None,
                "tiantai surveys every enterprise on industrial land (taizhou/yuhuan/shengzhou: < 3 mu below-scale is out of scope; exactly 3 mu is in)")
        for role, st, note in (("INV_25000", "pass", "≥ 10000 万元: grade A during construction"), ("INV_10000", "pass", "exactly 10000 万元 (以上 includes it): grade A"),
                               ("INV_5000", "pass", "≥ 3000 万元: not grade D"), ("INV_3000", "pass", "exactly 3000 万元: not grade D"),
                               ("INV_2999", "not_applicable", "2999 万元 < 3000: no grade incentive")):
            i = R[role]
            par(role, role, "efficiency.grade_incentive", st, self.ents[P[i].ent]["investment"], 10000 if "A" in note.split(":")[-1] else 3000, note)
        # ---- pre-registration
        for role, st, note in (("EFF_BIG_LOW", "pass", "low-efficiency, 开发投资比例 0.20 < 25 %"),
                               ("EFF_SMALL_EXACT5", "not_applicable", "low-efficiency, 开发投资比例 exactly 0.25 (未达到 excludes it)"),
                               ("EFF_SMALL_LOW", "not_applicable", "low-efficiency, 开发投资比例 0.60")):
            par("PRE_" + role, role, "transfer.pre_registration", st, P[R[role]].a["investment_share"], 0.25, note)
        # ---- vertical subsidy, rent subsidy
        for role, st, note in (
            ("VS_PASS", "pass", "expansion 6000 m² × 50 ¥"), ("VS_CAP", "pass", "12000 m² × 50 = 600000 ¥, capped at 500000"),
            ("VS_SMALL", "not_applicable", "expansion 900 m² < 1000"), ("VS_EXACT1000", "pass", "expansion exactly 1000 m² (以上 includes it)"),
            ("VS_LOWFAR", "not_applicable", "FAR after expansion not above the industry FAR (nor 1.1)"),
            ("VS_CONTRACT", "not_applicable", "FAR after expansion below the contract FAR 1.8"),
        ):
            a = P[R[role]].a
            amount = min(500000.0, 50.0 * a["renovation_gfa_m2"]) if st == "pass" else 0.0
            par(role, role, "incentive.vertical_subsidy", st, amount, 500000.0 if st == "pass" else None,
                note + f"; FAR after {a['gfa_after_m2'] / m[R[role]]['area']:.3f}, industry FAR {a['industry_far']}")
        for role, st, note in (("RS_PASS", "pass", "grade B, investment 2000 万元, 5000 m² × 3 ¥ × 12"), ("RS_CAP", "pass", "20000 m² × 3 × 12 = 720000, capped at 500000"),
                               ("RS_GRADE_C", "not_applicable", "grade C"), ("RS_INV_EXACT", "pass", "investment exactly 1000 万元 (以上 includes it), 3000 m²")):
            e = self.ents[P[R[role]].ent]
            amount = min(500000.0, 36.0 * e["leased"]) if st == "pass" else 0.0
            par(role, role, "incentive.rent_subsidy", st, amount, 500000.0 if st == "pass" else None, note)
        # ---- overlays
        par("RET_A", "RET_A", "landuse.retain_industrial", "pass", None, None, "in the non-industrial plan zone Z04, not in expropriation Z05, grade A (commitments assumed)")
        par("RET_C", "RET_C", "landuse.retain_industrial", "fail", None, None, "in Z04, grade C")
        par("RET_EXPRO", "RET_EXPRO", "landuse.retain_industrial", "fail", None, None, "in Z04 and in the expropriation plan Z05")
        par("REN_RELOC", "REN_RELOC", "renovation.admission", "fail", None, None, "renovation inside the relocation plan zone Z06")
        par("REN_OK", "REN_OK", "renovation.admission", "pass", None, None, "renovation outside Z06")
        # ---- supply
        for year in (2021, 2022, 2023):
            ind = sum(P[R[r]].geom.area for r in R if r.startswith(f"SUP{year}_IND"))
            com = sum(P[R[r]].geom.area for r in R if r.startswith(f"SUP{year}_COM"))
            share = ind / (ind + com)
            # 2021 precedes 天政发〔2022〕1号 (issued 2022-02-20): the policy does not govern it
            st = "not_applicable" if year < 2022 else "pass" if round(share, 6) >= 0.3 else "fail"
            self.expect(f"SUP{year}", "supply_year", str(year), None, "supply.industrial_share", st, None if st == "not_applicable" else round(share, 6), 0.3,
                        "parcels with 出让日期 in that year only" + (" — exactly 30 %" if year == 2023 else "")
                        + (" — before the policy: share below 30 % but not governed" if year < 2022 else ""))
        par("SUP2022_IND3", "SUP2022_IND3", "supply.standard_land", "fail", None, None, "industrial land supplied 2022, 标准地=否")
        par("SUP2022_IND1", "SUP2022_IND1", "supply.standard_land", "pass", None, None, "industrial land supplied 2022, 标准地=是")
        # ---- split plans
        split_fail = {"S2": {"split.max_pieces": "4 pieces"}, "S3": {"split.min_piece_area": "piece S3-1 is 7 mu"},
                      "S4": {"split.building_integrity": "a 12 m × 30 m plant straddles the cut"},
                      "S5": {"split.facility_land": "the facility land is divided between the pieces"},
                      "S6": {"split.no_resplit": "the parent has 分割形成=是"}, "S7": {"split.partition": "a 2 m gap between the pieces"},
                      "S8": {"split.in_production": "the parent has 已竣工投产=否"}, "S10": {"transfer.transferee": "piece S10-2 goes to a grade C enterprise"}}
        notes = {"S1": "non-rectangular parent, 3 pieces; S1-1 is exactly 10 mu (to 0.01 m²); facility land inside S1-3; parent 标准地=是",
                 "S9": "4 pieces of a 工业地产 parcel: max_pieces exempt"}
        for role in ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10"]:
            info = self.pieces[role]
            parent = P[info["parent"]].a["parcel_id"]
            has_fac = any(f["parcel"] == info["parent"] for f in self.facility)
            for rule in ("split.in_production", "split.partition", "split.max_pieces",
                         "split.building_integrity", "split.facility_land", "split.no_resplit", "transfer.transferee"):
                st = "fail" if rule in split_fail.get(role, {}) else "pass"
                note = split_fail.get(role, {}).get(rule, notes.get(role, ""))
                if rule == "split.facility_land" and not has_fac:
                    st, note = "not_applicable", "the parent has no facility land"
                val = {"split.max_pieces": len(info["pieces"])}.get(rule)
                self.expect(role, "split_plan", parent, parent, rule, st, val, {"split.max_pieces": 3}.get(rule), note)
            for k, pc in enumerate(info["pieces"]):
                pid_ = f"{role}-{k + 1}"
                st = "fail" if round(pc.area, 2) < round(10 * MU, 2) else "pass"
                note = {"S1-1": "exactly 10 mu (6666.67 m² at 0.01 m²)", "S3-1": "7 mu"}.get(pid_, "")
                area = self.split_area.get(pid_, pc.area)
                self.expect(role, "split_piece", pid_, parent, "split.min_piece_area", st, round(area, 2), round(10 * MU, 2), note)
        # ---- merge groups
        merge = {"MG1": {}, "MG2": {}, "MG3": {"merge.adjacent": "G01 and G12 touch at one corner only"},
                 "MG4": {"merge.same_ownership": "国有 + 集体"}, "MG5": {"merge.same_right_type": "出让 + 租赁"},
                 "MG6": {}, "MG7": {"transfer.transferee": "transferee grade C"}, "MG8": {"merge.adjacent": "the two parcels face each other across a road"}}
        for gid, fails in merge.items():
            for rule in ("merge.adjacent", "merge.same_ownership", "merge.same_right_type", "transfer.transferee"):
                st = "fail" if rule in fails else "pass"
                self.expect(gid, "merge_group", gid, None, rule, st, None, None, fails.get(rule, ""))
        years = round((dt.date(2052, 8, 31) - AS_OF).days / 365.25, 2)
        self.expect("MG6", "merge_group", "MG6", None, "merge.remaining_term", "pass", years, None,
                    f"terms differ (2052-08-31 and 2063-03-14): the merged parcel keeps the shortest, {years} years as of {AS_OF}")
        # ---- fringe
        fr = {}
        for r in self.fringe_rows:
            fr.setdefault(r["host"], []).append(r)
        host_area = {h: (P[R["F8_host" if h == "F8" else "FRINGE_" + h]].geom.area) for h in fr}
        expect_f = {  # host: (adjacent, area_cap, intensity, note)
            "H2": ("pass", "pass", "pass", "F01: the sandwiched strip V4, within 20 % and 10 mu; FAR rise 30 %"),
            "H3": ("pass", "fail", "fail", "F02: 3.99 mu > 20 % of a 12.54 mu host (the ratio binds); rise 10 %, share 9.1 %"),
            "H1": ("pass", "fail", "pass", "F03: 11 mu > 10 mu (20 % would allow 12.1: the cap binds); rise 35 %"),
            "H4": ("pass", "fail", "pass", "F04a–c: 4 + 3.5 + 3 = 10.5 mu cumulative > 10 mu (each alone passes); renovation share 25 %"),
            "H5": ("fail", "pass", "pass", "F05: 120 m away from the host; rise 25 %"),
            "H6": ("pass", "pass", "pass", "F06: exactly 20 % of the host (6612 m²); FAR rise exactly 20 %"),
            "H7": ("pass", "pass", "pass", "F07: exactly 10 mu; renovation share exactly 20 %"),
            "F8": ("pass", "pass", "fail", "F08: a sandwiched strip within the caps, but rise 10 % and share 9.1 %"),
        }
        for h, (adj, cap, inten, note) in expect_f.items():
            rows = fr[h]
            host_id = rows[0]["host_parcel_id"]
            total = sum(r["geometry"].area for r in rows)
            for r in rows:
                self.expect(h if h != "F8" else "F8", "fringe", r["fringe_id"], host_id, "fringe.adjacent", adj, round(r["geometry"].distance(P[R["F8_host" if h == "F8" else "FRINGE_" + h]].geom), 3), 0.05, note)  # limit: the gap setting (0 m) or the 0.05 m snapping tolerance, the larger
            self.expect(h, "host", host_id, host_id, "fringe.area_cap", cap, round(total, 2),
                        round(min(0.2 * host_area[h], 10 * MU), 2), note + f"; cumulative {total / MU:.4f} mu on a {host_area[h] / MU:.4f} mu host")
            a = P[R["F8_host" if h == "F8" else "FRINGE_" + h]].a
            rise = a["gfa_after_m2"] / a["gfa_before_m2"] - 1
            share = a["renovation_gfa_m2"] / a["gfa_after_m2"]
            self.expect(h, "host", host_id, host_id, "fringe.intensity", inten, round(max(rise, share), 6), 0.2,
                        f"FAR rise {rise:.6f}, renovation share {share:.6f}")


class Build(Designed, Proposals, Writer, Report, Sample):
    def verify(self):
        """The designed statuses must follow from the measured value and the limit (POLICY.md rounding)."""
        ops = {"indicator.far_max": ("<=", 6), "indicator.height_max": ("<=", 2), "indicator.density_max": ("<=", 6),
               "facility.land_share": ("<=", 6)}
        bad = []
        for r in self.expected:
            if r["rule"] in ops and r["expected"] in ("pass", "fail") and r["limit"] is not None and r["value"] is not None:
                op, nd = ops[r["rule"]]
                ok = round(float(r["value"]), nd) <= round(float(r["limit"]), nd)
                floor_fail = r["case"] == "FAC_IN_GFA"
                src = "raster" in r["note"]
                if (r["expected"] == "pass") != ok and not floor_fail:
                    bad.append(r)
                if src and abs(float(r["value"]) - float(r["limit"])) < 1.0:
                    bad.append(r)  # raster heights carry ±0.3 m noise: keep them clear of the limit
            if r["rule"] == "efficiency.low_efficiency":
                limit = float(r["limit"])
                i = next(v for v in self.roles.values() if self.parcels[v].a["parcel_id"] == r["parcel_id"])
                low = round(self.m[i]["tax_mu"], 6) <= limit and round(self.m[i]["prev_mu"], 6) <= limit
                if (r["expected"] == "fail") != low:
                    bad.append(r)
        i = self.roles["FAC_IN_GFA"]
        if not self.m[i]["fac_floor"] > 0.3:
            bad.append({"case": "FAC_IN_GFA", "floor share": self.m[i]["fac_floor"]})
        for role in ("FAC_IN_12", "FAC_IN_15", "FAC_IN_INNOV", "FAC_LEAD_A80", "FAC_LEAD_EXACT50"):
            if not self.m[self.roles[role]]["fac_floor"] <= 0.3:
                bad.append({"case": role, "floor share": self.m[self.roles[role]]["fac_floor"]})
        for k in (1, 2, 3):
            if not self.parcel_rows[self.roles[f"EFF_MULTI_{k}"]]["revenue_10k"] < 10000:
                bad.append({"case": f"EFF_MULTI_{k}"})
        if bad:
            msg = "designed cases contradict the generated data:\n" + "\n".join(map(str, bad))
            raise RuntimeError(msg)


def readme(s: Build, out: Path, sizes: dict) -> str:
    P = s.parcels
    lu = pd.Series([p.a["land_use"] for p in P]).value_counts()
    ent_count = len(s.ents)
    multi = sum(1 for e in s.ents if len(e["parcels"]) > 1)
    areas = np.array([p.geom.area / MU for p in P])
    lines = []
    w = lines.append
    w("# Sample data: a synthetic industrial district near 天台 (Tiantai)\n")
    w("Generated by `python scripts/make_sample.py` (numpy `default_rng(20220220)`; re-running reproduces these files).")
    w("Everything here is synthetic; all enterprise names are fictitious. Do not edit by hand — change the script.")
    w(f"Byte-identical output needs the same libraries (made with shapely {shapely.__version__} / GEOS {'.'.join(map(str, shapely.geos_version))}, GDAL {'.'.join(map(str, pyogrio.__gdal_version__))}, numpy {np.__version__}).\n")
    w("- CRS: **EPSG:4549** (CGCS2000 / 3-degree Gauss-Krüger CM 120°E), metres; every layer and the raster.")
    w(f"- Extent: {W} m × {H} m, south-west corner at x = {s.x0:.0f}, y = {s.y0:.0f}; its centre is 121.03°E 29.14°N (pyproj, from EPSG:4490).")
    w("- Layout: 20 blocks between a grid of roads (roads are gaps, not parcels), a diagonal road in the north-east, a river (30 m water + 10 m green each side) in the south-west and a curved road in the north-west park, which cut some blocks further. Blocks are subdivided recursively (mostly axis-aligned cuts on whole metres, some slanted, arc-shaped or L-shaped) and then re-noded, so neighbours share vertices exactly: no gaps or overlaps except the deliberate ones listed below.")
    w("- 1 mu = 10000/15 m². Areas below are planar areas in EPSG:4549.\n")
    w("## Files\n")
    w("| file | layer | content | count | size |")
    w("|---|---|---|---|---|")
    n_b = len(s.buildings)
    w(f"| parcels.gpkg | parcels | parcel polygons (宗地), Chinese field names | {len(P)} | {sizes['parcels.gpkg']} |")
    w(f"| buildings.gpkg | buildings | building footprints (幢) | {n_b} | {sizes['buildings.gpkg']} |")
    w(f"| zones.gpkg | zones | parks, plans, control line, height limit | {len(s.zone_rows)} | {sizes['zones.gpkg']} |")
    w(f"| facility_land.gpkg | facility_land | admin-office / living-service land inside parcels | {len(s.facility)} | {sizes['facility_land.gpkg']} |")
    w(f"| ndsm.tif | — | nDSM (m above ground), float32, 2 m cells, nodata −9999, DEFLATE (predictor 3), 256 × 256 tiles | 1 band | {sizes['ndsm.tif']} |")
    w(f"| split_plan.gpkg | split_plan | proposed split pieces (10 parents) | {len(s.split_plans)} | {sizes['split_plan.gpkg']} |")
    w(f"| merge_plan.csv | — | merge groups (UTF-8, no BOM) | {len(s.merge_rows)} rows, 8 groups | {sizes['merge_plan.csv']} |")
    w(f"| fringe.gpkg | fringe | fringe-land applications (零星边角地、夹心地) | {len(s.fringe_rows)} | {sizes['fringe.gpkg']} |")
    w(f"| expected_tiantai.csv | — | the designed cases below, machine-readable | {len(s.expected)} rows | {sizes['expected_tiantai.csv']} |")
    w("")
    w("### parcels.gpkg — `parcels`\n")
    w("Fields (SCHEMA.md canonical name in brackets): " + ", ".join(f"{lab} (`{c}`)" for c, lab, _ in PARCEL_FIELDS) + ".\n")
    ent_mu = [p.geom.area / MU for p in P if hasattr(p, "ent")]
    w("- Land use: " + ", ".join(f"{k} {v}" for k, v in lu.items()) + f". Areas {areas.min():.2f}–{areas.max():.2f} mu; enterprise parcels {min(ent_mu):.2f}–{max(ent_mu):.2f} mu.")
    w(f"- 权利人: {ent_count} enterprises ({multi} of them with 2–4 neighbouring parcels), the 土地储备中心 / 管委会 / 街道 for vacant land, and a few commercial owners.")
    w("- Booleans are the text 是/否; dates are GeoPackage DATE; money in 万元. 总建筑面积 is empty on most parcels (landtool sums the buildings); 建筑高度 is given on only a few.")
    w("- **Money fields are per parcel and add up to the enterprise**: 税收、上年税收、营业收入、增加值 of an enterprise with several parcels are split among them in proportion to area (and 总投资 too), so per-mu figures and the 1亿 revenue line need the per-owner sum. 亩均评价等级, 规上企业, 龙头骨干企业 and 新增租赁厂房面积 are repeated on every parcel of the owner.")
    w("- 宗地代码: 331023 (天台县) + 地籍区 001 + 地籍子区 (= block, 001–020) + 宗地特征码 GB (国有建设用地使用权) / JB (集体) + 5-digit number; unique.")
    w("- 行业容积率标准 is the industry benchmark of the owner's industry (1.0–1.3); 仓储用地 parcels are non-industrial for landtool.\n")
    w("### buildings.gpkg — `buildings`\n")
    w("幢号 (`building_id`, = 宗地代码 + F + 4 digits, unique), 宗地代码 (`parcel_id`, on about half; the rest are assigned by location), 层数 (`floors`), 建筑高度 (`height_m`, on about 60 %; the rest come from ndsm.tif), 建筑面积 (`gfa_m2`, on some; else footprint × 层数), 用途 (`use`: 生产/仓储/行政办公/生活服务/其他), 技改新增 (`is_new`), 自有自用 (`self_use`). Heights are consistent with floors (≈4.2–5.2 m per industrial floor, 3.8 m office, 3.1 m dormitory; single-storey plants 7–12 m). Some footprints are L-shaped or trapezoidal along skewed parcel edges.\n")
    w("### zones.gpkg — `zones`\n")
    w("| zone_id | name | zone_type | height_max_m |")
    w("|---|---|---|---|")
    for z, n, t, h, _ in s.zone_rows:
        w(f"| {z} | {n} | {t} | {'' if h is None else h} |")
    w("\nZone edges follow road centre lines (so a parcel is wholly in or out), except the height-limit circle Z07 (r = 180 m).\n")
    w("### facility_land.gpkg — `facility_land`\n")
    w(f"facility_id, 宗地代码 (on about 60 %). {len(s.facility)} polygons in {len({f['parcel'] for f in s.facility})} parcels, shares 2–20 % of their parcel; office and dormitory buildings stand inside them.\n")
    w("### ndsm.tif\n")
    w("Roofs at the building's height (for buildings with 建筑高度, that height; for the others, one consistent with 层数), with per-cell noise of ±0.3 m; 0 on the ground; trees 5–10 m on vacant land, along the river and along 赤城大道; five nodata holes (one of them covers a whole building without 建筑高度, so that building has no height at all).\n")
    w("### Proposals\n")
    w("- **split_plan.gpkg**: 宗地代码 (the parent), piece_id, transferee_grade. Pieces are the parent cut by straight lines (so they tile it exactly), except the deliberate gap of S7.")
    w("- **merge_plan.csv**: group_id, 宗地代码, transferee_grade.")
    w("- **fringe.gpkg**: fringe_id, host_parcel_id. Each fringe polygon is (part of) a vacant parcel (空闲地/储备地).\n")
    w("## Designed cases (expected under the tiantai pack)\n")
    w("Exact-at-limit cases are exact at the precision of POLICY.md: areas compared at 0.01 m², ratios at 6 decimals. `value` is what landtool should measure. The same rows are in `expected_tiantai.csv` (columns case, subject, subject_id, parcel_id, rule, expected, value, limit, note).\n")
    w("Checked with everything given and an as-of date inside the pack's validity:\n")
    w("```sh")
    w("landtool check data/parcels.gpkg --buildings data/buildings.gpkg --zones data/zones.gpkg \\")
    w("  --facility-land data/facility_land.gpkg --height-raster data/ndsm.tif --split-plan data/split_plan.gpkg \\")
    w("  --merge-plan data/merge_plan.csv --fringe data/fringe.gpkg --policy tiantai --as-of 2023-06-30")
    w("```\n")
    w("The expected statuses assume these readings (POLICY.md, SCHEMA.md and packs/tiantai.yaml):\n")
    w("- Money and per-mu figures are per enterprise: the sums over the owner's parcels (see above). `EFF_MULTI` only fails when 营业收入 is summed (each parcel's share is below 1亿).")
    w("- Heights: parcel 建筑高度, else the tallest building (建筑高度, else ndsm.tif). Raster heights carry ±0.3 m of cell noise, so compare them with a tolerance of 0.5 m; designed raster cases are ≥ 2.7 m from their limit.")
    w("- `HEIGHT_ZONE`: a `height_limit` zone applies on top of the pack's or the plan's limit (packs/README.md: extra limit layers always apply); with only the plan's 40 m it would pass.")
    w("- Density under tiantai follows the planning condition; without one it is `insufficient_data` (`DENS_NOPLAN`). Inside 天台经济开发区 / 创业创新园 FAR and height without a planning condition are `insufficient_data`.")
    w("- Facility share: the raised 15 % applies inside a `development_zone`, or outside for a 龙头骨干企业 graded A/B whose *parcel* is ≥ 50 mu; the raised cases also need facility floor area (buildings 用途 行政办公/生活服务) ≤ 30 % of the parcel's GFA.")
    w("- Incentives (`fee_exempt_area`, `vertical_subsidy`, `rent_subsidy`, `grade_incentive`, `pre_registration`): `pass` (with the amount in m² or ¥) when granted, `not_applicable` (amount 0) when not. The approved expansion of the vertical subsidy is 技改建筑面积 (= 技改后 − 技改前 here).")
    w("- Fringe: adjacency with the default gap of 0 m; FAR rise = 技改后建筑面积 / 技改前建筑面积 − 1, renovation share = 技改建筑面积 / 技改后建筑面积; the cumulative area counts every fringe polygon of the host in fringe.gpkg.")
    w("- Supply share per calendar year of 出让日期 over all land uses (only the designed parcels were supplied after 2019); 2023 is exactly 30 %.\n")
    df = pd.DataFrame(s.expected)
    w("| case | subject | id | rule | expected | value | limit | note |")
    w("|---|---|---|---|---|---|---|---|")
    for r in df.itertuples():
        sid = r.subject_id if r.subject != "parcel" else f"`{r.subject_id}`"
        val = "" if r.value is None or (isinstance(r.value, float) and math.isnan(r.value)) else r.value
        lim = "" if r.limit is None or (isinstance(r.limit, float) and math.isnan(r.limit)) else r.limit
        w(f"| {r.case} | {r.subject} | {sid} | {r.rule} | **{r.expected}** | {val} | {lim} | {r.note} |")
    w("\nParcels of the split and merge plans and fringe hosts by role:\n")
    w("| role | 宗地代码 | area (mu) | note |")
    w("|---|---|---|---|")
    for role in ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10"]:
        i = s.pieces[role]["parent"]
        w(f"| {role} | `{P[i].a['parcel_id']}` | {P[i].geom.area / MU:.4f} | pieces " + ", ".join(f"{pc.area / MU:.4f}" for pc in s.pieces[role]["pieces"]) + " mu |")
    for r in sorted(s.roles):
        if r.startswith("MERGE_") or r.startswith("MG") or r.startswith("FRINGE_") or r.startswith("F8"):
            i = s.roles[r]
            w(f"| {r} | `{P[i].a['parcel_id']}` | {P[i].geom.area / MU:.4f} | {P[i].a['land_use']}, {P[i].a['ownership']}, {P[i].a.get('right_type') or ''}, 终止 {P[i].a.get('term_end') or ''} |")
    w("\n## Data-quality cases (the `issues` layer)\n")
    bi, barea = s.dq["bowtie"]
    try:
        fixed = shapely.make_valid(P[bi].bowtie, method="structure", keep_collapsed=False)
    except TypeError:  # shapely < 2.1
        fixed = shapely.make_valid(P[bi].bowtie)
    w(f"- **Invalid geometry**: `{P[bi].a['parcel_id']}` is a self-intersecting bow-tie (two neighbouring vertices of a {barea:.2f} m² quadrilateral swapped: a digitising error). `make_valid` gives {fixed.geom_type} of {fixed.area:.2f} m², so the repaired parcel also differs from its 证载面积 {P[bi].a['registered_area_m2']}, and its buildings partly fall outside it.")
    oi, oj, oa = s.dq["overlap"]
    w(f"- **Overlap**: `{P[oi].a['parcel_id']}` reaches 3 m into `{P[oj].a['parcel_id']}` ({oa:.2f} m²).")
    gi, gj, ga = s.dq["gap"]
    w(f"- **Gap**: `{P[gi].a['parcel_id']}` stops 1.5 m short of `{P[gj].a['parcel_id']}` ({ga:.2f} m² less).")
    w("- **Registered area off by more than 1 %**: " + ", ".join(f"`{P[i].a['parcel_id']}` ({(P[i].a['registered_area_m2'] / s.orig_area.get(i, P[i].geom.area) - 1) * 100:+.1f} %)" for i in sorted(s.dq["area_off"])) + "; the overlap and gap parcels above also differ from their registered area.")
    w(f"- **Building outside every parcel**: `{s.dq['outside'].id}` (a pump house in the river's green belt, no 宗地代码). After the bow-tie is repaired, its own buildings may also fall outside it.")
    w("- **Buildings crossing their parcel edge** (by 1–2.5 m): " + ", ".join(f"`{b.id}` ({'into a road' if road else 'into the neighbour'})" for b, road in s.dq["crossing"]) + ".")
    w(f"- **No height**: `{s.dq['hole_building'].id}` has no 建筑高度 and lies under a nodata hole of ndsm.tif.")
    w("- Duplicate-free 宗地代码; every other geometry is valid (shapely.is_valid).\n")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "data"), help="output directory (default: the repository's data/)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    s = Build()
    s.renovation_hosts = set()
    s.orig_area = {}
    s.split_area = {}
    s.run()
    s.write(out)
    s.measures()
    s.cases()
    s.verify()
    pd.DataFrame(s.expected).to_csv(out / "expected_tiantai.csv", index=False, encoding="utf-8", lineterminator="\n")
    sizes = {f.name: (f"{f.stat().st_size / 1024:.0f} KB" if f.stat().st_size >= 10240 else f"{f.stat().st_size} B") for f in out.iterdir() if f.is_file()}
    (out / "README.md").write_text(readme(s, out, sizes), encoding="utf-8")
    summary(s, out)


def summary(s, out):
    P = s.parcels
    print(f"landtool sample → {out}  (EPSG:4549, origin {s.x0:.0f} {s.y0:.0f})")
    print(f"  parcels {len(P)} ({sum(1 for p in P if p.kind == 'random')} subdivided, {s.l_merges} L-merges, "
          f"{sum(1 for p in P if p.kind in ('strip', 'sliver'))} strips/slivers), enterprises {len(s.ents)}")
    print("  land use: " + ", ".join(f"{k} {v}" for k, v in pd.Series([p.a['land_use'] for p in P]).value_counts().items()))
    print(f"  buildings {len(s.buildings)}, facility polygons {len(s.facility)}, zones {len(s.zone_rows)}, trees {len(s.trees)}")
    print(f"  split pieces {len(s.split_plans)}, merge rows {len(s.merge_rows)}, fringe {len(s.fringe_rows)}, designed verdict rows {len(s.expected)}")
    total = 0
    for f in sorted(out.iterdir()):
        if f.is_file():
            total += f.stat().st_size
            print(f"  {f.name:24s} {f.stat().st_size / 1024:8.1f} KB")
    print(f"  total {total / 1024 / 1024:.2f} MB")


if __name__ == "__main__":
    sys.exit(main())
