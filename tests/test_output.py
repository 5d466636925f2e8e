"""Writing layers into a GeoPackage: every geometry as its multi type."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, box

from landtool.output import _write


def _written(tmp_path, geoms, crs="EPSG:4549"):
    path = tmp_path / "out.gpkg"
    frame = gpd.GeoDataFrame({"name": [f"g{i}" for i in range(len(geoms))], "blank": [None] * len(geoms)}, geometry=geoms, crs=crs)
    _write(frame, path, "layer", multi=True)
    return pyogrio.read_info(path, layer="layer"), pyogrio.read_dataframe(path, layer="layer")


def test_polygons_and_multipolygons_become_one_multipolygon_layer(tmp_path):
    two = MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)])
    info, back = _written(tmp_path, [box(500_000, 3_000_000, 500_010, 3_000_010), two, None])
    assert info["geometry_type"] == "MultiPolygon" and info["crs"] == "EPSG:4549"
    assert back.geometry.geom_type.tolist()[:2] == ["MultiPolygon", "MultiPolygon"] and back.geometry.iloc[2] is None
    assert shapely.equals_exact(back.geometry.iloc[0], MultiPolygon([box(500_000, 3_000_000, 500_010, 3_000_010)]), 0)
    assert shapely.equals_exact(back.geometry.iloc[1], two, 0)
    assert back["name"].tolist() == ["g0", "g1", "g2"] and back["blank"].isna().all()


def test_points_lines_and_polygons_together_are_a_layer_of_several_types(tmp_path):
    info, back = _written(tmp_path, [Point(1, 2), LineString([(0, 0), (1, 1)]), box(0, 0, 1, 1)])
    assert info["geometry_type"] == "Unknown"
    assert back.geometry.geom_type.tolist() == ["MultiPoint", "MultiLineString", "MultiPolygon"]
    assert shapely.equals_exact(back.geometry.iloc[0], shapely.multipoints([Point(1, 2)]), 0)


def test_three_d_and_empty_geometries_take_gdal_s_own_path(tmp_path):
    info, back = _written(tmp_path, [shapely.Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5)]), shapely.Polygon([(0, 0, 1), (1, 0, 1), (1, 1, 1)])])
    assert info["geometry_type"] == "MultiPolygon Z" and back.geometry.has_z.all()
    info, back = _written(tmp_path, [box(0, 0, 1, 1), shapely.Polygon()])
    assert info["geometry_type"] == "MultiPolygon" and back.geometry.iloc[0].geom_type == "MultiPolygon"
