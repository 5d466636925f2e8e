"""The bundled sample district (``data/`` in the repository, installed as the package
``landtool_data``), as momepy ships its datasets.

>>> sorted(SAMPLE)[:3]
['buildings', 'facility_land', 'fringe']
>>> (sample_dir() / SAMPLE["parcels"]).is_file()
True
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from landtool.errors import InputError

__all__ = ["SAMPLE", "sample_dir", "sample_path"]

#: Files of the bundled sample, by input role.
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


def sample_dir() -> Path:
    """The directory of the bundled sample (``$LANDTOOL_DATA`` overrides it)."""
    override = os.environ.get("LANDTOOL_DATA")
    path = Path(override) if override else Path(str(resources.files("landtool_data")))
    if not (path / SAMPLE["parcels"]).is_file():
        raise InputError("sample_not_found", path=str(path))
    return path


def sample_path(role: str) -> Path:
    """The sample's file for an input role (``parcels``, ``buildings`` …)."""
    return sample_dir() / SAMPLE[role]
