"""Rule families: one module per family, each rule a vectorized function returning verdict rows.

Every parcel rule has the signature ``rule(frame, rule, pack_id, **inputs) -> DataFrame``
where ``frame`` is the prepared parcel table (see :mod:`landtool.prepare`); a rule that
needs another input (``buildings``, ``zones``, ``supplied_from`` …) declares it as a
keyword argument, and :func:`landtool.check` passes it.
"""

from landtool.rules import (
    efficiency,
    facilities,
    incentives,
    indicators,
    landuse,
    subsidies,
    supply,
)

#: Parcel-level rule functions by rule id, in catalogue order.
PARCEL_RULES = {
    **indicators.RULES,
    **incentives.RULES,
    **subsidies.RULES,
    **facilities.RULES,
    **efficiency.RULES,
    **landuse.RULES,
}

#: Rules over the whole area, one verdict per period (subject ``supply_year``).
AREA_RULES = dict(supply.RULES)

__all__ = ["AREA_RULES", "PARCEL_RULES"]
