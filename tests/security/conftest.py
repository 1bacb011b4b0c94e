"""The embedded PostgreSQL server of the engine tests (one per test process)."""

from tests.engines.conftest import postgres_url  # noqa: F401 (a fixture, used by name)
