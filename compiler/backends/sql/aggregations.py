"""The grouped passes over related tables: one per events table, partial aggregates of a
`through` table, first/last row numbers, most_frequent, lookups joined (and lookup-only
expressions computed once per lookup row), windows and prefilters."""

from __future__ import annotations

from sqlglot import exp

from ... import catalogue, ir
from ... import model as m
from ...codes import Code
from ...diagnostics import error
from ...plan import Aggregation, Measure
from ...plan.correlation import CONTEXT
from ...plan.hoisting import Hoisted
from ...plan.physical import Bound, Condition, Prefilter, TimeTest
from .expressions import AS_OF_COLUMN
from .multi_date import DATES
from .reductions import implied_by, semi_join
from .trees import (
    and_,
    case_when,
    cast,
    col,
    date_add,
    ident,
    named,
    or_,
    period_start,
    project,
    table_ref,
    with_projection,
)

T = ir.Type
F = ir.AggregateFunc
# How partial results per join key add up to a result per entity.
_COMBINERS = {"sum": exp.Sum, "min": exp.Min, "max": exp.Max}
_COMBINE = {a.name: _COMBINERS[a.partial] for a in catalogue.AGGREGATE_FUNCTIONS.values()
            if a.partial is not None}


class Aggregations:
    """Part of the SQL generator (mixed into `SqlGenerator`)."""

    # The prefilter's `since` while the rows it admits are aggregated: a window test it
    # implies is left out of each measure's condition (implied_by).
    implied: TimeTest | None = None

    def aggregation_ctes(self, aggregation: Aggregation) -> list[str]:
        if aggregation.fold_into:
            return []
        planned = self.physical.pass_for(aggregation.name)
        segmented = self.segmented(aggregation)  # many dates (segments.py)
        names = sorted({self.rolled[m.name] for a in self.plan.aggregations
                        if a is aggregation or a.table in planned.folded
                        for m in a.measures if m.name in self.rolled})  # (rollup.py)
        rest = [m_ for m_ in planned.grouped if m_.name not in self.rolled
                and (segmented is None or m_ not in segmented.measures)]
        if rest:
            names.append(aggregation.cte_name)
        names.extend(self.segment_cte_names(aggregation))
        names.extend(f"{aggregation.cte_name}_{m.name}" for m in planned.most_frequent)
        return names

    def measure_cte(self, aggregation: Aggregation, measure: Measure) -> str:
        if measure.name in self.rolled:  # read from a prepared rollup (rollup.py)
            return self.rolled[measure.name]
        if aggregation.fold_into:
            return f"agg_{aggregation.fold_into}"
        if measure.aggregate.func is F.MOST_FREQUENT:
            return f"{aggregation.cte_name}_{measure.name}"
        return self.segment_measure_cte(aggregation, measure) or aggregation.cte_name

    def aggregation(self, aggregation: Aggregation, context: str | None = None
                    ) -> list[tuple[str, exp.Expression]]:
        """The pass's CTEs; a correlated pass joins each event row to its entity's row of
        the per-entity CTE `context` (the columns it reads, as `segl_context`)."""
        table = self.model.events[aggregation.table]
        self.scope_table = table.name
        ctes: list[tuple[str, exp.Expression]] = []
        planned = self.physical.pass_for(aggregation.name)
        grouped = [m for m in planned.grouped if m.name not in self.rolled]  # (rollup.py)
        ordered = list(planned.ordered)
        folded = [a for a in self.plan.aggregations if a.table in planned.folded
                  and not any(m.name in self.rolled for m in a.measures)]
        segmented = self.segmented(aggregation)  # many dates: from segment rows (segments.py)
        if segmented is not None:
            ctes.extend(self.segment_ctes(aggregation, table, segmented))
            grouped = [m_ for m_ in grouped if m_ not in segmented.measures]
        if aggregation.fold_into:
            pass  # finished inside the pass over the table it is reached through
        elif grouped and aggregation.partial:
            ctes.append(self.finish_partial(aggregation, table))
        elif grouped:
            rows, key = self.event_rows(table, aggregation.lookups, planned.hoisted,
                                        planned.reduced)
            if aggregation.correlated:
                rows = self.join_context(rows, key, aggregation, context or "base")
            if planned.prefilter is not None:
                rows = rows.where(self.plan_Prefilter(planned.prefilter), append=True,
                                  copy=False)
                self.implied = planned.prefilter.since if not self.dated else None
            for other in folded:
                rows = rows.join(
                    named(table_ref(f"pre_{other.table}"), f"pre_{other.table}",
                           table=True),
                    join_type="left", copy=False,
                    on=self.dated_key(exp.EQ(this=col("_via", f"pre_{other.table}"), expression=col(
                        self.model.events[other.table].through_via_column or "", table.name)),
                        f"pre_{other.table}", DATES),
                )
            if ordered:
                # first/last: number each entity's rows by time in a subquery, pick row 1.
                needed = self.columns_in(grouped)
                inner = self._number_rows(rows, key, needed, ordered, table)
                self.row_aliases = {pair: f"{pair[0]}__{pair[1]}" for pair in needed}
                key_expr: exp.Expression = col("_key", "numbered")
                select = exp.select(key_expr).from_(inner.subquery("numbered"))
                dated = "numbered"
            else:
                key_expr = key
                select = with_projection(rows, named(key, "_key"))
                dated = DATES
            keys = [key_expr.copy()]
            if self.dated:
                project(select, self.date_of(dated), AS_OF_COLUMN)
                keys.append(self.date_of(dated))
            for measure in grouped:
                project(select, self.measure(table, measure), measure.name)
            for other in folded:
                for measure in other.measures:
                    total = self.combined(measure, col(measure.name, f"pre_{other.table}"))
                    project(select, total, measure.name)
            ctes.append((aggregation.cte_name, select.group_by(*keys, copy=False)))
            self.row_aliases = self.implied = None
        for measure in planned.most_frequent:
            ctes.append((f"{aggregation.cte_name}_{measure.name}",
                         self.most_frequent(table, measure, aggregation.lookups,
                                            aggregation, context)))
        self.scope_table = None
        self.as_of_source = None
        return ctes

    def join_context(self, rows: exp.Select, key: exp.Expression, aggregation: Aggregation,
                     context: str) -> exp.Select:
        """The entity's values a correlated pass reads, joined to each of its rows."""
        inner = exp.select(named(col(self.plan.row_key, context), "_key")).from_(
            table_ref(context), copy=False)
        for name in aggregation.context:
            project(inner, col(self.plan.row_name(name), context), name)
        return rows.join(inner.subquery(ident(CONTEXT)), join_type="inner", copy=False,
                         on=exp.EQ(this=col("_key", CONTEXT), expression=key.copy()))

    def pre_aggregation(self, aggregation: Aggregation) -> tuple[str, exp.Expression]:
        """Partial results per join key of a table reached through another (count, sum,
        min, max): far fewer rows to join than the table itself."""
        table = self.model.events[aggregation.table]
        self.scope_table = table.name
        rows = exp.select().from_(self.aliased_source(table), copy=False)
        planned = self.physical.pass_for(aggregation.name)
        rows = self.join_lookups(rows, aggregation.lookups, planned.hoisted, planned.reduced)
        conditions = []
        cap = self.physical.cap(table.name)
        self.as_of_source = DATES
        if self.dated:
            rows = self.join_dates(rows, [self.plan_TimeTest(cap)] if cap is not None else [])
        elif cap is not None:
            conditions.append(self.plan_TimeTest(cap))
        if planned.partial_prefilter is not None:
            conditions.append(self.plan_Prefilter(planned.partial_prefilter))
            self.implied = planned.partial_prefilter.since if not self.dated else None
        if conditions:
            rows = rows.where(and_(*conditions), copy=False)
        join_key = col(table.through_column or "", table.name)
        rows.set("expressions", [named(join_key, "_via")])
        keys = [join_key.copy()]
        if self.dated:
            project(rows, self.date_of(DATES), AS_OF_COLUMN)
            keys.append(self.date_of(DATES))
        for measure in aggregation.measures:
            project(rows, self.measure(table, measure), measure.name)
        self.scope_table = self.as_of_source = self.implied = None
        return f"pre_{table.name}", rows.group_by(*keys, copy=False)

    def finish_partial(self, aggregation: Aggregation, table: m.Table) -> tuple[str, exp.Select]:
        """Join the partial results to the table they are reached through; add them up."""
        via = self.model.events[table.through or ""]
        pre = f"pre_{table.name}"
        finish = exp.select(named(col(via.entity_key or "", via.name), "_key"))
        finish = finish.from_(named(table_ref(pre), pre, table=True), copy=False)
        finish = finish.join(
            self.aliased_source(via), join_type="inner", copy=False,
            on=exp.EQ(this=col("_via", pre),
                      expression=col(table.through_via_column or "", via.name)),
        )
        cap = self.physical.cap(via.name)
        self.as_of_source = pre  # (many dates: each partial row's own date)
        if cap is not None:
            finish = finish.where(self.plan_TimeTest(cap), copy=False)
        self.as_of_source = None
        keys = [col(via.entity_key or "", via.name)]
        if self.dated:
            project(finish, self.date_of(pre), AS_OF_COLUMN)
            keys.append(self.date_of(pre))
        for measure in aggregation.measures:
            project(finish, self.combined(measure, col(measure.name, pre)), measure.name)
        finish = finish.group_by(*keys, copy=False)
        return aggregation.cte_name, finish

    def combined(self, measure: Measure, partial: exp.Expression) -> exp.Expression:
        """Partial results added up to one per entity."""
        total = _COMBINE[measure.aggregate.func](this=partial)
        agg = measure.aggregate
        if agg.func is F.SUM and agg.arg is not None and agg.arg.type is not T.INT:
            return self.exact_total(total)
        return total

    def plan_Prefilter(self, prefilter: Prefilter) -> exp.Expression:
        """Rows no measure can use, left out before aggregating (the plan decides which)."""
        parts: list[exp.Expression] = []
        if prefilter.since is not None:
            parts.append(self.plan_TimeTest(prefilter.since))
        if not prefilter.any_of:
            return parts[0]
        saved, self.implied = self.implied, None if self.dated else prefilter.since
        conditions = [self.plan_Condition(condition) for condition in prefilter.any_of]
        self.implied = saved
        if any(condition is None for condition in conditions):
            return parts[0]  # a measure takes every row of the span
        parts.append(conditions[0] if len(conditions) == 1 else or_(*conditions))
        return and_(*parts)

    def _number_rows(self, rows, key, needed, ordered, table) -> exp.Select:
        """SELECT key AS _key, <needed columns as table__column>, ROW_NUMBER() … FROM rows."""
        projections = [named(key, "_key")]
        if self.dated:
            projections.append(named(self.date_of(DATES), AS_OF_COLUMN))
        for table_name, column in needed:
            alias = ident(f"{table_name}__{column}")
            projections.append(named(col(column, table_name), alias))
        for measure in ordered:
            projections.append(named(self.row_number(table, measure, key),
                                          ident(f"_rn_{measure.name}")))
        return with_projection(rows, *projections)

    def columns_in(self, measures: list[Measure]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        table = self.model.events[measures[0].aggregate.table]
        if table.time_column:
            found.append((table.name, table.time_column))
        for measure in measures:
            for part in (measure.aggregate.arg, measure.aggregate.filter):
                if part is None:
                    continue
                for node in part.walk():
                    if isinstance(node, ir.Column) and (node.table, node.name) not in found:
                        found.append((node.table, node.name))
        return found

    def event_rows(self, table: m.Table, lookups: tuple[str, ...],
                   hoisted: tuple[Hoisted, ...], reduced: tuple[str, ...] = (),
                   with_dates: bool = True) -> tuple[exp.Select, exp.Expression]:
        """FROM the events table (joined through its via table and to its lookups), with
        every row after as_of removed; returns the select and the entity-key expression.
        Many dates without `with_dates`: no date joined and no cap (segments.py's own)."""
        select = exp.select().from_(self.aliased_source(table))
        self.as_of_source = DATES  # (many dates: the date each row is joined to)
        caps: list[exp.Expression] = []
        cap = self.physical.cap(table.name)
        if cap is not None:
            caps.append(self.plan_TimeTest(cap))
        key: exp.Expression = col(table.entity_key or "", table.name)
        if table.through:
            via = self.model.events[table.through]
            select = select.join(
                self.aliased_source(via), join_type="inner",
                on=exp.EQ(this=col(table.through_column or "", table.name),
                          expression=col(table.through_via_column or "", via.name)),
            )
            via_cap = self.physical.cap(via.name)
            if via_cap is not None:
                caps.append(self.plan_TimeTest(via_cap))
            key = col(via.entity_key or "", via.name)
        select = self.join_lookups(select, lookups, hoisted, reduced)
        if self.dated:
            if with_dates:
                select = self.join_dates(select, caps)
        elif caps:
            select = select.where(and_(*caps))
        return select, key

    def join_lookups(self, select: exp.Select, lookups: tuple[str, ...],
                     hoisted: tuple[Hoisted, ...] = (), reduced: tuple[str, ...] = ()
                     ) -> exp.Select:
        """LEFT JOIN each lookup. An expression of the measures that reads one lookup's
        columns only (`part.p_type like "%BRASS%"`) is computed in that lookup's subquery,
        once per lookup row instead of once per event row; a `reduced` lookup keeps only
        its rows meeting one of those conditions."""
        self.lookup_values = {}  # valid for the rows this join builds, and only for them
        for name in lookups:
            lookup = self.model.lookups[name]
            source = self.aliased_source(lookup)
            mine = [(h.expr, h.alias) for h in hoisted if h.lookup == name]
            if name in reduced and len(mine) == 1 and semi_join(self, select, lookup, *mine[0]):
                continue
            if mine:
                saved, self.scope_table = self.scope_table, name
                inner = exp.select(exp.Star()).from_(self.aliased_source(lookup), copy=False)
                if name in reduced:
                    inner = inner.where(or_(*(self.cond(expr) for expr, _ in mine)),
                                        copy=False)
                for expr, alias in mine:
                    project(inner, self.value(expr), alias)
                # registered after all are computed: one inside another (`x = 1` inside `not
                # (x = 1)`) is computed again there, as a column of the same SELECT cannot
                # be read by name
                for expr, alias in mine:
                    self.lookup_values[expr] = col(alias, name)
                self.scope_table = saved
                source = inner.subquery(ident(name))
            select = select.join(
                source, join_type="left", copy=False,
                on=exp.EQ(this=col(lookup.owner_column or "", lookup.owner),
                          expression=col(lookup.key or "", lookup.name)),
            )
        return select

    def plan_TimeTest(self, test: TimeTest) -> exp.Expression:
        kind = {ir.CompareOp.GE: exp.GTE, ir.CompareOp.LT: exp.LT}[test.op]
        return kind(this=self.column_ref(test.table, test.column),
                    expression=self.plan_Bound(test.bound, test.timestamp))

    def plan_Bound(self, bound: Bound, timestamp: bool) -> exp.Expression:
        """A date (midnight, for a timestamp column) known at compile time, or as_of
        shifted when the query runs."""
        if bound.fixed is not None:
            if not timestamp:
                return self.to_date(exp.Literal.string(bound.fixed.isoformat()))
            return self.to_timestamp(exp.Literal.string(f"{bound.fixed.isoformat()} 00:00:00"))
        start = self.as_of_expr()
        if bound.truncate:  # a calendar period's first day (as_of known only at run time)
            start = self.to_date(period_start(start, bound.truncate, self.dialect))
        result = date_add(start, bound.amount, bound.unit)
        if bound.plus_day:
            result = date_add(result, 1, "day")
        return self.to_timestamp(result) if timestamp else result

    def plan_Condition(self, condition: Condition, require: ir.Expr | None = None
                       ) -> exp.Expression | None:
        """A measure's filter and window (and with `require`, that value present)."""
        parts: list[exp.Expression] = []
        if condition.filter is not None:
            parts.append(self.cond(condition.filter))
        window = [test for test in condition.window if not implied_by(test, self.implied)]
        if window:
            parts.append(and_(*(self.plan_TimeTest(test) for test in window)))
        if require is not None:
            parts.append(exp.Not(this=exp.Is(this=self.value(require), expression=exp.Null())))
        return and_(*parts) if parts else None

    def measure_condition(self, measure: Measure, require_value: bool = False,
                          condition: Condition | None = None) -> exp.Expression | None:
        return self.plan_Condition(condition or self.physical.condition(measure),
                                   measure.aggregate.arg if require_value else None)

    def measure(self, table: m.Table, measure: Measure, condition_: Condition | None = None
                ) -> exp.Expression:
        """The measure's aggregate; `condition_` instead of its own (segments.py: the
        filter without the window)."""
        agg = measure.aggregate
        if agg.func in (F.FIRST, F.LAST):
            condition = exp.EQ(this=col(f"_rn_{measure.name}", "numbered"),
                               expression=exp.Literal.number(1))
            inner = self.measure_condition(measure, require_value=True)
            if inner is not None:
                condition = and_(condition, inner)
            return exp.Max(this=case_when(condition, self.value(agg.arg)))
        condition = self.measure_condition(measure, condition=condition_)
        # Where the dialect has it, `agg(x) FILTER (WHERE c)`: the same rows as
        # `agg(CASE WHEN c THEN x END)` (a null condition admits no row either), without a
        # CASE per row. (Catalogue aggregates built by their entry keep the CASE.)
        use_filter = condition is not None and self.rules.aggregate_filter
        if agg.func is F.COUNT:
            if agg.arg is None:
                if condition is None:
                    return exp.Count(this=exp.Star())
                if use_filter:
                    return filtered(exp.Count(this=exp.Star()), condition)
                return exp.Count(this=case_when(condition, exp.Literal.number(1)))
            value = self.value(agg.arg)
            if condition is not None and not use_filter:
                value = case_when(condition, value)
            if agg.distinct:
                value = exp.Distinct(expressions=[value])
            return filtered(exp.Count(this=value), condition if use_filter else None)
        value = self.value(agg.arg)
        entry = catalogue.aggregate(agg.func)
        build = entry.sql_for(self.dialect)
        if build is not None:
            if self.dialect in entry.sql_unsupported:
                self.errors.append(error(
                    Code.E301, f"the {self.dialect} dialect cannot compute `{agg.func}`",
                    agg.span, "run it on another engine (docs/language.md#aggregates)"))
            return build(self, [value if condition is None else case_when(condition, value)],
                         agg)
        if agg.func in (F.SUM, F.AVG) and agg.arg.type in (T.FLOAT, T.ANY):
            # Exact, order-independent totals on every engine and every run: add floats as
            # DECIMAL(38, 9) (each value rounded to 9 decimals first).
            value = cast(value, exp.DataType.build("DECIMAL(38, 9)"))
        if condition is not None and not use_filter:
            value = case_when(condition, value)
        result = filtered((exp.Sum if agg.func is F.SUM else exp.Avg)(this=value),
                          condition if use_filter else None)
        if agg.func in (F.SUM, F.AVG) and agg.arg.type is not T.INT:
            return self.exact_total(result)
        return result

    def exact_total(self, total: exp.Expression) -> exp.Expression:
        if self.rules.exact_decimals:
            return total
        return exp.Round(this=total, decimals=exp.Literal.number(9))

    def row_number(self, table: m.Table, measure: Measure, key: exp.Expression) -> exp.Expression:
        """Row 1 is the earliest (first) or latest (last) qualifying row; ties by value."""
        agg = measure.aggregate
        condition = self.measure_condition(measure, require_value=True)
        order = []
        if condition is not None:
            order.append(exp.Ordered(this=exp.Case(
                ifs=[exp.If(this=condition, true=exp.Literal.number(0))],
                default=exp.Literal.number(1))))
        descending = agg.func is F.LAST
        time = col(table.time_column or "", table.name)
        order.append(exp.Ordered(this=time, desc=descending))
        order.append(exp.Ordered(this=self.value(agg.arg), desc=descending))
        return exp.Window(this=exp.RowNumber(),
                          partition_by=[key.copy(), *self.date_partition(DATES)],
                          order=exp.Order(expressions=order))

    def most_frequent(self, table: m.Table, measure: Measure, lookups: tuple[str, ...],
                      aggregation: Aggregation | None = None, context: str | None = None
                      ) -> exp.Select:
        agg = measure.aggregate
        rows, key = self.event_rows(table, lookups, self.physical.hoisted_for(measure))
        if aggregation is not None and aggregation.correlated:
            rows = self.join_context(rows, key, aggregation, context or "base")
        self.scope_table = table.name
        condition = self.measure_condition(measure, require_value=True)
        dates = [named(self.date_of(DATES), AS_OF_COLUMN)] if self.dated else []
        counted = with_projection(rows, named(key, "_key"), *dates,
                                   named(self.value(agg.arg), "_value"))
        if condition is not None:
            counted = counted.where(condition, append=True)
        counted = counted.group_by(key.copy(), *self.date_partition(DATES), self.value(agg.arg))
        rank = exp.Window(
            this=exp.RowNumber(), partition_by=[key.copy(), *self.date_partition(DATES)],
            order=exp.Order(expressions=[
                exp.Ordered(this=exp.Count(this=exp.Star()), desc=True),
                exp.Ordered(this=self.value(agg.arg)),
            ]),
        )
        counted = counted.select(named(rank, "_rn"), append=True)
        self.as_of_source = None
        return (exp.select(col("_key"), *([self.date_of(None)] if self.dated else []),
                           named(col("_value"), ident(measure.name)))
                .from_(counted.subquery("counted"))
                .where(exp.EQ(this=col("_rn"), expression=exp.Literal.number(1))))

    # ---------------------------------------------------------------- expressions


def filtered(aggregate: exp.Expression, condition: exp.Expression | None) -> exp.Expression:
    """`aggregate FILTER (WHERE condition)`, or the aggregate itself without a condition."""
    if condition is None:
        return aggregate
    return exp.Filter(this=aggregate, expression=exp.Where(this=condition))

