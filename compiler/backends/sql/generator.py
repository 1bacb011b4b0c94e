"""Plan -> SQL: sqlglot expression trees for any dialect, then pretty, stable text.

The query is a chain of CTEs: the grouped passes over related tables (`aggregations.py`),
`base` (the entity row with its lookups and every pass joined), one CTE per plan step (and
one per ranking, joined back into its step), and the final SELECT. Expressions are
translated by `expressions.py` and `ranking.py`, one method per IR node kind. Dialect
differences come from `dialects.RULES`, nowhere else. A construct the dialect cannot
express raises CompileError (E301) at the `.seg` position.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp

from ... import model as m
from ...codes import Code
from ...diagnostics import CompileError, error
from ...plan import Computed, Plan, feature_table_name
from ...plan.as_of import AsOf, AsOfMode
from ...plan.physical import physical_plan
from ...plan.segments import unfold_partials
from .aggregations import Aggregations
from .expressions import AS_OF_COLUMN, SqlExpressions
from .multi_date import DATES, OUTPUT, RANK_DATE, MultiDate
from .names import keep_ctes_apart, name_errors
from .ranking import Ranking
from .rollup import Rollups, RollupSource
from .segments import Segments
from .sequences import Sequences
from .text import sql_header
from .trees import (
    and_,
    col,
    cte_alias,
    ident,
    named,
    project,
    source_table_ref,
    table_function,
    table_ref,
)


def generate_sql(
    plan: Plan,
    dialect: str = "duckdb",
    as_of: AsOf | None = None,
    file_paths: str = "absolute",
    header: dict[str, str] | None = None,
    pretty: bool = True,
    sources: Mapping[str, SourceOverride] | None = None,
    rollups: Mapping[str, RollupSource] | None = None,
) -> str:
    """The whole plan as one query, with a header comment naming version, source and as_of.

    `sources` reads the named tables from other locations than the declared ones: an engine
    that cannot read the declared files loads them into its own tables and names them here.
    `rollups`: prepared daily rollups, used where they serve (rollup.py)."""
    query = members_query(plan, dialect, as_of or AsOf(AsOfMode.TODAY), file_paths, sources,
                          rollups)
    return sql_header(dialect, as_of, header) + query.sql(dialect=dialect, pretty=pretty) + "\n"


def members_query(plan: Plan, dialect: str, as_of: AsOf, file_paths: str = "absolute",
                  sources: Mapping[str, SourceOverride] | None = None,
                  rollups: Mapping[str, RollupSource] | None = None) -> exp.Select:
    """The plan's query as a sqlglot tree, for a caller that runs it (no header).
    `rollups`: prepared daily rollups by events table, used where they serve (rollup.py)."""
    return SqlGenerator(plan, dialect, as_of, file_paths, sources, rollups).query()



@dataclass(frozen=True)
class SourceOverride:
    """Where an engine reads one source instead of its declared locations: `kind` is
    "table" (target: one table name in the engine, an identifier, not SQL) or a file kind
    the dialect reads ("parquet", target: a path)."""

    kind: str
    target: str



class SqlGenerator(MultiDate, Segments, Rollups, Aggregations, Ranking, Sequences,
                   SqlExpressions):
    def __init__(self, plan: Plan, dialect: str, as_of: AsOf, file_paths: str,
                 sources: Mapping[str, SourceOverride] | None = None,
                 rollups: Mapping[str, RollupSource] | None = None) -> None:
        physical = physical_plan(unfold_partials(plan, as_of), as_of)
        super().__init__(physical.plan, dialect, as_of)
        self.physical = physical
        self.sources = dict(sources or {})
        self.rollups = dict(rollups or {}) if dialect == "duckdb" else {}
        self.rolled: dict[str, str] = {}  # measure -> the rollup CTE it is read from
        self.file_paths = file_paths

    def query(self) -> exp.Select:
        ctes: list[tuple[str, exp.Expression]] = []
        if self.dated:
            self.refuse_undated_passes()
            self.refuse_date_named_outputs()
            ctes.append((DATES, self.dates_cte()))
        served = self.served_by_rollup() if self.rollups else set()
        for aggregation in self.plan.aggregations:
            if aggregation.partial and aggregation.name not in served:
                ctes.append(self.pre_aggregation(aggregation))
        for aggregation in self.plan.aggregations:
            if aggregation.name in served:  # the table's prepared rollup (rollup.py)
                ctes.append(self.rollup_cte(aggregation))
            if not aggregation.correlated:
                ctes.extend(self.aggregation(aggregation))
        for sequence in self.physical.sequences:
            ctes.extend(self.sequence_ctes(sequence))
        previous = "base"
        ctes.append(("base", self.base()))
        previous = self.correlated_passes(0, previous, ctes)
        for index, step in enumerate(self.plan.steps, 1):
            name = f"step_{index}"
            ranked = [r for r in self.physical.rankings
                      if r.step == index - 1 and not self.inlined(r)]
            ctes.extend((r.name, self.plan_Ranking(r, previous)) for r in ranked)
            select = exp.select(exp.Column(this=exp.Star(), table=ident(previous)) if ranked
                                else exp.Star()).from_(table_ref(previous), copy=False)
            for ranking in ranked:
                # filter, then window: the ranked entities joined back by key
                key_test = exp.EQ(this=col("_key", ranking.name),
                                  expression=col(self.plan.row_key, previous))
                if self.dated:
                    key_test = and_(key_test, exp.EQ(this=col(RANK_DATE, ranking.name),
                                                     expression=col(AS_OF_COLUMN, previous)))
                select = select.join(table_ref(ranking.name), join_type="left", on=key_test,
                                     copy=False)
            self.step_source = previous  # (inlined rankings' windows read it)
            for column in step.columns:
                project(select, self.column_value(column), column.name)
            self.step_source = None
            ctes.append((name, select))
            previous = self.correlated_passes(index, name, ctes)
        dates = [named(col(AS_OF_COLUMN), OUTPUT)] if self.dated else []
        key = self.plan.row_key
        outputs = dates + [named(col(key), ident(self.plan.key)) if key != self.plan.key
                           else col(key)] + [
            col(name) for name in (*self.plan.outputs, *self.plan.segmentations)
        ] + [named(col(computed), ident(output)) for output, computed in self.plan.score_outputs
             ] + [col(name) for name in (*self.plan.kpi_components, *self.plan.traits)]
        final = exp.select(*outputs).from_(table_ref(previous), copy=False).order_by(
            *([col(AS_OF_COLUMN)] if self.dated else []), col(key), copy=False)
        for name, cte in ctes:
            final = final.with_(cte_alias(name), as_=cte, copy=False)
        keep_ctes_apart(final)
        self.errors.extend(name_errors(self, final))
        if self.errors:
            raise CompileError(sorted(self.errors, key=lambda d: d.span.start if d.span else 0))
        return final


    def correlated_passes(self, stage: int, previous: str,
                          ctes: list[tuple[str, exp.Expression]]) -> str:
        """The correlated passes that run after step `stage` (0: after base), reading the
        entity's values from `previous`; their measures joined in a CTE `pass_<stage>`."""
        passes = [a for a in self.plan.aggregations if a.stage == stage]
        if not passes:
            return previous
        select = exp.select(exp.Column(this=exp.Star(), table=ident(previous))).from_(
            table_ref(previous), copy=False)
        for aggregation in passes:
            ctes.extend(self.aggregation(aggregation, previous))
            for measure in aggregation.measures:
                value: exp.Expression = col(measure.name, self.measure_cte(aggregation, measure))
                if measure.empty is not None:
                    value = exp.Coalesce(this=value, expressions=[self.value(measure.empty)])
                project(select, value, measure.name)
            for cte in self.aggregation_ctes(aggregation):
                select = select.join(table_ref(cte), join_type="left", copy=False, on=exp.EQ(
                    this=col("_key", cte), expression=col(self.plan.row_key, previous)))
        name = f"pass_{stage}"
        ctes.append((name, select))
        return name

    def column_value(self, column: Computed) -> exp.Expression:
        if column.kind.is_membership:
            # Membership is true or false, never null: a null predicate does not admit.
            condition = self.cond(column.expr)
            if self.rules.boolean_values:
                return exp.Coalesce(this=condition, expressions=[exp.false()])
            return exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))],
                            default=exp.Literal.number(0))
        return self.value(column.expr)

    # ---------------------------------------------------------------- sources
    def source(self, table: m.Table) -> exp.Expression:
        override = self.sources.get(table.name)
        if override is not None:
            if override.kind == "table":
                return source_table_ref(override.target)
            if override.kind in self.rules.file_kinds and self.rules.file_reader:
                return self.rules.file_reader(override.kind, override.target)
            raise ValueError(f"the {self.dialect} dialect cannot read {override.kind} files")
        for location in table.locations:
            if location.kind == "table":
                return source_table_ref(*(location.table or (table.name,)))
            if location.kind in self.rules.file_kinds and self.rules.file_reader:
                path = location.path or location.target
                if self.file_paths == "relative":
                    path = os.path.relpath(path)
                return self.rules.file_reader(location.kind, path)
        kinds = sorted({loc.kind for loc in table.locations})
        if any(d.message.endswith(f"`{table.name}` from a {' or '.join(kinds)} file")
               for d in self.errors):
            return table_ref(table.name)
        self.errors.append(error(
            Code.E301, f"the {self.dialect} dialect cannot read `{table.name}` from a "
            f"{' or '.join(kinds)} file", table.locations[0].span if table.locations else
            table.span,
            f"add a warehouse location: from {table.locations[0].kind} "
            f'"{table.locations[0].target}", '
            f'table "schema.{table.name}"' if table.locations else "",
        ))
        return table_ref(table.name)

    def aliased_source(self, table: m.Table) -> exp.Expression:
        return table_function(self.source(table), table.name)

    def base(self) -> exp.Select:
        entity = self.model.entity
        select = exp.select(*(col(c, entity.name) if self.plan.row_name(c) == c else
                              named(col(c, entity.name), ident(self.plan.row_name(c)))
                              for c in self.plan.entity_columns))
        select = select.from_(self.aliased_source(entity), copy=False)
        select = self.join_lookups(select, self.plan.lookups)
        if self.dated:  # one row per entity and date
            select = self.join_dates(select, [])
            project(select, self.date_of(DATES), AS_OF_COLUMN)
        for lookup, column in self.plan.lookup_columns:
            project(select, col(column, lookup), feature_table_name(lookup, column))
        for aggregation in self.plan.aggregations:
            if aggregation.correlated:
                continue
            for measure in aggregation.measures:
                cte = self.measure_cte(aggregation, measure)
                value: exp.Expression = col(measure.name, cte)
                if measure.empty is not None:
                    value = exp.Coalesce(this=value, expressions=[self.value(measure.empty)])
                project(select, value, measure.name)
            for cte in self.aggregation_ctes(aggregation):
                select = select.join(
                    table_ref(cte), join_type="left",
                    on=self.dated_key(exp.EQ(this=col("_key", cte),
                                             expression=col(self.plan.key, entity.name)),
                                      cte, DATES),
                    copy=False,
                )
        return self.sequence_joins(select, col(self.plan.key, entity.name))

    # ---------------------------------------------------------------- aggregations
