"""landtool against its peers, side by side, on synthetic cadastres of the given sizes.

    python -m bench.run [--sizes 10000 100000] [--skip-postgis] [--skip-heights] [--heights-max N]

For each size: the data set is generated (or taken from the cache, ``bench/synth.py``),
then every contender runs in its own child process, timed by wall clock and with its own
peak resident memory (``os.wait4`` reports the child's, not the largest of all children
so far; the summed memory of the child's process tree, sampled, when larger: the dask
engine's workers):

- landtool ``check`` writing a GeoPackage, ``check --json`` (stdout to a file), and
  ``check`` with a merge plan of 5 groups of 2 neighbouring parcels;
- the GeoPandas script and PostGIS (``bench/peers/``) doing the same core checks;
- building heights from the nDSM for the footprints without ``height_m``: landtool,
  exactextract and rasterstats (``--heights-max`` caps rasterstats' footprints).

Then the outputs are compared (area, FAR and height per parcel; height per building) and a
Markdown report is printed and written to ``bench/results.md``. Exit status 1 when a
contender failed or the outputs disagree beyond the tolerances below.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psutil
import pyogrio

from bench import synth

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = HERE / "peers"
RESULTS = HERE / "results.md"

AREA_TOL_M2 = 0.01  # landtool reports areas to 0.01 m²
FAR_TOL = 1e-6  # landtool compares ratios on 6 decimals
PARCEL_HEIGHT_TOL_M = 0.01  # parcel heights are attributes: only rounding may differ
# exactextract weights partly covered cells, landtool drops cells less than half inside:
# the two 90th percentiles differ by a fraction of the nDSM noise (0.3 m), not more.
HEIGHT_MEDIAN_TOL_M = 0.05
HEIGHT_MAX_TOL_M = 0.5


@dataclass
class Run:
    """One child process: wall time (s), peak resident memory (GiB), exit code, the last line
    of its stdout, the 1-minute load average of the machine just before it started and,
    when it failed, the last lines of its stderr."""

    seconds: float
    peak_gib: float
    returncode: int
    last_line: str
    load_before: float
    error: str = ""
    projection: dict | None = None
    """For the dask engine: the time per worker count projected from its partitions' times."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def printed(self) -> dict:
        """The JSON line a peer script prints last."""
        return json.loads(self.last_line)


