"""Reading parcels from PostGIS — tables and SQL queries, whole and in chunks — against a
throwaway PostgreSQL server started for the session (``tests/pg_server.py``)."""

from __future__ import annotations

import json
import re
import time

import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from typer.testing import CliRunner

import landtool
from landtool.cli import app
from landtool.errors import InputError
from landtool.postgis import read_postgis, read_postgis_chunks
from tests.pg_support import OWNER, PASSWORD, free_port, parcels_frame

pytest_plugins = ["tests.pg_server"]

AS_OF = "2023-06-30"


@pytest.fixture(scope="session")
def geopackage(tmp_path_factory):
    path = tmp_path_factory.mktemp("postgis") / "宗地.gpkg"
    parcels_frame().to_file(path, layer="parcels")
    return str(path)


def far_statuses(result):
    far = result.verdicts[result.verdicts["rule"] == "indicator.far_max"]
    return dict(zip(far["subject_id"], far["status"], strict=True))


def test_postgis_gives_the_same_areas_and_verdicts_as_a_geopackage(postgis, geopackage):
    db = landtool.check(f"{postgis['url']}::public.parcels", policy="tiantai", as_of=AS_OF)
    gpkg = landtool.check(geopackage, policy="tiantai", as_of=AS_OF)

    parcels = db.parcels.set_index("parcel_id")
    assert parcels.crs.to_epsg() == 4549
    assert parcels.loc["331023001001JA00001", "owner"] == OWNER
    assert parcels["area_m2"].round(2).tolist() == [10_000.00, 5_000.00, 2_500.00]
    assert parcels["far"].round(4).tolist()[:2] == [1.2, 1.0]
    assert pd.isna(parcels.loc["331023001001JA00003", "far"])
    assert far_statuses(db) == {"331023001001JA00001": "fail", "331023001001JA00002": "pass", "331023001001JA00003": "insufficient_data"}
    v = db.verdicts[(db.verdicts["rule"] == "indicator.far_max") & (db.verdicts["subject_id"] == "331023001001JA00001")].iloc[0]
    assert (v["value"], v["limit"]) == (1.2, 1.1)

    columns = ["subject_id", "rule", "status", "value", "limit", "explanation"]
    pd.testing.assert_frame_equal(db.verdicts[columns].reset_index(drop=True), gpkg.verdicts[columns].reset_index(drop=True))
    pd.testing.assert_series_equal(db.parcels["area_m2"], gpkg.parcels["area_m2"])
    pd.testing.assert_series_equal(db.parcels["far"], gpkg.parcels["far"])


def test_quoted_schema_and_chinese_table_name(postgis):
    result = landtool.check(f"{postgis['url']}::Cadastre.宗地", policy="tiantai", as_of=AS_OF)
    assert far_statuses(result)["331023001001JA00001"] == "fail"
    with pytest.raises(InputError, match="no such table"):  # names are case-sensitive, as in PostgreSQL when quoted
        landtool.check(f"{postgis['url']}::cadastre.宗地", policy="tiantai", as_of=AS_OF)


def test_missing_table_is_a_one_line_input_error_without_the_password(postgis):
    with pytest.raises(InputError) as err:
        landtool.check(f"{postgis['url']}::public.nope", policy="tiantai", as_of=AS_OF)
    message = str(err.value)
    assert "\n" not in message
    assert "public.nope" in message and "no such table" in message
    assert "s3cret" not in message and "***" in message


def test_table_without_geometry_and_unsafe_names(postgis):
    with pytest.raises(InputError, match="public.owners: table has no PostGIS geometry column"):
        landtool.check(f"{postgis['url']}::public.owners", policy="tiantai", as_of=AS_OF)
    for bad in ('public.parcels; DROP TABLE public.parcels', 'public."parcels"', "a.b.c", "1abc"):
        with pytest.raises(InputError, match="table name must be"):
            landtool.check(f"{postgis['url']}::{bad}", policy="tiantai", as_of=AS_OF)
    with pytest.raises(InputError, match="name the table as"):
        landtool.check(postgis["url"], policy="tiantai", as_of=AS_OF)
    assert len(landtool.check(f"{postgis['url']}::public.parcels", policy="tiantai", as_of=AS_OF).parcels) == 3  # still there


