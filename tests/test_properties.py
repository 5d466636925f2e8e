"""Properties over random parcel and building sets (hypothesis): every input feature is
accounted for, and a parcel without floor-area evidence never passes a floor-area rule."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import landtool
from landtool.errors import InputError
from tests.conftest import X0, Y0, frame

#: The rules that need a parcel's floor area (POLICY.md §4–§7).
FLOOR_AREA_RULES = ("indicator.far_max", "incentive.fee_exempt_area", "incentive.vertical_subsidy", "facility.land_share")

cells = st.integers(min_value=0, max_value=5)


@st.composite
def layouts(draw):
    """Up to 12 parcels on a 6 × 6 grid of 50 m cells (some overlapping, some empty or
    invalid), with up to 20 buildings anywhere around them (some outside every parcel,
    some straddling two, some without floors), and a floor-area attribute on some parcels."""
    n = draw(st.integers(min_value=1, max_value=12))
    parcels = []
    for k in range(n):
        i, j = draw(cells), draw(cells)
        w, h = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        kind = draw(st.sampled_from(["box", "box", "box", "empty", "bowtie"]))
        x0, y0 = X0 + 50 * i, Y0 + 50 * j
        if kind == "empty":
            geometry = None
        elif kind == "bowtie":
            geometry = shapely.Polygon([(x0, y0), (x0 + 50, y0 + 50), (x0 + 50, y0), (x0, y0 + 50)])
        else:
            geometry = shapely.box(x0, y0, x0 + 50 * w, y0 + 50 * h)
        gfa = draw(st.one_of(st.none(), st.floats(min_value=0, max_value=40_000, allow_nan=False)))
        parcels.append({"parcel_id": f"P{k}", "land_use": draw(st.sampled_from(["工业用地", "工业用地", "住宅用地"])), "gfa_m2": gfa, "geometry": geometry})
    m = draw(st.integers(min_value=0, max_value=20))
    buildings = []
    for k in range(m):
        x, y = draw(st.floats(-60, 360)), draw(st.floats(-60, 360))
        size = draw(st.floats(2, 40))
        floors = draw(st.one_of(st.none(), st.integers(1, 10)))
        buildings.append({"building_id": f"B{k}", "floors": floors, "geometry": shapely.box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size)})
    return frame(parcels), frame(buildings) if buildings else None


def checked(parcels, buildings):
    """The check of a layout; None where no parcel has a polygon, which must be the error
    ``no_usable_parcels`` (a run of 0 parcels would say nothing), and only then."""
    if parcels.geometry.isna().all():
        with pytest.raises(InputError) as err:
            landtool.check(parcels, buildings=buildings, policy="tiantai", as_of="2023-06-30")
        assert err.value.code == "no_usable_parcels" and err.value.params["count"] == len(parcels)
        return None
    return landtool.check(parcels, buildings=buildings, policy="tiantai", as_of="2023-06-30")


#: A layout hypothesis finds now and then: no parcel with a polygon.
NO_POLYGON = (frame([{"parcel_id": "P0", "land_use": "工业用地", "gfa_m2": None, "geometry": None}]), None)


def checked_layouts(test):
    """40 random layouts (and :data:`NO_POLYGON`) for ``test``."""
    return settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])(given(layouts())(example(NO_POLYGON)(test)))


@checked_layouts
def test_every_feature_is_accounted_for(layout):
    parcels, buildings = layout
    result = checked(parcels, buildings)
    if result is None:
        return
    issues = result.layers["issues"]
    # every parcel: in the layer, or in issues as not checked
    dropped = set(issues.loc[(issues["layer"] == "parcels") & issues["problem"].isin(["empty_geometry", "empty_after_repair", "not_polygon"]), "feature_id"])
    assert set(result.parcels["parcel_id"]) | dropped == set(parcels["parcel_id"])
    assert not set(result.parcels["parcel_id"]) & dropped
    # every parcel has one verdict of every parcel rule
    on_parcels = result.table[result.table["subject"] == "parcel"]
    assert on_parcels.groupby("parcel_id", observed=True)["rule"].nunique().eq(17).all()
    assert set(on_parcels["parcel_id"]) == set(result.parcels["parcel_id"])
    if buildings is not None:
        placed = set(result.layers["buildings"]["building_id"]) if "buildings" in result.layers else set()
        outside = set(issues.loc[(issues["layer"] == "buildings") & (issues["problem"] == "outside_parcels"), "feature_id"])
        assert placed | outside == set(buildings["building_id"])
        assert not placed & outside


@checked_layouts
def test_no_floor_area_evidence_never_passes_a_floor_area_rule(layout):
    parcels, buildings = layout
    result = checked(parcels, buildings)
    if result is None:
        return
    layer = result.parcels.set_index("parcel_id")
    without = layer.index[layer["gfa_m2"].isna()]
    rows = result.table[result.table["parcel_id"].isin(without) & result.table["rule"].isin(FLOOR_AREA_RULES)]
    assert not (rows["status"] == "pass").any()
    # and where a parcel has no attribute, its floor area is the sum over buildings that all have one
    if buildings is not None and "buildings" in result.layers:
        b = result.layers["buildings"]
        known = b.groupby("parcel_id")["gfa_m2"].agg(lambda s: s.notna().all())
        for pid, gfa in layer["gfa_m2"].items():
            if np.isnan(gfa) or parcels.set_index("parcel_id").loc[pid, "gfa_m2"] is not None:
                continue
            assert known.get(pid, False)
