"""`segl test`: run the `test` blocks of a file. Each test gets a fresh in-memory DuckDB with
one table per source, holding the test's rows (empty where it gives none), and its expected
members are compared with what the segments select from them."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from segl.compiler.api import (
    Compilation,
    Location,
    Model,
    Table,
    Test,
    TestRows,
    Type,
    member_outputs,
    plan_for,
    require_allowed,
)
from sqlglot import exp

from . import sql
from .engines import duckdb as duckdb_engine
from .engines import engine_module
from .engines.members import members_table

_DUCKDB_TYPES = {Type.INT: "BIGINT", Type.DECIMAL: "DECIMAL(38, 9)", Type.FLOAT: "DOUBLE",
                 Type.TEXT: "VARCHAR", Type.BOOL: "BOOLEAN", Type.DATE: "DATE",
                 Type.TIMESTAMP: "TIMESTAMP"}


@dataclass
class TestResult:
    name: str
    failures: list[str]  # one line per expectation that did not hold

    @property
    def passed(self) -> bool:
        return not self.failures


def run_tests(compilation: Compilation, names: list[str] | None = None,
              default_as_of: date | None = None, engine: str = "duckdb",
              engine_options: dict[str, object] | None = None) -> list[TestResult]:
    """Each chosen `test` block, its members computed on `engine` (docs/engines.md)."""
    model = compilation.require_ok()
    chosen = [t for t in model.tests.values() if not names or t.name in names]
    # A failure prints the keys each segment selects: its members (docs/privacy.md).
    targets = dict.fromkeys(e.segment for t in chosen for e in t.expects)
    require_allowed(model, member_outputs(model, targets, "segl test"))
    if engine != "duckdb":
        engine_module(engine)  # a clear message now for an engine that cannot run here
    return [run_test(compilation, model, test, default_as_of or date.today(), engine,
                     engine_options or {})
            for test in chosen]


def run_test(compilation: Compilation, model: Model, test: Test, default_as_of: date,
             engine: str = "duckdb", engine_options: dict[str, object] | None = None,
             ) -> TestResult:
    connection = duckdb_engine.connect()
    with tempfile.TemporaryDirectory(prefix="segl-test-") as folder:
        # Every engine reads files: the rows are written as Parquet for engines other than
        # DuckDB (which reads them from its own tables).
        files = Path(folder) if engine != "duckdb" else None
        fixture = fixture_model(model, test, connection, files)
        targets = list(dict.fromkeys(e.segment for e in test.expects))
        plan = plan_for(fixture, targets)
        when = test.as_of or default_as_of
        result = members_table(engine, replace(compilation, model=fixture), plan, when,
                               connection, engine_options)
    failures = []
    for expect in test.expects:
        column = sql.col(expect.segment)
        condition = column if expect.bucket is None else \
            exp.EQ(this=column, expression=sql.placeholder())
        members = sql.select(sql.col(plan.key), source=sql.table_ref(result.table))
        rows = sql.fetch_all(connection, members.where(condition, copy=False),
                             None if expect.bucket is None else [expect.bucket])
        actual = {row[0] for row in rows}
        if actual != set(expect.keys):
            missing = sorted(set(expect.keys) - actual, key=str)
            extra = sorted(actual - set(expect.keys), key=str)
            where = f"{expect.span}: " if expect.span else ""
            failures.append(f"{where}expect {expect.target} = {_keys(expect.keys)}: got "
                            f"{_keys(actual)} (missing {_keys(missing)}, "
                            f"unexpected {_keys(extra)})")
    connection.close()
    return TestResult(test.name, failures)


def _keys(keys) -> str:
    return "(" + ", ".join(repr(k) if isinstance(k, str) else str(k)
                           for k in sorted(keys, key=str)) + ")"


def fixture_model(model: Model, test: Test, connection, files: Path | None = None) -> Model:
    """The model with every source replaced by a table of the test's rows (with `files`,
    a Parquet file of them in that folder)."""
    given = {rows.table: rows for rows in test.rows}

    def table_for(table: Table) -> Table:
        name = f"segl_test_{table.name}"
        rows = given.get(table.name)
        columns: dict[str, str] = {}
        for column in table.columns:
            columns[column.name] = _duckdb_type(column.type, column.name, rows)
        for link in (table.key, table.entity_key, table.through_column, table.time_column):
            if link and link not in columns:
                columns[link] = _duckdb_type(Type.ANY, link, rows,
                                             time=link == table.time_column)
        for column in (rows.columns if rows else ()):
            if column not in columns:
                columns[column] = _duckdb_type(Type.ANY, column, rows)
        sql.execute(connection, sql.create_table(name, [
            sql.column_def(c, sql.data_type(t)) for c, t in columns.items()]))
        if rows and rows.rows:
            sql.execute_many(connection, sql.insert_values(name, rows.columns),
                             [list(row) for row in rows.rows])
        if files is not None:
            path = str(files / f"{len(list(files.iterdir()))}.parquet")
            sql.execute(connection, sql.copy_to(
                sql.select(exp.Star(), source=sql.table_ref(name)), path,
                {"FORMAT": "PARQUET"}))
            return replace(table, locations=(Location("parquet", path, path),))
        return replace(table, locations=(Location("table", name, None, table=(name,)),))

    return replace(
        model,
        entity=table_for(model.entity),
        events={k: table_for(t) for k, t in model.events.items()},
        lookups={k: table_for(t) for k, t in model.lookups.items()},
    )


def _duckdb_type(declared: Type, column: str, rows: TestRows | None, time: bool = False) -> str:
    if declared in _DUCKDB_TYPES:
        return _DUCKDB_TYPES[declared]
    if rows and column in rows.columns:
        index = rows.columns.index(column)
        for row in rows.rows:
            value = row[index]
            if isinstance(value, bool):
                return "BOOLEAN"
            if isinstance(value, int):
                return "BIGINT"
            if isinstance(value, Decimal):
                return "DECIMAL(38, 9)"
            if isinstance(value, datetime):
                return "TIMESTAMP"
            if isinstance(value, date):
                return "DATE"
            if isinstance(value, str):
                return "VARCHAR"
    return "TIMESTAMP" if time else "VARCHAR"
