"""The data-quality checks alone (``landtool validate``): what the ``issues`` layer of a
check holds, without checking any rule.

The inputs are read and prepared exactly as :func:`landtool.check` reads them — CRS
plausibility, field values, geometry repair, overlaps, gaps, areas against the
registered area, buildings outside or straddling parcels, raster coverage — so a file
that validates cleanly is one the check trusts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from landtool.check import _Reader
from landtool.height import HeightRaster
from landtool.io import load_field_map, source_label
from landtool.issues import render_issues
from landtool.messages import Message, catalogue
from landtool.output import _writable, atomic_path, run_table
from landtool.prepare import prepare

__all__ = ["Validation", "validate", "write_validation"]


@dataclass
class Validation:
    """Findings of :func:`validate`: the ``issues`` layer, warnings, and what was read."""

    issues: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    warnings: list = field(default_factory=list)
    run: dict = field(default_factory=dict)
    lang: str = "zh"

    def counts_text(self, lang: str) -> str:
        """``"宗地图层 120、房屋（幢）图层 300"`` — features read per input."""
        cat = catalogue(lang)
        return cat.join(f"{cat.label('inputs', item['role'])} {item['features']}" for item in self.run.get("inputs", []) if item.get("features") is not None)

    @property
    def result_like(self):
        """A minimal object with what :func:`landtool.output.run_table` reads."""
        return _RunOnly(self.run)


@dataclass
class _RunOnly:
    run: dict
    pack: object = None
    as_of: object = None
    lang: str = "zh"


def validate(
    parcels,
    *,
    buildings=None,
    zones=None,
    facility_land=None,
    height_raster: str | None = None,
    dsm: str | None = None,
    dem: str | None = None,
    lang: str = "zh",
    fields=None,
    encoding: str | None = None,
    crs: str | None = None,
    progress=None,
    command: str | None = None,
) -> Validation:
    """Read and prepare the inputs, collecting every data-quality finding (see module docstring)."""
    say = progress or (lambda _msg: None)
    height = HeightRaster(ndsm=height_raster, dsm=dsm, dem=dem)
    height.validate()
    reader = _Reader(encoding, load_field_map(fields), crs)
    say(Message("reading", {}, "progress"))
    frame = reader.layer(parcels, "parcels")
    for role, path in (("height_raster", height_raster), ("dsm", dsm), ("dem", dem)):
        reader.raster(role, path)
    say(Message("measuring", {"parcels": len(frame)}, "progress"))
    prep = prepare(
        frame,
        buildings=reader.layer(buildings, "buildings"),
        zones=reader.layer(zones, "zones"),
        facility_land=reader.layer(facility_land, "facility_land"),
        height=height,
        label=source_label(parcels) if not isinstance(parcels, gpd.GeoDataFrame) else "parcels",
    )
    run = {"command": command or "landtool.validate(...)", "lang": lang, "inputs": reader.inputs}
    return Validation(issues=prep.issues_layer(), parcels=prep.parcels, warnings=list(prep.warnings), run=run, lang=lang)


def write_validation(found: Validation, path: str | Path) -> Path:
    """Write the ``issues`` layer (details in the run's language), a ``summary`` table of
    counts per problem and layer, and the ``run`` table to a GeoPackage, atomically."""
    path = Path(path)
    issues = render_issues(found.issues, found.lang)
    summary = issues.groupby(["problem", "layer"], sort=False).size().rename("count").reset_index() if len(issues) else pd.DataFrame(columns=["problem", "layer", "count"])
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(_writable(issues), tmp, layer="issues", driver="GPKG", promote_to_multi=True)
        pyogrio.write_dataframe(_writable(summary), tmp, layer="summary", driver="GPKG")
        pyogrio.write_dataframe(_writable(run_table(found.result_like)), tmp, layer="run", driver="GPKG")
    return path
