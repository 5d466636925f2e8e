"""The ``landtool`` command: a thin skin over :func:`landtool.check` and friends.

Exit status (SCHEMA.md): 0 run completed, 1 with ``--fail-on`` and a matching
verdict, 2 bad input or usage — with a one-line message in the run's language, never a
traceback. Everything a person reads comes from the message catalogues in ``--lang``
(``--help`` is English).
"""

from __future__ import annotations

import os
import shlex
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from landtool import __version__
from landtool.cli_support import (
    ARGV,
    CONFIG_NAME,
    OPTIONS,
    OneLineGroup,
    Reporter,
    argv_lang,
    fail,
    handle_errors,
    load_config,
    out,
    say,
)
from landtool.errors import InputError, LandtoolError
from landtool.messages import catalogue

app = typer.Typer(
    cls=OneLineGroup,
    no_args_is_help=True,
    help="Check land parcels against Zhejiang's 腾笼换鸟、凤凰涅槃 industrial-land policies.",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
policies_app = typer.Typer(cls=OneLineGroup, help="List the policy packs, or show one pack's rules.", invoke_without_command=True,
                           context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(policies_app, name="policies")


class Lang(str, Enum):
    zh = "zh"
    en = "en"


class FailOn(str, Enum):
    never = "never"
    fail = "fail"
    insufficient_data = "insufficient_data"


def _print_version(value: bool) -> None:
    if value:
        out.print(f"landtool {__version__}", markup=False)
        raise typer.Exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print landtool's version and exit.", is_eager=True, callback=_print_version)] = False,
    config: Annotated[Path | None, typer.Option("--config", help=f"Defaults for policy, as-of, fields, lang … (default: ./{CONFIG_NAME}).")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print nothing but errors (and the JSON asked for).")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Print each stage as it starts, with counts.")] = False,
) -> None:
    """Check land parcels against Zhejiang's 腾笼换鸟、凤凰涅槃 industrial-land policies."""
    path = config if config is not None else (Path.cwd() / CONFIG_NAME if (Path.cwd() / CONFIG_NAME).is_file() else None)
    settings = {}
    if path is not None:
        if not path.is_file():
            fail(InputError("config_not_found", path=str(path)), argv_lang(ARGV.get() or []))
        try:
            settings = load_config(path)
        except LandtoolError as exc:
            fail(exc, argv_lang(ARGV.get() or []))
    OPTIONS.set({"quiet": quiet, "verbose": verbose})
    if settings:
        ctx.default_map = {name: dict(settings) for name in ("check", "compare", "validate", "fringe-candidates", "report", "map")}
        ctx.default_map["policies"] = {"show": {"lang": settings.get("lang")}} if settings.get("lang") else {}


# --------------------------------------------------------------------------- shared options
# Defined once, used by every command that reads the same inputs.

