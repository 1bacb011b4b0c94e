"""`segl snapshot --into` a PostgreSQL, SQLite or Spark table (issue 11 item 3): the same
intervals as the plain-Python rule of docs/time.md (tests/time/small_shop.py) and as the
DuckDB file; idempotent; late data repaired; an injected failure mid-write leaves both
tables as they were (or absent); `segl history --history` reads them back."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid

import psycopg
import pytest
from segl.runtime import history_engines
from segl.runtime.changes import Source, history
from segl.runtime.errors import OutputError
from segl.runtime.snapshot import snapshot

from tests.rows import history_queries, spark_database
from tests.time.small_shop import MONTH_ENDS, ORDERS, intervals, memberships, write_project

from .conftest import OTHER_ENGINES

TARGETS = [name for name in ("postgres", "sqlite", "spark")
           if name in OTHER_ENGINES or name == "sqlite"]


@pytest.fixture
def target(request, tmp_path):
    """(--into value, a function reading (intervals, dates) back in order, injection point)"""
    kind = request.param
    table = f"h_{uuid.uuid4().hex[:8]}"
    if kind == "sqlite":
        path = tmp_path / "history.sqlite"

        def read():
            if not path.exists():
                return None
            with sqlite3.connect(path) as connection:
                names = {r[0] for r in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
                if table not in names:
                    return None
                rows_query, dates_query = history_queries(table, "sqlite")
                rows = connection.execute(rows_query).fetchall()
                dates = connection.execute(dates_query).fetchall()

            def day(v):
                return None if v is None else dt.date.fromisoformat(v)
            return ([(e, o, g, day(f), day(t)) for e, o, g, f, t in rows],
                    [(o, day(d)) for o, d in dates])
        yield f"sqlite:{path}", table, read, (history_engines.SqliteStore, "insert")
        return
    if kind == "postgres":
        url = request.getfixturevalue("postgres_url")

        def read():
            with psycopg.connect(url) as connection:
                if connection.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None:
                    return None
                rows_query, dates_query = history_queries(table, "postgres")
                rows = connection.execute(rows_query).fetchall()
                dates = connection.execute(dates_query).fetchall()
            return [tuple(r) for r in rows], [tuple(r) for r in dates]
        yield url, table, read, (history_engines.PostgresStore, "insert")
        return
    from segl.runtime.engines.spark import session

    spark = session()
    database = f"segl_{uuid.uuid4().hex[:8]}"
    spark.sql(spark_database(database, str(tmp_path / "warehouse")))

    def read():
        if not spark.catalog.tableExists(f"{database}.{table}"):
            return None
        rows_query, dates_query = history_queries(table, "spark", database)
        rows, dates = spark.sql(rows_query).collect(), spark.sql(dates_query).collect()
        return [tuple(r) for r in rows], [tuple(r) for r in dates]
    yield f"spark:{database}", table, read, (history_engines.SparkStore, "stage")
    spark.sql(spark_database(database, drop=True))


def expected(days, orders=ORDERS, late_day=None, late=None):
    points = {day: memberships(day, orders) for day in days}
    if late_day is not None:
        points[late_day] = memberships(late_day, late)
    return intervals(points)


def all_dates(days):
    return sorted((o, d) for o in ("active", "level") for d in days)


@pytest.mark.parametrize("target", TARGETS, indirect=True)
def test_intervals_on_the_target_follow_the_rule(tmp_path, target):
    into, table, read, _ = target
    seg = write_project(tmp_path)
    result = snapshot(seg, MONTH_ENDS, into, table)
    rows, dates = read()
    assert rows == expected(MONTH_ENDS)
    assert dates == all_dates(MONTH_ENDS)
    assert result.rows == len(rows) and result.recorded == len(dates)
    snapshot(seg, MONTH_ENDS, into, table)  # again: the same table
    assert read() == (rows, dates)
    if not into.startswith("spark:"):  # (the rule is DuckDB's whatever the target: once)
        # dates in two runs, the second between the first's: the same table again
        other = f"{table}_b"
        snapshot(seg, MONTH_ENDS[::2], into, other)
        snapshot(seg, MONTH_ENDS[1::2], into, other)
        assert snapshot(seg, MONTH_ENDS[:1], into, other).rows == len(rows)
    # read back by `segl history` as from the DuckDB file
    found = history(seg, Source(into=into, table=table))
    from_file = tmp_path / "h.duckdb"
    snapshot(seg, MONTH_ENDS, str(from_file))
    assert found.rows == history(seg, Source(into=str(from_file))).rows


@pytest.mark.parametrize("target", TARGETS, indirect=True)
def test_late_data_is_repaired_on_the_target(tmp_path, target):
    into, table, read, _ = target
    seg = write_project(tmp_path)
    snapshot(seg, MONTH_ENDS, into, table)
    late = [*ORDERS, (6, dt.date(2026, 3, 20)), (4, dt.date(2026, 3, 25))]
    write_project(tmp_path, late)
    snapshot(seg, [MONTH_ENDS[2]], into, table)
    rows, _ = read()
    assert rows == expected(MONTH_ENDS, late_day=MONTH_ENDS[2], late=late)
    assert rows != expected(MONTH_ENDS)


@pytest.mark.parametrize("existing", [True, False])
@pytest.mark.parametrize("target", TARGETS, indirect=True)
def test_a_failure_mid_write_leaves_the_target_as_it_was(tmp_path, target, monkeypatch,
                                                        existing):
    into, table, read, (store, method) = target
    seg = write_project(tmp_path)
    if existing:
        snapshot(seg, MONTH_ENDS[:3], into, table)
    before = read()
    calls = []
    original = getattr(store, method)

    def crash(self, name, *args):  # the second table: the first one's rows are replaced
        calls.append(name)
        if len(calls) == 2:
            raise RuntimeError("disk unplugged")
        return original(self, name, *args)

    monkeypatch.setattr(store, method, crash)
    with pytest.raises(RuntimeError, match="disk unplugged"):
        snapshot(seg, MONTH_ENDS, into, table)
    assert len(calls) == 2
    assert read() == before
    monkeypatch.setattr(store, method, original)
    snapshot(seg, MONTH_ENDS, into, table)
    assert read()[0] == expected(MONTH_ENDS)


def test_unreachable_targets_are_named_not_crashed_on(tmp_path):
    seg = write_project(tmp_path)
    with pytest.raises(OutputError, match="cannot connect to PostgreSQL"):
        snapshot(seg, MONTH_ENDS[:1], "postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(OutputError, match="SQLite"):
        snapshot(seg, MONTH_ENDS[:1], f"sqlite:{tmp_path / 'no' / 'such' / 'h.sqlite'}")


def test_cli_records_into_sqlite_and_history_reads_it_back(tmp_path):
    from click.testing import CliRunner
    from segl.runtime.cli import main

    seg = write_project(tmp_path)
    into = f"sqlite:{tmp_path / 'h.sqlite'}"
    runner = CliRunner()
    done = runner.invoke(main, ["snapshot", str(seg), "--as-of", "2026-01-31..2026-06-30",
                                "--into", into], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert f"into {into}:segl_history" in done.output
    shown = runner.invoke(main, ["history", str(seg), "--history", into, "--format", "csv"],
                          catch_exceptions=False)
    evaluated = runner.invoke(main, ["history", str(seg), "--from", "2026-01-31", "--to",
                                     "2026-06-30", "--format", "csv"], catch_exceptions=False)
    assert shown.exit_code == 0 and shown.output == evaluated.output


def test_a_table_of_another_shape_is_named_not_crashed_on(tmp_path):
    from segl.runtime.errors import UsageError

    seg = write_project(tmp_path)
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE segl_history (x TEXT)")
        connection.execute("CREATE TABLE segl_history_dates (y TEXT)")
        connection.execute("INSERT INTO segl_history VALUES ('keep me')")
    with pytest.raises(OutputError, match="not a segl history table"):
        snapshot(seg, MONTH_ENDS[:1], f"sqlite:{path}")
    with pytest.raises(UsageError, match="not a segl history table"):
        history(seg, Source(into=f"sqlite:{path}"))
    with pytest.raises(UsageError, match="holds no history table `nope`"):
        history(seg, Source(into=f"sqlite:{path}", table="nope"))
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT x FROM segl_history").fetchall() == [("keep me",)]
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(UsageError, match="no SQLite file"):
        history(seg, Source(into=f"sqlite:{missing}"))
    assert not missing.exists()


@pytest.mark.skipif("postgres" not in OTHER_ENGINES, reason="no PostgreSQL here")
def test_postgres_writers_wait_for_each_other(tmp_path, postgres_url, monkeypatch):
    import threading
    import time

    seg = write_project(tmp_path)
    table = f"h_{uuid.uuid4().hex[:8]}"
    store = history_engines.PostgresStore
    locking, reads, done = threading.Event(), [], []
    lock, read = store.lock, store.read
    monkeypatch.setattr(store, "lock", lambda self, t: (locking.set(), lock(self, t)))
    monkeypatch.setattr(store, "read", lambda self, t: (reads.append(t), read(self, t))[1])
    key = f"segl_history:{table}"
    with psycopg.connect(postgres_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])  # another run's
        writer = threading.Thread(target=lambda: done.append(
            snapshot(seg, MONTH_ENDS[:2], postgres_url, table)))
        writer.start()
        assert locking.wait(timeout=120)
        time.sleep(1)
        assert not reads and writer.is_alive()  # it waits before reading the table
        other.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
        writer.join(timeout=120)
    assert reads == [table]
    assert done and done[0].rows == len(expected(MONTH_ENDS[:2]))
