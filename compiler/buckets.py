"""Checks on segmentations: buckets that can never match, and too many buckets.

A bucket can never match when an earlier bucket's condition holds whenever its own does: the
same condition, a segment it extends (or is built from), or an interval inside an earlier one
on the same expression (`> 365` after `> 180`). The proof is conservative: no warning when it
cannot tell.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ir
from . import model as m
from .diagnostics import Diagnostic, warning

MAX_BUCKETS = 7  # the segmentation literature's advice: 3 to 7 groups


def check_segmentations(model: m.Model, diagnostics: list[Diagnostic]) -> None:
    for segmentation in model.segmentations.values():
        diagnostics.extend(too_many_buckets(segmentation))
        diagnostics.extend(unreachable_buckets(segmentation, model))


def too_many_buckets(segmentation: m.Segmentation) -> list[Diagnostic]:
    """W202 (also `segl lint` L501)."""
    if len(segmentation.buckets) <= MAX_BUCKETS:
        return []
    return [warning(
        "W202", f"segmentation `{segmentation.name}` has {len(segmentation.buckets)} "
        f"buckets", segmentation.span,
        f"3 to {MAX_BUCKETS} groups stay distinct and actionable; merge some buckets",
    )]


def unreachable_buckets(segmentation: m.Segmentation, model: m.Model) -> list[Diagnostic]:
    """W201 (also `segl lint` L303): buckets an earlier bucket provably takes every entity of."""
    found = []
    buckets = segmentation.buckets
    for index, bucket in enumerate(buckets[:-1]):
        for earlier in buckets[:index]:
            if implies(bucket.condition, earlier.condition, model):
                found.append(warning(
                    "W201", f"bucket `{bucket.name}` can never match: every entity it "
                    f"would take is taken first by `{earlier.name}`", bucket.span,
                    f"move it above `{earlier.name}`, or remove it",
                ))
                break
    return found


def implies(a: ir.Expr, b: ir.Expr, model: m.Model, depth: int = 0) -> bool:
    """True when `a` being true provably makes `b` true."""
    if depth > 20:
        return False
    if a == b:
        return True
    step = depth + 1
    if isinstance(b, ir.Logic):
        parts = (implies(a, operand, model, step) for operand in b.operands)
        return any(parts) if b.op == "or" else all(parts)
    if isinstance(a, ir.Logic):
        parts = (implies(operand, b, model, step) for operand in a.operands)
        return any(parts) if a.op == "and" else all(parts)
    if isinstance(a, ir.SegmentRef) and a.name in model.segments:
        return implies(model.segments[a.name].predicate, b, model, step)
    if isinstance(b, ir.SegmentRef) and b.name in model.segments:
        return implies(a, model.segments[b.name].predicate, model, step)
    inner, outer = _interval(a), _interval(b)
    return inner is not None and outer is not None and inner.within(outer)


@dataclass(frozen=True)
class _Interval:
    subject: ir.Expr
    low: object = None
    low_closed: bool = True
    high: object = None
    high_closed: bool = True

    def within(self, other: _Interval) -> bool:
        if self.subject != other.subject:
            return False
        try:
            return _bound_within(self.low, self.low_closed, other.low, other.low_closed, 1) and \
                _bound_within(self.high, self.high_closed, other.high, other.high_closed, -1)
        except TypeError:  # values of kinds that do not compare
            return False


def _bound_within(mine, mine_closed, theirs, theirs_closed, direction: int) -> bool:
    """Is my bound at least as tight as theirs? direction 1 for low bounds, -1 for high."""
    if theirs is None:
        return True
    if mine is None:
        return False
    if mine == theirs:
        return theirs_closed or not mine_closed
    return (mine > theirs) if direction == 1 else (mine < theirs)


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


def _interval(expr: ir.Expr) -> _Interval | None:
    if isinstance(expr, ir.Between) and isinstance(expr.low, ir.Literal) and \
            isinstance(expr.high, ir.Literal):
        return _Interval(expr.value, expr.low.value, True, expr.high.value, True)
    if not isinstance(expr, ir.Compare) or expr.op == "!=":
        return None
    subject, op, value = expr.left, expr.op, expr.right
    if isinstance(subject, ir.Literal) and not isinstance(value, ir.Literal):
        subject, op, value = value, _FLIPPED[op], subject
    if not isinstance(value, ir.Literal) or value.value is None:
        return None
    v = value.value
    return {
        "=": _Interval(subject, v, True, v, True),
        ">": _Interval(subject, v, False),
        ">=": _Interval(subject, v, True),
        "<": _Interval(subject, None, True, v, False),
        "<=": _Interval(subject, None, True, v, True),
    }[op]
