"""What a grouped pass leaves out (issue 15 item 2): a measure's window test its prefilter
already implies, and the LEFT JOIN of a lookup read through one condition only, which is a
semi-join where the dialect allows it. Helpers of `aggregations.py`."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ... import ir
from ... import model as m
from ...plan.physical import TimeTest
from .trees import col, ident, named


def semi_join(generator: Any, select: exp.Select, lookup: m.Table, expr: ir.Expr, alias: str
              ) -> bool:
    """A reduced lookup read through one condition only, as a semi-join where the dialect
    allows it (`generator`: the SqlGenerator building the pass): the FROM table (the
    lookup's owner) becomes `(SELECT *, owner_column IN (SELECT key FROM lookup WHERE
    condition) AS alias FROM table) AS table`. Exact: a reduced lookup's condition admits
    rows only when true, where a row without a matching lookup row and one whose lookup
    row fails are both rejected; the lookup's key is unique (checked before a run), so no
    events row is repeated or lost."""
    from_ = select.args.get("from_")
    source = from_.this if from_ is not None else None
    if (not generator.rules.semi_join_lookups or source is None
            or source.alias_or_name != lookup.owner):
        return False
    saved, generator.scope_table = generator.scope_table, lookup.name
    keys = exp.select(col(lookup.key or "", lookup.name)).from_(
        generator.aliased_source(lookup), copy=False).where(generator.cond(expr), copy=False)
    generator.scope_table = saved
    member = exp.In(this=col(lookup.owner_column or "", lookup.owner),
                    query=exp.Subquery(this=keys))
    rows = exp.select(exp.Star(), named(member, alias)).from_(source.copy(), copy=False)
    from_.set("this", rows.subquery(ident(lookup.owner)))
    generator.lookup_values[expr] = col(alias, lookup.owner)
    return True


def implied_by(test: TimeTest, since: TimeTest | None) -> bool:
    """Whether every row at or after `since` (a prefilter's) passes `test`: the same column
    tested from the same or an earlier day, both known at compile time."""
    if since is None or since.op is not ir.CompareOp.GE:
        return False
    if test == since:
        return True
    return (test.op is since.op and not test.bound.plus_day and not since.bound.plus_day
            and test.table == since.table and test.column == since.column
            and test.timestamp == since.timestamp and test.bound.fixed is not None
            and since.bound.fixed is not None and test.bound.fixed <= since.bound.fixed)
