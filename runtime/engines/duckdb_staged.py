"""Many dates on DuckDB in bounded memory (issue 11, docs/time.md "Cost"): the members
table built from a staged query (compiler/backends/sql/staged.py) instead of the one
query over every date.

The stage tables (each segmented pass's rows per entity and time segment, computed once)
go into an attached in-memory database (`ATTACH ':memory:' AS segl_stages (COMPRESS)`),
the members table is created from the first batch of dates and each next batch is
INSERTed, all in one transaction: a failure leaves no members table (and the attached
database is detached whatever happens). The rows are the one query's, ordered by date
then key (each batch is ordered, and the batches come in date order)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import duckdb

from .. import sql
from .duckdb import MEMBERS_TABLE, DuckDBResult, summarize

if TYPE_CHECKING:
    from segl.compiler.api import StagedQuery
    from sqlglot import exp

STAGED_BATCH = 1  # dates per batch query: one at a time keeps the least state


def read_only(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's database is read-only (no in-memory database can be
    attached then)."""
    from sqlglot import exp

    query = sql.select(sql.col("readonly"), source=exp.Anonymous(this="duckdb_databases"))
    query = query.where(exp.EQ(this=sql.col("database_name"),
                               expression=exp.func("current_database")), copy=False)
    row = sql.fetch_one(connection, query)
    return bool(row and row[0])


def attach(database: str) -> exp.Attach:
    """ATTACH ':memory:' AS database (COMPRESS): tables compressed as on disk."""
    from sqlglot import exp

    return exp.Attach(this=exp.Alias(this=sql.text(":memory:"), alias=sql.ident(database)),
                      exists=False,
                      expressions=[exp.AttachOption(this=exp.var("COMPRESS"))])


def detach(database: str) -> exp.Detach:
    from sqlglot import exp

    return exp.Detach(this=sql.ident(database), exists=True)


def statements(staged: StagedQuery, table: str = MEMBERS_TABLE,
               temporary: bool = True) -> list[exp.Expression]:
    """What `run_staged` runs between ATTACH and DETACH: BEGIN, the stage tables, the
    members table from the first batch, an INSERT of each next batch, COMMIT (the
    benchmark runs the same statements, bench/multi_date.py)."""
    from sqlglot import exp

    first, *rest = staged.batches
    return [exp.Transaction(), *staged.stages,
            sql.create_table_as(table, first, temporary=temporary),
            *(exp.Insert(this=sql.table_ref(table), expression=batch) for batch in rest),
            exp.Commit()]


def run_staged(connection: duckdb.DuckDBPyConnection, staged: StagedQuery, key: str,
               segments: list[str], segmentations: list[str] = ()) -> DuckDBResult | None:
    """The members table from `staged`'s stage tables and batch queries (one transaction),
    then members and bucket sizes counted; None on a read-only connection (the caller runs
    the one query instead)."""
    from sqlglot import exp

    if read_only(connection):
        return None
    sql.execute(connection, attach(staged.database))
    try:
        try:
            for statement in statements(staged):
                sql.execute(connection, statement)
        except BaseException:
            # (when BEGIN itself failed there is nothing to roll back)
            with contextlib.suppress(duckdb.Error):
                sql.execute(connection, exp.Rollback())
            raise
    finally:
        sql.execute(connection, detach(staged.database))
    return summarize(connection, key, segments, segmentations)
