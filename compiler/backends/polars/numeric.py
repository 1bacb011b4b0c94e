"""Polars expressions that give DuckDB's results where Polars' defaults differ: exact
decimal sums, averages, calendar differences, SQL LIKE."""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal

import polars as pl

# Float sums and averages are exact decimals: DuckDB's DECIMAL(38, 9).
SUM_DECIMAL = pl.Decimal(38, 9)
_NANO = Decimal("0.000000001")
_REGEX_META = set("\\.+*?()|[]{}^$")


def as_sum_decimal(value: pl.Expr) -> pl.Expr:
    """A float as DECIMAL(38, 9) the way DuckDB casts it: scaled by 10^9 and rounded half
    away from zero (Polars' cast would round half to even)."""
    nanos = (value.cast(pl.Float64) * 1e9).round(0, mode="half_away_from_zero")
    return nanos.cast(pl.Int128).cast(SUM_DECIMAL) * pl.lit(_NANO, dtype=pl.Decimal(38, 9))


def average(value: pl.Expr, decimal: bool) -> pl.Expr:
    """avg as DuckDB returns it: a double, the sum divided by the count of values (a
    decimal sum is divided with 18 decimals first, so the double is the nearest to the
    exact quotient, as DuckDB's extended-precision division gives in all but rare cases)."""
    total = value.sum()
    count = pl.when(value.count() > 0).then(value.count())  # missing without values
    if decimal:
        return (total.cast(pl.Decimal(38, 18)) / count.cast(pl.Decimal(38, 0))).cast(pl.Float64)
    return total.cast(pl.Float64) / count.cast(pl.Float64)


def calendar_difference(start: pl.Expr, end: pl.Expr, years: bool) -> pl.Expr:
    """Whole months or years from start to end, counted like an age."""
    start, end = start.cast(pl.Date), end.cast(pl.Date)

    def part(value: pl.Expr, kind: str) -> pl.Expr:
        return getattr(value.dt, kind)().cast(pl.Int64)

    if years:
        whole = part(end, "year") - part(start, "year")
        end_key = part(end, "month") * 100 + part(end, "day")
        start_key = part(start, "month") * 100 + part(start, "day")
    else:
        whole = (part(end, "year") * 12 + part(end, "month")) - \
            (part(start, "year") * 12 + part(start, "month"))
        end_key, start_key = part(end, "day"), part(start, "day")
    return whole - (end_key < start_key).cast(pl.Int64)


def like(value: pl.Expr, pattern: str) -> pl.Expr:
    """SQL LIKE with a literal pattern: the common shapes (`%x%`, `x%`, `%x`, `x`) as plain
    string tests, anything else as a regular expression."""
    core = pattern.strip("%")
    if not core or "%" in core or "_" in core:
        return value.str.contains(like_regex(pattern))
    leading, trailing = pattern.startswith("%"), pattern.endswith("%")
    if leading and trailing:
        return value.str.contains(core, literal=True)
    if trailing:
        return value.str.starts_with(core)
    if leading:
        return value.str.ends_with(core)
    return value == pl.lit(core, dtype=pl.String)


def like_regex(pattern: str) -> str:
    """SQL LIKE as an anchored regular expression: % any run, _ one character, the rest
    literal (no escape character, as DuckDB's LIKE without ESCAPE)."""
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        elif char in _REGEX_META:
            parts.append("\\" + char)
        else:
            parts.append(char)
    return "^(?s:" + "".join(parts) + ")$"


def all_of(parts: list[pl.Expr]) -> pl.Expr:
    return balanced(parts, operator.and_)


def balanced(parts: list[pl.Expr], combine: Callable[[pl.Expr, pl.Expr], pl.Expr]) -> pl.Expr:
    """`parts` combined pairwise, as a balanced tree: a chain of 10,000 terms is 14 levels
    deep, not 10,000 (Polars walks an expression by recursion)."""
    while len(parts) > 1:
        paired = [combine(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        parts = paired + parts[len(parts) - len(parts) % 2:]
    return parts[0]
