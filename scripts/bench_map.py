"""Benchmark the HTML map: synthetic parcel grids of 1k, 10k and 50k parcels.

For each size: build and write the map, report the file size and, when Debian's
Chromium and Python playwright are available, the time the page takes to open
and draw the parcels (measured in the browser: ``performance.now()`` when the
parcel layer is on the canvas, i.e. from navigation start to first full draw).

    python scripts/bench_map.py                 # 1k, 10k, 50k
    python scripts/bench_map.py --sizes 1000 200000 --keep maps/bench

Budget: 50k parcels under 25 MB, drawn within a few seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landtool.maps import write_map
from landtool.policy import Pack
from landtool.result import CheckResult, family_of, worst_status

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BUDGET_MB = 25.0

#: (rule, unit, clause, limit or None for per-parcel limits)
RULES = [
    ("indicator.far_max", "ratio", "天政发〔2022〕1号 四（五）", None),
    ("indicator.height_max", "m", "天政发〔2022〕1号 四（五）", None),
    ("indicator.density_max", "ratio", "天政发〔2022〕1号 四（五）", 0.6),
    ("facility.land_share", "ratio", "天政发〔2022〕1号 四（六）", 0.07),
    ("efficiency.survey_scope", "mu", "天政发〔2022〕1号 二（一）", 3),
    ("efficiency.low_efficiency", "10k_yuan/mu", "天政发〔2022〕1号 二（二）", 5),
    ("efficiency.benchmark", "10k_yuan/mu", "天政发〔2022〕1号 二（三）", 15),
    ("efficiency.grade_incentive", None, "天政发〔2022〕1号 二（四）", None),
    ("landuse.retain_industrial", None, "天政发〔2022〕1号 一（二）", None),
    ("landuse.control_line", None, "天政发〔2022〕1号 一（三）", None),
    ("incentive.fee_exempt_area", "m2", "天政发〔2022〕1号 三（一）", None),
    ("incentive.vertical_subsidy", "yuan", "天政发〔2022〕1号 三（二）", None),
]
STATUSES = np.array(["pass", "fail", "not_applicable", "insufficient_data"])
SURNAMES = list("浙江天台玉环温岭临海黄岩路桥仙居三门椒江")
TRADES = ["机械", "汽配", "医药", "塑料", "阀门", "五金", "电子", "纺织", "水泵", "模具"]


def synthetic_grid(n: int, *, seed: int = 0, cell: float = 60.0) -> gpd.GeoDataFrame:
    """``n`` irregular quadrilaterals sharing their corners (a valid coverage) in EPSG:4549."""
    rng = np.random.default_rng(seed)
    nx = int(np.ceil(np.sqrt(n)))
    ny = int(np.ceil(n / nx))
    xs = 500_000 + np.arange(nx + 1) * cell
    ys = 3_300_000 + np.arange(ny + 1) * cell
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + rng.uniform(-0.2 * cell, 0.2 * cell, gx.shape)
    gy = gy + rng.uniform(-0.2 * cell, 0.2 * cell, gy.shape)
    j, i = np.divmod(np.arange(n), nx)
    corners = np.stack(
        [
            np.stack([gx[j, i], gy[j, i]], axis=-1),
            np.stack([gx[j, i + 1], gy[j, i + 1]], axis=-1),
            np.stack([gx[j + 1, i + 1], gy[j + 1, i + 1]], axis=-1),
            np.stack([gx[j + 1, i], gy[j + 1, i]], axis=-1),
        ],
        axis=1,
    )
    geoms = shapely.polygons(corners)
    return gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4549")


def synthetic_result(n: int, *, seed: int = 0) -> CheckResult:
    """A CheckResult shaped like a county run: parcels, 12 rules per parcel, a few issues."""
    rng = np.random.default_rng(seed)
    parcels = synthetic_grid(n, seed=seed)
    ids = [f"331023{(k // 1000):06d}GB{k % 100000:05d}" for k in range(n)]
    owner_no = rng.integers(0, max(1, n // 4), n)
    owners = [f"{SURNAMES[o % len(SURNAMES)]}{TRADES[o % len(TRADES)]}有限公司{o}" for o in owner_no]
    area = parcels.geometry.area.to_numpy()
    far = np.round(rng.uniform(0.3, 3.0, n), 6)
    height = np.round(rng.uniform(6, 60, n), 2)
    parcels["parcel_id"] = ids
    parcels["owner"] = owners
    parcels["area_m2"] = area
    parcels["area_mu"] = area / (10000 / 15)
    parcels["far"] = far
    parcels["height_m"] = np.where(rng.random(n) < 0.05, np.nan, height)
    parcels["height_source"] = rng.choice(["attribute", "buildings", "raster"], n)

    rows = []
    for rule, unit, clause, limit in RULES:
        status = STATUSES[rng.choice(4, n, p=[0.6, 0.2, 0.1, 0.1])]
        if rule == "indicator.far_max":
            lim = np.round(rng.choice([1.1, 1.2, 1.5, 2.0], n), 2)
            value = far
        elif rule == "indicator.height_max":
            lim = rng.choice([24.0, 40.0, 50.0], n)
            value = height
        elif rule == "incentive.vertical_subsidy":
            lim = np.full(n, np.nan)
            value = np.round(rng.uniform(0, 2e6, n), 2)
        elif rule == "incentive.fee_exempt_area":
            lim = np.full(n, np.nan)
            value = np.round(area * rng.uniform(0, 1.5, n), 2)
        elif limit is None:
            lim = np.full(n, np.nan)
            value = np.full(n, np.nan)
        else:
            lim = np.full(n, float(limit))
            value = np.round(rng.uniform(0, 2 * float(limit), n), 4)
        headroom = np.where(np.isnan(lim) | np.isnan(value), np.nan, lim - value)
        rows.append(
            pd.DataFrame(
                {
                    "subject": "parcel",
                    "subject_id": ids,
                    "parcel_id": ids,
                    "rule": rule,
                    "status": status,
                    "value": value,
                    "limit": lim,
                    "unit": unit,
                    "pack": "tiantai",
                    "clause": clause,
                    "explanation": "",
                    "interpretation": None,
                    "headroom": headroom,
                }
            )
        )
    verdicts = pd.concat(rows, ignore_index=True)
    verdicts["family"] = verdicts["rule"].map(family_of)
    for fam, g in verdicts.groupby("family"):
        parcels[f"status_{fam}"] = g.groupby("parcel_id")["status"].agg(worst_status).reindex(ids).to_numpy()
    parcels["status"] = verdicts.groupby("parcel_id")["status"].agg(worst_status).reindex(ids).to_numpy()
    verdicts = verdicts.drop(columns="family")

    pick = rng.choice(n, max(1, n // 200), replace=False)
    issues = gpd.GeoDataFrame(
        {
            "parcel_id": [ids[k] for k in pick],
            "issue": "area_difference",
            "detail": "证载面积与实测面积相差超过 5%",
        },
        geometry=parcels.geometry.iloc[pick].to_numpy(),
        crs=parcels.crs,
    )
    pack = Pack(
        id="tiantai",
        title={"zh": "天台县工业用地提质增效（基准）", "en": "Tiantai industrial land (bench)"},
        document="天政发〔2022〕1号",
        issued=dt.date(2022, 2, 20),
        valid_until=dt.date(2023, 12, 31),
        rules={},
    )
    return CheckResult(
        verdicts=verdicts,
        parcels=parcels,
        layers={"issues": issues},
        pack=pack,
        as_of=dt.date(2023, 6, 30),
    )


def browser_time(path: Path, timeout_s: float = 120.0) -> dict | None:
    """Open ``path`` in headless Chromium (network blocked); timings in ms, or None."""
    if not Path(CHROMIUM).exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto(path.resolve().as_uri(), wait_until="commit", timeout=timeout_s * 1000)
            page.wait_for_function("window.landtool && window.landtool.ready === true", timeout=timeout_s * 1000)
            timing = page.evaluate("Object.assign({drawnCount: landtool.parcelsDrawn}, landtool.timing)")
            # find a parcel by id: zoom to it and open its popup
            t = page.evaluate(
                """() => { const t0 = performance.now(); landtool.openParcel(landtool.data.parcels.id[0]);
                           return performance.now() - t0; }"""
            )
            timing["find"] = t
            timing["errors"] = errors
            return timing
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--keep", type=Path, default=None, help="keep the HTML files in this directory")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench_map_")) if args.keep is None else args.keep
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for n in args.sizes:
            result = synthetic_result(n)
            path = workdir / f"bench_{n}.html"
            t0 = time.perf_counter()
            write_map(result, path)
            build_s = time.perf_counter() - t0
            size_mb = path.stat().st_size / 1e6
            timing = None if args.no_browser else browser_time(path)
            rows.append((n, len(result.verdicts), size_mb, build_s, timing))
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)

    header = f"{'parcels':>8} {'verdicts':>9} {'size MB':>8} {'build s':>8} {'parsed ms':>10} {'drawn ms':>9} {'find ms':>9} {'drawn':>7}  budget"
    print(header)
    print("-" * len(header))
    failed = False
    for n, nv, size_mb, build_s, timing in rows:
        if timing:
            parsed, drawn, find, count = timing["parsed"], timing["drawn"], timing["find"], timing["drawnCount"]
            cells = f"{parsed:>10.0f} {drawn:>9.0f} {find:>9.1f} {count:>7}"
            if timing["errors"] or count != n:
                failed = True
        else:
            cells = f"{'n/a':>10} {'n/a':>9} {'n/a':>9} {'n/a':>7}"
        ok = size_mb <= BUDGET_MB * max(1.0, n / 50_000)
        failed |= not ok
        print(f"{n:>8} {nv:>9} {size_mb:>8.2f} {build_s:>8.2f} {cells}  {'ok' if ok else 'OVER'}")
    if all(t is None for *_, t in rows) and not args.no_browser:
        print(f"(no browser timings: {CHROMIUM} or playwright not available)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
