"""Writing results to PostGIS (``SERVER::schema``): tables, types, indexes, language, and the
one-transaction protocol — a write that fails midway leaves the previous result intact and
no temporary table; a second write replaces the first."""

from __future__ import annotations

import pandas as pd
import pytest

import landtool
from landtool import postgis_out
from landtool.errors import InputError
from landtool.postgis import read_postgis
from landtool.postgis_out import MARKER, write_postgis
from landtool.result import VERDICT_COLUMNS
from tests.conftest import frame, rect, square
from tests.pg_support import PASSWORD, free_port, parcels_frame

pytest_plugins = ["tests.pg_server"]

AS_OF = "2023-06-30"


@pytest.fixture(scope="module")
def three():
    """Three parcels: FAR 1.2 (fail), 1.0 (pass), no floor area (insufficient data); run in zh."""
    return landtool.check(parcels_frame(), policy="tiantai", as_of=AS_OF)


@pytest.fixture(scope="module")
def two():
    """Two other parcels (a rectangle and a square), run in en."""
    parcels = frame(
        [
            {"parcel_id": "B1", "land_use": "工业用地", "gfa_m2": 9_000.0, "geometry": rect(0, 0, 100, 80)},
            {"parcel_id": "B2", "land_use": "工业用地", "gfa_m2": 3_000.0, "geometry": square(4_000, x=300)},
        ]
    )
    return landtool.check(parcels, policy="tiantai", as_of=AS_OF, lang="en")


def tables(pg, schema: str) -> list[str]:
    """The tables and views of the schema."""
    return [r[0] for r in pg.execute("SELECT table_name::text FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", [schema])]


RESULT = ["issues", "parcels", "rules", "run", "verdict_rows", "verdicts"]


def leftovers(pg) -> list[str]:
    """Temporary tables or indexes of any write, anywhere."""
    return [r[0] for r in pg.execute("SELECT relname::text FROM pg_class WHERE relname LIKE 'landtool^_tmp^_%' ESCAPE '^'")]


def parcel_ids(pg, schema: str) -> list[str]:
    return [r[0] for r in pg.execute(f"SELECT parcel_id FROM {schema}.parcels ORDER BY fid")]


def test_write_tables_types_indexes_and_language(postgis, pg, three):
    done = write_postgis(three, f"{postgis['url']}::results", lang="en")
    assert str(done) == done.target and "s3cret" not in done.target and done.target.endswith("::results")
    assert tables(pg, "results") == RESULT
    assert done.rows == {"verdict_rows": len(three.table), "rules": three.table["rule"].nunique(), "run": len(landtool.output.run_table(three)), "parcels": 3, "issues": 0}
    kinds = dict(pg.execute("SELECT table_name::text, table_type::text FROM information_schema.tables WHERE table_schema = 'results'").fetchall())
    assert kinds["verdicts"] == "VIEW" and kinds["verdict_rows"] == "BASE TABLE"

    # The verdicts (a view of the rows and each rule's interpretation, kept once): the contract
    # columns in order, sentences in the language asked for (not the run's zh).
    columns = [r[0] for r in pg.execute("SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'results' AND table_name = 'verdicts' ORDER BY ordinal_position")]
    assert columns == VERDICT_COLUMNS
    row = pg.execute("SELECT status, value, \"limit\", unit, reason, explanation, args->>'source' FROM results.verdicts WHERE subject_id = %s AND rule = 'indicator.far_max'", ["331023001001JA00001"]).fetchone()
    assert row[:5] == ("fail", 1.2, 1.1, "ratio", "over_limit") and row[6] == "pack"
    assert row[5] == three.verdicts_in("en").set_index(["subject_id", "rule"]).loc[("331023001001JA00001", "indicator.far_max"), "explanation"]
    assert row[5].startswith("FAR 1.2 exceeds the policy limit of 1.1")
    written = pd.DataFrame(pg.execute("SELECT subject_id, rule, status, value, \"limit\", explanation, interpretation FROM results.verdicts").fetchall(),
                           columns=["subject_id", "rule", "status", "value", "limit", "explanation", "interpretation"])
    expected = three.verdicts_in("en")[written.columns]
    key = ["subject_id", "rule"]
    def normal(table):
        return table.sort_values(key).reset_index(drop=True).astype(object).fillna("—")

    pd.testing.assert_frame_equal(normal(written), normal(expected))

    # Geometry with its SRID and type, GiST indexes, verdict indexes, primary keys.
    geometry = pg.execute("SELECT f_table_name::text, f_geometry_column::text, type, srid FROM geometry_columns WHERE f_table_schema = 'results' ORDER BY 1").fetchall()
    assert geometry == [("issues", "geom", "GEOMETRY", 4549), ("parcels", "geom", "MULTIPOLYGON", 4549)]
    indexes = dict(pg.execute("SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = 'results'").fetchall())
    assert "USING gist (geom)" in indexes["parcels_geom_idx"] and "USING gist (geom)" in indexes["issues_geom_idx"]
    assert "(parcel_id)" in indexes["verdict_rows_parcel_id_idx"] and "(rule)" in indexes["verdict_rows_rule_idx"]
    assert "UNIQUE" in indexes["parcels_pkey"] and "(fid)" in indexes["parcels_pkey"]
    comment = pg.execute("SELECT obj_description('results.verdict_rows'::regclass)").fetchone()[0]
    assert comment.startswith(f"{MARKER}: verdict_rows (landtool ") and "pack tiantai" in comment and "lang en" in comment

    # The parcels read back: areas, statuses and the run table as written.
    back = read_postgis(f"{postgis['url']}::results.parcels").set_index("parcel_id")
    assert back.crs.to_epsg() == 4549 and back.geometry.geom_type.unique().tolist() == ["MultiPolygon"]
    assert back["area_m2"].round(2).tolist() == [10_000.00, 5_000.00, 2_500.00]
    assert back["status"].tolist() == three.parcels.set_index("parcel_id")["status"].tolist()
    run = dict(pg.execute("SELECT key, value FROM results.run").fetchall())
    assert run["pack"] == "tiantai" and run["as_of"] == AS_OF
    assert leftovers(pg) == []