PathOpt = Optional[str]
ParcelsArg = Annotated[str | None, typer.Argument(help="Parcels layer (any GDAL format, GeoParquet, file.gpkg::layer, postgresql://…). Default: the bundled sample, when no other layer is given.")]
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
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Date of the check, YYYY-MM-DD (default: today).")]
VacantOpt = Annotated[PathOpt, typer.Option(help="Layer of vacant / reserve land for fringe candidates (default: parcels whose land use is 空闲地, 储备地 …).")]
LangOpt = Annotated[Lang, typer.Option(help="Language of everything written and printed (zh or en).")]
FieldsOpt = Annotated[PathOpt, typer.Option(help="YAML/JSON file mapping your field names (and units) to landtool's.")]
EncodingOpt = Annotated[PathOpt, typer.Option(help="Text encoding of the inputs (default: detected, e.g. GBK shapefiles).")]
CrsOpt = Annotated[PathOpt, typer.Option(help="CRS of layers that have none, e.g. EPSG:4549.")]
OutOpt = Annotated[str | None, typer.Option("--out", help="Write the verdicts and layers: FILE.gpkg, DIR.parquet (a directory of Parquet files), or postgresql://…::schema.")]
MapOpt = Annotated[Path | None, typer.Option("--map", help="Write a self-contained HTML map here.")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Write a report: .xlsx (per parcel, failures, missing data, proposals, issues) or .csv (summary).")]
BasemapOpt = Annotated[PathOpt, typer.Option(help="Map basemap: none (default), osm, tianditu, or an XYZ URL template.")]
TiandituOpt = Annotated[PathOpt, typer.Option("--tianditu-key", help="Tianditu key for --basemap tianditu.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result to stdout as a JSON list.")]


class Engine(str, Enum):
    memory = "memory"
    dask = "dask"


EngineOpt = Annotated[Engine, typer.Option("--engine", help="memory (default): measure in this process; dask: in spatial partitions on a dask.distributed cluster.")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1, help="Worker processes of the local dask cluster (default 2).")]
SchedulerOpt = Annotated[str | None, typer.Option("--scheduler", help="Address of an existing dask scheduler, e.g. tcp://host:8786 (instead of a local cluster).")]
PartitionsOpt = Annotated[int | None, typer.Option("--partitions", min=1, help="Spatial partitions of the parcels (default: 2 per worker).")]
FailOnOpt = Annotated[FailOn, typer.Option("--fail-on", help="Exit 1 when a requirement verdict has this status.")]


def _check_outputs(*, out_path: str | Path | None = None, map_path: Path | None = None, report_path: Path | None = None,
                   inputs: dict | None = None, basemap: str | None = None, tianditu_key: str | None = None,
                   map_option: str = "--map", report_option: str = "--report") -> None:
    """Every option is checked before the run and before anything is written. ``map_option``
    and ``report_option``: what the command calls the map and report paths (``--out`` for
    ``landtool map`` and ``landtool report``)."""
    if report_path is not None and report_path.suffix.lower() not in (".xlsx", ".csv"):
        raise InputError("report_suffix", path=str(report_path), option=report_option)
    if out_path is not None and not _out_kind(out_path):
        raise InputError("out_unknown_kind", path=str(out_path))
    if out_path is not None and _out_kind(out_path) == "postgis":
        from landtool.postgis_out import parse_target

        parse_target(str(out_path))  # a bad target fails before the run
    if map_path is not None and map_path.suffix.lower() not in (".html", ".htm"):
        raise InputError("map_suffix", path=str(map_path), option=map_option)
    if map_path is not None:
        from landtool.map import check_basemap

        check_basemap(basemap, tianditu_key)
    targets = {"--out": Path(out_path) if out_path is not None and _out_kind(out_path) != "postgis" else None, map_option: map_path, report_option: report_path}
    for option, target in targets.items():
        if target is None:
            continue
        for role, source in (inputs or {}).items():
            if source is None or "://" in str(source):
                continue
            path = Path(str(source).split("::")[0])
            if path.exists() and path.resolve() == target.resolve():
                raise InputError("output_is_input", option=option, path=str(target), role=role)
    chosen = [t.resolve() for t in targets.values() if t is not None]
    if len(set(chosen)) < len(chosen):
        raise InputError("outputs_collide", paths=[str(t) for t in targets.values() if t is not None])


def _out_kind(target) -> str | None:
    """What ``--out`` names: ``gpkg``, ``parquet`` (a directory) or ``postgis``; None if nothing."""
    from landtool.postgis import is_database

    text = str(target)
    if is_database(text):
        return "postgis"
    if text.lower().endswith(".gpkg"):
        return "gpkg"
    if text.lower().endswith(".parquet") or Path(text).is_dir() or text.endswith(("/", os.sep)):
        return "parquet"
    return None


def _command_line() -> str:
    return " ".join(shlex.quote(a) for a in ["landtool", *(ARGV.get() or [])])


