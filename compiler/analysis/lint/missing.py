"""L201, L202: conditions that leave out entities because a value is missing.

A condition that is missing does not admit (docs/language.md, null logic). Two places where
that surprises: a negation (`x != "a"`, `x not in (…)`, `not (x > 5)`) reads as "everything
else" but leaves out entities with no x; and a bound on `min`/`max` over events that reads
as a statement about every event (`max(orders.amount) <= 100`: "never above 100") leaves out
entities with no events at all, for which it is vacuously true. `count` and `sum` are 0 over
no events, so `count(orders) = 0` and `orders_1y <= 1` keep those entities and are not
reported. Both rules stay quiet when the condition already says what happens to missing
values (`is missing`, `is present`, or, for events, a `count`/`sum` over the same table).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ... import catalogue, ir
from ...codes import Code
from ...diagnostics import Diagnostic
from ...source import Span
from .context import Context
from .rules import finding


class Nulls:
    """Which expressions can be missing (SQL NULL) for some entity or row."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._features: dict[str, bool] = {}

    def may_miss(self, expr: ir.Expr) -> bool:
        match expr:
            case ir.Literal():
                return expr.value is None
            case ir.AsOf() | ir.SegmentRef() | ir.SegmentationRef() | ir.Rank() | ir.IsMissing():
                return False
            case ir.Column():
                return self._column_may_miss(expr)
            case ir.FeatureRef():
                return self._feature_may_miss(expr.name)
            case ir.Aggregate():
                return not _zero_without_rows(expr.func)
            case ir.Total():
                return not _zero_without_rows(expr.func)
            case ir.Case():
                return expr.otherwise is None or any(
                    self.may_miss(v) for v in (*(w[1] for w in expr.whens), expr.otherwise))
            case ir.Func(name="coalesce"):
                return all(self.may_miss(a) for a in expr.args)
            case ir.Arith(op="/"):
                nonzero = isinstance(expr.right, ir.Literal) and expr.right.value not in (0, None)
                return not nonzero or self.may_miss(expr.left)
            case ir.Score():
                return self.may_miss(expr.by)
        return any(self.may_miss(child) for child in expr.children())

    def _column_may_miss(self, column: ir.Column) -> bool:
        table = self.context.model.table(column.table)
        if table is None:
            return True
        if table.kind == "entity":
            return column.name != table.key  # the key is present in every row (checked)
        if table.kind == "events":
            return column.name not in (table.entity_key, table.time_column)
        return True  # a lookup without a match gives missing values, its key too

    def _feature_may_miss(self, name: str) -> bool:
        if name not in self._features:
            self._features[name] = True  # no cycles (the resolver rejects them); a guard
            feature = self.context.model.features.get(name)
            self._features[name] = feature is None or self.may_miss(feature.expr)
        return self._features[name]

    def leaves(self, expr: ir.Expr) -> list[ir.Expr]:
        """The values in `expr` that can be missing, features expanded."""
        return [node for node in self.context.expand(expr)
                if isinstance(node, (ir.Column, ir.FeatureRef, ir.Aggregate))
                and self.may_miss(node)]


def _roots(context: Context) -> Iterator[tuple[ir.Expr, Span | None]]:
    """Every expression the file writes, once each (features are not expanded here)."""
    model = context.model
    for feature in model.features.values():
        yield feature.expr, feature.span
    for segment in model.segments.values():
        yield segment.predicate, segment.span
    for segmentation in model.segmentations.values():
        for bucket in segmentation.buckets:
            if bucket.condition is not None:
                yield bucket.condition, bucket.span
        for score in segmentation.scores:
            yield score.by, score.span
    for kpi in model.kpis.values():
        yield kpi.expr, kpi.span


def _tested(nulls: Nulls, root: ir.Expr) -> list[ir.Expr]:
    """The values `root` tests with is missing/present (once per root: a chain of 10,000
    negations must not walk its root 10,000 times)."""
    return [node.value for node in nulls.context.expand(root) if isinstance(node, ir.IsMissing)]


