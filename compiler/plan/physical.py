"""Logical plan + as_of -> physical plan: every decision a backend would otherwise make.

For each grouped pass over a related table the physical plan fixes the rows it reads (the
table, the table it is reached through, its lookups, the lookup-only expressions computed
once per lookup row, the cap that hides rows after as_of), each measure's condition (its
filter and its window as bounds on the time column), the prefilter that drops rows no
measure can use, and which partial aggregates the pass finishes. Each ranking ranks only
the entities it admits (`ranking.py`). Bounds are dates whenever
as_of is known at compile time; otherwise `as_of` shifted at run time. It also lists every
table read with the columns needed. Backends translate these nodes; they compute none of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property

from .. import ir
from .. import model as m
from .as_of import AsOf, AsOfMode, shift_date
from .calendar import period_days
from .hoisting import Hoisted, lookup_expressions, reduced_lookups
from .logical import Aggregation, Computed, Measure, Plan, Step
from .ranking import Ranking, rankings
from .sequences import PhysicalSequence, fold_sequences, physical_sequence
from .sequences import reads as sequence_reads

T = ir.Type
F = ir.AggregateFunc


@dataclass(frozen=True)
class Bound:
    """Where a time column is cut: `fixed`, a date known at compile time, or else as_of
    shifted by `amount unit` (then one day more with `plus_day`) when the query runs."""

    fixed: date | None = None
    amount: int = 0
    unit: ir.TimeUnit = ir.TimeUnit.DAY
    plus_day: bool = False
    # a calendar window's bound when as_of is not known: as_of cut to the first day of its
    # period of this many months (1, 3, 12), then shifted by `amount` months
    truncate: int = 0


@dataclass(frozen=True)
class TimeTest:
    """`table.column >= bound` or `table.column < bound`; against midnight of the bound
    when the column holds timestamps (a date bound for a date column, or one of unknown
    type: engines promote it when they need to)."""

    table: str
    column: str
    op: ir.CompareOp  # GE or LT
    bound: Bound
    timestamp: bool


@dataclass(frozen=True)
class Condition:
    """What admits a row to one measure: its filter and its window, both when present."""

    filter: ir.Expr | None
    window: tuple[TimeTest, ...] = ()

    @property
    def always(self) -> bool:
        return self.filter is None and not self.window


@dataclass(frozen=True)
class Prefilter:
    """Rows no measure of a pass can use, dropped before aggregating: the row's time must
    be `since` or later (when every measure has a window starting on a known day), and
    the row must meet one of `any_of` (empty: the span says it all)."""

    since: TimeTest | None
    any_of: tuple[Condition, ...]


@dataclass(frozen=True)
class Pass:
    """One grouped pass over an events table (see `Aggregation`), fixed for one as_of."""

    aggregation: Aggregation
    grouped: tuple[Measure, ...]  # the measures of the grouped pass (not most_frequent)
    ordered: tuple[Measure, ...]  # first/last among them: rows numbered by time
    most_frequent: tuple[Measure, ...]  # each its own pass
    folded: tuple[str, ...]  # tables whose partial aggregates this pass finishes
    # of the grouped pass (none when it finishes partial aggregates, its own or others')
    prefilter: Prefilter | None
    partial_prefilter: Prefilter | None  # of the partial pass of a `through` table
    hoisted: tuple[Hoisted, ...]  # lookup-only expressions of the grouped (or partial) rows
    # lookup-only expressions of each most_frequent measure's rows, by measure name
    hoisted_alone: tuple[tuple[str, tuple[Hoisted, ...]], ...] = ()
    # lookups of the grouped (or partial) rows joined reduced to the rows meeting one of
    # their hoisted conditions (`hoisting.reduced_lookups`)
    reduced: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        return self.aggregation.table

    @property
    def name(self) -> str:
        return self.aggregation.name


@dataclass(frozen=True)
class Read:
    """A source the query reads, with the columns it needs (key first)."""

    table: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class PhysicalPlan:
    # the logical plan with as_of folded into its expressions when it is known: `as_of`
    # is that date, and `as_of - 6 months` the date six months before (calendar rules)
    plan: Plan = field(repr=False)
    as_of: AsOf
    passes: tuple[Pass, ...]
    conditions: tuple[tuple[str, Condition], ...]  # (measure name, its condition)
    caps: tuple[TimeTest, ...]  # per events table with a time column: time < as_of + 1 day
    reads: tuple[Read, ...]
    rankings: tuple[Ranking, ...] = ()  # every top/bottom and ntile/quantile, filter then window
    sequences: tuple[PhysicalSequence, ...] = ()  # event sequences (`sequences.py`)

    @cached_property
    def _conditions(self) -> dict[str, Condition]:
        return dict(self.conditions)

    @cached_property
    def _caps(self) -> dict[str, TimeTest]:
        return {cap.table: cap for cap in self.caps}

    @cached_property
    def _passes(self) -> dict[str, Pass]:
        return {p.name: p for p in self.passes}

    def condition(self, measure: Measure) -> Condition:
        return self._conditions[measure.name]

    def cap(self, table: str) -> TimeTest | None:
        """Rows of `table` after as_of are invisible: this test keeps the others."""
        return self._caps.get(table)

    def pass_for(self, name: str) -> Pass:
        """A pass by its name (`Aggregation.name`: the table, or `table@stage`)."""
        return self._passes[name]

    def hoisted_for(self, measure: Measure) -> tuple[Hoisted, ...]:
        """The lookup-only expressions of the rows of a most_frequent measure's own pass."""
        for planned in self.passes:
            found = dict(planned.hoisted_alone)
            if measure.name in found:
                return found[measure.name]
        return ()

    @property
    def tables_read(self) -> tuple[str, ...]:
        return tuple(read.table for read in self.reads)