class TreeMemory:
    """The largest summed resident memory (bytes) of a process and all its descendants, sampled
    every 0.2 s in a thread: the dask engine's workers are processes of their own, whose memory
    ``ru_maxrss`` (the largest single process) does not add up."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(pid, interval), daemon=True)
        self._thread.start()

    def _sample(self, pid: int, interval: float) -> None:
        try:
            root = psutil.Process(pid)
        except psutil.NoSuchProcess:
            return
        while not self._done.is_set():
            total = 0
            try:
                for process in [root, *root.children(recursive=True)]:
                    try:
                        total += process.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
            except psutil.NoSuchProcess:
                return
            self.peak = max(self.peak, total)
            self._done.wait(interval)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def measure(argv: list[str], name: str, work: Path) -> Run:
    """Run ``argv`` from the repository root, its stdout and stderr in ``work/name.{out,err}``."""
    out, err = work / f"{name}.out", work / f"{name}.err"
    load = os.getloadavg()[0]
    start = time.perf_counter()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=stdout, stderr=stderr)
        tree = TreeMemory(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        tree.stop()
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, so Popen need not
    peak = max(usage.ru_maxrss * 1024, tree.peak) / 2**30  # ru_maxrss: KiB
    run = Run(seconds, peak, proc.returncode, _tail(out, 1), load)
    if run.ok:
        print(f"  {name}: {run.seconds:.1f} s, {run.peak_gib:.2f} GiB", file=sys.stderr, flush=True)
    else:
        run.error = _tail(err, 5)
        print(f"  {name} FAILED (exit {run.returncode}): {shlex.join(argv)}\n{run.error}", file=sys.stderr, flush=True)
    return run


def _tail(path: Path, lines: int) -> str:
    """The last lines of a text file, read from its end (``check --json`` output is large)."""
    with path.open("rb") as f:
        f.seek(max(0, f.seek(0, os.SEEK_END) - 65_536))
        return "\n".join(f.read().decode(errors="replace").strip().splitlines()[-lines:])


def landtool_check(data: Path, *options: str) -> list[str]:
    """The landtool ``check`` command line on a synthetic data set."""
    exe = Path(sys.executable).with_name("landtool")
    layers = ["--buildings", str(data / "buildings.gpkg"), "--zones", str(data / "zones.gpkg")]
    return [str(exe), "check", str(data / "parcels.gpkg"), *layers, "--policy", "tiantai", "--as-of", "2023-06-30", *options]


def run_size(n: int, args: argparse.Namespace, work: Path) -> dict[str, Run | None]:
    """Generate the data set of ``n`` parcels if needed, then run every contender on it."""
    runs: dict[str, Run | None] = {"generate": None}
    data = synth.folder(n, seed=args.seed)
    if not data.exists():
        runs["generate"] = measure([sys.executable, "-m", "bench.synth", str(n), "--seed", str(args.seed)], "generate", work)
        if not runs["generate"].ok:
            return runs
    py = sys.executable
    runs["landtool"] = measure(landtool_check(data, "--out", str(work / "landtool.gpkg")), "landtool", work)
    runs["landtool_json"] = measure(landtool_check(data, "--json"), "landtool_json", work)
    runs["landtool_merge"] = measure(
        landtool_check(data, "--merge-plan", str(data / "merge_plan.csv"), "--out", str(work / "landtool_merge.gpkg")),
        "landtool_merge",
        work,
    )
    runs["landtool_json_lines"] = measure(landtool_check(data, "--json-lines"), "landtool_json_lines", work)
    runs["landtool_parquet"] = measure(landtool_check(data, "--out", str(work / "landtool.parquet")), "landtool_parquet", work)
    if not args.skip_dask:
        runs["landtool_dask"] = measure(
            landtool_check(data, "--engine", "dask", "--workers", str(args.workers), "--out", str(work / "landtool_dask.parquet")), "landtool_dask", work
        )
        runs["landtool_dask"].projection = dask_projection(work / "landtool_dask.parquet", runs["landtool_dask"])
    runs["geopandas"] = measure([py, str(PEERS / "geopandas_check.py"), str(data), str(work / "geopandas.gpkg")], "geopandas", work)
    if not args.skip_postgis:
        runs["postgis"] = measure([py, str(PEERS / "postgis.py"), str(data), str(work / "postgis.csv")], "postgis", work)
    if not args.skip_heights:
        for method in ("landtool", "exactextract", "rasterstats"):
            cap = ["--max", str(args.heights_max)] if method == "rasterstats" and args.heights_max else []
            argv = [py, str(PEERS / "heights.py"), method, str(data), str(work / f"heights_{method}.csv"), *cap]
            runs[f"heights_{method}"] = measure(argv, f"heights_{method}", work)
    return runs


def dask_projection(result: Path, run: Run) -> dict | None:
    """What the dask run's per-partition times say about more workers: the time outside
    measuring stays, the partitions' summed time is shared — a projection, not a measurement."""
    if not run.ok or not (result / "run.parquet").exists():
        return None
    record = dict(pd.read_parquet(result / "run.parquet").itertuples(index=False, name=None))
    timings = json.loads(record.get("engine_timings") or "{}")
    if not timings:
        return None
    work = sum(p["seconds"] for p in timings["partitions"])
    rest = max(run.seconds - timings["measure_s"], 0.0)
    return {"rest_s": rest, "partition_s": work, "partitions": len(timings["partitions"]),
            "projected": {w: rest + work / w for w in (2, 4, 8, 16)}}


# --- agreement -------------------------------------------------------------------------


def max_abs_diff(a: pd.Series, b: pd.Series) -> float:
    """Largest |a − b|; infinite when a value is missing on one side only."""
    if (a.isna() != b.isna()).any():
        return math.inf
    diff = (a - b).abs().max()
    return 0.0 if pd.isna(diff) else float(diff)