def test_values_and_types_survive_the_copy(postgis, pg, three, monkeypatch):
    import datetime as dt

    import shapely

    monkeypatch.setattr(postgis_out, "LAYER_CHUNK_ROWS", 1)  # one COPY block per row: types from all rows, fid across blocks

    odd = pd.DataFrame(
        {
            "文本": ["", None, 'say "hi", then\nleave', "宗地,甲"],
            "n": pd.array([1, None, -(2**62), 0], dtype="Int64"),
            "x": [0.1 + 0.2, float("nan"), 1e-300, float("inf")],
            "flag": pd.array([True, None, False, True], dtype="boolean"),
            "when": pd.to_datetime(["2023-06-30", None, "2023-06-30 08:30:00.25", "1999-12-31"], format="ISO8601"),
            "utc": pd.to_datetime(["2023-06-30 00:00", None, "2023-06-30 08:30", "2000-01-01"], format="ISO8601").tz_localize("UTC"),
            "kind": pd.Categorical(["a", None, "b", "a"]),
            "mixed": [["gfa_m2"], None, dt.date(2023, 6, 30), 3],
        }
    )
    shapes = frame([{"id": 1, "geometry": shapely.Point(1, 2)}, {"id": 2, "geometry": square(100)}, {"id": 3, "geometry": None}])
    write_postgis(three, f"{postgis['url']}::typed", tables={"odd": odd, "shapes": shapes})
    types = dict(pg.execute("SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_schema = 'typed' AND table_name = 'odd'").fetchall())
    assert types == {"文本": "text", "n": "bigint", "x": "double precision", "flag": "boolean", "when": "timestamp without time zone",
                     "utc": "timestamp with time zone", "kind": "text", "mixed": "text"}
    rows = pg.execute('SELECT "文本", n, x, flag, "when", utc AT TIME ZONE \'UTC\', kind, mixed FROM typed.odd').fetchall()
    assert rows[0] == ("", 1, 0.30000000000000004, True, dt.datetime(2023, 6, 30), dt.datetime(2023, 6, 30), "a", "['gfa_m2']")
    assert rows[1] == (None, None, None, None, None, None, None, None)
    assert rows[2] == ('say "hi", then\nleave', -(2**62), 1e-300, False, dt.datetime(2023, 6, 30, 8, 30, 0, 250000), dt.datetime(2023, 6, 30, 8, 30), "b", "2023-06-30")
    assert rows[3][:4] == ("宗地,甲", 0, float("inf"), True) and rows[3][7] == "3"
    geometry = pg.execute("SELECT type, srid FROM geometry_columns WHERE f_table_schema = 'typed' AND f_table_name = 'shapes'").fetchone()
    assert geometry == ("GEOMETRY", 4549)  # points and polygons: the generic type
    assert pg.execute("SELECT fid, id, ST_AsText(geom) FROM typed.shapes ORDER BY id").fetchall()[::2] == [(1, 1, "POINT(1 2)"), (3, 3, None)]
    assert pg.execute("SELECT array_agg(parcel_id ORDER BY fid) FROM typed.parcels").fetchone()[0] == three.parcels["parcel_id"].tolist()
    assert "fid" not in types  # only layers get a primary key


