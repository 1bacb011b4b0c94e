"""Lookup hoisting: an expression of a pass's measures that reads one lookup's columns only
(`part.p_type like "%BRASS%"`) is computed once per lookup row, in that lookup, instead of
once per event row. A lookup read only through such conditions, each of which admits a row
only when true, is joined reduced to its rows meeting one of them (`reduced_lookups`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import ir

if TYPE_CHECKING:
    from .logical import Measure


@dataclass(frozen=True)
class Hoisted:
    """`expr` computed in `lookup`'s rows as the column `alias`."""

    expr: ir.Expr
    lookup: str
    alias: str


def lookup_expressions(measures: Iterable[Measure], lookups: set[str]) -> tuple[Hoisted, ...]:
    """The largest sub-expressions of the measures that read columns of one lookup only
    (and are more than a bare column), in the order met, each with its column's alias."""
    found: dict[ir.Expr, tuple[str, str]] = {}

    def tables(node: ir.Expr) -> set[str]:
        return {n.table for n in node.walk() if isinstance(n, ir.Column)}

    def visit(node: ir.Expr) -> None:
        if isinstance(node, ir.Aggregate):
            for part in (node.arg, node.filter):
                if part is not None:
                    visit(part)
            return
        owners = tables(node)
        if (len(owners) == 1 and owners <= lookups and not isinstance(node, ir.Column)
                and not any(isinstance(n, ir.AsOf) for n in node.walk())):
            if node not in found:
                found[node] = (next(iter(owners)), f"_lookup_{len(found) + 1}")
            return
        for child in node.children():
            visit(child)

    for measure in measures:
        visit(measure.aggregate)
    return tuple(Hoisted(expr, lookup, alias) for expr, (lookup, alias) in found.items())



def reduced_lookups(measures: Iterable[Measure], hoisted: tuple[Hoisted, ...],
                    lookups: tuple[str, ...], owners: dict[str, str | None]) -> tuple[str, ...]:
    """The lookups that can be joined reduced to the rows meeting one of their hoisted
    conditions (`part` filtered on `p_type like "%BRASS%"`: a smaller join, the condition
    pushed into the lookup's scan). Exact because each such condition is read only where a
    missing value and false both reject the row: a measure's filter, under `and`/`or`
    only. A lookup qualifies when every use of its columns is such a condition and no
    other joined lookup is reached through it; `owners` maps each lookup to the table it
    is joined from."""
    measures = list(measures)
    mine = {h.expr: h.lookup for h in hoisted}
    candidates = {h.lookup for h in hoisted} - {owners.get(name) for name in lookups}
    rejected: set[str] = set()

    def visit(node: ir.Expr, positive: bool) -> None:
        if node in mine:
            if not positive or node.type is not ir.Type.BOOL:
                rejected.add(mine[node])
            return
        if isinstance(node, ir.Column):
            rejected.add(node.table)
            return
        if isinstance(node, ir.Aggregate):
            for part, where in ((node.arg, False), (node.filter, True)):
                if part is not None:
                    visit(part, where)
            return
        keep = positive and isinstance(node, ir.Logic)
        for child in node.children():
            visit(child, keep)

    for measure in measures:
        visit(measure.aggregate, False)
    return tuple(name for name in lookups if name in candidates - rejected)
