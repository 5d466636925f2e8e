"""A throwaway PostgreSQL + PostGIS server for the tests (the fixtures: ``tests/pg_server.py``).

The server is a fresh cluster in a temporary directory on a free loopback port (run as
the ``postgres`` user when the tests run as root), with PostGIS, stopped and removed at
the end.

``python -m tests.pg_support`` starts one by hand (durable: fsync on; for benchmarks),
prints its URL and runs until interrupted.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from tests.conftest import frame, square

PASSWORD = "s3cret:pw"  # a colon in the password: the URL parser must cope
OWNER = "天台县赤城机械有限公司"


class Unavailable(Exception):
    """No PostgreSQL with PostGIS (or no driver) on this machine."""


def binaries() -> Path:
    """The bin directory of the newest PostgreSQL whose share directory has PostGIS."""
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        version = Path(bindir).parent.name
        if Path(bindir, "initdb").exists() and glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
            return Path(bindir)
    raise Unavailable("no PostgreSQL with PostGIS under /usr/lib/postgresql (apt-get install postgresql postgis)")


def free_port() -> int:
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


@contextmanager
def server(*, durable: bool = False):
    """Start a server with database ``landtool`` (PostGIS, ``public.parcels`` and friends loaded);
    yield ``{"url", "port", "conninfo", "startup_s"}``. Not ``durable``: no fsync (tests)."""
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        raise Unavailable("psycopg is not installed (pip install -e '.[test]')") from None
    bindir = binaries()
    as_root = os.geteuid() == 0
    if as_root:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root but there is no postgres user to run the server") from None

    def run(*args: str | Path) -> None:
        cmd = [str(a) for a in args]
        if as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")

    started = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="landtool-pg-"))
    data = base / "data"
    pwfile = base / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if as_root:
        for path in (base, pwfile):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = free_port()
    running = False
    try:
        run(bindir / "initdb", "-D", data, "-U", "landtool", f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='{base}'"
        if not durable:
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        run(bindir / "pg_ctl", "-D", data, "-o", options, "-l", base / "log", "-w", "-t", "60", "start")
        running = True
        url = f"postgresql://landtool:{PASSWORD.replace(':', '%3A')}@127.0.0.1:{port}/landtool"
        conninfo = {"host": "127.0.0.1", "port": port, "user": "landtool", "password": PASSWORD}
        with psycopg.connect(**conninfo, dbname="postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE landtool")
        with psycopg.connect(**conninfo, dbname="landtool", autocommit=True) as conn:
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
            # A user who may read but not create anything (permission errors).
            conn.execute("CREATE ROLE reader LOGIN PASSWORD 'reader'")
            conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
        elapsed = time.perf_counter() - started
        yield {"url": url, "port": port, "conninfo": conninfo, "startup_s": elapsed}
    finally:
        if running:
            run(bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover - by hand
    import signal

    signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)  # wait for them below, then stop the server
    with server(durable=True) as info:
        print(info["url"], flush=True)
        signal.sigwait(signals)