def _handled(nulls: Nulls, tested: list[ir.Expr], value: ir.Expr) -> bool:
    """Does the root (whose tested values are `tested`) test any of the missing-able values
    in `value` with is missing/present?"""
    if not tested:
        return False
    suspects = [value, *nulls.leaves(value)]
    return any(t == s or s in nulls.leaves(t) for t in tested for s in suspects)


def _text(expr: ir.Expr, fallback: str = "this condition") -> str:
    return expr.span.text if expr.span is not None else fallback


def missing_value_excluded(context: Context) -> Iterator[Diagnostic]:
    nulls = Nulls(context)
    for root, fallback in _roots(context):
        yield from _negations(nulls, _tested(nulls, root), root, fallback)


def _negations(nulls: Nulls, tested: list[ir.Expr], node: ir.Expr, fallback: Span | None,
               rows: bool = False) -> Iterator[Diagnostic]:
    """`rows`: inside an aggregate's `where`, where rows are left out, not entities."""
    value = None
    if isinstance(node, ir.Not):
        value = node.operand
    elif (isinstance(node, ir.Compare) and node.op == "!=") or \
            (isinstance(node, ir.InList) and node.negated):
        value = node
    if value is not None and nulls.may_miss(value) and not _handled(nulls, tested, value):
        leaves = nulls.leaves(value)
        subject = _text(leaves[0], "a value") if leaves else "a value"
        left_out = "rows are not counted" if rows else "entities are left out"
        yield finding(
            Code.L201, f"`{_text(node)}` is not true where `{subject}` is missing, so those "
            f"{left_out}", node.span or fallback,
            f"to keep them write `{subject} is missing or …`; to leave them out on purpose "
            f"write `{subject} is present and …`")
        return
    for child in node.children():
        yield from _negations(nulls, tested, child, fallback,
                              rows or (isinstance(node, ir.Aggregate) and child is node.filter))


# ---------------------------------------------------------------- L202

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_BETWEEN = tuple(name for name, f in catalogue.SCALAR_FUNCTIONS.items()
                 if f.monotone is catalogue.Monotone.DIFFERENCE)
_RISING = tuple(name for name, f in catalogue.SCALAR_FUNCTIONS.items()
                if f.monotone is catalogue.Monotone.RISING)


def _limit(context: Context, expr: ir.Expr, depth: int = 0) -> tuple[ir.Aggregate, int] | None:
    """When `expr` is a monotone function of a `min`/`max` over events: that aggregate, and
    the side (+1: towards +infinity, -1: towards -infinity) a 'for every event' reading puts
    it on for an entity with no events (`max` of nothing is below everything)."""
    if depth > 20:
        return None
    step = depth + 1
    match expr:
        case ir.Aggregate(func="max"):
            return expr, -1
        case ir.Aggregate(func="min"):
            return expr, 1
        case ir.FeatureRef():
            feature = context.model.features.get(expr.name)
            return _limit(context, feature.expr, step) if feature else None
        case ir.Func(name=name, args=(first, second)) if name in _BETWEEN:
            found = _limit(context, first, step)
            if found:
                return found[0], -found[1]  # days from an earlier date: more
            return _limit(context, second, step)
        case ir.Func(name=name, args=(only,)) if name in _RISING:
            return _limit(context, only, step)
        case ir.DateShift():
            return _limit(context, expr.value, step)
        case ir.Negate():
            found = _limit(context, expr.operand, step)
            return (found[0], -found[1]) if found else None
        case ir.Arith(op="+" | "-"):
            left, right = _limit(context, expr.left, step), _limit(context, expr.right, step)
            if left and not right:
                return left
            if right and not left:
                return (right[0], right[1] if expr.op == "+" else -right[1])
        case ir.Arith(op="*" | "/", right=ir.Literal(value=value)) if \
                isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            found = _limit(context, expr.left, step)
            if found and value > 0:
                return found
    return None


