"""Merge transfer rules (POLICY.md §3) and the geometry they share with other proposals:
each rule at, just inside and just outside its thresholds, with the real packs. Frames
are built in code in EPSG:4549; coordinates are metres relative to (X0, Y0)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import TAIZHOU_AREA, X0, Y0, frame, one_verdict, poly, prepared, rect

import landtool
from landtool.messages import render_verdicts
from landtool.policy import load_pack
from landtool.rules.merge import MERGE_RULES, check_merge
from landtool.rules.proposals import connected_components, positions, shared_boundary_length

AS_OF = dt.date(2024, 1, 1)
MERGE_ATTRS = {"ownership": "国有", "right_type": "出让", "term_end": "2050-01-01", "standard_land": False}





def merge(parcel_rows, groups: dict[str, list[str]], pack="tiantai", lang="en", grades=None, parcels=None):
    """check_merge with the verdicts' sentences rendered in ``lang``."""
    rows = [{"group_id": g, "parcel_id": p, "transferee_grade": (grades or {}).get(g, "B")} for g, ps in groups.items() for p in ps]
    policy = load_pack(pack)
    verdicts, layer = check_merge(pd.DataFrame(rows), parcels if parcels is not None else prepared(parcel_rows), policy, as_of=AS_OF)
    verdicts = verdicts.copy()
    verdicts["explanation"], verdicts["interpretation"] = render_verdicts(verdicts, lang, {policy.id: policy})
    return verdicts, layer


def mparcel(pid, geometry, **attrs):
    return {"parcel_id": pid, "land_use": "工业用地", "geometry": geometry, **MERGE_ATTRS, **attrs}


TWO = [("A", rect(0, 0, 100, 100)), ("B", rect(100, 0, 200, 100))]


def two(**b_attrs):
    return [mparcel("A", TWO[0][1]), mparcel("B", TWO[1][1], **b_attrs)]


# ------------------------------------------------------------------ merge.adjacent


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
    row = one_verdict(verdicts, "G1", "merge.adjacent")
    assert (row["status"], row["value"], row["limit"], row["unit"]) == (status, blocks, 1, "count")
    assert row["subject"] == "merge_group" and row["interpretation"] and row["parcel_id"] == "A,B"
    assert (row["args"]["n_known"], row["args"]["min_len"]) == (2, 0.5)
    assert layer["blocks"].tolist() == [blocks]
    if status == "fail":
        assert (row["reason"], row["args"]["blocks"]) == ("not_one_block", ["A", "B"])
        assert "corner" in row["explanation"]
    else:
        assert row["reason"] == "one_block" and row["args"]["snap"] == 0.05
        assert row["args"]["shared"][0].startswith("A–B ")


def test_merge_adjacent_sentences_both_languages():
    parcels = [mparcel("A", rect(0, 0, 100, 100)), mparcel("B", rect(100, 0, 200, 100)), mparcel("C", rect(200, 100, 300, 200))]
    zh, _ = merge(parcels, {"G": ["A", "B"], "H": ["A", "B", "C"]}, lang="zh")
    assert one_verdict(zh, "G", "merge.adjacent")["explanation"] == (
        "2 宗地经共有边界连成一片（共有边界长度，米：A–B 100.00；共有边界不少于 0.5 米才算相邻，先弥合 0.05 米以内的缝隙）"
    )
    assert one_verdict(zh, "H", "merge.adjacent")["explanation"] == "3 宗地未连成一片，分为 2 片：A+B、C（共有边界不少于 0.5 米才算相邻，仅一点相接不算）"
    en, _ = merge(parcels, {"H": ["A", "B", "C"]}, lang="en")
    assert one_verdict(en, "H", "merge.adjacent")["explanation"] == (
        "the 3 parcels do not form one block but 2: A+B, C (at least 0.5 m of shared boundary counts; touching at a corner does not)"
    )