def test_gdal_style_conninfo_and_unreachable_server(postgis):
    conninfo = f"PG:host=127.0.0.1 port={postgis['port']} dbname=landtool user=landtool password='{PASSWORD}'"
    result = landtool.check(f"{conninfo}::parcels", policy="tiantai", as_of=AS_OF)  # no schema: the search path
    assert far_statuses(result)["331023001001JA00001"] == "fail"
    closed = free_port()
    with pytest.raises(InputError, match=r"cannot connect to PostgreSQL") as err:
        landtool.check(f"postgresql://landtool:{PASSWORD.replace(':', '%3A')}@127.0.0.1:{closed}/landtool::public.parcels", policy="tiantai", as_of=AS_OF)
    assert "\n" not in str(err.value) and "s3cret" not in str(err.value)


def test_cli_check_json_from_postgis(postgis):
    # No password in the URL: libpq takes it from PGPASSWORD (or ~/.pgpass).
    url = f"postgresql://landtool@127.0.0.1:{postgis['port']}/landtool::public.parcels"
    result = CliRunner().invoke(app, ["check", url, "--json", "--as-of", AS_OF, "--lang", "en"], env={"PGPASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    far = {r["subject_id"]: r for r in json.loads(result.stdout) if r["rule"] == "indicator.far_max"}
    assert (far["331023001001JA00001"]["status"], far["331023001001JA00001"]["value"], far["331023001001JA00001"]["limit"]) == ("fail", 1.2, 1.1)
    assert far["331023001001JA00002"]["status"] == "pass"


def test_cli_missing_table_exits_2(postgis):
    result = CliRunner().invoke(app, ["check", f"{postgis['url']}::public.nope", "--json", "--as-of", AS_OF])
    assert result.exit_code == 2
    assert "public.nope" in result.output and "Traceback" not in result.output


# --------------------------------------------------------------------------- SQL queries


def test_query_source_gives_the_same_verdicts_as_the_table(postgis):
    # A query with ``::`` casts, % and braces in literals, an expression geometry (no typmod:
    # the SRID comes from the geometries) and a WHERE clause; nothing URL-encoded.
    query = (
        'SELECT "宗地代码"::text AS "宗地代码", "权利人" || \'\' AS "权利人", "土地用途", "总建筑面积"::float8 AS "总建筑面积", '
        "ST_Multi(ST_Buffer(geom, 0))::geometry AS shape, '{x} 100%' AS note FROM public.parcels WHERE gid <= 2 ORDER BY gid"
    )
    result = landtool.check(f"{postgis['url']}::sql:{query}", policy="tiantai", as_of=AS_OF)
    assert result.parcels.crs.to_epsg() == 4549
    assert far_statuses(result) == {"331023001001JA00001": "fail", "331023001001JA00002": "pass"}
    assert result.parcels["note"].tolist() == ["{x} 100%", "{x} 100%"]
    assert result.parcels["area_m2"].round(2).tolist() == [10_000.00, 5_000.00]
    # The run table keeps the whole query, with the password masked.
    path = next(i["path"] for i in result.run["inputs"] if i["role"] == "parcels")
    assert path.endswith(f"::sql:{query}") and "s3cret" not in path and "***" in path


def test_query_srid_from_the_column_type_or_from_the_geometries(postgis):
    url = postgis["url"]
    assert read_postgis(f"{url}::sql:SELECT gid, geom FROM public.parcels").crs.to_epsg() == 4549  # typmod
    moved = read_postgis(f"{url}::sql:SELECT gid, ST_Transform(geom, 4490) AS geom FROM public.parcels")  # CGCS2000 lon/lat
    assert moved.crs.to_epsg() == 4490 and (round(moved.geometry.iloc[0].centroid.x, 2), round(moved.geometry.iloc[0].centroid.y, 2)) == (120.03, 29.13)
    assert read_postgis(f"{url}::sql:SELECT ST_SetSRID(geom, 0) AS geom FROM public.parcels").crs is None  # no SRID: no CRS
    none = read_postgis(f"{url}::sql:SELECT gid, NULL::geometry AS geom FROM public.parcels")
    assert none.crs is None and none.geometry.isna().all() and len(none) == 3


def test_query_errors_are_one_line_and_name_the_query_without_the_password(postgis, pg):
    url = postgis["url"]
    cases = {
        "SELECT geom FROM public.parcels UNION ALL SELECT ST_Transform(geom, 4326) FROM public.parcels": "different SRIDs (4326, 4549)",
        "SELECT gid, gid, geom FROM public.parcels": "several columns named gid",
        "SELECT gid FROM public.parcels": "returns no PostGIS geometry column",
        "SELECT geom FROM public.nope": 'relation "public.nope" does not exist',
        "  ": "the query after ::sql: is empty",
        "DELETE FROM public.parcels RETURNING geom": "a source query must be a query that reads",
    }
    for query, message in cases.items():
        with pytest.raises(InputError, match=re.escape(message)) as err:
            read_postgis(f"{url}::sql:{query}")
        assert "\n" not in str(err.value) and "s3cret" not in str(err.value), query
    with pytest.raises(InputError, match=re.escape("landtool::sql:SELECT geom FROM public.parcels WHERE gid = (SELECT min(gid)…: the geometries")) as err:
        read_postgis(f"{url}::sql:SELECT geom FROM public.parcels\nWHERE gid = (SELECT min(gid) FROM public.parcels)\n  AND gid > 0 UNION ALL SELECT ST_Transform(geom, 3857) FROM public.parcels")
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match=r"not as \?query=") as err:
        read_postgis(f"{url}?query=SELECT%20geom%20FROM%20public.parcels")


def test_queries_run_read_only(postgis, pg):
    url = postgis["url"]
    with pytest.raises(InputError, match="would change the database; source queries run read-only"):
        read_postgis(f"{url}::sql:SELECT nextval('public.parcels_gid_seq') AS n, geom FROM public.parcels")
    with pytest.raises(InputError, match="must not contain data-modifying statements"):
        read_postgis(f"{url}::sql:WITH gone AS (DELETE FROM public.parcels RETURNING *) SELECT * FROM gone")
    with pytest.raises(InputError, match="cannot insert multiple commands"):
        read_postgis(f"{url}::sql:SELECT * FROM public.parcels; DROP TABLE public.parcels")
    # A function that writes, called from a SELECT: stopped by the read-only transaction.
    pg.execute("CREATE OR REPLACE FUNCTION public.sneaky() RETURNS int LANGUAGE sql VOLATILE AS $$ INSERT INTO public.owners VALUES ('x') RETURNING 1 $$")
    with pytest.raises(InputError, match="cannot execute INSERT in a read-only transaction"):
        read_postgis(f"{url}::sql:SELECT public.sneaky() AS x, geom FROM public.parcels")
    assert pg.execute("SELECT count(*), max(gid) FROM public.parcels").fetchone() == (3, 3)
    assert pg.execute("SELECT count(*) FROM public.owners").fetchone() == (0,)
    assert pg.execute("SELECT last_value FROM public.parcels_gid_seq").fetchone() == (3,)


def test_statement_timeout(postgis):
    query = f"{postgis['url']}::sql:SELECT geom FROM public.parcels, pg_sleep(5) AS s"
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"ran longer than the statement timeout \(200ms\)"):
        read_postgis(query, statement_timeout=0.2)
    assert time.perf_counter() - started < 3
    # The server's own setting, as libpq takes it from the URL (how the command line sets one).
    with pytest.raises(InputError, match=r"ran longer than the statement timeout \(150ms\)"):
        read_postgis(query.replace("/landtool::sql:", "/landtool?options=-c%20statement_timeout%3D150::sql:"))
    assert len(read_postgis(f"{postgis['url']}::sql:SELECT geom FROM public.parcels, pg_sleep(0.01) AS s", statement_timeout=5)) == 3


