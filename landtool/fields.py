"""Field names and types: the canonical names of SCHEMA.md, their aliases, the user's mapping.

Fields are matched case-insensitively (ignoring spaces and full-/half-width brackets)
through the alias table (``fields.yaml``) and a ``--fields`` mapping file, whose entries
may state the source column's unit (``gfa_m2: {column: BldgArea, unit: ft2}``; areas m2,
ft2, mu, ha; lengths m, ft): values are converted to m² and m.

A mapping that names a column the layer does not have is an error:

- an entry under a layer (``parcels: {gfa_m2: BldgArea}``) when that layer is read and
  has none of the columns the entry names (a list names alternatives);
- a flat entry (``gfa_m2: BldgArea``, for every layer) when no layer read has it: at once
  for a field only one kind of layer has (``owner``, ``floors`` …); for a field several
  kinds have (``parcel_id``, ``gfa_m2``, ``height_m`` …) by :meth:`FieldMap.check_used`
  after all layers are read (``landtool.check`` calls it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml

from landtool.errors import InputError
from landtool.messages import YAML_LOADER
from landtool.problems import Problem, raise_problems
from landtool.values import AREA_UNITS, LENGTH_UNITS, MEASURES, parse_column, read_text, unit_factor

__all__ = ["FieldMap", "Source", "canonicalize", "field_specs", "load_field_map"]

#: Examples of aliases an error about a missing required field shows.
_ALIASES_SHOWN = 3
#: Columns of the layer an error about a missing required field lists.
_COLUMNS_SHOWN = 12
#: Example cells an error about unreadable values shows.
_CELLS_SHOWN = 3


@cache
def field_specs() -> dict[str, dict[str, dict[str, Any]]]:
    """The built-in field table: layer → canonical field → {type, aliases, required, unit, min, max}."""
    text = (resources.files("landtool") / "fields.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=YAML_LOADER)


@cache
def _kinds_of(canonical: str) -> frozenset[str]:
    """The layer kinds that have a canonical field."""
    return frozenset(kind for kind, specs in field_specs().items() if canonical in specs)


def _norm(name: str) -> str:
    """Normalise a field name for matching: case, spaces, full-width brackets."""
    name = str(name).strip().lower()
    name = name.translate(str.maketrans("（）［］", "()[]"))
    return re.sub(r"\s+", "", name)


@dataclass(frozen=True)
class Source:
    """A source column named by the user's mapping, with its unit and the factor to m² / m."""

    column: str
    unit: str | None = None
    factor: float = 1.0


@dataclass(frozen=True)
class FieldMap:
    """A user's own field names: layer → canonical → list of :class:`Source` (or plain names).

    The key ``"*"`` holds the flat mappings, for every layer. ``path`` names the file in
    messages.
    """

    mapping: dict[str, dict[str, list]]
    path: str = ""
    #: flat canonical → [kinds read that have the field, whether a layer had the column]
    _seen: dict = field(default_factory=dict, compare=False, repr=False)

    def sources_for(self, layer: str, canonical: str) -> list[Source]:
        """The layer's own sources for the field, then the flat ones."""
        return self.own(layer, canonical) + self.own("*", canonical)

    def own(self, layer: str, canonical: str) -> list[Source]:
        return [s if isinstance(s, Source) else Source(str(s)) for s in self.mapping.get(layer, {}).get(canonical, [])]

    def names_for(self, layer: str, canonical: str) -> list[str]:
        return [s.column for s in self.sources_for(layer, canonical)]

    def note_flat(self, canonical: str, kind: str, found: bool) -> None:
        seen = self._seen.setdefault(canonical, [set(), False])
        seen[0].add(kind)
        seen[1] = seen[1] or found

    def check_used(self) -> None:
        """Raise InputError for flat entries that no layer read had (see module docstring)."""
        problems = [
            Problem("mapped_column_unused", {"field": canonical, "columns": self.names_for("*", canonical), "layers": sorted(kinds)})
            for canonical, (kinds, found) in self._seen.items()
            if kinds and not found
        ]
        raise_problems("fields_invalid", problems, path=self.path or "--fields")


def load_field_map(path: str | Path | None) -> FieldMap:
    """Read a ``--fields`` mapping file (YAML or JSON; UTF-8, else GB18030/GBK).

    Either flat (``canonical: source``, for every layer) or per layer; a source is a
    column name, ``{column: NAME, unit: UNIT}`` or a list of alternatives::

        parcels:
          parcel_id: DKBH
          owner: [QYMC, 单位名称]
          gfa_m2: {column: BldgArea, unit: ft2}

    Raises InputError listing every problem of the file.
    """
    if path is None:
        return FieldMap({})
    path = Path(path)
    if not path.is_file():
        raise InputError("fields_file_not_found", path=str(path))
    text = read_text(path, "fields_not_text")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError("fields_not_yaml", path=str(path), line=mark.line + 1 if mark else 1) from None
    if not isinstance(data, dict):
        raise InputError("fields_not_mapping", path=str(path))
    specs = field_specs()
    known = {f for layer in specs.values() for f in layer}
    mapping: dict[str, dict[str, list[Source]]] = {}
    problems: list[Problem] = []
    for key, value in data.items():
        key = str(key)
        if key in specs:
            if not isinstance(value, dict):
                problems.append(Problem("fields_bad_layer", {"layer": key}))
                continue
            layer, pairs = key, value
        elif key in known:
            layer, pairs = "*", {key: value}
        elif isinstance(value, dict) and "column" not in value:
            problems.append(Problem("fields_unknown_layer", {"layer": key, "layers": list(specs)}))
            continue
        else:
            problems.append(Problem("fields_unknown_field", {"field": key}))
            continue
        for canonical, names in pairs.items():
            canonical = str(canonical)
            if canonical not in (specs[layer] if layer != "*" else known):
                problems.append(Problem("fields_unknown_field", {"field": canonical}))
                continue
            sources = _sources(layer, canonical, names, problems)
            mapping.setdefault(layer, {}).setdefault(canonical, []).extend(sources)
    raise_problems("fields_invalid", problems, path=str(path))
    return FieldMap(mapping, str(path))


