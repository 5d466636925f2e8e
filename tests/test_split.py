"""Split transfer rules (POLICY.md §2): each rule at, just inside and just outside its
thresholds, with the real packs. Frames are built in code in EPSG:4549; coordinates are
metres relative to (X0, Y0) (see conftest)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import TAIZHOU_AREA, X0, Y0, frame, mu, one_verdict, poly, prepared, rect

from landtool.errors import InputError
from landtool.issues import ISSUE_COLUMNS, render_issues
from landtool.messages import render_verdicts
from landtool.policy import load_pack
from landtool.rules.split import SPLIT_PIECE_RULES, SPLIT_PLAN_RULES, check_split






CLEAN = {"in_production": True, "from_split": False, "from_merge": False, "from_fringe": False, "industrial_real_estate": False, "standard_land": False}


def parent(geometry, pid="P1", **attrs) -> dict:
    return {"parcel_id": pid, "land_use": "工业用地", "owner": "甲公司", "geometry": geometry, **CLEAN, **attrs}


def pieces(*items: tuple[str, shapely.Geometry], parcel_id="P1", grade="B") -> gpd.GeoDataFrame:
    return frame([{"parcel_id": parcel_id, "piece_id": pid, "transferee_grade": grade, "geometry": g} for pid, g in items])


def split(parcel_rows, piece_frame, pack="tiantai", lang="zh", **kw):
    """check_split with the verdicts' sentences and the issues' details rendered in ``lang``."""
    policy = load_pack(pack)
    verdicts, layer, issues = check_split(piece_frame, prepared(parcel_rows), policy, **kw)
    verdicts = verdicts.copy()
    verdicts["explanation"], verdicts["interpretation"] = render_verdicts(verdicts, lang, {policy.id: policy})
    return verdicts, layer, render_issues(issues, lang)


def bands(n: int, width: float = 100.0, height: float = 100.0):
    """n pieces side by side, each width × height (100 × 100 = 10000 m² = 15 mu)."""
    return [(f"S{i + 1}", rect(i * width, 0, (i + 1) * width, height)) for i in range(n)], rect(0, 0, n * width, height)


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
    expected = {"A": ("pass", 6666.67, "within_limit"), "B": ("fail", 6666.66, "below_limit"), "C": ("pass", 6666.67, "within_limit"), "D": ("pass", 6666.68, "within_limit")}
    for pid, (status, value, reason) in expected.items():
        row = one_verdict(verdicts, pid, "split.min_piece_area")
        assert (row["status"], row["value"], row["limit"], row["unit"], row["reason"]) == (status, value, 6666.67, "m2", reason), pid
        assert row["subject"] == "split_piece" and row["parcel_id"] == "P1"
        assert row["headroom"] == pytest.approx(value - 6666.67, abs=1e-9)
        assert row["args"]["limit_mu"] == 10
    # the mu figure is never rounded up to the limit: 6666.66 m² = 9.99999 mu
    assert one_verdict(verdicts, "B", "split.min_piece_area")["args"]["area_mu"] == 9.99999
    # industrial real estate is exempt from the count only, not from the 10 mu minimum
    assert layer.set_index("piece_id").loc["B", "status_min_piece_area"] == "fail"
    assert layer.set_index("piece_id").loc["A", "area_m2"] == 6666.67


def test_min_piece_area_sentences_both_languages():
    items = [("A", rect(0, 0, 100, 66.6666)), ("B", rect(0, 66.6666, 100, 200))]
    zh, _, _ = split([parent(rect(0, 0, 100, 200))], pieces(*items), lang="zh")
    en, _, _ = split([parent(rect(0, 0, 100, 200))], pieces(*items), lang="en")
    assert one_verdict(zh, "A", "split.min_piece_area")["explanation"] == "分割宗地面积 6,666.66 平方米（9.99999 亩）< 6,666.67 平方米（10 亩）"
    assert one_verdict(en, "A", "split.min_piece_area")["explanation"] == "piece area 6,666.66 m² (9.99999 mu) is below 6,666.67 m² (10 mu)"
    assert one_verdict(en, "A", "split.min_piece_area")["clause"] == "天政发〔2022〕1号 四（八）"
    assert one_verdict(en, "A", "split.min_piece_area")["interpretation"].startswith('"原则上"')


# ------------------------------------------------------------------ split.max_pieces


@pytest.mark.parametrize("pack", TAIZHOU_AREA)
@pytest.mark.parametrize(("n", "status", "reason", "headroom"), [(2, "pass", "within_limit", 1.0), (3, "pass", "within_limit", 0.0), (4, "fail", "over_limit", -1.0)])
def test_max_pieces(pack, n, status, reason, headroom):
    items, whole = bands(n)
    verdicts, _, _ = split([parent(whole)], pieces(*items), pack=pack, lang="en")
    row = one_verdict(verdicts, "P1", "split.max_pieces")
    assert (row["status"], row["reason"], row["value"], row["limit"], row["unit"], row["headroom"]) == (status, reason, n, 3, "count", headroom)
    # 原则上: a breach of the pack's own number is a fail that a special approval may still allow
    assert row["args"].get("discretionary", False) == (status == "fail")
    assert ("special approval" in row["explanation"]) == (status == "fail")


def test_max_pieces_sentences():
    items, whole = bands(4)
    zh, _, _ = split([parent(whole)], pieces(*items), lang="zh")
    assert one_verdict(zh, "P1", "split.max_pieces")["explanation"] == "分割为 4 宗，超过 3 宗；该限值为“原则上”，经特别批准仍可允许"
    items, whole = bands(2)
    en, _, _ = split([parent(whole)], pieces(*items), lang="en")
    assert one_verdict(en, "P1", "split.max_pieces")["explanation"] == "2 pieces, within the limit of 3"


def test_max_pieces_industrial_real_estate_exempt_and_unknown():
    items, whole = bands(4)
    verdicts, _, _ = split([parent(whole, industrial_real_estate=True)], pieces(*items))
    row = one_verdict(verdicts, "P1", "split.max_pieces")
    assert (row["status"], row["reason"], row["args"]["exempt_flags"]) == ("pass", "exempt", ["industrial_real_estate"])
    assert "工业地产" in row["explanation"] and np.isnan(row["headroom"])
    # the flag missing: 4 pieces cannot be judged (the exemption might apply)
    verdicts, _, _ = split([parent(whole, industrial_real_estate=None)], pieces(*items), lang="en")
    row = one_verdict(verdicts, "P1", "split.max_pieces")
    assert (row["status"], row["reason"], row["args"]["missing"]) == ("insufficient_data", "exemption_unknown", ["industrial_real_estate"])
    assert "industrial_real_estate" in row["explanation"]
    # … but 3 pieces pass whatever the flag
    items, whole = bands(3)
    verdicts, _, _ = split([parent(whole, industrial_real_estate=None)], pieces(*items))
    assert one_verdict(verdicts, "P1", "split.max_pieces")["reason"] == "within_limit"


# ------------------------------------------------------------------ split.partition

L_SHAPE = poly((0, 0), (300, 0), (300, 100), (100, 100), (100, 300), (0, 300))  # 300×100 + 100×200 = 50000 m²


def test_partition_exact_on_an_l_shape():
    # the L is cut into its vertical arm and two halves of its foot: 20000 + 15000 + 15000 = 50000 m²
    items = [("A", rect(0, 100, 100, 300)), ("B", rect(0, 0, 150, 100)), ("C", rect(150, 0, 300, 100))]
    verdicts, layer, issues = split([parent(L_SHAPE)], pieces(*items))
    row = one_verdict(verdicts, "P1", "split.partition")
    assert (row["status"], row["reason"], row["value"], row["limit"], row["unit"]) == ("pass", "exact", 0.0, 0.5, "m2")
    assert row["interpretation"]  # the reading of "exact cover" is stated
    assert row["explanation"] == "各分割宗地恰好拼成原宗地：无缝隙、无重叠、无超出原宗地部分"
    assert len(issues) == 0 and list(issues.columns) == ISSUE_COLUMNS
    assert layer["area_m2"].sum() == 50000.0


def test_partition_exact_on_a_skewed_quadrilateral():
    # parent (0,0) (240,0) (260,120) (20,130): shoelace (0 + 28800 + 31400 + 0) / 2 = 30100 m²;
    # cut from (100,0) to the top edge's midpoint (140,125):
    #   left (0,0) (100,0) (140,125) (20,130): (0 + 12500 + 15700 + 0) / 2 = 14100 m²; right 16000 m²
    quad = poly((0, 0), (240, 0), (260, 120), (20, 130))
    items = [("L", poly((0, 0), (100, 0), (140, 125), (20, 130))), ("R", poly((100, 0), (240, 0), (260, 120), (140, 125)))]
    verdicts, layer, issues = split([parent(quad)], pieces(*items))
    row = one_verdict(verdicts, "P1", "split.partition")
    assert (row["status"], row["reason"], row["value"]) == ("pass", "exact", 0.0)
    assert layer.set_index("piece_id")["area_m2"].to_dict() == {"L": 14100.0, "R": 16000.0}
    assert len(issues) == 0  # floating-point crumbs below 0.005 m² are not findings


@pytest.mark.parametrize(
    ("b_right", "c_left", "c_top", "status", "reason", "value", "problem", "area"),
    [
        # gap between B and C of width w over 100 m: w × 100 m²
        (149.995, 150, 100, "pass", "within_tolerance", 0.0, "split_gap", 0.5),  # 0.5 m² ≤ 0.5 tolerated (listed in issues)
        (149.9949, 150, 100, "fail", "not_exact", 0.51, "split_gap", 0.51),  # 0.51 m² > 0.5
        (149.9, 150, 100, "fail", "not_exact", 10.0, "split_gap", 10.0),  # 10 m²
        # overlap of B and C: 0.1 × 100 = 10 m²
        (150.1, 150, 100, "fail", "not_exact", 10.0, "split_overlap", 10.0),
        # C sticks out above the foot of the L: 150 × 0.2 = 30 m² outside the parent
        (150, 150, 100.2, "fail", "not_exact", 30.0, "split_outside", 30.0),
    ],
)
def test_partition_gap_overlap_outside(b_right, c_left, c_top, status, reason, value, problem, area):
    items = [("A", rect(0, 100, 100, 300)), ("B", rect(0, 0, b_right, 100)), ("C", rect(c_left, 0, 300, c_top))]
    verdicts, _, issues = split([parent(L_SHAPE)], pieces(*items), lang="en")
    row = one_verdict(verdicts, "P1", "split.partition")
    assert (row["status"], row["reason"], row["value"]) == (status, reason, value)
    found = issues[issues["problem"] == problem]
    assert len(found) == 1 and found["value_m2"].iloc[0] == area
    assert found["geometry"].iloc[0] is not None and not found["geometry"].iloc[0].is_empty
    args = json.loads(found["args"].iloc[0])
    assert (args["parcel_id"], args["tolerance"]) == ("P1", 0.5)
    if status == "fail":
        kind = problem.removeprefix("split_")
        assert row["args"][f"{kind}_m2"] == value and row["args"]["offending_n"] == 1
        assert args["partition_outcome"] == "fails" and "fails" in found["detail"].iloc[0]
    else:
        assert (row["args"]["tolerated_n"], row["args"]["tolerated_m2"]) == (1, 0.5)
        assert args["partition_outcome"] == "noise" and "noise" in found["detail"].iloc[0]
    if problem == "split_overlap":
        assert found["feature_id"].iloc[0] == "B|C"


def test_partition_sentences_both_languages():
    items = [("A", rect(0, 100, 100, 300)), ("B", rect(0, 0, 149.9, 100)), ("C", rect(150, 0, 300, 100))]
    zh, _, issues_zh = split([parent(L_SHAPE)], pieces(*items), lang="zh")
    assert one_verdict(zh, "P1", "split.partition")["explanation"] == (
        "各分割宗地未恰好拼成原宗地：超过 0.5 平方米的缝隙 10 平方米、重叠 0 平方米、超出原宗地 0 平方米，合计 10 平方米（1 处，见数据质量问题）"
    )
    assert issues_zh["detail"].tolist() == ["宗地 P1 的分割宗地之间有缝隙 10.00 平方米（容差 0.5 平方米）：分割方案不通过"]


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
    ("left_edge", "status", "reason", "value"),
    [
        # building from x = 100 − w to 130, 50 m deep: w × 50 m² lies in piece A, the rest in B
        (100 - 0.009, "pass", "whole", 0.45),  # 0.45 m² ≤ 0.5
        (100 - 0.01, "pass", "whole", 0.5),  # 0.50 m² at the tolerance: not cut
        (100 - 0.0102, "fail", "cut", 0.51),  # 0.51 m² > 0.5: cut
        (90, "fail", "cut", 500.0),  # 10 × 50 m²
    ],
)
def test_building_straddling_the_cut(left_edge, status, reason, value):
    buildings = frame([
        {"building_id": "B1", "geometry": rect(left_edge, 10, 130, 60)},
        {"building_id": "B2", "geometry": rect(10, 10, 40, 40)},  # wholly in A
    ])
    verdicts, _, issues = split([parent(rect(0, 0, 200, 100))], pieces(*TWO_HALVES), lang="en", buildings=buildings)
    row = one_verdict(verdicts, "P1", "split.building_integrity")
    assert (row["status"], row["reason"], row["value"], row["limit"], row["unit"]) == (status, reason, value, 0.5, "m2")
    assert row["headroom"] == pytest.approx(0.5 - value)
    cut = issues[issues["problem"] == "building_cut"]
    assert cut["feature_id"].tolist() == ["B1"] and cut["value_m2"].tolist() == [value]
    assert json.loads(cut["args"].iloc[0])["cut_outcome"] == ("cut" if status == "fail" else "tolerated")
    if status == "fail":
        assert (row["args"]["n_cut"], row["args"]["cut_buildings"]) == (1, ["B1"])
        assert f"{value:,.2f} m²" in row["explanation"]
    else:
        assert row["args"]["n_buildings"] == 2
    assert "B2" not in row["explanation"]


def test_building_integrity_sentences_both_languages():
    buildings = frame([{"building_id": "B1", "geometry": rect(90, 10, 130, 60)}])
    zh, _, issues = split([parent(rect(0, 0, 200, 100))], pieces(*TWO_HALVES), lang="zh", buildings=buildings)
    assert one_verdict(zh, "P1", "split.building_integrity")["explanation"] == (
        "1 幢房屋被分割线切分（落在主要所在分割宗地以外的面积超过 0.5 平方米，最大 500.00 平方米）：B1"
    )
    assert issues["detail"].tolist() == ["房屋 B1（宗地 P1）有 500.00 平方米落在其主要所在分割宗地以外（容差 0.5 平方米）：视为被分割"]


def test_building_integrity_without_layer_and_without_buildings():
    verdicts, _, _ = split([parent(rect(0, 0, 200, 100))], pieces(*TWO_HALVES), lang="en")
    row = one_verdict(verdicts, "P1", "split.building_integrity")
    assert (row["status"], row["reason"], row["args"]["missing"]) == ("insufficient_data", "no_buildings_layer", ["buildings"])
    assert "buildings layer" in row["explanation"]
    elsewhere = frame([{"building_id": "X", "geometry": rect(500, 500, 510, 510)}])
    verdicts, _, _ = split([parent(rect(0, 0, 200, 100))], pieces(*TWO_HALVES), buildings=elsewhere)
    row = one_verdict(verdicts, "P1", "split.building_integrity")
    assert (row["status"], row["reason"], row["value"]) == ("pass", "no_buildings", 0.0)


def test_building_on_an_l_shape_cut():
    # L split into arm A (x 0–100, y 100–300) and foot B (y 0–100): a building across y = 100
    # from y = 95 to 120 and x 20–60: 40 × 5 = 200 m² in B, 40 × 20 = 800 m² in A → 200 m² cut
    items = [("A", rect(0, 100, 100, 300)), ("B", rect(0, 0, 300, 100))]
    buildings = frame([{"building_id": "W", "geometry": rect(20, 95, 60, 120)}])
    verdicts, _, _ = split([parent(L_SHAPE)], pieces(*items), buildings=buildings)
    row = one_verdict(verdicts, "P1", "split.building_integrity")
    assert (row["status"], row["value"]) == ("fail", 200.0)


# ------------------------------------------------------------------ split.facility_land


@pytest.mark.parametrize(
    ("facility", "status", "reason", "value"),
    [
        (rect(20, 20, 80, 60), "pass", "whole", 0.0),  # wholly in A
        (rect(99.99, 20, 130, 40), "pass", "whole", 0.2),  # 0.01 × 20 = 0.2 m² in A ≤ 0.5
        (rect(99.975, 20, 130, 40), "pass", "whole", 0.5),  # 0.025 × 20 = 0.5 m² in A: at the tolerance
        (rect(99.97, 20, 130, 40), "fail", "divided", 0.6),  # 0.03 × 20 = 0.6 m² in A > 0.5
        (rect(90, 20, 110, 40), "fail", "divided", 200.0),  # 10 × 20 m² on each side: the smaller side counts
    ],
)
def test_facility_land_straddling_the_cut(facility, status, reason, value):
    fac = frame([{"facility_id": "F1", "geometry": facility}])
    verdicts, _, issues = split([parent(rect(0, 0, 200, 100))], pieces(*TWO_HALVES), lang="en", facility_land=fac)
    row = one_verdict(verdicts, "P1", "split.facility_land")
    assert (row["status"], row["reason"], row["value"], row["limit"]) == (status, reason, value, 0.5)
    cut = issues[issues["problem"] == "facility_cut"]
    assert (len(cut) == 1) == (value > 0)
    if value > 0:
        assert cut["feature_id"].tolist() == ["F1"] and cut["value_m2"].tolist() == [value]
    if status == "fail":
        assert "divided" in row["explanation"]


def test_facility_land_as_a_piece_of_its_own():
    # piece F is exactly the facility land: split off from the whole
    items = [("A", rect(0, 0, 200, 100)), ("F", rect(200, 0, 300, 100))]
    fac = frame([{"facility_id": "F1", "geometry": rect(200, 0, 300, 100)}])
    verdicts, _, _ = split([parent(rect(0, 0, 300, 100))], pieces(*items), lang="en", facility_land=fac)
    row = one_verdict(verdicts, "P1", "split.facility_land")
    assert (row["status"], row["reason"], row["args"]["own_pieces"]) == ("fail", "own_piece", ["F"])
    assert row["explanation"] == "the facility land forms a piece of its own (F: at most 0.5 m² besides facility land), split off from the whole"
    # no facility land on the parcel: does not apply; no layer: insufficient data
    far = frame([{"facility_id": "F9", "geometry": rect(900, 900, 910, 910)}])
    verdicts, _, _ = split([parent(rect(0, 0, 300, 100))], pieces(*items), facility_land=far)
    row = one_verdict(verdicts, "P1", "split.facility_land")
    assert (row["status"], row["reason"]) == ("not_applicable", "no_facility_land")
    verdicts, _, _ = split([parent(rect(0, 0, 300, 100))], pieces(*items))
    row = one_verdict(verdicts, "P1", "split.facility_land")
    assert (row["status"], row["reason"], row["args"]["missing"]) == ("insufficient_data", "no_facility_layer", ["facility_land"])


def test_facility_land_naming_another_parcel_is_not_counted():
    fac = frame([{"facility_id": "F1", "parcel_id": "OTHER", "geometry": rect(90, 20, 110, 40)}])
    verdicts, _, _ = split([parent(rect(0, 0, 200, 100))], pieces(*TWO_HALVES), facility_land=fac)
    assert one_verdict(verdicts, "P1", "split.facility_land")["reason"] == "no_facility_land"


# ------------------------------------------------------------------ parent flags


@pytest.mark.parametrize(
    ("flags", "status", "reason", "words"),
    [
        ({}, "pass", "original", "not formed"),
        ({"from_split": True}, "fail", "formed_by", "formed by a split: it may not be split again"),
        ({"from_merge": True}, "fail", "formed_by", "formed by a merge"),
        ({"from_split": True, "from_merge": True}, "fail", "formed_by", "formed by a split, a merge"),
        ({"from_fringe": True}, "fail", "fringe_origin", "special approval"),  # 原则上: discretionary
        ({"from_split": None}, "insufficient_data", "origin_unknown", "(from_split) missing"),
    ],
)
def test_no_resplit(flags, status, reason, words):
    items, whole = bands(2)
    verdicts, _, _ = split([parent(whole, **flags)], pieces(*items), lang="en")
    row = one_verdict(verdicts, "P1", "split.no_resplit")
    assert (row["status"], row["reason"]) == (status, reason) and words in row["explanation"]
    # only the fringe-land origin is a discretionary (原则上) limit
    assert row["args"].get("discretionary", False) == (reason == "fringe_origin")


def test_no_resplit_sentence_zh():
    items, whole = bands(2)
    verdicts, _, _ = split([parent(whole, from_merge=True)], pieces(*items))
    row = one_verdict(verdicts, "P1", "split.no_resplit")
    assert row["args"]["split_origin"] == ["from_merge"] and row["explanation"] == "原宗地由合并形成，不得再分割转让"


@pytest.mark.parametrize(
    ("value", "status", "reason"), [(True, "pass", "in_production"), (False, "fail", "not_in_production"), (None, "insufficient_data", "no_in_production")]
)
def test_in_production(value, status, reason):
    items, whole = bands(2)
    verdicts, _, _ = split([parent(whole, in_production=value)], pieces(*items))
    row = one_verdict(verdicts, "P1", "split.in_production")
    assert (row["status"], row["reason"]) == (status, reason)
    if reason == "no_in_production":
        assert row["args"]["missing"] == ["in_production"] and "in_production" in row["explanation"]


@pytest.mark.parametrize(
    ("value", "status", "reason"), [(True, "pass", "standard_land"), (False, "not_applicable", "not_standard_land"), (None, "insufficient_data", "no_standard_land_flag")]
)
def test_standard_land_flag(value, status, reason):
    items, whole = bands(2)
    verdicts, layer, _ = split([parent(whole, standard_land=value)], pieces(*items), lang="en")
    row = one_verdict(verdicts, "P1", "transfer.standard_land")
    assert (row["status"], row["reason"], row["subject"]) == (status, reason, "split_plan")
    if status == "pass":
        assert "inherits" in row["explanation"]
    assert layer["standard_land"].tolist() == [value is True] * 2


@pytest.mark.parametrize(
    ("grades", "status", "reason", "bad"),
    [
        (["A", "B"], "pass", "eligible_grades_only", None),
        (["A", "C类"], "fail", "excluded_grade", ["C"]),
        (["d", "A"], "fail", "excluded_grade", ["D"]),
        (["A", None], "insufficient_data", "no_grade", None),
        (["C", None], "fail", "excluded_grade", ["C"]),
    ],
)
def test_transferee_grade_split(grades, status, reason, bad):
    items, whole = bands(2)
    plan = frame([{"parcel_id": "P1", "piece_id": pid, "transferee_grade": grd, "geometry": g} for (pid, g), grd in zip(items, grades, strict=True)])
    verdicts, _, _ = split([parent(whole)], plan, lang="en")
    row = one_verdict(verdicts, "P1", "transfer.transferee")
    assert (row["status"], row["reason"], row["args"].get("bad_grades")) == (status, reason, bad)
    assert row["args"]["excluded"] == ["C", "D"]
    # the compliance half of the clause has no input: a pass says so
    assert ("not checked" in row["explanation"]) == (status == "pass")


def test_transferee_sentence_zh():
    items, whole = bands(2)
    verdicts, _, _ = split([parent(whole)], pieces(*items))
    assert one_verdict(verdicts, "P1", "transfer.transferee")["explanation"] == (
        "受让方上一年度亩均评价等级：S1: B、S2: B，均不属 C、D 类；能耗、环保、质量、安全等合规情况无输入数据，未检查"
    )


# ------------------------------------------------------------------ robustness and packs


def test_unknown_parent_and_empty_piece_never_raise():
    items, whole = bands(2)
    plan = pd.concat([
        pieces(*items),
        frame([{"parcel_id": "NOPE", "piece_id": "X1", "geometry": rect(900, 0, 1000, 100)}]),
        frame([{"parcel_id": "P1", "piece_id": "E", "geometry": None}]),
    ], ignore_index=True)
    verdicts, layer, issues = split([parent(whole)], plan, lang="en")
    for rule in ("split.partition", "split.in_production", "split.no_resplit", "transfer.standard_land"):
        row = one_verdict(verdicts, "NOPE", rule)
        assert (row["status"], row["reason"]) == ("insufficient_data", "unknown_parcel")
        assert row["explanation"] == "parcel NOPE is not among the parcels: cannot be checked"
    assert one_verdict(verdicts, "X1", "split.min_piece_area")["status"] == "pass"  # its area is still known (10000 m²)
    row = one_verdict(verdicts, "E", "split.min_piece_area")
    assert (row["status"], row["reason"]) == ("insufficient_data", "no_geometry")
    assert set(issues["problem"]) == {"split_unknown_parcel", "split_empty_geometry"}
    unknown = issues[issues["problem"] == "split_unknown_parcel"]
    assert unknown["feature_id"].tolist() == ["X1"] and "NOPE" in unknown["detail"].iloc[0]
    assert len(layer) == 4  # nothing lost
    assert not layer.set_index("piece_id").loc["X1", "standard_land"]


def test_repeated_piece_ids_are_renamed():
    items, whole = bands(2)
    plan = pieces(*items)
    plan.loc[1, "piece_id"] = "S1"
    verdicts, layer, issues = split([parent(whole)], plan, lang="en")
    assert layer["piece_id"].tolist() == ["S1", "S1#2"]
    assert one_verdict(verdicts, "S1#2", "split.min_piece_area")["status"] == "pass"
    assert issues["problem"].tolist() == ["split_duplicate_id"]
    assert issues["detail"].iloc[0] == "piece_id S1 repeated in the plan of parcel P1: renamed S1#2"


def test_pack_without_split_rules_answers_not_in_policy():
    items, whole = bands(2)
    verdicts, _, _ = split([parent(whole)], pieces(*items), pack="shengzhou", lang="en")
    assert set(verdicts["status"]) == {"not_applicable"} and set(verdicts["reason"]) == {"not_in_policy"}
    assert set(verdicts["explanation"]) == {"not in this policy"}
    assert set(verdicts["subject"]) == {"split_plan", "split_piece"}
    assert len(verdicts) == len(SPLIT_PLAN_RULES) + 2 * len(SPLIT_PIECE_RULES)


def test_split_crs_mismatch_is_an_error():
    items, whole = bands(2)
    plan = pieces(*items).to_crs("EPSG:4490")
    with pytest.raises(InputError, match="CRS") as err:
        split([parent(whole)], plan)
    assert err.value.code == "proposal_crs_differs" and err.value.params["layer"] == "split_plan"
    assert "坐标系" in err.value.render("zh")


# ------------------------------------------------------------------ a plan costs what it contains


def _county(n: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """n parcels of 100 × 100 m in rows of 300, and one building in each (not prepared: flags given)."""
    i = np.arange(n)
    x, y = X0 + (i % 300) * 100.0, Y0 + (i // 300) * 100.0
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"C{k:06d}" for k in i], "area_m2": 10000.0, **{k: np.full(n, v) for k, v in CLEAN.items()}},
        geometry=shapely.box(x, y, x + 100, y + 100), crs="EPSG:4549",
    )
    buildings = gpd.GeoDataFrame({"building_id": [f"B{k:06d}" for k in i]}, geometry=shapely.box(x + 10, y + 10, x + 40, y + 40), crs="EPSG:4549")
    return parcels, buildings


def test_a_split_touches_only_its_parent(monkeypatch):
    """A 2-piece plan on 100 000 parcels and buildings: no geometry operation sees more than a
    handful of features (the parent, its pieces, the buildings around it), i.e. the cost is
    that of the plan plus one query of the buildings' spatial index (built once per layer)."""
    parcels, buildings = _county(100_000)
    buildings.sindex
    facility = buildings.iloc[:0]
    parent_id = "C050150"
    x0, y0 = parcels.set_index("parcel_id").loc[parent_id, "geometry"].bounds[:2]
    plan = frame([
        {"parcel_id": parent_id, "piece_id": "L", "transferee_grade": "A", "geometry": shapely.box(x0, y0, x0 + 50, y0 + 100)},
        {"parcel_id": parent_id, "piece_id": "R", "transferee_grade": "A", "geometry": shapely.box(x0 + 50, y0, x0 + 100, y0 + 100)},
    ])
    largest = []

    def watch(name):
        original = getattr(shapely, name)

        def wrapper(*args, **kwargs):
            largest.append(max((len(a) for a in args if isinstance(a, np.ndarray | list)), default=1))
            return original(*args, **kwargs)

        monkeypatch.setattr(shapely, name, wrapper)

    for name in ("area", "intersection", "difference", "union_all", "is_valid", "make_valid", "get_type_id", "is_empty", "is_missing", "get_parts"):
        watch(name)
    original_tree = shapely.STRtree

    class Tree(original_tree):
        def __init__(self, geoms, *args, **kwargs):
            largest.append(len(geoms))
            super().__init__(geoms, *args, **kwargs)

    monkeypatch.setattr(shapely, "STRtree", Tree)
    verdicts, layer, issues = check_split(plan, parcels, load_pack("tiantai"), buildings=buildings, facility_land=facility)
    assert largest and max(largest) <= 4  # 2 pieces, 1 parent, the 1 building on it
    row = one_verdict(verdicts, parent_id, "split.building_integrity")
    assert (row["status"], row["reason"], row["args"]["n_buildings"]) == ("pass", "whole", 1)
    assert one_verdict(verdicts, parent_id, "split.partition")["reason"] == "exact"
    assert one_verdict(verdicts, "L", "split.min_piece_area")["value"] == 5000.0
    assert len(layer) == 2 and len(issues) == 0
