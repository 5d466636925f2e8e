"""The check: inputs → prepared parcel table → verdicts of every rule → layers.

This is the Python API that the CLI calls::

    import landtool
    result = landtool.check("parcels.gpkg", buildings="buildings.gpkg", policy="tiantai")
    result.verdicts        # one row per (subject, rule)
    result.parcels         # the eligibility layer
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from landtool import __version__
from landtool.crs import settle_crs, to_crs_checked
from landtool.datasets import SAMPLE, sample_dir
from landtool.errors import InputError
from landtool.height import HeightRaster
from landtool.io import (
    FieldMap,
    canonicalize,
    load_field_map,
    read_layer,
    read_table,
    source_label,
    split_source,
)
from landtool.messages import LANGS, Message
from landtool.policy import Pack, load_pack
from landtool.prepare import blank_land_use, buildings_off_parcel, prepare
from landtool.result import STATUS_ORDER, CheckResult, family_of
from landtool.rules import AREA_RULES, PARCEL_RULES
from landtool.rules.efficiency import in_survey_scope
from landtool.rules.fringe import check_fringe
from landtool.rules.fringe import fringe_candidates as find_fringe_candidates
from landtool.rules.limits import extra_height_limits
from landtool.rules.merge import check_merge
from landtool.rules.split import check_split
from landtool.verdicts import concat_tables, not_in_policy

__all__ = ["INPUT_ROLES", "check", "sample_dir"]

#: Columns of the prepared table that are working data, not output.
_INTERNAL = ("area_exact_m2", "is_industrial", "in_survey_scope", "zone_height_max_m", "source_fid", "extra_height_source",
             "extra_height_m", "extra_height_problem", "surface_point", "raster_problem")
#: The input roles of a check, as named in the run record and in messages.
INPUT_ROLES = ("parcels", "buildings", "zones", "facility_land", "height_raster", "dsm", "dem",
               "height_limit_raster", "split_plan", "merge_plan", "fringe", "vacant", "fields")
#: Below this share of industrial parcels with a building, the buildings layer is
#: reported as matching few parcels (it may cover another area, or another CRS).
FEW_BUILDINGS_SHARE = 0.5

Progress = Callable[[Message], None]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_source(role: str, source) -> dict:
    """The run record of one input: role, path, size (bytes), SHA-256 (files only)."""
    if isinstance(source, (gpd.GeoDataFrame, pd.DataFrame)):
        return {"role": role, "path": f"<{type(source).__name__}>", "size": None, "sha256": None}
    path, _ = split_source(source)
    from landtool.postgis import is_database, safe_url

    # the whole source (a query too), the password masked: what reproduces the run
    record = {"role": role, "path": safe_url(str(source)) if is_database(str(source)) else str(source), "size": None, "sha256": None}
    file = Path(path)
    if file.is_file():
        record.update(size=file.stat().st_size, sha256=_sha256(file))
    return record


@dataclass
class _Reader:
    encoding: str | None
    fields: FieldMap
    crs: str | None
    inputs: list[dict] = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def _record(self, role: str, source, frame) -> None:
        record = describe_source(role, source)
        record["features"] = len(frame)
        crs = getattr(frame, "crs", None)
        record["crs"] = CRS.from_user_input(crs).to_string() if crs is not None else None
        self.inputs.append(record)

    def layer(self, source, kind: str, role: str | None = None) -> gpd.GeoDataFrame | None:
        if source is None:
            return None
        if isinstance(source, gpd.GeoDataFrame):
            frame = source.reset_index(drop=True).copy()
            if frame.crs is None and self.crs is None:
                raise InputError("frame_without_crs", layer=kind)
            frame["source_fid"] = np.arange(1, len(frame) + 1)
            frame = settle_crs(frame, kind, self.crs)  # sets or corrects the CRS, checks the coordinates
            notes = frame.attrs.get("warnings", [])
            frame = canonicalize(frame, kind, label=kind, fields=self.fields)
        else:
            frame = read_layer(source, kind, encoding=self.encoding, fields=self.fields, crs=self.crs)
            notes = frame.attrs.get("warnings", [])
        self.warnings += notes
        self._record(role or kind, source, frame)
        return frame

    def table(self, source, kind: str) -> pd.DataFrame | None:
        if source is None:
            return None
        if isinstance(source, pd.DataFrame):
            frame = source.reset_index(drop=True).copy()
            frame["source_fid"] = np.arange(1, len(frame) + 1)
            frame = canonicalize(frame, kind, label=kind, fields=self.fields)
        else:
            frame = read_table(source, kind, encoding=self.encoding, fields=self.fields)
        self._record(kind, source, frame)
        return frame

    def raster(self, role: str, path: str | None) -> None:
        if path is not None:
            self.inputs.append({**describe_source(role, path), "features": None, "crs": None})


@dataclass
class Measured:
    """What measuring the parcels gives the rules: the prepared parcel table (with the
    extra height limits), the layers as used, the issues found and the warnings."""

    parcels: gpd.GeoDataFrame
    crs: CRS
    layers: dict
    issues: list
    warnings: list
    timings: dict = field(default_factory=dict)
    """How long measuring took (s): in all, and per partition for the dask engine."""


#: Columns the extra height limits add to the prepared table.
LIMIT_COLUMNS = {"extra_height_max_m": "extra_limit_m", "extra_height_source": "extra_limit_source",
                 "extra_height_m": "extra_height_m", "extra_height_problem": "extra_limit_problem"}


def add_height_limits(frame: gpd.GeoDataFrame, buildings, height_limit_raster) -> tuple[list, list]:
    """Put the extra height limits (zones, clearance raster) on ``frame``; (issues, warnings)."""
    limits = extra_height_limits(frame, buildings, height_limit_raster=height_limit_raster)
    for column, source in LIMIT_COLUMNS.items():
        frame[column] = limits.table[source].to_numpy(float if column in ("extra_height_max_m", "extra_height_m") else object)
    return [limits.issues], list(limits.warnings)


class _Stages:
    """Wall-clock seconds per stage of a check, for the ``run`` record."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> dict[str, float]:
        now = time.perf_counter()
        self.times[stage] = round(now - self._last, 3)
        self._last = now
        return self.times