def _print_summary(result, lang: str) -> None:
    """Counts per rule and status, as a table on stdout, with rule names."""
    from landtool.result import STATUSES

    cat = catalogue(lang)
    pack = result.pack
    title = say(lang, "summary_title", pack=pack.id, document=pack.document, as_of=result.as_of.isoformat(), parcels=len(result.parcels))
    table = Table(title=title, title_justify="left")
    table.add_column(say(lang, "rule"), no_wrap=True)
    for status in STATUSES:
        table.add_column(cat.label("statuses", status), justify="right", overflow="fold")
    summary = result.summary()
    for rule_id, row in summary.iterrows():
        table.add_row(cat.label("rules", rule_id), *(str(int(row[s])) if row[s] else "·" for s in STATUSES))
    out.print(table)
    issues = result.issues
    if issues is not None and len(issues):
        counts = issues["problem"].value_counts()
        listed = cat.join(f"{cat.label('problems', k)} {v}" for k, v in counts.items())
        out.print(say(lang, "issues_summary", listed=listed), markup=False)


def _write_outputs(result, rep: Reporter, *, out_path, map_path, report_path, basemap, tianditu_key, tables=None, compare=None) -> None:
    from landtool.output import write_result

    if out_path is not None:
        from landtool.io import source_label

        rep.progress(_progress("writing", path=source_label(out_path)))
        rep.wrote(write_result(result, out_path, tables=tables))
    if map_path is not None:
        from landtool.map import write_map

        rep.progress(_progress("writing", path=str(map_path)))
        write_map(result, map_path, lang=rep.lang, basemap=basemap, tianditu_key=tianditu_key, compare=compare)
        rep.wrote(map_path)
    if report_path is not None:
        from landtool.report import write_report

        rep.progress(_progress("writing", path=str(report_path)))
        write_report(result, report_path, lang=rep.lang, compare=compare)
        rep.wrote(report_path)


def _progress(code: str, **args):
    from landtool.messages import Message

    return Message(code, args, "progress")


def _exit_on(result, fail_on: FailOn, rep: Reporter) -> None:
    if fail_on is FailOn.never:
        return
    statuses = ("fail",) if fail_on is FailOn.fail else ("fail", "insufficient_data")
    failing = result.failed(statuses=statuses)
    if len(failing):
        rep.note("fail_on_matched", count=len(failing), statuses=[catalogue(rep.lang).label("statuses", s) for s in statuses])
        raise typer.Exit(1)


# --------------------------------------------------------------------------- commands


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
    as_json: JsonOpt = False,
    json_lines: Annotated[bool, typer.Option("--json-lines", help="Print the verdicts to stdout as JSON Lines (one object per line), streamed.")] = False,
    fringe_candidates: Annotated[bool, typer.Option("--fringe-candidates", help="Also list fringe-land candidates (fringe_candidates layer).")] = False,
    vacant: VacantOpt = None,
    lang: LangOpt = Lang.zh,
    fields: FieldsOpt = None,
    encoding: EncodingOpt = None,
    crs: CrsOpt = None,
    fail_on: FailOnOpt = FailOn.never,
    basemap: BasemapOpt = None,
    tianditu_key: TiandituOpt = None,
    engine: EngineOpt = Engine.memory,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    partitions: PartitionsOpt = None,
) -> None:
    """Check parcels against a policy pack; print a summary, write GeoPackage / map / report / JSON."""
    from landtool.check import check as run_check
    from landtool.output import write_json

    inputs = {"parcels": parcels, "buildings": buildings, "zones": zones, "facility_land": facility_land, "height_raster": height_raster,
              "height_limit_raster": height_limit_raster, "dsm": dsm, "dem": dem, "split_plan": split_plan, "merge_plan": merge_plan,
              "fringe": fringe, "vacant": vacant, "fields": fields}
    if as_json and json_lines:
        raise InputError("json_and_json_lines")
    _check_outputs(out_path=out_path, map_path=map_path, report_path=report_path, inputs=inputs, basemap=basemap, tianditu_key=tianditu_key)
    with Reporter.of(lang) as rep:
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
            fringe_candidates=fringe_candidates,
            vacant=vacant,
            progress=rep.progress,
            command=_command_line(),
            engine=engine.value,
            workers=workers,
            scheduler=scheduler,
            partitions=partitions,
        )
        _write_outputs(result, rep, out_path=out_path, map_path=map_path, report_path=report_path, basemap=basemap, tianditu_key=tianditu_key)
    if as_json or json_lines:
        write_json(result, sys.stdout, lines=json_lines)
    elif not rep.quiet:
        _print_summary(result, lang.value)
    rep.warn(result.warnings)
    _exit_on(result, fail_on, rep)


