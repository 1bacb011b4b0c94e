"""Building sqlglot trees: identifiers, columns, tables and the few operators the SQL
backend writes, with no copying (every tree here is built fresh) and parentheses only where
SQL precedence needs them. A name is always an identifier: never parsed as SQL."""

from __future__ import annotations

import re

from sqlglot import exp

from .dialects import RESERVED_WORDS

_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")




# sqlglot's builders copy their arguments by default; every tree here is built fresh, so
# copying only costs time (a third of the generation time of a large file).
def named(expression: exp.Expression, alias, **options) -> exp.Expression:
    # a name is always an identifier of ours: sqlglot's own choice of quoting would leave
    # `Café` bare (and PostgreSQL would fold it to `café`)
    if isinstance(alias, str):
        alias = ident(alias)
    return exp.alias_(expression, alias, copy=False, **options)


def cast(expression: exp.Expression, to) -> exp.Cast:
    return exp.cast(expression, to, copy=False)


def and_(*expressions: exp.Expression) -> exp.Expression:
    return exp.and_(*expressions, copy=False)


def or_(*expressions: exp.Expression) -> exp.Expression:
    return exp.or_(*expressions, copy=False)



def ident(name: str) -> exp.Identifier:
    quoted = not _SAFE_NAME.match(name) or name in RESERVED_WORDS
    return exp.to_identifier(name, quoted=quoted)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def table_ref(*parts: str) -> exp.Table:
    """A table or CTE by its name's parts (`catalog, schema, table`, or fewer), each an
    identifier: a name is never parsed as SQL."""
    *prefix, name = parts
    catalog, schema = ([None, None] + [ident(p) for p in prefix])[-2:]
    return exp.Table(this=ident(name), db=schema, catalog=catalog)


SOURCE_TABLE = "segl_source_table"  # meta flag: this Table reads a user's table, not a CTE


def source_table_ref(*parts: str) -> exp.Table:
    """A user's own table by its name's parts, marked as such (`SOURCE_TABLE` in its meta,
    which survives copies) so that a CTE of the same name can be kept apart from it
    (names.py: `keep_ctes_apart`)."""
    table = table_ref(*parts)
    table.meta[SOURCE_TABLE] = True
    return table


def cte_alias(name: str) -> exp.TableAlias:
    """The name of a CTE for `with_` (which would parse a plain string as SQL)."""
    return exp.TableAlias(this=ident(name))


_PRECEDENCE: tuple[tuple[type, int], ...] = (
    (exp.Or, 1), (exp.And, 2), (exp.Not, 3),
    (exp.EQ, 4), (exp.NEQ, 4), (exp.LT, 4), (exp.LTE, 4), (exp.GT, 4), (exp.GTE, 4),
    (exp.Between, 4), (exp.In, 4), (exp.Like, 4), (exp.Glob, 4), (exp.Is, 4),
    (exp.Add, 5), (exp.Sub, 5), (exp.Mul, 6), (exp.Div, 6), (exp.Neg, 7),
)


def _level(node: exp.Expression) -> int:
    for kind, level in _PRECEDENCE:
        if type(node) is kind:
            return level
    return 9  # atoms, function calls, CASE, casts


def paren(node: exp.Expression, parent_level: int = 8, right: bool = False) -> exp.Expression:
    """Parenthesise `node` only where SQL precedence needs it under a parent operator."""
    level = _level(node)
    if level < parent_level or (right and level == parent_level and parent_level in (5, 6)):
        return exp.Paren(this=node)
    return node


def project(select: exp.Select, value: exp.Expression, name: str) -> None:
    """Add `value AS name` to a SELECT in place. (sqlglot's builder re-parents every existing
    projection on each call, which made a thousand segments quadratic.)"""
    select.append("expressions", named(value, ident(name)))


def case_when(condition: exp.Expression, value: exp.Expression) -> exp.Expression:
    return exp.Case(ifs=[exp.If(this=condition, true=value)])


def date_add(value: exp.Expression, amount: int, unit: str) -> exp.Expression:
    return exp.DateAdd(this=value, expression=exp.Literal.number(amount),
                       unit=exp.var(unit.upper()))


def with_projection(select: exp.Select, *projections: exp.Expression) -> exp.Select:
    copy = select.copy()
    copy.set("expressions", list(projections))
    return copy


def table_function(source: exp.Expression, alias: str) -> exp.Expression:
    """`read_parquet('…') AS orders`: a table-valued function with a table alias."""
    if isinstance(source, exp.Table):
        return named(source, ident(alias), table=True)
    return exp.Table(this=source, alias=exp.TableAlias(this=ident(alias)))



_PERIOD_UNITS = {1: "MONTH", 3: "QUARTER", 12: "YEAR"}


def period_start(day: exp.Expression, months: int, dialect: str) -> exp.Expression:
    """The first day of the calendar period (1, 3 or 12 months) holding `day`, for an as_of
    known only when the query runs. DATE_TRUNC where the dialect has it; SQLite has none
    (its date modifiers instead) and T-SQL spells it DATETRUNC (SQL Server 2022)."""
    if dialect == "sqlite":
        def sqlite_date(*modifiers: exp.Expression) -> exp.Expression:
            return exp.Anonymous(this="DATE", expressions=[day.copy(), *modifiers])

        if months == 12:
            return sqlite_date(exp.Literal.string("start of year"))
        first = exp.Literal.string("start of month")
        if months == 1:
            return sqlite_date(first)
        month = exp.cast(exp.Anonymous(this="STRFTIME", expressions=[
            exp.Literal.string("%m"), day.copy()]), exp.DataType.Type.INT)
        # (parenthesised: SQLite's || binds tighter than %)
        back = exp.Paren(this=exp.Mod(
            this=exp.Paren(this=exp.Sub(this=month, expression=exp.Literal.number(1))),
            expression=exp.Literal.number(months)))
        # e.g. DATE(d, 'start of month', '-' || ((month - 1) % 3) || ' months')
        shift = exp.DPipe(this=exp.DPipe(this=exp.Literal.string("-"), expression=back),
                          expression=exp.Literal.string(" months"))
        return sqlite_date(first, shift)
    unit = _PERIOD_UNITS[months]
    if dialect == "tsql":
        return exp.Anonymous(this="DATETRUNC", expressions=[exp.var(unit), day])
    return exp.DateTrunc(this=day, unit=exp.var(unit))