def physical_plan(plan: Plan, as_of: AsOf) -> PhysicalPlan:
    """Fix `plan` for one as_of: every bound, condition, prefilter and hoisted expression."""
    return _Physical(plan, as_of).build()


class _Physical:
    def __init__(self, plan: Plan, as_of: AsOf) -> None:
        self.plan = plan
        self.model = plan.model
        self.as_of = as_of

    def build(self) -> PhysicalPlan:
        # Which expressions are hoisted into lookups is decided on the expressions as
        # written (one that reads as_of never is); then as_of is folded in.
        hoisting = {aggregation.name: self.hoisting(aggregation)
                    for aggregation in self.plan.aggregations}
        if self.as_of.known is not None:
            self.plan = self.folded(self.plan, self.as_of.known)
        conditions = {measure.name: self.condition(measure)
                      for aggregation in self.plan.aggregations
                      for measure in aggregation.measures}
        passes = tuple(self.pass_(aggregation, conditions, *hoisting[aggregation.name])
                       for aggregation in self.plan.aggregations)
        passed = {name for a in self.plan.aggregations
                  for name in (a.table, self.model.events[a.table].through) if name}
        caps = tuple(self.cap(table) for table in self.model.tables
                     if table.name in passed and table.time_column)
        as_of = ir.Literal(self.as_of.known, type=T.DATE) if self.as_of.known is not None \
            else ir.AsOf(type=T.DATE)
        sequences = tuple(physical_sequence(self.model, p, as_of) for p in self.plan.sequences)
        return PhysicalPlan(self.plan, self.as_of, passes, tuple(conditions.items()), caps,
                            self.reads(), rankings(self.plan), sequences)

    # ---------------------------------------------------------------- as_of
    @staticmethod
    def folded(plan: Plan, as_of: date) -> Plan:
        """`as_of` as its date, `as_of ± n units` as the date it gives: decided here, once,
        with the calendar rules every engine follows."""

        def fold(node: ir.Expr) -> ir.Expr:
            if isinstance(node, ir.DateShift) and isinstance(node.value, ir.AsOf):
                shifted = shift_date(as_of, node.amount, node.unit)
                return ir.Literal(shifted, type=T.DATE, span=node.span)
            if isinstance(node, ir.AsOf):
                return ir.Literal(as_of, type=T.DATE, span=node.span)
            return ir.transform_children(node, fold)

        def measure(m_: Measure) -> Measure:
            return replace(m_, aggregate=fold(m_.aggregate))

        def column(c: Computed) -> Computed:
            return replace(c, expr=fold(c.expr))

        return replace(
            plan,
            aggregations=tuple(replace(a, measures=tuple(measure(m_) for m_ in a.measures))
                               for a in plan.aggregations),
            steps=tuple(Step(tuple(column(c) for c in step.columns)) for step in plan.steps),
            kpis=tuple((name, fold(kpi)) for name, kpi in plan.kpis),
            sequences=fold_sequences(plan.sequences, fold),
        )

    def hoisting(self, aggregation: Aggregation
                 ) -> tuple[tuple[Hoisted, ...], tuple[tuple[str, tuple[Hoisted, ...]], ...]]:
        """The lookup-only expressions of the grouped (or partial) rows, and of each
        most_frequent measure's own rows."""
        lookups = set(aggregation.lookups)
        alone = [m_ for m_ in aggregation.measures if m_.aggregate.func is F.MOST_FREQUENT]
        measures = [m_ for m_ in aggregation.measures
                    if aggregation.partial or m_.aggregate.func is not F.MOST_FREQUENT]
        return (lookup_expressions(measures, lookups),
                tuple((m_.name, lookup_expressions([m_], lookups)) for m_ in alone))

    # ---------------------------------------------------------------- bounds
    def bound(self, amount: int, unit: ir.TimeUnit, plus_day: bool = False,
              fixed: date | None = None) -> Bound:
        """as_of + amount unit (+ 1 day), or `fixed` (+ 1 day): a date when it is known."""
        if fixed is None and self.as_of.mode is AsOfMode.DATE and self.as_of.value:
            fixed = shift_date(self.as_of.value, amount, unit)
        if fixed is not None:
            return Bound(fixed + timedelta(days=1) if plus_day else fixed)
        return Bound(None, amount, ir.TimeUnit(unit), plus_day)

    def test(self, table: m.Table, op: ir.CompareOp, bound: Bound) -> TimeTest:
        column = table.time_column or ""
        info = table.column(column)
        kind = info.type if info else T.ANY
        return TimeTest(table.name, column, op, bound, kind not in (T.DATE, T.ANY))

    def cap(self, table: m.Table) -> TimeTest:
        return self.test(table, ir.CompareOp.LT, self.bound(1, ir.TimeUnit.DAY))

    def window(self, table: m.Table, window: ir.Window | None) -> tuple[TimeTest, ...]:
        if window is None or not table.time_column:
            return ()
        if isinstance(window, ir.WindowLast):
            return (self.test(table, ir.CompareOp.GE,
                              self.bound(-window.amount, window.unit, plus_day=True)),)
        if isinstance(window, ir.WindowPrevious):
            return (self.test(table, ir.CompareOp.GE,
                              self.bound(-2 * window.amount, window.unit, plus_day=True)),
                    self.test(table, ir.CompareOp.LT,
                              self.bound(-window.amount, window.unit, plus_day=True)))
        if isinstance(window, ir.WindowPeriod):
            return self.period(table, window)
        tests = []
        if window.start is not None:
            tests.append(self.test(table, ir.CompareOp.GE,
                                   self.bound(0, ir.TimeUnit.DAY, fixed=window.start)))
        if window.end is not None:
            tests.append(self.test(table, ir.CompareOp.LT,
                                   self.bound(0, ir.TimeUnit.DAY, True, fixed=window.end)))
        return tuple(tests)

    def period(self, table: m.Table, window: ir.WindowPeriod) -> tuple[TimeTest, ...]:
        """A calendar period (`calendar.py`): its first day, and the first day after it."""
        if self.as_of.mode is AsOfMode.DATE and self.as_of.value:
            start, after = period_days(self.as_of.value, window.months, window.back)
            first = Bound(start)
            following = Bound(after) if after is not None else None
        else:
            shift = -window.back * window.months
            first = Bound(None, shift, ir.TimeUnit.MONTH, truncate=window.months)
            following = None if window.back == 0 else Bound(
                None, shift + window.months, ir.TimeUnit.MONTH, truncate=window.months)
        tests = [self.test(table, ir.CompareOp.GE, first)]
        if following is not None:
            tests.append(self.test(table, ir.CompareOp.LT, following))
        return tuple(tests)

    def window_start(self, window: ir.Window | None) -> date | None:
        """The first day a window covers, when it is known at compile time."""
        if isinstance(window, ir.WindowRange):
            return window.start
        known = self.as_of.value if self.as_of.mode is AsOfMode.DATE else None
        if isinstance(window, ir.WindowPeriod) and known:
            return period_days(known, window.months, window.back)[0]
        if isinstance(window, ir.WindowPrevious) and known:
            return shift_date(known, -2 * window.amount, window.unit) + timedelta(days=1)
        if isinstance(window, ir.WindowLast) and self.as_of.mode is AsOfMode.DATE \
                and self.as_of.value:
            return shift_date(self.as_of.value, -window.amount, window.unit) + timedelta(days=1)
        return None

    # ---------------------------------------------------------------- passes
    def condition(self, measure: Measure) -> Condition:
        aggregate = measure.aggregate
        table = self.model.events[aggregate.table]
        return Condition(aggregate.filter, self.window(table, aggregate.window))

    def prefilter(self, table: m.Table, measures: list[Measure],
                  conditions: dict[str, Condition]) -> Prefilter | None:
        """When every measure has a condition, a row must meet one of them; when every
        measure has a window starting on a known day, the row's time must lie in their span
        (which also lets the engine skip whole file blocks)."""
        own = [conditions[measure.name] for measure in measures]
        if not own or any(condition.always for condition in own):
            return None
        since = None
        starts = [self.window_start(measure.aggregate.window) for measure in measures]
        if table.time_column and all(start is not None for start in starts):
            since = self.test(table, ir.CompareOp.GE,
                              self.bound(0, ir.TimeUnit.DAY, fixed=min(starts)))
        elif table.time_column and self.as_of.dated and all(
                isinstance(measure.aggregate.window, ir.WindowLast) for measure in measures):
            # many dates: each row's date shifted back by at least the widest window
            since = self.test(table, ir.CompareOp.GE, self.bound(
                -max(_days_at_most(m_.aggregate.window) for m_ in measures),
                ir.TimeUnit.DAY, plus_day=True))
        # With windows that only look back and no filters, the span says it all.
        if since is not None and all(measure.aggregate.filter is None
                                     and isinstance(measure.aggregate.window, ir.WindowLast)
                                     for measure in measures):
            return Prefilter(since, ())
        return Prefilter(since, tuple(dict.fromkeys(own)))

    def pass_(self, aggregation: Aggregation, conditions: dict[str, Condition],
              hoisted: tuple[Hoisted, ...],
              hoisted_alone: tuple[tuple[str, tuple[Hoisted, ...]], ...]) -> Pass:
        table = self.model.events[aggregation.table]
        grouped = tuple(measure for measure in aggregation.measures
                        if measure.aggregate.func is not F.MOST_FREQUENT)
        ordered = tuple(measure for measure in grouped
                        if measure.aggregate.func in (F.FIRST, F.LAST))
        alone = tuple(measure for measure in aggregation.measures
                      if measure.aggregate.func is F.MOST_FREQUENT)
        folded = () if aggregation.correlated else tuple(
            other.table for other in self.plan.aggregations if other.fold_into == table.name)
        return Pass(
            aggregation, grouped, ordered, alone, folded,
            None if folded or not grouped or aggregation.partial
            else self.prefilter(table, list(grouped), conditions),
            self.prefilter(table, list(aggregation.measures), conditions)
            if aggregation.partial else None,
            hoisted,
            hoisted_alone,
            self.reduced(aggregation, hoisted),
        )

    def reduced(self, aggregation: Aggregation, hoisted: tuple[Hoisted, ...]
                ) -> tuple[str, ...]:
        """Lookups joined reduced to their rows meeting a hoisted condition; never one a
        most_frequent measure reads (its own pass joins the lookups whole)."""
        alone = {node.table for m_ in aggregation.measures
                 if m_.aggregate.func is F.MOST_FREQUENT
                 for node in m_.aggregate.walk() if isinstance(node, ir.Column)}
        owners = {name: self.model.lookups[name].owner for name in aggregation.lookups}
        return tuple(name for name in reduced_lookups(aggregation.measures, hoisted,
                                                      aggregation.lookups, owners)
                     if name not in alone)

    # ---------------------------------------------------------------- tables read
    def reads(self) -> tuple[Read, ...]:
        """Every source the query reads with the columns it needs, in declaration order."""
        model, plan = self.model, self.plan
        columns: dict[str, list[str]] = {}

        def need(table: str, *names: str | None) -> None:
            found = columns.setdefault(table, [])
            found.extend(name for name in names if name and name not in found)

        def lookup_chain(names) -> None:
            for name in names:
                lookup = model.lookups[name]
                need(name, lookup.key)
                need(lookup.owner or "", lookup.owner_column)

        need(model.entity.name, *plan.entity_columns)
        lookup_chain(plan.lookups)
        for table, column in plan.lookup_columns:
            need(table, column)
        for aggregation in plan.aggregations:
            events = model.events[aggregation.table]
            need(events.name, events.entity_key, events.time_column, events.through_column)
            if events.through:
                via = model.events[events.through]
                need(via.name, via.entity_key, via.time_column, events.through_via_column)
            lookup_chain(aggregation.lookups)
            for measure in aggregation.measures:
                for part in (measure.aggregate.arg, measure.aggregate.filter):
                    for node in part.walk() if part is not None else ():
                        if isinstance(node, ir.Column):
                            need(node.table, node.name)
        for table, column in sequence_reads(model, plan.sequences):
            need(table, column)
        return tuple(Read(table.name, tuple(columns[table.name]))
                     for table in model.tables if table.name in columns)


# The most days a calendar unit spans: a bound this far back never cuts a window short.
_MOST_DAYS = {ir.TimeUnit.DAY: 1, ir.TimeUnit.WEEK: 7, ir.TimeUnit.MONTH: 31,
              ir.TimeUnit.YEAR: 366}


def _days_at_most(window: ir.WindowLast) -> int:
    return window.amount * _MOST_DAYS[ir.TimeUnit(window.unit)]
