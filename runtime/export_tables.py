"""Warehouse table targets of `segl export` (`to table "schema.name"`, docs/activation.md).

The table goes to the database of the engine the export runs on: DuckDB's (`--db`; also for
Polars, whose members are held in DuckDB), PostgreSQL's (`--target URL` or the embedded
server), a SQLite file (`--target FILE`), Spark's catalog. The rows come from a query on the
in-process DuckDB connection (where every engine's members are). Created or replaced so that
a failed write leaves the table as it was: in one transaction on DuckDB, PostgreSQL and
SQLite (their DDL is transactional); on Spark, which has none, written completely under a
staging name first and swapped in (drop the old, rename the new) only then.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlglot import exp

from . import sql
from .errors import DataError, UsageError

BATCH_ROWS = 50_000
STAGING = "__segl_new"  # suffix of the name a Spark table is written under first
WAREHOUSES = ("duckdb", "polars", "postgres", "sqlite", "spark")


def table_problem(engine: str, engine_options: dict) -> str | None:
    """Why a table target cannot be written on `engine` (None when it can)."""
    if engine not in WAREHOUSES:
        return (f"`to table` is written on DuckDB, PostgreSQL, SQLite and Spark, not on "
                f"{engine}: run the export with one of those engines, or export to a file")
    if engine == "sqlite" and not engine_options.get("sqlite_path"):
        return "a `to table` export on SQLite needs the database file: --target FILE"
    return None


def write_table(connection, table: tuple[str, ...], rows: exp.Select, engine: str,
                engine_options: dict) -> None:
    """Create or replace `table` with `rows` (a query on the DuckDB `connection`)."""
    problem = table_problem(engine, engine_options)
    if problem:
        raise UsageError(problem)
    if engine in ("duckdb", "polars"):
        _duckdb_table(connection, table, rows)
    elif engine == "postgres":
        _postgres_table(connection, table, rows, engine_options)
    elif engine == "sqlite":
        _sqlite_table(connection, table, rows, str(engine_options["sqlite_path"]))
    else:
        _spark_table(connection, table, rows, engine_options)


def batches(cursor) -> Iterator[list[tuple]]:
    """The rows of a DuckDB cursor, a batch at a time."""
    while rows := cursor.fetchmany(BATCH_ROWS):
        yield rows


def _columns(connection, rows: exp.Select) -> list[tuple[str, str]]:
    """Names and DuckDB types of the rows."""
    return [(row[0], row[1]) for row in sql.fetch_all(connection, sql.describe(rows))]


def _transaction(target, statements, fill, dialect: str) -> None:
    """BEGIN; statements; fill(); COMMIT, or ROLLBACK on any failure."""
    sql.execute(target, exp.Transaction(), dialect=dialect)
    try:
        for statement in statements:
            sql.execute(target, statement, dialect=dialect)
        fill()
        sql.execute(target, exp.Commit(), dialect=dialect)
    except BaseException:
        sql.execute(target, exp.Rollback(), dialect=dialect)
        raise


def _duckdb_table(connection, table: tuple[str, ...], rows: exp.Select) -> None:
    *schema, _ = table
    statements = [exp.Create(this=sql.table_ref(*schema), kind="SCHEMA", exists=True)] \
        if schema else []
    statements.append(exp.Create(this=sql.table_ref(*table), kind="TABLE", expression=rows,
                                 replace=True))
    _transaction(connection, statements, lambda: None, "duckdb")


def _replacing(table: tuple[str, ...], columns: list[exp.ColumnDef]) -> list[exp.Expression]:
    *schema, _ = table
    statements: list[exp.Expression] = [
        exp.Create(this=sql.table_ref(*schema), kind="SCHEMA", exists=True)] if schema else []
    statements.append(sql.drop_table(*table))
    statements.append(exp.Create(this=exp.Schema(this=sql.table_ref(*table),
                                                 expressions=columns), kind="TABLE"))
    return statements


def _postgres_table(connection, table: tuple[str, ...], rows: exp.Select,
                    engine_options: dict) -> None:
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
    copy_in = exp.Copy(this=sql.table_ref(*table), kind=True, files=[exp.var("STDIN")])

    def fill() -> None:
        cursor = sql.execute(connection, rows)
        with target.cursor() as pg, sql.postgres_copy(pg, copy_in) as copy:
            for batch in batches(cursor):
                for row in batch:
                    copy.write_row(row)

    with target:
        _transaction(target, _replacing(table, definitions), fill, "postgres")


def _sqlite_table(connection, table: tuple[str, ...], rows: exp.Select, path: str) -> None:
    """SQLite has no schemas: the table is named by the last part of the name."""
    import sqlite3

    from .engines.sqlite import sqlite_type, sqlite_value

    name = table[-1]
    columns = _columns(connection, rows)
    target = sqlite3.connect(path, isolation_level=None)  # (BEGIN and COMMIT are segl's)
    definitions = [sql.column_def(column, sqlite_type(kind)) for column, kind in columns]
    insert = sql.insert_values(name, [column for column, _ in columns])

    def fill() -> None:
        cursor = sql.execute(connection, rows)
        for batch in batches(cursor):
            sql.execute_many(target, insert, ([sqlite_value(v) for v in row] for row in batch),
                             dialect="sqlite")

    try:
        _transaction(target, _replacing((name,), definitions), fill, "sqlite")
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
