"""Run a plan on DuckDB (embedded): one query, materialized as a temporary table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb
from segl.compiler.api import Compilation, Plan

from .. import resources, sql

if TYPE_CHECKING:
    import polars
    from sqlglot import exp

MEMBERS_TABLE = "segl_members"
ENGINE_MEMBERS = "segl_engine_members"  # a view of another engine's members frame
STAGES = "segl_stages"  # the database of a staged many-date run (compiler: staged.DATABASE)


@dataclass
class DuckDBResult:
    connection: duckdb.DuckDBPyConnection
    table: str
    key: str
    segments: list[str]
    segmentations: list[str]
    entities: int
    sizes: dict[str, int]
    buckets: dict[str, dict[str, int]]  # segmentation -> bucket -> entities


def connect(database: str | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection with the command's resource settings (runtime/resources.py)."""
    config = resources.current().duckdb_config()
    if database:
        return duckdb.connect(database, read_only=read_only, config=config)
    return duckdb.connect(config=config)


def run_members(compilation: Compilation, plan: Plan, as_of: date,
                **options: object) -> polars.DataFrame:
    """The members frame computed by DuckDB (the reference the other engines are compared
    with). Options: `connection` or `database`; `kpis`: the KPI query instead (one row per
    group, see compiler/kpi_sql.py)."""
    from .loading import duckdb_connection, engine_query, query_frame, result_order, sort_by

    connection = duckdb_connection(options)
    kpis = bool(options.get("kpis"))
    frame = query_frame(connection, engine_query(plan, "duckdb", as_of, {}, kpis))
    return frame.sort(sort_by(result_order(plan, kpis, as_of)))


def run_query(
    connection: duckdb.DuckDBPyConnection, query: exp.Expression, key: str, segments: list[str],
    segmentations: list[str] = (),
) -> DuckDBResult:
    """Materialize the compiled query (key, one boolean column per segment, one bucket name
    per segmentation) and count members and bucket sizes."""
    release(connection)
    sql.execute(connection, sql.create_table_as(MEMBERS_TABLE, query))
    return summarize(connection, key, segments, segmentations)


def load_members(
    connection: duckdb.DuckDBPyConnection, members, key: str, segments: list[str],
    segmentations: list[str] = (), types: list[tuple[str, str]] | None = None,
) -> DuckDBResult:
    """Materialize members computed by another engine as the members table (through the
    Arrow C stream interface: pyarrow is not needed), and count members and bucket sizes.
    With `types` (DuckDB's own names and types of the members query), every column is cast
    to its DuckDB type. 128-bit integers (sums, DuckDB's HUGEINT) cross as DECIMAL(38, 0),
    which DuckDB's Arrow reader accepts, and become HUGEINT again."""
    import polars
    from sqlglot import exp

    wide = [name for name, kind in members.schema.items() if kind == polars.Int128]
    if wide:
        members = members.with_columns(polars.col(wide).cast(polars.Decimal(38, 0)))
    # A column with no type (all missing, e.g. read from a Parquet column of Polars' Null
    # type) crosses as booleans: DuckDB's Arrow reader refuses Polars' Null arrays (a null
    # count without a validity bitmap). It becomes DuckDB's untyped NULL again below, as
    # DuckDB's own plan gives it.
    untyped = {name for name, kind in members.schema.items() if kind == polars.Null}
    if untyped:
        members = members.with_columns(polars.col(sorted(untyped)).cast(polars.Boolean))
    release(connection)
    connection.from_arrow(members.__arrow_c_stream__()).create_view(ENGINE_MEMBERS, replace=True)
    if types:
        untyped |= {name for name, kind in types if kind.strip('"').upper() == "NULL"}
        columns = [sql.aliased(exp.Null(), name) if name in untyped
                   else sql.aliased(exp.cast(sql.col(name), sql.data_type(kind)), name)
                   for name, kind in types]
    else:
        columns = [sql.aliased(exp.cast(sql.col(name), "HUGEINT"), name) if name in wide
                   else sql.aliased(exp.Null(), name) if name in untyped
                   else sql.col(name) for name in members.columns]
    sql.execute(connection, sql.create_table_as(
        MEMBERS_TABLE, sql.select(*columns, source=sql.table_ref(ENGINE_MEMBERS))))
    return summarize(connection, key, segments, segmentations)


# Each connection's staged members database (by id: connections to one database file share
# its attached databases, so a run detaches only its own connection's, never another's)
STAGED: dict[int, str] = {}


def release(connection: duckdb.DuckDBPyConnection) -> None:
    """Before a new members table: the members view of a staged many-date run
    (engines/duckdb_staged.py) dropped, and the database it read, attached by this
    connection, detached."""
    database = STAGED.pop(id(connection), None)
    if database is None:  # (no staged run on this connection: no catalog queries per run)
        return
    from sqlglot import exp

    views = sql.select(sql.count_all(), source=exp.Anonymous(this="duckdb_views"))
    views = views.where(exp.and_(exp.EQ(this=sql.col("view_name"),
                                        expression=sql.text(MEMBERS_TABLE)),
                                 sql.col("temporary")), copy=False)
    if sql.fetch_all(connection, views)[0][0]:  # (fetched to the end: no open result)
        sql.execute(connection, exp.Drop(tables=[sql.table_ref(MEMBERS_TABLE)], kind="VIEW",
                                         exists=True))
    if stages_attached(connection, database):
        sql.execute(connection, exp.Detach(this=sql.ident(database), exists=True))


def stages_attached(connection: duckdb.DuckDBPyConnection, database: str = STAGES
                    ) -> bool | None:
    """Whether the stages' database is attached: True as an in-memory database other than
    the connection's own, False when nothing has its name, None when another database has
    it (`--db segl_stages.duckdb`, or the user's own: never detached nor used)."""
    from sqlglot import exp

    ours = exp.and_(exp.Is(this=sql.col("path"), expression=exp.Null()),
                    exp.NEQ(this=sql.col("database_name"),
                            expression=exp.func("current_database")))
    query = sql.select(ours, source=exp.Anonymous(this="duckdb_databases"))
    query = query.where(exp.EQ(this=sql.col("database_name"), expression=sql.text(database)),
                        copy=False)
    rows = sql.fetch_all(connection, query)  # (to the end: no open result left)
    return None if rows and not rows[0][0] else bool(rows)


def summarize(
    connection: duckdb.DuckDBPyConnection, key: str, segments: list[str],
    segmentations: list[str] = (),
) -> DuckDBResult:
    """Members per segment and entities per bucket of the members table."""
    members = sql.table_ref(MEMBERS_TABLE)
    counts = [sql.count_where(sql.col(s)) for s in segments]
    row = sql.fetch_one(connection, sql.select(sql.count_all(), *counts, source=members))
    sizes = {s: int(v) for s, v in zip(segments, row[1:], strict=True)}
    buckets = {}
    for name in segmentations:
        query = sql.select(sql.col(name), sql.count_all(), source=members.copy())
        rows = sql.fetch_all(connection, query.group_by(sql.col(name), copy=False))
        buckets[name] = {bucket: int(size) for bucket, size in rows}
    return DuckDBResult(connection, MEMBERS_TABLE, key, list(segments), list(segmentations),
                        int(row[0]), sizes, buckets)
