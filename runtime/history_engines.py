"""The membership history table on PostgreSQL, SQLite and Spark (`history_targets.py`):
read its rows, and replace them in one transaction.

PostgreSQL and SQLite: one transaction creates the two tables when missing, deletes their
rows and inserts the new ones; a failure at any point rolls it back (both tables as they
were, or absent). Spark has no transactions over plain tables: the new rows are written to
two staging tables first (a failure there leaves the tables as they were), then the
staging tables replace the old ones (a drop and a rename each: metadata only).

Every statement is a sqlglot tree through `sql.py`; values travel as bound parameters."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Protocol

from sqlglot import exp

from . import sql
from .errors import OutputError, UsageError
from .history_store import (
    AS_OF,
    ENTITY,
    GROUP,
    HISTORY_COLUMNS,
    OBJECT,
    VALID_FROM,
    VALID_TO,
    dates_table,
)
from .history_targets import Target, TargetKind

Rows = list[tuple]


class Store(Protocol):
    def lock(self, table: str) -> None: ...

    def read(self, table: str) -> tuple[Rows, Rows] | None: ...

    def replace(self, table: str, entity_type: str, intervals: Rows, dates: Rows) -> None: ...


@contextmanager
def open_store(target: Target, engine_options: dict[str, object] | None = None,
               read_only: bool = False) -> Iterator[Store]:
    """A connection to the target. Raises UsageError (reading) or OutputError (writing)
    when it cannot be opened."""
    error = UsageError if read_only else OutputError
    if target.kind is TargetKind.POSTGRES:
        import psycopg

        try:
            connection = psycopg.connect(target.location, autocommit=True)
        except psycopg.Error as exc:
            raise error(f"cannot connect to PostgreSQL at {target.label}: "
                        f"{_reason(exc)}") from None
        with connection:
            yield PostgresStore(connection, target, error)
    elif target.kind is TargetKind.SQLITE:
        if read_only and not Path(target.location).is_file():
            raise UsageError(f"no SQLite file `{target.location}`: record one with `segl "
                             "snapshot FILE --as-of D1..D2 --into sqlite:PATH`")
        try:
            connection = sqlite3.connect(target.location, isolation_level=None)
        except sqlite3.Error as exc:
            raise error(f"cannot open the SQLite file `{target.location}`: "
                        f"{_reason(exc)}") from None
        try:
            yield SqliteStore(connection, target, error)
        finally:
            connection.close()
    elif target.kind is TargetKind.SPARK:
        from .engines.spark import session

        options = engine_options or {}
        yield SparkStore(session(options.get("master")), target,  # type: ignore[arg-type]
                         error)
    else:
        raise ValueError(f"not a remote target: {target.kind}")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _unreadable(error: type[Exception], table: str, target: Target,
                exc: BaseException) -> Exception:
    return error(f"`{table}` in {target.label} is not a segl history table "
                 f"({_reason(exc)}); it is unchanged")


def _failed(table: str, target: Target, exc: BaseException) -> OutputError:
    return OutputError(f"cannot write the history table `{table}` in {target.label}: "
                       f"{_reason(exc)}; it is unchanged")


def _columns(entity: exp.DataType, day: exp.DataType,
             text: exp.DataType) -> dict[str, list[exp.ColumnDef]]:
    return {"history": [sql.column_def(ENTITY, entity), sql.column_def(OBJECT, text),
                        sql.column_def(GROUP, text.copy()), sql.column_def(VALID_FROM, day),
                        sql.column_def(VALID_TO, day.copy())],
            "dates": [sql.column_def(OBJECT, text.copy()), sql.column_def(AS_OF, day.copy())]}


def _create_if_missing(name: str, columns: Sequence[exp.ColumnDef]) -> exp.Create:
    create = sql.create_table(name, columns)
    create.set("exists", True)
    return create


def _all_rows(name: str, columns: Sequence[str]) -> exp.Select:
    return sql.select(*(sql.col(c) for c in columns), source=sql.table_ref(name))


def _tables_exist(names: Sequence[str], catalog: exp.Table, name_column: str,
                  kind: exp.Expression | None = None) -> exp.Select:
    condition: exp.Expression = exp.In(this=sql.col(name_column),
                                       expressions=[sql.text(n) for n in names])
    if kind is not None:
        condition = exp.and_(condition, kind)
    return sql.select(sql.count_all(), source=catalog).where(
        condition, copy=False)


# ---------------------------------------------------------------- PostgreSQL


class PostgresStore:
    dialect = "postgres"

    def __init__(self, connection, target: Target, error: type[Exception]) -> None:
        self.connection, self.target, self.error = connection, target, error

    def lock(self, table: str) -> None:
        """One writer of `table` at a time: a session advisory lock (released when the
        connection closes), keyed by the table's name."""
        key = exp.func("hashtext", sql.text(f"segl_history:{table}"))
        sql.execute(self.connection, sql.select(exp.func("pg_advisory_lock", key)),
                    dialect=self.dialect)

    def read(self, table: str) -> tuple[Rows, Rows] | None:
        import psycopg

        names = [table, dates_table(table)]
        try:
            found = sql.fetch_one(self.connection, _tables_exist(
                names, sql.table_ref("information_schema", "tables"), "table_name", exp.EQ(
                    this=sql.col("table_schema"), expression=exp.func("current_schema"))),
                dialect=self.dialect)[0]
            if found != 2:
                return None
            return (sql.fetch_all(self.connection, _all_rows(table, HISTORY_COLUMNS),
                                  dialect=self.dialect),
                    sql.fetch_all(self.connection, _all_rows(dates_table(table),
                                                             (OBJECT, AS_OF)),
                                  dialect=self.dialect))
        except psycopg.Error as exc:
            raise _unreadable(self.error, table, self.target, exc) from None

    def replace(self, table: str, entity_type: str, intervals: Rows, dates: Rows) -> None:
        import psycopg

        from .engines.postgres import postgres_type

        columns = _columns(postgres_type(entity_type), exp.DataType.build("DATE"),
                           exp.DataType.build("TEXT"))
        try:
            with self.connection.transaction():
                for name, kind in ((table, "history"), (dates_table(table), "dates")):
                    sql.execute(self.connection, _create_if_missing(name, columns[kind]),
                                dialect=self.dialect)
                    sql.execute(self.connection, exp.Delete(this=sql.table_ref(name)),
                                dialect=self.dialect)
                    self.insert(name, [c.name for c in columns[kind]],
                                intervals if kind == "history" else dates)
        except psycopg.Error as exc:
            raise _failed(table, self.target, exc) from None

    def insert(self, name: str, columns: list[str], rows: Rows) -> None:
        copy_in = exp.Copy(this=exp.Schema(this=sql.table_ref(name),
                                           expressions=[sql.ident(c) for c in columns]),
                           kind=True, files=[exp.var("STDIN")])
        with self.connection.cursor() as cursor, sql.postgres_copy(cursor, copy_in) as copy:
            for row in rows:
                copy.write_row(row)


