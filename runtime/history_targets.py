"""Where the membership history table lives (`segl snapshot --into`, `segl history
--history`, docs/time.md): a DuckDB file (the default), or a table on PostgreSQL, SQLite or
Spark named by a URL:

    history.duckdb                 a DuckDB file (created when missing)
    postgresql://user@host/db      PostgreSQL (`postgres://` too)
    sqlite:path/history.sqlite     a SQLite file (created when missing)
    spark:  spark:DATABASE         the Spark session's catalog (its current database, or
                                   DATABASE)

The intervals are computed in DuckDB whatever the target (`history_store.rebuild`): the
target's rows are read into an in-memory catalog attached as `history_store.TARGET`, and
the new rows are written back in one transaction per engine (`history_engines.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl
from sqlglot import exp

from . import history_store, sql
from .errors import OutputError, UsageError

if TYPE_CHECKING:
    from .history_engines import Store


class TargetKind(Enum):
    DUCKDB = "duckdb"
    POSTGRES = "postgres"
    SQLITE = "sqlite"
    SPARK = "spark"


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    location: str  # the DuckDB or SQLite file, the PostgreSQL URL, the Spark database

    @property
    def label(self) -> str:
        """How messages name the target (a URL without its password)."""
        if self.kind is TargetKind.POSTGRES:
            from .engines.postgres import _safe

            return _safe(self.location)
        if self.kind is TargetKind.SQLITE:
            return f"sqlite:{self.location}"
        if self.kind is TargetKind.SPARK:
            return f"spark:{self.location}"
        return self.location


def parse_target(into: str) -> Target:
    """The target `--into` names. Raises UsageError."""
    if into.startswith(("postgresql://", "postgres://")):
        return Target(TargetKind.POSTGRES, into)
    if into.startswith("sqlite:"):
        path = into.removeprefix("sqlite:").removeprefix("//")
        if not path:
            raise UsageError("--into sqlite:PATH names a SQLite file")
        return Target(TargetKind.SQLITE, path)
    if into.startswith("spark:"):
        return Target(TargetKind.SPARK, into.removeprefix("spark:"))
    return Target(TargetKind.DUCKDB, into)


STAGE_INTERVALS, STAGE_DATES = "segl_stage_intervals", "segl_stage_dates"


@contextmanager
def opened(target: Target, engine_options: dict[str, object] | None = None,
           read_only: bool = False, lock: str | None = None) -> Iterator[Store | None]:
    """The open connection to a remote target (None for a DuckDB file, attached by
    `load`). `lock`: a writer's table, locked while the connection is open (PostgreSQL:
    an advisory lock, so that two runs read, rebuild and write one after the other)."""
    if target.kind is TargetKind.DUCKDB:
        yield None
        return
    from .history_engines import open_store

    with open_store(target, engine_options, read_only) as store:
        if lock is not None:
            store.lock(lock)
        yield store


def load(connection: duckdb.DuckDBPyConnection, target: Target, table: str,
         entity_type: str | None, store: Store | None, read_only: bool = False) -> bool:
    """Attach the history as catalog TARGET: the DuckDB file itself, or an in-memory copy
    of a remote target's two tables read through `store` (`opened`). Whether the target
    holds the table. Raises UsageError (reading) or OutputError (writing) naming it."""
    if store is None:
        if read_only and not Path(target.location).is_file():
            raise UsageError(f"no history file `{target.location}`: record one with `segl "
                             "snapshot FILE --as-of D1..D2 --into FILE`")
        history_store.attach(connection, target.location, read_only)
        return history_store.exists(connection, table)
    sql.execute(connection, exp.Attach(this=exp.Alias(
        this=sql.text(":memory:"), alias=sql.ident(history_store.TARGET)), exists=False))
    found = store.read(table)
    if found is None:
        return False
    intervals, dates = found
    entity_type = entity_type or _entity_type(intervals)
    history_store.create_tables(connection, table, entity_type)
    error = UsageError if read_only else OutputError
    _insert(connection, table, history_store.HISTORY_COLUMNS, intervals, STAGE_INTERVALS,
            error, target)
    _insert(connection, history_store.dates_table(table),
            (history_store.OBJECT, history_store.AS_OF), dates, STAGE_DATES, error, target)
    return True


def write(connection: duckdb.DuckDBPyConnection, store: Store, table: str) -> None:
    """Replace the remote target's two tables with INTERVALS and ALL_DATES in one
    transaction (a DuckDB file is written by `history_store.replace_rows`)."""
    intervals = sql.fetch_all(connection, sql.select(
        *(sql.col(c) for c in history_store.HISTORY_COLUMNS),
        source=sql.table_ref(history_store.INTERVALS)).order_by(
        sql.col(history_store.OBJECT), sql.col(history_store.ENTITY),
        sql.col(history_store.VALID_FROM), copy=False))
    dates = sql.fetch_all(connection, sql.select(
        sql.col(history_store.OBJECT), sql.col(history_store.AS_OF),
        source=sql.table_ref(history_store.ALL_DATES)).order_by(
        sql.col(history_store.OBJECT), sql.col(history_store.AS_OF), copy=False))
    store.replace(table, history_store.key_type(connection), intervals, dates)


def counts(connection: duckdb.DuckDBPyConnection, remote: bool, table: str) -> tuple[int, int]:
    """(intervals, recorded object dates) after a write: of the tables just written."""
    if remote:
        names = [(history_store.INTERVALS,), (history_store.ALL_DATES,)]
    else:
        names = [(history_store.TARGET, table),
                 (history_store.TARGET, history_store.dates_table(table))]
    found = [sql.fetch_one(connection, sql.select(sql.count_all(),
                                                  source=sql.table_ref(*name)))[0]
             for name in names]
    return int(found[0]), int(found[1])


def _entity_type(rows: list[tuple]) -> str:
    """The DuckDB type of keys read back from a remote table (no points to read it from)."""
    values = [row[0] for row in rows if row[0] is not None]
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "BIGINT"
    return "VARCHAR"


def _insert(connection: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...],
            rows: list[tuple], stage: str, error: type[Exception], target: Target) -> None:
    """Insert rows read from a remote table into TARGET.table (through a registered frame:
    one statement, not one per row)."""
    if not rows:
        return
    try:
        frame = pl.DataFrame([list(row) for row in rows], schema=list(columns),
                             orient="row", infer_schema_length=None)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:  # mixed kinds
        raise error(f"`{table}` in {target.label} is not a segl history table "
                    f"({type(exc).__name__}); it is unchanged") from None
    connection.register(stage, frame)
    try:
        schema = exp.Schema(this=sql.table_ref(history_store.TARGET, table),
                            expressions=[sql.ident(c) for c in columns])
        sql.execute(connection, exp.Insert(this=schema, expression=sql.select(
            *(sql.col(c) for c in columns), source=sql.table_ref(stage))))
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise error(f"`{table}` in {target.label} is not a segl history table ({reason}); "
                    "it is unchanged") from None
    finally:
        connection.unregister(stage)

