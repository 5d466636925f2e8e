"""What a check returns: the verdicts table and the layers, with helpers to summarise them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = ["STATUSES", "STATUS_ORDER", "TABLE_COLUMNS", "VERDICT_COLUMNS", "CheckResult", "family_of", "worst_status"]

#: Verdict statuses (SCHEMA.md output contract).
STATUSES = ("pass", "fail", "not_applicable", "insufficient_data")
#: Severity when several verdicts are folded into one status: the highest wins.
STATUS_ORDER = {"not_applicable": 0, "pass": 1, "insufficient_data": 2, "fail": 3}

#: Columns of the ``verdicts`` table, in order (SCHEMA.md output contract).
VERDICT_COLUMNS = [
    "subject",
    "subject_id",
    "parcel_id",
    "rule",
    "status",
    "value",
    "limit",
    "unit",
    "pack",
    "clause",
    "explanation",
    "interpretation",
    "reason",
    "headroom",
    "args",
]

#: Columns of the compact verdict table a check keeps in memory: the sentences
#: (``explanation``, ``interpretation``) are rendered from ``reason`` and ``args`` only
#: where text is written.
TABLE_COLUMNS = [c for c in VERDICT_COLUMNS if c not in ("explanation", "interpretation")]


def family_of(rule_id: str) -> str:
    """``"indicator.far_max"`` → ``"indicator"``."""
    return rule_id.split(".", 1)[0]


def worst_status(statuses: pd.Series) -> str:
    """Fold statuses into one: fail > insufficient_data > pass > not_applicable."""
    if statuses.empty:
        return "not_applicable"
    return max(statuses, key=STATUS_ORDER.__getitem__)


@dataclass
class CheckResult:
    """The outcome of :func:`landtool.check`.

    Attributes
    ----------
    table
        The compact verdicts: one row per (subject, rule), columns
        :data:`TABLE_COLUMNS` (codes and numbers, no sentences); the code columns
        (``subject``, ``rule``, ``status``, ``reason``, ``unit``, ``pack``, ``clause``)
        are categorical.
    parcels
        Every input parcel in the projected working CRS, with its canonical
        attributes, ``area_m2``, ``area_mu``, ``far``, ``height_m``,
        ``height_source``, one ``status_<family>`` column per rule family and the
        overall ``status``.
    layers
        Further layers by name (``buildings``, ``zones``, ``facility_land``,
        ``split_pieces``, ``merge_groups``, ``fringe``, ``issues`` …), all in the
        parcels' CRS.
    pack
        The :class:`landtool.policy.Pack` used.
    lang
        The language of the run: what :attr:`verdicts` and the outputs are written in.
    warnings
        :class:`landtool.messages.Message` s for the user (expired pack, layers that
        match few parcels, rasters covering part of the parcels …).
    run
        What the result was computed from (SCHEMA.md ``run``): a mapping with the
        version, pack, as-of date, language, command line and ``inputs`` (a list of
        role, path, size, SHA-256, feature count and CRS).
    """

    table: pd.DataFrame
    parcels: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    pack: Any = None
    as_of: Any = None
    lang: str = "zh"
    warnings: list = field(default_factory=list)
    run: dict = field(default_factory=dict)
    _rendered: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def verdicts(self) -> pd.DataFrame:
        """The verdicts with their sentences in the run's language (columns :data:`VERDICT_COLUMNS`)."""
        return self.verdicts_in(self.lang)

    def verdicts_in(self, lang: str) -> pd.DataFrame:
        """The verdicts with their sentences in ``lang``."""
        if lang not in self._rendered:
            from landtool.messages import render_verdicts

            packs = {self.pack.id: self.pack} if self.pack is not None else {}
            explanation, interpretation = render_verdicts(self.table, lang, packs)
            out = self.table.copy()
            for column in out.columns:  # plain text columns for people's scripts
                if isinstance(out[column].dtype, pd.CategoricalDtype):
                    out[column] = out[column].astype(object)
            # object columns: assigning plain text would make pandas copy it into Arrow strings
            out["explanation"] = pd.Series(explanation, index=out.index, dtype=object)
            out["interpretation"] = pd.Series(interpretation, index=out.index, dtype=object)
            self._rendered[lang] = out[[c for c in VERDICT_COLUMNS if c in out]]
        return self._rendered[lang]

    @property
    def issues(self) -> gpd.GeoDataFrame | None:
        """The data-quality layer, if any finding was made."""
        return self.layers.get("issues")

    def summary(self) -> pd.DataFrame:
        """Counts per rule and status: index = rule, columns = statuses."""
        table = pd.crosstab(self.table["rule"], self.table["status"])
        return table.reindex(columns=list(STATUSES), fill_value=0)

    def failed(self, *, statuses: tuple[str, ...] = ("fail",), kinds: tuple[str, ...] = ("requirement",)) -> pd.DataFrame:
        """Verdicts with one of ``statuses`` from rules of the given kinds (``--fail-on``).

        Information, incentive and amount rules never fail a run.
        """
        rules = getattr(self.pack, "rules", {})
        kind = self.table["rule"].map(lambda r: rules[r].kind if r in rules else "requirement")
        return self.table[self.table["status"].isin(statuses) & kind.isin(kinds)]
