"""Many dates in one pass, made cheap: partial aggregates per (entity, time segment).

With many dates (`AsOf.many`) every bound a pass uses is known for every date: each date's
cap (`time < D + 1 day`) and each window's bounds (`D - 365 days + 1 day`, a calendar
period's first day, a fixed range's ends). Sorted, these cuts split time into segments:
segment 0 is everything before the first cut, segment i lies between cut i-1 (included) and
cut i (excluded). Each event is aggregated ONCE into its segment, per entity (count, sum,
min, max, each with its filter: `SegmentedPass.measures`); then each measure at each date
combines the segment rows inside its window (`DateSpan`): a window [lo, hi) holds exactly the
segments whose position is in [position(lo), position(hi)), because every bound is a cut.
Segment rows are few (all history before the first cut is one segment per entity), so the
dates multiply segment rows, not events. A pass with no window and no via table reads a
running total per entity over its segment rows instead (backends/sql/segments.py).

Which measures combine (`combines`): count (not distinct), sum, min, max and avg (a sum and
a count), over an events table with a time column, reading no `as_of` in their argument or
filter. Not: count distinct, first/last, most_frequent, catalogue aggregates (median, …),
correlated passes. A pass is segmented only when all its grouped measures combine (so each
events table is still read once); otherwise the whole pass keeps the join of every event to
each date it is visible at (docs/time.md).

A `through` table (lineitem through orders) is visible at D only while its via row is too
(`orders.o_orderdate < D + 1 day`): its rows carry a second position, `visible`, of the via
table's time among the cuts, and a date takes only rows whose both positions are below its
cap. Such a table's partial aggregation per join key (`Aggregation.partial`) is turned off
for many dates (`unfold_partials`): its rows are segmented joined to the via table instead.

The calendar is `shift_date` and `calendar.period_start`, the rules one-date runs fold with,
so each date sees exactly the rows a one-date run sees.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from .. import ir
from .as_of import AsOf, shift_date
from .calendar import period_start
from .logical import Aggregation, Measure, Plan

if TYPE_CHECKING:
    from .physical import PhysicalPlan

F = ir.AggregateFunc
COMBINING = frozenset({F.COUNT, F.SUM, F.MIN, F.MAX, F.AVG})


@dataclass(frozen=True)
class DateSpan:
    """One date's segments: `upto`, the first position past its cap; `start`, the first
    position any of the pass's measures reads; `windows[i]`, (first, past) positions of the
    pass's i-th window (`SegmentedPass.windows`)."""

    day: date
    upto: int
    start: int
    windows: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class SegmentedPass:
    """The measures of one pass computed from segment rows.

    `cuts`: the sorted bounds; a row's position is how many cuts are at or before its
    time. `measures[i]` reads window `window_of[i]` of `windows` (a distinct tuple of the
    physical plan's window tests, empty for no window). `via_time`: the via table's time
    column whose position must also be below a date's cap (None: no such table)."""

    table: str
    measures: tuple[Measure, ...]
    window_of: tuple[int, ...]
    cuts: tuple[date, ...]
    dates: tuple[DateSpan, ...]
    via_table: str | None = None

    @property
    def since(self) -> int:
        """Rows at positions below this one are read by no measure at any date."""
        return min(span.start for span in self.dates)

    @property
    def running(self) -> bool:
        """No window cuts into any date's segments, no via table and no row left out:
        each measure is a running total per entity over its segment rows, read at each
        date from the entity's last segment row before the cap (no join to the dates)."""
        windowed = any(window != (span.start, span.upto)
                       for span in self.dates for window in span.windows)
        return not windowed and self.via_table is None and self.since == 0


def combines(measure: Measure, has_time: bool) -> bool:
    """Whether a measure's value at each date can be built from its segment rows."""
    aggregate = measure.aggregate
    if not has_time or aggregate.func not in COMBINING or aggregate.distinct:
        return False
    if aggregate.func in (F.SUM, F.AVG, F.MIN, F.MAX) and aggregate.arg is None:
        return False
    return not any(isinstance(node, ir.AsOf) for node in aggregate.walk())


