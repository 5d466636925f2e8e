"""The ``landtool`` command: a thin skin over :func:`landtool.check` and friends.

Exit status (SCHEMA.md): 0 run completed, 1 with ``--fail-on fail`` and a failing
verdict, 2 bad input or usage — with a one-line message, never a traceback.
"""

from __future__ import annotations

import functools
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from landtool.errors import LandtoolError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Check land parcels against Zhejiang's 腾笼换鸟、凤凰涅槃 industrial-land policies.",
    pretty_exceptions_enable=False,
)
policies_app = typer.Typer(help="List the policy packs, or show one pack's rules.", invoke_without_command=True)
app.add_typer(policies_app, name="policies")

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)
if not out.is_terminal:  # piped or captured: tables as wide as they need, not 80 columns
    out.width = 160


class Lang(str, Enum):
    zh = "zh"
    en = "en"


class FailOn(str, Enum):
    never = "never"
    fail = "fail"
    insufficient_data = "insufficient_data"


def _fail(message: str) -> None:
    err.print(f"landtool: error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(2)


def handle_errors(func):
    """Map library errors to exit code 2 with a one-line message."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except LandtoolError as exc:
            _fail(str(exc))
        except (OSError, MemoryError) as exc:
            _fail(f"{getattr(exc, 'filename', '') or ''} {exc.strerror or exc}".strip())
        except Exception as exc:  # a bug or an input case not foreseen: still one line
            if os.environ.get("LANDTOOL_DEBUG"):
                raise
            _fail(f"unexpected {exc.__class__.__name__}: {exc} (set LANDTOOL_DEBUG=1 for details)")

    return wrapper


# --------------------------------------------------------------------------- shared options
# Defined once, used by every command that reads the same inputs.

PathOpt = Optional[str]
ParcelsArg = Annotated[Optional[str], typer.Argument(help="Parcels layer (any GDAL format, GeoParquet, file.gpkg::layer). Default: the bundled sample.")]
BuildingsOpt = Annotated[PathOpt, typer.Option(help="Buildings layer (幢): floors, height_m, gfa_m2, use.")]
ZonesOpt = Annotated[PathOpt, typer.Option(help="Zones layer: development_zone, municipal_industrial_zone, control_line, …")]
FacilityOpt = Annotated[PathOpt, typer.Option("--facility-land", help="Admin-office and living-service land (配套用地) layer.")]
HeightRasterOpt = Annotated[PathOpt, typer.Option("--height-raster", help="Building-height raster (nDSM, metres above ground).")]
HeightLimitOpt = Annotated[PathOpt, typer.Option("--height-limit-raster", help="Highest allowed building top per cell (m above ground), e.g. airport clearance.")]
DsmOpt = Annotated[PathOpt, typer.Option(help="Digital surface model; with --dem gives heights as DSM − DEM.")]
DemOpt = Annotated[PathOpt, typer.Option(help="Digital elevation model (ground), with --dsm.")]
SplitOpt = Annotated[PathOpt, typer.Option("--split-plan", help="Split-transfer proposal: pieces with parcel_id, piece_id.")]
MergeOpt = Annotated[PathOpt, typer.Option("--merge-plan", help="Merge-transfer proposal: CSV or layer of group_id, parcel_id.")]
FringeOpt = Annotated[PathOpt, typer.Option(help="Fringe-land applications: fringe_id, host_parcel_id.")]
PolicyOpt = Annotated[str, typer.Option(help="Policy pack id (see `landtool policies`) or path to a pack .yaml.")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="Date of the check, YYYY-MM-DD (default: today).")]
VacantOpt = Annotated[PathOpt, typer.Option(help="Layer of vacant / reserve land for fringe candidates (default: parcels whose land use is 空闲地, 储备地 …).")]
LangOpt = Annotated[Lang, typer.Option(help="Language of explanations and labels.")]
FieldsOpt = Annotated[PathOpt, typer.Option(help="YAML/JSON file mapping your field names to landtool's.")]
EncodingOpt = Annotated[PathOpt, typer.Option(help="Text encoding of the inputs (default: detected, e.g. GBK shapefiles).")]
CrsOpt = Annotated[PathOpt, typer.Option(help="CRS of layers that have none, e.g. EPSG:4549.")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Write the verdicts table and layers to this GeoPackage.")]
MapOpt = Annotated[Optional[Path], typer.Option("--map", help="Write a self-contained HTML map here.")]
ReportOpt = Annotated[Optional[Path], typer.Option("--report", help="Write a report: .xlsx (summary, failures, proposals, issues) or .csv (summary).")]
BasemapOpt = Annotated[PathOpt, typer.Option(help="Map basemap: none (default), osm, tianditu, or an XYZ URL template.")]
TiandituOpt = Annotated[PathOpt, typer.Option("--tianditu-key", help="Tianditu key for --basemap tianditu.")]


def _check_outputs(out_path: Path | None, map_path: Path | None, report_path: Path | None = None) -> None:
    """Output paths are checked before the work starts, not after."""
    if report_path is not None and report_path.suffix.lower() not in (".xlsx", ".csv"):
        _fail(f"--report {report_path}: a report is .xlsx or .csv")
    if out_path is not None and out_path.suffix.lower() != ".gpkg":
        _fail(f"--out {out_path}: the output must be a GeoPackage (.gpkg)")
    if map_path is not None and map_path.suffix.lower() not in (".html", ".htm"):
        _fail(f"--map {map_path}: the map must be an .html file")


def _progress(quiet: bool):
    """A spinner on stderr (when it is a terminal) and the callback that updates it."""
    if quiet or not sys.stderr.isatty():
        return _nullcontext(), lambda _message: None
    status = err.status("landtool", spinner="dots")
    return status, lambda message: status.update(f"landtool: {message}")


def _warn(result) -> None:
    for warning in result.warnings:
        err.print(f"landtool: warning: {warning}", markup=False, soft_wrap=True)


@app.command()
@handle_errors
def check(
    parcels: ParcelsArg = None,
    buildings: BuildingsOpt = None,
    zones: ZonesOpt = None,
    facility_land: FacilityOpt = None,
    height_raster: HeightRasterOpt = None,
    height_limit_raster: HeightLimitOpt = None,
    dsm: DsmOpt = None,
    dem: DemOpt = None,
    split_plan: SplitOpt = None,
    merge_plan: MergeOpt = None,
    fringe: FringeOpt = None,
    policy: PolicyOpt = "tiantai",
    as_of: AsOfOpt = None,
    out_path: OutOpt = None,
    map_path: MapOpt = None,
    report_path: ReportOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdicts to stdout as a JSON list.")] = False,
    fringe_candidates: Annotated[bool, typer.Option("--fringe-candidates", help="Also list fringe-land candidates (fringe_candidates layer).")] = False,
    vacant: VacantOpt = None,
    lang: LangOpt = Lang.zh,
    fields: FieldsOpt = None,
    encoding: EncodingOpt = None,
    crs: CrsOpt = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Exit 1 when a verdict has this status (requirement rules).")] = FailOn.never,
    basemap: BasemapOpt = None,
    tianditu_key: TiandituOpt = None,
) -> None:
    """Check parcels against a policy pack; print a summary, write GeoPackage / map / JSON."""
    from landtool.check import check as run_check
    from landtool.output import verdicts_json, write_geopackage

    _check_outputs(out_path, map_path, report_path)
    spinner, progress = _progress(as_json)
    with spinner:
        result = run_check(
            parcels,
            buildings=buildings,
            zones=zones,
            facility_land=facility_land,
            height_raster=height_raster,
            height_limit_raster=height_limit_raster,
            dsm=dsm,
            dem=dem,
            split_plan=split_plan,
            merge_plan=merge_plan,
            fringe=fringe,
            policy=policy,
            as_of=as_of,
            lang=lang.value,
            fields=fields,
            encoding=encoding,
            crs=crs,
            fringe_candidates=fringe_candidates or vacant is not None,
            vacant=vacant,
            progress=progress,
        )
        _warn(result)
        if out_path is not None:
            write_geopackage(result, out_path)
            err.print(f"landtool: wrote {out_path}", markup=False)
        if map_path is not None:
            from landtool.maps import write_map

            write_map(result, map_path, lang=lang.value, basemap=basemap, tianditu_key=tianditu_key)
            err.print(f"landtool: wrote {map_path}", markup=False)
        if report_path is not None:
            from landtool.report import write_report

            write_report(result, report_path, lang=lang.value)
            err.print(f"landtool: wrote {report_path}", markup=False)
    if as_json:
        sys.stdout.write(verdicts_json(result.verdicts) + "\n")
    else:
        _print_summary(result, lang.value)
    if fail_on is not FailOn.never:
        statuses = ("fail",) if fail_on is FailOn.fail else ("fail", "insufficient_data")
        failing = result.failed(statuses=statuses)
        if len(failing):
            err.print(f"landtool: {len(failing)} verdict(s) with status {' / '.join(statuses)}", markup=False)
            raise typer.Exit(1)


@app.command()
@handle_errors
def compare(
    parcels: ParcelsArg = None,
    buildings: BuildingsOpt = None,
    zones: ZonesOpt = None,
    facility_land: FacilityOpt = None,
    height_raster: HeightRasterOpt = None,
    height_limit_raster: HeightLimitOpt = None,
    dsm: DsmOpt = None,
    dem: DemOpt = None,
    split_plan: SplitOpt = None,
    merge_plan: MergeOpt = None,
    fringe: FringeOpt = None,
    policy: Annotated[list[str], typer.Option(help="Two packs to compare (or one, with two --as-of dates).")] = ["tiantai"],  # noqa: B006
    as_of: Annotated[Optional[list[str]], typer.Option("--as-of", help="One date for both packs, or two dates for one pack.")] = None,
    out_path: OutOpt = None,
    map_path: MapOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the differences to stdout as a JSON list.")] = False,
    lang: LangOpt = Lang.zh,
    fields: FieldsOpt = None,
    encoding: EncodingOpt = None,
    crs: CrsOpt = None,
    basemap: BasemapOpt = None,
    tianditu_key: TiandituOpt = None,
) -> None:
    """Report every verdict that differs between two packs, or two dates of one pack."""
    from landtool.check import check as run_check
    from landtool.compare import compare_layer, compare_results
    from landtool.output import verdicts_json, write_geopackage

    dates = as_of or [None]
    if len(policy) > 2 or len(dates) > 2 or len(policy) * len(dates) != 2 or (len(policy) == 2 and len(dates) == 2):
        _fail("compare needs two --policy values (one --as-of), or one --policy with two --as-of dates")
    runs = [(p, d) for p in policy for d in dates]
    _check_outputs(out_path, map_path)
    spinner, progress = _progress(as_json)
    inputs = dict(buildings=buildings, zones=zones, facility_land=facility_land, height_raster=height_raster,
                  height_limit_raster=height_limit_raster, dsm=dsm, dem=dem,
                  split_plan=split_plan, merge_plan=merge_plan, fringe=fringe, lang=lang.value, fields=fields, encoding=encoding, crs=crs)
    with spinner:
        a, b = (run_check(parcels, policy=p, as_of=d, progress=progress, **inputs) for p, d in runs)
        differences = compare_results(a, b)
        layer = compare_layer(differences, b.parcels)
        b.layers["compare"] = layer
        if out_path is not None:
            write_geopackage(b, out_path, tables={"compare_verdicts": differences})
            err.print(f"landtool: wrote {out_path}", markup=False)
        if map_path is not None:
            from landtool.maps import write_map

            write_map(b, map_path, lang=lang.value, basemap=basemap, tianditu_key=tianditu_key)
            err.print(f"landtool: wrote {map_path}", markup=False)
    if as_json:
        sys.stdout.write(verdicts_json(differences) + "\n")
        return
    title = f"{differences.attrs['a']} → {differences.attrs['b']}: {len(differences)} verdict(s) differ on {len(layer)} parcel(s)"
    table = Table(title=title, title_justify="left")
    for column in ("subject_id", "rule", "status a", "status b", "limit a", "limit b"):
        table.add_column(column, no_wrap=column == "rule")
    for row in differences.head(200).itertuples():
        table.add_row(str(row.subject_id), row.rule, str(row.status_a), str(row.status_b), _short(row.limit_a), _short(row.limit_b))
    out.print(table)
    if len(differences) > 200:
        out.print(f"… {len(differences) - 200} more (use --json or --out)", markup=False)


@app.command("fringe-candidates")
@handle_errors
def fringe_candidates_command(
    parcels: ParcelsArg = None,
    vacant: VacantOpt = None,
    policy: PolicyOpt = "tiantai",
    as_of: AsOfOpt = None,
    out_path: OutOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the candidates to stdout as a JSON list.")] = False,
    lang: LangOpt = Lang.zh,
    fields: FieldsOpt = None,
    encoding: EncodingOpt = None,
    crs: CrsOpt = None,
) -> None:
    """List, per enterprise parcel, adjacent vacant or reserve land that fits the pack's fringe caps."""
    from landtool.check import check as run_check
    from landtool.output import verdicts_json, write_geopackage

    _check_outputs(out_path, None)
    spinner, progress = _progress(as_json)
    with spinner:
        result = run_check(parcels, policy=policy, as_of=as_of, lang=lang.value, fields=fields, encoding=encoding, crs=crs,
                           fringe_candidates=True, vacant=vacant, progress=progress)
        _warn(result)
        layer = result.layers["fringe_candidates"]
        if out_path is not None:
            write_geopackage(result, out_path)
            err.print(f"landtool: wrote {out_path}", markup=False)
    if as_json:
        sys.stdout.write(verdicts_json(layer.drop(columns=layer.geometry.name)) + "\n")
        return
    table = Table(title=f"{result.pack.id}: {len(layer)} fringe-land candidate(s)", title_justify="left")
    shown = [c for c in ("host_parcel_id", "candidate_ids", "area_m2", "area_mu", "cap_m2", "remaining_m2") if c in layer]
    for column in shown:
        table.add_column(column)
    for row in layer[shown].head(200).itertuples(index=False):
        table.add_row(*(f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row))
    out.print(table)


def _short(value) -> str:
    return "—" if value is None or value != value else f"{value:g}"


@app.command("map")
@handle_errors
def map_command(
    results: Annotated[Path, typer.Argument(help="A GeoPackage written by `landtool check --out`.")],
    map_path: Annotated[Optional[Path], typer.Option("--out", "--map", help="HTML file to write (default: next to the GeoPackage).")] = None,
    lang: LangOpt = Lang.zh,
    basemap: BasemapOpt = None,
    tianditu_key: TiandituOpt = None,
) -> None:
    """Draw the map of an earlier run from its GeoPackage."""
    from landtool.maps import write_map
    from landtool.output import read_geopackage

    map_path = map_path or results.with_suffix(".html")
    _check_outputs(None, map_path)
    result = read_geopackage(results)
    write_map(result, map_path, lang=lang.value, basemap=basemap, tianditu_key=tianditu_key)
    err.print(f"landtool: wrote {map_path}", markup=False)


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _print_summary(result, lang: str) -> None:
    """Counts per rule and status, as a table on stdout."""
    from landtool.labels import STATUS_LABELS
    from landtool.result import STATUSES

    labels = STATUS_LABELS[lang]
    pack = result.pack
    title = f"{pack.id} · {pack.document} · as of {result.as_of.isoformat()} · {len(result.parcels)} parcels"
    table = Table(title=title, title_justify="left")
    table.add_column("rule" if lang == "en" else "规则", no_wrap=True)
    for status in STATUSES:
        table.add_column(labels[status], justify="right", overflow="fold")
    summary = result.summary()
    for rule_id, row in summary.iterrows():
        table.add_row(rule_id, *(str(int(row[s])) if row[s] else "·" for s in STATUSES))
    out.print(table)
    issues = result.issues
    if issues is not None and len(issues):
        counts = issues["problem"].value_counts()
        out.print(("data-quality issues: " if lang == "en" else "数据质量问题：") + ", ".join(f"{k} {v}" for k, v in counts.items()))


@policies_app.callback()
@handle_errors
def policies(ctx: typer.Context) -> None:
    """List the bundled policy packs."""
    if ctx.invoked_subcommand is not None:
        return
    from landtool.policy import available_packs, load_pack

    table = Table(title="landtool policy packs", title_justify="left")
    for column in ("id", "document", "issued", "valid until", "rules"):
        table.add_column(column)
    for name in available_packs():
        pack = load_pack(name)
        table.add_row(
            pack.id,
            pack.document,
            pack.issued.isoformat() if pack.issued else "—",
            pack.valid_until.isoformat() if pack.valid_until else "—",
            str(len(pack.rules)),
        )
    out.print(table)


@policies_app.command("show")
@handle_errors
def policies_show(
    name: Annotated[str, typer.Argument(help="Pack id or path to a pack .yaml.")],
    lang: Annotated[Lang, typer.Option(help="Language of titles and interpretations.")] = Lang.zh,
) -> None:
    """Print each rule of a pack, its numbers and its clause."""
    from landtool.policy import RULE_IDS, load_pack

    pack = load_pack(name)
    validity = pack.valid_until.isoformat() if pack.valid_until else "—"
    out.print(f"[bold]{pack.id}[/bold] — {pack.title.get(lang.value, '')}", soft_wrap=True)
    out.print(f"{pack.document}; issued {pack.issued.isoformat() if pack.issued else '—'}; valid until {validity}", markup=False)
    table = Table(show_lines=True)
    for column in ("rule", "clause", "parameters", "interpretation" if lang is Lang.en else "解释"):
        table.add_column(column, overflow="fold")
    for rule_id in RULE_IDS:
        rule = pack.rule(rule_id)
        if rule is None:
            continue
        params = "\n".join(f"{p.name} {p.describe()}" for p in rule.params.values())
        flags = " (原则上)" if rule.discretionary else ""
        table.add_row(rule_id + flags, rule.clause, params, rule.interpretation_text(lang.value))
    out.print(table)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
