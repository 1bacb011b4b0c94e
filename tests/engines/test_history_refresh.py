"""`segl compile --materialize history` run as a scheduler runs it (issue 11 item 5): the
emitted script, statement by statement with `as_of` bound, for each month-end in turn on
DuckDB, SQLite and PostgreSQL, over the same data loaded as tables there, gives the table
`segl snapshot` records (and the plain-Python rule of docs/time.md); re-running a date
changes nothing; a date before the latest one changes nothing either."""

from __future__ import annotations

import datetime as dt
import sqlite3

import duckdb
import psycopg
import pytest
from click.testing import CliRunner
from segl.runtime import sql
from segl.runtime.cli import main
from segl.runtime.snapshot import snapshot
from sqlglot import exp

from tests.time.small_shop import CUSTOMERS, MONTH_ENDS, ORDERS, intervals, memberships
from tests.time.small_shop import write_project as write_files

from .conftest import OTHER_ENGINES

ENGINES = ["duckdb", "sqlite", *(["postgres"] if "postgres" in OTHER_ENGINES else [])]
PLACEHOLDER = {"duckdb": "$as_of", "sqlite": ":as_of", "postgres": "%(as_of)s"}


def history_query(*table: str) -> exp.Select:
    """The history table's intervals, ordered by object, entity and start (a tree)."""
    return sql.select(*(sql.col(c) for c in ("entity", "object", "group", "valid_from",
                                             "valid_to")), source=sql.table_ref(*table)
                      ).order_by(*(exp.Literal.number(n) for n in (2, 1, 4)))


def dates_query(*table: str) -> exp.Select:
    return sql.select(sql.col("object"), sql.col("as_of"), source=sql.table_ref(*table)
                      ).order_by(exp.Literal.number(1), exp.Literal.number(2))


def column(name: str, kind: str) -> exp.ColumnDef:
    return sql.column_def(name, exp.DataType.build(kind))


def write_project(folder):
    """The small shop, its sources also readable as tables `customers` and `orders`."""
    seg = write_files(folder)
    text = seg.read_text()
    for name in ("customers", "orders"):
        text = text.replace(f'{name}.parquet"', f'{name}.parquet", table "{name}"')
    seg.write_text(text)
    return seg


def statements(seg, dialect: str, table: str = "segl_history") -> list[str]:
    done = CliRunner().invoke(main, ["compile", str(seg), "--materialize", "history", "-d",
                                     dialect, "--table", table], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    body = "\n".join(line for line in done.stdout.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";\n\n") if s.strip().rstrip(";")]


def orders_rows(text_time: bool):
    return [(c, f"{d} 12:00:00" if text_time else dt.datetime.combine(d, dt.time(12)), 10.0)
            for c, d in ORDERS]


class Runner:
    """Run the script's statements on one engine, as a scheduler would."""

    def __init__(self, engine: str, tmp_path, request) -> None:
        self.engine = engine
        if engine == "duckdb":
            self.connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
        elif engine == "sqlite":
            self.connection = sqlite3.connect(tmp_path / "warehouse.sqlite",
                                              isolation_level=None)
        else:
            url = request.getfixturevalue("postgres_url")
            self.connection = psycopg.connect(url, autocommit=True)
            for table in ("segl_history", "segl_history_dates", "customers", "orders"):
                self.execute(sql.drop_table(table))
        timestamp = "TEXT" if engine == "sqlite" else "TIMESTAMP"
        self.execute(sql.create_table("customers", [column("customer_id", "BIGINT"),
                                                    column("city", "TEXT")]))
        self.execute(sql.create_table("orders", [column("customer_id", "BIGINT"),
                                                 column("ordered_at", timestamp),
                                                 column("amount", "DOUBLE PRECISION")]))
        cursor = self.connection.cursor()
        sql.execute_many(cursor, sql.insert_values("customers", ["customer_id", "city"]),
                         [(c, "x") for c in CUSTOMERS], engine)
        sql.execute_many(cursor, sql.insert_values(
            "orders", ["customer_id", "ordered_at", "amount"]), orders_rows(engine == "sqlite"),
            engine)

    def execute(self, statement):
        return sql.execute(self.connection, statement, dialect=self.engine)

    def run(self, script: list[str], day: dt.date) -> None:
        for statement in script:
            if PLACEHOLDER[self.engine] in statement:
                self.connection.execute(statement, {"as_of": day.isoformat()})
            else:
                self.connection.execute(statement)

    def table(self, name: str = "segl_history") -> list[tuple]:
        *schema, table = name.split(".")
        rows = self.execute(history_query(*schema, table)).fetchall()
        dates = self.execute(dates_query(*schema, f"{table}_dates")).fetchall()

        def day(value):
            return dt.date.fromisoformat(value) if isinstance(value, str) else value
        return ([(e, o, g, day(f), day(t)) for e, o, g, f, t in rows],
                [(o, day(d)) for o, d in dates])


def recorded(path) -> tuple[list[tuple], list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return (sql.fetch_all(connection, history_query("segl_history")),
                sql.fetch_all(connection, dates_query("segl_history_dates")))


@pytest.mark.parametrize("engine", ENGINES)
def test_the_daily_refresh_gives_what_segl_snapshot_records(engine, tmp_path, request):
    seg = write_project(tmp_path)
    snapshot(seg, MONTH_ENDS, str(tmp_path / "h.duckdb"))
    want = recorded(tmp_path / "h.duckdb")
    assert want[0] == intervals({day: memberships(day) for day in MONTH_ENDS})
    runner = Runner(engine, tmp_path, request)
    script = statements(seg, engine)
    for index, day in enumerate(MONTH_ENDS):
        runner.run(script, day)
        if index == 2:  # a re-run of the latest date: the same table
            before = runner.table()
            runner.run(script, day)
            assert runner.table() == before
            assert before[0] == intervals({d: memberships(d) for d in MONTH_ENDS[:3]})
    assert runner.table() == want
    runner.run(script, MONTH_ENDS[-1])  # again: idempotent
    runner.run(script, MONTH_ENDS[1])  # before the latest date: left to segl snapshot
    assert runner.table() == want


@pytest.mark.parametrize("engine", [e for e in ENGINES if e != "sqlite"])
def test_a_table_in_a_schema(engine, tmp_path, request):
    seg = write_project(tmp_path)
    snapshot(seg, MONTH_ENDS[:3], str(tmp_path / "h.duckdb"))
    runner = Runner(engine, tmp_path, request)
    marts = exp.Table(db=sql.ident("marts"))
    runner.execute(exp.Drop(tables=[marts], kind="SCHEMA", exists=True, cascade=True))
    runner.execute(exp.Create(this=marts.copy(), kind="SCHEMA"))
    script = statements(seg, engine, "marts.customer_history")
    for day in MONTH_ENDS[:3]:
        runner.run(script, day)
    assert runner.table("marts.customer_history") == recorded(tmp_path / "h.duckdb")
