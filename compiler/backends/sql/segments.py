"""Many dates: the measures that combine, from partial aggregates per (entity, segment).

`plan/segments.py` decides the cuts and, per date, which segments each window holds. Here:

- `<pass>__seg`: the pass's rows (with its via table and lookups, no dates joined), each
  given its position among the cuts (`_seg`, a CASE over literal dates; `_vis` for the via
  table's time), grouped by (entity, `_seg`[, `_vis`]) with each measure's partial value
  (its filter applied, not its window);
- `<pass>__spans`: one row per date with its positions (`_upto`, `_start`, and the first and
  past position of each window), literals;
- `<pass>__pos`: one row per (date, position it reads): the spans joined to the positions
  0..len(cuts) (literals), a few hundred rows, so that the segment rows meet their dates by an
  equality on the position (a hash join on a small build side) rather than an inequality
  join of every segment row with the dates (a sort of the segment rows);
- `<pass>__dated`: the segment rows joined to the dates they are visible at, grouped by
  (entity, date), each measure combining the segment rows inside its window (sum of counts
  and sums, min of minima, max of maxima); for a pass with no window and no via table,
  running totals per entity over the segment rows, each date reading the entity's last
  segment row before its cap (`_running`).

Part of the SQL generator (mixed into `SqlGenerator`).
"""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from ... import ir
from ... import model as m
from ...plan import Aggregation, Measure
from ...plan.physical import Bound, Condition, TimeTest
from ...plan.segments import SegmentedPass, segmented_for
from .expressions import AS_OF_COLUMN
from .trees import and_, case_when, cast, col, named, or_, project, table_ref

F = ir.AggregateFunc
SEG, VIS, UPTO, START, POS = "_seg", "_vis", "_upto", "_start", "_pos"


