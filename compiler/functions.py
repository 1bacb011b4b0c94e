"""The built-in functions: names, arities and result types. One table, used by the resolver
and the type checker; each backend has one method per function."""

from __future__ import annotations

from dataclasses import dataclass

from .ir import Type

AGGREGATES = ("count", "sum", "avg", "min", "max", "first", "last", "most_frequent")
# What each aggregate gives, per entity, over its related rows (for editors and docs).
AGGREGATE_SUMMARIES = {
    "count": "number of rows (0 without rows); count(distinct t.c): distinct values",
    "sum": "total of the values (0 without rows)",
    "avg": "average of the present values (missing without rows)",
    "min": "smallest value (missing without rows)",
    "max": "largest value (missing without rows)",
    "first": "the value of the earliest row by the table's time column",
    "last": "the value of the latest row by the table's time column",
    "most_frequent": "the value that occurs most often (ties: the smallest)",
}


@dataclass(frozen=True)
class ScalarFunction:
    name: str
    min_args: int
    max_args: int  # -1: any number
    summary: str


SCALAR_FUNCTIONS = {
    f.name: f
    for f in (
        ScalarFunction("days_between", 2, 2, "whole days from the first date to the second"),
        ScalarFunction("months_between", 2, 2, "whole calendar months, like an age in months"),
        ScalarFunction("years_between", 2, 2, "whole calendar years, like an age"),
        ScalarFunction("days_since", 1, 1, "days_between(x, as_of)"),
        ScalarFunction("coalesce", 2, -1, "the first argument that is present"),
        ScalarFunction("lower", 1, 1, "text in lower case"),
        ScalarFunction("upper", 1, 1, "text in upper case"),
        ScalarFunction("length", 1, 1, "number of characters"),
        ScalarFunction("abs", 1, 1, "absolute value"),
        ScalarFunction("round", 1, 2, "round half away from zero to N decimals (default 0)"),
        ScalarFunction("least", 2, -1, "the smallest argument (missing if any is missing)"),
        ScalarFunction("greatest", 2, -1, "the largest argument (missing if any is missing)"),
        ScalarFunction("date", 1, 1, "the date part of a timestamp"),
        ScalarFunction("year", 1, 1, "calendar year of a date"),
        ScalarFunction("month", 1, 1, "calendar month (1-12) of a date"),
    )
}


def aggregate_type(func: str, arg_type: Type | None) -> Type:
    if func == "count":
        return Type.INT
    if func == "sum":
        # Floats are added as decimals: a float sum depends on the order rows arrive in.
        if arg_type is Type.FLOAT:
            return Type.DECIMAL
        return arg_type if arg_type in (Type.INT, Type.DECIMAL, Type.ANY) else Type.ANY
    if func == "avg":
        return Type.DECIMAL
    return arg_type or Type.ANY