@app.command()
@handle_errors
def validate(
    parcels: Annotated[str, typer.Argument(help="Parcels layer to check for data quality.")],
    buildings: BuildingsOpt = None,
    zones: ZonesOpt = None,
    facility_land: FacilityOpt = None,
    height_raster: HeightRasterOpt = None,
    dsm: DsmOpt = None,
    dem: DemOpt = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="Write the issues layer (and the parcels as read) to this GeoPackage.")] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
    fields: FieldsOpt = None,
    encoding: EncodingOpt = None,
    crs: CrsOpt = None,
) -> None:
    """Run the data-quality checks alone: geometry, overlaps, gaps, areas, buildings, CRS, values."""
    from landtool.output import write_issues_json
    from landtool.validate import validate as run_validate
    from landtool.validate import write_validation

    inputs = {"parcels": parcels, "buildings": buildings, "zones": zones, "facility_land": facility_land, "height_raster": height_raster, "dsm": dsm, "dem": dem, "fields": fields}
    _check_outputs(out_path=out_path, inputs=inputs)
    with Reporter.of(lang) as rep:
        found = run_validate(parcels, buildings=buildings, zones=zones, facility_land=facility_land, height_raster=height_raster, dsm=dsm, dem=dem,
                             lang=lang.value, fields=fields, encoding=encoding, crs=crs, progress=rep.progress, command=_command_line())
        if out_path is not None:
            write_validation(found, out_path)
            rep.wrote(out_path)
    if as_json:
        write_issues_json(found.issues, sys.stdout, lang=lang.value)
    elif not rep.quiet:
        _print_validation(found, lang.value)
    rep.warn(found.warnings)