def measure_in_memory(parcels, *, buildings, zones, facility_land, height, height_limit_raster, label) -> Measured:
    """Measure every parcel in this process (the ``memory`` engine)."""
    prep = prepare(parcels, buildings=buildings, zones=zones, facility_land=facility_land, height=height, label=label)
    issues, warnings = add_height_limits(prep.parcels, prep.layers.get("buildings"), height_limit_raster)
    return Measured(prep.parcels, prep.crs, dict(prep.layers), [prep.issues_layer(), *issues], prep.warnings + warnings)


def _as_date(value) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError("bad_as_of", value=str(value)) from None


def check(
    parcels=None,
    *,
    buildings=None,
    zones=None,
    facility_land=None,
    height_raster: str | None = None,
    height_limit_raster: str | None = None,
    dsm: str | None = None,
    dem: str | None = None,
    split_plan=None,
    merge_plan=None,
    fringe=None,
    policy: str | Pack = "tiantai",
    as_of: dt.date | str | None = None,
    lang: str = "zh",
    fields: str | Path | FieldMap | None = None,
    encoding: str | None = None,
    crs: str | None = None,
    fringe_candidates: bool = False,
    vacant=None,
    progress: Progress | None = None,
    command: str | None = None,
    engine: str = "memory",
    workers: int | None = None,
    scheduler: str | None = None,
    partitions: int | None = None,
) -> CheckResult:
    """Check parcels against a policy pack.

    Parameters
    ----------
    parcels
        Path (any GDAL vector format, GeoParquet, ``file.gpkg::layer``) or a
        GeoDataFrame. None, with no other layer either: the bundled sample with all
        its layers (the result says so); None with other layers is an error.
    buildings, zones, facility_land, split_plan, fringe
        Optional layers, paths or GeoDataFrames; ``merge_plan`` may be a CSV.
    height_raster, dsm, dem
        An nDSM, or a DSM with its DEM, for building heights (m).
    height_limit_raster
        The highest allowed building top per cell (m above ground; e.g. an airport
        clearance surface), compared per building on top of the pack's height limit.
    policy
        A bundled pack id, a path to a pack YAML, or a :class:`Pack`.
    as_of
        Date of the check (default today); outside the pack's validity the check
        runs and warns.
    lang
        ``zh`` or ``en``: the language the result is written in (it can be rendered
        in the other later: :meth:`CheckResult.verdicts_in`).
    fields, encoding, crs
        The user's field mapping file, a forced text encoding, a CRS for layers
        that have none.
    fringe_candidates, vacant
        Also list, per enterprise parcel, the vacant or reserve parcels that could be
        its fringe land (``fringe_candidates`` layer); ``vacant``: a layer of such
        land, else parcels whose land use is vacant or reserve land.
    progress
        Called with a :class:`landtool.messages.Message` at each stage.
    command
        The command line, for the run record (default: this Python call).
    engine, workers, scheduler, partitions
        ``memory`` (default) measures everything in this process; ``dask`` measures
        spatial partitions of the parcels on a dask.distributed cluster — a local one of
        ``workers`` processes, or the one at ``scheduler`` (``tcp://host:8786``) — with
        the same answers (:mod:`landtool.distributed`).
    """
    if lang not in LANGS:
        raise InputError("bad_lang", value=str(lang), allowed=list(LANGS))
    say = progress or (lambda _msg: None)
    pack = policy if isinstance(policy, Pack) else load_pack(policy)
    as_of = _as_date(as_of)
    height = HeightRaster(ndsm=height_raster, dsm=dsm, dem=dem)
    layers_given = {
        "buildings": buildings, "zones": zones, "facility_land": facility_land, "height_raster": height_raster,
        "dsm": dsm, "dem": dem, "height_limit_raster": height_limit_raster, "split_plan": split_plan,
        "merge_plan": merge_plan, "fringe": fringe, "vacant": vacant,
    }
    sample = parcels is None
    if sample:
        given = [role for role, source in layers_given.items() if source is not None]
        if given:
            raise InputError("parcels_missing", given=given)
        root = sample_dir()
        paths = {role: str(root / name) for role, name in SAMPLE.items()}
        parcels, buildings, zones, facility_land = paths["parcels"], paths["buildings"], paths["zones"], paths["facility_land"]
        split_plan, merge_plan, fringe = paths["split_plan"], paths["merge_plan"], paths["fringe"]
        height_raster = paths["height_raster"]
        height = HeightRaster(ndsm=height_raster)
    height.validate()

    field_map = fields if isinstance(fields, FieldMap) else load_field_map(fields)
    reader = _Reader(encoding, field_map, crs)
    if isinstance(fields, (str, Path)):
        reader.inputs.append({**describe_source("fields", fields), "features": None, "crs": None})
    say(Message("reading", {}, "progress"))
    clock = _Stages()
    parcel_frame = reader.layer(parcels, "parcels")
    for role in ("height_raster", "dsm", "dem", "height_limit_raster"):
        reader.raster(role, locals()[role])
    say(Message("measuring", {"parcels": len(parcel_frame)}, "progress"))
    measure = measure_in_memory
    if engine == "dask":
        from landtool.distributed import measure_distributed

        measure = partial(measure_distributed, workers=workers, scheduler=scheduler, partitions=partitions)
    elif engine != "memory":
        raise InputError("bad_engine", value=str(engine), allowed=["memory", "dask"])
    layer_frames = {role: reader.layer(source, role) for role, source in (("buildings", buildings), ("zones", zones), ("facility_land", facility_land))}
    clock.lap("read_s")
    measured = measure(
        parcel_frame,
        **layer_frames,
        height=height,
        height_limit_raster=height_limit_raster,
        label=source_label(parcels) if not isinstance(parcels, gpd.GeoDataFrame) else "parcels",
    )
    del parcel_frame, layer_frames
    clock.lap("measure_s")
    frame = measured.parcels
    frame["in_survey_scope"] = in_survey_scope(frame, pack.rule("efficiency.survey_scope"))
    layers = dict(measured.layers)

    say(Message("checking", {"parcels": len(frame), "pack": pack.id}, "progress"))
    inputs = {
        "buildings": layers.get("buildings"),
        "zones": layers.get("zones"),
        "supplied_from": pack.issued,
        "supplied_until": pack.valid_until,
    }
    parts = [_parcel_verdicts(frame, pack, rule_id, func, inputs) for rule_id, func in PARCEL_RULES.items()]
    for rule_id, func in AREA_RULES.items():
        rule = pack.rule(rule_id)
        if rule is not None:
            parts.append(_call(func, frame, rule, pack.id, inputs))
        else:
            years = sorted(pd.to_datetime(frame["supply_date"]).dropna().dt.year.astype(str).unique()) or [None]
            parts.append(not_in_policy(rule_id, pack.id, subject="supply_year", subject_id=years, parcel_id=[None] * len(years)))

    clock.lap("rules_s")
    issues = list(measured.issues)
    plan_warnings: list[Message] = []
    split = reader.layer(split_plan, "split_plan")
    if split is not None:
        say(Message("split", {"pieces": len(split)}, "progress"))
        rows, layers["split_pieces"], found = check_split(
            _to(split, measured.crs, "split_plan"), frame, pack, buildings=layers.get("buildings"), facility_land=layers.get("facility_land")
        )
        parts.append(rows)
        issues.append(found)
    merge = reader.table(merge_plan, "merge_plan")
    if merge is not None:
        say(Message("merge", {"rows": len(merge)}, "progress"))
        rows, layers["merge_groups"] = check_merge(merge, frame, pack, as_of=as_of)
        parts.append(rows)
        named = merge["parcel_id"].dropna().astype(str) if "parcel_id" in merge else pd.Series([], dtype=object)
        unknown = sorted(set(named) - set(frame["parcel_id"].astype(str)))
        if unknown:  # the plan and the parcels layer half match: those groups cannot be checked
            plan_warnings.append(Message("plan_unknown_parcels", {"plan": source_label(merge_plan) if not isinstance(merge_plan, pd.DataFrame) else "merge_plan",
                                                                  "count": len(unknown), "ids": unknown[:10]}))
    applications = reader.layer(fringe, "fringe")
    if applications is not None:
        say(Message("fringe", {"applications": len(applications)}, "progress"))
        rows, layers["fringe"], found = check_fringe(_to(applications, measured.crs, "fringe"), frame, pack)
        parts.append(rows)
        issues.append(found)
    if fringe_candidates or vacant is not None:
        say(Message("candidates", {}, "progress"))
        vacant_frame = _to(reader.layer(vacant, "parcels", role="vacant"), measured.crs, "vacant") if vacant is not None else None
        layers["fringe_candidates"] = find_fringe_candidates(frame, pack, vacant=vacant_frame)
    reader.fields.check_used()
    clock.lap("proposals_s")

    verdicts = concat_tables(parts)
    del parts  # the rules' own tables: as large as the verdicts
    layers["issues"] = _in_order(pd.concat([i for i in issues if len(i)] or issues[:1], ignore_index=True))
    parcels_layer = _parcels_layer(frame, verdicts, pack)
    warnings = [w for w in (pack.validity_warning(as_of),) if w is not None]
    if sample:
        warnings.append(Message("sample_checked", {"path": str(sample_dir())}))
    warnings += reader.warnings + measured.warnings + plan_warnings + _reading_warnings(frame, buildings_given=layers.get("buildings") is not None, label=source_label(buildings) if buildings is not None and not isinstance(buildings, gpd.GeoDataFrame) else "buildings")
    warnings += _straddle_warning(frame, layers["issues"])
    run = {
        "landtool": __version__,
        "pack": pack.id,
        "document": pack.document,
        "pack_source": pack.path,
        "pack_sha256": pack.sha256 or None,
        "issued": pack.issued.isoformat() if pack.issued else None,
        "valid_until": pack.valid_until.isoformat() if pack.valid_until else None,
        "as_of": as_of.isoformat(),
        "lang": lang,
        "command": command if command is not None else "landtool.check(...)",
        "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "sample": sample,
        "engine": engine,
        "stage_timings": json.dumps(clock.lap("layers_s")),
        **({"engine_timings": json.dumps(measured.timings)} if measured.timings else {}),
        "inputs": reader.inputs,
    }
    say(Message("done", {}, "progress"))
    return CheckResult(
        table=verdicts,
        parcels=parcels_layer,
        layers=layers,
        pack=pack,
        as_of=as_of,
        lang=lang,
        warnings=warnings,
        run=run,
    )


