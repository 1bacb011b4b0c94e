"""The one step every command that reads data goes through: the members of a plan computed
on an engine and held as the members table of the in-process DuckDB connection, where the
runtime's own queries (sizes, buckets, funnels, overlaps, KPI totals, diffs) read them alike
whichever engine computed them (docs/engines.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb
from segl.compiler.api import AsOf, Compilation, Plan, query_for_plan
from sqlglot import exp

from . import duckdb as duckdb_engine
from . import run_members


def members_table(engine: str, compilation: Compilation, plan: Plan, as_of: date | AsOf,
                  connection: duckdb.DuckDBPyConnection,
                  options: dict[str, object] | None = None,
                  query: exp.Select | None = None) -> duckdb_engine.DuckDBResult:
    """Run the members query of `plan` on `engine` (DuckDB itself: in `connection`; another
    engine: its adapter's run_members with `options`, the frame loaded with DuckDB's own
    column types) and count members and bucket sizes. `query`: the plan's DuckDB query, when
    the caller built it already. `as_of`: one date, or many (`AsOf.many`: the members
    table has the date first, runtime/multi_date.py)."""
    if engine == "duckdb":
        query = query or query_for_plan(
            plan, "duckdb", as_of if isinstance(as_of, AsOf) else AsOf("date", as_of))
        return duckdb_engine.run_query(connection, query, plan.key, list(plan.outputs),
                                       list(plan.segmentations))
    return members_table_first(engine, compilation, plan, as_of, lambda: connection,
                               {**(options or {}), "connection": connection})[0]


def members_table_first(engine: str, compilation: Compilation, plan: Plan,
                        as_of: date | AsOf,
                        connect: Callable[[], duckdb.DuckDBPyConnection],
                        options: dict[str, object] | None = None
                        ) -> tuple[duckdb_engine.DuckDBResult, duckdb.DuckDBPyConnection]:
    """members_table on an engine other than DuckDB: the engine's query, then the frame
    loaded into the connection `connect` returns. For an engine that reads the sources
    itself (engines.reads_files_itself: Polars), `connect` opens DuckDB only then, so a
    run's peak memory holds one engine's working set, not both (issue 15 item 6). Returns
    the result and the connection."""
    from .loading import duckdb_output_types  # (imports Polars)

    frame = run_members(engine, compilation, plan, as_of, **(options or {}))
    connection = connect()
    result = duckdb_engine.load_members(connection, frame, plan.key, list(plan.outputs),
                                        list(plan.segmentations),
                                        duckdb_output_types(plan, as_of, connection))
    return result, connection