def unfold_partials(plan: Plan, as_of: AsOf) -> Plan:
    """For many dates, a `through` table whose measures all combine is segmented in a pass
    of its own (joined to its via table) instead of aggregated per join key and finished in
    the via table's pass."""
    if not as_of.dated:
        return plan
    model = plan.model

    def segmentable(aggregation) -> bool:
        table = model.events[aggregation.table]
        return bool(aggregation.partial and table.time_column and all(
            combines(m_, True) for m_ in aggregation.measures))

    unfold = {a.table for a in plan.aggregations if segmentable(a)}
    if not unfold:
        return plan
    return replace(plan, aggregations=tuple(
        replace(a, partial=False, fold_into=None) if a.table in unfold else a
        for a in plan.aggregations))


def segmented_for(physical: PhysicalPlan, aggregation: Aggregation
                  ) -> SegmentedPass | None:
    """The pass's segments when all its grouped measures combine (None: the pass joins
    every event to each date it is visible at, or is not evaluated per date at all): the
    one rule for the SQL backend (backends/sql/segments.py) and `--show plan`."""
    if not physical.as_of.dated or aggregation.partial or aggregation.fold_into \
            or aggregation.correlated:
        return None
    planned = physical.pass_for(aggregation.name)
    events = physical.plan.model.events
    table = events[aggregation.table]
    measures = list(planned.grouped)
    if planned.folded or not table.time_column or not measures \
            or not all(combines(m_, True) for m_ in measures):
        return None
    windows = {m_.name: physical.condition(m_).window for m_ in measures}
    via = events[table.through] if table.through else None
    via_table = via.name if via is not None and via.time_column else None
    return segmented_pass(table.name, measures, windows, physical.as_of.dates, via_table)


def bound_at(bound, day: date) -> date:
    """A physical `Bound` at one date, with the calendar one-date runs fold with."""
    if bound.fixed is not None:
        return bound.fixed
    start = period_start(day, bound.truncate, 0) if bound.truncate else day
    result = shift_date(start, bound.amount, str(bound.unit))
    return result + timedelta(days=1) if bound.plus_day else result


def segmented_pass(table: str, measures: list[Measure], windows: dict[str, tuple],
                   dates: tuple[date, ...], via_table: str | None = None
                   ) -> SegmentedPass:
    """`windows`: each measure's window tests (physical `TimeTest`s, op GE or LT)."""
    distinct: list[tuple] = []
    window_of = []
    for measure in measures:
        tests = windows[measure.name]
        if tests not in distinct:
            distinct.append(tests)
        window_of.append(distinct.index(tests))
    caps = {day: day + timedelta(days=1) for day in dates}
    last = max(caps.values())
    cuts_set = set(caps.values())
    for day in dates:
        for tests in distinct:
            cuts_set.update(b for b in (bound_at(t.bound, day) for t in tests) if b < last)
    cuts = tuple(sorted(cuts_set))
    position = {cut: index + 1 for index, cut in enumerate(cuts)}

    def at(bound_day: date) -> int:
        """The first position at or after a bound (rows before it are below)."""
        if bound_day in position:
            return position[bound_day]
        return len(cuts) + 1  # past every cut (only bounds at or after the last cap)

    spans = []
    for day in dates:
        upto = position[caps[day]]
        found = []
        for tests in distinct:
            first, past = 0, upto
            for test in tests:
                where = at(bound_at(test.bound, day))
                if test.op is ir.CompareOp.GE:
                    first = max(first, where)
                else:
                    past = min(past, where)
            found.append((first, max(first, past)))
        start = min((first for first, _ in (found[i] for i in window_of)), default=0)
        spans.append(DateSpan(day, upto, start, tuple(found)))
    return SegmentedPass(table, tuple(measures), tuple(window_of), cuts, tuple(spans),
                         via_table)
