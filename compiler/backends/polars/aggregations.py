"""The grouped passes over related tables as Polars frames: one `group_by().agg()` per
events table, partial aggregates of a `through` table, first/last, most_frequent, windows
and prefilters (the same passes as the SQL backend's)."""

from __future__ import annotations

from datetime import datetime, time

import polars as pl

from ... import catalogue, ir
from ... import model as m
from ...plan import Aggregation, Measure
from ...plan.correlation import CONTEXT
from ...plan.hoisting import Hoisted
from ...plan.physical import Bound, Condition, Prefilter, TimeTest
from .numeric import all_of, as_sum_decimal, average
from .sources import column_named, qualified

T = ir.Type
F = ir.AggregateFunc
# How partial results per join key add up (the catalogue's `partial`: a Polars method name).
_COMBINE = {a.name: a.partial for a in catalogue.AGGREGATE_FUNCTIONS.values()
            if a.partial is not None}


class Aggregations:
    """Part of the Polars generator (mixed into `PolarsGenerator`)."""

    def event_rows(self, table: m.Table, lookups: tuple[str, ...],
                   measures: list[Measure], hoisted: tuple[Hoisted, ...],
                   extra: tuple[str, ...] = (), reduced: tuple[str, ...] = ()
                   ) -> tuple[pl.LazyFrame, pl.Expr]:
        """The events table (joined through its via table and to its lookups), every row
        after as_of removed, columns qualified; returns the frame and the entity key."""
        needed = self.columns_read(measures)
        own = [column for t, column in needed if t == table.name]
        keys = [table.entity_key, table.time_column, table.through_column, *extra]
        frame = self.read(table, [*(k for k in keys if k), *own,
                                  *self.lookup_owner_columns(table.name, lookups)],
                          lambda column: qualified(table.name, column))
        cap = self.physical.cap(table.name)
        if cap is not None:
            frame = frame.filter(self.plan_TimeTest(cap))
        key = column_named(qualified(table.name, table.entity_key or ""))
        if table.through:
            via = self.model.events[table.through]
            via_columns = [via.entity_key, via.time_column, table.through_via_column]
            via_columns += [column for t, column in needed if t == via.name]
            via_columns += self.lookup_owner_columns(via.name, lookups)
            right = self.read(via, [c for c in via_columns if c],
                              lambda column: qualified(via.name, column))
            via_cap = self.physical.cap(via.name)
            if via_cap is not None:
                right = right.filter(self.plan_TimeTest(via_cap))
            frame = self.left_join(
                frame, right, column_named(qualified(table.name, table.through_column or "")),
                column_named(qualified(via.name, table.through_via_column or "")), how="inner")
            key = column_named(qualified(via.name, via.entity_key or ""))
        frame = self.join_lookups(frame, lookups, measures, qualified, hoisted, reduced)
        return frame, key

    def lookup_owner_columns(self, table: str, lookups: tuple[str, ...]) -> list[str]:
        return [self.model.lookups[name].owner_column or "" for name in lookups
                if self.model.lookups[name].owner == table]

    def aggregation(self, aggregation: Aggregation, partials: dict[str, pl.LazyFrame],
                    context: pl.LazyFrame | None = None) -> list[pl.LazyFrame]:
        """Frames of `_key` and measure columns for the entity row to LEFT JOIN: the one
        grouped pass, plus one frame per most_frequent measure. A correlated pass joins
        each event row to its entity's row of `context` (the per-entity frame so far)."""
        table = self.model.events[aggregation.table]
        self.scope_table = table.name
        results: list[pl.LazyFrame] = []
        planned = self.physical.pass_for(aggregation.name)
        grouped = list(planned.grouped)
        folded = [a for a in self.plan.aggregations if a.table in planned.folded]
        if aggregation.fold_into:
            pass  # finished inside the pass over the table it is reached through
        elif grouped and aggregation.partial:
            results.append(self.finish_partial(aggregation, table, partials[table.name]))
        elif grouped:
            via_columns = tuple(self.model.events[a.table].through_via_column or ""
                                for a in folded)
            rows, key = self.event_rows(table, aggregation.lookups, grouped, planned.hoisted,
                                        via_columns, planned.reduced)
            if aggregation.correlated and context is not None:
                rows = self.join_context(rows, key, aggregation, context)
            if planned.prefilter is not None:
                rows = rows.filter(self.plan_Prefilter(planned.prefilter))
            combined: list[pl.Expr] = []
            for other in folded:
                via_column = self.model.events[other.table].through_via_column or ""
                rows = self.left_join(rows, partials[other.table],
                                      column_named(qualified(table.name, via_column)),
                                      pl.col("_via"))
                for measure in other.measures:
                    total = getattr(column_named(measure.name), _COMBINE[measure.aggregate.func])()
                    combined.append(total.alias(measure.name))
            parts = [self.measure(table, measure) for measure in grouped]
            rows = rows.with_columns([c for inputs, _ in parts for c in inputs])
            aggregates = [aggregate.alias(m.name) for m, (_, aggregate) in zip(grouped, parts,
                                                                               strict=True)]
            totals = [*aggregates, *combined]
            results.append(self.grouped_pass(
                rows, key.meta.output_name(),
                lambda rows, key=key: rows.group_by(key.alias("_key")).agg(totals),
                totals, alone=not aggregation.correlated))
        for measure in planned.most_frequent:
            results.append(self.most_frequent(table, measure, aggregation.lookups,
                                              aggregation, context))
        self.scope_table = None
        return results

    def join_context(self, rows: pl.LazyFrame, key: pl.Expr, aggregation: Aggregation,
                     context: pl.LazyFrame) -> pl.LazyFrame:
        """The entity's values a correlated pass reads, joined to each of its rows."""
        row = self.plan.row_name
        values = context.select(column_named(self.plan.row_key).alias("_context_key"), *(
            column_named(row(name)).alias(qualified(CONTEXT, name))
            for name in aggregation.context))
        return self.left_join(rows, values, key, pl.col("_context_key"), how="inner")

    def pre_aggregation(self, aggregation: Aggregation) -> pl.LazyFrame:
        """Partial results per join key of a table reached through another (count, sum,
        min, max): far fewer rows to join than the table itself."""
        table = self.model.events[aggregation.table]
        self.scope_table = table.name
        measures = list(aggregation.measures)
        needed = self.columns_read(measures)
        own = [column for t, column in needed if t == table.name]
        frame = self.read(table, [c for c in (table.through_column, table.time_column) if c]
                          + own + self.lookup_owner_columns(table.name, aggregation.lookups),
                          lambda column: qualified(table.name, column))
        planned = self.physical.pass_for(aggregation.name)
        frame = self.join_lookups(frame, aggregation.lookups, measures, qualified,
                                  planned.hoisted, planned.reduced)
        conditions = []
        cap = self.physical.cap(table.name)
        if cap is not None:
            conditions.append(self.plan_TimeTest(cap))
        if planned.partial_prefilter is not None:
            conditions.append(self.plan_Prefilter(planned.partial_prefilter))
        if conditions:
            frame = frame.filter(pl.all_horizontal(conditions))
        join_column = qualified(table.name, table.through_column or "")
        parts = [self.measure(table, measure) for measure in measures]
        frame = frame.with_columns([c for inputs, _ in parts for c in inputs])
        aggregates = [aggregate.alias(m.name)
                      for m, (_, aggregate) in zip(measures, parts, strict=True)]
        result = self.grouped_pass(
            frame, join_column,
            lambda rows: rows.group_by(column_named(join_column).alias("_via")).agg(aggregates),
            aggregates)
        self.scope_table = None
        return result

    def finish_partial(self, aggregation: Aggregation, table: m.Table,
                       partial: pl.LazyFrame) -> pl.LazyFrame:
        """Join the partial results to the table they are reached through; add them up."""
        via = self.model.events[table.through or ""]
        right = self.read(via, [c for c in (via.entity_key, via.time_column,
                                            table.through_via_column) if c],
                          lambda column: qualified(via.name, column))
        cap = self.physical.cap(via.name)
        if cap is not None:
            right = right.filter(self.plan_TimeTest(cap))
        # (the partial results on the build side: far fewer rows than the table they join)
        rows = self.left_join(right, partial,
                              column_named(qualified(via.name, table.through_via_column or "")),
                              pl.col("_via"), how="inner")
        totals = [getattr(column_named(m.name), _COMBINE[m.aggregate.func])().alias(m.name)
                  for m in aggregation.measures]
        key = qualified(via.name, via.entity_key or "")
        return self.grouped_pass(
            rows, key, lambda rows: rows.group_by(column_named(key).alias("_key")).agg(totals),
            totals)

    def plan_Prefilter(self, prefilter: Prefilter) -> pl.Expr:
        """Rows no measure can use, left out before aggregating (the plan decides which)."""
        parts: list[pl.Expr] = []
        if prefilter.since is not None:
            parts.append(self.plan_TimeTest(prefilter.since))
        if not prefilter.any_of:
            return parts[0]
        conditions = [self.plan_Condition(condition) for condition in prefilter.any_of]
        parts.append(pl.any_horizontal(conditions) if len(conditions) > 1 else conditions[0])
        return pl.all_horizontal(parts) if len(parts) > 1 else parts[0]

    def time_column(self, table: m.Table) -> pl.Expr:
        return column_named(qualified(table.name, table.time_column or ""))

    def plan_TimeTest(self, test: TimeTest) -> pl.Expr:
        column = column_named(qualified(test.table, test.column))
        bound = self.plan_Bound(test.bound, test.timestamp)
        return column >= bound if test.op is ir.CompareOp.GE else column < bound

    def plan_Bound(self, bound: Bound, timestamp: bool) -> pl.Expr:
        """A date literal for a date column, midnight for a timestamp column (as_of is a
        date on Polars: every bound is known)."""
        if bound.fixed is None:
            raise AssertionError("the Polars backend runs with a known as_of date")
        return pl.lit(datetime.combine(bound.fixed, time())) if timestamp else pl.lit(bound.fixed)

    def plan_Condition(self, condition: Condition, require: ir.Expr | None = None
                       ) -> pl.Expr | None:
        """A measure's filter and window (and with `require`, that value present)."""
        parts: list[pl.Expr] = []
        if condition.filter is not None:
            parts.append(self.value(condition.filter))
        if condition.window:
            parts.append(all_of([self.plan_TimeTest(test) for test in condition.window]))
        if require is not None:
            parts.append(self.value(require).is_not_null())
        return all_of(parts) if parts else None

    def measure_condition(self, measure: Measure, require_value: bool = False
                          ) -> pl.Expr | None:
        return self.plan_Condition(self.physical.condition(measure),
                                   measure.aggregate.arg if require_value else None)

    def measure(self, table: m.Table, measure: Measure) -> tuple[list[pl.Expr], pl.Expr]:
        """One aggregate: the columns to add to the rows before grouping, and the expression
        inside `group_by().agg()`. Each measure's input is one column holding the value on
        the rows its condition admits (a null condition does not) and null elsewhere, so the
        aggregate is a plain `sum()`, `count()`, `min()`… (Polars' fast path per group)."""
        agg = measure.aggregate
        column = f"_in_{measure.name}"
        if agg.func in (F.FIRST, F.LAST):
            condition = self.measure_condition(measure, require_value=True)
            value = self.value(agg.arg)
            descending = agg.func is F.LAST
            order = [self.time_column(table), value]
            if condition is not None:
                value, order = value.filter(condition), [o.filter(condition) for o in order]
            # earliest (latest) time, then the smallest (largest) value
            return [], value.sort_by(order, descending=descending).first()
        condition = self.measure_condition(measure)
        if agg.func is F.COUNT and agg.arg is None:
            if condition is None:
                return [], pl.len().cast(pl.Int64)
            return [condition.fill_null(False).alias(column)], \
                column_named(column).sum().cast(pl.Int64)
        value = self.value(agg.arg)
        build = catalogue.aggregate(agg.func).polars
        if build is not None:
            if condition is not None:
                value = pl.when(condition).then(value)
            return [value.alias(column)], build(self, [column_named(column)], agg)
        if agg.func in (F.SUM, F.AVG) and agg.arg.type in (T.FLOAT, T.ANY):
            value = as_sum_decimal(value)
        elif agg.func is F.SUM and agg.arg.type is T.INT:
            value = value.cast(pl.Int128)  # DuckDB's HUGEINT: a sum never overflows
        if condition is not None:
            value = pl.when(condition).then(value)
        inputs, admitted = [value.alias(column)], column_named(column)
        if agg.func is F.COUNT:
            if agg.distinct:
                present = admitted.null_count().gt(0).cast(pl.Int64)
                return inputs, admitted.n_unique().cast(pl.Int64) - present
            return inputs, admitted.count().cast(pl.Int64)
        if agg.func is F.AVG:
            return inputs, average(admitted, agg.arg.type in (T.FLOAT, T.ANY, T.DECIMAL))
        return inputs, admitted.sum()

    def most_frequent(self, table: m.Table, measure: Measure, lookups: tuple[str, ...],
                      aggregation: Aggregation | None = None,
                      context: pl.LazyFrame | None = None) -> pl.LazyFrame:
        """The value on most rows per entity; among equally frequent values the smallest."""
        agg = measure.aggregate
        rows, key = self.event_rows(table, lookups, [measure],
                                    self.physical.hoisted_for(measure))
        if aggregation is not None and aggregation.correlated and context is not None:
            rows = self.join_context(rows, key, aggregation, context)
        self.scope_table = table.name
        condition = self.measure_condition(measure, require_value=True)
        if condition is not None:
            rows = rows.filter(condition)
        value = self.value(agg.arg)

        def group(rows: pl.LazyFrame) -> pl.LazyFrame:
            counted = rows.group_by([key.alias("_key"), value.alias("_value")]).agg(
                pl.len().alias("_rows"))
            return counted.group_by("_key").agg(
                pl.col("_value").sort_by(["_rows", "_value"], descending=[True, False]).first()
                .alias(measure.name))
        correlated = aggregation is not None and aggregation.correlated
        return self.grouped_pass(rows, key.meta.output_name(), group, [value],
                                 alone=not correlated)

    # ---------------------------------------------------------------- expressions
