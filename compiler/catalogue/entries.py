"""What a catalogue entry says about one built-in function or aggregate. Every stage reads
these fields instead of naming functions: the resolver (arity, parameters), the type checker
(argument kinds, result type), both backends (the builders), lint (`empty`), the editors and
docs/language.md (the documentation fields)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..types import Type


class ArgKind(Enum):
    """What an argument must be (the type checker's E201 says `expected <what>`)."""

    ANY = "any value"
    NUMBER = "a number"
    TEXT = "text"
    TEMPORAL = "a date or timestamp"

    def accepts(self, type_: Type) -> bool:
        if type_ is Type.ANY or self is ArgKind.ANY:
            return True
        if self is ArgKind.NUMBER:
            return type_.is_numeric
        if self is ArgKind.TEXT:
            return type_ is Type.TEXT
        return type_.is_temporal


class Result(Enum):
    """How a result type follows from the argument types, when it is not one fixed type."""

    FIRST_ARG = "type of the first argument"
    COMMON = "the arguments' common type"
    SUM = "int for an int argument, decimal otherwise"


class Monotone(Enum):
    """A lint fact (L202): how a scalar function moves with its arguments."""

    NO = "no"  # not monotone (or not known to be)
    RISING = "rising"  # one argument, the result never falls as it rises (date, year)
    DIFFERENCE = "difference"  # f(a, b) rises with b and falls with a (days_between)


class Empty(Enum):
    """An aggregate's value for an entity with no (admitted) rows: a lint fact."""

    ZERO = "0"
    MISSING = "missing"


class OverGroup(Enum):
    """How a per-entity aggregate over related rows adds up over a KPI's group of entities."""

    SUM = "sum"  # count, sum: the group's total is the sum of the entities' values
    SAME = "same"  # min, max: the same aggregate of the entities' values
    RATIO = "ratio"  # avg: the group's sum over the group's count
    NONE = "none"  # does not add up (E108: define a feature, aggregate it in the KPI)


# A SQL builder: (the SQL generator, the argument trees, the IR node) -> a sqlglot tree. It
# may read `gen.dialect`, `gen.rules`, `gen.to_date`, `gen.date_part`. Aggregates get
# (gen, the admitted value tree, the node).
SqlBuilder = Callable[[Any, list, Any], Any]
# A Polars builder: (the Polars translator, the argument expressions, the IR node) -> pl.Expr.
PolarsBuilder = Callable[[Any, list, Any], Any]


@dataclass(frozen=True)
class LiteralParam:
    """A constant argument after an aggregate's value (`percentile(t.x, 0.9)`): a number
    literal within [low, high]."""

    name: str
    low: float
    high: float
    exclusive: bool  # (low, high) instead of [low, high]

    def admits(self, value: float) -> bool:
        if self.exclusive:
            return self.low < value < self.high
        return self.low <= value <= self.high

    def describe(self) -> str:
        brackets = "()" if self.exclusive else "[]"
        return f"a number literal in {brackets[0]}{self.low:g}, {self.high:g}{brackets[1]}"


@dataclass(frozen=True)
class ScalarFunction:
    """A function of values of one row (or of one entity)."""

    name: str
    min_args: int
    max_args: int  # -1: any number
    arg: ArgKind  # every argument's kind
    result: Type | Result
    summary: str  # one line, for editors (completion, hover)
    usage: str  # docs/language.md: how it is written
    args_doc: str  # docs/language.md: the arguments column
    result_doc: str  # docs/language.md: the result column
    meaning: str  # docs/language.md: the meaning column
    sql: SqlBuilder
    polars: PolarsBuilder
    whole_literal_args: tuple[int, ...] = ()  # argument positions that must be int literals
    monotone: Monotone = Monotone.NO  # lint fact (L202)
    sql_by_dialect: Mapping[str, SqlBuilder] = field(default_factory=dict)

    def sql_for(self, dialect: str) -> SqlBuilder:
        return self.sql_by_dialect.get(dialect, self.sql)


@dataclass(frozen=True)
class AggregateFunction:
    """An aggregate of one value over an entity's related rows (`f(table.x [, params] [where
    …])`). `sql`/`polars` None: the backend builds it itself (count, sum, avg: exact decimal
    totals and partial folds; first, last, most_frequent: ordered picks, their own passes)."""

    name: str
    arg: ArgKind
    result: Type | Result
    empty: Empty
    over_group: OverGroup
    summary: str
    usage: str  # docs/language.md's aggregate table
    value_doc: str
    more_rows: tuple[tuple[str, str], ...] = ()  # further (usage, value) rows of the docs
    params: tuple[LiteralParam, ...] = ()
    needs_time: bool = False  # orders rows by the table's time column
    partial: str | None = None  # how partial results combine ("sum", "min", "max"), if they do
    of_entities: bool = False  # in a KPI, may aggregate a per-entity value of the group
    sql: SqlBuilder | None = None
    polars: PolarsBuilder | None = None
    sql_by_dialect: Mapping[str, SqlBuilder] = field(default_factory=dict)
    sql_unsupported: frozenset[str] = frozenset()  # dialects that refuse it (E301)
    # For engines without the aggregate (SQLite): the name the SQL calls and a Python
    # function (values, *params) -> result the engine registers under it.
    python_name: str | None = None
    python: Callable[..., object] | None = None

    def sql_for(self, dialect: str) -> SqlBuilder | None:
        return self.sql_by_dialect.get(dialect, self.sql)

    def result_type(self, arg_type: Type | None) -> Type:
        if isinstance(self.result, Type):
            return self.result
        if self.result is Result.SUM:
            # Floats are added as decimals: a float sum depends on the order rows arrive in.
            if arg_type is Type.FLOAT:
                return Type.DECIMAL
            return arg_type if arg_type in (Type.INT, Type.DECIMAL, Type.ANY) else Type.ANY
        return arg_type or Type.ANY