def _print_validation(found, lang: str) -> None:
    cat = catalogue(lang)
    issues = found.issues
    table = Table(title=say(lang, "validate_title", features=found.counts_text(lang), issues=len(issues)), title_justify="left")
    for key in ("problem", "layer", "count"):
        table.add_column(say(lang, f"col_{key}"))
    if len(issues):
        counts = issues.groupby(["problem", "layer"], sort=False).size().sort_values(ascending=False)
        for (problem, layer), count in counts.items():
            table.add_row(cat.label("problems", problem), cat.label("inputs", layer), str(count))
    out.print(table)


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
    policy: Annotated[list[str], typer.Option(help="Two packs to compare (or one, with two --as-of dates).")] = ["tiantai"],
    as_of: Annotated[list[str] | None, typer.Option("--as-of", help="One date for both packs, or two dates for one pack.")] = None,
    all_changes: Annotated[bool, typer.Option("--all", help="Also list value and limit changes (default: status changes only).")] = False,
    out_path: OutOpt = None,
    map_path: MapOpt = None,
    report_path: Annotated[Path | None, typer.Option("--report", help="Write the differences to an .xlsx (or .csv) report.")] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
    fields: FieldsOpt = None,
    encoding: EncodingOpt = None,
    crs: CrsOpt = None,
    fail_on: Annotated[str | None, typer.Option("--fail-on", help="Exit 1 when a change of this kind is found (e.g. pass_to_fail), or 'any'.")] = None,
    basemap: BasemapOpt = None,
    tianditu_key: TiandituOpt = None,
) -> None:
    """What a new policy or a new date changes: verdicts whose status differs, grouped by kind."""
    from landtool.check import check as run_check
    from landtool.compare import CHANGE_KINDS, compare_layer, compare_results
    from landtool.output import write_compare_json, write_result

    dates = as_of or [None]
    if len(policy) > 2 or len(dates) > 2 or len(policy) * len(dates) != 2:
        raise InputError("compare_needs_two")
    if fail_on is not None and fail_on != "any" and fail_on not in CHANGE_KINDS:
        raise InputError("bad_fail_on_kind", value=fail_on, allowed=["any", *CHANGE_KINDS])
    inputs = {"parcels": parcels, "buildings": buildings, "zones": zones, "facility_land": facility_land, "height_raster": height_raster,
              "height_limit_raster": height_limit_raster, "dsm": dsm, "dem": dem, "split_plan": split_plan, "merge_plan": merge_plan, "fringe": fringe, "fields": fields}
    _check_outputs(out_path=out_path, map_path=map_path, report_path=report_path, inputs=inputs, basemap=basemap, tianditu_key=tianditu_key)
    runs = [(p, d) for p in policy for d in dates]
    layer_inputs = {k: v for k, v in inputs.items() if k not in ("parcels", "fields")}
    with Reporter.of(lang) as rep:
        a, b = (run_check(parcels, policy=p, as_of=d, progress=rep.progress, lang=lang.value, fields=fields, encoding=encoding, crs=crs,
                          command=_command_line(), **layer_inputs) for p, d in runs)
        differences = compare_results(a, b, all_changes=all_changes)
        b.layers["compare"] = compare_layer(differences, b.parcels)
        if out_path is not None:
            rep.wrote(write_result(b, out_path, tables={"compare_verdicts": differences}))
        if map_path is not None or report_path is not None:
            _write_outputs(b, rep, out_path=None, map_path=map_path, report_path=report_path, basemap=basemap, tianditu_key=tianditu_key, compare=differences)
    if as_json:
        write_compare_json(differences, sys.stdout, a=a, b=b, lang=lang.value)
    elif not rep.quiet:
        from landtool.compare import print_compare

        print_compare(differences, a, b, lang=lang.value, console=out)
    rep.warn([*a.warnings, *(w for w in b.warnings if w not in a.warnings)])
    if fail_on is not None:
        hits = differences if fail_on == "any" else differences[differences["kind"] == fail_on]
        if len(hits):
            rep.note("compare_fail_on_matched", count=len(hits), kind=fail_on)
            raise typer.Exit(1)


@app.command("fringe-candidates")
@handle_errors
def fringe_candidates_command(
    parcels: ParcelsArg = None,
    vacant: VacantOpt = None,
    policy: PolicyOpt = "tiantai",
    as_of: AsOfOpt = None,
    out_path: OutOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
    fields: FieldsOpt = None,
    encoding: EncodingOpt = None,
    crs: CrsOpt = None,
) -> None:
    """List, per enterprise parcel, adjacent vacant or reserve land that fits the pack's fringe caps."""
    from landtool.check import check as run_check
    from landtool.output import records_json, write_result

    _check_outputs(out_path=out_path, inputs={"parcels": parcels, "vacant": vacant, "fields": fields})
    with Reporter.of(lang) as rep:
        result = run_check(parcels, policy=policy, as_of=as_of, lang=lang.value, fields=fields, encoding=encoding, crs=crs,
                           fringe_candidates=True, vacant=vacant, progress=rep.progress, command=_command_line())
        layer = result.layers["fringe_candidates"]
        if out_path is not None:
            rep.wrote(write_result(result, out_path))
    if as_json:
        sys.stdout.write(records_json(layer.drop(columns=layer.geometry.name)) + "\n")
    elif not rep.quiet:
        table = Table(title=say(lang.value, "candidates_title", pack=result.pack.id, count=len(layer)), title_justify="left")
        shown = [c for c in ("host_parcel_id", "candidate_ids", "area_m2", "area_mu", "cap_m2", "remaining_m2") if c in layer]
        for column in shown:
            table.add_column(say(lang.value, f"col_{column}"))
        for row in layer[shown].head(200).itertuples(index=False):
            table.add_row(*(f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row))
        out.print(table)
    rep.warn(result.warnings)


