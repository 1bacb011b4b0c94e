"""Binding an event sequence: `count(A [where …] then [no|first] B [where …] [within N])`
and `last(…)` (docs/language.md#sequences) to `ir.Sequence`, with E125 for misuse.

Called by the resolver's aggregate binding (`bind_operations.py`) when a call has a second
step; `resolver` is that resolver (its `expr`, `window`, `error`, `tables`)."""

from __future__ import annotations

from .. import ir
from .. import model as m
from ..codes import Code
from ..syntax import nodes as n
from .bind_names import _Scope

_FUNCS = {"count": ir.AggregateFunc.COUNT, "last": ir.AggregateFunc.LAST}
_KINDS = {n.StepKind.THEN: ir.SequenceKind.THEN, n.StepKind.THEN_NO: ir.SequenceKind.THEN_NO,
          n.StepKind.THEN_FIRST: ir.SequenceKind.THEN_FIRST}
_EXAMPLE = "e.g. `count(web_events then no orders within 7 days)`"


def bind_sequence(resolver, node: n.Call, scope: _Scope) -> ir.Expr | None:
    """The sequence `node` (a call with `node.sequence`), or None after reporting E125."""
    step = node.sequence
    assert step is not None
    name = node.function.text
    func = _FUNCS.get(name)
    if func is None:
        resolver.error(Code.E125, f"a sequence is counted with `count(…)` or dated with "
                       f"`last(…)`, not `{name}(…)`", node.function.span, _EXAMPLE)
        return None
    if scope.table is not None:
        resolver.error(Code.E108, f"`{name}` cannot be nested inside another aggregate",
                       node.span)
        return None
    if node.distinct:
        resolver.error(Code.E125, "`distinct` does not apply to a sequence: each event that "
                       "completes the pattern counts once", node.span, _EXAMPLE)
        return None
    if len(node.args) != 1 or not isinstance(node.args[0], n.NameRef):
        span = node.args[0].span if node.args else node.span
        resolver.error(Code.E125, "a sequence starts with an events table, e.g. "
                       "`web_events where event_type = \"view\"`", span, _EXAMPLE)
        return None
    first = _events_table(resolver, node.args[0].name)
    then = _events_table(resolver, step.table)
    if first is None or then is None:
        return None
    first_filter = _filter(resolver, node.filter, first)
    then_filter = _filter(resolver, step.filter, then)
    if first_filter is False or then_filter is False:
        return None
    within = None
    if step.within is not None:
        within = resolver.window(step.within)
        if within is None:
            return None
    kind = _KINDS[step.kind]
    counted = then if kind is ir.SequenceKind.THEN_FIRST else first
    time_type = counted.column(counted.time_column or "")
    type_ = ir.Type.INT if func is ir.AggregateFunc.COUNT else \
        (time_type.type if time_type is not None else ir.Type.ANY)
    sequence = ir.Sequence(func, kind, first.name, first_filter, then.name, then_filter,
                           within, type=type_, span=node.span)
    if scope.kpi:  # per entity, then over the group: the counts add up
        if func is not ir.AggregateFunc.COUNT:
            resolver.error(Code.E125, "a KPI counts a sequence: `count(…)`; its latest time "
                           "is a feature's value", node.function.span,
                           "e.g. `kpi repeats = count(orders then orders within 30 days)`")
            return None
        return ir.Total("sum", sequence, span=node.span)
    return sequence


def _events_table(resolver, ident: n.Ident) -> m.Table | None:
    table = resolver.tables.get(ident.text)
    if table is None or ident.text not in resolver.events_decls:
        resolver.error(Code.E125, f"`{ident.text}` is not an events table: each step of a "
                       "sequence names one", ident.span, _EXAMPLE)
        return None
    if table.name in resolver.broken:
        return None
    if table.through:
        resolver.error(Code.E125, f"`{table.name}` is reached through `{table.through}`: a "
                       "sequence step names an events table keyed by the entity",
                       ident.span, f"use `{table.through}` and filter it")
        return None
    if table.time_column is None:
        resolver.error(Code.E125, f"`{table.name}` has no time column, so its events have no "
                       "order", ident.span,
                       f"declare one: `events {table.name} … at <time column>`")
        return None
    return table


def _filter(resolver, node: n.Expr | None, table: m.Table) -> ir.Expr | bool | None:
    """A step's condition bound over its own table's rows; False after an error."""
    if node is None:
        return None
    bound = resolver.expr(node, _Scope(table=table.name))
    if bound is None:
        return False
    for sub in bound.walk():
        if isinstance(sub, ir.Column) and sub.table != table.name:
            resolver.error(Code.E125, f"a step's `where` reads its own table's columns; "
                           f"`{sub.table}.{sub.name}` is not a column of `{table.name}`",
                           sub.span or node.span, "filter each step by its own columns")
            return False
        if isinstance(sub, (ir.FeatureRef, ir.SegmentRef, ir.SegmentationRef, ir.Aggregate,
                            ir.Sequence)):
            resolver.error(Code.E125, "a step's `where` reads its own table's columns, not "
                           "per-entity values", sub.span or node.span,
                           "filter each step by its own columns")
            return False
    return bound
