"""The runtime's library entry points: what the CLI, tests, notebooks and benchmarks call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from segl.compiler.api import (
    AsOf,
    Compilation,
    Plan,
    Table,
    as_of_problem,
    plan_for,
    query_for_plan,
    select_segments,
    select_traits,
)
from sqlglot import exp

from . import data_facts, sql
from .bad_data import named_data_errors

# (what `segl check` needs lives in a module of its own, which imports no sqlglot)
from .data_check import check_data as check_data
from .data_check import definition_errors as definition_errors
from .data_check import load as load
from .engines import duckdb as duckdb_engine
from .engines import engine_module, reads_files_itself
from .engines.members import members_table, members_table_first
from .errors import UsageError
from .prepared import overrides as prepared_sources
from .prepared_rollup import rollups as prepared_rollups
from .sources import check_entity_key, check_lookup_keys

if TYPE_CHECKING:
    import polars


@dataclass
class Evaluation:
    compilation: Compilation
    plan: Plan
    query: exp.Select  # the members query run on DuckDB, as a tree
    as_of: date
    connection: duckdb.DuckDBPyConnection
    table: str  # DuckDB table with the key and one boolean column per segment
    key: str
    segments: list[str]
    entities: int
    sizes: dict[str, int]
    segmentations: list[str]
    buckets: dict[str, dict[str, int]]  # segmentation -> bucket -> entities
    traits: list[str] = field(default_factory=list)  # features whose values `table` holds

    @property
    def sql(self) -> str:
        """The members query as DuckDB SQL text (made by sqlglot from the tree)."""
        return sql.render(self.query)

    @property
    def scores(self) -> list[str]:
        """Score columns of the segmentations (`rfm__r`), in the wide output."""
        return [output for output, _ in self.plan.score_outputs]

    def members(self, shape: str = "wide") -> polars.DataFrame:
        """The members as a Polars frame, exactly the rows `segl run --shape SHAPE` writes:
        with the values of the traits asked for, in their own types."""
        from .engines.loading import query_frame
        from .outputs import members_query

        query = members_query(self.table, self.key, self.segments, shape, self.segmentations,
                              self.scores, self.traits)
        return query_frame(self.connection, query)


def today() -> date:
    return date.today()


def resolve_as_of(value: date | str | None) -> date:
    if value is None or value == "today":
        return today()
    when = value if isinstance(value, date) else date.fromisoformat(value)
    problem = as_of_problem(when)
    if problem:  # (the CLI checks --as-of first; this guards every other caller)
        raise UsageError(problem)
    return when


def tables_read(plan: Plan) -> list[Table]:
    """The sources a plan's query reads."""
    from .engines import loading

    return [plan.model.table(name) for name in loading.tables_read(plan)]


def evaluate(
    path: str | Path,
    as_of: date | str | None = None,
    segments: list[str] | None = None,
    params: dict[str, str] | None = None,
    database: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
    kpis: bool = False,
    compilation: Compilation | None = None,
    engine: str = "duckdb",
    engine_options: dict[str, object] | None = None,
    traits: list[str] | None = None,
    prepared: bool = True,
) -> Evaluation:
    """Compile `path` (unless a `compilation` of it is given) and evaluate every (or the
    chosen) segment and segmentation in one query: on DuckDB, or on `engine` (see
    runtime.engines.ENGINES; `engine_options` go to its run_members), whose members are then
    loaded into the DuckDB connection so that everything downstream reads them alike.
    `traits`: features (or `all`) whose values the members table holds too, typed; the
    caller checks they may leave (`trait_outputs`, docs/privacy.md). `prepared`: read the
    layout `segl prepare` wrote where the sources have not changed since (runtime/prepared.py).
    An engine that reads the files itself (Polars) compiles with the kept data facts and
    skips the key checks they say passed (runtime/data_facts.py, keeping what this run
    learns), and DuckDB starts only after its query (members_table_first).
    Raises CompileError for definition errors, DataError for data errors and UsageError
    for an engine that cannot run here."""
    if engine != "duckdb":
        engine_module(engine)  # a clear message now for an engine that cannot run here
    facts = None  # an engine that reads the files itself: DuckDB only once it is done
    if engine != "duckdb" and compilation is None and connection is None \
            and reads_files_itself(engine):
        compilation, facts = data_facts.load(path, params, database)
    elif compilation is None:
        compilation, connection = load(path, params, database, connection)
    else:
        connection = connection or duckdb_engine.connect(database)
    model = compilation.require_ok()
    chosen = select_segments(model, segments)
    when = resolve_as_of(as_of)
    chosen_traits = select_traits(model, traits)
    rollups = prepared_rollups(model, compilation.path) if prepared else None
    # (a rollup per events table: read by the plan as it is, each table's where it serves)
    plan = plan_for(model, chosen, list(model.kpis) if kpis else None, shares=kpis,
                    traits=chosen_traits)
    query = query_for_plan(plan, "duckdb", AsOf("date", when),
                           prepared_sources(model, compilation.path) if prepared else None,
                           rollups=rollups)
    with named_data_errors(lambda: tables_read(plan), engine):
        if facts is not None:
            # (keys a kept entry says passed are not checked again; what passed is kept)
            data_facts.check_keys(model, facts, plan.lookups + plan.event_lookups)
            facts.save()
            result, connection = members_table_first(engine, compilation, plan, when,
                                                     facts.connection, engine_options)
        else:
            check_entity_key(connection, model)
            check_lookup_keys(connection, model, plan.lookups + plan.event_lookups)
            result = members_table(engine, compilation, plan, when, connection,
                                   engine_options, query)
    # Every declared bucket, in declaration order, an empty one with 0 (GROUP BY omits it).
    buckets = {name: {b.name: result.buckets.get(name, {}).get(b.name, 0)
                      for b in model.segmentations[name].buckets}
               for name in result.segmentations}
    return Evaluation(compilation, plan, query, when, connection, result.table, result.key,
                      result.segments, result.entities, result.sizes, result.segmentations,
                      buckets, chosen_traits)
