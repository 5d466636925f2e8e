"""Fringe parcels (POLICY.md §1): adjacency, the cumulative area cap per pack
(taizhou / tiantai 20 % and 10 mu, yuhuan 10 % and 3 mu), the intensity condition, and
candidate discovery. Frames in EPSG:4549, metres relative to (X0, Y0) (see conftest)."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import frame, mu, one_verdict, prepared, rect

from landtool.messages import render_verdicts
from landtool.policy import Param, load_pack
from landtool.rules.fringe import CANDIDATE_COLUMNS, check_fringe, fringe_candidates




RENOVATION = {"gfa_before_m2": 40000.0, "gfa_after_m2": 48000.0, "renovation_gfa_m2": 8000.0}


def host(width: float, height: float = 100.0, pid: str = "H", **attrs) -> dict:
    """A host parcel at the origin, width × height m²."""
    return {"parcel_id": pid, "owner": "甲公司", "land_use": "工业用地", "geometry": rect(0, 0, width, height), **RENOVATION, **attrs}


def east_of(width: float, area_m2: float, gap: float = 0.0, y0: float = 0.0) -> object:
    """A fringe parcel 100 m tall of the given area, `gap` m east of a host `width` m wide."""
    return rect(width + gap, y0, width + gap + area_m2 / 100.0, y0 + 100.0)


def apps(*items: tuple[str, object], host_id: str | None = "H") -> gpd.GeoDataFrame:
    return frame([{"fringe_id": fid, "host_parcel_id": host_id, "geometry": g} for fid, g in items])


def fringe(parcel_rows, applications, pack="tiantai"):
    """(verdicts with ``zh`` / ``en`` sentences, ``interpretation`` and parsed args, fringe layer)."""
    p = pack if not isinstance(pack, str) else load_pack(pack)
    verdicts, layer, _ = check_fringe(applications, prepared(parcel_rows), p)
    for lang in ("zh", "en"):
        verdicts[lang], interpretation = render_verdicts(verdicts, lang, {p.id: p})
    verdicts["interpretation"] = interpretation
    verdicts["args"] = [json.loads(a) if isinstance(a, str) else {} for a in verdicts["args"]]
    return verdicts, layer


# ------------------------------------------------------------------ fringe.area_cap


@pytest.mark.parametrize(
    ("pack", "host_width", "fringe_m2", "status", "limit", "binding"),
    [
        # taizhou / tiantai: 20 % and 10 mu (6666.67 m²); the ratio binds below 50 mu of host
        ("tiantai", 200, 4000.0, "pass", 4000.0, "ratio"),  # host 20000 m² × 20 % = 4000: at the limit
        ("tiantai", 200, 4000.01, "fail", 4000.0, "ratio"),
        ("taizhou", 200, 3999.99, "pass", 4000.0, "ratio"),
        ("taizhou", 200, 4000.01, "fail", 4000.0, "ratio"),
        ("tiantai", 600, mu(10), "pass", 6666.67, "cap"),  # host 60000 m²: 12000 > 10 mu; exactly 10 mu passes
        ("taizhou", 600, 6666.66, "pass", 6666.67, "cap"),
        ("taizhou", 600, 6666.68, "fail", 6666.67, "cap"),
        # yuhuan: 10 % and 3 mu (2000 m²)
        ("yuhuan", 100, 1000.0, "pass", 1000.0, "ratio"),  # host 10000 m² × 10 % = 1000
        ("yuhuan", 100, 999.99, "pass", 1000.0, "ratio"),
        ("yuhuan", 100, 1000.01, "fail", 1000.0, "ratio"),
        ("yuhuan", 600, 2000.0, "pass", 2000.0, "cap"),  # host 60000 m²: 6000 > 3 mu = 2000
        ("yuhuan", 600, 1999.99, "pass", 2000.0, "cap"),
        ("yuhuan", 600, 2000.01, "fail", 2000.0, "cap"),
        ("tiantai", 600, 2000.01, "pass", 6666.67, "cap"),  # the same land passes under tiantai
        ("yuhuan", 200, 2000.0, "pass", 2000.0, "both"),  # host 20000: 10 % = 2000 = 3 mu
    ],
)
def test_area_cap_per_pack(pack, host_width, fringe_m2, status, limit, binding):
    verdicts, layer = fringe([host(host_width)], apps(("F1", east_of(host_width, fringe_m2))), pack=pack)
    row = one_verdict(verdicts, "H", "fringe.area_cap")
    assert (row["status"], row["value"], row["limit"], row["unit"]) == (status, round(fringe_m2, 2), limit, "m2")
    assert row["reason"] == ("within_cap" if status == "pass" else "over_cap")
    assert row["subject"] == "host" and row["headroom"] == pytest.approx(limit - round(fringe_m2, 2))
    ratio_max, cap_mu = {"yuhuan": (0.1, 3)}.get(pack, (0.2, 10))
    assert row["args"] == {
        "n_fringe": 1,
        "fringe_ids": ["F1"],
        "fringe_areas_m2": [round(fringe_m2, 2)],
        "cap_binding": binding,
        "host_area_m2": host_width * 100.0,
        "area_ratio_max": ratio_max,
        "ratio_limit_m2": round(ratio_max * host_width * 100.0, 2),
        "cap_mu": cap_mu,
        "cap_m2": round(mu(cap_mu), 2),
    }
    words = {"ratio": "the ratio limit binds", "cap": "the area cap binds", "both": "both limits are equal"}[binding]
    assert words in row["en"]
    assert layer["cap_binding"].tolist() == [binding] and layer["cap_m2"].tolist() == [limit]


def test_area_cap_sentences():
    # yuhuan, host 60000 m²: 1999.99 m² is under 3 mu = 2000 m²; the sentence compares m² with m²
    verdicts, _ = fringe([host(600)], apps(("F1", east_of(600, 1999.99))), pack="yuhuan")
    row = one_verdict(verdicts, "H", "fringe.area_cap")
    assert row["zh"] == (
        "1 块零星地（F1：1,999.99 平方米）累计 1,999.99 平方米 ≤ 2,000 平方米"
        "（亩数上限较小：原用地 60,000 平方米 × 10% = 6,000 平方米，3 亩 = 2,000 平方米）"
    )
    assert row["en"] == (
        "the 1 fringe plot(s) (F1: 1,999.99 m²) add up to 1,999.99 m², within 2,000 m² "
        "(the area cap binds: host 60,000 m² × 10% = 6,000 m²; 3 mu = 2,000 m²)"
    )
    verdicts, _ = fringe([host(600)], apps(("F1", east_of(600, 6666.68))), pack="taizhou")
    assert "累计 6,666.68 平方米，超过 6,666.67 平方米（亩数上限较小" in one_verdict(verdicts, "H", "fringe.area_cap")["zh"]


@pytest.mark.parametrize(("pack", "status"), [("tiantai", "pass"), ("yuhuan", "fail")])
def test_area_cap_sums_several_fringe_parcels(pack, status):
    # host 100 × 200 = 20000 m²: F1 and F2 are 20 × 100 = 2000 m² each → 4000 m² together
    # tiantai: ≤ 20 % × 20000 = 4000 → pass; yuhuan: > 10 % × 20000 = 2000 (= 3 mu) → fail
    h = {**host(100, 200)}
    items = apps(("F1", rect(100, 0, 120, 100)), ("F2", rect(100, 100, 120, 200)))
    verdicts, layer = fringe([h], items, pack=pack)
    row = one_verdict(verdicts, "H", "fringe.area_cap")
    assert (row["status"], row["value"]) == (status, 4000.0)
    assert (row["args"]["n_fringe"], row["args"]["fringe_ids"], row["args"]["fringe_areas_m2"]) == (2, ["F1", "F2"], [2000.0, 2000.0])
    assert "(F1, F2: 2,000, 2,000 m²) add up to 4,000 m²" in row["en"]
    assert layer["host_fringe_total_m2"].tolist() == [4000.0, 4000.0]
    # a third, 1 m² parcel tips tiantai over: 4001 > 4000
    items = apps(("F1", rect(100, 0, 120, 100)), ("F2", rect(100, 100, 120, 200)), ("F3", rect(-1, 0, 0, 1)))
    verdicts, layer = fringe([h], items, pack=pack)
    assert one_verdict(verdicts, "H", "fringe.area_cap")["status"] == "fail"
    assert one_verdict(verdicts, "H", "fringe.area_cap")["value"] == 4001.0
    assert set(layer["status_area_cap"]) == {"fail"}


def test_overlapping_applications_count_once():
    # F1 and F2 overlap by 10 × 100 m²: their union is 3000 m², not 2000 + 2000
    verdicts, layer = fringe([host(200)], apps(("F1", rect(200, 0, 220, 100)), ("F2", rect(210, 0, 230, 100))))
    assert one_verdict(verdicts, "H", "fringe.area_cap")["value"] == 3000.0
    assert layer["area_m2"].tolist() == [2000.0, 2000.0] and layer["host_fringe_total_m2"].tolist() == [3000.0, 3000.0]


def test_part_inside_the_host_is_not_fringe_land():
    # F reaches 10 m into the host: 30 × 100 m² drawn, 10 × 100 = 1000 m² inside, 2000 m² counted
    verdicts, layer = fringe([host(200)], apps(("F", rect(190, 0, 220, 100))))
    assert one_verdict(verdicts, "H", "fringe.area_cap")["value"] == 2000.0
    assert layer["overlap_host_m2"].tolist() == [1000.0] and layer["area_m2"].tolist() == [2000.0]
    row = one_verdict(verdicts, "F", "fringe.adjacent")
    assert (row["status"], row["reason"], row["args"]) == ("pass", "overlaps_host", {"overlap_m2": 1000.0, "snap_m": 0.05})
    assert row["zh"] == "与宿主宗地 H 相接；其中 1,000 平方米位于宿主宗地内，不计入零星地面积"
    assert "not counted" in row["en"]


# ------------------------------------------------------------------ fringe.adjacent


@pytest.mark.parametrize(
    ("geometry", "status", "reason", "value"),
    [
        (rect(100, 0, 120, 50), "pass", "touches", 0.0),  # shares an edge
        (rect(100, 100, 120, 120), "pass", "touches", 0.0),  # a corner: "周边" is looser than 界线相邻
        (rect(100.02, 0, 120, 50), "pass", "touches", 0.02),  # 2 cm digitising gap
        (rect(100.05, 0, 120, 50), "pass", "touches", 0.05),  # at the snapping tolerance
        (rect(100.06, 0, 120, 50), "fail", "too_far", 0.06),
        (rect(101, 0, 120, 50), "fail", "too_far", 1.0),  # a real 1 m gap
    ],
)
@pytest.mark.parametrize("pack", ["taizhou", "tiantai", "yuhuan"])
def test_adjacent(pack, geometry, status, reason, value):
    verdicts, layer = fringe([host(100)], apps(("F", geometry)), pack=pack)
    row = one_verdict(verdicts, "F", "fringe.adjacent")
    # allowed distance: max(gap_m 0, snap_tolerance_m 0.05)
    assert (row["status"], row["reason"], row["value"], row["limit"], row["unit"]) == (status, reason, value, 0.05, "m")
    assert row["headroom"] == pytest.approx(0.05 - value)
    assert row["subject"] == "fringe" and row["parcel_id"] == "H" and row["interpretation"]
    assert row["args"] == ({"snap_m": 0.05} if reason == "touches" else {"snap_m": 0.05, "gap_m": 0.0})
    assert layer["distance_m"].tolist() == [value]


def test_adjacent_sentences():
    verdicts, _ = fringe([host(100)], apps(("near", rect(100.02, 0, 120, 50)), ("far", rect(101, 0, 120, 50))))
    assert one_verdict(verdicts, "near", "fringe.adjacent")["zh"] == "与宿主宗地 H 相接（距离 0.02 米，0.05 米以内视为相接）"
    assert one_verdict(verdicts, "near", "fringe.adjacent")["en"] == "touches host parcel H (distance 0.02 m; up to 0.05 m counts as touching)"
    far = one_verdict(verdicts, "far", "fringe.adjacent")
    assert far["zh"] == "与宿主宗地 H 相距 1 米，超过允许距离 0.05 米（间距设定 0 米，0.05 米以内视为相接），不属“周边”"
    assert far["en"].endswith("beyond the allowed 0.05 m (gap setting 0 m, up to 0.05 m counts as touching): not surrounding land")


def with_gap(gap_m: float):
    pack = load_pack("tiantai")
    rule = pack.rules["fringe.adjacent"]
    rule = dataclasses.replace(rule, params={**rule.params, "gap_m": Param("gap_m", gap_m, "<=", "m")})
    return dataclasses.replace(pack, rules={**pack.rules, "fringe.adjacent": rule})


@pytest.mark.parametrize(
    ("x0", "status", "reason"),
    [(130, "pass", "within_gap"), (129.99, "pass", "within_gap"), (130.01, "fail", "too_far"), (130.5, "fail", "too_far")],
)
def test_adjacent_with_a_user_gap_for_a_road(x0, status, reason):
    verdicts, _ = fringe([host(100)], apps(("F", rect(x0, 0, 150, 50))), pack=with_gap(30))
    row = one_verdict(verdicts, "F", "fringe.adjacent")
    assert (row["status"], row["reason"], row["value"], row["limit"]) == (status, reason, round(x0 - 100, 2), 30.0)
    if reason == "within_gap":
        assert row["args"] == {"gap_m": 30.0}
        assert row["en"] == f"{round(x0 - 100, 2):g} m from host parcel H, within the allowed gap of 30 m"


# ------------------------------------------------------------------ fringe.intensity


@pytest.mark.parametrize(
    ("figures", "status", "reason", "value", "limit"),
    [
        # 48000 / 40000 − 1 = 0.2 exactly: FAR rise 20 % (以上, inclusive)
        ({"gfa_before_m2": 40000, "gfa_after_m2": 48000, "renovation_gfa_m2": 0}, "pass", "rise_met", 0.2, 0.2),
        # 48000.04 / 40000 − 1 = 0.200001: just inside
        ({"gfa_before_m2": 40000, "gfa_after_m2": 48000.04, "renovation_gfa_m2": 0}, "pass", "rise_met", 0.200001, 0.2),
        # 47996 / 40000 − 1 = 0.1999; 9599 / 47996 = 0.199996 → both below 20 %
        ({"gfa_before_m2": 40000, "gfa_after_m2": 47996, "renovation_gfa_m2": 9599}, "fail", "neither_met", 0.1999, 0.2),
        # rise 45000 / 40000 − 1 = 0.125, but 9000 / 45000 = 0.2 of the floor area is renovation
        ({"gfa_before_m2": 40000, "gfa_after_m2": 45000, "renovation_gfa_m2": 9000}, "pass", "share_met", 0.2, 0.2),
        # 8999.96 / 45000 = 0.199999: just outside on both
        ({"gfa_before_m2": 40000, "gfa_after_m2": 45000, "renovation_gfa_m2": 8999.96}, "fail", "neither_met", 0.125, 0.2),
        # no figures before: the share alone decides when it passes …
        ({"gfa_before_m2": None, "gfa_after_m2": 45000, "renovation_gfa_m2": 9000}, "pass", "share_met", 0.2, 0.2),
        # … but not when it fails (the rise might pass)
        ({"gfa_before_m2": None, "gfa_after_m2": 45000, "renovation_gfa_m2": 100}, "insufficient_data", "missing_figures", 0.002222, 0.2),
        ({"gfa_before_m2": None, "gfa_after_m2": None, "renovation_gfa_m2": None}, "insufficient_data", "missing_figures", np.nan, 0.2),
    ],
)
@pytest.mark.parametrize("pack", ["taizhou", "yuhuan"])
def test_intensity(pack, figures, status, reason, value, limit):
    verdicts, _ = fringe([host(200, **figures)], apps(("F", east_of(200, 1000))), pack=pack)
    row = one_verdict(verdicts, "H", "fringe.intensity")
    assert (row["status"], row["reason"], row["unit"], row["limit"]) == (status, reason, "ratio", limit)
    assert (np.isnan(row["value"]) and np.isnan(value)) or row["value"] == pytest.approx(value, abs=1e-9)
    if reason == "missing_figures":
        missing = ["gfa_before_m2"] if figures["gfa_after_m2"] else ["gfa_before_m2", "gfa_after_m2", "renovation_gfa_m2"]
        assert row["args"]["missing"] == missing
        assert "missing" in row["en"] and "缺少" in row["zh"]


def test_intensity_arguments_and_sentences():
    verdicts, _ = fringe([host(200)], apps(("F", east_of(200, 4000))))
    row = one_verdict(verdicts, "H", "fringe.intensity")
    # a 4000 m² fringe parcel does not enter the FAR denominator: the rise stays 20 %
    assert (row["status"], row["value"], row["limit"]) == ("pass", 0.2, 0.2)
    assert row["args"] == {
        "rise": 0.2, "share": 0.166667, "far_rise_min": 0.2, "renovation_share_min": 0.2, "gfa_before_m2": 40000.0, "gfa_after_m2": 48000.0,
    }
    assert row["zh"] == "技改后容积率提高 20% ≥ 20%（技改前 40,000 平方米 → 技改后 48,000 平方米，按原用地计算；技改建筑面积占比 16.6667%）"
    assert row["en"] == "FAR rises by 20% ≥ 20% (40,000 m² → 48,000 m² on the original site; renovation share 16.6667%)"

    fail = {"gfa_before_m2": 40000, "gfa_after_m2": 47996, "renovation_gfa_m2": 9599}
    verdicts, _ = fringe([host(200, **fail)], apps(("F", east_of(200, 1000))))
    row = one_verdict(verdicts, "H", "fringe.intensity")
    assert row["args"]["shortfall_m2"] == 4.0  # 1.2 × 40000 − 47996
    assert row["en"] == (
        "FAR rise 19.99% is below 20% (40,000 m² → 47,996 m²) and the renovation share 19.9996% is below 20%; "
        "4 m² more floor area would meet the FAR-rise condition"
    )


def test_intensity_when_both_conditions_are_required():
    pack = load_pack("taizhou")
    rule = pack.rules["fringe.intensity"]
    rule = dataclasses.replace(rule, params={**rule.params, "combine": Param("combine", "all")})
    pack = dataclasses.replace(pack, rules={**pack.rules, "fringe.intensity": rule})
    cases = [
        ({"gfa_before_m2": 40000, "gfa_after_m2": 48000, "renovation_gfa_m2": 9600}, "pass", "both_met"),  # 0.2 and 0.2
        ({"gfa_before_m2": 40000, "gfa_after_m2": 48000, "renovation_gfa_m2": 8000}, "fail", "share_below"),
        ({"gfa_before_m2": 40000, "gfa_after_m2": 45000, "renovation_gfa_m2": 9000}, "fail", "rise_below"),
    ]
    for figures, status, reason in cases:
        verdicts, _ = fringe([host(200, **figures)], apps(("F", east_of(200, 1000))), pack=pack)
        row = one_verdict(verdicts, "H", "fringe.intensity")
        assert (row["status"], row["reason"]) == (status, reason)
        assert "both conditions must hold" in row["en"] or reason == "both_met"


# ------------------------------------------------------------------ flags, robustness, packs


def test_no_split_flag_and_layer():
    verdicts, layer = fringe([host(200)], apps(("F", east_of(200, 1000))))
    row = one_verdict(verdicts, "F", "fringe.no_split")
    assert (row["status"], row["reason"]) == ("pass", "carried")
    assert row["zh"] == "按本条协议出让的零星地块原则上不允许分割转让（标记随零星地块传递）"
    assert "may in principle not be split" in row["en"]
    assert layer["no_split"].tolist() == [True] and layer["status"].tolist() == ["pass"]
    assert {"fringe_id", "host_parcel_id", "area_m2", "area_mu", "cap_m2", "remaining_m2"} <= set(layer.columns)
    assert layer["remaining_m2"].tolist() == [3000.0]  # 4000 − 1000
    assert layer["area_mu"].tolist() == [1.5]


def test_layer_area_in_mu_is_not_rounded_into_the_cap():
    # 1999.99 m² is 2.999985 mu: not "3 mu" (yuhuan's cap)
    _, layer = fringe([host(600)], apps(("F", east_of(600, 1999.99))), pack="yuhuan")
    assert layer["area_mu"].tolist() == [2.999985]


def test_unknown_host_and_empty_geometry_never_raise():
    items = pd.concat(
        [apps(("F1", east_of(200, 1000))), apps(("F2", east_of(200, 500)), host_id="NOPE"), apps(("F3", None)), apps(("F4", east_of(200, 500)), host_id=None)],
        ignore_index=True,
    )
    verdicts, layer = fringe([host(200)], items)
    assert (one_verdict(verdicts, "F2", "fringe.adjacent")["status"], one_verdict(verdicts, "F2", "fringe.adjacent")["reason"]) == ("insufficient_data", "unknown_host")
    nope = one_verdict(verdicts, "NOPE", "fringe.area_cap")
    assert (nope["reason"], nope["en"]) == ("unknown_host", "host parcel NOPE is not among the parcels: cannot be checked")
    assert one_verdict(verdicts, "NOPE", "fringe.intensity")["zh"] == "宿主宗地 NOPE 不在宗地图层中，无法检查"
    f3 = one_verdict(verdicts, "F3", "fringe.adjacent")
    assert (f3["status"], f3["reason"]) == ("insufficient_data", "no_geometry")
    # no host id: the input is named
    f4 = one_verdict(verdicts, "F4", "fringe.adjacent")
    assert (f4["status"], f4["reason"], f4["args"]) == ("insufficient_data", "no_host_id", {"missing": ["host_parcel_id"]})
    assert f4["en"] == "the fringe plot has no host parcel id (host_parcel_id): cannot be checked"
    # the host's cumulative area is unknown while one of its parcels has no geometry
    row = one_verdict(verdicts, "H", "fringe.area_cap")
    assert (row["status"], row["reason"], row["args"]) == ("insufficient_data", "no_fringe_geometry", {"unusable_ids": ["F3"], "area_ratio_max": 0.2, "cap_mu": 10, "cap_m2": 6666.67})
    assert row["zh"] == "宿主宗地 H 的零星地块 F3 图形为空或无效，无法计算累计面积"
    assert len(layer) == 4 and np.isnan(layer["host_fringe_total_m2"].iloc[0])


def test_pack_without_fringe_rules():
    verdicts, _ = fringe([host(200)], apps(("F", east_of(200, 1000))), pack="shengzhou")
    assert len(verdicts) == 4 and set(verdicts["status"]) == {"not_applicable"} and set(verdicts["reason"]) == {"not_in_policy"}
    assert set(verdicts["subject"]) == {"fringe", "host"}
    assert set(verdicts["en"]) == {"not in this policy"}


def test_hosts_are_found_among_many_parcels_by_id():
    # the host is the last of 2000 parcels; the others are never measured
    rows = [{"parcel_id": f"P{i}", "land_use": "工业用地", "geometry": rect(1000 + 20 * i, 0, 1010 + 20 * i, 10)} for i in range(2000)]
    verdicts, layer = fringe([*rows, host(200)], apps(("F", east_of(200, 1000))))
    assert one_verdict(verdicts, "H", "fringe.area_cap")["status"] == "pass" and layer["host_area_m2"].tolist() == [20000.0]


# ------------------------------------------------------------------ fringe_candidates


def discovery_parcels() -> gpd.GeoDataFrame:
    return prepared([
        {"parcel_id": "H1", "owner": "甲公司", "land_use": "工业用地", "geometry": rect(0, 0, 100, 200)},  # 20000 m²
        {"parcel_id": "H2", "owner": None, "land_use": "工业用地", "geometry": rect(120, 0, 220, 100)},  # no owner: not a host
        {"parcel_id": "V1", "land_use": "空闲地", "geometry": rect(100, 0, 120, 100)},  # 2000 m²
        {"parcel_id": "V2", "land_use": "储备地", "geometry": rect(100, 100, 115, 200)},  # 1500 m²
        {"parcel_id": "V3", "land_use": "空地", "geometry": rect(-30, 0, 0, 100)},  # 3000 m²
        {"parcel_id": "V4", "land_use": "储备地", "geometry": rect(500, 500, 520, 520)},  # far away
        {"parcel_id": "V5", "land_use": "空闲地", "geometry": rect(0, 200, 100, 250)},  # 5000 m²: too large alone
    ])


def test_fringe_candidates_tiantai():
    vacant = frame([{"vacant_id": "W1", "geometry": rect(0, -10, 50, 0)}])  # 500 m², south of H1
    out = fringe_candidates(discovery_parcels(), load_pack("tiantai"), vacant=vacant)
    assert list(out.columns) == [*CANDIDATE_COLUMNS, "geometry"]
    # cap of H1: min(20 % × 20000, 10 mu) = 4000 m² (the ratio binds)
    # singles ≤ 4000: V1 2000, V2 1500, V3 3000, W1 500 (V5 5000 does not fit, V4 is not adjacent)
    # pairs: V1+V2 3500, V1+W1 2500, V2+W1 2000, V3+W1 3500 (V1+V3 5000, V2+V3 4500 too large)
    # triples: V1+V2+W1 = 4000 (at the cap: 不超过 includes it)
    got = {(frozenset(r.candidate_ids.split("+")), r.area_m2, r.remaining_m2) for r in out.itertuples()}
    assert got == {
        (frozenset({"V1"}), 2000.0, 2000.0),
        (frozenset({"V2"}), 1500.0, 2500.0),
        (frozenset({"V3"}), 3000.0, 1000.0),
        (frozenset({"W1"}), 500.0, 3500.0),
        (frozenset({"V1", "V2"}), 3500.0, 500.0),
        (frozenset({"V1", "W1"}), 2500.0, 1500.0),
        (frozenset({"V2", "W1"}), 2000.0, 2000.0),
        (frozenset({"V3", "W1"}), 3500.0, 500.0),
        (frozenset({"V1", "V2", "W1"}), 4000.0, 0.0),
    }
    assert len(out) == 9
    assert set(out["host_parcel_id"]) == {"H1"} and set(out["cap_m2"]) == {4000.0} and set(out["cap_binding"]) == {"ratio"}
    assert out.loc[out["candidate_ids"] == "V1", "area_mu"].item() == 3.0
    # members smallest first; rows by size, then largest total first
    assert out["candidate_ids"].tolist()[:4] == ["V3", "V1", "V2", "W1"] and out["candidate_ids"].iloc[-1] == "W1+V2+V1"
    assert out.loc[out["candidate_ids"] == "W1+V2+V1"].geometry.area.round(2).item() == 4000.0
    assert out.crs == "EPSG:4549"


def test_fringe_candidates_yuhuan_and_limits():
    vacant = frame([{"vacant_id": "W1", "geometry": rect(0, -10, 50, 0)}])
    out = fringe_candidates(discovery_parcels(), load_pack("yuhuan"), vacant=vacant)
    # cap: min(10 % × 20000, 3 mu) = 2000 m² (equal): V1 2000, V2 1500, W1 500, V2+W1 2000
    assert sorted(out["candidate_ids"].map(lambda s: "+".join(sorted(s.split("+"))))) == ["V1", "V2", "V2+W1", "W1"]
    assert set(out["cap_binding"]) == {"both"}
    singles = fringe_candidates(discovery_parcels(), load_pack("tiantai"), max_combination=1)
    assert sorted(singles["candidate_ids"]) == ["V1", "V2", "V3"]
    assert fringe_candidates(discovery_parcels(), load_pack("shengzhou")).empty


def test_fringe_candidates_vacant_layer_ids():
    # numeric ids lose their ".0"; a blank id takes the feature's position; an id already listed is not repeated
    vacant = frame([
        {"vacant_id": 7.0, "geometry": rect(0, -10, 10, 0)},
        {"vacant_id": None, "geometry": rect(10, -10, 20, 0)},
        {"vacant_id": "V1", "geometry": rect(20, -10, 30, 0)},
    ])
    out = fringe_candidates(discovery_parcels(), load_pack("tiantai"), vacant=vacant, max_combination=1)
    assert {"7", "vacant-2"} <= set(out["candidate_ids"]) and (out["candidate_ids"] == "V1").sum() == 1


def test_repaired_fringe_geometry_is_a_finding_and_measured_repaired():
    """A self-crossing application (a bow tie drawn over 100 m × 100 m east of the host) is
    repaired into its two triangles, 2 × 2500 m², and the repair is reported with the
    polygon as drawn."""
    from shapely.geometry import Polygon

    from landtool.issues import render_issues

    bow_tie = Polygon([(200, 0), (300, 100), (300, 0), (200, 100)])
    verdicts, layer, found = check_fringe(apps(("F", bow_tie)), prepared([host(200)]), load_pack("tiantai"))
    assert layer.set_index("fringe_id").loc["F", "area_m2"] == 5000.0
    assert found[["layer", "feature_id", "problem"]].values.tolist() == [["fringe", "F", "fringe_repaired_geometry"]]
    assert found.geometry.iloc[0].equals(bow_tie)
    assert render_issues(found, "zh")["detail"].iloc[0] == "零星地块 F 的图形无效，已修复（make_valid）后计算面积"
    _, _, clean = check_fringe(apps(("G", east_of(200, 1000.0))), prepared([host(200)]), load_pack("tiantai"))
    assert clean.empty