class Segments:
    """Part of the SQL generator: measures of many dates combined from segment rows."""

    def segmented(self, aggregation: Aggregation) -> SegmentedPass | None:
        """The pass's measures that combine, with their segments (None: none do)."""
        cache = self.__dict__.setdefault("_segment_cache", {})
        if aggregation.name not in cache:
            cache[aggregation.name] = segmented_for(self.physical, aggregation)
        return cache[aggregation.name]

    def segment_cte_names(self, aggregation: Aggregation) -> list[str]:
        return [f"{aggregation.cte_name}__dated"] if self.segmented(aggregation) else []

    def segment_measure_cte(self, aggregation: Aggregation, measure: Measure) -> str | None:
        segmented = self.segmented(aggregation)
        if segmented is not None and measure in segmented.measures:
            return f"{aggregation.cte_name}__dated"
        return None

    # ---------------------------------------------------------------- the three CTEs
    def segment_ctes(self, aggregation: Aggregation, table: m.Table,
                     segmented: SegmentedPass) -> list[tuple[str, exp.Expression]]:
        name = aggregation.cte_name
        ctes = [(f"{name}__seg", self._segment_rows(aggregation, table, segmented)),
                (f"{name}__spans", self._spans(segmented))]
        if not self._runs(segmented):
            ctes.append((f"{name}__pos", self._positions(name, segmented)))
        ctes.append((f"{name}__dated", self._combined(name, segmented)))
        return ctes

    def _position(self, cap: TimeTest, cuts) -> exp.Expression:
        """How many cuts are at or before the row's time, as a balanced tree of CASEs
        (`t < c_mid` splits the positions in halves): about log2(len(cuts)) comparisons per
        row instead of len(cuts) / 2 for a chain of WHENs (every event row computes it)."""

        def between(low: int, high: int) -> exp.Expression:  # the position is in [low, high]
            if low == high:
                return exp.Literal.number(low)
            middle = (low + high) // 2
            below = self.plan_TimeTest(replace(cap, bound=Bound(cuts[middle])))
            return exp.Case(ifs=[exp.If(this=below, true=between(low, middle))],
                            default=between(middle + 1, high))

        return between(0, len(cuts))

    def _segment_rows(self, aggregation: Aggregation, table: m.Table,
                      segmented: SegmentedPass) -> exp.Select:
        planned = self.physical.pass_for(aggregation.name)
        rows, key = self.event_rows(table, aggregation.lookups, planned.hoisted,
                                    planned.reduced, with_dates=False)
        self.scope_table = table.name
        cuts = segmented.cuts
        cap = self.physical.cap(table.name)
        last = Bound(cuts[-1])
        conditions = [self.plan_TimeTest(replace(cap, bound=last))]
        if segmented.since > 0:
            conditions.append(self.plan_TimeTest(
                replace(cap, op=ir.CompareOp.GE, bound=Bound(cuts[segmented.since - 1]))))
        via_cap = self.physical.cap(segmented.via_table) if segmented.via_table else None
        if via_cap is not None:
            conditions.append(self.plan_TimeTest(replace(via_cap, bound=last)))
        filters = [m_.aggregate.filter for m_ in segmented.measures]
        if all(f is not None for f in filters):
            distinct = list(dict.fromkeys(filters))
            tests = [self.cond(f) for f in distinct]
            conditions.append(tests[0] if len(tests) == 1 else or_(*tests))
        rows = rows.where(and_(*conditions), append=True, copy=False)
        rows.set("expressions", [named(key, "_key")])
        groups = [key.copy()]
        position = self._position(cap, cuts)
        project(rows, position, SEG)
        groups.append(position.copy())
        if via_cap is not None:
            visible = self._position(via_cap, cuts)
            project(rows, visible, VIS)
            groups.append(visible.copy())
        for measure in segmented.measures:
            condition = Condition(measure.aggregate.filter)
            if measure.aggregate.func is F.AVG:  # a sum and a count of the values
                for func, name in ((F.SUM, measure.name), (F.COUNT, f"{measure.name}__n")):
                    part = replace(measure, aggregate=replace(measure.aggregate, func=func))
                    project(rows, self.measure(table, part, condition), name)
                continue
            project(rows, self.measure(table, measure, condition), measure.name)
        self.scope_table = None
        self.as_of_source = None
        return rows.group_by(*groups, copy=False)

    def _spans(self, segmented: SegmentedPass) -> exp.Expression:
        selects = []
        for span in segmented.dates:
            select = exp.select(named(self.to_date(exp.Literal.string(span.day.isoformat())),
                                      AS_OF_COLUMN))
            project(select, exp.Literal.number(span.upto), UPTO)
            project(select, exp.Literal.number(span.start), START)
            for index, (first, past) in enumerate(span.windows):
                project(select, exp.Literal.number(first), f"_from{index}")
                project(select, exp.Literal.number(past), f"_past{index}")
            selects.append(select)
        query: exp.Expression = selects[0]
        for select in selects[1:]:
            query = exp.Union(this=query, expression=select, distinct=False)
        return query

    def _positions(self, name: str, segmented: SegmentedPass) -> exp.Select:
        """Each date with every position it reads (`_start` <= `_pos` < `_upto`): the
        positions 0..len(cuts) as literal rows joined to the spans (dates x positions rows,
        computed by the engine, not written out)."""
        numbers = [exp.select(named(exp.Literal.number(index), POS))
                   for index in range(segmented.since, len(segmented.cuts) + 1)]
        positions: exp.Expression = numbers[0]
        for select in numbers[1:]:
            positions = exp.Union(this=positions, expression=select, distinct=False)
        spans, table = f"{name}__spans", "_positions"
        return exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(spans)),
                          col(POS, table)).from_(table_ref(spans), copy=False).join(
            positions.subquery(table), join_type="inner", copy=False, on=and_(
                exp.GTE(this=col(POS, table), expression=col(START, spans)),
                exp.LT(this=col(POS, table), expression=col(UPTO, spans))))

    def _runs(self, segmented: SegmentedPass) -> bool:
        """Whether the pass reads running totals (`_running`): no window narrower than
        everything before the cap, no via table, every segment read."""
        windowed = any(window != (span.start, span.upto) for span in segmented.dates
                       for window in span.windows)
        return not windowed and not segmented.via_table and segmented.since == 0

    def _average(self, measure: Measure, total: exp.Expression, count: exp.Expression
                 ) -> exp.Expression:
        """avg = the sum of the partial sums over the sum of the partial counts, as each
        engine's AVG gives it: exact decimals where the dialect keeps them, else a double
        (rounded to 9 decimals for a non-integer argument, as one date's AVG is)."""
        count = exp.Nullif(this=count, expression=exp.Literal.number(0))
        if self.rules.exact_decimals:
            return exp.Div(this=total, expression=count)
        quotient = exp.Div(this=cast(total, exp.DataType.build("DOUBLE")), expression=count)
        if measure.aggregate.arg.type is ir.Type.INT:
            return quotient
        return exp.Round(this=quotient, decimals=exp.Literal.number(9))

    def _running(self, name: str, segmented: SegmentedPass) -> exp.Select:
        """No window and no via table: each measure's running total per entity over its
        segment rows, and at each date the entity's last segment row before the cap (the
        one whose next row, if any, is at or past it): one row per (entity, date), no
        grouping of joined rows."""
        rows, spans = f"{name}__seg", f"{name}__spans"

        def window(value: exp.Expression, spec: exp.WindowSpec | None = None
                   ) -> exp.Expression:
            return exp.Window(this=value, partition_by=[col("_key", rows)], over="OVER",
                              order=exp.Order(expressions=[exp.Ordered(this=col(SEG, rows))]),
                              spec=spec)

        def running(func: type[exp.Expression], column: str) -> exp.Expression:
            return window(func(this=col(column, rows)), exp.WindowSpec(
                kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"))

        inner = exp.select(col("_key", rows), col(SEG, rows)).from_(table_ref(rows), copy=False)
        # the next segment row's position; after the entity's last row, past every cap (a
        # default, not NULL: ClickHouse's lead gives 0 for a missing row of a non-null type)
        past = exp.Literal.number(len(segmented.cuts) + 1)
        project(inner, window(exp.Lead(this=col(SEG, rows), offset=exp.Literal.number(1),
                                       default=past)), "_next")
        totals = {F.COUNT: exp.Sum, F.SUM: exp.Sum, F.MIN: exp.Min, F.MAX: exp.Max}
        for measure in segmented.measures:
            func = measure.aggregate.func
            if func is F.AVG:
                project(inner, running(exp.Sum, measure.name), measure.name)
                project(inner, running(exp.Sum, f"{measure.name}__n"), f"{measure.name}__n")
            else:
                project(inner, running(totals[func], measure.name), measure.name)
        run = "_running"
        upto = col(UPTO, spans)
        select = exp.select(named(col("_key", run), "_key"),
                            named(col(AS_OF_COLUMN, spans), AS_OF_COLUMN))
        select = select.from_(inner.subquery(run), copy=False).join(
            table_ref(spans), join_type="inner", copy=False, on=and_(
                exp.LT(this=col(SEG, run), expression=upto),
                exp.GTE(this=col("_next", run), expression=upto.copy())))
        for measure in segmented.measures:
            agg = measure.aggregate
            value: exp.Expression = col(measure.name, run)
            if agg.func is F.AVG:
                value = self._average(measure, value, col(f"{measure.name}__n", run))
            elif agg.func is F.COUNT:
                value = cast(value, exp.DataType.build("BIGINT"))
            elif agg.func is F.SUM and agg.arg is not None and agg.arg.type is not ir.Type.INT:
                value = self.exact_total(value)
            project(select, value, measure.name)
        if self.rules.group_running:  # one row per group already (dialects.py)
            select = select.group_by(col("_key", run), col(AS_OF_COLUMN, spans), copy=False)
        return select

    def _combined(self, name: str, segmented: SegmentedPass) -> exp.Select:
        if self._runs(segmented):
            return self._running(name, segmented)
        rows, spans = f"{name}__seg", f"{name}__pos"
        on = [exp.EQ(this=col(SEG, rows), expression=col(POS, spans))]
        if segmented.via_table:
            on.append(exp.LT(this=col(VIS, rows), expression=col(UPTO, spans)))
        select = exp.select(named(col("_key", rows), "_key"),
                            named(col(AS_OF_COLUMN, spans), AS_OF_COLUMN))
        select = select.from_(table_ref(rows), copy=False).join(
            table_ref(spans), join_type="inner", on=and_(*on), copy=False)
        windowed = {index for span in segmented.dates
                    for index, window in enumerate(span.windows)
                    if window != (span.start, span.upto)}
        for measure, index in zip(segmented.measures, segmented.window_of, strict=True):
            def inside(value: exp.Expression, index: int = index) -> exp.Expression:
                if index not in windowed:
                    return value
                return case_when(and_(
                    exp.GTE(this=col(SEG, rows), expression=col(f"_from{index}", spans)),
                    exp.LT(this=col(SEG, rows), expression=col(f"_past{index}", spans))), value)
            if measure.aggregate.func is F.AVG:
                total = self._average(measure, exp.Sum(this=inside(col(measure.name, rows))),
                                      exp.Sum(this=inside(col(f"{measure.name}__n", rows))))
            else:
                total = self.combined(measure, inside(col(measure.name, rows)))
            if measure.aggregate.func is F.COUNT:
                total = cast(total, exp.DataType.build("BIGINT"))
            project(select, total, measure.name)
        return select.group_by(col("_key", rows), col(AS_OF_COLUMN, spans), copy=False)