def _measure(layer: str, canonical: str) -> str | None:
    """``area``, ``length`` or None (several: ``mixed``) for a canonical field's unit."""
    kinds = [layer] if layer != "*" else sorted(_kinds_of(canonical))
    measures = {MEASURES.get(field_specs()[k][canonical].get("unit")) for k in kinds}
    return measures.pop() if len(measures) == 1 else "mixed"


def _sources(layer: str, canonical: str, value: Any, problems: list[Problem]) -> list[Source]:
    """The sources of one mapping entry; problems are appended."""
    out = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            out.append(Source(str(item)))
            continue
        if not isinstance(item, dict) or set(item) - {"column", "unit"} or not isinstance(item.get("column"), (str, int)):
            problems.append(Problem("fields_bad_entry", {"field": canonical}))
            continue
        unit = item.get("unit")
        if unit is None:
            out.append(Source(str(item["column"])))
            continue
        measure = _measure(layer, canonical)
        if measure not in ("area", "length"):
            problems.append(Problem("fields_unit_not_measure", {"field": canonical, "unit": str(unit)}))
            continue
        found = unit_factor(unit, measure)
        if found is None:
            units = list(AREA_UNITS if measure == "area" else LENGTH_UNITS)
            problems.append(Problem("fields_unknown_unit", {"field": canonical, "unit": str(unit), "units": units}))
            continue
        out.append(Source(str(item["column"]), found[0], found[1]))
    return out


# --------------------------------------------------------------------------- canonical names and values


def canonicalize(df: pd.DataFrame, kind: str, *, label: str, fields: FieldMap | None = None) -> pd.DataFrame:
    """Rename columns to canonical names, parse values to their types, convert mapped units.

    Columns that match no canonical name are kept as they are. Raises InputError
    (``layer_invalid``) listing every problem: a missing required field, a mapped column
    the layer lacks, unreadable values (naming the features by ``source_fid``).
    """
    specs = field_specs()[kind]
    fields = fields or FieldMap({})
    by_norm: dict[str, str] = {}
    for col in df.columns:
        by_norm.setdefault(_norm(col), col)
    geometry_name = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    usable = {n: c for n, c in by_norm.items() if c != geometry_name}
    rename: dict[str, str] = {}
    chosen: dict[str, tuple[str, Source | None]] = {}
    problems: list[Problem] = []
    for canonical, spec in specs.items():
        own = fields.own(kind, canonical)
        if own and not any(_norm(s.column) in usable for s in own):
            problems.append(Problem("mapped_column_missing", {"field": canonical, "columns": [s.column for s in own]}))
        flat = fields.own("*", canonical)
        if flat:
            found = any(_norm(s.column) in usable for s in flat)
            fields.note_flat(canonical, kind, found)
            if not found and _kinds_of(canonical) == {kind}:
                problems.append(Problem("mapped_column_missing", {"field": canonical, "columns": [s.column for s in flat]}))
        # The user's mapping first, then the canonical name itself, then the aliases.
        candidates = [(s.column, s) for s in fields.sources_for(kind, canonical)]
        candidates += [(name, None) for name in (canonical, *spec.get("aliases", []))]
        for name, source in candidates:
            col = usable.get(_norm(name))
            if col is not None and col not in rename:
                rename[col] = canonical
                chosen[canonical] = (col, source)
                break
    for canonical, spec in specs.items():
        if spec.get("required") and canonical not in chosen:
            aliases = [str(a) for a in spec.get("aliases", [])[:_ALIASES_SHOWN]]
            columns = [str(c) for c in df.columns if c not in (geometry_name, "source_fid")][:_COLUMNS_SHOWN]
            problems.append(Problem("required_field_missing", {"field": canonical, "aliases": aliases, "columns": columns or ["—"]}))
    # A column already named like a field that another column was mapped to is shadowed.
    shadowed = [c for c in df.columns if c in chosen and chosen[c][0] != c]
    out = df.drop(columns=shadowed).rename(columns=rename)
    fids = out["source_fid"].to_numpy() if "source_fid" in out else np.arange(1, len(out) + 1)
    for canonical, (col, source) in chosen.items():
        parsed, bad = parse_column(out[canonical], specs[canonical]["type"])
        if source is not None and source.factor != 1.0:
            parsed = parsed * source.factor
        out[canonical] = parsed
        for code, mask in bad.items():
            mask = mask.to_numpy(dtype=bool)
            if mask.any():
                rows = np.flatnonzero(mask)[:_CELLS_SHOWN]
                cells = [f"{fids[r]}: {df[col].iloc[r]!r}" for r in rows]
                problems.append(Problem(code, {"column": str(col), "field": canonical, "count": int(mask.sum()), "cells": cells}))
    raise_problems("layer_invalid", problems, layer=label, role=kind)
    return out