def test_a_second_write_replaces_the_first(postgis, pg, three, two):
    target = f"{postgis['url']}::replaced"
    write_postgis(three, target, tables={"notes": pd.DataFrame({"note": ["第一次"]})})
    assert tables(pg, "replaced") == sorted([*RESULT, "notes"])
    assert pg.execute("SELECT explanation FROM replaced.verdicts WHERE rule = 'indicator.far_max' ORDER BY subject_id LIMIT 1").fetchone()[0].startswith("容积率")
    write_postgis(two, target)  # the run's language: en
    assert tables(pg, "replaced") == RESULT  # the old extra table went with its result
    assert parcel_ids(pg, "replaced") == ["B1", "B2"]
    assert pg.execute("SELECT count(*) FROM replaced.verdicts").fetchone()[0] == len(two.table)
    assert pg.execute("SELECT explanation FROM replaced.verdicts WHERE subject_id = 'B1' AND rule = 'indicator.far_max'").fetchone()[0].startswith("FAR ")
    assert leftovers(pg) == []


def _fail_at_parcels(monkeypatch, action):
    """Make the write fail when it reaches the parcels layer (after verdicts and run, before the layers)."""
    load = postgis_out._load
    seen = []

    def failing(cur, schema, tag, name, *args, **kwargs):
        seen.append(name)
        if name == "parcels":
            action(cur, schema, tag)
        return load(cur, schema, tag, name, *args, **kwargs)

    monkeypatch.setattr(postgis_out, "_load", failing)
    return seen


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt, "killed", "inside_copy"])
def test_a_write_failing_midway_leaves_the_previous_result_and_no_temporary_table(postgis, pg, three, two, monkeypatch, failure):
    schema = "midway"
    target = f"{postgis['url']}::{schema}"
    write_postgis(three, target)
    before = {name: pg.execute(f"SELECT count(*) FROM {schema}.{name}").fetchone()[0] for name in tables(pg, schema)}
    observed = {}

    def action(cur, schema_, tag):
        # Another session meanwhile sees the old result only: the new tables are not committed.
        observed["tables"] = tables(pg, schema)
        observed["parcels"] = parcel_ids(pg, schema)
        observed["uncommitted"] = pg.execute("SELECT to_regclass(%s)", [f"{schema}.{tag}verdict_rows"]).fetchone()[0]
        if failure == "killed":
            pg.execute("SELECT pg_terminate_backend(%s)", [cur.connection.info.backend_pid])
        elif failure == "inside_copy":  # Ctrl-C while the parcels' COPY is under way
            monkeypatch.setattr(postgis_out, "_csv_block", interrupted)
        else:
            raise failure("injected")

    def interrupted(*args):
        raise KeyboardInterrupt("injected")

    seen = _fail_at_parcels(monkeypatch, action)
    expected = {"killed": (InputError, "cannot write to PostGIS"), "inside_copy": (KeyboardInterrupt, "injected")}.get(failure, (failure, "injected"))
    with pytest.raises(expected[0], match=expected[1]) as err:
        write_postgis(two, target)
    assert seen == ["verdict_rows", "rules", "run", "parcels"]
    assert "s3cret" not in str(err.value)
    assert observed == {"tables": RESULT, "parcels": [f"331023001001JA0000{i}" for i in (1, 2, 3)], "uncommitted": None}
    after = {name: pg.execute(f"SELECT count(*) FROM {schema}.{name}").fetchone()[0] for name in tables(pg, schema)}
    assert after == before and parcel_ids(pg, schema)[0] == "331023001001JA00001"
    assert leftovers(pg) == []


