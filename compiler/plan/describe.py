"""A physical plan printed for people (`segl compile --show plan`) and as JSON
(`--show plan --format json`): every decision the backends translate, expressions written
as the language writes them. Both are stable, so `tests/plan` snapshots them per feature."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from .. import ir
from .correlation import pass_json, pass_text
from .describe_dates import dates_json, dates_lines, for_dates
from .hoisting import Hoisted
from .logical import Aggregation, Measure, Plan
from .physical import Bound, Condition, Pass, PhysicalPlan, Prefilter, TimeTest
from .ranking import Ranking
from .sequences import describe as sequence_text
from .sequences import sequence_json, sequence_lines


# ---------------------------------------------------------------- expressions as text
def expr_text(node: ir.Expr) -> str:
    """An IR expression as the language would write it (references by their plan names)."""
    return _TEXT[type(node)](node)


def _inner(node: ir.Expr) -> str:
    """A sub-expression, in parentheses when it is an operator."""
    text = expr_text(node)
    return f"({text})" if isinstance(node, _OPERATORS) else text


def _literal(node: ir.Literal) -> str:
    value = node.value
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value.isoformat() if isinstance(value, date) else str(value)


def _units(amount: int, unit: ir.TimeUnit) -> str:
    return f"{amount} {unit}" + ("" if abs(amount) == 1 else "s")


def _window(window: ir.Window | None) -> str:
    if isinstance(window, ir.WindowLast):
        return f" in last {_units(window.amount, window.unit)}"
    if isinstance(window, ir.WindowPrevious):
        return f" in previous {_units(window.amount, window.unit)}"
    if isinstance(window, ir.WindowPeriod):
        unit = {1: "month", 3: "quarter", 12: "year"}[window.months]
        if window.back > 1:
            return f" in the {unit} {window.back} {unit}s before this one"
        return f" in {'this' if window.back == 0 else 'last'} {unit}"
    if not isinstance(window, ir.WindowRange):
        return ""
    if window.start and window.end:
        return f" from {window.start.isoformat()} to {window.end.isoformat()}"
    if window.start:
        return f" since {window.start.isoformat()}"
    return f" up to {window.end.isoformat()}" if window.end else ""


def _aggregate(node: ir.Aggregate) -> str:
    what = node.table if node.arg is None else expr_text(node.arg)
    where = f" where {expr_text(node.filter)}" if node.filter is not None else ""
    distinct = "distinct " if node.distinct else ""
    params = "".join(f", {_literal(p)}" for p in node.params)
    return f"{node.func}({distinct}{what}{params}{where}){_window(node.window)}"


def _sequence(node: ir.Sequence) -> str:
    def step(table: str, condition: ir.Expr | None) -> str:
        return table + (f" where {expr_text(condition)}" if condition is not None else "")

    within = f" within {_units(node.within.amount, node.within.unit)}" if node.within else ""
    return (f"{node.func}({step(node.first, node.first_filter)} {node.kind} "
            f"{step(node.then, node.then_filter)}{within})")


def _date_shift(node: ir.DateShift) -> str:
    sign = "-" if node.amount < 0 else "+"
    return f"{_inner(node.value)} {sign} {_units(abs(node.amount), node.unit)}"


def _rank(node: ir.Rank) -> str:
    among = f" among {expr_text(node.among)}" if node.among is not None else ""
    percent = "%" if node.percent else ""
    return f"{node.direction} {_literal(node.amount)}{percent} by {_inner(node.by)}{among}"


def _score(node: ir.Score) -> str:
    better = "higher" if node.higher_is_better else "lower"
    cuts = f" ({', '.join(_literal(t) for t in node.thresholds)})" if node.thresholds else ""
    return (f"score {node.segmentation}.{node.name} by {_inner(node.by)} {better} is better "
            f"into {node.bins} {node.method}{cuts}")


def _case(node: ir.Case) -> str:
    whens = " ".join(f"when {expr_text(c)} then {expr_text(v)}" for c, v in node.whens)
    otherwise = f" else {expr_text(node.otherwise)}" if node.otherwise is not None else ""
    return f"case {whens}{otherwise} end"


_TEXT: dict[type, Callable] = {
    ir.Literal: _literal,
    ir.AsOf: lambda node: "as_of",
    ir.Column: lambda node: f"{node.table}.{node.name}",
    ir.FeatureRef: lambda node: node.name,
    ir.SegmentRef: lambda node: node.name,
    ir.SegmentationRef: lambda node: node.name,
    ir.Ref: lambda node: node.name,
    ir.Not: lambda node: f"not {_inner(node.operand)}",
    ir.Negate: lambda node: f"-{_inner(node.operand)}",
    ir.Logic: lambda node: f" {node.op} ".join(_inner(o) for o in node.operands),
    ir.Arith: lambda node: f"{_inner(node.left)} {node.op} {_inner(node.right)}",
    ir.Compare: lambda node: f"{_inner(node.left)} {node.op} {_inner(node.right)}",
    ir.Between: lambda node: (f"{_inner(node.value)} between {_inner(node.low)} and "
                              f"{_inner(node.high)}"),
    ir.InList: lambda node: (f"{_inner(node.value)} {'not in' if node.negated else 'in'} "
                             f"({', '.join(expr_text(i) for i in node.items)})"),
    ir.TextMatch: lambda node: f"{_inner(node.value)} {node.op} {_inner(node.pattern)}",
    ir.IsMissing: lambda node: (f"{_inner(node.value)} is "
                                f"{'present' if node.negated else 'missing'}"),
    ir.Case: _case,
    ir.Func: lambda node: f"{node.name}({', '.join(expr_text(a) for a in node.args)})",
    ir.DateShift: _date_shift,
    ir.Slot: lambda node: f"slot({node.salt!r}, {expr_text(node.key)})",
    ir.StratifiedSlot: lambda node: (f"stratified_slot({node.salt!r}, {expr_text(node.key)}, "
                                     f"by {expr_text(node.stratum)})"),
    ir.Aggregate: _aggregate,
    ir.Sequence: _sequence,
    ir.Rank: _rank,
    ir.Score: _score,
    ir.Total: lambda node: f"{node.func}({expr_text(node.value)})",
    ir.ClusterValue: lambda node: expr_text(node.value),
}
_OPERATORS = (ir.Not, ir.Negate, ir.Logic, ir.Arith, ir.Compare, ir.Between, ir.InList,
              ir.TextMatch, ir.IsMissing, ir.DateShift, ir.Rank)


# ---------------------------------------------------------------- plan nodes as text
def bound_text(bound: Bound) -> str:
    if bound.fixed is not None:
        return bound.fixed.isoformat()
    text = "as_of"
    if bound.truncate:
        text = f"first day of as_of's {({1: 'month', 3: 'quarter', 12: 'year'})[bound.truncate]}"
    if bound.amount:
        sign = "-" if bound.amount < 0 else "+"
        text += f" {sign} {_units(abs(bound.amount), bound.unit)}"
    return text + (" + 1 day" if bound.plus_day else "")


def time_test_text(test: TimeTest) -> str:
    midnight = " (midnight)" if test.timestamp else ""
    return f"{test.table}.{test.column} {test.op} {bound_text(test.bound)}{midnight}"


def condition_text(condition: Condition) -> str:
    parts = [expr_text(condition.filter)] if condition.filter is not None else []
    parts += [time_test_text(test) for test in condition.window]
    return " and ".join(parts) or "every row"


def prefilter_text(prefilter: Prefilter) -> str:
    parts = [time_test_text(prefilter.since)] if prefilter.since is not None else []
    if prefilter.any_of:
        parts.append("any of: " + "; ".join(condition_text(c) for c in prefilter.any_of))
    return " and ".join(parts)


def describe(physical: PhysicalPlan) -> str:
    """The plan, readably: what is read, each pass and its decisions, each step."""
    physical = for_dates(physical)
    plan = physical.plan
    lines = [f"as_of {physical.as_of}", *_date_lines(physical), *_entity_lines(plan)]
    for planned in physical.passes:
        lines += _pass_lines(physical, planned)
    for sequence in physical.sequences:
        lines += sequence_lines(sequence, expr_text)
    lines += _step_lines(plan, physical.rankings)
    for name, kpi in plan.kpis:
        lines.append(f"kpi {name} = {expr_text(kpi)}")
    lines += _output_lines(plan)
    lines += [f"read {read.table}: {', '.join(read.columns)}" for read in physical.reads]
    return "\n".join(lines)


def _date_lines(physical: PhysicalPlan) -> list[str]:
    """Many dates in one pass: the date dimension every pass, join and ranking carries."""
    if not physical.as_of.dated:
        return []
    dates = physical.as_of.dates
    return [f"dates {len(dates)}: {', '.join(d.isoformat() for d in dates)}",
            "  date dimension: each events pass joins the dates on its cap and groups by "
            "(entity, as_of), or aggregates its events once per (entity, time segment) and "
            "combines them per date (each pass's `dates` lines); the entity rows are crossed "
            "with the dates; rankings rank each date apart; one output row per (as_of, "
            "entity)"]


def _output_lines(plan: Plan) -> list[str]:
    lines = [f"output {', '.join((*plan.outputs, *plan.segmentations))}"]
    if plan.traits:
        lines.append(f"traits {', '.join(plan.traits)}")
    return lines


def describe_logical(plan: Plan) -> str:
    """The plan before as_of is known: what `Plan.describe` prints."""
    lines = list(_entity_lines(plan))
    for aggregation in plan.aggregations:
        lines.append(f"aggregate {aggregation.table} "
                     f"({pass_text(plan.aggregations, aggregation)}, "
                     f"{len(aggregation.measures)} measures)")
        lines += [f"  {_measure_text(measure)}" for measure in aggregation.measures]
    lines += [sequence_text(sequence) for sequence in plan.sequences]
    lines += _step_lines(plan)
    lines += _output_lines(plan)
    return "\n".join(lines)


def _entity_lines(plan: Plan) -> list[str]:
    lines = [f"entity {plan.model.entity.name} key {plan.key}",
             f"  read {', '.join(plan.entity_columns)}"]
    lines += [f"  join lookup {lookup}" for lookup in plan.lookups]
    lines += [f"  column {lookup}.{column}" for lookup, column in plan.lookup_columns]
    return lines


def _measure_text(measure: Measure) -> str:
    empty = "" if measure.empty is None else f"  [no rows: {_literal(measure.empty)}]"
    return f"{measure.name} = {expr_text(measure.aggregate)}{empty}"


def _pass_lines(physical: PhysicalPlan, planned: Pass) -> list[str]:
    aggregation: Aggregation = planned.aggregation
    events = physical.plan.model.events[aggregation.table]
    how = pass_text(physical.plan.aggregations, aggregation)
    if aggregation.partial:
        how = f"partial per {events.through_column}, finished " + (
            f"in the pass over {aggregation.fold_into}" if aggregation.fold_into
            else f"joined to {events.through}")
    lines = [f"aggregate {aggregation.table} ({how}, {len(aggregation.measures)} measures)"]
    if events.through:
        lines.append(f"  through {events.through} on {events.through_column} = "
                     f"{events.through_via_column}")
    for table in (aggregation.table, events.through):
        cap = physical.cap(table) if table else None
        if cap is not None:
            lines.append(f"  cap {time_test_text(cap)}")
    lines += [f"  join lookup {lookup}" + (" (reduced to the rows meeting its conditions)"
                                            if lookup in planned.reduced else "")
              for lookup in aggregation.lookups]
    lines += [f"  hoist {h.alias} = {expr_text(h.expr)} (per {h.lookup} row)"
              for h in planned.hoisted]
    if planned.folded:
        lines.append(f"  finishes partials of {', '.join(planned.folded)}")
    if planned.prefilter is not None:
        lines.append(f"  prefilter {prefilter_text(planned.prefilter)}")
    if planned.partial_prefilter is not None:
        lines.append(f"  prefilter (partial pass) {prefilter_text(planned.partial_prefilter)}")
    for measure in aggregation.measures:
        lines.append(f"  {_measure_text(measure)}")
        condition = physical.condition(measure)
        if condition.window:
            lines.append(f"    window {' and '.join(time_test_text(t) for t in condition.window)}")
        for hoisted in dict(planned.hoisted_alone).get(measure.name, ()):
            lines.append(f"    hoist {hoisted.alias} = {expr_text(hoisted.expr)} "
                         f"(per {hoisted.lookup} row)")
    return lines + dates_lines(physical, aggregation, time_test_text)


def _step_lines(plan: Plan, rankings: tuple[Ranking, ...] = ()) -> list[str]:
    lines = []
    ranked = {ranking.column: ranking for ranking in rankings}
    for index, step in enumerate(plan.steps, 1):
        lines.append(f"step {index}")
        for column in step.columns:
            lines.append(f"  {column.kind} {column.name} = {expr_text(column.expr)}")
            if column.name in ranked:
                lines.append(f"    {ranking_text(ranked[column.name])}")
    return lines


def ranking_text(ranking: Ranking) -> str:
    """`ranked apart: <which entities>, <function> by <ordering> [, counted]`."""
    who = "every entity" if ranking.admits is None else f"where {expr_text(ranking.admits)}"
    order = ", ".join(expr_text(key.expr) + (" desc" if key.descending else "")
                      for key in ranking.order)
    counted = ", counted" if ranking.counted else ""
    return f"ranked apart: {who}, {ranking.func} by {order}{counted}"


def _ranking_json(ranking: Ranking) -> dict:
    return {"column": ranking.column, "step": ranking.step + 1, "func": str(ranking.func),
            "admits": None if ranking.admits is None else expr_text(ranking.admits),
            "order": [{"expr": expr_text(key.expr), "descending": key.descending}
                      for key in ranking.order],
            "counted": ranking.counted}


# ---------------------------------------------------------------- JSON
def to_json(physical: PhysicalPlan) -> dict:
    """The plan as plain JSON data (expressions as text)."""
    physical = for_dates(physical)
    plan = physical.plan
    return {
        "as_of": str(physical.as_of),
        **({"dates": [d.isoformat() for d in physical.as_of.dates]}
           if physical.as_of.dated else {}),
        "entity": {"name": plan.model.entity.name, "key": plan.key,
                   "columns": list(plan.entity_columns), "lookups": list(plan.lookups),
                   "lookup_columns": [list(pair) for pair in plan.lookup_columns]},
        "reads": [{"table": r.table, "columns": list(r.columns)} for r in physical.reads],
        "passes": [_pass_json(physical, planned) for planned in physical.passes],
        "steps": [[{"name": c.name, "kind": str(c.kind), "expr": expr_text(c.expr)}
                   for c in step.columns] for step in plan.steps],
        "rankings": [_ranking_json(ranking) for ranking in physical.rankings],
        "outputs": list(plan.outputs),
        "segmentations": list(plan.segmentations),
        "score_outputs": [list(pair) for pair in plan.score_outputs],
        "kpis": [{"name": name, "expr": expr_text(kpi)} for name, kpi in plan.kpis],
        "kpi_components": list(plan.kpi_components),
        **({"traits": list(plan.traits)} if plan.traits else {}),
        **({"sequences": [sequence_json(s, expr_text) for s in physical.sequences]}
           if physical.sequences else {}),
    }


def _pass_json(physical: PhysicalPlan, planned: Pass) -> dict:
    aggregation = planned.aggregation
    return {
        "table": aggregation.table,
        "partial": aggregation.partial,
        "fold_into": aggregation.fold_into,
        **({} if aggregation.stage is None else pass_json(aggregation)),
        "folded": list(planned.folded),
        "lookups": list(aggregation.lookups),
        "reduced": list(planned.reduced),
        "caps": [_test_json(cap) for cap in (physical.cap(aggregation.table),) if cap],
        "hoisted": [_hoisted_json(h) for h in planned.hoisted],
        "prefilter": _prefilter_json(planned.prefilter),
        "partial_prefilter": _prefilter_json(planned.partial_prefilter),
        "measures": [{
            "name": measure.name,
            "func": str(measure.aggregate.func),
            "aggregate": expr_text(measure.aggregate),
            "empty": None if measure.empty is None else measure.empty.value,
            "condition": _condition_json(physical.condition(measure)),
            "hoisted": [_hoisted_json(h) for h in
                        dict(planned.hoisted_alone).get(measure.name, ())],
        } for measure in aggregation.measures],
        **dates_json(physical, aggregation, _test_json),
    }


def _test_json(test: TimeTest) -> dict:
    bound = test.bound
    return {"table": test.table, "column": test.column, "op": str(test.op),
            "timestamp": test.timestamp,
            "bound": {"date": bound.fixed.isoformat()} if bound.fixed is not None else
            {"as_of_shift": [bound.amount, str(bound.unit)], "plus_day": bound.plus_day}}


def _condition_json(condition: Condition) -> dict:
    return {"filter": None if condition.filter is None else expr_text(condition.filter),
            "window": [_test_json(test) for test in condition.window]}


def _prefilter_json(prefilter: Prefilter | None) -> dict | None:
    if prefilter is None:
        return None
    return {"since": None if prefilter.since is None else _test_json(prefilter.since),
            "any_of": [_condition_json(c) for c in prefilter.any_of]}


def _hoisted_json(hoisted: Hoisted) -> dict:
    return {"lookup": hoisted.lookup, "alias": hoisted.alias, "expr": expr_text(hoisted.expr)}


def json_text(physical: PhysicalPlan) -> str:
    def default(value: object) -> object:
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        raise TypeError(type(value).__name__)

    return json.dumps(to_json(physical), indent=2, ensure_ascii=False, default=default)
