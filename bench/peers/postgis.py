"""The core checks in PostGIS SQL, on a throwaway server this script starts and stops.

    python bench/peers/postgis.py DATA_DIR OUT.csv

Starts PostgreSQL in a temporary folder (``initdb``, then ``pg_ctl start`` on a free
loopback port, its unix socket in the same folder; as the ``postgres`` user — or
``nobody`` — when run as root), loads ``parcels.gpkg`` and ``buildings.gpkg`` from
DATA_DIR with COPY, indexes and analyzes them, runs the checks of
``geopandas_check.py`` (buildings by point on surface; area, FAR, density, height,
FAR ≤ ``plan_far_max`` else 1.1, height ≤ 24 m) into a ``result`` table, and writes it to
OUT.csv (parcel_id, area_m2, area_mu, gfa_m2, far, density, height_m, far_status,
height_status). Prints the seconds of each step as one JSON line: ``load_s`` (reading the
files and COPY), ``index_s`` (GiST index and ANALYZE), ``query_s`` and ``export_s``.

The PostgreSQL binaries are taken from ``$PG_BIN``, else the newest
``/usr/lib/postgresql/*/bin``. The server runs with bulk-load settings (no fsync, minimal
WAL, large work memory): it is thrown away after the run, so durability buys nothing.
"""

from __future__ import annotations

import io
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely

SRID = 4549
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "8GB",
    "shared_buffers": "2GB",
    "work_mem": "256MB",
    "maintenance_work_mem": "2GB",
}

SCHEMA = f"""
CREATE EXTENSION postgis;
CREATE TABLE parcels (parcel_id text PRIMARY KEY, plan_far_max float8, geom geometry(Geometry, {SRID}));
CREATE TABLE buildings (building_id text, floors int, height_m float8, geom geometry(Geometry, {SRID}));
"""

INDEX = """
CREATE INDEX ON parcels USING gist (geom);  -- the only one the join uses: points in parcels
ANALYZE parcels;
ANALYZE buildings;
"""

CHECK = """
CREATE TABLE result AS
WITH per_parcel AS (
    SELECT p.parcel_id,
           sum(ST_Area(b.geom)) AS footprint_m2,
           sum(ST_Area(b.geom) * b.floors) AS gfa_m2,
           max(b.height_m) AS height_m
    FROM buildings b JOIN parcels p ON ST_Within(ST_PointOnSurface(b.geom), p.geom)
    GROUP BY p.parcel_id
), measured AS (
    SELECT p.parcel_id, p.plan_far_max, ST_Area(p.geom) AS area_m2,
           coalesce(g.gfa_m2, 0) AS gfa_m2, coalesce(g.footprint_m2, 0) AS footprint_m2, g.height_m
    FROM parcels p LEFT JOIN per_parcel g USING (parcel_id)
)
SELECT parcel_id, area_m2, area_m2 / (10000.0 / 15) AS area_mu, gfa_m2,
       gfa_m2 / area_m2 AS far, footprint_m2 / area_m2 AS density, height_m,
       CASE WHEN gfa_m2 / area_m2 <= coalesce(plan_far_max, 1.1) THEN 'pass' ELSE 'fail' END AS far_status,
       CASE WHEN height_m IS NULL THEN 'insufficient_data' WHEN height_m <= 24 THEN 'pass' ELSE 'fail' END AS height_status
FROM measured
"""


def pg_bin() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``: ``$PG_BIN``, else the newest version with PostGIS."""
    if "PG_BIN" in os.environ:
        return Path(os.environ["PG_BIN"])
    versions = [
        p.parent.parent.name
        for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if Path(f"/usr/share/postgresql/{p.parent.parent.name}/extension/postgis.control").exists()
    ]
    if not versions:
        msg = "no PostgreSQL with PostGIS under /usr/lib/postgresql (apt-get install postgresql postgis, or set PG_BIN)"
        raise FileNotFoundError(msg)
    return Path("/usr/lib/postgresql", max(versions, key=int), "bin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server():
    """A fresh PostgreSQL server; yields an autocommit connection to it as superuser."""
    bin_dir = pg_bin()
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    if os.geteuid() == 0:  # postgres refuses to run as root
        user = next((u for u in ("postgres", "nobody") if _exists(u)), None)
        if user is None:
            msg = "running as root, but neither a 'postgres' nor a 'nobody' user exists to run the server"
            raise RuntimeError(msg)
        shutil.chown(root, user)
        as_user = ["runuser", "-u", user, "--"]
    data, port = root / "data", _free_port()
    options = " ".join(f"-c {k}={v}" for k, v in {**SETTINGS, "port": port, "unix_socket_directories": root}.items())

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, stdout=subprocess.DEVNULL)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "bench", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        log = root / "server.log"
        try:
            run(str(bin_dir / "pg_ctl"), "start", "-w", "-D", str(data), "-l", str(log), "-o", options)
        except subprocess.CalledProcessError:
            sys.stderr.write(log.read_text() if log.exists() else "")
            raise
        try:
            with psycopg.connect(host=str(root), port=port, user="bench", dbname="postgres", autocommit=True) as conn:
                yield conn
        finally:
            run(str(bin_dir / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(data))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def copy_layer(conn: psycopg.Connection, table: str, frame: gpd.GeoDataFrame, columns: list[str]) -> None:
    """COPY the columns and the geometry (as hex EWKB) of ``frame`` into ``table``."""
    ewkb = shapely.to_wkb(shapely.set_srid(frame.geometry.to_numpy(), SRID), hex=True, include_srid=True)
    data = pa.table({**{c: pa.array(frame[c], from_pandas=True) for c in columns}, "geom": ewkb})
    options = pacsv.WriteOptions(include_header=False)
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}, geom) FROM STDIN (FORMAT csv)") as copy:
        for batch in data.to_batches(max_chunksize=100_000):
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, write_options=options)
            copy.write(buffer.getvalue())


def main(data_dir: Path, out: Path) -> None:
    seconds = {}
    with server() as conn:
        start = time.perf_counter()
        conn.execute(SCHEMA)
        parcels = gpd.read_file(data_dir / "parcels.gpkg", engine="pyogrio", use_arrow=True, columns=["parcel_id", "plan_far_max"])
        copy_layer(conn, "parcels", parcels, ["parcel_id", "plan_far_max"])
        del parcels
        buildings = gpd.read_file(
            data_dir / "buildings.gpkg", engine="pyogrio", use_arrow=True, columns=["building_id", "floors", "height_m"]
        )
        copy_layer(conn, "buildings", buildings, ["building_id", "floors", "height_m"])
        del buildings
        seconds["load_s"] = time.perf_counter() - start
        for step, sql in (("index_s", INDEX), ("query_s", CHECK)):
            start = time.perf_counter()
            conn.execute(sql)
            seconds[step] = time.perf_counter() - start
        start = time.perf_counter()
        with out.open("wb") as f, conn.cursor().copy("COPY result TO STDOUT (FORMAT csv, HEADER)") as copy:
            for chunk in copy:
                f.write(chunk)
        seconds["export_s"] = time.perf_counter() - start
    print(json.dumps(seconds))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1].strip())
    main(Path(sys.argv[1]), Path(sys.argv[2]))
