"""The check: inputs → prepared parcel table → verdicts of every rule → layers.

This is the Python API that the CLI calls::

    import landtool
    result = landtool.check("parcels.gpkg", buildings="buildings.gpkg", policy="tiantai")
    result.verdicts        # one row per (subject, rule)
    result.parcels         # the eligibility layer
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from landtool.errors import InputError
from landtool.height import HeightRaster
from landtool.io import (
    FieldMap,
    canonicalize,
    load_field_map,
    read_layer,
    read_table,
    source_label,
)
from landtool.policy import Pack, load_pack
from landtool.prepare import prepare
from landtool.result import STATUS_ORDER, VERDICT_COLUMNS, CheckResult, family_of
from landtool.rules import AREA_RULES, PARCEL_RULES
from landtool.rules.efficiency import in_survey_scope
from landtool.rules.fringe import check_fringe
from landtool.rules.fringe import fringe_candidates as find_fringe_candidates
from landtool.rules.landuse import height_limit_layers
from landtool.rules.transfers import check_merge, check_split
from landtool.verdicts import not_in_policy

__all__ = ["SAMPLE", "check", "sample_dir"]

#: Files of the bundled sample (``data/``), by role.
SAMPLE = {
    "parcels": "parcels.gpkg",
    "buildings": "buildings.gpkg",
    "zones": "zones.gpkg",
    "facility_land": "facility_land.gpkg",
    "height_raster": "ndsm.tif",
    "split_plan": "split_plan.gpkg",
    "merge_plan": "merge_plan.csv",
    "fringe": "fringe.gpkg",
}

#: Columns of the prepared table that are working data, not output.
_INTERNAL = ("area_exact_m2", "is_industrial", "in_survey_scope", "zone_height_max_m", "source_fid", "extra_height_source")

Progress = Callable[[str], None]


def sample_dir() -> Path:
    """The bundled sample data directory (``$LANDTOOL_DATA`` or the repository's ``data/``)."""
    path = Path(os.environ.get("LANDTOOL_DATA", Path(__file__).resolve().parent.parent / "data"))
    if not (path / SAMPLE["parcels"]).exists():
        msg = f"{path}: bundled sample not found (give PARCELS, or set LANDTOOL_DATA)"
        raise InputError(msg)
    return path


@dataclass
class _Reader:
    encoding: str | None
    fields: FieldMap
    crs: str | None

    def layer(self, source, kind: str) -> gpd.GeoDataFrame | None:
        if source is None:
            return None
        if isinstance(source, gpd.GeoDataFrame):
            frame = source.reset_index(drop=True).copy()
            if frame.crs is None:
                if self.crs is None:
                    msg = f"{kind}: GeoDataFrame has no CRS; set one or pass crs="
                    raise InputError(msg)
                frame = frame.set_crs(self.crs)
            frame["source_fid"] = np.arange(1, len(frame) + 1)
            return canonicalize(frame, kind, label=kind, fields=self.fields)
        return read_layer(source, kind, encoding=self.encoding, fields=self.fields, crs=self.crs)

    def table(self, source, kind: str) -> pd.DataFrame | None:
        if source is None:
            return None
        if isinstance(source, pd.DataFrame):
            frame = source.reset_index(drop=True).copy()
            frame["source_fid"] = np.arange(1, len(frame) + 1)
            return canonicalize(frame, kind, label=kind, fields=self.fields)
        return read_table(source, kind, encoding=self.encoding, fields=self.fields)


def _as_date(value) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        msg = f"--as-of: {value!r} is not a date (YYYY-MM-DD)"
        raise InputError(msg) from None


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
) -> CheckResult:
    """Check parcels against a policy pack.

    Parameters
    ----------
    parcels
        Path (any GDAL vector format, GeoParquet, ``file.gpkg::layer``) or a
        GeoDataFrame. None: the bundled sample with all its layers.
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
        ``zh`` or ``en``: language of explanations.
    fields, encoding, crs
        The user's field mapping file, a forced text encoding, a CRS for layers
        that have none.
    fringe_candidates, vacant
        Also list, per enterprise parcel, the vacant or reserve parcels that could be
        its fringe land (``fringe_candidates`` layer); ``vacant``: a layer of such
        land, else parcels whose land use is vacant or reserve land.
    progress
        Called with a short message at each stage.
    """
    if lang not in ("zh", "en"):
        msg = f"--lang: {lang!r} is not one of zh, en"
        raise InputError(msg)
    say = progress or (lambda _msg: None)
    pack = policy if isinstance(policy, Pack) else load_pack(policy)
    as_of = _as_date(as_of)
    warnings = []
    if (w := pack.validity_warning(as_of, lang)) is not None:
        warnings.append(w)

    if parcels is None:
        root = sample_dir()
        sample = {role: str(root / name) for role, name in SAMPLE.items()}
        parcels = sample["parcels"]
        buildings = buildings or sample["buildings"]
        zones = zones or sample["zones"]
        facility_land = facility_land or sample["facility_land"]
        if not (dsm or dem):
            height_raster = height_raster or sample["height_raster"]
        split_plan = split_plan or sample["split_plan"]
        merge_plan = merge_plan or sample["merge_plan"]
        fringe = fringe or sample["fringe"]

    reader = _Reader(encoding, fields if isinstance(fields, FieldMap) else load_field_map(fields), crs)
    say("reading layers")
    parcel_frame = reader.layer(parcels, "parcels")
    height = HeightRaster(ndsm=height_raster, dsm=dsm, dem=dem)
    say("measuring parcels, buildings and heights")
    prep = prepare(
        parcel_frame,
        buildings=reader.layer(buildings, "buildings"),
        zones=reader.layer(zones, "zones"),
        facility_land=reader.layer(facility_land, "facility_land"),
        height=height,
        label=source_label(parcels) if not isinstance(parcels, gpd.GeoDataFrame) else "parcels",
    )
    frame = prep.parcels
    frame["in_survey_scope"] = in_survey_scope(frame, pack.rule("efficiency.survey_scope"))

    layers = dict(prep.layers)
    limits = height_limit_layers(frame, layers.get("buildings"), height_limit_raster=height_limit_raster)
    frame["extra_height_max_m"] = limits["extra_limit_m"].to_numpy(float)
    frame["extra_height_source"] = limits["extra_limit_source"].to_numpy(object)

    say(f"checking {len(frame)} parcels against {pack.id}")
    inputs = {
        "buildings": layers.get("buildings"),
        "zones": layers.get("zones"),
        "supplied_from": pack.issued,
        "supplied_until": pack.valid_until,
    }
    parts = [_parcel_verdicts(frame, pack, rule_id, func, lang, inputs) for rule_id, func in PARCEL_RULES.items()]
    for rule_id, func in AREA_RULES.items():
        rule = pack.rule(rule_id)
        if rule is not None:
            parts.append(_call(func, frame, rule, pack.id, lang, inputs))
        else:
            years = sorted({str(d.year) for d in frame["supply_date"].dropna()}) or [None]
            parts.append(not_in_policy(rule_id, pack.id, subject="supply_year", subject_id=years, parcel_id=[None] * len(years), lang=lang))

    issues = [prep.issues_layer()]
    split = reader.layer(split_plan, "split_plan")
    if split is not None:
        say("checking the split plan")
        rows, layers["split_pieces"], found = check_split(
            _to(split, prep.crs), frame, pack, lang=lang, buildings=layers.get("buildings"), facility_land=layers.get("facility_land")
        )
        parts.append(rows)
        issues.append(found)
    merge = reader.table(merge_plan, "merge_plan")
    if merge is not None:
        say("checking the merge plan")
        rows, layers["merge_groups"] = check_merge(merge, frame, pack, lang=lang, as_of=as_of)
        parts.append(rows)
    applications = reader.layer(fringe, "fringe")
    if applications is not None:
        say("checking fringe-land applications")
        rows, layers["fringe"] = check_fringe(_to(applications, prep.crs), frame, pack, lang=lang)
        parts.append(rows)
    if fringe_candidates:
        say("looking for fringe-land candidates")
        layers["fringe_candidates"] = find_fringe_candidates(frame, pack, vacant=_to(reader.layer(vacant, "parcels"), prep.crs) if vacant else None)

    verdicts = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=VERDICT_COLUMNS)
    layers["issues"] = pd.concat([i for i in issues if len(i)] or issues[:1], ignore_index=True)
    parcels_layer = _parcels_layer(frame, verdicts, pack)
    say("done")
    return CheckResult(
        verdicts=verdicts,
        parcels=parcels_layer,
        layers=layers,
        pack=pack,
        as_of=as_of,
        lang=lang,
        warnings=warnings + prep.warnings,
    )


