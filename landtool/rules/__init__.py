"""Rule families: one module per family, each rule a vectorized function returning verdict rows.

Every parcel rule has the signature ``rule(frame, rule, pack_id, *, lang) -> DataFrame``
where ``frame`` is the prepared parcel table (see :mod:`landtool.prepare`).
"""

from landtool.rules import efficiency, facilities, incentives, indicators

#: Parcel-level rule functions by rule id, in catalogue order.
PARCEL_RULES = {
    **indicators.RULES,
    **incentives.RULES,
    **facilities.RULES,
    **efficiency.RULES,
}

__all__ = ["PARCEL_RULES"]