def test_target_errors_name_the_server_without_its_password(postgis, pg, three):
    url = postgis["url"]
    cases = {
        "maps/out.gpkg": "--out maps/out.gpkg: a PostGIS output is postgresql://USER@HOST/DB::schema",
        url: "name the schema to write into as URL::schema",
        f"{url}::": "name the schema to write into as URL::schema",
        f"{url}::results.verdicts": "the schema name must be letters, digits and _",
        f"{url}::1st": "the schema name must be letters, digits and _",
        f"postgresql://landtool:{PASSWORD.replace(':', '%3A')}@127.0.0.1:{free_port()}/landtool::results": "cannot connect to PostgreSQL",
        f"postgresql://reader:reader@127.0.0.1:{postgis['port']}/landtool::readonly": "no permission to write there (permission denied for database landtool)",
        f"postgresql://reader:reader@127.0.0.1:{postgis['port']}/landtool::Cadastre": "no permission to write there (permission denied for schema Cadastre)",
    }
    for target, message in cases.items():
        with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
            write_postgis(three, target)
        text = str(err.value)
        assert "\n" not in text and "s3cret" not in text and ":reader@" not in text, text
    for name in ("parcels", "verdicts", "landtool_tmp_x", "1st", "a" * 31):
        with pytest.raises(InputError, match="cannot be the name of an added table"):
            write_postgis(three, f"{url}::results", tables={name: pd.DataFrame({"a": [1]})})
    assert pg.execute("SELECT to_regnamespace('readonly')").fetchone() == (None,)
    assert leftovers(pg) == []


def test_tables_landtool_did_not_write_are_never_replaced(postgis, pg, three):
    pg.execute("CREATE SCHEMA theirs")
    pg.execute("CREATE TABLE theirs.parcels (id int)")
    pg.execute("INSERT INTO theirs.parcels VALUES (1)")
    with pytest.raises(InputError, match=r"::theirs: the schema holds parcels, which landtool did not write"):
        write_postgis(three, f"{postgis['url']}::theirs")
    assert tables(pg, "theirs") == ["parcels"] and pg.execute("SELECT count(*) FROM theirs.parcels").fetchone() == (1,)
    # A view on a result: the next write stops (nothing changed) rather than drop the view.
    write_postgis(three, f"{postgis['url']}::viewed")
    pg.execute("CREATE VIEW viewed.failing AS SELECT * FROM viewed.verdicts WHERE status = 'fail'")
    with pytest.raises(InputError, match="other objects depend on the previous result's tables"):
        write_postgis(three, f"{postgis['url']}::viewed")
    assert pg.execute("SELECT count(*) FROM viewed.failing").fetchone()[0] >= 1
    assert leftovers(pg) == []


def test_an_input_schema_is_never_the_output(postgis, pg):
    pg.execute("CREATE SCHEMA IF NOT EXISTS source")
    pg.execute("CREATE TABLE source.parcels AS SELECT * FROM public.parcels")
    result = landtool.check(f"{postgis['url']}::source.parcels", policy="tiantai", as_of=AS_OF)
    with pytest.raises(InputError, match="this is an input file"):
        write_postgis(result, f"{postgis['url']}::source")
    write_postgis(result, f"{postgis['url']}::elsewhere")
    assert parcel_ids(pg, "elsewhere") == ["331023001001JA00001", "331023001001JA00002", "331023001001JA00003"]


def test_writers_of_one_schema_wait_for_each_other(postgis, pg, three, two):
    import threading

    conninfo = postgis["conninfo"]
    targets = [f"{postgis['url']}::together",
               f"PG:host=127.0.0.1 port={conninfo['port']} dbname=landtool user=landtool password='{PASSWORD}'::together"]
    errors = []

    def write(result, target):
        try:
            write_postgis(result, target)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=pair) for pair in zip((three, two), targets, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and tables(pg, "together") == RESULT
    ids = parcel_ids(pg, "together")
    winner = three if len(ids) == 3 else two  # whichever committed last, whole
    assert ids == winner.parcels["parcel_id"].tolist()
    assert pg.execute("SELECT count(*) FROM together.verdicts").fetchone()[0] == len(winner.table)
    assert leftovers(pg) == []
