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


PathOpt = Optional[str]


@app.command()
@handle_errors
def check(
    parcels: Annotated[Optional[str], typer.Argument(help="Parcels layer (any GDAL format, GeoParquet, file.gpkg::layer). Default: the bundled sample.")] = None,
    buildings: Annotated[PathOpt, typer.Option(help="Buildings layer (幢): floors, height_m, gfa_m2, use.")] = None,
    zones: Annotated[PathOpt, typer.Option(help="Zones layer: development_zone, municipal_industrial_zone, control_line, …")] = None,
    facility_land: Annotated[PathOpt, typer.Option("--facility-land", help="Admin-office and living-service land (配套用地) layer.")] = None,
    height_raster: Annotated[PathOpt, typer.Option("--height-raster", help="Building-height raster (nDSM, metres above ground).")] = None,
    dsm: Annotated[PathOpt, typer.Option(help="Digital surface model; with --dem gives heights as DSM − DEM.")] = None,
    dem: Annotated[PathOpt, typer.Option(help="Digital elevation model (ground), with --dsm.")] = None,
    split_plan: Annotated[PathOpt, typer.Option("--split-plan", help="Split-transfer proposal: pieces with parcel_id, piece_id.")] = None,
    merge_plan: Annotated[PathOpt, typer.Option("--merge-plan", help="Merge-transfer proposal: CSV or layer of group_id, parcel_id.")] = None,
    fringe: Annotated[PathOpt, typer.Option(help="Fringe-land applications: fringe_id, host_parcel_id.")] = None,
    policy: Annotated[str, typer.Option(help="Policy pack id (see `landtool policies`) or path to a pack .yaml.")] = "tiantai",
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Date of the check, YYYY-MM-DD (default: today).")] = None,
    out_path: Annotated[Optional[Path], typer.Option("--out", help="Write the verdicts table and layers to this GeoPackage.")] = None,
    map_path: Annotated[Optional[Path], typer.Option("--map", help="Write a self-contained HTML map here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdicts to stdout as a JSON list.")] = False,
    lang: Annotated[Lang, typer.Option(help="Language of explanations and labels.")] = Lang.zh,
    fields: Annotated[PathOpt, typer.Option(help="YAML/JSON file mapping your field names to landtool's.")] = None,
    encoding: Annotated[PathOpt, typer.Option(help="Text encoding of the inputs (default: detected, e.g. GBK shapefiles).")] = None,
    crs: Annotated[PathOpt, typer.Option(help="CRS of layers that have none, e.g. EPSG:4549.")] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Exit 1 when a verdict has this status (requirement rules).")] = FailOn.never,
    basemap: Annotated[PathOpt, typer.Option(help="Map basemap: none (default), osm, tianditu, or an XYZ URL template.")] = None,
    tianditu_key: Annotated[PathOpt, typer.Option("--tianditu-key", help="Tianditu key for --basemap tianditu.")] = None,
) -> None:
    """Check parcels against a policy pack; print a summary, write GeoPackage / map / JSON."""
    from landtool.check import check as run_check
    from landtool.output import verdicts_json, write_geopackage

    # Output paths are checked before the work starts, not after.
    if out_path is not None and out_path.suffix.lower() != ".gpkg":
        _fail(f"--out {out_path}: the output must be a GeoPackage (.gpkg)")
    if map_path is not None and map_path.suffix.lower() not in (".html", ".htm"):
        _fail(f"--map {map_path}: the map must be an .html file")
    quiet = as_json or not sys.stderr.isatty()
    with err.status("landtool", spinner="dots") if not quiet else _nullcontext() as status:

        def progress(message: str) -> None:
            if status is not None:
                status.update(f"landtool: {message}")

        result = run_check(
            parcels,
            buildings=buildings,
            zones=zones,
            facility_land=facility_land,
            height_raster=height_raster,
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
            progress=progress,
        )
        for warning in result.warnings:
            err.print(f"landtool: warning: {warning}", markup=False, soft_wrap=True)
        if out_path is not None:
            write_geopackage(result, out_path)
            err.print(f"landtool: wrote {out_path}", markup=False)
        if map_path is not None:
            from landtool.maps import write_map

            write_map(result, map_path, lang=lang.value, basemap=basemap, tianditu_key=tianditu_key)
            err.print(f"landtool: wrote {map_path}", markup=False)
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


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _print_summary(result, lang: str) -> None:
    """Counts per rule and status, as a table on stdout."""
    from landtool.result import STATUSES

    labels = {
        "zh": {"pass": "通过", "fail": "不通过", "not_applicable": "不适用", "insufficient_data": "数据不足"},
        "en": {s: s.replace("_", " ") for s in STATUSES},
    }[lang]
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