def parcel_agreement(work: Path, runs: dict[str, Run | None]) -> list[dict]:
    """landtool's ``parcels`` layer against each peer's output: area, FAR and height.

    Parcel heights are compared where both sides give one. The peers take the tallest
    *known* building height; landtool gives none when a building of the parcel has no
    height (the tallest could be that one), so a height from the peer only is expected
    and reported for information, one from landtool only is a disagreement.
    """
    if not _ok(runs, "landtool"):
        return []
    columns = ["parcel_id", "area_m2", "far", "height_m"]
    ours = pyogrio.read_dataframe(work / "landtool.gpkg", layer="parcels", columns=columns, read_geometry=False)
    peers = {}
    if _ok(runs, "geopandas"):
        peers["GeoPandas"] = pyogrio.read_dataframe(work / "geopandas.gpkg", columns=columns, read_geometry=False)
    if _ok(runs, "postgis"):
        peers["PostGIS"] = pd.read_csv(work / "postgis.csv", usecols=columns, dtype={"parcel_id": str})
    rows = []
    for peer, theirs in peers.items():
        both = ours.merge(theirs[columns], on="parcel_id", how="outer", suffixes=("", "_peer"), indicator=True)
        h, h_peer = both["height_m"], both["height_m_peer"]
        known = h.notna() & h_peer.notna()
        rows += [
            {"peer": peer, "measure": "parcels only on one side", "value": int((both["_merge"] != "both").sum()), "tol": 0},
            {
                "peer": peer,
                "measure": "max abs. diff area_m2",
                "value": max_abs_diff(both["area_m2"], both["area_m2_peer"]),
                "tol": AREA_TOL_M2,
            },
            {"peer": peer, "measure": "max abs. diff far", "value": max_abs_diff(both["far"], both["far_peer"]), "tol": FAR_TOL},
            {
                "peer": peer,
                "measure": f"max abs. diff height_m, {known.sum():,} parcels",
                "value": max_abs_diff(h[known], h_peer[known]),
                "tol": PARCEL_HEIGHT_TOL_M,
            },
            {"peer": peer, "measure": "height_m from landtool only", "value": int((h.notna() & h_peer.isna()).sum()), "tol": 0},
            {
                "peer": peer,
                "measure": "height_m from the peer only (a building without height)",
                "value": int((h.isna() & h_peer.notna()).sum()),
                "tol": None,
            },
        ]
    return rows


def height_agreement(work: Path, runs: dict[str, Run | None]) -> list[dict]:
    """Per-building raster heights: landtool against exactextract and rasterstats (m)."""
    if not _ok(runs, "heights_landtool"):
        return []
    ours = pd.read_csv(work / "heights_landtool.csv")
    rows = []
    for peer in ("exactextract", "rasterstats"):
        if not _ok(runs, f"heights_{peer}"):
            continue
        both = ours.merge(pd.read_csv(work / f"heights_{peer}.csv"), on="building_id", suffixes=("", "_peer"))
        both[["height_m", "height_m_peer"]] = both[["height_m", "height_m_peer"]].apply(pd.to_numeric, errors="coerce")
        diff = (both["height_m"] - both["height_m_peer"]).abs()
        one_sided = int((both["height_m"].isna() != both["height_m_peer"].isna()).sum())
        rows += [
            {
                "peer": peer,
                "measure": f"median abs. diff height_m, {len(both):,} buildings",
                "value": float(diff.median()),
                "tol": HEIGHT_MEDIAN_TOL_M,
            },
            {"peer": peer, "measure": "max abs. diff height_m", "value": float(diff.max()), "tol": HEIGHT_MAX_TOL_M},
            {"peer": peer, "measure": "height on one side only", "value": one_sided, "tol": 0},
        ]
    return rows


def _ok(runs: dict[str, Run | None], name: str) -> bool:
    return runs.get(name) is not None and runs[name].ok


# --- report ----------------------------------------------------------------------------


def _s(run: Run | None) -> str:
    if run is None:
        return ""
    return f"{run.seconds:.1f}" if run.ok else f"failed ({run.returncode})"


def _gib(run: Run | None) -> str:
    return f"{run.peak_gib:.2f}" if run is not None and run.ok else ""


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else ""


def postgis_times(runs: dict[str, Run | None]) -> tuple[float, float] | None:
    """PostGIS (load + index, query) seconds, as the script measured them."""
    if not _ok(runs, "postgis"):
        return None
    t = runs["postgis"].printed()
    return t["load_s"] + t["index_s"], t["query_s"]


