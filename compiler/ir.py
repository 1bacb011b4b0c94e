"""The intermediate representation shared by the model, the plan and every backend.

Plain frozen dataclasses: names are resolved (a `Column` knows its table, a `FeatureRef`
its feature), parameters are substituted, and after type checking every node carries its
`type`. Equality ignores spans, so identical aggregates written in two places compare equal
and the planner computes them once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date
from enum import StrEnum
from functools import cache

from .catalogue import AGGREGATE_ENTRIES
from .source import Span
from .types import DECLARED_TYPES as DECLARED_TYPES
from .types import Type as Type


class Word(StrEnum):
    """A closed vocabulary of the IR. A member equals its word (`AggregateFunc.SUM == "sum"`),
    and prints as the word does, so reprs and plan listings read as the language is written."""

    def __repr__(self) -> str:
        return repr(self.value)


# What an `Aggregate` (per entity, over related rows) or a `Total` (per group of entities,
# over a per-entity value) computes: one word per aggregate of the catalogue
# (`compiler/catalogue/aggregates.py`), `AggregateFunc.MOST_FREQUENT == "most_frequent"`.
AggregateFunc = Word("AggregateFunc", [(a.name.upper(), a.name) for a in AGGREGATE_ENTRIES],
                     module=__name__, qualname="AggregateFunc")


class LogicOp(Word):
    AND = "and"
    OR = "or"


class ArithOp(Word):
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"


class CompareOp(Word):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


class TextOp(Word):
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    LIKE = "like"


class Direction(Word):
    TOP = "top"
    BOTTOM = "bottom"


class ScoreMethod(Word):
    NTILE = "ntile"
    QUANTILE = "quantile"
    THRESHOLDS = "thresholds"


class TimeUnit(Word):
    """Calendar units of windows and date shifts (month and year steps clamp to month end)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


def _coerce(node: object, name: str, kind: type[Word]) -> None:
    """Frozen nodes keep their vocabulary typed even when built from the parser's words."""
    value = getattr(node, name)
    if type(value) is not kind:
        object.__setattr__(node, name, kind(value))


@dataclass(frozen=True)
class Expr:
    type: Type = field(default=Type.ANY, kw_only=True)
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)

    def children(self) -> Iterator[Expr]:
        for name in field_names(type(self)):
            value = getattr(self, name)
            if isinstance(value, Expr):
                yield value
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, Expr):
                        yield item
                    elif isinstance(item, tuple):
                        yield from (x for x in item if isinstance(x, Expr))

    def walk(self) -> Iterator[Expr]:
        """This node and every node below it, parents first."""
        yield self
        for child in self.children():
            yield from child.walk()


@cache
def field_names(cls: type) -> tuple[str, ...]:
    """The names of a dataclass's fields, once per class (`dataclasses.fields` builds them
    on every call, and the resolver and type checker walk every node)."""
    return tuple(f.name for f in fields(cls))


def transform(node: Expr, fn: Callable[[Expr], Expr]) -> Expr:
    """Rebuild `node` bottom-up, applying `fn` to every node after its children (a node
    whose children `fn` left as they were is kept, not copied)."""
    changes = {}
    for name in field_names(type(node)):
        value = getattr(node, name)
        if isinstance(value, Expr):
            new = transform(value, fn)
        elif isinstance(value, tuple) and any(
            isinstance(x, (Expr, tuple)) for x in value
        ):
            new = _transform_item(value, fn)
        else:
            continue
        if new is not value:
            changes[name] = new
    return fn(replace(node, **changes) if changes else node)


def transform_children(node: Expr, fn: Callable[[Expr], Expr]) -> Expr:
    """Rebuild `node` with `fn` applied to each direct child (and not to `node`)."""
    changes = {}
    for name in field_names(type(node)):
        value = getattr(node, name)
        if isinstance(value, Expr):
            changes[name] = fn(value)
        elif isinstance(value, tuple) and any(isinstance(x, (Expr, tuple)) for x in value):
            changes[name] = tuple(
                fn(x) if isinstance(x, Expr)
                else tuple(fn(y) if isinstance(y, Expr) else y for y in x)
                if isinstance(x, tuple) else x
                for x in value
            )
    return replace(node, **changes) if changes else node