def _to(layer: gpd.GeoDataFrame, crs) -> gpd.GeoDataFrame:
    """A proposal layer in the working CRS."""
    return layer if layer.crs == crs else layer.to_crs(crs)


def _parcel_verdicts(frame: pd.DataFrame, pack: Pack, rule_id: str, func, lang: str, inputs: dict) -> pd.DataFrame:
    rule = pack.rule(rule_id)
    if rule is None:
        return not_in_policy(
            rule_id, pack.id, subject="parcel", subject_id=frame["parcel_id"], parcel_id=frame["parcel_id"], lang=lang
        )
    return _call(func, frame, rule, pack.id, lang, inputs)


def _call(func, frame: pd.DataFrame, rule, pack_id: str, lang: str, inputs: dict) -> pd.DataFrame:
    """Run a rule with the inputs it declares as keyword arguments."""
    wanted = inspect.signature(func).parameters
    return func(frame, rule, pack_id, lang=lang, **{k: v for k, v in inputs.items() if k in wanted})


def _parcels_layer(frame: gpd.GeoDataFrame, verdicts: pd.DataFrame, pack: Pack) -> gpd.GeoDataFrame:
    """The ``parcels`` eligibility layer: attributes, measures, a status per family, overall."""
    out = frame.drop(columns=[c for c in frame.columns if c in _INTERNAL or c.startswith(("in_", "owner_"))])
    on_parcels = verdicts[verdicts["subject"] == "parcel"]
    kinds = on_parcels["rule"].map(lambda r: pack.rules[r].kind if r in pack.rules else "requirement")
    counted = on_parcels[kinds != "info"]
    severity = counted["status"].map(STATUS_ORDER)
    table = (
        pd.DataFrame({"parcel_id": counted["parcel_id"], "family": counted["rule"].map(family_of), "severity": severity})
        .groupby(["parcel_id", "family"])["severity"]
        .max()
        .unstack("family")
    )
    names = {v: k for k, v in STATUS_ORDER.items()}
    for family in table.columns:
        out[f"status_{family}"] = out["parcel_id"].map(table[family].map(names)).fillna("not_applicable")
    overall = table.max(axis=1).map(names)
    out["status"] = out["parcel_id"].map(overall).fillna("not_applicable")
    # Nullable booleans are written as integers 0/1 so that GIS software reads them.
    for column in out.columns:
        if str(out[column].dtype) == "boolean":
            out[column] = out[column].astype("Int8")
    return out
