"""Correlated aggregates: an aggregate whose `where` (or `since`/`before` window) reads the
entity's own values, `sum(orders.amount where orders.ordered_at > first_order)`.

Inside the aggregate each such value (a feature, a segment, a column of the entity or of its
lookups) becomes a column of `CONTEXT`, the per-entity row joined to the event rows by key.
The value is read from the per-entity table after the plan step that computes it, so the
aggregate's pass runs at that *stage*: after `base` (stage 0) or after step N (stage N), and
its results join the per-entity table right there, before step N + 1.

A table gets a pass of its own per stage only where needed: its plain measures join its
first correlated pass unless that pass reads (through any chain of features) a measure of
the same table, which must then be computed first: a second pass over the table.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import ir
from .. import model as m

CONTEXT = "segl_context"  # the alias of the per-entity row inside a correlated pass

# entity-level nodes: each is one value per entity, computed outside the aggregate
_ENTITY_NODES = (ir.FeatureRef, ir.SegmentRef, ir.SegmentationRef, ir.Score, ir.Rank,
                 ir.ClusterValue)


def entity_side(model: m.Model) -> set[str]:
    """The entity table and the lookups hanging off it: one value per entity."""
    entity = model.entity.name
    return {entity} | {t.name for t in model.lookup_chain(entity)}


def is_correlated(model: m.Model, aggregate: ir.Aggregate) -> bool:
    side = entity_side(model)
    return any(_is_entity_value(node, side) for node in aggregate.walk()
               if node is not aggregate)


def _is_entity_value(node: ir.Expr, side: set[str]) -> bool:
    if isinstance(node, _ENTITY_NODES):
        return True
    return isinstance(node, ir.Column) and node.table in side


def contextualise(model: m.Model, aggregate: ir.Aggregate,
                  rewrite: Callable[[ir.Expr], tuple[ir.Expr, int]]
                  ) -> tuple[ir.Aggregate, int | None, tuple[str, ...]]:
    """The aggregate with each entity value read as a `CONTEXT` column, the stage its pass
    runs at (None: not correlated) and the per-entity columns it reads. `rewrite` plans an
    entity-level expression: it returns the planned expression (a per-entity column) and
    the depth of the step that computes it."""
    side = entity_side(model)
    stage: int | None = None
    names: list[str] = []

    def visit(node: ir.Expr) -> ir.Expr:
        nonlocal stage
        if node is aggregate or not _is_entity_value(node, side):
            return ir.transform_children(node, visit)
        planned, depth = rewrite(node)
        name = planned.name if isinstance(planned, (ir.Ref, ir.Column)) else ""
        stage = depth if stage is None else max(stage, depth)
        if name not in names:
            names.append(name)
        return ir.Column(CONTEXT, name, type=node.type, span=node.span)

    rewritten = visit(aggregate)
    assert isinstance(rewritten, ir.Aggregate)
    return rewritten, stage, tuple(names)


def pass_text(aggregations, aggregation) -> str:
    """How `segl compile --show plan` names a pass: which of the passes over its table it
    is, and for a correlated one when it runs and which entity values it reads."""
    same = [a for a in aggregations if a.table == aggregation.table]
    text = "one pass" if len(same) == 1 else \
        f"pass {same.index(aggregation) + 1} of {len(same)}"
    if aggregation.stage is None:
        return text
    when = "base" if aggregation.stage == 0 else f"step {aggregation.stage}"
    reads = ", ".join(aggregation.context)
    return f"{text}, correlated: after {when}, reading {reads} per entity"


def pass_json(aggregation) -> dict:
    return {"stage": aggregation.stage, "context": list(aggregation.context)}
