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
        sql.execute(connection, exp.Transaction())
        try:
            for stage in staged.stages:
                sql.execute(connection, stage)
            first, *rest = staged.batches
            sql.execute(connection, sql.create_table_as(MEMBERS_TABLE, first))
            for batch in rest:
                sql.execute(connection, exp.Insert(this=sql.table_ref(MEMBERS_TABLE),
                                                   expression=batch))
            sql.execute(connection, exp.Commit())
        except BaseException:
            sql.execute(connection, exp.Rollback())
            raise
    finally:
        sql.execute(connection, detach(staged.database))
    return summarize(connection, key, segments, segmentations)