# ---------------------------------------------------------------- SQLite


class SqliteStore:
    """Dates are ISO text in SQLite (`2026-06-30`), as the sqlite engine stores them."""

    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection, target: Target,
                 error: type[Exception]) -> None:
        self.connection, self.target, self.error = connection, target, error

    def lock(self, table: str) -> None:
        """(SQLite's own file lock serialises the writes; a run reads before it locks.)"""

    def read(self, table: str) -> tuple[Rows, Rows] | None:
        names = [table, dates_table(table)]
        try:
            found = sql.fetch_one(self.connection, _tables_exist(
                names, sql.table_ref("sqlite_master"), "name",
                exp.EQ(this=sql.col("type"), expression=sql.text("table"))),
                dialect=self.dialect)[0]
            if found != 2:
                return None
            intervals = sql.fetch_all(self.connection, _all_rows(table, HISTORY_COLUMNS),
                                      dialect=self.dialect)
            dates = sql.fetch_all(self.connection, _all_rows(dates_table(table),
                                                             (OBJECT, AS_OF)),
                                  dialect=self.dialect)
        except sqlite3.Error as exc:
            raise _unreadable(self.error, table, self.target, exc) from None
        return ([(e, o, g, _day(f), _day(t)) for e, o, g, f, t in intervals],
                [(o, _day(d)) for o, d in dates])

    def replace(self, table: str, entity_type: str, intervals: Rows, dates: Rows) -> None:
        from .engines.sqlite import sqlite_type

        text = exp.DataType(this=exp.DataType.Type.TEXT)
        columns = _columns(sqlite_type(entity_type), text.copy(), text)
        sql.execute(self.connection, exp.Transaction(), dialect=self.dialect)
        try:
            for name, kind in ((table, "history"), (dates_table(table), "dates")):
                sql.execute(self.connection, _create_if_missing(name, columns[kind]),
                            dialect=self.dialect)
                sql.execute(self.connection, exp.Delete(this=sql.table_ref(name)),
                            dialect=self.dialect)
                self.insert(name, [c.name for c in columns[kind]],
                            intervals if kind == "history" else dates)
        except BaseException as exc:
            sql.execute(self.connection, exp.Rollback(), dialect=self.dialect)
            if isinstance(exc, sqlite3.Error):
                raise _failed(table, self.target, exc) from None
            raise
        sql.execute(self.connection, exp.Commit(), dialect=self.dialect)

    def insert(self, name: str, columns: list[str], rows: Rows) -> None:
        sql.execute_many(self.connection, sql.insert_values(name, columns),
                         ([_text(v) for v in row] for row in rows), dialect=self.dialect)


