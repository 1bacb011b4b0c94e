"""Warehouse table targets of `segl export` (`to table "schema.name"`, docs/activation.md).

The table goes to the database of the engine the export runs on: DuckDB's (`--db`; also for
Polars, whose members are held in DuckDB), PostgreSQL's (`--target URL` or the embedded
server), a SQLite file (`--target FILE`), Spark's catalog, a chdb (ClickHouse) database folder
(`--target DIR`, runtime/export_clickhouse.py). The rows come from a query on the in-process
DuckDB connection (where every engine's members are). Created or replaced so that a failed
write leaves the table as it was: in one transaction on DuckDB, PostgreSQL and SQLite (their
DDL is transactional); on Spark, which has none, written completely under a staging name
first and swapped in (drop the old, rename the new) only then; on ClickHouse built under a
temporary name and exchanged atomically (`CREATE OR REPLACE TABLE`). `mode merge` on Spark
and ClickHouse, which have no transactional MERGE on plain tables, is the same swap: the
table holds what a merge would leave (the rows of `mode full`), as a new table.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlglot import exp

from . import sql
from .errors import DataError, UsageError
from .export_merge import STAGED, merge_statements

BATCH_ROWS = 50_000
STAGING = "__segl_new"  # suffix of the name a Spark table is written under first
WAREHOUSES = ("duckdb", "polars", "postgres", "sqlite", "spark", "clickhouse")
SWAPPED = ("spark", "clickhouse")  # `mode merge` is a create-or-replace swap there


def table_problem(engine: str, engine_options: dict, merge: bool = False) -> str | None:
    """Why a table target (`merge`: `mode merge`) cannot be written on `engine` (None when
    it can)."""
    if engine not in WAREHOUSES:
        return (f"`to table` is written on DuckDB, PostgreSQL, SQLite, Spark and ClickHouse, "
                f"not on {engine}: run the export with one of those engines, or export to a "
                "file")
    if engine == "sqlite" and not engine_options.get("sqlite_path"):
        return "a `to table` export on SQLite needs the database file: --target FILE"
    if engine == "clickhouse" and not engine_options.get("chdb_path"):
        return ("a `to table` export on ClickHouse needs the chdb database folder that keeps "
                "the table: --target DIR")
    return None


def write_table(connection, table: tuple[str, ...], rows: exp.Select, engine: str,
                engine_options: dict, merge_key: str | None = None) -> None:
    """Create or replace `table` with `rows` (a query on the DuckDB `connection`); with
    `merge_key` (`mode merge`), create it when missing and merge the rows into it by that
    key (runtime/export_merge.py)."""
    problem = table_problem(engine, engine_options, merge_key is not None)
    if problem:
        raise UsageError(problem)
    try:
        if engine in ("duckdb", "polars"):
            _duckdb_table(connection, table, rows, merge_key)
        elif engine == "postgres":
            _postgres_table(connection, table, rows, engine_options, merge_key)
        elif engine == "sqlite":
            _sqlite_table(connection, table, rows, str(engine_options["sqlite_path"]),
                          merge_key)
        elif engine == "clickhouse":
            from . import export_clickhouse

            export_clickhouse.write(connection, table, rows, engine_options)
        else:
            _spark_table(connection, table, rows, engine_options)
    except Exception as exc:
        if merge_key is None or engine in SWAPPED or not _engine_error(exc):
            raise
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError([f"cannot merge into table `{'.'.join(table)}` (left as it was): "
                         f"{reason} (a table whose columns are not the export's key and "
                         "traits: export once with `mode full` to recreate it)"]) from None


def _engine_error(exc: Exception) -> bool:
    """An error the warehouse raised about the statements (a column that differs)."""
    import sqlite3

    import duckdb

    if isinstance(exc, duckdb.Error | sqlite3.Error):
        return True
    try:
        import psycopg
    except ImportError:  # (without the postgres extra)
        return False
    return isinstance(exc, psycopg.Error)


def batches(cursor) -> Iterator[list[tuple]]:
    """The rows of a DuckDB cursor, a batch at a time."""
    while rows := cursor.fetchmany(BATCH_ROWS):
        yield rows


def _columns(connection, rows: exp.Select) -> list[tuple[str, str]]:
    """Names and DuckDB types of the rows."""
    return [(row[0], row[1]) for row in sql.fetch_all(connection, sql.describe(rows))]


def _transaction(target, statements, fill, dialect: str, after=()) -> None:
    """BEGIN; statements; fill(); after; COMMIT, or ROLLBACK on any failure."""
    sql.execute(target, exp.Transaction(), dialect=dialect)
    try:
        for statement in statements:
            sql.execute(target, statement, dialect=dialect)
        fill()
        for statement in after:
            sql.execute(target, statement, dialect=dialect)
        sql.execute(target, exp.Commit(), dialect=dialect)
    except BaseException:
        sql.execute(target, exp.Rollback(), dialect=dialect)
        raise


def _duckdb_table(connection, table: tuple[str, ...], rows: exp.Select,
                  merge_key: str | None) -> None:
    *schema, _ = table
    statements = [exp.Create(this=sql.table_ref(*schema), kind="SCHEMA", exists=True)] \
        if schema else []
    if merge_key is None:
        statements.append(exp.Create(this=sql.table_ref(*table), kind="TABLE",
                                     expression=rows, replace=True))
        _transaction(connection, statements, lambda: None, "duckdb")
        return
    columns = [name for name, _ in _columns(connection, rows)]
    sql.execute(connection, sql.create_table_as(STAGED, rows))
    statements.append(exp.Create(this=sql.table_ref(*table), kind="TABLE", exists=True,
                                 expression=sql.select(exp.Star(), source=sql.table_ref(
                                     STAGED)).where(exp.false())))
    _transaction(connection, statements, lambda: None, "duckdb",
                 merge_statements(table, columns, merge_key))


def _replacing(table: tuple[str, ...], columns: list[exp.ColumnDef],
               merge: bool = False) -> list[exp.Expression]:
    """Create the schema; drop and create the table (`merge`: create the table when missing,
    and the temporary table STAGED the rows go to)."""
    *schema, _ = table
    statements: list[exp.Expression] = [
        exp.Create(this=sql.table_ref(*schema), kind="SCHEMA", exists=True)] if schema else []
    if not merge:
        statements.append(sql.drop_table(*table))
    statements.append(exp.Create(this=exp.Schema(this=sql.table_ref(*table),
                                                 expressions=columns), kind="TABLE",
                                 exists=merge))
    if merge:
        statements.append(sql.create_table(STAGED, [c.copy() for c in columns],
                                           temporary=True))
    return statements


def _postgres_table(connection, table: tuple[str, ...], rows: exp.Select,
                    engine_options: dict, merge_key: str | None) -> None:
    import psycopg

    from .engines.postgres import embedded_url, postgres_type

    columns = _columns(connection, rows)
    url = str(engine_options.get("url") or embedded_url())
    try:
        target = psycopg.connect(url, autocommit=True)
    except psycopg.Error as exc:
        raise DataError([f"cannot connect to PostgreSQL: {str(exc).strip().splitlines()[0]}"]
                        ) from None
    definitions = [sql.column_def(name, postgres_type(kind)) for name, kind in columns]
    filled = (STAGED,) if merge_key else table
    copy_in = exp.Copy(this=sql.table_ref(*filled), kind=True, files=[exp.var("STDIN")])

    def fill() -> None:
        cursor = sql.execute(connection, rows)
        with target.cursor() as pg, sql.postgres_copy(pg, copy_in) as copy:
            for batch in batches(cursor):
                for row in batch:
                    copy.write_row(row)

    after = merge_statements(table, [c for c, _ in columns], merge_key) if merge_key else ()
    with target:
        _transaction(target, _replacing(table, definitions, merge_key is not None), fill,
                     "postgres", after)


def _sqlite_table(connection, table: tuple[str, ...], rows: exp.Select, path: str,
                  merge_key: str | None) -> None:
    """SQLite has no schemas: the table is named by the last part of the name."""
    import sqlite3

    from .engines.sqlite import sqlite_rows, sqlite_type

    name = table[-1]
    columns = _columns(connection, rows)
    target = sqlite3.connect(path, isolation_level=None)  # (BEGIN and COMMIT are segl's)
    definitions = [sql.column_def(column, sqlite_type(kind)) for column, kind in columns]
    insert = sql.insert_values(STAGED if merge_key else name, [column for column, _ in columns])

    def fill() -> None:
        cursor = sql.execute(connection, rows)
        convert = sqlite_rows([kind for _, kind in columns])
        for batch in batches(cursor):
            sql.execute_many(target, insert, convert(batch), dialect="sqlite")

    after = merge_statements((name,), [c for c, _ in columns], merge_key) if merge_key else ()
    try:
        _transaction(target, _replacing((name,), definitions, merge_key is not None), fill,
                     "sqlite", after)
    finally:
        target.close()


def _spark_table(connection, table: tuple[str, ...], rows: exp.Select,
                 engine_options: dict) -> None:
    from .engines.spark import session

    spark = session(engine_options.get("master"))  # type: ignore[arg-type]
    *schema, name = table
    staging = (*schema, name + STAGING)
    with tempfile.TemporaryDirectory(prefix="segl-export-") as folder:
        path = str(Path(folder) / "rows.parquet")
        sql.execute(connection, sql.copy_to(rows, path, {"FORMAT": "parquet"}))
        parquet = exp.Table(this=exp.Identifier(this=path, quoted=True),
                            db=exp.Identifier(this="parquet"))
        if schema:
            sql.spark_sql(spark, exp.Create(this=sql.table_ref(*schema), kind="SCHEMA",
                                            exists=True))
        sql.spark_sql(spark, sql.drop_table(*staging))
        try:
            sql.spark_sql(spark, exp.Create(
                this=sql.table_ref(*staging), kind="TABLE",
                properties=exp.Properties(expressions=[exp.FileFormatProperty(
                    this=exp.var("parquet"))]),
                expression=sql.select(exp.Star(), source=parquet)))
        except BaseException:
            sql.spark_sql(spark, sql.drop_table(*staging))
            raise
    sql.spark_sql(spark, sql.drop_table(*table))
    sql.spark_sql(spark, exp.Alter(this=sql.table_ref(*staging), kind="TABLE",
                                   actions=[exp.AlterRename(this=sql.table_ref(*table))]))
