"""Split and merge transfer rules (POLICY.md §2–§3): each rule at, just inside and just
outside its thresholds, with the real packs. Frames are built in code in EPSG:4549;
coordinates are metres relative to (X0, Y0) (see conftest)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import X0, Y0, frame, mu, rect

from landtool.errors import InputError
from landtool.io import canonicalize
from landtool.policy import load_pack
from landtool.prepare import ISSUE_COLUMNS, prepare
from landtool.rules.transfers import check_merge, check_split, connected_components, shared_boundary_length

TAIZHOU_AREA = ("taizhou", "tiantai", "yuhuan")  # the three packs with the same split/merge text


def prepared(rows: list[dict]) -> gpd.GeoDataFrame:
    """The prepared parcel table, as check.py builds it."""
    gdf = frame(rows)
    gdf["source_fid"] = np.arange(1, len(gdf) + 1)
    return prepare(canonicalize(gdf, "parcels", label="parcels")).parcels


def poly(*xy: tuple[float, float]) -> shapely.Polygon:
    return shapely.Polygon([(X0 + x, Y0 + y) for x, y in xy])


def get(verdicts: pd.DataFrame, subject_id: str, rule: str) -> dict:
    rows = verdicts[(verdicts["subject_id"] == subject_id) & (verdicts["rule"] == rule)]
    assert len(rows) == 1, f"expected one verdict for {subject_id} {rule}, got {len(rows)}"
    return rows.iloc[0].to_dict()


CLEAN = {"in_production": True, "from_split": False, "from_merge": False, "from_fringe": False, "industrial_real_estate": False, "standard_land": False}


def parent(geometry, pid="P1", **attrs) -> dict:
    return {"parcel_id": pid, "land_use": "工业用地", "owner": "甲公司", "geometry": geometry, **CLEAN, **attrs}


def pieces(*items: tuple[str, shapely.Geometry], parcel_id="P1", grade="B") -> gpd.GeoDataFrame:
    return frame([{"parcel_id": parcel_id, "piece_id": pid, "transferee_grade": grade, "geometry": g} for pid, g in items])


def split(parcel_rows, piece_frame, pack="tiantai", lang="zh", **kw):
    return check_split(piece_frame, prepared(parcel_rows), load_pack(pack), lang=lang, **kw)


# ------------------------------------------------------------------ split.min_piece_area


@pytest.mark.parametrize("pack", TAIZHOU_AREA)
def test_min_piece_area_at_and_around_10_mu(pack):
    # 10 mu = 10000/15 × 10 = 6666.666… m², compared at 0.01 m²: limit 6666.67.
    # Parent 100 m wide; pieces are horizontal bands of the given heights:
    #   A 66.6667 m → 6666.67 m² pass (at the limit after rounding)
    #   B 66.6666 m → 6666.66 m² fail (0.01 m² short)
    #   C mu(10)/100 m → exactly 10 mu → 6666.67 m² pass
    #   D 66.6668 m → 6666.68 m² pass
    heights = {"A": 66.6667, "B": 66.6666, "C": mu(10) / 100, "D": 66.6668}
    y, items = 0.0, []
    for pid, hgt in heights.items():
        items.append((pid, rect(0, y, 100, y + hgt)))
        y += hgt
    verdicts, layer, _ = split([parent(rect(0, 0, 100, y), industrial_real_estate=True)], pieces(*items), pack=pack)
    expected = {"A": ("pass", 6666.67), "B": ("fail", 6666.66), "C": ("pass", 6666.67), "D": ("pass", 6666.68)}
    for pid, (status, value) in expected.items():
        row = get(verdicts, pid, "split.min_piece_area")
        assert (row["status"], row["value"], row["limit"], row["unit"]) == (status, value, 6666.67, "m2"), pid
        assert row["subject"] == "split_piece" and row["parcel_id"] == "P1"
        assert row["headroom"] == pytest.approx(value - 6666.67, abs=1e-9)
    # industrial real estate is exempt from the count only, not from the 10 mu minimum
    assert get(verdicts, "B", "split.min_piece_area")["status"] == "fail"
    assert layer.set_index("piece_id").loc["B", "status_min_piece_area"] == "fail"
    assert layer.set_index("piece_id").loc["A", "area_m2"] == 6666.67


def test_min_piece_area_explanations_both_languages():
    items = [("A", rect(0, 0, 100, 66.6666)), ("B", rect(0, 66.6666, 100, 200))]
    zh, _, _ = split([parent(rect(0, 0, 100, 200))], pieces(*items), lang="zh")
    en, _, _ = split([parent(rect(0, 0, 100, 200))], pieces(*items), lang="en")
    assert "6,666.66" in get(zh, "A", "split.min_piece_area")["explanation"] and "<" in get(zh, "A", "split.min_piece_area")["explanation"]
    assert "below" in get(en, "A", "split.min_piece_area")["explanation"]
    assert get(en, "A", "split.min_piece_area")["clause"] == "天政发〔2022〕1号 四（八）"


# ------------------------------------------------------------------ split.max_pieces


def bands(n: int, width: float = 100.0, height: float = 100.0):
    """n pieces side by side, each width × height (100 × 100 = 10000 m² = 15 mu)."""
    return [(f"S{i + 1}", rect(i * width, 0, (i + 1) * width, height)) for i in range(n)], rect(0, 0, n * width, height)


@pytest.mark.parametrize("pack", TAIZHOU_AREA)
@pytest.mark.parametrize(("n", "status", "headroom"), [(2, "pass", 1.0), (3, "pass", 0.0), (4, "fail", -1.0)])
def test_max_pieces(pack, n, status, headroom):
    items, whole = bands(n)
    verdicts, _, _ = split([parent(whole)], pieces(*items), pack=pack, lang="en")
    row = get(verdicts, "P1", "split.max_pieces")
    assert (row["status"], row["value"], row["limit"], row["unit"], row["headroom"]) == (status, n, 3, "count", headroom)
    # 原则上: a breach is a fail that a special approval may still allow
    assert ("special approval" in row["explanation"]) == (status == "fail")


def test_max_pieces_industrial_real_estate_exempt_and_unknown():
    items, whole = bands(4)
    verdicts, _, _ = split([parent(whole, industrial_real_estate=True)], pieces(*items))
    row = get(verdicts, "P1", "split.max_pieces")
    assert row["status"] == "pass" and "工业地产" in row["explanation"] and np.isnan(row["headroom"])
    # the flag missing: 4 pieces cannot be judged (the exemption might apply)
    verdicts, _, _ = split([parent(whole, industrial_real_estate=None)], pieces(*items), lang="en")
    row = get(verdicts, "P1", "split.max_pieces")
    assert row["status"] == "insufficient_data" and "industrial_real_estate" in row["explanation"]
    # … but 3 pieces pass whatever the flag
    items, whole = bands(3)
    verdicts, _, _ = split([parent(whole, industrial_real_estate=None)], pieces(*items))
    assert get(verdicts, "P1", "split.max_pieces")["status"] == "pass"


# ------------------------------------------------------------------ split.partition

L_SHAPE = poly((0, 0), (300, 0), (300, 100), (100, 100), (100, 300), (0, 300))  # 300×100 + 100×200 = 50000 m²


def test_partition_exact_on_an_l_shape():
    # the L is cut into its vertical arm and two halves of its foot: 20000 + 15000 + 15000 = 50000 m²
    items = [("A", rect(0, 100, 100, 300)), ("B", rect(0, 0, 150, 100)), ("C", rect(150, 0, 300, 100))]
    verdicts, layer, issues = split([parent(L_SHAPE)], pieces(*items))
    row = get(verdicts, "P1", "split.partition")
    assert (row["status"], row["value"], row["limit"], row["unit"]) == ("pass", 0.0, 0.5, "m2")
    assert row["interpretation"]  # the reading of "exact cover" is stated
    assert len(issues) == 0 and list(issues.columns) == ISSUE_COLUMNS
    assert layer["area_m2"].sum() == 50000.0


def test_partition_exact_on_a_skewed_quadrilateral():
    # parent (0,0) (240,0) (260,120) (20,130): shoelace (0 + 28800 + 31400 + 0) / 2 = 30100 m²;
    # cut from (100,0) to the top edge's midpoint (140,125):
    #   left (0,0) (100,0) (140,125) (20,130): (0 + 12500 + 15700 + 0) / 2 = 14100 m²; right 16000 m²
    quad = poly((0, 0), (240, 0), (260, 120), (20, 130))
    items = [("L", poly((0, 0), (100, 0), (140, 125), (20, 130))), ("R", poly((100, 0), (240, 0), (260, 120), (140, 125)))]
    verdicts, layer, issues = split([parent(quad)], pieces(*items))
    assert get(verdicts, "P1", "split.partition")["status"] == "pass"
    assert get(verdicts, "P1", "split.partition")["value"] == 0.0
    assert layer.set_index("piece_id")["area_m2"].to_dict() == {"L": 14100.0, "R": 16000.0}
    assert len(issues) == 0  # floating-point crumbs below 0.005 m² are not findings


@pytest.mark.parametrize(
    ("b_right", "c_left", "c_top", "status", "value", "problem"),
    [
        # gap between B and C of width w over 100 m: w × 100 m²
        (149.995, 150, 100, "pass", 0.0, "split_gap"),  # 0.5 m² ≤ 0.5 tolerated (listed in issues)
        (149.9949, 150, 100, "fail", 0.51, "split_gap"),  # 0.51 m² > 0.5
        (149.9, 150, 100, "fail", 10.0, "split_gap"),  # 10 m²
        # overlap of B and C: 0.1 × 100 = 10 m²
        (150.1, 150, 100, "fail", 10.0, "split_overlap"),
        # C sticks out above the foot of the L: 150 × 0.2 = 30 m² outside the parent
        (150, 150, 100.2, "fail", 30.0, "split_outside"),
    ],
)
def test_partition_gap_overlap_outside(b_right, c_left, c_top, status, value, problem):
    items = [("A", rect(0, 100, 100, 300)), ("B", rect(0, 0, b_right, 100)), ("C", rect(c_left, 0, 300, c_top))]
    verdicts, _, issues = split([parent(L_SHAPE)], pieces(*items), lang="en")
    row = get(verdicts, "P1", "split.partition")
    assert (row["status"], row["value"]) == (status, value)
    found = issues[issues["problem"] == problem]
    assert len(found) == 1
    assert found["geometry"].iloc[0] is not None and not found["geometry"].iloc[0].is_empty
    if status == "fail":
        assert found["value_m2"].iloc[0] == value and "fails" in found["detail"].iloc[0]
    else:
        assert found["value_m2"].iloc[0] == 0.5 and "noise" in found["detail"].iloc[0]
    if problem == "split_overlap":
        assert found["feature_id"].iloc[0] == "B|C"


def test_partition_many_parents_only_the_overlap_fails():
    # 60 parents of 3 pieces each, one overlap in parent 7: only that parent fails
    rows, items = [], []
    for k in range(60):
        x = k * 400.0
        rows.append(parent(rect(x, 0, x + 300, 100), pid=f"P{k}"))
        right = 200.2 if k == 7 else 200.0  # 0.2 × 100 = 20 m² overlap
        items += [
            {"parcel_id": f"P{k}", "piece_id": f"P{k}-1", "geometry": rect(x, 0, x + 100, 100)},
            {"parcel_id": f"P{k}", "piece_id": f"P{k}-2", "geometry": rect(x + 100, 0, x + right, 100)},
            {"parcel_id": f"P{k}", "piece_id": f"P{k}-3", "geometry": rect(x + 200, 0, x + 300, 100)},
        ]
    verdicts, _, issues = split(rows, frame(items))
    partition = verdicts[verdicts["rule"] == "split.partition"].set_index("subject_id")
    assert (partition["status"] == "fail").sum() == 1 and partition.loc["P7", "value"] == 20.0
    assert issues["problem"].tolist() == ["split_overlap"]


# ------------------------------------------------------------------ split.building_integrity

TWO_HALVES = [("A", rect(0, 0, 100, 100)), ("B", rect(100, 0, 200, 100))]  # 10000 m² each


@pytest.mark.parametrize(
    ("left_edge", "status", "value"),
    [
        # building from x = 100 − w to 130, 50 m deep: w × 50 m² lies in piece A, the rest in B
        (100 - 0.009, "pass", 0.45),  # 0.45 m² ≤ 0.5
        (100 - 0.01, "pass", 0.5),  # 0.50 m² at the tolerance: not cut
        (100 - 0.0102, "fail", 0.51),  # 0.51 m² > 0.5: cut
        (90, "fail", 500.0),  # 10 × 50 m²
    ],
)
def test_building_straddling_the_cut(left_edge, status, value):
    buildings = frame([
        {"building_id": "B1", "geometry": rect(left_edge, 10, 130, 60)},
        {"building_id": "B2", "geometry": rect(10, 10, 40, 40)},  # wholly in A
    ])
    verdicts, _, issues = split([parent(rect(0, 0, 200, 100))], pieces(*TWO_HALVES), lang="en", buildings=buildings)
    row = get(verdicts, "P1", "split.building_integrity")
    assert (row["status"], row["value"], row["limit"], row["unit"]) == (status, value, 0.5, "m2")
    assert row["headroom"] == pytest.approx(0.5 - value)
    cut = issues[issues["problem"] == "building_cut"]
    assert cut["feature_id"].tolist() == ["B1"] and cut["value_m2"].tolist() == [value]
    if status == "fail":
        assert "B1" in row["explanation"] and f"{value:,.2f} m²" in row["explanation"]
    assert "B2" not in row["explanation"]


def test_building_integrity_without_layer_and_without_buildings():
    verdicts, _, _ = split([parent(rect(0, 0, 200, 100))], pieces(*TWO_HALVES))
    assert get(verdicts, "P1", "split.building_integrity")["status"] == "insufficient_data"
    elsewhere = frame([{"building_id": "X", "geometry": rect(500, 500, 510, 510)}])
    verdicts, _, _ = split([parent(rect(0, 0, 200, 100))], pieces(*TWO_HALVES), buildings=elsewhere)
    assert get(verdicts, "P1", "split.building_integrity")["status"] == "pass"


def test_building_on_an_l_shape_cut():
    # L split into arm A (x 0–100, y 100–300) and foot B (y 0–100): a building across y = 100
    # from y = 95 to 120 and x 20–60: 40 × 5 = 200 m² in B, 40 × 20 = 800 m² in A → 200 m² cut
    items = [("A", rect(0, 100, 100, 300)), ("B", rect(0, 0, 300, 100))]
    buildings = frame([{"building_id": "W", "geometry": rect(20, 95, 60, 120)}])
    verdicts, _, _ = split([parent(L_SHAPE)], pieces(*items), buildings=buildings)
    row = get(verdicts, "P1", "split.building_integrity")
    assert (row["status"], row["value"]) == ("fail", 200.0)


# ------------------------------------------------------------------ split.facility_land


@pytest.mark.parametrize(
    ("facility", "status", "value"),
    [
        (rect(20, 20, 80, 60), "pass", 0.0),  # wholly in A
        (rect(99.99, 20, 130, 40), "pass", 0.2),  # 0.01 × 20 = 0.2 m² in A ≤ 0.5
        (rect(99.97, 20, 130, 40), "fail", 0.6),  # 0.03 × 20 = 0.6 m² in A > 0.5
        (rect(90, 20, 110, 40), "fail", 200.0),  # 10 × 20 m² on each side: the smaller side counts
    ],
)
def test_facility_land_straddling_the_cut(facility, status, value):
    fac = frame([{"facility_id": "F1", "geometry": facility}])
    verdicts, _, issues = split([parent(rect(0, 0, 200, 100))], pieces(*TWO_HALVES), lang="en", facility_land=fac)
    row = get(verdicts, "P1", "split.facility_land")
    assert (row["status"], row["value"], row["limit"]) == (status, value, 0.5)
    assert (len(issues[issues["problem"] == "facility_cut"]) == 1) == (value > 0)
    if status == "fail":
        assert "divided" in row["explanation"]


def test_facility_land_as_a_piece_of_its_own():
    # piece F is exactly the facility land: split off from the whole
    items = [("A", rect(0, 0, 200, 100)), ("F", rect(200, 0, 300, 100))]
    fac = frame([{"facility_id": "F1", "geometry": rect(200, 0, 300, 100)}])
    verdicts, _, _ = split([parent(rect(0, 0, 300, 100))], pieces(*items), lang="en", facility_land=fac)
    row = get(verdicts, "P1", "split.facility_land")
    assert row["status"] == "fail" and "piece of its own" in row["explanation"] and "F" in row["explanation"]
    # no facility land on the parcel: does not apply; no layer: insufficient data
    far = frame([{"facility_id": "F9", "geometry": rect(900, 900, 910, 910)}])
    verdicts, _, _ = split([parent(rect(0, 0, 300, 100))], pieces(*items), facility_land=far)
    assert get(verdicts, "P1", "split.facility_land")["status"] == "not_applicable"
    verdicts, _, _ = split([parent(rect(0, 0, 300, 100))], pieces(*items))
    assert get(verdicts, "P1", "split.facility_land")["status"] == "insufficient_data"


# ------------------------------------------------------------------ parent flags


@pytest.mark.parametrize(
    ("flags", "status", "words"),
    [
        ({}, "pass", "not formed"),
        ({"from_split": True}, "fail", "a split"),
        ({"from_merge": True}, "fail", "a merge"),
        ({"from_fringe": True}, "fail", "special approval"),  # 原则上: discretionary
        ({"from_split": None}, "insufficient_data", "from_split"),
    ],
)
def test_no_resplit(flags, status, words):
    items, whole = bands(2)
    verdicts, _, _ = split([parent(whole, **flags)], pieces(*items), lang="en")
    row = get(verdicts, "P1", "split.no_resplit")
    assert row["status"] == status and words in row["explanation"]


@pytest.mark.parametrize(("value", "status"), [(True, "pass"), (False, "fail"), (None, "insufficient_data")])
def test_in_production(value, status):
    items, whole = bands(2)
    verdicts, _, _ = split([parent(whole, in_production=value)], pieces(*items))
    assert get(verdicts, "P1", "split.in_production")["status"] == status


@pytest.mark.parametrize(("value", "status"), [(True, "pass"), (False, "not_applicable"), (None, "insufficient_data")])
def test_standard_land_flag(value, status):
    items, whole = bands(2)
    verdicts, layer, _ = split([parent(whole, standard_land=value)], pieces(*items), lang="en")
    row = get(verdicts, "P1", "transfer.standard_land")
    assert row["status"] == status
    if status == "pass":
        assert "inherits" in row["explanation"]
    assert layer["standard_land"].tolist() == [value is True] * 2


@pytest.mark.parametrize(
    ("grades", "status"),
    [(["A", "B"], "pass"), (["A", "C类"], "fail"), (["d", "A"], "fail"), (["A", None], "insufficient_data"), (["C", None], "fail")],
)
def test_transferee_grade_split(grades, status):
    items, whole = bands(2)
    plan = frame([{"parcel_id": "P1", "piece_id": pid, "transferee_grade": grd, "geometry": g} for (pid, g), grd in zip(items, grades, strict=True)])
    verdicts, _, _ = split([parent(whole)], plan, lang="en")
    row = get(verdicts, "P1", "transfer.transferee")
    assert row["status"] == status and "compliance" in row["explanation"]


# ------------------------------------------------------------------ robustness and packs


def test_unknown_parent_and_empty_piece_never_raise():
    items, whole = bands(2)
    plan = pd.concat([
        pieces(*items),
        frame([{"parcel_id": "NOPE", "piece_id": "X1", "geometry": rect(900, 0, 1000, 100)}]),
        frame([{"parcel_id": "P1", "piece_id": "E", "geometry": None}]),
    ], ignore_index=True)
    verdicts, layer, issues = split([parent(whole)], plan, lang="en")
    for rule in ("split.partition", "split.in_production", "split.no_resplit"):
        row = get(verdicts, "NOPE", rule)
        assert row["status"] == "insufficient_data" and "NOPE" in row["explanation"]
    assert get(verdicts, "X1", "split.min_piece_area")["status"] == "pass"  # its area is still known (10000 m²)
    assert get(verdicts, "E", "split.min_piece_area")["status"] == "insufficient_data"
    assert set(issues["problem"]) >= {"unknown_parcel", "empty_geometry"}
    assert len(layer) == 4  # nothing lost


def test_pack_without_split_rules_answers_not_in_policy():
    items, whole = bands(2)
    verdicts, _, _ = split([parent(whole)], pieces(*items), pack="shengzhou", lang="en")
    assert set(verdicts["status"]) == {"not_applicable"}
    assert set(verdicts["explanation"]) == {"not in this policy"}
    assert set(verdicts["subject"]) == {"split_plan", "split_piece"}
    assert len(verdicts) == 8 + 2


def test_split_crs_mismatch_is_an_error():
    items, whole = bands(2)
    plan = pieces(*items).to_crs("EPSG:4490")
    with pytest.raises(InputError, match="CRS"):
        split([parent(whole)], plan)


# ------------------------------------------------------------------ shared boundaries


@pytest.mark.parametrize(
    ("b", "expected"),
    [
        (rect(100, 0, 200, 100), 100.0),  # exactly shared edge
        (rect(100, 100, 200, 200), 0.0),  # corner only
        (rect(100.02, 0, 200, 100), 100.0),  # 2 cm digitising gap, vertices opposite each other
        (rect(100.02, -50, 200, 150), 100.0),  # 2 cm gap, A's vertices face B's edge (T-junction)
        (rect(100.02, 50, 200, 150), 50.0),  # 2 cm gap, edges offset by half
        (rect(99.98, 20, 200, 80), 60.0),  # 2 cm overlap, B's edge shorter
        (rect(101, 0, 200, 100), 0.0),  # a real 1 m gap
        (rect(100.06, 0, 200, 100), 0.0),  # 6 cm: beyond the 5 cm snapping tolerance
    ],
)
def test_shared_boundary_length(b, expected):
    a = rect(0, 0, 100, 100)
    got = shared_boundary_length([a], [b], snap_tolerance=0.05)[0]
    assert got == pytest.approx(expected, abs=0.001)
    assert shared_boundary_length([b], [a], snap_tolerance=0.05)[0] == pytest.approx(expected, abs=0.001)


def test_shared_boundary_on_a_skewed_edge():
    # two quadrilaterals sharing the slanted edge (100,0)–(140,125): length √(40² + 125²) = 131.2440…
    left = poly((0, 0), (100, 0), (140, 125), (20, 130))
    right = poly((100.03, 0), (240, 0), (260, 120), (140.03, 125))  # 3 cm off
    got = shared_boundary_length([left], [right], snap_tolerance=0.05)[0]
    assert got == pytest.approx((40**2 + 125**2) ** 0.5, abs=0.01)


def test_shared_boundary_survives_a_snapping_artifact():
    # two NYC MapPLUTO lots (rounded to mm) sharing the edge (0, 11.607)–(7.816, 14.764) exactly:
    # √(7.816² + 3.157²) = 8.4295 m. A's vertex (0.006, 11.59) lies 1.8 cm from that edge's end, and
    # GEOS snapping inserts it into B's edge, bending it: snapping alone measures 0.018 m.
    a = poly((30.358, 11.314), (2.345, 0.0), (0.006, 11.59), (0.0, 11.607), (7.816, 14.764), (28.036, 22.93))
    b = poly((7.816, 14.764), (0.0, 11.607), (-9.55, 40.582), (1.743, 45.143))
    expected = (7.816**2 + 3.157**2) ** 0.5
    assert shared_boundary_length([a], [b], snap_tolerance=0.05)[0] == pytest.approx(expected, abs=1e-6)
    assert shared_boundary_length([b], [a], snap_tolerance=0.05)[0] == pytest.approx(expected, abs=1e-6)


def test_connected_components():
    assert connected_components(4, np.array([0, 2]), np.array([1, 3])).tolist() == [0, 0, 2, 2]
    assert connected_components(3, np.array([0, 1]), np.array([1, 2])).tolist() == [0, 0, 0]
    assert connected_components(2, np.array([], int), np.array([], int)).tolist() == [0, 1]


# ------------------------------------------------------------------ merge

AS_OF = dt.date(2024, 1, 1)
MERGE_ATTRS = {"ownership": "国有", "right_type": "出让", "term_end": "2050-01-01"}


def merge(parcel_rows, groups: dict[str, list[str]], pack="tiantai", lang="en", grades=None):
    rows = [{"group_id": g, "parcel_id": p, "transferee_grade": (grades or {}).get(g, "B")} for g, ps in groups.items() for p in ps]
    return check_merge(pd.DataFrame(rows), prepared(parcel_rows), load_pack(pack), lang=lang, as_of=AS_OF)


def mparcel(pid, geometry, **attrs):
    return {"parcel_id": pid, "land_use": "工业用地", "geometry": geometry, **MERGE_ATTRS, **attrs}


@pytest.mark.parametrize("pack", TAIZHOU_AREA)
@pytest.mark.parametrize(
    ("b", "status", "blocks"),
    [
        (rect(100, 0, 200, 100), "pass", 1),  # shared edge of 100 m
        (rect(100, 100, 200, 200), "fail", 2),  # corner only: not 界线相邻
        (rect(100.02, 0, 200, 100), "pass", 1),  # 2 cm digitising gap: bridged
        (rect(101, 0, 200, 100), "fail", 2),  # 1 m gap: not adjacent
        (rect(100, 99.5, 200, 199.5), "pass", 1),  # shared 0.5 m: at the minimum
        (rect(100, 99.51, 200, 199.51), "fail", 2),  # shared 0.49 m: below
    ],
)
def test_merge_adjacent(pack, b, status, blocks):
    verdicts, layer = merge([mparcel("A", rect(0, 0, 100, 100)), mparcel("B", b)], {"G1": ["A", "B"]}, pack=pack)
    row = get(verdicts, "G1", "merge.adjacent")
    assert (row["status"], row["value"], row["limit"], row["unit"]) == (status, blocks, 1, "count")
    assert row["subject"] == "merge_group" and row["interpretation"] and row["parcel_id"] == "A,B"
    assert layer["blocks"].tolist() == [blocks]
    if status == "fail":
        assert "corner" in row["explanation"]


def test_merge_chain_and_layer():
    # A–B share 100 m, B–C share 50 m, A and C do not touch: one block; area 10000 + 10000 + 5000
    parcels = [mparcel("A", rect(0, 0, 100, 100)), mparcel("B", rect(100, 0, 200, 100)), mparcel("C", rect(200, 50, 300, 100))]
    verdicts, layer = merge(parcels, {"G": ["A", "B", "C"]})
    assert get(verdicts, "G", "merge.adjacent")["status"] == "pass"
    row = layer.iloc[0]
    assert row["parcel_ids"] == "A,B,C" and row["area_m2"] == 25000.0 and row["shared_length_m"] == 150.0
    assert row["shared_boundaries"] == "A–B 100.00 m; B–C 50.00 m"
    assert row["geometry"].area == pytest.approx(25000.0)
    assert row["no_split_after"] and row["status"] == "pass"


@pytest.mark.parametrize(
    ("b_attrs", "status"),
    [({}, "pass"), ({"ownership": "集体"}, "fail"), ({"ownership": None}, "insufficient_data")],
)
def test_merge_same_ownership(b_attrs, status):
    verdicts, _ = merge([mparcel("A", rect(0, 0, 100, 100)), mparcel("B", rect(100, 0, 200, 100), **b_attrs)], {"G": ["A", "B"]})
    assert get(verdicts, "G", "merge.same_ownership")["status"] == status
    assert get(verdicts, "G", "merge.same_right_type")["status"] == "pass"


def test_merge_same_right_type_differs():
    verdicts, _ = merge([mparcel("A", rect(0, 0, 100, 100)), mparcel("B", rect(100, 0, 200, 100), right_type="划拨")], {"G": ["A", "B"]})
    row = get(verdicts, "G", "merge.same_right_type")
    assert row["status"] == "fail" and "出让" in row["explanation"] and "划拨" in row["explanation"]


def test_merge_remaining_term():
    # as of 2024-01-01: A ends 2050-01-01 → 9497 days (26 years, 7 leap days) / 365.25 = 26.00 years;
    # B ends 2045-06-30 → 7671 days to 2045-01-01 + 180 = 7851 days / 365.25 = 21.49 years: the shortest
    parcels = [mparcel("A", rect(0, 0, 100, 100)), mparcel("B", rect(100, 0, 200, 100), term_end="2045-06-30")]
    verdicts, layer = merge(parcels, {"G": ["A", "B"]})
    row = get(verdicts, "G", "merge.remaining_term")
    assert (row["status"], row["value"], row["unit"]) == ("pass", 21.49, "year")
    assert "B" in row["explanation"] and "2045-06-30" in row["explanation"]
    assert layer["remaining_term_years"].tolist() == [21.49] and layer["term_end_min"].tolist() == ["2045-06-30"]
    parcels[1]["term_end"] = None
    verdicts, _ = merge(parcels, {"G": ["A", "B"]})
    assert get(verdicts, "G", "merge.remaining_term")["status"] == "insufficient_data"


@pytest.mark.parametrize(("grade", "status"), [("A", "pass"), ("B", "pass"), ("C", "fail"), ("D类", "fail"), (None, "insufficient_data")])
def test_merge_transferee(grade, status):
    verdicts, _ = merge([mparcel("A", rect(0, 0, 100, 100)), mparcel("B", rect(100, 0, 200, 100))], {"G": ["A", "B"]}, grades={"G": grade})
    assert get(verdicts, "G", "transfer.transferee")["status"] == status
    assert get(verdicts, "G", "merge.no_split_after")["status"] == "pass"


def test_merge_unknown_parcel_and_single_parcel():
    verdicts, layer = merge([mparcel("A", rect(0, 0, 100, 100))], {"G": ["A", "ZZ"], "H": ["A"]})
    row = get(verdicts, "G", "merge.adjacent")
    assert row["status"] == "insufficient_data" and "ZZ" in row["explanation"]
    assert get(verdicts, "G", "merge.same_ownership")["status"] == "insufficient_data"
    assert get(verdicts, "H", "merge.adjacent")["status"] == "insufficient_data"
    assert layer.set_index("group_id").loc["G", "unknown_parcels"] == "ZZ"


def test_merge_not_in_policy():
    verdicts, _ = merge([mparcel("A", rect(0, 0, 100, 100)), mparcel("B", rect(100, 0, 200, 100))], {"G": ["A", "B"]}, pack="shengzhou")
    assert len(verdicts) == 6 and set(verdicts["status"]) == {"not_applicable"}
