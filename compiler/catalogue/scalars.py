"""The scalar functions. To add one: write a `ScalarFunction` below with its SQL builder (a
sqlglot tree; `sql_by_dialect` for an engine that differs) and its Polars builder, add it to
`SCALARS`, and run `SEGL_UPDATE_DOCS=1 pytest tests/catalogue` (docs/language.md's table)."""

from __future__ import annotations

from ..types import Type
from .entries import ArgKind, Monotone, Result, ScalarFunction
from .lazy_sqlglot import exp  # (imports sqlglot when SQL is built)

# ------------------------------------------------------------------ SQL builders


def _days_sql(gen, args) -> exp.Expression:
    return exp.DateDiff(this=gen.to_date(args[1]), expression=gen.to_date(args[0]),
                        unit=exp.var("DAY"))


def _calendar_sql(years: bool):
    def build(gen, args, node) -> exp.Expression:
        from ..backends.sql.expressions import calendar_difference
        return calendar_difference(args[0], args[1], years, gen.date_part, gen.to_date)
    return build


def _weeks_sql(gen, args, node) -> exp.Expression:
    # whole weeks toward zero: integer division of non-negative days, the sign put back
    days = _days_sql(gen, args)
    seven = exp.Literal.number(7)
    negative = exp.LT(this=days.copy(), expression=exp.Literal.number(0))
    back = exp.Neg(this=exp.Paren(this=exp.IntDiv(this=exp.Paren(this=exp.Neg(this=days.copy())),
                                                  expression=seven.copy())))
    weeks = exp.Case(ifs=[exp.If(this=negative, true=back)],
                     default=exp.IntDiv(this=days, expression=seven))
    return exp.Cast(this=weeks, to=exp.DataType.build("BIGINT"))


def _any_missing(args) -> exp.Expression:
    tests = [exp.Is(this=a.copy(), expression=exp.Null()) for a in args]
    result = tests[0]
    for test in tests[1:]:
        result = exp.Or(this=result, expression=test)
    return result


def _extreme_sql(kind: str):
    def build(gen, args, node) -> exp.Expression:
        # Missing if any argument is missing, on every engine (some skip nulls).
        extreme = getattr(exp, kind)  # (by name: sqlglot is imported when SQL is built)
        return exp.Case(ifs=[exp.If(this=_any_missing(args), true=exp.Null())],
                        default=extreme(this=args[0], expressions=args[1:]))
    return build


def _case_sql(upper: bool):
    def build(gen, args, node) -> exp.Expression:
        if gen.rules.case_functions:
            function = gen.rules.case_functions[0 if upper else 1]
            return exp.Anonymous(this=function, expressions=[args[0]])
        return (exp.Upper if upper else exp.Lower)(this=args[0])
    return build


def _round_sql(gen, args, node) -> exp.Expression:
    return exp.Round(this=args[0], decimals=args[1] if len(args) > 1 else None)


def _part_sql(unit: str):
    return lambda gen, args, node: gen.date_part(unit, args[0])


# ------------------------------------------------------------------ Polars builders


def _days_polars(args):
    import polars as pl
    return (args[1].cast(pl.Date) - args[0].cast(pl.Date)).dt.total_days().cast(pl.Int64)


def _calendar_polars(years: bool):
    def build(gen, args, node):
        from ..backends.polars.numeric import calendar_difference
        return calendar_difference(args[0], args[1], years)
    return build


