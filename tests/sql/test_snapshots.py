"""Golden SQL per example and dialect. Each snapshot must also parse back with sqlglot in its
own dialect. Snapshot updates are deliberate: run with SEGL_UPDATE_SNAPSHOTS=1 and review
the diff like any other change."""

import os
from pathlib import Path

import pytest
from segl.compiler.api import compile_file, to_kpi_sql, to_sql
from sqlglot import exp

from tests.conftest import EXAMPLE_ENTRIES, ROOT, parse_back

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
    expected |= {kpi_snapshot_path(d) for d in DIALECTS}
    expected |= {SNAPSHOTS / "shop" / f"correlated.{d}.sql" for d in DIALECTS}  # its own test
    assert set(SNAPSHOTS.rglob("*.sql")) <= expected


def test_compiled_sql_is_stable_across_runs(compilations, monkeypatch):
    monkeypatch.chdir(ROOT)
    entry = EXAMPLE_ENTRIES[0]
    first = to_sql(compilations[entry], "duckdb", "2026-06-30", file_paths="relative")
    again = to_sql(compile_file(entry.relative_to(ROOT)), "duckdb", "2026-06-30",
                   file_paths="relative")
    assert first == again


# ---------------------------------------------------------------- the KPI query

SHOP = ROOT / "examples/shop/shop.seg"


def kpi_snapshot_path(dialect: str) -> Path:
    return SNAPSHOTS / "shop" / f"kpis.{dialect}.sql"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_kpi_snapshot(dialect, compilations, monkeypatch):
    """`segl compile --kpis`: GROUPING SETS where the dialect has them, UNION ALL where not."""
    monkeypatch.chdir(ROOT)
    sql = to_kpi_sql(compilations[SHOP], dialect, "2026-06-30", file_paths="relative")
    path = kpi_snapshot_path(dialect)
    if UPDATE:
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}; create it with SEGL_UPDATE_SNAPSHOTS=1"
    assert sql == path.read_text(encoding="utf-8")
    (statement,) = parse_back(sql, dialect)
    assert statement.find(exp.Union) is not None or "GROUPING SETS" in sql
    assert ("GROUPING SETS" in sql) == (dialect not in ("sqlite", "mysql"))


def test_the_kpi_query_run_as_text_gives_the_kpi_table(compilations, monkeypatch):
    """The statement a warehouse user runs gives what `segl kpis` shows."""
    import duckdb
    from segl.runtime.api import evaluate
    from segl.runtime.kpis import kpi_table

    monkeypatch.chdir(ROOT)
    sql = to_kpi_sql(compilations[SHOP], "duckdb", "2026-06-30")
    rows = duckdb.connect().execute(sql).fetchall()
    evaluation = evaluate(SHOP, as_of="2026-06-30", kpis=True)
    groups = [g for g in kpi_table(evaluation) if g.size]
    assert [(r[0], r[1]) for r in rows] == sorted(
        ((g.kind, g.name) for g in groups), key=lambda k: (("all", "segment").index(k[0])
                                                           if k[0] != "bucket" else 2, k[1]))
    names = [name for name, _ in evaluation.plan.kpis]
    by_name = {g.name: g for g in groups}
    for row in rows:
        group = by_name[row[1]]
        assert row[2] == group.size
        assert list(row[3:3 + len(names)]) == [group.values[n] for n in names]
        assert list(row[3 + len(names):]) == [group.index[n] for n in names]