def time_table(results: dict[int, dict[str, Run | None]], args: argparse.Namespace) -> list[str]:
    """The Markdown rows of time (s) and peak memory (GiB) per size and step."""
    lines = [
        "| N | step | landtool s | landtool GiB | GeoPandas s | GeoPandas GiB | PostGIS load+index s | PostGIS query s "
        "| exactextract s | rasterstats s | landtool / GeoPandas | landtool / PostGIS |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, runs in results.items():
        lt, gp, pg = runs.get("landtool"), runs.get("geopandas"), postgis_times(runs)
        lt_s = lt.seconds if lt is not None and lt.ok else None
        gp_s = gp.seconds if gp is not None and gp.ok else None
        pg_cells = [f"{pg[0]:.1f}", f"{pg[1]:.1f}"] if pg else ["skipped" if args.skip_postgis else "failed", ""]
        lines.append(
            f"| {n:,} | check → GPKG | {_s(lt)} | {_gib(lt)} | {_s(gp)} | {_gib(gp)} | {' | '.join(pg_cells)} | | "
            f"| {_ratio(lt_s, gp_s)} | {_ratio(lt_s, sum(pg) if pg else None)} |"
        )
        for key, step in (("landtool_json", "check --json"), ("landtool_json_lines", "check --json-lines"), ("landtool_parquet", "check → Parquet"),
                          ("landtool_dask", f"check --engine dask ({args.workers} workers) → Parquet"), ("landtool_merge", "check + merge plan (5×2 parcels)")):
            if key in runs:
                lines.append(f"| {n:,} | {step} | {_s(runs[key])} | {_gib(runs[key])} | | | | | | | | |")
        if "heights_landtool" in runs:
            lines.append(height_row(n, runs))
    return lines


def height_row(n: int, runs: dict[str, Run | None]) -> str:
    """Raster heights: the extraction seconds each script reported, on its footprints."""
    names = ("heights_landtool", "heights_exactextract", "heights_rasterstats")
    printed = {name: runs[name].printed() for name in names if _ok(runs, name)}
    total = max((t["footprints"] for t in printed.values()), default=0)

    def cell(name: str) -> str:
        if name not in printed:
            return _s(runs.get(name))
        t = printed[name]
        return f"{t['seconds']:.1f}" + (f" (first {t['footprints']:,} only)" if t["footprints"] < total else "")

    lt, ee, rs = (cell(name) for name in names)
    return f"| {n:,} | heights of {total:,} footprints | {lt} | {_gib(runs.get(names[0]))} | | | | | {ee} | {rs} | | |"


def exponent(results: dict[int, dict[str, Run | None]], seconds) -> str:
    """log(t2/t1) / log(N2/N1) between the smallest and largest size (1 = linear)."""
    (n1, r1), (n2, r2) = min(results.items()), max(results.items())
    t1, t2 = seconds(r1), seconds(r2)
    if n1 == n2 or not t1 or not t2:
        return "n/a"
    return f"{math.log(t2 / t1) / math.log(n2 / n1):.2f}"


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        "unknown CPU",
    )
    return f"{cpu}, {psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GiB RAM"