def test_cli_reads_a_query(postgis):
    source = f"postgresql://landtool@127.0.0.1:{postgis['port']}/landtool::sql:SELECT * FROM public.parcels WHERE \"总建筑面积\"::int >= 5000"
    result = CliRunner().invoke(app, ["check", source, "--json", "--as-of", AS_OF, "--lang", "en"], env={"PGPASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    far = {r["subject_id"]: r["status"] for r in json.loads(result.stdout) if r["rule"] == "indicator.far_max"}
    assert far == {"331023001001JA00001": "fail", "331023001001JA00002": "pass"}


# --------------------------------------------------------------------------- chunks


@pytest.fixture(scope="module")
def big(postgis):
    """``public.big``: 1,000 rows; ``n`` is null in the first 300 rows, ``label`` in every
    7th, ``shape`` (no typmod) in the first 450; one of each common type."""
    import psycopg

    with psycopg.connect(**postgis["conninfo"], dbname="landtool", autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE public.big AS SELECT i AS id, CASE WHEN i > 300 THEN i * 10 END::int8 AS n, "
            "(i / 3.0)::numeric(10, 3) AS ratio, CASE WHEN i % 7 <> 0 THEN '宗地' || i END AS label, i % 2 = 0 AS even, "
            "DATE '2023-06-30' + i AS due, TIMESTAMPTZ '2023-06-30 08:00+08' + i * INTERVAL '1 hour' AS seen, "
            "jsonb_build_object('i', i) AS extra, "
            "ST_SetSRID(ST_MakeEnvelope(502900 + i * 10, 3223800, 502905 + i * 10, 3223805), 4549)::geometry(Polygon, 4549) AS geom, "
            "CASE WHEN i > 450 THEN ST_SetSRID(ST_MakePoint(502900 + i, 3223800), 4549) END AS shape "
            "FROM generate_series(1, 1000) AS i"
        )
    return f"{postgis['url']}::public.big"


def test_chunks_concatenated_equal_the_whole_read(big):
    whole = read_postgis(big)
    assert len(whole) == 1000 and whole.crs.to_epsg() == 4549
    chunks = list(read_postgis_chunks(big, rows=300))
    assert [len(c) for c in chunks] == [300, 300, 300, 100]
    assert [c.index[0] for c in chunks] == [0, 300, 600, 900]
    # Types from the columns' types, not the values: the same in a chunk where n is all null.
    assert chunks[0]["n"].isna().all() and not chunks[1]["n"].isna().any()
    for chunk in chunks:
        pd.testing.assert_series_equal(chunk.dtypes, whole.dtypes)
        assert chunk.crs == whole.crs
    assert str(whole["n"].dtype) == "Int64" and whole["ratio"].dtype == float and str(whole["even"].dtype) == "boolean"
    assert str(whole["due"].dtype) == "datetime64[us]" and str(whole["seen"].dtype) == "datetime64[us, UTC]"
    assert whole["seen"].iloc[0] == pd.Timestamp("2023-06-30 01:00", tz="UTC") and whole["extra"].iloc[0] == '{"i": 1}'
    assert whole["ratio"].iloc[0] == 0.333 and whole["label"].iloc[6] is pd.NA or pd.isna(whole["label"].iloc[6])
    assert_geodataframe_equal(pd.concat(chunks), whole)
    assert [len(c) for c in read_postgis_chunks(big, rows=250)] == [250, 250, 250, 250]  # no empty last chunk


def test_query_chunks_wait_for_a_geometry_to_know_the_srid(big):
    query = big.replace("::public.big", "::sql:SELECT id, shape FROM public.big ORDER BY id")
    chunks = list(read_postgis_chunks(query, rows=200))
    assert [len(c) for c in chunks] == [200, 200, 200, 200, 200]
    assert chunks[0].geometry.isna().all() and chunks[1].geometry.isna().all()  # held back until row 451
    assert all(c.crs.to_epsg() == 4549 for c in chunks)
    assert_geodataframe_equal(pd.concat(chunks), read_postgis(query))


def test_empty_result_is_one_empty_frame_with_the_columns(big):
    empty = list(read_postgis_chunks(big.replace("::public.big", "::sql:SELECT * FROM public.big WHERE false"), rows=10))
    assert len(empty) == 1 and len(empty[0]) == 0 and empty[0].crs.to_epsg() == 4549
    assert list(empty[0].columns) == ["id", "n", "ratio", "label", "even", "due", "seen", "extra", "geom", "shape"]


def test_a_stream_closed_early_closes_its_connection(big, pg):
    stream = read_postgis_chunks(big, rows=100)
    next(stream)
    assert pg.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'landtool'").fetchone() == (1,)
    stream.close()
    assert pg.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'landtool'").fetchone() == (0,)
