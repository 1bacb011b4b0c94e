"""Checks on segmentations: buckets that can never match, and too many buckets.

A bucket can never match when an earlier bucket's condition holds whenever its own does: the
same condition, a segment it extends (or is built from), an interval inside an earlier one
on the same expression (`> 365` after `> 180`), a value list inside a longer one, a smaller
`top N` by the same value. The proof is conservative: no warning when it cannot tell.
`segl diff` uses the same proof to tell whether a changed segment narrows or widens.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from .. import model as m
from ..codes import Code
from ..diagnostics import Diagnostic, warning

MAX_BUCKETS = 7  # the segmentation literature's advice: 3 to 7 groups


def check_segmentations(model: m.Model, diagnostics: list[Diagnostic]) -> None:
    for segmentation in model.segmentations.values():
        diagnostics.extend(too_many_buckets(segmentation))
        diagnostics.extend(unreachable_buckets(segmentation, model))


def too_many_buckets(segmentation: m.Segmentation) -> list[Diagnostic]:
    """W202 (also `segl lint` L501). Not for `tiers`: deciles and the like are a measuring
    scale whose number of bins is the point, not a set of groups to act on; nor for
    `clusters`, whose number is chosen on the data (`segl discover --k`)."""
    if len(segmentation.buckets) <= MAX_BUCKETS or segmentation.tiers or \
            segmentation.clusters is not None:
        return []
    return [warning(
        Code.W202, f"segmentation `{segmentation.name}` has {len(segmentation.buckets)} "
        f"buckets", segmentation.span,
        f"3 to {MAX_BUCKETS} groups stay distinct and actionable; merge some buckets",
    )]


def unreachable_buckets(segmentation: m.Segmentation, model: m.Model) -> list[Diagnostic]:
    """W201 (also `segl lint` L303): buckets an earlier bucket provably takes every entity of."""
    found = []
    if segmentation.clusters is not None:  # nearest centroid: each bucket can match
        return found
    buckets = segmentation.buckets
    for index, bucket in enumerate(buckets[:-1]):
        for earlier in buckets[:index]:
            if implies(bucket.condition, earlier.condition, model):
                found.append(warning(
                    Code.W201, f"bucket `{bucket.name}` can never match: every entity it "
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
    # Steps that lose nothing come first: a => (b1 and b2) exactly when a => b1 and a => b2;
    # (a1 or a2) => b exactly when a1 => b and a2 => b; a segment is its predicate.
    if isinstance(b, ir.Logic) and b.op == "and":
        return all(implies(a, operand, model, step) for operand in b.operands)
    if isinstance(a, ir.Logic) and a.op == "or":
        return all(implies(operand, b, model, step) for operand in a.operands)
    if isinstance(a, ir.SegmentRef) and a.name in model.segments:
        return implies(model.segments[a.name].predicate, b, model, step)
    if isinstance(b, ir.SegmentRef) and b.name in model.segments:
        return implies(a, model.segments[b.name].predicate, model, step)
    # Then the ones that may miss a proof: one disjunct of b, or one conjunct of a, suffices.
    if isinstance(b, ir.Logic) and any(implies(a, operand, model, step)
                                       for operand in b.operands):
        return True
    if isinstance(a, ir.Logic) and any(implies(operand, b, model, step)
                                       for operand in a.operands):
        return True
    if isinstance(a, ir.Logic) or isinstance(b, ir.Logic):
        return False
    if isinstance(a, ir.Not) and isinstance(b, ir.Not) and _never_null(a.operand) and \
            _never_null(b.operand):
        # not A implies not B when B implies A; only for memberships, which are never
        # null (a null A would make `not A` null, not true)
        return implies(b.operand, a.operand, model, step)
    if isinstance(a, ir.Rank) and isinstance(b, ir.Rank):
        return _rank_within(a, b)
    inner_values, outer_values = _values(a), _values(b)
    if inner_values is not None and outer_values is not None:
        (subject_a, negated_a, items_a), (subject_b, negated_b, items_b) = \
            inner_values, outer_values
        if subject_a == subject_b and negated_a == negated_b:
            # `x in (1, 2)` implies `x in (1, 2, 3)`; `x not in (1, 2, 3)` implies
            # `x not in (1, 2)`
            return items_a <= items_b if not negated_a else items_b <= items_a
    inner, outer = _interval(a), _interval(b)
    if inner is None or outer is None:
        return False
    if inner.within(outer):
        return True
    # Different subjects with a known order: `count(orders) in last 30 days >= 2` implies
    # `count(orders) in last 90 days >= 2`, since the first count is never the larger.
    try:
        if outer.high is None and at_most(inner.subject, outer.subject, model):
            return inner.low is not None and outer.low is not None and \
                _bound_within(inner.low, inner.low_closed, outer.low, outer.low_closed, 1)
        if outer.low is None and at_most(outer.subject, inner.subject, model):
            return inner.high is not None and outer.high is not None and \
                _bound_within(inner.high, inner.high_closed, outer.high, outer.high_closed, -1)
    except TypeError:  # bounds of kinds that do not compare (a text and a number): no proof
        return False
    return False


_DAYS_PER_UNIT = {"day": 1, "week": 7}


def at_most(x: ir.Expr, y: ir.Expr, model: m.Model, depth: int = 0) -> bool:
    """True when `x <= y` for every entity, provably: the same count over a subset of the
    rows (a narrower filter, a window inside the other). Counts are 0, never null, without
    rows, so the order holds for every entity."""
    if depth > 20:
        return False
    if x == y:
        return True
    if isinstance(x, ir.FeatureRef) and x.name in model.features:
        return at_most(model.features[x.name].expr, y, model, depth + 1)
    if isinstance(y, ir.FeatureRef) and y.name in model.features:
        return at_most(x, model.features[y.name].expr, model, depth + 1)
    if not (isinstance(x, ir.Aggregate) and isinstance(y, ir.Aggregate)):
        return False
    if x.func != "count" or y.func != "count" or \
            (x.table, x.arg, x.distinct) != (y.table, y.arg, y.distinct):
        return False
    if y.filter is not None and (x.filter is None or not implies(x.filter, y.filter, model,
                                                                   depth + 1)):
        return False
    return _window_within(x.window, y.window)


def _window_within(inner: ir.Window | None, outer: ir.Window | None) -> bool:
    """Every row `inner` admits, `outer` admits (both end at as_of at the latest)."""
    if outer is None or inner == outer:
        return True
    if inner is None:
        return False
    if isinstance(inner, ir.WindowLast) and isinstance(outer, ir.WindowLast):
        if inner.unit == outer.unit:
            return inner.amount <= outer.amount
        if inner.unit in _DAYS_PER_UNIT and outer.unit in _DAYS_PER_UNIT:
            return inner.amount * _DAYS_PER_UNIT[inner.unit] <= \
                outer.amount * _DAYS_PER_UNIT[outer.unit]
        return False
    if isinstance(inner, ir.WindowRange) and isinstance(outer, ir.WindowRange):
        starts = outer.start is None or (inner.start is not None and inner.start >= outer.start)
        ends = outer.end is None or (inner.end is not None and inner.end <= outer.end)
        return starts and ends
    return False


def _never_null(expr: ir.Expr) -> bool:
    if isinstance(expr, ir.SegmentRef):
        return True
    if isinstance(expr, ir.Not):
        return _never_null(expr.operand)
    if isinstance(expr, ir.Logic):
        return all(_never_null(operand) for operand in expr.operands)
    return False


def _rank_within(a: ir.Rank, b: ir.Rank) -> bool:
    """The top 10 by a value are among the top 20 by it: ties are broken by key, so the
    ranking is one fixed order and a shorter prefix of it is inside a longer one."""
    if (a.direction, a.percent, a.by, a.among) != (b.direction, b.percent, b.by, b.among):
        return False
    try:
        return a.amount.value <= b.amount.value
    except TypeError:
        return False


def _values(expr: ir.Expr) -> tuple[ir.Expr, bool, frozenset] | None:
    """`x in (…)`, `x not in (…)` or `x = literal` as (subject, negated, literal values)."""
    if isinstance(expr, ir.InList) and all(isinstance(i, ir.Literal) for i in expr.items):
        return expr.value, expr.negated, frozenset(i.value for i in expr.items)
    if isinstance(expr, ir.Compare) and expr.op == "=":
        if isinstance(expr.right, ir.Literal) and expr.right.value is not None:
            return expr.left, False, frozenset([expr.right.value])
        if isinstance(expr.left, ir.Literal) and expr.left.value is not None:
            return expr.right, False, frozenset([expr.left.value])
    return None


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
