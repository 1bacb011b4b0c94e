"""Run a plan on SQLite (standard library), in memory.

SQLite reads no Parquet: every source the plan reads is read through DuckDB and inserted
into a table `segl_<source>`. SQLite has no date, timestamp or decimal storage: dates are
stored as ISO text (`2026-06-30`), timestamps as `2026-06-30 12:00:00[.ffffff]` (what
SQLite's own DATE() and DATETIME() return, so text comparison orders them like time) and
decimals as REAL; booleans as 1 / 0.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
from segl.compiler.api import Compilation
from segl.compiler.plan import Plan
from segl.compiler.to_sql import SourceOverride

from ..bad_data import source_label
from ..errors import DataError
from .loading import (
    SourceData,
    duckdb_connection,
    duckdb_output_types,
    engine_sql,
    members_frame,
    read_sources,
    result_order,
    without_header,
)

DIALECT = "sqlite"
BATCH_ROWS = 50_000


def run_members(compilation: Compilation, plan: Plan, as_of: date,
                **options: object) -> pl.DataFrame:
    """Options: `connection` (DuckDB, reads the declared sources), `database` (a DuckDB
    file holding `table` sources), `sqlite_path` (a SQLite file to use instead of memory)."""
    reader = duckdb_connection(options)
    kpis = bool(options.get("kpis"))  # the KPI query instead of the members
    sources = read_sources(plan, reader, DIALECT)
    connection = sqlite3.connect(str(options.get("sqlite_path") or ":memory:"))
    # SQLite's own upper() and lower() change ASCII letters only; the other engines map
    # every letter ("ÉCOLE" -> "école"). Python's str methods do what they do.
    connection.create_function("upper", 1, _text_function(str.upper), deterministic=True)
    connection.create_function("lower", 1, _text_function(str.lower), deterministic=True)
    try:
        for source in sources:
            try:
                load_table(connection, reader, source)
            except OverflowError:
                raise DataError([_too_wide(plan, source)]) from None
        sql = engine_sql(compilation, plan, DIALECT, as_of,
                         {s.name: SourceOverride("table", table_name(s.name)) for s in sources},
                         kpis=kpis)
        rows = connection.execute(without_header(sql)).fetchall()
    finally:
        connection.close()
    return members_frame(rows, duckdb_output_types(compilation, plan, as_of, reader, kpis),
                         result_order(plan, kpis))


def table_name(source: str) -> str:
    return f"segl_{source}"


def load_table(connection: sqlite3.Connection, reader, source: SourceData) -> None:
    columns = ", ".join(f'"{name}" {_sqlite_type(kind)}' for name, kind in source.columns)
    name = table_name(source.name)
    connection.execute(f'DROP TABLE IF EXISTS "{name}"')
    connection.execute(f'CREATE TABLE "{name}" ({columns})')
    insert = f'INSERT INTO "{name}" VALUES ({", ".join("?" for _ in source.columns)})'
    cursor = reader.execute(f"SELECT * FROM {source.relation}")
    while rows := cursor.fetchmany(BATCH_ROWS):
        connection.executemany(insert, ([_sqlite_value(v) for v in row] for row in rows))
    connection.commit()


def _too_wide(plan: Plan, source: SourceData) -> str:
    table = plan.model.table(source.name)
    wide = [name for name, kind in source.columns
            if kind.upper() in ("HUGEINT", "UHUGEINT", "UBIGINT")]
    return (f"{source_label(table, table.locations[0])}: column "
            f"{', '.join(f'`{name}`' for name in wide) or '(unknown)'} holds a whole number "
            "beyond SQLite's 64-bit INTEGER; run it on another engine")


def _sqlite_type(duckdb_type: str) -> str:
    upper = duckdb_type.upper()
    if upper.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        return "REAL"
    if upper.startswith(("TIMESTAMP", "DATE", "VARCHAR")):
        return "TEXT"
    if upper.startswith("BOOLEAN") or "INT" in upper:
        return "INTEGER"
    return "BLOB"


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return text + f".{value.microsecond:06d}" if value.microsecond else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _text_function(method):
    def apply(value):
        return method(value) if isinstance(value, str) else value
    return apply