def _text(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _day(value: object) -> object:
    return date.fromisoformat(value) if isinstance(value, str) else value


# ---------------------------------------------------------------- Spark

STAGE = "__segl_new"  # the staging tables' suffix


class SparkStore:
    dialect = "spark"

    def __init__(self, session, target: Target, error: type[Exception]) -> None:
        self.session, self.target, self.error = session, target, error
        self.database = target.location or None

    def name(self, table: str) -> exp.Table:
        return sql.table_ref(self.database, table) if self.database else sql.table_ref(table)

    def lock(self, table: str) -> None:
        """(Spark has no locks: one writer at a time, docs/time.md.)"""

    def exists(self, table: str) -> bool:
        from pyspark.errors import AnalysisException

        try:  # (analysed when the DataFrame is made: an unknown table raises here)
            sql.spark_sql(self.session, sql.select(exp.Star(), source=self.name(table)).limit(
                0, copy=False))
        except AnalysisException:
            return False
        return True

    def read(self, table: str) -> tuple[Rows, Rows] | None:
        from pyspark.errors import AnalysisException

        if not (self.exists(table) and self.exists(dates_table(table))):
            return None
        try:
            return ([tuple(r) for r in sql.spark_sql(self.session, sql.select(
                        *(sql.col(c) for c in HISTORY_COLUMNS),
                        source=self.name(table))).collect()],
                    [tuple(r) for r in sql.spark_sql(self.session, sql.select(
                        sql.col(OBJECT), sql.col(AS_OF),
                        source=self.name(dates_table(table)))).collect()])
        except AnalysisException as exc:
            raise _unreadable(self.error, table, self.target, exc) from None

    def replace(self, table: str, entity_type: str, intervals: Rows, dates: Rows) -> None:
        from pyspark.sql.types import DateType, LongType, StringType, StructField, StructType

        upper = entity_type.upper()
        key = LongType() if "INT" in upper else DateType() if upper == "DATE" else StringType()
        if isinstance(key, StringType):
            intervals = [(None if e is None else str(e), *rest) for e, *rest in intervals]
        schemas = {
            table: StructType([StructField(ENTITY, key), StructField(OBJECT, StringType()),
                               StructField(GROUP, StringType()),
                               StructField(VALID_FROM, DateType()),
                               StructField(VALID_TO, DateType())]),
            dates_table(table): StructType([StructField(OBJECT, StringType()),
                                            StructField(AS_OF, DateType())])}
        rows = {table: intervals, dates_table(table): dates}
        try:
            for name, schema in schemas.items():
                self.stage(name, schema, rows[name])
        except Exception as exc:
            for name in schemas:
                sql.spark_sql(self.session, exp.Drop(
                    tables=[self.name(name + STAGE)], kind="TABLE", exists=True))
            if type(exc).__module__.startswith(("pyspark", "py4j")):
                raise _failed(table, self.target, exc) from None
            raise
        for name in schemas:  # the swap: metadata only
            sql.spark_sql(self.session, exp.Drop(tables=[self.name(name)], kind="TABLE",
                                                 exists=True))
            sql.spark_sql(self.session, exp.Alter(
                this=self.name(name + STAGE), kind="TABLE",
                actions=[exp.AlterRename(this=self.name(name))]))

    def stage(self, name: str, schema, rows: Rows) -> None:
        """The new rows in `name` + STAGE (a Parquet table), replacing an old stage."""
        view = "segl_history_rows"
        self.session.createDataFrame(rows, schema).createOrReplaceTempView(view)
        sql.spark_sql(self.session, exp.Drop(tables=[self.name(name + STAGE)], kind="TABLE",
                                             exists=True))
        create = exp.Create(this=self.name(name + STAGE), kind="TABLE",
                            expression=sql.select(exp.Star(), source=sql.table_ref(view)),
                            properties=exp.Properties(expressions=[
                                exp.FileFormatProperty(this=exp.var("parquet"))]))
        sql.spark_sql(self.session, create)
