"""Plan -> Polars: one lazy query (scans, joins, `group_by().agg()`, `pl.when`), built from
the plan directly, never through Polars' SQL interface.

Mirrors the SQL backend, whose semantics it must reproduce exactly: one method per IR node kind
(`value_<Node>`), the same aggregation passes (one grouped pass per events table, partial
aggregates of a `through` table folded into the pass over the table it is reached through,
lookup-only expressions computed once per lookup row), and the same rules for windows,
zeros, nulls, ranking, scores and exact arithmetic. Where the engines differ by default the
expression written here is what makes Polars agree with DuckDB:

- float values are summed and averaged as DECIMAL(38, 9) after rounding each value half
  away from zero (Polars' own cast rounds half to even);
- `/` divides as doubles with x / 0 missing (what DuckDB does with its decimal division);
- `top`/`bottom` and ntile/quantile rank only the entities the plan admits (filter, then
  rank: `plan/ranking.py`), numbered by value and key, joined back by key;
- ntile and quantile scores are computed with DuckDB's integer formulas.

A construct Polars cannot express raises CompileError (E301) at the `.seg` position.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
import polars.selectors as cs

from ... import ir
from ... import model as m
from ...codes import Code
from ...diagnostics import CompileError, error
from ...plan import Computed, Measure, Plan, feature_table_name
from ...plan.as_of import AsOf, AsOfMode
from ...plan.hoisting import Hoisted
from ...plan.physical import physical_plan
from .aggregations import Aggregations
from .expressions import ENGINE, PolarsExpressions
from .passes import Passes, PassRunner
from .sequences import Sequences
from .sources import column_named, scan_source


@dataclass(frozen=True)
class PolarsQuery:
    """The compiled query: `frame` is lazy; collecting it returns one row per entity,
    ordered by key, with the same columns (names and order) as the SQL query."""

    frame: pl.LazyFrame
    columns: tuple[str, ...]



def generate_polars(plan: Plan, as_of: date, run_pass: PassRunner | None = None
                    ) -> PolarsQuery:
    """The whole plan as one lazy Polars query, for a fixed as_of date. With `run_pass`,
    each grouped pass that can run alone is given to it while the query is built, and the
    query reads what it returns (`passes.py`: the runtime runs them one by one)."""
    return PolarsGenerator(plan, as_of, run_pass).query()


class PolarsGenerator(Aggregations, Sequences, Passes, PolarsExpressions):
    def __init__(self, plan: Plan, as_of: date, run_pass: PassRunner | None = None) -> None:
        physical = physical_plan(plan, AsOf(AsOfMode.DATE, as_of))
        super().__init__(physical.plan, as_of)
        self.physical = physical
        self.schemas: dict[str, pl.Schema] = {}
        self.run_pass = run_pass

    def query(self) -> PolarsQuery:
        partials = {a.table: self.pre_aggregation(a) for a in self.plan.aggregations
                    if a.partial}
        grouped = {a.table: self.aggregation(a, partials) for a in self.plan.aggregations
                   if not a.correlated}
        frame = self.correlated_passes(0, self.base(grouped), partials)
        for index, step in enumerate(self.plan.steps):
            ranked = [r for r in self.physical.rankings if r.step == index]
            for ranking in ranked:
                # filter, then rank: the ranked entities joined back by key
                frame = self.join_by_key(frame, self.plan_Ranking(ranking, frame),
                                         column_named(self.plan.row_key))
            frame = frame.with_columns([self.column_value(c).alias(c.name)
                                        for c in step.columns])
            if ranked:
                frame = frame.drop(cs.starts_with(*(f"_{r.name}_" for r in ranked)))
            frame = self.correlated_passes(index + 1, frame, partials)
        key = self.plan.key
        outputs = [column_named(self.plan.row_key).alias(key)]
        outputs += [column_named(name) for name in (*self.plan.outputs, *self.plan.segmentations)]
        outputs += [column_named(computed).alias(output)
                    for output, computed in self.plan.score_outputs]
        outputs += [column_named(name) for name in (*self.plan.kpi_components, *self.plan.traits)]
        if self.errors:
            raise CompileError(sorted(self.errors, key=lambda d: d.span.start if d.span else 0))
        final = frame.select(outputs).sort(column_named(key))
        columns = (key, *self.plan.outputs, *self.plan.segmentations,
                   *(output for output, _ in self.plan.score_outputs),
                   *self.plan.kpi_components, *self.plan.traits)
        return PolarsQuery(final, columns)

    def correlated_passes(self, stage: int, frame: pl.LazyFrame,
                          partials: dict[str, pl.LazyFrame]) -> pl.LazyFrame:
        """The correlated passes that run after step `stage` (0: after the entity row),
        reading the entity's values from `frame`; their measures joined to it by key."""
        passes = [a for a in self.plan.aggregations if a.stage == stage]
        for aggregation in passes:
            for result in self.aggregation(aggregation, partials, frame):
                frame = self.join_by_key(frame, result, column_named(self.plan.row_key))
        defaults = [column_named(measure.name).fill_null(self.value(measure.empty))
                    for aggregation in passes for measure in aggregation.measures
                    if measure.empty is not None]
        return frame.with_columns(defaults) if defaults else frame

    def column_value(self, column: Computed) -> pl.Expr:
        if column.kind.is_membership:
            # Membership is true or false, never null: a null predicate does not admit.
            return self.value(column.expr).fill_null(False)
        return self.value(column.expr)

    # ---------------------------------------------------------------- sources
    def scan(self, table: m.Table) -> pl.LazyFrame:
        """The table's first file location, lazily; CSV columns get the model's types."""
        frame = scan_source(table)
        if frame is not None:
            return frame
        kinds = sorted({loc.kind for loc in table.locations})
        if any(f"`{table.name}` from a" in d.message for d in self.errors):
            return pl.LazyFrame()  # reported once per source
        self.errors.append(error(
            Code.E301, f"the {ENGINE} engine cannot read `{table.name}` from a "
            f"{' or '.join(kinds)} location",
            table.locations[0].span if table.locations else table.span,
            "add a parquet or csv location for it, or run with --engine duckdb"))
        return pl.LazyFrame()

    def schema(self, table: m.Table) -> pl.Schema:
        if table.name not in self.schemas:
            try:
                self.schemas[table.name] = self.scan(table).collect_schema()
            except pl.exceptions.PolarsError:
                self.schemas[table.name] = pl.Schema()
        return self.schemas[table.name]

    def read(self, table: m.Table, columns: list[str], rename=None) -> pl.LazyFrame:
        """Only the given columns of a table, renamed by `rename(column)`."""
        available = self.schema(table)
        names = [c for c in dict.fromkeys(columns) if c in available or not available]
        for name in names:
            kind = available.get(name)
            if isinstance(kind, pl.Datetime) and kind.time_zone and not any(
                    f"`{table.name}.{name}`" in d.message for d in self.errors):
                # DuckDB converts with its session time zone; Polars would refuse to compare.
                self.errors.append(error(
                    Code.E301, f"the {ENGINE} engine cannot compare `{table.name}.{name}`, a "
                    f"timestamp with time zone {kind.time_zone}, with segl's plain timestamps",
                    table.locations[0].span if table.locations else table.span,
                    "store naive timestamps in the business time zone, or run with "
                    "--engine duckdb"))
        return self.scan(table).select([column_named(c).alias(rename(c) if rename else c)
                                        for c in names])

    # ---------------------------------------------------------------- the entity row
    def base(self, grouped: dict[str, list[pl.LazyFrame]]) -> pl.LazyFrame:
        entity = self.model.entity
        owners = [self.model.lookups[name].owner_column or "" for name in self.plan.lookups
                  if self.model.lookups[name].owner == entity.name]
        frame = self.read(entity, [*self.plan.entity_columns, *owners])
        frame = self.join_lookups(frame, self.plan.lookups, [],
                                  lambda table, column: column if table == entity.name
                                  else feature_table_name(table, column))
        keep = [column_named(c).alias(self.plan.row_name(c)) for c in self.plan.entity_columns]
        keep += [column_named(feature_table_name(lookup, column))
                 for lookup, column in self.plan.lookup_columns]
        frame = frame.select(keep)
        key = self.plan.row_key
        for aggregation in self.plan.aggregations:
            for result in grouped.get(aggregation.table, []) if not aggregation.correlated \
                    else []:
                frame = self.join_by_key(frame, result, column_named(key))
        frame = self.sequence_joins(frame, column_named(key))
        defaults = []
        for aggregation in self.plan.aggregations:
            for measure in aggregation.measures if not aggregation.correlated else ():
                if measure.empty is not None:
                    defaults.append(column_named(measure.name).fill_null(self.value(measure.empty)))
        return frame.with_columns(defaults) if defaults else frame

    def join_by_key(self, left: pl.LazyFrame, right: pl.LazyFrame,
                    left_on: pl.Expr) -> pl.LazyFrame:
        """LEFT JOIN a frame of per-entity values keyed by its `_key` column, that column
        dropped after. Renamed first when the left frame has a column of that name (the
        data's own column names are the user's: an entity column `_key` must survive)."""
        name = "_key"
        left_names = set(left.collect_schema().names())
        if name in left_names:
            taken = left_names | set(right.collect_schema().names())
            while name in taken:
                name = "_" + name
            right = right.rename({"_key": name})
        return self.left_join(left, right, left_on, pl.col(name)).drop(name)

    def left_join(self, left: pl.LazyFrame, right: pl.LazyFrame, left_on: pl.Expr,
                  right_on: pl.Expr, how: str = "left") -> pl.LazyFrame:
        """A SQL join: null keys match nothing; integer keys of different widths match by
        value (Polars joins only keys of one type)."""
        left_type = left.select(left_on).collect_schema().dtypes()[0]
        right_type = right.select(right_on).collect_schema().dtypes()[0]
        if left_type != right_type:
            common = pl.Int64 if left_type.is_integer() and right_type.is_integer() \
                else left_type
            left_on, right_on = left_on.cast(common), right_on.cast(common)
        return left.join(right, left_on=left_on, right_on=right_on, how=how,
                         coalesce=False, maintain_order="none")  # the result is sorted by key

    def join_lookups(self, frame: pl.LazyFrame, lookups: tuple[str, ...],
                     measures: list[Measure], naming,
                     hoisted: tuple[Hoisted, ...] = (), reduced: tuple[str, ...] = ()
                     ) -> pl.LazyFrame:
        """LEFT JOIN each lookup, its columns named `naming(lookup, column)`. An expression of
        the measures that reads one lookup's columns only (`part.p_type like "%BRASS%"`) is
        computed in that lookup's frame, once per lookup row instead of once per event row;
        a `reduced` lookup keeps only its rows meeting one of those conditions."""
        self.lookup_values = {}
        needed = self.columns_read(measures)
        for name in lookups:
            lookup = self.model.lookups[name]
            columns = [lookup.key or ""]
            columns += [column for table, column in needed if table == name]
            columns += [column for table, column in self.plan.lookup_columns if table == name]
            columns += [other.owner_column or "" for other in self.model.lookups.values()
                        if other.owner == name and other.name in lookups]
            right = self.read(lookup, columns, lambda column, name=name: naming(name, column))
            mine = [(h.expr, h.alias) for h in hoisted if h.lookup == name]
            if mine:
                saved, self.scope_table = self.scope_table, name
                right = right.with_columns([self.value(expr).alias(alias) for expr, alias in mine])
                if name in reduced:
                    right = right.filter(pl.any_horizontal(
                        [column_named(alias) for _, alias in mine]))
                self.scope_table = saved
                for expr, alias in mine:
                    self.lookup_values[expr] = column_named(alias)
            owner_column = naming(lookup.owner or "", lookup.owner_column or "")
            frame = self.left_join(frame, right, column_named(owner_column),
                                   column_named(naming(name, lookup.key or "")))
        return frame

    def columns_read(self, measures: list[Measure]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for measure in measures:
            for part in (measure.aggregate.arg, measure.aggregate.filter):
                if part is not None:
                    for node in part.walk():
                        if isinstance(node, ir.Column) and (node.table, node.name) not in found:
                            found.append((node.table, node.name))
        return found

    # ---------------------------------------------------------------- aggregations