def test_merge_chain_and_layer():
    # A–B share 100 m, B–C share 50 m, A and C do not touch: one block; area 10000 + 10000 + 5000
    parcels = [mparcel("A", rect(0, 0, 100, 100)), mparcel("B", rect(100, 0, 200, 100)), mparcel("C", rect(200, 50, 300, 100))]
    verdicts, layer = merge(parcels, {"G": ["A", "B", "C"]})
    assert one_verdict(verdicts, "G", "merge.adjacent")["reason"] == "one_block"
    row = layer.iloc[0]
    assert row["parcel_ids"] == "A,B,C" and row["area_m2"] == 25000.0 and row["shared_length_m"] == 150.0
    assert row["shared_boundaries"] == "A–B 100.00 m; B–C 50.00 m"
    assert row["geometry"].area == pytest.approx(25000.0)
    assert row["no_split_after"] and row["status"] == "pass" and not row["standard_land"]


# ------------------------------------------------------------------ same ownership and right type


@pytest.mark.parametrize(
    ("b_attrs", "status", "reason"),
    [({}, "pass", "same"), ({"ownership": "集体"}, "fail", "differs"), ({"ownership": None}, "insufficient_data", "missing_value")],
)
def test_merge_same_ownership(b_attrs, status, reason):
    verdicts, _ = merge(two(**b_attrs), {"G": ["A", "B"]})
    row = one_verdict(verdicts, "G", "merge.same_ownership")
    assert (row["status"], row["reason"]) == (status, reason)
    if reason == "same":
        assert row["args"]["common_value"] == "国有" and row["explanation"] == "the ownership is the same for all: 国有"
    if reason == "differs":
        assert row["args"]["member_values"] == ["A: 国有", "B: 集体"]
    if reason == "missing_value":
        assert (row["args"]["members_missing"], row["args"]["missing"]) == (["B"], ["ownership"])
    assert one_verdict(verdicts, "G", "merge.same_right_type")["reason"] == "same"


def test_merge_same_right_type_differs():
    verdicts, _ = merge(two(right_type="划拨"), {"G": ["A", "B"]}, lang="zh")
    row = one_verdict(verdicts, "G", "merge.same_right_type")
    assert (row["status"], row["reason"]) == ("fail", "differs")
    assert row["explanation"] == "使用权类型不一致：A: 出让、B: 划拨"


# ------------------------------------------------------------------ remaining term


def test_merge_remaining_term():
    # as of 2024-01-01: A ends 2050-01-01 → 9497 days (26 years, 7 leap days) / 365.25 = 26.00 years;
    # B ends 2045-06-30 → 7671 days to 2045-01-01 + 180 = 7851 days / 365.25 = 21.49 years: the shortest
    verdicts, layer = merge(two(term_end="2045-06-30"), {"G": ["A", "B"]})
    row = one_verdict(verdicts, "G", "merge.remaining_term")
    assert (row["status"], row["reason"], row["value"], row["unit"]) == ("pass", "shortest", 21.49, "year")
    assert (row["args"]["shortest"], row["args"]["term_end"], row["args"]["member_terms"]) == ("B", "2045-06-30", ["A: 26.00", "B: 21.49"])
    assert row["explanation"] == (
        "the merged parcel's remaining term is the shortest, 21.49 years (parcel B, ending 2045-06-30; years left per parcel: A: 26.00, B: 21.49)"
    )
    assert layer["remaining_term_years"].tolist() == [21.49] and layer["term_end_min"].tolist() == ["2045-06-30"]
    verdicts, layer = merge(two(term_end=None), {"G": ["A", "B"]})
    row = one_verdict(verdicts, "G", "merge.remaining_term")
    assert (row["status"], row["reason"], row["args"]["members_missing"]) == ("insufficient_data", "no_term_end", ["B"])
    assert np.isnan(row["value"]) and np.isnan(layer["remaining_term_years"].iloc[0])  # the shortest is unknown


