"""Golden SQL per example and dialect. Each snapshot must also parse back with sqlglot in its
own dialect. Snapshot updates are deliberate: run with SEGL_UPDATE_SNAPSHOTS=1 and review
the diff like any other change."""

import os
from pathlib import Path

import pytest
from segl.compiler.api import compile_file, to_sql
from segl.compiler.to_sql import parse_back

from tests.conftest import EXAMPLE_ENTRIES, ROOT

DIALECTS = ["duckdb", "postgres", "snowflake", "bigquery", "spark", "databricks", "redshift",
            "trino", "clickhouse", "tsql", "mysql", "sqlite"]
SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("SEGL_UPDATE_SNAPSHOTS") == "1"

CASES = [(entry, dialect, "2026-06-30") for entry in EXAMPLE_ENTRIES for dialect in DIALECTS]
CASES += [(ROOT / "examples/shop/shop.seg", dialect, mode)
          for dialect in ("duckdb", "postgres", "snowflake", "bigquery")
          for mode in ("today", "param")]


def snapshot_path(entry: Path, dialect: str, as_of: str) -> Path:
    suffix = "" if as_of == "2026-06-30" else f".as_of_{as_of}"
    return SNAPSHOTS / entry.parent.name / f"{dialect}{suffix}.sql"


@pytest.fixture(scope="module")
def compilations():
    cwd = os.getcwd()
    os.chdir(ROOT)  # paths in headers and file locations are relative to the repository
    try:
        return {entry: compile_file(entry.relative_to(ROOT)) for entry in EXAMPLE_ENTRIES}
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("entry,dialect,as_of", CASES,
                         ids=[f"{e.parent.name}-{d}-{a}" for e, d, a in CASES])
def test_snapshot(entry, dialect, as_of, compilations, monkeypatch):
    monkeypatch.chdir(ROOT)
    sql = to_sql(compilations[entry], dialect, as_of, file_paths="relative")
    path = snapshot_path(entry, dialect, as_of)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}; create it with SEGL_UPDATE_SNAPSHOTS=1"
    assert sql == path.read_text(encoding="utf-8")
    (statement,) = parse_back(sql, dialect)
    assert statement.find_all  # parsed into an expression tree


def test_no_stale_snapshots():
    expected = {snapshot_path(e, d, a) for e, d, a in CASES}
    assert set(SNAPSHOTS.rglob("*.sql")) <= expected


def test_compiled_sql_is_stable_across_runs(compilations, monkeypatch):
    monkeypatch.chdir(ROOT)
    entry = EXAMPLE_ENTRIES[0]
    first = to_sql(compilations[entry], "duckdb", "2026-06-30", file_paths="relative")
    again = to_sql(compile_file(entry.relative_to(ROOT)), "duckdb", "2026-06-30",
                   file_paths="relative")
    assert first == again