def _weeks_polars(gen, args, node):
    import polars as pl
    days = _days_polars(args)
    return pl.when(days < 0).then(-((-days) // 7)).otherwise(days // 7).cast(pl.Int64)


def _extreme_polars(least: bool):
    def build(gen, args, node):
        import polars as pl
        # missing if any argument is missing (Polars' horizontal min skips nulls)
        pick = pl.min_horizontal(args) if least else pl.max_horizontal(args)
        return pl.when(pl.any_horizontal([a.is_null() for a in args])).then(None) \
            .otherwise(pick)
    return build


def _round_polars(gen, args, node):
    decimals = node.args[1].value if len(node.args) > 1 else 0
    if node.args[0].type is Type.INT:
        return args[0]
    return args[0].round(int(decimals), mode="half_away_from_zero")


def _date_polars(gen, args, node):
    import polars as pl
    return args[0].cast(pl.Date)


def _part_polars(part: str):
    def build(gen, args, node):
        import polars as pl
        return getattr(args[0].dt, part)().cast(pl.Int64)
    return build


def _length_polars(gen, args, node):
    import polars as pl
    return args[0].str.len_chars().cast(pl.Int64)


def _coalesce_polars(gen, args, node):
    import polars as pl
    return pl.coalesce(args)


_DATES = "2 dates/timestamps"

SCALARS: tuple[ScalarFunction, ...] = (
    ScalarFunction(
        "days_between", 2, 2, ArgKind.TEMPORAL, Type.INT,
        "whole days from the first date to the second", "`days_between(a, b)`", _DATES, "int",
        "whole days from `a` to `b` (`b - a`, by calendar date)",
        sql=lambda gen, args, node: _days_sql(gen, args),
        polars=lambda gen, args, node: _days_polars(args), monotone=Monotone.DIFFERENCE),
    ScalarFunction(
        "weeks_between", 2, 2, ArgKind.TEMPORAL, Type.INT,
        "whole weeks from the first date to the second (days_between / 7, toward zero)",
        "`weeks_between(a, b)`", _DATES, "int",
        "whole weeks from `a` to `b`: `days_between(a, b) / 7` truncated toward zero (13 days "
        "is 1, -13 days is -1)", sql=_weeks_sql, polars=_weeks_polars,
        monotone=Monotone.DIFFERENCE),
    ScalarFunction(
        "months_between", 2, 2, ArgKind.TEMPORAL, Type.INT,
        "whole calendar months, like an age in months", "`months_between(a, b)`", _DATES,
        "int", "whole calendar months from `a` to `b`, counted like an age: the count goes up "
        "on the day of the month `a` fell on", sql=_calendar_sql(False),
        polars=_calendar_polars(False), monotone=Monotone.DIFFERENCE),
    ScalarFunction(
        "years_between", 2, 2, ArgKind.TEMPORAL, Type.INT,
        "whole calendar years, like an age", "`years_between(a, b)`", _DATES, "int",
        "whole years, like an age: `years_between(birth_date, as_of)`; a 29 February birthday "
        "turns over on 1 March in other years", sql=_calendar_sql(True),
        polars=_calendar_polars(True), monotone=Monotone.DIFFERENCE),
    ScalarFunction(
        # the resolver rewrites it to days_between(x, as_of): these builders are that one's
        "days_since", 1, 1, ArgKind.TEMPORAL, Type.INT, "days_between(x, as_of)",
        "`days_since(x)`", "1 date/timestamp", "int",
        "`days_between(x, as_of)`; `days_since(x) < 90` is the window `in last 90 days` (not "
        "`<= 90`, one day more)",
        sql=lambda gen, args, node: _days_sql(gen, args),
        polars=lambda gen, args, node: _days_polars(args)),
    ScalarFunction(
        "coalesce", 2, -1, ArgKind.ANY, Result.COMMON, "the first argument that is present",
        "`coalesce(a, b, …)`", "2 or more, compatible types", "their type",
        "the first argument that is present",
        sql=lambda gen, args, node: exp.Coalesce(this=args[0], expressions=args[1:]),
        polars=_coalesce_polars),
    ScalarFunction(
        "lower", 1, 1, ArgKind.TEXT, Type.TEXT, "text in lower case", "`lower(s)`", "text",
        "text", "lower case", sql=_case_sql(False),
        polars=lambda gen, args, node: args[0].str.to_lowercase()),
    ScalarFunction(
        "upper", 1, 1, ArgKind.TEXT, Type.TEXT, "text in upper case", "`upper(s)`", "text",
        "text", "upper case", sql=_case_sql(True),
        polars=lambda gen, args, node: args[0].str.to_uppercase()),
    ScalarFunction(
        "length", 1, 1, ArgKind.TEXT, Type.INT, "number of characters", "`length(s)`", "text",
        "int", "number of characters",
        sql=lambda gen, args, node: exp.Length(this=args[0]), polars=_length_polars),
    ScalarFunction(
        "abs", 1, 1, ArgKind.NUMBER, Result.FIRST_ARG, "absolute value", "`abs(x)`", "number",
        "its type", "absolute value",
        sql=lambda gen, args, node: exp.Abs(this=args[0]),
        polars=lambda gen, args, node: args[0].abs()),
    ScalarFunction(
        "round", 1, 2, ArgKind.NUMBER, Result.FIRST_ARG,
        "round half away from zero to N decimals (default 0)", "`round(x[, d])`",
        "number, whole-number literal", "type of `x`",
        "round half away from zero to `d` decimals (default 0)", sql=_round_sql,
        polars=_round_polars, whole_literal_args=(1,)),
    ScalarFunction(
        "least", 2, -1, ArgKind.ANY, Result.COMMON,
        "the smallest argument (missing if any is missing)", "`least(a, b, …)`",
        "2 or more, compatible types", "their type",
        "smallest; **missing if any argument is missing** (on every engine)",
        sql=_extreme_sql("Least"), polars=_extreme_polars(True)),
    ScalarFunction(
        "greatest", 2, -1, ArgKind.ANY, Result.COMMON,
        "the largest argument (missing if any is missing)", "`greatest(a, b, …)`",
        "2 or more, compatible types", "their type",
        "largest; **missing if any argument is missing** (on every engine)",
        sql=_extreme_sql("Greatest"), polars=_extreme_polars(False)),
    ScalarFunction(
        "date", 1, 1, ArgKind.TEMPORAL, Type.DATE, "the date part of a timestamp",
        "`date(x)`", "date/timestamp", "date", "the date part",
        sql=lambda gen, args, node: gen.to_date(args[0]), polars=_date_polars,
        monotone=Monotone.RISING),
    ScalarFunction(
        "year", 1, 1, ArgKind.TEMPORAL, Type.INT, "calendar year of a date", "`year(x)`",
        "date/timestamp", "int", "calendar year", sql=_part_sql("YEAR"),
        polars=_part_polars("year"), monotone=Monotone.RISING),
    ScalarFunction(
        "month", 1, 1, ArgKind.TEMPORAL, Type.INT, "calendar month (1-12) of a date",
        "`month(x)`", "date/timestamp", "int", "calendar month, 1–12", sql=_part_sql("MONTH"),
        polars=_part_polars("month"), monotone=Monotone.RISING),

)