#: The order of the issues layer: by input layer, then feature, then problem.
ISSUE_LAYER_ORDER = ("parcels", "buildings", "zones", "facility_land", "split_plan", "merge_plan", "fringe")


def _in_order(issues: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The issues in one order, whichever engine found them (and in whatever order)."""
    rank = issues["layer"].map({name: i for i, name in enumerate(ISSUE_LAYER_ORDER)}).fillna(len(ISSUE_LAYER_ORDER))
    fid = pd.to_numeric(issues["source_fid"], errors="coerce")
    keys = pd.DataFrame({"rank": rank.to_numpy(), "fid": fid.to_numpy(), "problem": issues["problem"].astype(str).to_numpy(),
                         "feature": issues["feature_id"].astype(str).to_numpy()})
    order = keys.sort_values(["rank", "fid", "problem", "feature"], na_position="last", kind="stable").index.to_numpy()
    return issues.iloc[order].reset_index(drop=True)


def _straddle_warning(frame: pd.DataFrame, issues: pd.DataFrame) -> list[Message]:
    """Industrial parcels on which part of another parcel's building lies (``straddles_parcels``
    findings name them as ``other``): their FAR, density and height count only the buildings
    assigned to them, so an official should look at those findings before signing."""
    rows = issues[issues["problem"] == "straddles_parcels"] if len(issues) else issues
    if not len(rows):
        return []
    others = {json.loads(a).get("other") for a in rows["args"] if isinstance(a, str)}
    industrial = frame.loc[frame["is_industrial"].to_numpy(bool), "parcel_id"].astype(str)
    count = int(industrial.isin(others).sum())
    return [Message("parcels_straddled", {"count": count, "total": len(industrial)})] if count else []


def _reading_warnings(frame: pd.DataFrame, *, buildings_given: bool, label: str) -> list[Message]:
    """Warnings that change how to read the verdicts (README "Warnings")."""
    out = []
    industrial = frame["is_industrial"].to_numpy(bool)
    blank = blank_land_use(frame["land_use"])
    if blank.any():  # checked as industrial land on the strength of nothing: say so
        out.append(Message("land_use_blank", {"count": int(blank.sum()), "total": len(frame)}))
    if not industrial.any():
        out.append(Message("no_industrial_parcels", {"parcels": len(frame)}))
        return out
    if buildings_given:
        total = int(industrial.sum())
        # a parcel is met by the layer where a building lies on it (one named to it but lying
        # elsewhere does not count: the id and the geometry disagree)
        away = buildings_off_parcel(frame)
        matched = int(((frame["buildings_count"].to_numpy() > 0) & ~away)[industrial].sum())
        if matched < FEW_BUILDINGS_SHARE * total:
            out.append(Message("buildings_match_few", {"layer": label, "matched": matched, "total": total}))
        else:
            if away[industrial].any():
                out.append(Message("buildings_off_named_parcels", {"count": int(away[industrial].sum()), "total": total}))
            without = total - matched - int(away[industrial].sum())
            if without:
                out.append(Message("parcels_without_buildings", {"count": without, "total": total}))
    return out


def _to(layer: gpd.GeoDataFrame, crs, label: str) -> gpd.GeoDataFrame:
    """A proposal layer in the working CRS."""
    return to_crs_checked(layer, crs, label)


def _parcel_verdicts(frame: pd.DataFrame, pack: Pack, rule_id: str, func, inputs: dict) -> pd.DataFrame:
    rule = pack.rule(rule_id)
    if rule is None:
        return not_in_policy(rule_id, pack.id, subject="parcel", subject_id=frame["parcel_id"], parcel_id=frame["parcel_id"])
    return _call(func, frame, rule, pack.id, inputs)


def _call(func, frame: pd.DataFrame, rule, pack_id: str, inputs: dict) -> pd.DataFrame:
    """Run a rule with the inputs it declares as keyword arguments."""
    wanted = inspect.signature(func).parameters
    return func(frame, rule, pack_id, **{k: v for k, v in inputs.items() if k in wanted})


def _codes_where(column: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of ``column`` at the boolean ``rows``, from a categorical's codes
    where it is one (no per-row objects)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, used = pd.factorize(column.cat.codes.to_numpy()[rows])
        return codes, np.where(used >= 0, column.cat.categories.to_numpy(dtype=object)[used], None)
    codes, distinct = pd.factorize(column.to_numpy(dtype=object)[rows])
    return codes, np.asarray(distinct, dtype=object)


def _parcels_layer(frame: gpd.GeoDataFrame, verdicts: pd.DataFrame, pack: Pack) -> gpd.GeoDataFrame:
    """The ``parcels`` eligibility layer: attributes, measures, a status per family, overall.

    A family's status is the worst of its rules' (information rules excepted); folded
    with integer codes, one family at a time.
    """
    out = frame.drop(columns=[c for c in frame.columns if c in _INTERNAL or c.startswith(("in_", "owner_"))])
    # only the three columns needed, of the parcel rows: never a copy of the whole table
    on_parcels = (verdicts["subject"] == "parcel").to_numpy(dtype=bool)
    rule_codes, rules = _codes_where(verdicts["rule"], on_parcels)
    counted = np.array([pack.rules[r].kind != "info" if r in pack.rules else True for r in rules], dtype=bool)[rule_codes]
    family_of_rule, families = pd.factorize(np.array([family_of(r) for r in rules], dtype=object))
    # a Series, not its array: pandas would first turn an array of text into Arrow strings
    position = pd.Index(out["parcel_id"]).get_indexer(verdicts["parcel_id"][on_parcels])
    status_codes, statuses = _codes_where(verdicts["status"], on_parcels)
    severity = np.array([STATUS_ORDER[v] for v in statuses], dtype=np.int8)[status_codes]
    names = np.array([k for k, _ in sorted(STATUS_ORDER.items(), key=lambda kv: kv[1])], dtype=object)
    overall = np.full(len(out), -1, dtype=np.int8)
    row_family = family_of_rule[rule_codes]
    for k in np.argsort(np.asarray(families, dtype=object)):  # by name: the layer's column order
        family = families[k]
        rows = counted & (row_family == k) & (position >= 0)
        worst = np.full(len(out), -1, dtype=np.int8)
        np.maximum.at(worst, position[rows], severity[rows])
        if (worst >= 0).any():
            out[f"status_{family}"] = np.where(worst >= 0, names[np.maximum(worst, 0)], "not_applicable")
            np.maximum(overall, worst, out=overall)
    out["status"] = np.where(overall >= 0, names[np.maximum(overall, 0)], "not_applicable")
    # Nullable booleans are written as integers 0/1 so that GIS software reads them.
    for column in out.columns:
        if str(out[column].dtype) == "boolean":
            out[column] = out[column].astype("Int8")
    return out