@pytest.mark.parametrize(
    ("term_end", "reason", "value"),
    [("2023-12-31", "expired", -0.0), ("2024-01-01", "expired", 0.0), ("2024-01-02", "shortest", 0.0)],  # one day left is not expired
)
def test_merge_remaining_term_at_expiry(term_end, reason, value):
    verdicts, _ = merge(two(term_end=term_end), {"G": ["A", "B"]})
    row = one_verdict(verdicts, "G", "merge.remaining_term")
    assert (row["status"], row["reason"], row["value"]) == ("pass", reason, value)


# ------------------------------------------------------------------ transferee, flags


@pytest.mark.parametrize(
    ("grade", "status", "reason"),
    [("A", "pass", "eligible_grades_only"), ("B", "pass", "eligible_grades_only"), ("C", "fail", "excluded_grade"), ("D类", "fail", "excluded_grade"), (None, "insufficient_data", "no_grade")],
)
def test_merge_transferee(grade, status, reason):
    verdicts, _ = merge(two(), {"G": ["A", "B"]}, grades={"G": grade})
    row = one_verdict(verdicts, "G", "transfer.transferee")
    assert (row["status"], row["reason"]) == (status, reason)
    if reason == "no_grade":
        assert row["explanation"] == "transferee grade (transferee_grade) missing: —"
    row = one_verdict(verdicts, "G", "merge.no_split_after")
    assert (row["status"], row["reason"]) == ("pass", "carried")


@pytest.mark.parametrize("pack", TAIZHOU_AREA)
def test_merge_group_with_a_standard_land_member_carries_the_flag(pack):
    # 原工业用地按“标准地”出让的，受让方应按原“标准地”各项指标要求投资建设: by merge as by split
    verdicts, layer = merge(two(standard_land=True), {"G": ["A", "B"]}, pack=pack)
    row = one_verdict(verdicts, "G", "transfer.standard_land")
    assert (row["subject"], row["status"], row["reason"], row["args"]["standard_members"]) == ("merge_group", "pass", "member_standard_land", ["B"])
    assert row["clause"] == load_pack(pack).rule("transfer.standard_land").clause
    assert "inherits" in row["explanation"]
    assert layer["standard_land"].tolist() == [True]
    # an info verdict: it does not decide the group's status
    assert layer["status"].tolist() == ["pass"]


def test_merge_group_without_standard_land_does_not_carry_it():
    verdicts, layer = merge(two(), {"G": ["A", "B"]}, lang="zh")
    row = one_verdict(verdicts, "G", "transfer.standard_land")
    assert (row["status"], row["reason"]) == ("not_applicable", "no_member_standard_land")
    assert row["explanation"] == "合并宗地均非“标准地”出让，不适用"
    assert layer["standard_land"].tolist() == [False]
    # a member whose flag is unknown: cannot say
    verdicts, layer = merge(two(standard_land=None), {"G": ["A", "B"]})
    row = one_verdict(verdicts, "G", "transfer.standard_land")
    assert (row["status"], row["reason"], row["args"]["members_missing"]) == ("insufficient_data", "members_flag_missing", ["B"])


def test_merge_standard_land_sentence_zh():
    verdicts, _ = merge([mparcel("A", TWO[0][1], standard_land=True), mparcel("B", TWO[1][1], standard_land=True)], {"G": ["A", "B"]}, lang="zh")
    assert one_verdict(verdicts, "G", "transfer.standard_land")["explanation"] == (
        "合并宗地中 A、B 按“标准地”出让：受让方应按原“标准地”各项指标要求投资建设（标记随合并宗地传递）"
    )


