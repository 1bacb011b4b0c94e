"""The aggregates. To add one: write an `AggregateFunction` below (its SQL as a sqlglot
builder, with `sql_by_dialect` where an engine spells it differently, its Polars builder,
what it is over no rows), add it to `AGGREGATES`, and run
`SEGL_UPDATE_DOCS=1 pytest tests/catalogue` to regenerate docs/language.md's tables."""

from __future__ import annotations

import math

from ..types import Type
from .entries import AggregateFunction, ArgKind, Empty, LiteralParam, OverGroup, Result
from .lazy_sqlglot import exp  # (imports sqlglot when SQL is built)

_DIGITS = 9  # float statistics are rounded to 9 decimals: the same value on every engine


def _double(value: exp.Expression) -> exp.Expression:
    return exp.Cast(this=value, to=exp.DataType.build("DOUBLE"))


def _rounded(value: exp.Expression) -> exp.Expression:
    return exp.Round(this=value, decimals=exp.Literal.number(_DIGITS))


def _fraction(node) -> exp.Expression:
    return exp.Literal.number(repr(float(node.params[0].value)) if node.params else "0.5")


def _quantile_sql(gen, args, node) -> exp.Expression:
    return _rounded(exp.Anonymous(this="QUANTILE_CONT",
                                  expressions=[_double(args[0]), _fraction(node)]))


def _quantile_within_group(gen, args, node) -> exp.Expression:
    # PostgreSQL, Redshift, Snowflake: the ordered-set aggregate of the standard
    ordered = exp.Order(expressions=[exp.Ordered(this=_double(args[0]))])
    return _rounded(exp.WithinGroup(this=exp.PercentileCont(this=_fraction(node)),
                                    expression=ordered))


def _quantile_clickhouse(gen, args, node) -> exp.Expression:
    # quantileExactInclusive interpolates like percentile_cont (`quantile` samples)
    # (sqlglot prints `expressions` as the parameter list: `name(p)(x)`)
    return _rounded(exp.ParameterizedAgg(this="quantileExactInclusive",
                                         expressions=[_fraction(node)],
                                         params=[_double(args[0])]))


def _quantile_spark(gen, args, node) -> exp.Expression:
    # Spark's exact `percentile` interpolates linearly (percentile_approx does not)
    return _rounded(exp.Anonymous(this="PERCENTILE",
                                  expressions=[_double(args[0]), _fraction(node)]))


def _quantile_sqlite(gen, args, node) -> exp.Expression:
    # registered on the connection by the SQLite engine (`python` below)
    return _rounded(exp.Anonymous(this="SEGL_PERCENTILE",
                                  expressions=[_double(args[0]), _fraction(node)]))


def _quantile_polars(gen, args, node):
    import polars as pl

    fraction = float(node.params[0].value) if node.params else 0.5
    return args[0].cast(pl.Float64).quantile(fraction, interpolation="linear").round(
        _DIGITS, mode="half_away_from_zero")


def percentile_cont(values: list, fraction: float = 0.5) -> float | None:
    """PostgreSQL's percentile_cont: the value at position p·(n-1) of the sorted values,
    interpolated linearly between its neighbours."""
    present = sorted(float(v) for v in values if v is not None)
    if not present:
        return None
    position = fraction * (len(present) - 1)
    low, high = math.floor(position), math.ceil(position)
    return present[low] + (present[high] - present[low]) * (position - low)


def sample_stddev(values: list) -> float | None:
    """The sample standard deviation (n - 1 in the denominator); missing under 2 values."""
    present = [float(v) for v in values if v is not None]
    if len(present) < 2:
        return None
    mean = math.fsum(present) / len(present)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in present) / (len(present) - 1))


def _stddev_with(function: exp.Expression, value: exp.Expression) -> exp.Expression:
    # missing under two values on every engine (some give NaN or 0 for one value)
    few = exp.LT(this=exp.Count(this=value.copy()), expression=exp.Literal.number(2))
    return exp.Case(ifs=[exp.If(this=few, true=exp.Null())], default=_rounded(function))


def _stddev_sql(gen, args, node) -> exp.Expression:
    return _stddev_with(exp.StddevSamp(this=_double(args[0])), args[0])


def _stddev_sqlite(gen, args, node) -> exp.Expression:
    return _stddev_with(exp.Anonymous(this="SEGL_STDDEV", expressions=[_double(args[0])]),
                        args[0])


def _stddev_polars(gen, args, node):
    import polars as pl

    value = args[0].cast(pl.Float64)
    return pl.when(value.count() >= 2).then(
        value.std(ddof=1).round(_DIGITS, mode="half_away_from_zero"))


_QUANTILE_DIALECTS = {"postgres": _quantile_within_group, "redshift": _quantile_within_group,
                      "snowflake": _quantile_within_group, "clickhouse": _quantile_clickhouse,
                      "spark": _quantile_spark, "databricks": _quantile_spark,
                      "sqlite": _quantile_sqlite}
