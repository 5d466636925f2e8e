"""Units and rounding conventions (POLICY.md, "Conventions")."""

from __future__ import annotations

__all__ = ["AREA_DECIMALS", "M2_PER_MU", "RATIO_DECIMALS", "m2_to_mu", "mu_to_m2", "ratio"]

#: 1 mu (亩) = 10000/15 m², exactly.
M2_PER_MU = 10000 / 15
#: Areas are reported and compared at 0.01 m² (the registration precision).
AREA_DECIMALS = 2
#: Ratios (FAR, shares, rises, per-mu figures) are compared at 6 decimal places.
RATIO_DECIMALS = 6


def mu_to_m2(mu):
    """Area in mu → m².

    >>> round(mu_to_m2(10), 2)   # the 10-mu minimum piece of a split
    6666.67
    """
    return mu * M2_PER_MU


def m2_to_mu(m2):
    """Area in m² → mu.

    >>> m2_to_mu(2000.0)   # yuhuan's 3-mu fringe cap
    3.0
    """
    return m2 / M2_PER_MU


def ratio(numerator, denominator):
    """numerator / denominator as floats; NaN where the denominator is 0 or missing."""
    import numpy as np

    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(den == 0, np.nan, out)
