"""Engines for the differential tests: every engine of the registry that can run here
(all of them once the `test` extra is installed).

Each engine is started at most once per test process (so once per pytest-xdist worker):
the PostgreSQL server in a temporary folder of its own, listening on a Unix socket in that
folder only (two workers never share a port or a directory); chdb and the local Spark
session in process (Spark's driver takes free ports; its UI is off)."""

from __future__ import annotations

import pytest
from segl.runtime.engines import available_engines

# Every engine but DuckDB, the reference the others are compared with.
OTHER_ENGINES = [name for name in available_engines() if name != "duckdb"]
# Engines fast enough for property-based tests with many examples.
QUICK_ENGINES = [name for name in OTHER_ENGINES if name != "spark"]


def engine_params(names: list[str]) -> list:
    return [pytest.param(name, id=name) for name in names]


@pytest.fixture(scope="session")
def postgres_url():
    # (in a folder of its own, not pytest's: the server runs as another user when the tests
    # run as root, and pytest's folders are private to root)
    from segl.runtime.engines.postgres import embedded_url, stop_embedded

    yield embedded_url()
    stop_embedded()


@pytest.fixture
def engine_options(request) -> dict[str, object]:
    """Options for run_members of the test's `engine` parameter."""
    name = request.getfixturevalue("engine")
    if name == "postgres":
        return {"url": request.getfixturevalue("postgres_url")}
    return {}

