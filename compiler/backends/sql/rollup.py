"""The daily rollup (issue 15 item 3): partial aggregates per (entity key, day) that a
prepared layout stores once, so that a run adds up a few rows per entity and day instead
of scanning, joining and grouping the events.

A *unit* is one events table's grouped pass: its rollup is keyed by that table (`orders`,
`lineitem`), whatever pass the plan puts its measures in, so a plan reads the rollup of
each table that has one and the other tables raw, folded (line items' partials in the pass
over orders) or not (a pass of their own, the default). A table reached through another
(line items through orders) is rolled up per the *entity* key it reaches (the order's
customer). Each measure of a unit is served by *partials*, one column each in the rollup:

    count(*) / count(x) where f   -> COUNT(*) / COUNT(x) FILTER (WHERE f)   added up
    sum(x) where f                -> SUM(x) FILTER (WHERE f)                added up
    min(x) / max(x) where f       -> MIN(x) / MAX(x) FILTER (WHERE f)       min / max

The filter `f` is part of a partial; the window and the as_of cut are not: they are tests
on the row's day (`_day`), applied when the run adds the partials up. A row of a `through`
table (a line item) also keeps the day of the row it is reached through (`_via_day`, the
order's) when that day is later than its own, so the as_of cut on both stays exact.

A partial is named by a hash of its definition (`p_` + 16 hex digits of the SQL it is
computed with, the table and the key it is grouped by), so a rollup serves exactly the
measures whose partials it holds, and never another table's; a unit with a measure the
rollup lacks reads the events as before. A measure of the entity's own table whose value
does not combine (avg, count distinct, first/last, most_frequent, catalogue aggregates)
keeps a pass over that table beside the rollup (`roll_<table>` holds the others); one of a
table reached through it, a correlated pass or many dates in one pass keep the whole unit
on the events. In a folded plan, a pass whose folded table is read raw is read raw too
(the fold joins that table's partials to the pass's rows).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlglot import exp

from ... import ir
from ...plan import Aggregation, Measure
from ...plan.as_of import AsOfMode
from ...plan.compaction import admits, bound_date, earliest
from ...plan.physical import Bound, TimeTest
from .trees import and_, col, named, table_function

F = ir.AggregateFunc
T = ir.Type
KEY, DAY, VIA_DAY = "_key", "_day", "_via_day"
ROLLUP = "rollup"
# IR nodes a partial's argument and filter may hold: values of the row alone
_ROW_NODES = (ir.Column, ir.Literal, ir.Not, ir.Negate, ir.Logic, ir.Arith, ir.Compare,
              ir.Between, ir.InList, ir.TextMatch, ir.IsMissing, ir.Case)
# (not avg: DuckDB divides its exact decimal total in extended precision, which a sum
# divided by a count does not reproduce to the last bit; avg keeps its pass)
_COMBINABLE = (F.COUNT, F.SUM, F.MIN, F.MAX)


@dataclass(frozen=True)
class RollupSource:
    """A prepared rollup of one unit: the Parquet files holding it (read together, by
    column name) and the partials they hold; with a compacted layer (compaction.py), the
    files holding it (one folded row per entity before `cut`, the daily rows from it on)."""

    paths: tuple[str, ...]
    partials: frozenset[str]
    compacted: tuple[str, ...] = ()
    cut: date | None = None
    daily: bool = True  # False: too little smaller than the events, read only compacted


@dataclass(frozen=True)
class Partial:
    name: str  # p_<hash>
    func: F  # COUNT, SUM, MIN or MAX
    expr: exp.Expression  # the aggregate as the rollup computes it (hoisted lookups used)


@dataclass(frozen=True)
class UnitPart:
    """The rollup rows of one table of a unit."""

    table: str
    query: exp.Select
    partials: tuple[Partial, ...]


@dataclass(frozen=True)
class Unit:
    """A grouped pass the rollup can serve: its name (the events table keyed by the entity
    whose rollup holds it), the tables and lookups whose rows it reads, and per table the
    query computing its rollup rows."""

    name: str
    tables: tuple[str, ...]
    lookups: tuple[str, ...]
    parts: tuple[UnitPart, ...]
    bounds: tuple[Bound, ...] = ()  # every day bound of its measures and as_of cut

    def earliest(self, as_of: date) -> date:
        """The earliest day the unit's bounds reach at `as_of` (compaction.py)."""
        return earliest(self.bounds, as_of)

    @property
    def partials(self) -> tuple[str, ...]:
        return tuple(p.name for part in self.parts for p in part.partials)