def _transform_item(item, fn):
    if isinstance(item, Expr):
        return transform(item, fn)
    if isinstance(item, tuple):
        new = tuple(_transform_item(x, fn) for x in item)
        return item if all(a is b for a, b in zip(new, item, strict=True)) else new
    return item


# ---------------------------------------------------------------- leaves


@dataclass(frozen=True)
class Literal(Expr):
    value: object  # None | bool | int | Decimal | str | date | datetime


@dataclass(frozen=True)
class AsOf(Expr):
    """The evaluation date of the run."""


@dataclass(frozen=True)
class Column(Expr):
    """A column of a source: the entity, a lookup, or (inside an aggregate) an events table."""

    table: str
    name: str


@dataclass(frozen=True)
class FeatureRef(Expr):
    name: str


@dataclass(frozen=True)
class SegmentRef(Expr):
    """Membership of another segment: always true or false, never null."""

    name: str


@dataclass(frozen=True)
class SegmentationRef(Expr):
    """The name of the bucket an entity lands in: never missing (the `else` bucket catches
    everyone else). `rfm is champions` is `SegmentationRef("rfm") = "champions"`."""

    name: str


@dataclass(frozen=True)
class Slot(Expr):
    """The slot of an entity for a salt, 0..9999: the first 8 hex digits of
    md5(salt || ':' || key as text) read as a number, modulo 10000 (docs/experiments.md).
    Every backend computes exactly this; experiments and the holdout compare it."""

    salt: str
    key: Expr


@dataclass(frozen=True)
class StratifiedSlot(Expr):
    """An experiment's slot under `stratify by` (docs/experiments.md): the entities `among`
    admits (the segment's members outside the holdout) are numbered within their stratum by
    (Slot(salt, key), key), and the one at position p of n gets slot floor(10000 * (p - 1)
    / n): each stratum is split in the declared shares to within one member per arm. Missing
    for an entity `among` does not admit."""

    salt: str
    key: Expr
    stratum: Expr
    among: Expr


# ---------------------------------------------------------------- operators


@dataclass(frozen=True)
class Not(Expr):
    operand: Expr


@dataclass(frozen=True)
class Negate(Expr):
    operand: Expr


@dataclass(frozen=True)
class Logic(Expr):
    op: LogicOp
    operands: tuple[Expr, ...]

    def __post_init__(self) -> None:
        _coerce(self, "op", LogicOp)


@dataclass(frozen=True)
class Arith(Expr):
    op: ArithOp
    left: Expr
    right: Expr

    def __post_init__(self) -> None:
        _coerce(self, "op", ArithOp)


@dataclass(frozen=True)
class Compare(Expr):
    op: CompareOp
    left: Expr
    right: Expr

    def __post_init__(self) -> None:
        _coerce(self, "op", CompareOp)


@dataclass(frozen=True)
class Between(Expr):
    value: Expr
    low: Expr
    high: Expr


@dataclass(frozen=True)
class InList(Expr):
    value: Expr
    items: tuple[Expr, ...]
    negated: bool


@dataclass(frozen=True)
class TextMatch(Expr):
    op: TextOp
    value: Expr
    pattern: Expr

    def __post_init__(self) -> None:
        _coerce(self, "op", TextOp)


@dataclass(frozen=True)
class IsMissing(Expr):
    value: Expr
    negated: bool


@dataclass(frozen=True)
class Case(Expr):
    whens: tuple[tuple[Expr, Expr], ...]
    otherwise: Expr | None


