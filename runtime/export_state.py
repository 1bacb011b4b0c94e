"""The state of a `mode changes` export to a PostgreSQL, SQLite, Spark or ClickHouse table
(docs/activation.md): the keys it exported at each as_of, kept in the warehouse beside the
table as `NAME__segl_state` (columns `as_of`, `key`), so that whoever runs the export next,
from any machine, compares with the same baseline.

The state is read whole into the DuckDB temporary table ALL (where the baseline is taken and
the new state computed, as for a DuckDB table) and written back through `write_table`:
create-or-replace in one transaction on PostgreSQL and SQLite, staged and swapped on Spark,
exchanged atomically on ClickHouse.
It is written after the export's table; a failure between the two leaves the old state,
which a re-run at the same as_of compares with again (the baseline is the latest state
*before* as_of), so the re-run writes the same rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import polars as pl
from sqlglot import exp

from . import sql
from .errors import DataError

ALL = "segl_state_all"  # temporary, in DuckDB: every (as_of, key) the warehouse holds
_STAGE = "segl_state_read"  # the rows read, registered as a frame
WAREHOUSES = ("postgres", "sqlite", "spark", "clickhouse")


def in_warehouse(engine: str) -> bool:
    """Whether a table target's state is kept in the warehouse (not in DuckDB)."""
    return engine in WAREHOUSES


def load(connection, table: tuple[str, ...], key_type: str, engine: str,
         engine_options: dict, columns: tuple[str, str]) -> bool:
    """Read the warehouse's state table (parts `table`) into ALL with the key cast to
    `key_type` (the export's key's DuckDB type; ALL is empty when the warehouse has no
    state). Whether the warehouse has one."""
    rows = _READERS[engine](table, engine_options, columns)
    sql.execute(connection, sql.drop_table(ALL))
    found = rows is not None
    rows = rows or []
    as_of, key = columns
    frame = pl.DataFrame([list(r) for r in rows], schema=[as_of, key], orient="row",
                         infer_schema_length=None) if rows else \
        pl.DataFrame({as_of: [], key: []}, schema={as_of: pl.Utf8, key: pl.Utf8})
    connection.register(_STAGE, frame)
    try:
        sql.execute(connection, sql.create_table_as(ALL, sql.select(
            sql.aliased(exp.cast(sql.col(as_of), exp.DataType.Type.DATE), as_of),
            sql.aliased(exp.cast(sql.col(key), sql.data_type(key_type)), key),
            source=sql.table_ref(_STAGE))))
    except Exception as exc:  # (duckdb.Error: a value that is no date or key)
        name = ".".join(table)
        raise DataError([f"`{name}` is not the state of a segl export ({exc}): drop it to "
                         "start again from no baseline"]) from None
    finally:
        connection.unregister(_STAGE)
    return found


def _postgres(table: tuple[str, ...], engine_options: dict,
              columns: tuple[str, str]) -> list[tuple] | None:
    import psycopg

    from .engines.postgres import embedded_url

    url = str(engine_options.get("url") or embedded_url())
    try:
        with psycopg.connect(url, autocommit=True) as connection:
            found = sql.fetch_one(connection, sql.select(exp.func(
                "to_regclass", sql.placeholder())), [".".join(table)], dialect="postgres")
            if found[0] is None:
                return None
            return sql.fetch_all(connection, _read(table, columns), dialect="postgres")
    except psycopg.Error as exc:
        raise DataError([f"cannot read the export's state `{'.'.join(table)}` on "
                         f"PostgreSQL: {str(exc).strip().splitlines()[0]}"]) from None


def _sqlite(table: tuple[str, ...], engine_options: dict,
            columns: tuple[str, str]) -> list[tuple] | None:
    name = table[-1]  # (SQLite has no schemas: runtime/export_tables.py)
    connection = sqlite3.connect(str(engine_options["sqlite_path"]))
    try:
        found = sql.fetch_all(connection, sql.select(
            sql.col("name"), source=sql.table_ref("sqlite_master")).where(
            exp.EQ(this=sql.col("name"), expression=sql.placeholder())), [name],
            dialect="sqlite")
        if not found:
            return None
        return sql.fetch_all(connection, _read((name,), columns), dialect="sqlite")
    finally:
        connection.close()


def _spark(table: tuple[str, ...], engine_options: dict,
           columns: tuple[str, str]) -> list[tuple] | None:
    from .engines.spark import session

    spark = session(engine_options.get("master"))  # type: ignore[arg-type]
    if not spark.catalog.tableExists(".".join(table)):
        return None
    as_of, key = columns
    # (the date as text: DuckDB casts it back, whatever Python type Spark gives)
    query = sql.select(sql.aliased(exp.cast(sql.col(as_of), exp.DataType.Type.TEXT), as_of),
                       sql.col(key), source=sql.table_ref(*table))
    return [tuple(row) for row in sql.spark_sql(spark, query).collect()]


def _clickhouse(table: tuple[str, ...], engine_options: dict,
                columns: tuple[str, str]) -> list[tuple] | None:
    import io

    from .engines.clickhouse import session
    from .export_clickhouse import DEFAULT_DATABASE

    *schema, name = table
    parts = (schema[-1] if schema else DEFAULT_DATABASE, name)
    chdb = session(str(engine_options["chdb_path"]))
    exists = sql.select(sql.count_all(), source=sql.table_ref("system", "tables")).where(
        exp.and_(exp.EQ(this=sql.col("database"), expression=sql.text(parts[0])),
                 exp.EQ(this=sql.col("name"), expression=sql.text(name))))
    if int(str(sql.chdb_query(chdb, exists, "CSV")).strip() or 0) == 0:
        return None
    as_of, key = columns
    query = sql.select(sql.aliased(exp.cast(sql.col(as_of), exp.DataType.Type.TEXT), as_of),
                       sql.col(key), source=sql.table_ref(*parts))
    found = sql.chdb_query(chdb, query, "ArrowStream")
    return pl.read_ipc_stream(io.BytesIO(found.bytes())).rows()


def _read(table: tuple[str, ...], columns: tuple[str, str]) -> exp.Select:
    return sql.select(*(sql.col(c) for c in columns), source=sql.table_ref(*table))


_READERS: dict[str, Callable[[tuple[str, ...], dict, tuple[str, str]], list[tuple] | None]] = {
    "postgres": _postgres, "sqlite": _sqlite, "spark": _spark, "clickhouse": _clickhouse}