def test_merge_unknown_parcel_and_single_parcel():
    verdicts, layer = merge([mparcel("A", rect(0, 0, 100, 100))], {"G": ["A", "ZZ"], "H": ["A"]})
    for rule in ("merge.adjacent", "merge.same_ownership", "merge.remaining_term", "transfer.standard_land"):
        row = one_verdict(verdicts, "G", rule)
        assert (row["status"], row["reason"], row["args"]["unknown"]) == ("insufficient_data", "unknown_members", ["ZZ"])
    assert one_verdict(verdicts, "G", "merge.adjacent")["explanation"] == "parcel(s) ZZ not among the parcels: cannot be checked"
    row = one_verdict(verdicts, "H", "merge.adjacent")
    assert (row["status"], row["reason"], row["args"]["n_known"]) == ("insufficient_data", "too_few", 1)
    assert layer.set_index("group_id").loc["G", "unknown_parcels"] == "ZZ"


def test_a_plan_naming_parcels_the_layer_lacks_warns_with_the_ids(tmp_path):
    plan = tmp_path / "合并方案.csv"
    plan.write_text("group_id,parcel_id\nG,A\nG,ZZ\nH,A\nH,B\n", encoding="utf-8")
    parcels = frame([mparcel("A", rect(0, 0, 100, 100)), mparcel("B", rect(100, 0, 200, 100))])
    result = landtool.check(parcels, merge_plan=str(plan), as_of="2023-06-30")
    [warning] = [w for w in result.warnings if w.code == "plan_unknown_parcels"]
    assert warning.args == {"plan": str(plan), "count": 1, "ids": ["ZZ"]}
    assert warning.render("zh") == f"合并方案 {plan} 中有 1 个宗地代码不在宗地图层中（ZZ）：涉及的合并组为“数据不足”"
    whole = tmp_path / "whole.csv"
    whole.write_text("group_id,parcel_id\nG,A\nG,B\n", encoding="utf-8")
    known = landtool.check(parcels, merge_plan=str(whole), as_of="2023-06-30")
    assert not [w for w in known.warnings if w.code == "plan_unknown_parcels"]


def test_merge_not_in_policy():
    verdicts, _ = merge(two(), {"G": ["A", "B"]}, pack="shengzhou")
    assert len(verdicts) == len(MERGE_RULES) == 7
    assert set(verdicts["status"]) == {"not_applicable"} and set(verdicts["reason"]) == {"not_in_policy"}


# ------------------------------------------------------------------ a plan costs what it contains


def test_a_merge_touches_only_its_members(monkeypatch):
    """A group of 2 on 100 000 parcels: members are found by id and no geometry operation
    sees more than the group's own parcels."""
    n = 100_000
    i = np.arange(n)
    x, y = X0 + (i % 300) * 100.0, Y0 + (i // 300) * 100.0
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"C{k:06d}" for k in i], "area_m2": 10000.0, **{k: np.full(n, v) for k, v in MERGE_ATTRS.items()}},
        geometry=shapely.box(x, y, x + 100, y + 100), crs="EPSG:4549",
    )
    parcels.loc[70_001, "standard_land"] = True
    largest = []
    for name in ("area", "intersection", "union_all", "boundary", "length", "snap"):
        original = getattr(shapely, name)

        def wrapper(*args, _original=original, **kwargs):
            largest.append(max((len(a) for a in args if isinstance(a, np.ndarray | list)), default=1))
            return _original(*args, **kwargs)

        monkeypatch.setattr(shapely, name, wrapper)
    verdicts, layer = merge([], {"G": ["C070000", "C070001"]}, parcels=parcels)
    assert largest and max(largest) <= 2
    assert one_verdict(verdicts, "G", "merge.adjacent")["reason"] == "one_block"
    assert one_verdict(verdicts, "G", "transfer.standard_land")["args"]["standard_members"] == ["C070001"]
    assert layer["area_m2"].tolist() == [20000.0]


def test_positions_by_id():
    parcels = pd.DataFrame({"parcel_id": pd.Series(["a", "b", "c"], dtype="string")})
    assert positions(parcels, ["c", "x", "a"]).tolist() == [2, -1, 0]
    assert positions(pd.DataFrame({"parcel_id": [10, 11]}), ["11"]).tolist() == [1]


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
