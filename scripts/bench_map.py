"""Benchmark the HTML map: parcel grids of 1k, 10k and 50k parcels.

For each size: build and write the map, report the file size and, when Debian's
Chromium and Python playwright are available, the time the page takes to open and
draw the parcels (measured in the browser: ``performance.now()`` when the parcel layer
is on the canvas, i.e. from navigation start to first full draw), and to find a parcel
and open its popup (sentences rendered from their templates).

By default the map is of the real check of the district of ``scripts/bench.py`` (one
building a parcel; 17 parcel rules, 850 001 verdicts at 50k). ``--synthetic`` draws
compact rows made up here instead — one per parcel and rule of
``landtool.rules.PARCEL_RULES``, each rule's declared reasons at random and args for
every field their sentences name (richer than the district's data, so a bigger file;
quick to make).

    python scripts/bench_map.py                 # 1k, 10k, 50k
    python scripts/bench_map.py --sizes 1000 10000 --synthetic
    python scripts/bench_map.py --sizes 1000 200000 --keep maps/bench

Budget (the check): 50k parcels under 15 MB, drawn in about a second on an idle PC.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path
from string import Formatter

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landtool.issues import issue_frame
from landtool.map import write_map
from landtool.messages import catalogue
from landtool.policy import load_pack
from landtool.result import STATUS_ORDER, CheckResult, family_of
from landtool.rules import PARCEL_RULES
from landtool.verdicts import REASONS, not_in_policy, verdict_frame

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
BUDGET_MB = 15.0
STATUSES = np.array(["pass", "fail", "not_applicable", "insufficient_data"])
SURNAMES = list("浙江天台玉环温岭临海黄岩路桥仙居三门椒江")
TRADES = ["机械", "汽配", "医药", "塑料", "阀门", "五金", "电子", "纺织", "水泵", "模具"]
#: The verdict columns a sentence may name directly (no arg needed).
COLUMNS = {"value", "limit", "unit", "headroom", "status", "subject_id", "parcel_id"}
#: Args that measure the parcel (a value per row); other numeric args are the pack's thresholds.
MEASURES = {"va", "prev", "far", "tax", "rise", "share", "grade", "supply_date", "months", "contract_far", "value_added"}
#: Per rule, the share of rows with a value, the share with a limit, how many distinct
#: limits (0: one per row) and the share with a headroom: as in the check of the bundled sample.
SHAPES = {
    "indicator.far_max": (0.9, 0.84, 6, 0.73), "indicator.height_max": (0.89, 0.84, 5, 0.72),
    "indicator.density_max": (0.9, 0.45, 4, 0.41), "facility.land_share": (1.0, 1.0, 2, 0.82),
    "efficiency.benchmark": (0.89, 1.0, 1, 0), "efficiency.grade_incentive": (0.15, 1.0, 2, 0),
    "efficiency.low_efficiency": (0.89, 0.82, 2, 0), "efficiency.survey_scope": (1.0, 0, 1, 0),
    "incentive.fee_exempt_area": (0.03, 1.0, 0, 0), "incentive.rent_subsidy": (1.0, 0.01, 1, 0),
    "incentive.vertical_subsidy": (1.0, 0.03, 1, 0), "landuse.control_line": (0, 0.17, 1, 0),
    "supply.standard_land": (0.02, 1.0, 1, 0), "transfer.pre_registration": (0.01, 1.0, 1, 0),
}
UNITS = {"indicator.far_max": "ratio", "indicator.height_max": "m", "indicator.density_max": "ratio", "facility.land_share": "ratio",
         "efficiency.survey_scope": "mu", "efficiency.low_efficiency": "10k_yuan_per_mu", "efficiency.benchmark": "10k_yuan_per_mu",
         "incentive.fee_exempt_area": "m2", "incentive.vertical_subsidy": "yuan", "incentive.rent_subsidy": "yuan"}


def synthetic_grid(n: int, *, seed: int = 0, cell: float = 60.0) -> gpd.GeoDataFrame:
    """``n`` irregular quadrilaterals sharing their corners (a valid coverage) in EPSG:4549."""
    rng = np.random.default_rng(seed)
    nx = int(np.ceil(np.sqrt(n)))
    ny = int(np.ceil(n / nx))
    gx, gy = np.meshgrid(500_000 + np.arange(nx + 1) * cell, 3_300_000 + np.arange(ny + 1) * cell)
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
    return gpd.GeoDataFrame(geometry=shapely.polygons(corners), crs="EPSG:4549")


def _fields(rule: str, reason: str) -> dict[str, str]:
    """Fields the sentences of (rule, reason) name, with their conversion, both languages."""
    out = {}
    for lang in ("zh", "en"):
        cat = catalogue(lang)
        template = cat.get(f"reasons.{rule}.{reason}") or cat.get(f"reasons.*.{reason}") or ""
        for _, name, spec, conversion in Formatter().parse(template):
            if name and name.split(".")[0] not in COLUMNS:
                out[name.split(".")[0]] = conversion or "n"
    return out


def _arg_values(name: str, conversion: str, rows: int, rng: np.random.Generator) -> np.ndarray:
    """Per-row values of one arg: term codes, input codes, ratios, lists or numbers."""
    terms = catalogue("zh").data.get("terms", {}).get(name) or {}
    if conversion == "t" and terms:
        return rng.choice(np.array(list(terms), dtype=object), rows)
    if conversion in ("i", "l"):
        choices = [["gfa_m2", "buildings"], ["height_m", "height_raster"], ["grade"]] if conversion == "i" else [["331023001001GB00001", "331023001001GB00002"]]
        out = np.empty(rows, dtype=object)
        for k, c in enumerate(rng.integers(0, len(choices), rows).tolist()):
            out[k] = choices[c]
        return out
    if conversion == "p":
        return np.round(rng.uniform(0, 0.3, rows), 4)
    if name in ("land_use",):
        return rng.choice(np.array(["商业用地", "住宅用地", "空闲地"], dtype=object), rows)
    if name.endswith(("_m2", "_10k")) or name in MEASURES:  # a measure of the parcel: one per row
        return np.round(rng.uniform(0, 500, rows), 2)
    return np.full(rows, float(np.round(rng.uniform(0, 50), 1)))  # a threshold of the pack


def synthetic_verdicts(ids: list[str], pack, rng: np.random.Generator, far: np.ndarray, height: np.ndarray, area: np.ndarray) -> pd.DataFrame:
    """One compact verdict row per parcel and parcel rule, with declared reasons and args."""
    n = len(ids)
    parts = []
    for rule_id in PARCEL_RULES:
        rule = pack.rule(rule_id)
        if rule is None:
            parts.append(not_in_policy(rule_id, pack.id, subject="parcel", subject_id=ids, parcel_id=ids))
            continue
        reasons = np.array(sorted(REASONS.get(rule_id, {"not_industrial"})), dtype=object)
        reason = rng.choice(reasons, n)
        status = STATUSES[rng.choice(4, n, p=[0.6, 0.2, 0.1, 0.1])]
        value_share, limit_share, n_limits, headroom_share = SHAPES.get(rule_id, (0, 0, 1, 0))
        if rule_id == "indicator.far_max":
            value = far
        elif rule_id == "indicator.height_max":
            value = height
        else:
            value = np.round(rng.uniform(0, 40, n), 4)
        value = np.where(rng.random(n) < value_share, value, np.nan)
        limits = np.round(rng.uniform(1, 50, max(n_limits, 1)), 2)
        limit = np.round(rng.uniform(100, 5000, n), 2) if n_limits == 0 else rng.choice(limits, n)
        limit = np.where(rng.random(n) < limit_share, limit, np.nan)
        headroom = np.where(rng.random(n) < headroom_share, np.round((limit - value) * area / 10, 2), np.nan)
        args: dict[str, np.ndarray] = {}
        for code in reasons:
            rows = reason == code
            for name, conversion in _fields(rule_id, code).items():
                vals = args.setdefault(name, np.full(n, None, dtype=object))
                vals[rows] = _arg_values(name, conversion, int(rows.sum()), rng)
        parts.append(
            verdict_frame(
                rule, pack.id, subject="parcel", subject_id=ids, parcel_id=ids, status=status, reason=reason,
                value=value, limit=limit, unit=UNITS.get(rule_id, ""), headroom=headroom, args=args,
            )
        )
    return pd.concat(parts, ignore_index=True)


def synthetic_result(n: int, *, seed: int = 0) -> CheckResult:
    """A CheckResult shaped like a county run: parcels, 17 parcel rules each, a few issues."""
    rng = np.random.default_rng(seed)
    pack = load_pack("tiantai")
    parcels = synthetic_grid(n, seed=seed)
    ids = [f"331023{(k // 1000):06d}GB{k % 100000:05d}" for k in range(n)]
    owner_no = rng.integers(0, max(1, n // 4), n)
    area = parcels.geometry.area.to_numpy()
    far = np.round(rng.uniform(0.3, 3.0, n), 6)
    height = np.round(rng.uniform(6, 60, n), 2)
    parcels["parcel_id"] = ids
    parcels["owner"] = [f"{SURNAMES[o % len(SURNAMES)]}{TRADES[o % len(TRADES)]}有限公司{o}" for o in owner_no]
    parcels["area_m2"] = np.round(area, 2)
    parcels["area_mu"] = np.round(area / (10000 / 15), 4)
    parcels["far"] = far
    parcels["height_m"] = np.where(rng.random(n) < 0.05, np.nan, height)
    parcels["height_source"] = rng.choice(["attribute", "buildings", "raster"], n)
    table = synthetic_verdicts(ids, pack, rng, far, height, area)
    counted = table[table["reason"] != "not_in_policy"]
    severity = pd.DataFrame({"p": counted["parcel_id"], "f": counted["rule"].astype(str).map(family_of), "s": counted["status"].astype(str).map(STATUS_ORDER)})
    worst = severity.groupby(["p", "f"])["s"].max().unstack("f")
    names = {v: k for k, v in STATUS_ORDER.items()}
    for fam in worst.columns:
        parcels[f"status_{fam}"] = worst[fam].map(names).reindex(ids).fillna("not_applicable").to_numpy()
    parcels["status"] = worst.max(axis=1).map(names).reindex(ids).to_numpy()

    pick = rng.choice(n, max(1, n // 200), replace=False)
    issues = issue_frame(
        parcels.crs, "parcels", "area_mismatch", feature_id=[ids[k] for k in pick], value_m2=np.round(rng.uniform(-50, 50, len(pick)), 2),
        args={"measured_m2": 1000.0, "registered_m2": 1040.0, "share": 0.04}, geometry=parcels.geometry.iloc[pick].to_numpy(),
    )
    return CheckResult(table=table, parcels=parcels, layers={"issues": issues}, pack=pack, as_of=dt.date(2023, 6, 30), lang="zh")


def checked_result(n: int) -> CheckResult:
    """The real check of the scripts/bench.py district (n parcels, one building each)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import bench  # scripts/bench.py
    import landtool

    parcels, buildings = bench.district(n)
    return landtool.check(parcels, buildings=buildings, policy="tiantai", as_of="2023-06-30")


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
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            errors: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            def route(r):
                if r.request.url.startswith("file:"):
                    r.continue_()
                else:
                    requests.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(path.resolve().as_uri(), wait_until="commit", timeout=timeout_s * 1000)
            page.wait_for_function("window.landtool && window.landtool.ready === true", timeout=timeout_s * 1000)
            timing = page.evaluate("Object.assign({drawnCount: landtool.parcelsDrawn}, landtool.timing)")
            timing["find"] = page.evaluate(
                """() => { const t0 = performance.now(); landtool.openParcel(landtool.data.parcels.id[0]);
                           return performance.now() - t0; }"""
            )
            timing["errors"] = errors + requests
            return timing
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--synthetic", action="store_true", help="made-up verdict rows instead of the check of the scripts/bench.py district")
    parser.add_argument("--keep", type=Path, default=None, help="keep the HTML files in this directory")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench_map_")) if args.keep is None else args.keep
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for n in args.sizes:
            result = synthetic_result(n) if args.synthetic else checked_result(n)
            path = workdir / f"bench_{n}.html"
            t0 = time.perf_counter()
            write_map(result, path)
            build_s = time.perf_counter() - t0
            size_mb = path.stat().st_size / 1e6
            timing = None if args.no_browser else browser_time(path)
            rows.append((n, len(result.table), size_mb, build_s, timing))
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
                print(f"errors at {n}: {timing['errors'][:3]}")
        else:
            cells = f"{'n/a':>10} {'n/a':>9} {'n/a':>9} {'n/a':>7}"
        ok = args.synthetic or size_mb <= BUDGET_MB * max(1.0, n / 50_000)
        failed |= not ok
        print(f"{n:>8} {nv:>9} {size_mb:>8.2f} {build_s:>8.2f} {cells}  {'—' if args.synthetic else 'ok' if ok else 'OVER'}")
    if all(t is None for *_, t in rows) and not args.no_browser:
        print(f"(no browser timings: {CHROMIUM} or playwright not available)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