class Rollups:
    """Part of the SQL generator (mixed into `SqlGenerator`)."""

    rollups: Mapping[str, RollupSource]

    # ------------------------------------------------------------ which passes
    def rollup_units(self) -> list[Unit]:
        """Every table's pass of the plan a rollup could serve, with the query building it
        (one per table: a table's correlated passes are never served)."""
        units: dict[str, Unit] = {}
        for aggregation in self.plan.aggregations:
            if aggregation.table not in units and self._rollable(aggregation):
                units[aggregation.table] = self._unit(aggregation)
        return list(units.values())

    def served_by_rollup(self) -> set[str]:
        """The names of the passes (or folded partial passes) a given rollup serves, each
        read from the rollup of its own table; fills `self.rolled`, the CTE each measure
        read from a rollup is found in."""
        served: dict[str, Aggregation] = {}
        for aggregation in self.plan.aggregations:
            source = self.rollups.get(aggregation.table)
            if source is None or not self._rollable(aggregation) or any(
                    other.table == aggregation.table for other in served.values()):
                continue  # (one rollup CTE per table: never two `roll_<table>`)
            needed = {p.name for p in self._partials(aggregation)}
            if needed <= source.partials and self.rollup_bounds_agree(aggregation) and (
                    source.daily or self._rollup_paths(source, aggregation) == source.compacted):
                served[aggregation.name] = aggregation
        for aggregation in list(served.values()):
            # a pass whose folded partials are read raw joins them to its rows: read raw
            folded = self.physical.pass_for(aggregation.name).folded
            if any(a.table in folded and a.fold_into and a.name not in served
                   for a in self.plan.aggregations):
                del served[aggregation.name]
        for aggregation in served.values():
            self.rolled.update({measure.name: self.rollup_cte_name(aggregation)
                                for measure in aggregation.measures
                                if self._measure_combines(aggregation, measure)})
        return set(served)

    def rollup_cte_name(self, aggregation: Aggregation) -> str:
        return f"roll_{aggregation.table}"

    def _rollable(self, aggregation: Aggregation) -> bool:
        """Whether a rollup of the pass's table could serve the pass (or folded pass)."""
        if self.dated or aggregation.stage is not None:
            return False
        if not self._combinable(aggregation, not aggregation.partial
                                and not self.model.events[aggregation.table].through):
            return False
        return any(self._measure_combines(aggregation, measure)
                   for measure in aggregation.measures)

    def _combinable(self, aggregation: Aggregation, own_pass_left: bool) -> bool:
        """Whether the rollup can serve the pass; with `own_pass_left`, measures that do
        not combine may stay in a pass of their own."""
        table = self.model.events[aggregation.table]
        if not table.time_column or self.physical.cap(table.name) is None:
            return False
        if table.through:
            via = self.model.events[table.through]
            if not via.entity_key or via.through:
                return False
        elif not table.entity_key:
            return False
        return own_pass_left or all(self._measure_combines(aggregation, measure)
                                    for measure in aggregation.measures)

    def _measure_combines(self, aggregation: Aggregation, measure: Measure) -> bool:
        table = self.model.events[aggregation.table]
        agg = measure.aggregate
        if agg.func not in _COMBINABLE or agg.distinct:
            return False
        if agg.func is not F.COUNT and agg.arg is None:
            return False
        for part in (agg.arg, agg.filter):
            if part is not None and not all(isinstance(n, _ROW_NODES) for n in part.walk()):
                return False
        return all((test.table, test.column) == (table.name, table.time_column)
                   for test in self.physical.condition(measure).window)

    # ------------------------------------------------------------ partials
    def _partials(self, aggregation: Aggregation) -> list[Partial]:
        found: dict[str, Partial] = {}
        for measure in aggregation.measures:
            if self._measure_combines(aggregation, measure):
                partial = self._measure_partial(aggregation, measure)
                found.setdefault(partial.name, partial)
        return list(found.values())

    def _measure_partial(self, aggregation: Aggregation, measure: Measure) -> Partial:
        agg = measure.aggregate
        return self._partial(aggregation, agg.func, agg.arg, agg.filter)

    def _partial(self, aggregation: Aggregation, func: F, arg: ir.Expr | None,
                 condition: ir.Expr | None) -> Partial:
        table = self.model.events[aggregation.table]
        saved_scope, saved_values = self.scope_table, getattr(self, "lookup_values", {})
        self.scope_table = table.name
        self.lookup_values = {}  # the definition, not this plan's hoisting, names it
        plain = self._aggregate(func, arg, condition)
        self.lookup_values = saved_values
        expr = self._aggregate(func, arg, condition)
        self.scope_table, self.lookup_values = saved_scope, saved_values
        identity = "|".join((table.name, table.entity_key or "", table.through or "",
                             table.through_column or "", table.through_via_column or "",
                             plain.sql(dialect=self.dialect)))
        name = "p_" + hashlib.sha256(identity.encode()).hexdigest()[:16]
        return Partial(name, func, expr)

    def _aggregate(self, func: F, arg: ir.Expr | None, condition: ir.Expr | None
                   ) -> exp.Expression:
        where = self.cond(condition) if condition is not None else None
        if func is F.COUNT:
            result: exp.Expression = exp.Count(
                this=exp.Star() if arg is None else self.value(arg))
        else:
            value = self.value(arg)
            if func is F.SUM and arg.type in (T.FLOAT, T.ANY):
                value = exp.Cast(this=value, to=exp.DataType.build("DECIMAL(38, 9)"))
            result = {F.SUM: exp.Sum, F.MIN: exp.Min, F.MAX: exp.Max}[func](this=value)
        if where is not None:
            result = exp.Filter(this=result, expression=exp.Where(this=where))
        if func is F.SUM and arg.type is T.INT:
            # a total of whole numbers is a HUGEINT, which DuckDB writes to Parquet as a
            # DOUBLE: stored as DECIMAL(38, 0), exact
            result = exp.Cast(this=result, to=exp.DataType.build("DECIMAL(38, 0)"))
        return result

    # ------------------------------------------------------------ building the rollup
    def _unit(self, aggregation: Aggregation) -> Unit:
        """The rollup of the pass's table: its rows (joined to the table they are reached
        through, for the entity key and that row's day) per entity key and day."""
        via = self.model.events[aggregation.table].through
        tables = (aggregation.table, via) if via else (aggregation.table,)
        return Unit(aggregation.table, tables, tuple(aggregation.lookups),
                    (self._part(aggregation),), self._unit_bounds(aggregation))

    def _unit_bounds(self, aggregation: Aggregation) -> tuple[Bound, ...]:
        """The as_of cut and every window bound of the measures the rollup serves."""
        bounds = [self.physical.cap(aggregation.table).bound]
        for measure in aggregation.measures:
            if self._measure_combines(aggregation, measure):
                bounds.extend(t.bound for t in self.physical.condition(measure).window)
        return tuple(dict.fromkeys(bounds))

    def _rollup_paths(self, source: RollupSource, aggregation: Aggregation
                      ) -> tuple[str, ...]:
        """The compacted layer when every bound is on or after its cut, else every day."""
        as_of = self.as_of.value if self.as_of.mode is AsOfMode.DATE else None
        if source.compacted and admits(self._unit_bounds(aggregation), as_of, source.cut):
            return source.compacted
        return source.paths

    def _part(self, aggregation: Aggregation) -> UnitPart:
        """SELECT key, day[, via day], partials FROM the table's rows GROUP BY those."""
        table = self.model.events[aggregation.table]
        planned = self.physical.pass_for(aggregation.name)
        self.scope_table = table.name
        rows = exp.select().from_(self.aliased_source(table), copy=False)
        day = _day(col(table.time_column, table.name))
        present = [exp.Not(this=exp.Is(this=col(table.time_column, table.name),
                                       expression=exp.Null()))]
        if table.through:
            via = self.model.events[table.through]
            rows = rows.join(self.aliased_source(via), join_type="inner", copy=False, on=exp.EQ(
                this=col(table.through_column or "", table.name),
                expression=col(table.through_via_column or "", via.name)))
            key = col(via.entity_key or "", via.name)
            if via.time_column:
                via_day = _day(col(via.time_column, via.name))
                later = exp.Case(ifs=[exp.If(this=exp.GT(this=via_day, expression=day.copy()),
                                             true=via_day.copy())])
                present.append(exp.Not(this=exp.Is(this=col(via.time_column, via.name),
                                                   expression=exp.Null())))
            else:
                later = exp.Cast(this=exp.Null(), to=exp.DataType.build("DATE"))
        else:
            key = col(table.entity_key or "", table.name)
            later = exp.Cast(this=exp.Null(), to=exp.DataType.build("DATE"))
        rows = self.join_lookups(rows, aggregation.lookups, planned.hoisted, planned.reduced)
        partials = tuple(self._partials(aggregation))
        select = rows.select(named(key, KEY), named(day, DAY), named(later, VIA_DAY),
                             copy=False)
        for partial in partials:
            select = select.select(named(partial.expr, partial.name), copy=False)
        select = select.where(and_(*present), copy=False).group_by(
            key.copy(), day.copy(), later.copy(), copy=False)
        self.scope_table = None
        return UnitPart(table.name, select, partials)

    # ------------------------------------------------------------ reading it
    def rollup_cte(self, aggregation: Aggregation) -> tuple[str, exp.Select]:
        """The table's measures computed from its rollup: each measure's partials added up
        over the rows of its window, every row after as_of left out."""
        source = self.rollups[aggregation.table]
        paths = self._rollup_paths(source, aggregation)
        reader = exp.Anonymous(this="read_parquet", expressions=[
            exp.Array(expressions=[exp.Literal.string(p) for p in paths]),
            exp.EQ(this=exp.var("union_by_name"), expression=exp.true())])
        select = exp.select(col(KEY)).from_(table_function(reader, ROLLUP), copy=False)
        bound = self._day_bound(self.physical.cap(aggregation.table))
        select = select.where(and_(
            exp.LT(this=col(DAY, ROLLUP), expression=bound),
            exp.Or(this=exp.Is(this=col(VIA_DAY, ROLLUP), expression=exp.Null()),
                   expression=exp.LT(this=col(VIA_DAY, ROLLUP), expression=bound.copy()))),
            copy=False)
        since = self._rollup_since(aggregation)
        if since is not None:
            select = select.where(since, append=True, copy=False)
        for measure in aggregation.measures:
            if measure.name in self.rolled:
                select = select.select(named(self._rolled(aggregation, measure), measure.name),
                                       copy=False)
        return self.rollup_cte_name(aggregation), select.group_by(col(KEY), copy=False)

    def _rollup_since(self, aggregation: Aggregation) -> exp.Expression | None:
        """When every measure read from the rollup has a window, the rows before the
        earliest of their lower bounds, which none of them adds up, left out before
        grouping (a compacted layer's folded rows, all before its cut, with them; Parquet
        statistics skip their row groups). An entity left with no row gets no value, as
        its filtered sums over no row give."""
        lows: dict[Bound, None] = {}
        for measure in aggregation.measures:
            if measure.name not in self.rolled:
                continue
            tests = [t for t in self.physical.condition(measure).window
                     if t.op is ir.CompareOp.GE]
            if not tests:
                return None
            lows[tests[0].bound] = None
        if not lows:
            return None
        if self.as_of.mode is AsOfMode.DATE:  # one date: a constant the scan can use
            first = min(lows, key=lambda bound: bound_date(bound, self.as_of.value))
            return exp.GTE(this=col(DAY, ROLLUP), expression=self.plan_Bound(first, False))
        bounds = [self.plan_Bound(bound, False) for bound in lows]
        return exp.GTE(this=col(DAY, ROLLUP), expression=bounds[0] if len(bounds) == 1
                       else exp.Least(this=bounds[0], expressions=bounds[1:]))

    def rollup_bounds_agree(self, aggregation: Aggregation) -> bool:
        """The table and the one it is reached through cut at the same day (one WHERE on
        the day and the via day serves both)."""
        bounds = {self.physical.cap(aggregation.table).bound}
        via = self.model.events[aggregation.table].through
        if via and self.physical.cap(via) is not None:
            bounds.add(self.physical.cap(via).bound)
        return len(bounds) == 1

    def _rolled(self, aggregation: Aggregation, measure: Measure) -> exp.Expression:
        window = self.physical.condition(measure).window
        partial = self._measure_partial(aggregation, measure)
        combine = {F.COUNT: exp.Sum, F.SUM: exp.Sum, F.MIN: exp.Min, F.MAX: exp.Max}
        value: exp.Expression = combine[partial.func](this=col(partial.name, ROLLUP))
        if window:
            value = exp.Filter(this=value, expression=exp.Where(
                this=and_(*(self._day_test(t) for t in window))))
        agg = measure.aggregate
        if agg.func is F.COUNT:  # as COUNT gives it
            return exp.Cast(this=value, to=exp.DataType.build("BIGINT"))
        if agg.func is F.SUM and agg.arg.type is T.INT:  # as SUM of whole numbers gives it
            return exp.Cast(this=value, to=exp.DataType.build("HUGEINT"))
        if agg.func is F.SUM:
            return self.exact_total(value)
        return value

    def _day_bound(self, test: TimeTest) -> exp.Expression:
        return self.plan_Bound(test.bound, False)

    def _day_test(self, test: TimeTest) -> exp.Expression:
        kind = {ir.CompareOp.GE: exp.GTE, ir.CompareOp.LT: exp.LT}[test.op]
        return kind(this=col(DAY, ROLLUP), expression=self._day_bound(test))


def _day(column: exp.Expression) -> exp.Expression:
    return exp.Cast(this=column, to=exp.DataType.build("DATE"))

