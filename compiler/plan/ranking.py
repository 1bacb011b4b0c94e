"""Rankings: filter, then window. Decided once for every backend.

A `top`/`bottom` rank and an `ntile`/`quantile` score order entities. Only the entities the
ranking admits are ranked: those whose value is present (and, for `among`, that meet the
condition); when the value can never be missing (a count, a sum, a segment) and there is no
`among`, every entity is. The admitted entities are numbered apart from the others (no
window over every entity partitioned by a null flag, no ordering that sorts the others
last), only their key and value, and the result is joined back by key: an entity that is
not ranked gets no position, so it is not a member and gets no score. (The SQL backend
may compute a ranking in its step instead, as a window over a partition of the admitted
entities, with the same result: the dialect rule `inline_rankings`.)

The window is one of three functions over one ordering, with, when the ranking needs it,
the number of entities ranked:

- `top`/`bottom N`: `row_number` by value (descending for `top`), ties by key ascending; a
  member when position <= N, or position * 100 <= P * count for `P%`;
- `ntile`: worst value first, ties by key descending (the smaller key gets the better
  score);
- `quantile`: `rank` by value, worst first (ties share a rank); the score is
  1 + floor(bins * (rank - 1) / count).

Thresholds scores are arithmetic on the value and need no ranking.

An experiment's stratified slot (`stratify by`) is a `row_number` by (slot, key) within each
stratum (the ranking's `partition`) among the segment's members outside the holdout, with the
number ranked in the stratum.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .. import ir
from .logical import ComputedKind, Plan

T = ir.Type


class RankFunc(StrEnum):
    ROW_NUMBER = "row_number"
    NTILE = "ntile"
    RANK = "rank"


@dataclass(frozen=True)
class OrderKey:
    expr: ir.Expr
    descending: bool


@dataclass(frozen=True)
class Ranking:
    """One ranking computed apart: the admitted entities, numbered in one ordering."""

    column: str  # the computed column it fills (a RANK or SCORE column of a step)
    step: int  # the index (from 0) of the step that column belongs to
    node: ir.Rank | ir.Score | ir.StratifiedSlot  # what it computes
    admits: ir.Expr | None  # which entities are ranked; None: every entity
    order: tuple[OrderKey, ...]
    func: RankFunc
    counted: bool  # the number of entities ranked is needed too
    partition: tuple[ir.Expr, ...] = ()  # numbered (and counted) apart within each value

    @property
    def name(self) -> str:
        """The name a backend gives the ranked entities (a CTE, a frame)."""
        return f"ranked{self.column}"


def rankings(plan: Plan) -> tuple[Ranking, ...]:
    """Every ranking of the plan's steps, in step order."""
    computed = {c.name: c for step in plan.steps for c in step.columns}
    defaulted = {m.name for a in plan.aggregations for m in a.measures if m.empty is not None}
    key = ir.Column(plan.model.entity.name, plan.key, type=T.ANY)
    found: list[Ranking] = []
    for index, step in enumerate(plan.steps):
        for column in step.columns:
            node = column.expr
            if column.kind is ComputedKind.RANK and isinstance(node, ir.Rank):
                admits = _admits(node.by, node.among, computed, defaulted)
                order = (OrderKey(node.by, node.direction == "top"), OrderKey(key, False))
                found.append(Ranking(column.name, index, node, admits, order,
                                     RankFunc.ROW_NUMBER, node.percent))
            elif column.kind is ComputedKind.SCORE and isinstance(node, ir.Score) \
                    and node.method != "thresholds":
                admits = _admits(node.by, None, computed, defaulted)
                worst_first = OrderKey(node.by, not node.higher_is_better)
                if node.method == "ntile":
                    found.append(Ranking(column.name, index, node, admits,
                                         (worst_first, OrderKey(key, True)),
                                         RankFunc.NTILE, False))
                else:
                    found.append(Ranking(column.name, index, node, admits, (worst_first,),
                                         RankFunc.RANK, True))
            elif column.kind is ComputedKind.SCORE and isinstance(node, ir.StratifiedSlot):
                order = (OrderKey(ir.Slot(node.salt, node.key, type=T.INT), False),
                         OrderKey(node.key, False))
                found.append(Ranking(column.name, index, node, node.among, order,
                                     RankFunc.ROW_NUMBER, True, (node.stratum,)))
    return tuple(found)


def _admits(by: ir.Expr, among: ir.Expr | None, computed, defaulted) -> ir.Expr | None:
    tests = [] if never_missing(by, computed, defaulted) else [
        ir.IsMissing(by, negated=True, type=T.BOOL)]
    if among is not None:
        tests.append(among)
    if not tests:
        return None
    return tests[0] if len(tests) == 1 else ir.Logic(ir.LogicOp.AND, tuple(tests), type=T.BOOL)


def never_missing(node: ir.Expr, computed, defaulted) -> bool:
    """True when the value is present for every entity: a count or sum (0 without rows),
    a segment or rank, or arithmetic and features built only from those."""
    if isinstance(node, ir.Literal):
        return node.value is not None
    if isinstance(node, ir.Ref):
        if node.name in defaulted:
            return True
        found = computed.get(node.name)
        if found is None:
            return False
        return found.kind is not ComputedKind.FEATURE or never_missing(found.expr, computed,
                                                                      defaulted)
    if isinstance(node, ir.Arith):
        return node.op != "/" and never_missing(node.left, computed, defaulted) and \
            never_missing(node.right, computed, defaulted)
    if isinstance(node, ir.Negate):
        return never_missing(node.operand, computed, defaulted)
    return False
