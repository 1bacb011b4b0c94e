"""Many dates on DuckDB in bounded memory (issue 11, docs/time.md "Cost"): the members
table built from a staged query (compiler/backends/sql/staged.py) instead of the one
query over every date.

An in-memory database is attached with compression (`ATTACH ':memory:' AS
segl_stages_<random> (COMPRESS)`: a name per run, since connections to one database file
share what is attached; `release` detaches only its own connection's). The stage tables
(each segmented pass's rows per entity and time segment, computed once) are created there,
then the members table there from the first batch of dates, and each next batch INSERTed;
after each statement a CHECKPOINT of that database compresses what it holds (a committed
table only is compressed: the members of 12 dates of TPC-H SF1, 1.8 M rows, take 102 MiB in
a temporary table and 4 MiB compressed). The stage tables are dropped at the end, and the
members table of the connection (`segl_members`) is a temporary view of the one in the
attached database, which stays attached until the next members table replaces it
(`release`). A failure detaches the database: no members table is left. The rows are the one
query's, ordered by date then key (each batch is ordered, and the batches come in date
order)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import duckdb

from .. import sql
from ..locations import source_bytes
from .duckdb import (
    MEMBERS_TABLE,
    STAGED,
    STAGES,
    DuckDBResult,
    release,
    stages_attached,
    summarize,
)

if TYPE_CHECKING:
    from segl.compiler.api import Plan, StagedQuery
    from sqlglot import exp

STAGED_BATCH = 1  # dates per batch query: one at a time keeps the least state
STAGED_SLICES = 3  # entity slices per stage statement (hash of the key): a third of the state
# Below this much source data (the files the plan reads) the one query runs instead: its
# state is small, and staging costs CPU (a CHECKPOINT per statement, each events table
# read once per slice): 12 month-ends of the example shop take 1.8x the CPU staged for
# 0.87x the peak memory. TPC-H SF1's orders and line items are about 250 MiB.
MIN_SOURCE_BYTES = 64 << 20
SCHEMA = "main"


def database_name() -> str:
    """A new name for a run's stages database: connections to one database file share
    what is attached, so each run's members keep a database of their own."""
    return f"{STAGES}_{secrets.token_hex(6)}"


def worth_staging(plan: Plan) -> bool:
    """Whether a many-date run of `plan` is staged: when its sources are large enough for
    the one query's state (which grows with the number of dates) to matter."""
    return source_bytes(plan) >= MIN_SOURCE_BYTES


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


def checkpoint(database: str) -> exp.Select:
    """SELECT * FROM checkpoint('database'): its committed tables compressed (what DuckDB's
    `CHECKPOINT database` statement calls; sqlglot has no tree for the statement, and a
    command's argument would be rendered as raw text, unquoted)."""
    from sqlglot import exp

    return sql.select(exp.Star(), source=exp.Anonymous(this="checkpoint",
                                                       expressions=[sql.text(database)]))


def statements(staged: StagedQuery, table: str = MEMBERS_TABLE) -> list[exp.Expression]:
    """What `run_staged` runs between ATTACH and the view: the stage tables, the members
    table (in the attached database) from the first batch, an INSERT of each next batch,
    each followed by a CHECKPOINT, then the stage tables dropped (the benchmark runs the
    same statements, bench/multi_date.py)."""
    from sqlglot import exp

    database = staged.database
    members = sql.table_ref(database, SCHEMA, table)
    first, *rest = staged.batches
    found: list[exp.Expression] = []
    for stage in staged.stages:
        found += [stage, checkpoint(database)]
    found += [exp.Create(this=members, kind="TABLE", expression=first), checkpoint(database)]
    for batch in rest:
        found += [exp.Insert(this=members.copy(), expression=batch), checkpoint(database)]
    found += [sql.drop_table(database, SCHEMA, name) for name in staged.stage_tables]
    return [*found, checkpoint(database)]


def members_view(staged: StagedQuery, table: str = MEMBERS_TABLE) -> exp.Create:
    """CREATE OR REPLACE TEMPORARY VIEW table AS SELECT * FROM database.main.table."""
    from sqlglot import exp

    query = sql.select(exp.Star(), source=sql.table_ref(staged.database, SCHEMA, table))
    return exp.Create(this=sql.table_ref(table), kind="VIEW", expression=query, replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))


def run_staged(connection: duckdb.DuckDBPyConnection, staged: StagedQuery, key: str,
               segments: list[str], segmentations: list[str] = ()) -> DuckDBResult | None:
    """The members table from `staged`'s stage tables and batch queries, then members and
    bucket sizes counted; None on a read-only connection or when a database of the user's
    has the stages' name (the caller runs the one query instead). On a failure the
    attached database is detached (no members table left)."""
    if read_only(connection):
        return None
    release(connection)
    if stages_attached(connection, staged.database) is not False:
        return None  # (a database of the user's, or another connection's, has the name)
    # (a one-date run's members table, temporary, has the view's name: dropped first)
    sql.execute(connection, sql.drop_table("temp", SCHEMA, MEMBERS_TABLE))
    sql.execute(connection, attach(staged.database))
    try:
        for statement in statements(staged):
            sql.execute(connection, statement)
        sql.execute(connection, members_view(staged))
    except BaseException:
        sql.execute(connection, detach(staged.database))
        raise
    STAGED[id(connection)] = staged.database
    return summarize(connection, key, segments, segmentations)