def report(results: dict[int, dict[str, Run | None]], agreement: dict[int, list[dict]], args: argparse.Namespace) -> tuple[str, bool]:
    """The Markdown report, and whether every contender ran and agreed."""
    loads = [run.load_before for runs in results.values() for run in runs.values() if run is not None]
    lines = [
        "# landtool benchmark",
        "",
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} · {machine()} · `python -m bench.run {shlex.join(sys.argv[1:])}`",
        "",
        "Wall time of each child process (imports, reading and writing included) and its peak resident memory "
        "(its own, or the sum over its process tree sampled every 0.2 s when larger: the dask workers); "
        "PostGIS: the times the script measured inside one session (server start/stop and result export excluded); "
        "heights: the extraction alone. Synthetic data: `bench/synth.py`.",
        "",
        f"1-minute load average before each child: {min(loads, default=0):.1f}–{max(loads, default=0):.1f} "
        f"({psutil.cpu_count()} cores; well above 0 means other processes shared the CPU and the times are inflated).",
        "",
        "## Data",
        "",
        "| N | buildings | nDSM cells | generation s | generation GiB |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n, runs in results.items():
        path = synth.folder(n, seed=args.seed) / "counts.json"
        counts = json.loads(path.read_text()) if path.exists() else {}
        gen = runs["generate"]
        lines.append(f"| {n:,} | {counts.get('buildings', 0):,} | {counts.get('ndsm_cells', 0):,} | {_s(gen) or 'cached'} | {_gib(gen)} |")
    lines += ["", "## Time and memory", "", *time_table(results, args), ""]
    if len(results) > 1:
        lines += [
            "Scaling exponent of the check time between the smallest and largest size (1 = linear): "
            f"landtool {exponent(results, lambda r: _ok(r, 'landtool') and r['landtool'].seconds)}, "
            f"GeoPandas {exponent(results, lambda r: _ok(r, 'geopandas') and r['geopandas'].seconds)}, "
            f"PostGIS {exponent(results, lambda r: (t := postgis_times(r)) and sum(t))}.",
            "",
        ]
    for n, runs in results.items():
        if _ok(runs, "heights_landtool") and _ok(runs, "heights_exactextract"):
            ratio = _ratio(runs["heights_landtool"].printed()["seconds"], runs["heights_exactextract"].printed()["seconds"])
            lines += [f"Raster heights at N = {n:,}: landtool takes {ratio} exactextract's time on the same footprints.", ""]
    projected = [(n, runs["landtool_dask"].projection) for n, runs in results.items() if runs.get("landtool_dask") is not None and runs["landtool_dask"].projection]
    if projected:
        lines += ["## The dask engine with more workers (a projection, not a measurement)", "",
                  "From one run's per-partition measuring times: the time outside measuring stays, the partitions' summed time is shared by the workers.", "",
                  "| N | partitions | partitions' time s | rest s | 2 workers s | 4 | 8 | 16 |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for n, p in projected:
            cells = " | ".join(f"{p['projected'][w]:.1f}" for w in (2, 4, 8, 16))
            lines.append(f"| {n:,} | {p['partitions']} | {p['partition_s']:.1f} | {p['rest_s']:.1f} | {cells} |")
        lines.append("")
    lines += ["## Agreement", "", "| N | landtool vs | measure | value | tolerance | |", "|---:|---|---|---:|---:|---|"]
    agree = True
    for n, rows in agreement.items():
        for row in rows:
            if row["tol"] is None:
                tol, verdict = "", "info"
            else:
                ok = row["value"] <= row["tol"]
                agree &= ok
                tol, verdict = f"{row['tol']:g}", "ok" if ok else "**DISAGREE**"
            value = f"{row['value']:,}" if isinstance(row["value"], int) else f"{row['value']:.3g}"
            lines.append(f"| {n:,} | {row['peer']} | {row['measure']} | {value} | {tol} | {verdict} |")
    failed = [(n, name, run) for n, runs in results.items() for name, run in runs.items() if run is not None and not run.ok]
    for n, name, run in failed:
        lines += ["", f"**FAILED: {name} at N = {n:,} (exit {run.returncode})**", "", "```", run.error, "```"]
    if not agree:
        lines += ["", "**DISAGREEMENT: landtool and a peer differ beyond the tolerance (rows marked above).**"]
    return "\n".join(lines) + "\n", agree and not failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000], help="numbers of parcels")
    parser.add_argument("--seed", type=int, default=synth.SEED)
    parser.add_argument("--skip-postgis", action="store_true")
    parser.add_argument("--skip-heights", action="store_true")
    parser.add_argument("--heights-max", type=int, help="rasterstats on the first N footprints only (it is the slowest)")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="workers of the dask engine's local cluster")
    args = parser.parse_args()
    results, agreement = {}, {}
    for n in sorted(set(args.sizes)):
        print(f"N = {n:,}", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix=f"bench-{n}-") as tmp:
            work = Path(tmp)
            results[n] = run_size(n, args, work)
            agreement[n] = parcel_agreement(work, results[n]) + height_agreement(work, results[n])
    text, ok = report(results, agreement, args)
    RESULTS.write_text(text)
    print(text)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
