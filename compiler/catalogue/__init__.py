"""The catalogue of built-in functions and aggregates: one entry per name, read by every
stage (see README.md). Adding a function is adding an entry in `scalars.py` or
`aggregates.py`."""

from __future__ import annotations

from ..types import Type
from .aggregates import AGGREGATES as AGGREGATE_ENTRIES
from .aggregates import percentile_cont as percentile_cont
from .aggregates import sample_stddev as sample_stddev
from .entries import AggregateFunction as AggregateFunction
from .entries import ArgKind as ArgKind
from .entries import Empty as Empty
from .entries import LiteralParam as LiteralParam
from .entries import Monotone as Monotone
from .entries import OverGroup as OverGroup
from .entries import Result as Result
from .entries import ScalarFunction as ScalarFunction
from .scalars import SCALARS

AGGREGATE_FUNCTIONS: dict[str, AggregateFunction] = {a.name: a for a in AGGREGATE_ENTRIES}
SCALAR_FUNCTIONS: dict[str, ScalarFunction] = {f.name: f for f in SCALARS}
AGGREGATES: tuple[str, ...] = tuple(AGGREGATE_FUNCTIONS)
# What each aggregate gives, per entity, over its related rows (for editors and docs).
AGGREGATE_SUMMARIES: dict[str, str] = {a.name: a.summary for a in AGGREGATE_ENTRIES}


def aggregate(name: str) -> AggregateFunction:
    return AGGREGATE_FUNCTIONS[name]


def scalar(name: str) -> ScalarFunction:
    return SCALAR_FUNCTIONS[name]


def aggregate_type(func: str, arg_type: Type | None) -> Type:
    return AGGREGATE_FUNCTIONS[func].result_type(arg_type)


def summaries() -> dict[str, str]:
    """Every built-in function's name and one-line summary, aggregates first."""
    return {**AGGREGATE_SUMMARIES, **{name: f.summary for name, f in SCALAR_FUNCTIONS.items()}}


def python_aggregates() -> dict[str, object]:
    """The aggregates an engine without them (SQLite) registers: SQL name -> function of
    (values, *params)."""
    return {a.python_name: a.python for a in AGGREGATE_ENTRIES
            if a.python_name is not None and a.python is not None}