_NO_QUANTILE = frozenset({"bigquery", "tsql", "mysql"})  # analytic (window) forms only


def _exists(name: str):
    def build(gen, args, node) -> exp.Expression:
        return {"min": exp.Min, "max": exp.Max}[name](this=args[0])
    return build


def _exists_polars(name: str):
    return lambda gen, args, node: getattr(args[0], name)()


AGGREGATES: tuple[AggregateFunction, ...] = (
    AggregateFunction(
        "count", ArgKind.ANY, Type.INT, Empty.ZERO, OverGroup.SUM,
        "number of rows (0 without rows); count(distinct t.c): distinct values",
        "`count(T)`", "number of rows",
        more_rows=(("`count(T where cond)`", "rows meeting `cond`"),
                   ("`count(T.col)`", "rows where `col` is present"),
                   ("`count(distinct T.col)`", "distinct present values of `col`")),
        partial="sum", of_entities=True),
    AggregateFunction(
        "sum", ArgKind.NUMBER, Result.SUM, Empty.ZERO, OverGroup.SUM,
        "total of the values (0 without rows)", "`sum(T.x [where cond])`",
        "sum of `x` (numbers)", partial="sum", of_entities=True),
    AggregateFunction(
        "avg", ArgKind.NUMBER, Type.DECIMAL, Empty.MISSING, OverGroup.RATIO,
        "average of the present values (missing without rows)", "`avg(T.x [where cond])`",
        "mean of `x` (numbers)", of_entities=True),
    AggregateFunction(
        "min", ArgKind.ANY, Result.FIRST_ARG, Empty.MISSING, OverGroup.SAME,
        "smallest value (missing without rows)", "`min(T.x …)`",
        "smallest (numbers, text, dates)", partial="min", of_entities=True,
        sql=_exists("min"), polars=_exists_polars("min")),
    AggregateFunction(
        "max", ArgKind.ANY, Result.FIRST_ARG, Empty.MISSING, OverGroup.SAME,
        "largest value (missing without rows)", "`max(T.x …)`",
        "largest (numbers, text, dates)", partial="max", of_entities=True,
        sql=_exists("max"), polars=_exists_polars("max")),
    AggregateFunction(
        "first", ArgKind.ANY, Result.FIRST_ARG, Empty.MISSING, OverGroup.NONE,
        "the value of the earliest row by the table's time column", "`first(T.x …)`",
        "`x` on the earliest row by the `at` column", needs_time=True),
    AggregateFunction(
        "last", ArgKind.ANY, Result.FIRST_ARG, Empty.MISSING, OverGroup.NONE,
        "the value of the latest row by the table's time column", "`last(T.x …)`",
        "`x` on the latest row by the `at` column", needs_time=True),
    AggregateFunction(
        "most_frequent", ArgKind.ANY, Result.FIRST_ARG, Empty.MISSING, OverGroup.NONE,
        "the value that occurs most often (ties: the smallest)", "`most_frequent(T.x …)`",
        "the value of `x` on most rows"),
    AggregateFunction(
        "median", ArgKind.NUMBER, Type.FLOAT, Empty.MISSING, OverGroup.NONE,
        "the middle value; between two middle values their mean (missing without rows)",
        "`median(T.x …)`", "`percentile(T.x, 0.5)`: the middle present value, or the mean "
        "of the two middle ones (a float, to 9 decimals)",
        sql=_quantile_sql, sql_by_dialect=_QUANTILE_DIALECTS, polars=_quantile_polars,
        sql_unsupported=_NO_QUANTILE,
        python_name="segl_percentile", python=percentile_cont),
    AggregateFunction(
        "percentile", ArgKind.NUMBER, Type.FLOAT, Empty.MISSING, OverGroup.NONE,
        "the p-th quantile, interpolated like PostgreSQL's percentile_cont",
        "`percentile(T.x, p …)`", "continuous percentile (PostgreSQL's `percentile_cont`): "
        "the value at position p·(n−1) of the n sorted present values, interpolated "
        "linearly; `p` a number literal from 0 to 1 (a float, to 9 decimals)",
        params=(LiteralParam("p", 0.0, 1.0, exclusive=False),),
        sql=_quantile_sql, sql_by_dialect=_QUANTILE_DIALECTS, polars=_quantile_polars,
        sql_unsupported=_NO_QUANTILE,
        python_name="segl_percentile", python=percentile_cont),
    AggregateFunction(
        "stddev", ArgKind.NUMBER, Type.FLOAT, Empty.MISSING, OverGroup.NONE,
        "sample standard deviation (n - 1); missing under two values",
        "`stddev(T.x …)`", "**sample** standard deviation (divides by n − 1); missing "
        "with fewer than two present values (a float, to 9 decimals)",
        sql=_stddev_sql, sql_by_dialect={"sqlite": _stddev_sqlite}, polars=_stddev_polars,
        python_name="segl_stddev", python=sample_stddev),
)
