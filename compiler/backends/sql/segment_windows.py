"""Many dates: windowed counts and sums as differences of running totals.

A window [first, past) of segment positions at a date holds the entity's segment rows with
`first <= _seg < past`. For a count or a sum that total is the running total (per entity,
in `_seg` order) at the entity's last segment row before `past` minus the running total at
its last row before `first` (zero when it has none). So instead of joining every segment
row to every date whose window holds it, each (entity, date) reads at most one row per
distinct bound (the cap, each window's first and past position):

- `<pass>__spans` (here): one literal row per (date, distinct bound position `_bound`), with
  the date's positions (`_upto`, `_from<i>`, `_past<i>`);
- `<pass>__dated`: the segment rows with running totals and the next row's position
  (`_running`), joined to the bounds they are the last row before (`_seg < _bound <= _next`),
  grouped per (entity, date), each measure the row at its window's past minus the row at
  its window's first.

Used for a pass without a via table whose measures are counts, sums and averages of exact
numbers (integers, decimals: a difference of running totals of doubles would lose the
small totals to rounding) and minima or maxima over everything a date sees; otherwise the
join (segments.py). A sum's value is NULL when its window holds no value (a running count
of its values, `<name>__n`, as for an average).

Part of the SQL generator (mixed into `SqlGenerator` through `Segments`).
"""

from __future__ import annotations

from sqlglot import exp

from ... import ir
from ...plan.segments import SegmentedPass
from .expressions import AS_OF_COLUMN
from .trees import and_, case_when, cast, col, named, project, table_ref

F = ir.AggregateFunc
SEG, UPTO = "_seg", "_upto"
BOUND = "_bound"
EXACT = (ir.Type.INT, ir.Type.DECIMAL)


def differenced(segmented: SegmentedPass) -> bool:
    """Whether every measure of the pass reads the difference of two running totals (or, a
    min or max, one running value over every row a date sees)."""
    if segmented.via_table:
        return False
    for measure, index in zip(segmented.measures, segmented.window_of, strict=True):
        agg = measure.aggregate
        if agg.func in (F.MIN, F.MAX):
            if any(span.windows[index][0] > segmented.since for span in segmented.dates):
                return False
        elif agg.func in (F.SUM, F.AVG):
            if agg.arg is None or agg.arg.type not in EXACT:
                return False
        elif agg.func is not F.COUNT:
            return False
    return True


class WindowTotals:
    """Part of the SQL generator: windowed counts and sums by running totals."""

    def _bounds(self, segmented: SegmentedPass) -> exp.Expression:
        selects = []
        for span in segmented.dates:
            positions = {span.upto, *(p for window in span.windows for p in window)}
            for position in sorted(p for p in positions if p > 0):
                select = exp.select(named(self.to_date(
                    exp.Literal.string(span.day.isoformat())), AS_OF_COLUMN))
                project(select, exp.Literal.number(position), BOUND)
                project(select, exp.Literal.number(span.upto), UPTO)
                for index, (first, past) in enumerate(span.windows):
                    project(select, exp.Literal.number(first), f"_from{index}")
                    project(select, exp.Literal.number(past), f"_past{index}")
                selects.append(select)
        query: exp.Expression = selects[0]
        for select in selects[1:]:
            query = exp.Union(this=query, expression=select, distinct=False)
        return query

    def _differenced(self, name: str, segmented: SegmentedPass) -> exp.Select:
        rows, bounds, run = f"{name}__seg", f"{name}__spans", "_running"

        def window(value: exp.Expression, spec: exp.WindowSpec | None = None
                   ) -> exp.Expression:
            return exp.Window(this=value, partition_by=[col("_key", rows)], over="OVER",
                              order=exp.Order(expressions=[exp.Ordered(this=col(SEG, rows))]),
                              spec=spec)

        def running(func: type[exp.Expression], column: str) -> exp.Expression:
            return window(func(this=col(column, rows)), exp.WindowSpec(
                kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"))

        inner = exp.select(col("_key", rows), col(SEG, rows)).from_(table_ref(rows), copy=False)
        # after the entity's last row, past every bound (a default, not NULL: ClickHouse's
        # lead gives 0 for a missing row of a non-null type)
        past = exp.Literal.number(len(segmented.cuts) + 1)
        project(inner, window(exp.Lead(this=col(SEG, rows), offset=exp.Literal.number(1),
                                       default=past)), "_next")
        for measure in segmented.measures:
            func = measure.aggregate.func
            if func in (F.MIN, F.MAX):
                total = exp.Min if func is F.MIN else exp.Max
                project(inner, running(total, measure.name), measure.name)
                continue
            project(inner, running(exp.Sum, measure.name), measure.name)
            if func in (F.SUM, F.AVG):
                project(inner, running(exp.Sum, f"{measure.name}__n"), f"{measure.name}__n")

        def at(column: str, position: str) -> exp.Expression:
            """The running value at the entity's last row before `position` (0: none)."""
            picked = exp.Max(this=case_when(
                exp.EQ(this=col(BOUND, bounds), expression=col(position, bounds)),
                col(column, run)))
            return exp.Coalesce(this=picked, expressions=[exp.Literal.number(0)])

        select = exp.select(named(col("_key", run), "_key"),
                            named(col(AS_OF_COLUMN, bounds), AS_OF_COLUMN))
        select = select.from_(inner.subquery(run), copy=False).join(
            table_ref(bounds), join_type="inner", copy=False, on=and_(
                exp.LT(this=col(SEG, run), expression=col(BOUND, bounds)),
                exp.GTE(this=col("_next", run), expression=col(BOUND, bounds))))
        for measure, index in zip(segmented.measures, segmented.window_of, strict=True):
            agg = measure.aggregate
            upper, lower = f"_past{index}", f"_from{index}"
            if agg.func in (F.MIN, F.MAX):
                value: exp.Expression = exp.Max(this=case_when(
                    exp.EQ(this=col(BOUND, bounds), expression=col(upper, bounds)),
                    col(measure.name, run)))
                project(select, value, measure.name)
                continue

            def difference(column: str, upper: str = upper, lower: str = lower
                           ) -> exp.Expression:
                return exp.Paren(this=exp.Sub(this=at(column, upper),
                                              expression=at(column, lower)))

            value = difference(measure.name)
            if agg.func is F.COUNT:
                value = cast(value, exp.DataType.build("BIGINT"))
            elif agg.func is F.AVG:
                value = self._average(measure, value, difference(f"{measure.name}__n"))
            else:
                value = case_when(exp.GT(this=difference(f"{measure.name}__n"),
                                         expression=exp.Literal.number(0)), value)
                if agg.arg.type is not ir.Type.INT:
                    value = self.exact_total(value)
            project(select, value, measure.name)
        return select.group_by(col("_key", run), col(AS_OF_COLUMN, bounds), copy=False)
