"""Many dates: windowed counts and sums as differences of running totals.

A window [first, past) of segment positions at a date holds the entity's segment rows with
`first <= _seg < past`. For a count or a sum that total is the running total (per entity,
in `_seg` order) at the entity's last segment row before `past` minus the running total at
its last row before `first` (zero when it has none). So instead of joining every segment
row to every date whose window holds it, each (entity, date) reads at most one row per
distinct bound (the cap, each window's first and past position):

- `<pass>__spans` (here): one literal row per (date, distinct bound position `_bound`), with
  each window's weight there (`_w<i>`: +1 at the window's past position, -1 at its first, 0
  elsewhere or when both) and its past position (`_past<i>`, for a min or max);
- `<pass>__dated`: the segment rows with running totals and the next row's position
  (`_running`), joined to the bounds they are the last row before (`_seg < _bound <= _next`),
  grouped per (entity, date): each count or sum is the sum of its running totals times the
  window's weights.

Used for a pass without a via table whose measures are counts, sums and averages of exact
numbers (integers, decimals: a difference of running totals of doubles would lose the
small totals to rounding) and minima or maxima over everything a date sees; otherwise the
join (segments.py). A sum over a window without values gives 0, the value a sum over no rows
has anyway (the pass's empty value); an average divides by the difference of the running
counts of its values (`<name>__n`), empty when that is 0.

Part of the SQL generator (mixed into `SqlGenerator` through `Segments`).
"""

from __future__ import annotations

from sqlglot import exp

from ... import ir
from ...plan.segments import SegmentedPass
from .expressions import AS_OF_COLUMN
from .trees import and_, case_when, cast, col, named, project, table_ref

F = ir.AggregateFunc
SEG = "_seg"
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
            if agg.func is F.SUM and measure.empty is None:
                return False  # a window without values must read as empty, not 0
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
                for index, (first, past) in enumerate(span.windows):
                    # +1 at the window's past, -1 at its first: the measure is the sum of
                    # the running totals weighted so
                    weight = (position == past) - (position == first)
                    project(select, exp.Literal.number(weight), f"_w{index}")
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
            if func is F.AVG:
                project(inner, running(exp.Sum, f"{measure.name}__n"), f"{measure.name}__n")

        def difference(column: str, index: int) -> exp.Expression:
            """Running total at the window's past minus the one at its first (0: none)."""
            weighted = exp.Sum(this=exp.Mul(this=col(column, run),
                                            expression=col(f"_w{index}", bounds)))
            return exp.Coalesce(this=weighted, expressions=[exp.Literal.number(0)])

        select = exp.select(named(col("_key", run), "_key"),
                            named(col(AS_OF_COLUMN, bounds), AS_OF_COLUMN))
        select = select.from_(inner.subquery(run), copy=False).join(
            table_ref(bounds), join_type="inner", copy=False, on=and_(
                exp.LT(this=col(SEG, run), expression=col(BOUND, bounds)),
                exp.GTE(this=col("_next", run), expression=col(BOUND, bounds))))
        for measure, index in zip(segmented.measures, segmented.window_of, strict=True):
            agg = measure.aggregate
            if agg.func in (F.MIN, F.MAX):
                value: exp.Expression = exp.Max(this=case_when(
                    exp.EQ(this=col(BOUND, bounds), expression=col(f"_past{index}", bounds)),
                    col(measure.name, run)))
            elif agg.func is F.COUNT:
                value = cast(difference(measure.name, index), exp.DataType.build("BIGINT"))
            elif agg.func is F.AVG:
                value = self._average(measure, difference(measure.name, index),
                                      difference(f"{measure.name}__n", index))
            else:  # a sum over no value is 0, as the pass's empty value (logical.py)
                value = difference(measure.name, index)
                if agg.arg.type is not ir.Type.INT:
                    value = self.exact_total(value)
            project(select, value, measure.name)
        return select.group_by(col("_key", run), col(AS_OF_COLUMN, bounds), copy=False)
