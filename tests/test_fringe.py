"""Fringe parcels (POLICY.md §1): adjacency, the cumulative area cap per pack
(taizhou / tiantai 20 % and 10 mu, yuhuan 10 % and 3 mu), the intensity condition, and
candidate discovery. Frames in EPSG:4549, metres relative to (X0, Y0) (see conftest)."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import frame, mu, rect

from landtool.io import canonicalize
from landtool.policy import Param, load_pack
from landtool.prepare import prepare
from landtool.rules.fringe import CANDIDATE_COLUMNS, check_fringe, fringe_candidates


def prepared(rows: list[dict]) -> gpd.GeoDataFrame:
    gdf = frame(rows)
    gdf["source_fid"] = np.arange(1, len(gdf) + 1)
    return prepare(canonicalize(gdf, "parcels", label="parcels")).parcels


def get(verdicts: pd.DataFrame, subject_id: str, rule: str) -> dict:
    rows = verdicts[(verdicts["subject_id"] == subject_id) & (verdicts["rule"] == rule)]
    assert len(rows) == 1, f"expected one verdict for {subject_id} {rule}, got {len(rows)}"
    return rows.iloc[0].to_dict()


RENOVATION = {"gfa_before_m2": 40000.0, "gfa_after_m2": 48000.0, "renovation_gfa_m2": 8000.0}


def host(width: float, height: float = 100.0, pid: str = "H", **attrs) -> dict:
    """A host parcel at the origin, width × height m²."""
    return {"parcel_id": pid, "owner": "甲公司", "land_use": "工业用地", "geometry": rect(0, 0, width, height), **RENOVATION, **attrs}


def east_of(width: float, area_m2: float, gap: float = 0.0, y0: float = 0.0) -> object:
    """A fringe parcel 100 m tall of the given area, `gap` m east of a host `width` m wide."""
    return rect(width + gap, y0, width + gap + area_m2 / 100.0, y0 + 100.0)


def apps(*items: tuple[str, object], host_id: str = "H") -> gpd.GeoDataFrame:
    return frame([{"fringe_id": fid, "host_parcel_id": host_id, "geometry": g} for fid, g in items])


def fringe(parcel_rows, applications, pack="tiantai", lang="en"):
    p = pack if not isinstance(pack, str) else load_pack(pack)
    return check_fringe(applications, prepared(parcel_rows), p, lang=lang)


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
        ("taizhou", 600, 6666.68, "fail", 6666.67, "cap"),
        # yuhuan: 10 % and 3 mu (2000 m²)
        ("yuhuan", 100, 1000.0, "pass", 1000.0, "ratio"),  # host 10000 m² × 10 % = 1000
        ("yuhuan", 100, 1000.01, "fail", 1000.0, "ratio"),
        ("yuhuan", 600, 2000.0, "pass", 2000.0, "cap"),  # host 60000 m²: 6000 > 3 mu = 2000
        ("yuhuan", 600, 2000.01, "fail", 2000.0, "cap"),
        ("tiantai", 600, 2000.01, "pass", 6666.67, "cap"),  # the same land passes under tiantai
        ("yuhuan", 200, 2000.0, "pass", 2000.0, "both"),  # host 20000: 10 % = 2000 = 3 mu
    ],
)
def test_area_cap_per_pack(pack, host_width, fringe_m2, status, limit, binding):
    verdicts, layer = fringe([host(host_width)], apps(("F1", east_of(host_width, fringe_m2))), pack=pack)
    row = get(verdicts, "H", "fringe.area_cap")
    assert (row["status"], row["value"], row["limit"], row["unit"]) == (status, round(fringe_m2, 2), limit, "m2")
    assert row["subject"] == "host" and row["headroom"] == pytest.approx(limit - round(fringe_m2, 2))
    words = {"ratio": "the ratio limit binds", "cap": "the area cap binds", "both": "both limits are equal"}[binding]
    assert words in row["explanation"]
    assert layer["cap_binding"].tolist() == [binding] and layer["cap_m2"].tolist() == [limit]


@pytest.mark.parametrize(("pack", "status"), [("tiantai", "pass"), ("yuhuan", "fail")])
def test_area_cap_sums_several_fringe_parcels(pack, status):
    # host 100 × 200 = 20000 m²: F1 and F2 are 20 × 100 = 2000 m² each → 4000 m² together
    # tiantai: ≤ 20 % × 20000 = 4000 → pass; yuhuan: > 10 % × 20000 = 2000 (= 3 mu) → fail
    h = {**host(100, 200)}
    items = apps(("F1", rect(100, 0, 120, 100)), ("F2", rect(100, 100, 120, 200)))
    verdicts, layer = fringe([h], items, pack=pack)
    row = get(verdicts, "H", "fringe.area_cap")
    assert (row["status"], row["value"]) == (status, 4000.0)
    assert "F1" in row["explanation"] and "F2" in row["explanation"]
    assert layer["host_fringe_total_m2"].tolist() == [4000.0, 4000.0]
    # a third, 1 m² parcel tips tiantai over: 4001 > 4000
    items = apps(("F1", rect(100, 0, 120, 100)), ("F2", rect(100, 100, 120, 200)), ("F3", rect(-1, 0, 0, 1)))
    verdicts, layer = fringe([h], items, pack=pack)
    assert get(verdicts, "H", "fringe.area_cap")["status"] == "fail"
    assert get(verdicts, "H", "fringe.area_cap")["value"] == 4001.0
    assert set(layer["status_area_cap"]) == {"fail"}


def test_part_inside_the_host_is_not_fringe_land():
    # F reaches 10 m into the host: 30 × 100 m² drawn, 10 × 100 = 1000 m² inside, 2000 m² counted
    verdicts, layer = fringe([host(200)], apps(("F", rect(190, 0, 220, 100))))
    assert get(verdicts, "H", "fringe.area_cap")["value"] == 2000.0
    assert layer["overlap_host_m2"].tolist() == [1000.0] and layer["area_m2"].tolist() == [2000.0]
    assert "not counted" in get(verdicts, "F", "fringe.adjacent")["explanation"]


# ------------------------------------------------------------------ fringe.adjacent


@pytest.mark.parametrize(
    ("geometry", "status", "value"),
    [
        (rect(100, 0, 120, 50), "pass", 0.0),  # shares an edge
        (rect(100, 100, 120, 120), "pass", 0.0),  # a corner: "周边" is looser than 界线相邻
        (rect(100.02, 0, 120, 50), "pass", 0.02),  # 2 cm digitising gap
        (rect(100.05, 0, 120, 50), "pass", 0.05),  # at the snapping tolerance
        (rect(100.06, 0, 120, 50), "fail", 0.06),
        (rect(101, 0, 120, 50), "fail", 1.0),  # a real 1 m gap
    ],
)
@pytest.mark.parametrize("pack", ["taizhou", "tiantai", "yuhuan"])
def test_adjacent(pack, geometry, status, value):
    verdicts, layer = fringe([host(100)], apps(("F", geometry)), pack=pack)
    row = get(verdicts, "F", "fringe.adjacent")
    # allowed distance: max(gap_m 0, snap_tolerance_m 0.05)
    assert (row["status"], row["value"], row["limit"], row["unit"]) == (status, value, 0.05, "m")
    assert row["headroom"] == pytest.approx(0.05 - value)
    assert row["subject"] == "fringe" and row["parcel_id"] == "H" and row["interpretation"]
    assert layer["distance_m"].tolist() == [value]


def test_adjacent_with_a_user_gap_for_a_road():
    pack = load_pack("tiantai")
    rule = pack.rules["fringe.adjacent"]
    rule = dataclasses.replace(rule, params={**rule.params, "gap_m": Param("gap_m", 30, "<=", "m")})
    pack = dataclasses.replace(pack, rules={**pack.rules, "fringe.adjacent": rule})
    verdicts, _ = fringe([host(100)], apps(("across", rect(130, 0, 150, 50)), ("beyond", rect(130.5, 0, 150, 50))), pack=pack)
    assert get(verdicts, "across", "fringe.adjacent")["status"] == "pass"  # 30 m ≤ 30
    assert get(verdicts, "beyond", "fringe.adjacent")["status"] == "fail"  # 30.5 m


# ------------------------------------------------------------------ fringe.intensity


@pytest.mark.parametrize(
    ("figures", "status", "value"),
    [
        # 48000 / 40000 − 1 = 0.2 exactly: FAR rise 20 % (以上, inclusive)
        ({"gfa_before_m2": 40000, "gfa_after_m2": 48000, "renovation_gfa_m2": 0}, "pass", 0.2),
        # 47996 / 40000 − 1 = 0.1999; 9599 / 47996 = 0.199996 → both below 20 %
        ({"gfa_before_m2": 40000, "gfa_after_m2": 47996, "renovation_gfa_m2": 9599}, "fail", 0.1999),
        # rise 45000 / 40000 − 1 = 0.125, but 9000 / 45000 = 0.2 of the floor area is renovation
        ({"gfa_before_m2": 40000, "gfa_after_m2": 45000, "renovation_gfa_m2": 9000}, "pass", 0.2),
        # no figures before: the share alone decides when it passes …
        ({"gfa_before_m2": None, "gfa_after_m2": 45000, "renovation_gfa_m2": 9000}, "pass", 0.2),
        # … but not when it fails (the rise might pass)
        ({"gfa_before_m2": None, "gfa_after_m2": 45000, "renovation_gfa_m2": 100}, "insufficient_data", 0.002222),
        ({"gfa_before_m2": None, "gfa_after_m2": None, "renovation_gfa_m2": None}, "insufficient_data", np.nan),
    ],
)
@pytest.mark.parametrize("pack", ["taizhou", "yuhuan"])
def test_intensity(pack, figures, status, value):
    verdicts, _ = fringe([host(200, **figures)], apps(("F", east_of(200, 1000))), pack=pack)
    row = get(verdicts, "H", "fringe.intensity")
    assert row["status"] == status and row["unit"] == "ratio"
    assert (np.isnan(row["value"]) and np.isnan(value)) or row["value"] == pytest.approx(value, abs=1e-9)
    if status == "insufficient_data":
        assert "missing" in row["explanation"]


def test_intensity_on_the_original_site():
    # a 4000 m² fringe parcel does not enter the FAR denominator: the rise stays 20 %
    verdicts, _ = fringe([host(200)], apps(("F", east_of(200, 4000))), lang="zh")
    row = get(verdicts, "H", "fringe.intensity")
    assert (row["status"], row["value"], row["limit"]) == ("pass", 0.2, 0.2)
    assert "按原用地计算" in row["explanation"]


# ------------------------------------------------------------------ flags, robustness, packs


def test_no_split_flag_and_layer():
    verdicts, layer = fringe([host(200)], apps(("F", east_of(200, 1000))), lang="zh")
    row = get(verdicts, "F", "fringe.no_split")
    assert row["status"] == "pass" and "原则上不允许分割转让" in row["explanation"]
    assert layer["no_split"].tolist() == [True] and layer["status"].tolist() == ["pass"]
    assert {"fringe_id", "host_parcel_id", "area_m2", "area_mu", "cap_m2", "remaining_m2"} <= set(layer.columns)
    assert layer["remaining_m2"].tolist() == [3000.0]  # 4000 − 1000


def test_unknown_host_and_empty_geometry_never_raise():
    items = pd.concat([apps(("F1", east_of(200, 1000))), apps(("F2", east_of(200, 500)), host_id="NOPE"), apps(("F3", None))], ignore_index=True)
    verdicts, layer = fringe([host(200)], items)
    assert get(verdicts, "F2", "fringe.adjacent")["status"] == "insufficient_data"
    assert "NOPE" in get(verdicts, "NOPE", "fringe.area_cap")["explanation"]
    assert get(verdicts, "F3", "fringe.adjacent")["status"] == "insufficient_data"
    # the host's cumulative area is unknown while one of its parcels has no geometry
    assert get(verdicts, "H", "fringe.area_cap")["status"] == "insufficient_data"
    assert len(layer) == 3


def test_pack_without_fringe_rules():
    verdicts, _ = fringe([host(200)], apps(("F", east_of(200, 1000))), pack="shengzhou")
    assert len(verdicts) == 4 and set(verdicts["status"]) == {"not_applicable"}
    assert set(verdicts["subject"]) == {"fringe", "host"}


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
    assert set(out["host_parcel_id"]) == {"H1"} and set(out["cap_m2"]) == {4000.0} and set(out["cap_binding"]) == {"ratio"}
    assert out.loc[out["candidate_ids"] == "V1", "area_mu"].item() == 3.0
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
