"""Many dates in one run (issue 11 item 2, docs/time.md): every segment and segmentation at
each of many dates, computed in one query whose passes read each events table once
(compiler/backends/sql/multi_date.py): the date is a column (`as_of`) of the members table.

`evaluate_dates` is what `segl run --as-of RANGE|LIST`, `segl snapshot` and `segl history`
call; its members are the rows of `evaluate` at each date, with the date first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from segl.compiler.api import (
    AsOf,
    Compilation,
    Plan,
    plan_for,
    query_for_plan,
    select_segments,
    select_traits,
    staged_query,
)
from sqlglot import exp

from . import sql
from .api import load, resolve_as_of, tables_read
from .bad_data import named_data_errors
from .engines import duckdb as duckdb_engine
from .engines import duckdb_staged, engine_module
from .engines.members import members_table
from .errors import UsageError
from .prepared import overrides as prepared_sources
from .sources import check_entity_key, check_lookup_keys

if TYPE_CHECKING:
    import polars

DATE_COLUMN = "as_of"


@dataclass
class DatedEvaluation:
    """The members at every date: `table` holds (as_of, key, one column per segment, …)."""

    compilation: Compilation
    plan: Plan
    query: exp.Select  # the one query run on DuckDB, as a tree
    dates: list[date]
    connection: duckdb.DuckDBPyConnection
    table: str
    key: str
    segments: list[str]
    segmentations: list[str]
    traits: list[str] = field(default_factory=list)

    @property
    def sql(self) -> str:
        return sql.render(self.query)

    @property
    def scores(self) -> list[str]:
        return [output for output, _ in self.plan.score_outputs]

    def sizes(self) -> dict[date, dict[str, int]]:
        """Entities and members of each segment at each date (`entities` too)."""
        counts = [sql.count_where(sql.col(s)) for s in self.segments]
        query = sql.select(sql.col(DATE_COLUMN), sql.count_all(), *counts,
                           source=sql.table_ref(self.table))
        query = query.group_by(sql.col(DATE_COLUMN), copy=False).order_by(
            sql.col(DATE_COLUMN), copy=False)
        found = {}
        for row in sql.fetch_all(self.connection, query):
            found[row[0]] = {"entities": int(row[1]),
                             **{s: int(v) for s, v in zip(self.segments, row[2:], strict=True)}}
        return {day: found.get(day, {"entities": 0, **dict.fromkeys(self.segments, 0)})
                for day in self.dates}

    def members(self, shape: str = "wide") -> polars.DataFrame:
        """What `segl run --as-of RANGE --shape SHAPE` writes: `as_of` first, by date."""
        from .engines.loading import query_frame
        from .outputs import members_query

        query = members_query(self.table, self.key, self.segments, shape, self.segmentations,
                              self.scores, self.traits, dated=True)
        return query_frame(self.connection, query)


def evaluate_dates(
    path: str | Path,
    days: Sequence[date | str],
    segments: list[str] | None = None,
    params: dict[str, str] | None = None,
    database: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
    compilation: Compilation | None = None,
    engine: str = "duckdb",
    engine_options: dict[str, object] | None = None,
    traits: list[str] | None = None,
    prepared: bool = True,
    kpis: bool = False,
) -> DatedEvaluation:
    """Every (or the chosen) segment and segmentation at each of `days`, in one query on
    `engine` (Polars and SQLite: date by date, docs/time.md); the members table of the
    DuckDB connection holds one row per (date, entity). `kpis`: with every KPI's
    per-entity components (and the shares), for `kpi_dates.kpi_tables`. Raises
    CompileError, DataError, UsageError."""
    if not days:
        raise UsageError("no dates to evaluate")
    if engine != "duckdb":
        engine_module(engine)
    if compilation is None:
        compilation, connection = load(path, params, database, connection)
    else:
        connection = connection or duckdb_engine.connect(database)
    model = compilation.require_ok()
    chosen = select_segments(model, segments)
    dates = sorted({resolve_as_of(day) for day in days})
    chosen_traits = select_traits(model, traits)
    plan = plan_for(model, chosen, list(model.kpis) if kpis else None, shares=kpis,
                    traits=chosen_traits)
    as_of = AsOf.many(dates)
    sources = prepared_sources(model, compilation.path) if prepared else None
    # DuckDB, large sources: the segmented passes staged once, then one date at a time
    # (bounded memory)
    staged = staged_query(plan, "duckdb", as_of, duckdb_staged.STAGED_BATCH, sources,
                          database=duckdb_staged.database_name(),
                          slices=duckdb_staged.STAGED_SLICES) \
        if engine == "duckdb" and duckdb_staged.worth_staging(plan) else None
    query = staged.query if staged else query_for_plan(plan, "duckdb", as_of, sources)
    with named_data_errors(lambda: tables_read(plan), engine):
        check_entity_key(connection, model)
        check_lookup_keys(connection, model, plan.lookups + plan.event_lookups)
        result = duckdb_staged.run_staged(
            connection, staged, plan.key, list(plan.outputs), list(plan.segmentations)
        ) if staged else None
        if result is None:
            result = members_table(engine, compilation, plan, as_of, connection,
                                   engine_options, query)
    return DatedEvaluation(compilation, plan, query, dates, connection, result.table,
                           result.key, result.segments, result.segmentations, chosen_traits)
