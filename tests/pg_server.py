"""Fixtures of the PostGIS tests, as a pytest plugin: one server for the whole session.

Every test module that needs it declares ``pytest_plugins = ["tests.pg_server"]`` and uses
the ``postgis`` (and ``pg``) fixtures; helpers and constants are in ``tests/pg_support.py``.
Without PostgreSQL + PostGIS the tests skip locally and fail in CI (``CI`` or
``LANDTOOL_REQUIRE_POSTGIS`` set; ``.ci/run`` installs them and sets the latter).
"""

from __future__ import annotations

import os

import pytest

from tests.pg_support import Unavailable, server


def unavailable(reason: str):
    if os.environ.get("CI") or os.environ.get("LANDTOOL_REQUIRE_POSTGIS"):
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgis():
    """``postgresql://landtool:…@127.0.0.1:PORT/landtool`` with ``public.parcels`` loaded."""
    try:
        with server() as info:
            print(f"\nPostGIS test server on port {info['port']} ready in {info['startup_s']:.1f} s")
            yield info
    except Unavailable as exc:
        unavailable(str(exc))
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def pg(postgis):
    """A psycopg connection (autocommit) to the test database, closed after the test."""
    import psycopg

    with psycopg.connect(**postgis["conninfo"], dbname="landtool", autocommit=True) as conn:
        yield conn