@dataclass(frozen=True)
class Func(Expr):
    """A scalar function of the catalogue (`compiler/catalogue/scalars.py`)."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class DateShift(Expr):
    """`value + amount unit` (amount may be negative): calendar arithmetic, month ends clamp."""

    value: Expr
    amount: int
    unit: TimeUnit

    def __post_init__(self) -> None:
        _coerce(self, "unit", TimeUnit)


# ---------------------------------------------------------------- windows and aggregates


@dataclass(frozen=True)
class WindowLast:
    """as_of - amount unit < date(t) <= as_of"""

    amount: int
    unit: TimeUnit

    def __post_init__(self) -> None:
        _coerce(self, "unit", TimeUnit)


@dataclass(frozen=True)
class WindowRange:
    """start <= date(t) <= end (either side may be open); always also date(t) <= as_of."""

    start: date | None
    end: date | None


@dataclass(frozen=True)
class WindowPrevious:
    """as_of - 2·amount unit < date(t) <= as_of - amount unit: the period before the last"""

    amount: int
    unit: TimeUnit

    def __post_init__(self) -> None:
        _coerce(self, "unit", TimeUnit)


@dataclass(frozen=True)
class WindowPeriod:
    """A calendar period (`months` months long: 1 a month, 3 a quarter, 12 a year): with
    `back` 0 the one holding as_of, from its first day up to as_of; with `back` k the whole
    period k periods before that one (`plan/calendar.py`)."""

    months: int
    back: int


Window = WindowLast | WindowRange | WindowPrevious | WindowPeriod


@dataclass(frozen=True)
class Aggregate(Expr):
    func: AggregateFunc
    table: str
    arg: Expr | None  # None for count(table)
    filter: Expr | None
    window: Window | None
    distinct: bool = False
    params: tuple[Literal, ...] = ()  # constant arguments after the value (the catalogue's)

    def __post_init__(self) -> None:
        _coerce(self, "func", AggregateFunc)


class SequenceKind(Word):
    """How the second step of a sequence follows the first (docs/language.md#sequences)."""

    THEN = "then"  # a `then` event strictly after the first one (within N, if given)
    THEN_NO = "then no"  # no such event, the window having ended by as_of
    THEN_FIRST = "then first"  # the first `then` event after a first-step event


@dataclass(frozen=True)
class Sequence(Expr):
    """`count(A then B within N)` / `last(…)` per entity: `func` is count (how many events
    completed the pattern) or last (the time of the latest one); the events counted are the
    first step's (`then`, `then no`) or the second step's (`then first`). Planned as a pass
    of its own (`plan/sequences.py`)."""

    func: AggregateFunc  # COUNT or LAST
    kind: SequenceKind
    first: str  # events table of the first step
    first_filter: Expr | None
    then: str  # events table of the second step
    then_filter: Expr | None
    within: WindowLast | None

    def __post_init__(self) -> None:
        _coerce(self, "func", AggregateFunc)
        _coerce(self, "kind", SequenceKind)


@dataclass(frozen=True)
class Rank(Expr):
    """Membership of the top (or bottom) N or N% of entities by `by`, ties broken by key."""

    direction: Direction
    amount: Literal
    percent: bool
    by: Expr
    among: Expr | None

    def __post_init__(self) -> None:
        _coerce(self, "direction", Direction)


@dataclass(frozen=True)
class Score(Expr):
    """A segmentation's score of an entity: bins 1..`bins`, `bins` the best (as in RFM).
    Missing when `by` is missing."""

    segmentation: str
    name: str
    by: Expr
    higher_is_better: bool
    bins: int
    method: ScoreMethod
    thresholds: tuple[Literal, ...] = ()

    def __post_init__(self) -> None:
        _coerce(self, "method", ScoreMethod)


@dataclass(frozen=True)
class ClusterValue(Expr):
    """A value of a `clusters` segmentation that the planner computes once per entity as a
    column (`part`: `z1` a scaled feature, `d1` the squared distance to centroid 1), so that
    the arithmetic is written once and bucket conditions compare columns."""

    segmentation: str
    part: str
    value: Expr


@dataclass(frozen=True)
class Total(Expr):
    """A KPI's aggregate over a group of entities (a segment's members, a bucket, everyone):
    `func` (sum, count, avg, min, max) of a per-entity value."""

    func: AggregateFunc
    value: Expr

    def __post_init__(self) -> None:
        _coerce(self, "func", AggregateFunc)


def conjuncts(expr: Expr) -> tuple[Expr, ...]:
    """The top-level `and` terms of a predicate, in source order."""
    if isinstance(expr, Logic) and expr.op == "and":
        return tuple(t for operand in expr.operands for t in conjuncts(operand))
    return (expr,)


@dataclass(frozen=True)
class Ref(Expr):
    """A column of the per-entity feature table computed by an earlier plan step:
    a measure (an aggregate, already defaulted to 0 where zero is a value), a feature,
    a segment's membership or a rank. Only the planner creates these."""

    name: str