def no_events_excluded(context: Context) -> Iterator[Diagnostic]:
    earlier = _earlier_buckets(context)
    for root, fallback in _roots(context):
        for node in root.walk():
            if not isinstance(node, ir.Compare) or node.op not in _FLIP:
                continue
            found, op = _limit(context, node.left), node.op
            if found is None or _limit(context, node.right) is not None:
                found, op = _limit(context, node.right), _FLIP[node.op]
                if found is None or _limit(context, node.left) is not None:
                    continue
            aggregate, side = found
            vacuous = op in (">", ">=") if side > 0 else op in ("<", "<=")
            if not vacuous or _events_handled(context, root, aggregate):
                continue
            if any(_true_without_events(context, taken, aggregate.table)
                   for taken in earlier.get(id(root), ())):
                continue  # an earlier bucket already took the entities with no events
            table = aggregate.table
            yield finding(
                Code.L202, f"`{_text(node)}` is missing, not true, for entities with no "
                f"`{table}`, so they are left out", node.span or fallback,
                f"to keep them write `count({table}) = 0 or …`; to leave them out on purpose "
                f"write `count({table}) > 0 and …`")


def _events_handled(context: Context, root: ir.Expr, aggregate: ir.Aggregate) -> bool:
    """Does the condition also say something about whether there are events at all?"""
    for node in context.expand(root):
        if isinstance(node, ir.Aggregate) and node.table == aggregate.table and \
                _zero_without_rows(node.func):
            return True
        if isinstance(node, ir.IsMissing) and any(
                sub == aggregate for sub in context.expand(node.value)):
            return True
    return False


def _earlier_buckets(context: Context) -> dict[int, tuple[ir.Expr, ...]]:
    """For each bucket condition: the conditions of the buckets before it (first match wins,
    so an entity an earlier bucket takes never reaches it)."""
    earlier: dict[int, tuple[ir.Expr, ...]] = {}
    for segmentation in context.model.segmentations.values():
        seen: tuple[ir.Expr, ...] = ()
        for bucket in segmentation.buckets:
            if bucket.condition is not None:
                earlier[id(bucket.condition)] = seen
                seen = (*seen, bucket.condition)
    return earlier


_UNKNOWN = object()
_COMPARE = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _value_without_events(context: Context, expr: ir.Expr, table: str, depth: int = 0):
    """The value of `expr` for an entity with no rows in `table`, or _UNKNOWN: `count` and
    `sum` over it are 0, the other aggregates missing (None)."""
    if depth > 20:
        return _UNKNOWN
    match expr:
        case ir.Aggregate() if expr.table == table:
            return 0 if _zero_without_rows(expr.func) else None
        case ir.Literal():
            return expr.value
        case ir.FeatureRef():
            feature = context.model.features.get(expr.name)
            if feature is not None:
                return _value_without_events(context, feature.expr, table, depth + 1)
    return _UNKNOWN


def _true_without_events(context: Context, expr: ir.Expr, table: str, depth: int = 0) -> bool:
    """Is `expr` certainly true for every entity with no rows in `table`?"""
    if depth > 20:
        return False
    step = depth + 1
    match expr:
        case ir.Logic(op="or"):
            return any(_true_without_events(context, o, table, step) for o in expr.operands)
        case ir.Logic(op="and"):
            return all(_true_without_events(context, o, table, step) for o in expr.operands)
        case ir.Compare() if expr.op in _COMPARE:
            left = _value_without_events(context, expr.left, table)
            right = _value_without_events(context, expr.right, table)
            if _number(left) and _number(right):
                return _COMPARE[expr.op](left, right)
        case ir.IsMissing():
            value = _value_without_events(context, expr.value, table)
            if value is not _UNKNOWN:
                return (value is None) != expr.negated
        case ir.FeatureRef():
            feature = context.model.features.get(expr.name)
            return feature is not None and _true_without_events(context, feature.expr, table, step)
    return False


def _number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


CHECKS = {Code.L201: missing_value_excluded, Code.L202: no_events_excluded}


def _zero_without_rows(func: str) -> bool:
    """The catalogue's lint fact: `count` and `sum` are 0 over no rows, others missing."""
    return catalogue.aggregate(func).empty is catalogue.Empty.ZERO
