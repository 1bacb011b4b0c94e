"""L301, L302, L303: conditions that are false, or true, for every entity by construction.

Each comparison of one expression with literals is a set of intervals of its values
(`x != 5` is below 5 or above 5; `x in ("a", "b")` two points); an `and` of constraints on
the same expression that leaves no value is never true, an `or` that leaves none out is
always true. A `count` is never below 0. Segment references are not followed: every segment
is checked on its own. The proof is conservative: no finding when it cannot tell.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

from ... import ir
from ... import model as m
from ...codes import Code
from ...diagnostics import Diagnostic
from ...semantic.buckets import unreachable_buckets
from ...source import Span
from .context import Context
from .missing import Nulls
from .rules import finding

# (low, low_closed, high, high_closed); None is an open end
Interval = tuple[object, bool, object, bool]
Everything: list[Interval] = [(None, False, None, False)]


def _cut(a: Interval, b: Interval) -> Interval | None:
    low, low_closed = a[0], a[1]
    if b[0] is not None and (low is None or b[0] > low):
        low, low_closed = b[0], b[1]
    elif b[0] is not None and b[0] == low:
        low_closed = low_closed and b[1]
    high, high_closed = a[2], a[3]
    if b[2] is not None and (high is None or b[2] < high):
        high, high_closed = b[2], b[3]
    elif b[2] is not None and b[2] == high:
        high_closed = high_closed and b[3]
    if low is not None and high is not None and (
            low > high or (low == high and not (low_closed and high_closed))):
        return None
    return low, low_closed, high, high_closed


# Pairs of intervals `intersect` cuts at most; past it, it answers with the shorter list,
# which holds the intersection: every caller asks only whether a result is empty, so a larger
# answer loses a finding, never invents one (and 10,000 `x != …` terms stay linear).
_MOST_PAIRS = 4096


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    if len(a) * len(b) > _MOST_PAIRS:
        return a if len(a) <= len(b) else b
    return [c for x in a for y in b if (c := _cut(x, y)) is not None]


def complement(intervals: list[Interval]) -> list[Interval]:
    result = Everything
    for low, low_closed, high, high_closed in intervals:
        outside = []
        if low is not None:
            outside.append((None, False, low, not low_closed))
        if high is not None:
            outside.append((high, not high_closed, None, False))
        result = intersect(result, outside)
    return result


def _value(literal: ir.Expr) -> object:
    if isinstance(literal, ir.Literal) and literal.value is not None and \
            not isinstance(literal.value, bool):
        return literal.value
    if isinstance(literal, ir.Negate) and isinstance(literal.operand, ir.Literal) and \
            isinstance(literal.operand.value, int | Decimal) and \
            not isinstance(literal.operand.value, bool):
        return -literal.operand.value
    return None


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def constraint(expr: ir.Expr) -> tuple[ir.Expr, list[Interval]] | None:
    """The expression a comparison with literals constrains, and the values it allows."""
    if isinstance(expr, ir.Compare):
        subject, op, value = expr.left, expr.op, _value(expr.right)
        if value is None:
            subject, op, value = expr.right, _FLIP[expr.op], _value(expr.left)
        if value is None or _value(subject) is not None:
            return None
        return subject, {
            "=": [(value, True, value, True)],
            "!=": [(None, False, value, False), (value, False, None, False)],
            "<": [(None, False, value, False)], "<=": [(None, False, value, True)],
            ">": [(value, False, None, False)], ">=": [(value, True, None, False)],
        }[op]
    if isinstance(expr, ir.Between):
        low, high = _value(expr.low), _value(expr.high)
        if low is None or high is None:
            return None
        return expr.value, [(low, True, high, True)]
    if isinstance(expr, ir.InList):
        values = [_value(item) for item in expr.items]
        if any(v is None for v in values):
            return None
        points = [(v, True, v, True) for v in values]
        return expr.value, complement(points) if expr.negated else points
    return None


class Proofs:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.nulls = Nulls(context)

    def domain(self, subject: ir.Expr) -> list[Interval]:
        """Values an expression can take: a count is never negative."""
        node = subject
        for _ in range(20):
            if isinstance(node, ir.FeatureRef) and node.name in self.context.model.features:
                node = self.context.model.features[node.name].expr
            else:
                break
        if isinstance(node, ir.Aggregate) and node.func == "count":
            return [(0, True, None, False)]
        return Everything

    def never(self, expr: ir.Expr) -> bool:
        """True for no entity."""
        try:
            return self._never(expr)
        except TypeError:  # values of kinds that do not compare
            return False

    def always(self, expr: ir.Expr) -> bool:
        """True for every entity."""
        try:
            return self._always(expr)
        except TypeError:
            return False

    def _never(self, expr: ir.Expr) -> bool:
        if isinstance(expr, ir.Literal):
            return expr.value is False
        if isinstance(expr, ir.Not):
            return self._always(expr.operand)
        if isinstance(expr, ir.IsMissing):
            return not expr.negated and not self.nulls.may_miss(expr.value)
        if isinstance(expr, ir.Logic):
            if expr.op == "or":
                return all(self._never(o) for o in expr.operands)
            if any(self._never(o) for o in expr.operands):
                return True
            return self._contradiction(expr.operands)
        found = constraint(expr)
        return found is not None and not intersect(found[1], self.domain(found[0]))

    def _contradiction(self, terms: tuple[ir.Expr, ...]) -> bool:
        members = set(terms)  # (a set: a chain of 10,000 terms is not searched 10,000 times)
        for term in terms:
            if isinstance(term, ir.Not) and term.operand in members:
                return True
            if isinstance(term, ir.IsMissing) and replace(
                    term, negated=not term.negated) in members:
                return True
        allowed: dict[ir.Expr, list[Interval]] = {}
        for term in terms:
            found = constraint(term)
            if found is not None:
                subject, values = found
                allowed[subject] = intersect(allowed.get(subject, self.domain(subject)), values)
                if not allowed[subject]:
                    return True
        return False

    def _always(self, expr: ir.Expr) -> bool:
        if isinstance(expr, ir.Literal):
            return expr.value is True
        if isinstance(expr, ir.Not):
            return self._never(expr.operand) and not self.nulls.may_miss(expr.operand)
        if isinstance(expr, ir.IsMissing):
            return expr.negated and not self.nulls.may_miss(expr.value)
        if isinstance(expr, ir.Logic):
            if expr.op == "and":
                return all(self._always(o) for o in expr.operands)
            if any(self._always(o) for o in expr.operands):
                return True
            return self._tautology(expr.operands)
        found = constraint(expr)
        if found is None or self.nulls.may_miss(found[0]):
            return False
        subject, values = found
        return not intersect(complement(values), self.domain(subject))

    def _tautology(self, terms: tuple[ir.Expr, ...]) -> bool:
        members = set(terms)
        for term in terms:
            if isinstance(term, ir.Not) and term.operand in members and \
                    not self.nulls.may_miss(term.operand):
                return True
            if isinstance(term, ir.IsMissing) and replace(
                    term, negated=not term.negated) in members:
                return True
        left_out: dict[ir.Expr, list[Interval]] = {}
        for term in terms:
            found = constraint(term)
            if found is not None and not self.nulls.may_miss(found[0]):
                subject, values = found
                left_out[subject] = intersect(left_out.get(subject, self.domain(subject)),
                                              complement(values))
                if not left_out[subject]:
                    return True
        return False


def _condition_span(segment: m.Segment) -> Span | None:
    spans = [c.span for c in segment.conditions if c.span is not None]
    if spans and all(s.source is spans[0].source for s in spans):
        return spans[0].to(spans[-1])
    return segment.span


def never_matches(context: Context) -> Iterator[Diagnostic]:
    proofs = Proofs(context)
    for segment in context.model.segments.values():
        if proofs.never(segment.predicate):
            yield finding(Code.L301, f"segment `{segment.name}` can never have members: its "
                          "condition is false for every entity", _condition_span(segment),
                          "check the bounds and negations; a segment that is meant to be "
                          "empty can be deleted")
    for segmentation in context.model.segmentations.values():
        for bucket in segmentation.buckets:
            if bucket.condition is not None and proofs.never(bucket.condition):
                yield finding(Code.L301, f"bucket `{bucket.name}` of `{segmentation.name}` can "
                              "never match: its condition is false for every entity",
                              bucket.span, "check the bounds and negations")


def always_true(context: Context) -> Iterator[Diagnostic]:
    proofs = Proofs(context)
    for segment in context.model.segments.values():
        if proofs.always(segment.predicate):
            yield finding(Code.L302, f"segment `{segment.name}` holds every entity: its "
                          "condition is true for all of them", _condition_span(segment),
                          "a bound that every value meets (a count is never below 0) or "
                          "`a or not a` says nothing")
    for segmentation in context.model.segmentations.values():
        for bucket in segmentation.buckets:
            if bucket.condition is not None and proofs.always(bucket.condition):
                yield finding(Code.L302, f"bucket `{bucket.name}` of `{segmentation.name}` takes "
                              "every entity, so no later bucket can match", bucket.span,
                              "make it the `else` bucket, or narrow its condition")


def unreachable_bucket(context: Context) -> Iterator[Diagnostic]:
    for segmentation in context.model.segmentations.values():
        for warning in unreachable_buckets(segmentation, context.model):
            yield finding(Code.L303, warning.message, warning.span, *warning.hints)


CHECKS = {Code.L301: never_matches, Code.L302: always_true, Code.L303: unreachable_bucket}
