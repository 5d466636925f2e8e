"""Reading parcels from PostGIS, against a throwaway PostgreSQL server started for the session.

The server is a fresh cluster in a temporary directory on a free localhost port (run as
the ``postgres`` user when the tests run as root), with PostGIS, stopped and removed at
the end. Without PostgreSQL + PostGIS the tests skip locally and fail in CI (``CI`` set).
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import landtool
from landtool.cli import app
from landtool.errors import InputError
from tests.conftest import frame, square

PASSWORD = "s3cret:pw"  # a colon in the password: the URL parser must cope
AS_OF = "2023-06-30"
OWNER = "天台县赤城机械有限公司"


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _binaries() -> Path:
    """The bin directory of the newest PostgreSQL whose share directory has PostGIS."""
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        version = Path(bindir).parent.name
        if Path(bindir, "initdb").exists() and glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
            return Path(bindir)
    _unavailable("no PostgreSQL with PostGIS under /usr/lib/postgresql (apt-get install postgresql postgis)")
    raise AssertionError  # unreachable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parcels_frame():
    """Three parcels in EPSG:4549 with Chinese field names; GFA as numeric, one missing."""
    return frame(
        [
            {"宗地代码": "331023001001JA00001", "权利人": OWNER, "土地用途": "工业用地", "总建筑面积": 12_000.0, "geometry": square(10_000)},
            {"宗地代码": "331023001001JA00002", "权利人": "天台县橡胶制品有限公司", "土地用途": "工业用地", "总建筑面积": 5_000.0, "geometry": square(5_000, x=200)},
            {"宗地代码": "331023001001JA00003", "权利人": "天台县新材料有限公司", "土地用途": "工业用地", "总建筑面积": None, "geometry": square(2_500, x=400)},
        ]
    )


@pytest.fixture(scope="session")
def postgis():
    """``postgresql://landtool:…@127.0.0.1:PORT/landtool`` with ``public.parcels`` loaded."""
    bindir = _binaries()
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[test]')")
    as_root = os.geteuid() == 0
    if as_root:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root but there is no postgres user to run the server")

    def run(*args: str | Path) -> None:
        cmd = [str(a) for a in args]
        if as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}", pytrace=False)

    started = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="landtool-pg-"))
    data = base / "data"
    pwfile = base / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if as_root:
        for path in (base, pwfile):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    running = False
    try:
        run(bindir / "initdb", "-D", data, "-U", "landtool", f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='{base}' -c fsync=off -c full_page_writes=off"
        run(bindir / "pg_ctl", "-D", data, "-o", options, "-l", base / "log", "-w", "-t", "60", "start")
        running = True
        url = f"postgresql://landtool:{PASSWORD.replace(':', '%3A')}@127.0.0.1:{port}/landtool"
        with psycopg.connect(host="127.0.0.1", port=port, user="landtool", password=PASSWORD, dbname="postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE landtool")
        with psycopg.connect(host="127.0.0.1", port=port, user="landtool", password=PASSWORD, dbname="landtool", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
            conn.execute('CREATE SCHEMA "Cadastre"')
            conn.execute(
                'CREATE TABLE public.parcels (gid serial PRIMARY KEY, "宗地代码" text, "权利人" text, "土地用途" text, '
                '"总建筑面积" numeric(12, 2), geom geometry(Polygon, 4549))'
            )
            for row in parcels_frame().itertuples(index=False):
                conn.execute(
                    'INSERT INTO public.parcels ("宗地代码", "权利人", "土地用途", "总建筑面积", geom) VALUES (%s, %s, %s, %s, ST_GeomFromText(%s, 4549))',
                    (row[0], row[1], row[2], None if pd.isna(row[3]) else row[3], row.geometry.wkt),
                )
            # The same rows under a mixed-case schema and a Chinese table name (quoted identifiers).
            conn.execute(sql.SQL("CREATE TABLE {} AS SELECT * FROM public.parcels").format(sql.Identifier("Cadastre", "宗地")))
            conn.execute("CREATE TABLE public.owners (name text)")
        elapsed = time.perf_counter() - started
        print(f"\nPostGIS test server on port {port} ready in {elapsed:.1f} s")
        yield {"url": url, "port": port, "startup_s": elapsed}
    finally:
        if running:
            run(bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


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
    closed = _free_port()
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
