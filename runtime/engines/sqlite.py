"""Run a plan on SQLite (standard library), in memory.

SQLite reads no Parquet: every source the plan reads is read through DuckDB and inserted
into a table `segl_<source>`. SQLite has no date, timestamp or decimal storage: dates are
stored as ISO text (`2026-06-30`), timestamps as `2026-06-30 12:00:00[.ffffff]` (what
SQLite's own DATE() and DATETIME() return, so text comparison orders them like time) and
decimals as REAL; booleans as 1 / 0.

Many dates (`AsOf.many`): the sources are loaded once, then the one-date query runs at each
date on that connection and the rows are stacked with the date first. SQLite joins by
nested loops and groups by sorting, so the one query over every date (`segl compile -d
sqlite --as-of RANGE`) costs more than the dates one by one: 1.1 times at 6 month-ends of
the example shop and 1.5 times at 12, with each pass's join into the entity rows
indexable (dialect rule `group_running`; about 20 times without; bench/README.md, "Many
dates on SQLite").
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
from segl.compiler.api import (
    AsOf,
    Compilation,
    Plan,
    SourceOverride,
    md5_hex,
    python_aggregates,
)
from sqlglot import exp

from .. import sql
from ..bad_data import source_label
from ..errors import DataError
from .loading import (
    SourceData,
    duckdb_connection,
    duckdb_output_types,
    engine_query,
    members_frame,
    read_sources,
    result_order,
)

DIALECT = "sqlite"
BATCH_ROWS = 50_000


def run_members(compilation: Compilation, plan: Plan, as_of: date | AsOf,
                **options: object) -> pl.DataFrame:
    """`as_of`: one date, or many (the date first, one date's query at each; above).
    Options: `connection` (DuckDB, reads the declared sources), `database` (a DuckDB
    file holding `table` sources), `sqlite_path` (a SQLite file to use instead of memory)."""
    reader = duckdb_connection(options)
    kpis = bool(options.get("kpis"))  # the KPI query instead of the members
    sources = read_sources(plan, reader, DIALECT)
    connection = connect(str(options.get("sqlite_path") or ":memory:"))
    try:
        for source in sources:
            try:
                load_table(connection, reader, source)
            except OverflowError:
                raise DataError([_too_wide(plan, source)]) from None
        tables = {s.name: SourceOverride("table", table_name(s.name)) for s in sources}
        if isinstance(as_of, AsOf) and as_of.dated:
            rows = [(day, *row) for day in as_of.dates for row in sql.fetch_all(
                connection, engine_query(plan, DIALECT, day, tables, kpis=kpis),
                dialect=DIALECT)]
        else:
            rows = sql.fetch_all(connection, engine_query(plan, DIALECT, as_of, tables,
                                                          kpis=kpis), dialect=DIALECT)
    finally:
        connection.close()
    return members_frame(rows, duckdb_output_types(plan, as_of, reader, kpis),
                         result_order(plan, kpis, as_of))


def connect(path: str = ":memory:") -> sqlite3.Connection:
    """A SQLite connection with the functions segl's SQLite queries call."""
    connection = sqlite3.connect(path)
    # SQLite's own upper() and lower() change ASCII letters only; the other engines map
    # every letter ("ÉCOLE" -> "école"). Python's str methods do what they do.
    connection.create_function("upper", 1, _text_function(str.upper), deterministic=True)
    connection.create_function("lower", 1, _text_function(str.lower), deterministic=True)
    # SQLite has no md5: experiments and the holdout hash keys with it (docs/experiments.md)
    connection.create_function("md5", 1, md5_hex, deterministic=True)
    # aggregates SQLite lacks (median, percentile, stddev): the catalogue's Python ones
    for name, function in python_aggregates().items():
        connection.create_aggregate(name, -1, _python_aggregate(function))
    return connection


def table_name(source: str) -> str:
    return f"segl_{source}"


def load_table(connection: sqlite3.Connection, reader, source: SourceData) -> None:
    """The source as a table: its columns (named as in the data, each an identifier) with
    SQLite's storage types, its rows inserted as bound values."""
    name = table_name(source.name)
    columns = [sql.column_def(column, sqlite_type(kind)) for column, kind in source.columns]
    sql.execute(connection, sql.drop_table(name), dialect=DIALECT)
    sql.execute(connection, sql.create_table(name, columns), dialect=DIALECT)
    insert = sql.insert_values(name, [column for column, _ in source.columns])
    cursor = sql.execute(reader, sql.select(exp.Star(), source=source.relation.copy()))
    convert = sqlite_rows([kind for _, kind in source.columns])
    while rows := cursor.fetchmany(BATCH_ROWS):
        sql.execute_many(connection, insert, convert(rows), dialect=DIALECT)
    connection.commit()


def _too_wide(plan: Plan, source: SourceData) -> str:
    table = plan.model.table(source.name)
    wide = [name for name, kind in source.columns
            if kind.upper() in ("HUGEINT", "UHUGEINT", "UBIGINT")]
    return (f"{source_label(table, table.locations[0])}: column "
            f"{', '.join(f'`{name}`' for name in wide) or '(unknown)'} holds a whole number "
            "beyond SQLite's 64-bit INTEGER; run it on another engine")


def sqlite_type(duckdb_type: str) -> exp.DataType:
    upper = duckdb_type.upper()
    if upper.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        kind = exp.DataType.Type.DOUBLE  # (SQLite: REAL)
    elif upper.startswith(("TIMESTAMP", "DATE", "VARCHAR")):
        kind = exp.DataType.Type.TEXT
    elif upper.startswith("BOOLEAN") or "INT" in upper:
        kind = exp.DataType.Type.INT  # (SQLite: INTEGER)
    else:
        kind = exp.DataType.Type.VARBINARY  # (SQLite: BLOB)
    return exp.DataType(this=kind)


def sqlite_value(value: object) -> object:
    """A value DuckDB returned as SQLite stores it: a timestamp as UTC text
    `YYYY-MM-DD HH:MM:SS[.ffffff]` (four-digit years: `strftime("%Y")` wrote year 1 as `1`), a
    date as `YYYY-MM-DD`, a decimal as a float; anything else as it is."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


# DuckDB types whose Python values SQLite stores as they are (sqlite_value returns them)
STORED_AS_THEY_ARE = frozenset({"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT",
                                "UTINYINT", "USMALLINT", "UINTEGER", "FLOAT", "DOUBLE",
                                "VARCHAR"})


def sqlite_rows(kinds: list[str]):
    """A function from a batch of DuckDB rows (columns of `kinds`, DuckDB type names) to the
    rows to insert: sqlite_value applied to the columns of the other types only (a value
    at a time for every column made loading the example shop into SQLite 80% of its run)."""
    convert = [index for index, kind in enumerate(kinds)
               if kind.upper() not in STORED_AS_THEY_ARE]
    if not convert:
        return lambda rows: rows

    def rows_to_insert(rows):
        for row in rows:
            values = list(row)
            for index in convert:
                values[index] = sqlite_value(values[index])
            yield values
    return rows_to_insert


def _text_function(method):
    def apply(value):
        return method(value) if isinstance(value, str) else value
    return apply


def _python_aggregate(function):
    """An aggregate class for sqlite3: collects the values, then calls `function(values,
    *params)` (the constant arguments after the value, as floats)."""
    class Aggregate:
        def __init__(self) -> None:
            self.values: list[object] = []
            self.params: tuple[float, ...] = ()

        def step(self, value: object, *params: object) -> None:
            self.params = tuple(float(p) for p in params)  # type: ignore[arg-type]
            if value is not None:
                self.values.append(value)

        def finalize(self) -> object:
            return function(self.values, *self.params)
    return Aggregate