@app.command("map")
@handle_errors
def map_command(
    results: Annotated[Path, typer.Argument(help="A result written by `landtool check --out` (GeoPackage or Parquet directory).")],
    map_path: Annotated[Path | None, typer.Option("--out", "--map", help="HTML file to write (default: next to the GeoPackage).")] = None,
    lang: Annotated[Lang | None, typer.Option(help="Language of the map (default: the run's).")] = None,
    basemap: BasemapOpt = None,
    tianditu_key: TiandituOpt = None,
) -> None:
    """Draw the map of an earlier run from its GeoPackage."""
    from landtool.map import write_map
    from landtool.output import read_result

    map_path = map_path or results.with_suffix(".html")
    _check_outputs(map_path=map_path, inputs={"results": str(results)}, basemap=basemap, tianditu_key=tianditu_key, map_option="--out")
    result = read_result(results)
    chosen = lang.value if lang is not None else result.lang
    rep = Reporter.of(Lang(chosen))
    write_map(result, map_path, lang=chosen, basemap=basemap, tianditu_key=tianditu_key)
    rep.wrote(map_path)


@app.command("report")
@handle_errors
def report_command(
    results: Annotated[Path, typer.Argument(help="A result written by `landtool check --out` (GeoPackage or Parquet directory).")],
    report_path: Annotated[Path, typer.Option("--out", help="Report to write: .xlsx (every sheet) or .csv (the summary).")],
    lang: Annotated[Lang | None, typer.Option(help="Language of the report (default: the run's).")] = None,
) -> None:
    """Write the report of an earlier run from its GeoPackage."""
    from landtool.output import read_result
    from landtool.report import write_report

    _check_outputs(report_path=report_path, inputs={"results": str(results)}, report_option="--out")
    result = read_result(results)
    chosen = lang.value if lang is not None else result.lang
    write_report(result, report_path, lang=chosen)
    Reporter.of(Lang(chosen)).wrote(report_path)


@policies_app.callback()
@handle_errors
def policies(ctx: typer.Context, lang: LangOpt = Lang.zh) -> None:
    """List the bundled policy packs."""
    if ctx.invoked_subcommand is not None:
        return
    from landtool.policy import available_packs, load_pack

    table = Table(title=say(lang.value, "packs_title"), title_justify="left")
    for column in ("pack", "document", "issued", "valid_until", "rules"):
        table.add_column(say(lang.value, f"col_{column}"))
    for name in available_packs():
        pack = load_pack(name)
        table.add_row(pack.id, pack.document, pack.issued.isoformat() if pack.issued else "—",
                      pack.valid_until.isoformat() if pack.valid_until else "—", str(len(pack.rules)))
    out.print(table)


@policies_app.command("show")
@handle_errors
def policies_show(
    name: Annotated[str, typer.Argument(help="Pack id or path to a pack .yaml.")],
    lang: LangOpt = Lang.zh,
) -> None:
    """Print each rule of a pack, its numbers and its clause."""
    from landtool.policy import RULE_IDS, load_pack

    cat = catalogue(lang.value)
    pack = load_pack(name)
    out.print(f"[bold]{pack.id}[/bold] — {pack.title.get(lang.value) or pack.title.get('zh', '')}", soft_wrap=True)
    out.print(say(lang.value, "pack_dates", document=pack.document, issued=pack.issued.isoformat() if pack.issued else "—",
                   valid_until=pack.valid_until.isoformat() if pack.valid_until else "—"), markup=False)
    table = Table(show_lines=True)
    for column in ("rule", "clause", "parameters", "interpretation"):
        table.add_column(say(lang.value, f"col_{column}"), overflow="fold")
    for rule_id in RULE_IDS:
        rule = pack.rule(rule_id)
        if rule is None:
            continue
        params = "\n".join(f"{p.name} {p.describe()}" for p in rule.params.values())
        flags = say(lang.value, "discretionary_flag") if rule.discretionary else ""
        table.add_row(f"{cat.label('rules', rule_id)}{flags}\n{rule_id}", rule.clause, params, rule.interpretation_text(lang.value))
    out.print(table)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
