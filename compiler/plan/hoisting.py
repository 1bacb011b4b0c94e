"""Lookup hoisting: an expression of a pass's measures that reads one lookup's columns only
(`part.p_type like "%BRASS%"`) is computed once per lookup row, in that lookup, instead of
once per event row."""

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

