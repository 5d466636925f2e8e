"""What a check returns: the verdicts table and the layers, with helpers to summarise them."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

__all__ = ["CheckResult", "STATUSES", "STATUS_ORDER", "VERDICT_COLUMNS", "family_of", "worst_status"]

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
]


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
    verdicts
        One row per (subject, rule), columns :data:`VERDICT_COLUMNS`.
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
    warnings
        Messages for the user (expired pack, repaired geometry …).
    """

    verdicts: pd.DataFrame
    parcels: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    pack: object = None
    as_of: object = None
    lang: str = "zh"
    warnings: list[str] = field(default_factory=list)

    @property
    def issues(self) -> gpd.GeoDataFrame | None:
        """The data-quality layer, if any finding was made."""
        return self.layers.get("issues")

    def summary(self) -> pd.DataFrame:
        """Counts per rule and status: index = rule, columns = statuses."""
        table = pd.crosstab(self.verdicts["rule"], self.verdicts["status"])
        return table.reindex(columns=list(STATUSES), fill_value=0)

    def failed(self, *, statuses: tuple[str, ...] = ("fail",), kinds: tuple[str, ...] = ("requirement",)) -> pd.DataFrame:
        """Verdicts with one of ``statuses`` from rules of the given kinds (``--fail-on``).

        Information, incentive and amount rules never fail a run.
        """
        rules = getattr(self.pack, "rules", {})
        kind = self.verdicts["rule"].map(lambda r: rules[r].kind if r in rules else "requirement")
        return self.verdicts[self.verdicts["status"].isin(statuses) & kind.isin(kinds)]
