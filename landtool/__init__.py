"""landtool: checks land parcels against Zhejiang's 腾笼换鸟、凤凰涅槃 industrial-land policies.

>>> import landtool
>>> result = landtool.check("parcels.gpkg", buildings="buildings.gpkg", policy="tiantai")  # doctest: +SKIP
>>> result.verdicts.head()  # doctest: +SKIP
"""

__version__ = "0.1.0"

from landtool.check import check
from landtool.errors import InputError, LandtoolError
from landtool.policy import available_packs, load_pack
from landtool.result import CheckResult

__all__ = ["CheckResult", "InputError", "LandtoolError", "__version__", "available_packs", "check", "load_pack"]
