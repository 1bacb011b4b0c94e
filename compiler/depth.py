"""How deep an expression may nest, and the error for one that nests deeper.

Every stage after the parser (resolver, type checker, planner, SQL and Polars generation,
sqlglot's own generator, the formatter, lint, the editors' index) walks an expression by
recursion, one or a few Python frames per level. A chain of `and`/`or` is one level however
long (`nodes.Logic`); anything else that nests (`case` in `case`, `not not …`, parentheses
around sums, calls in calls) is counted here, before any of those stages runs, and a
declaration nesting deeper than `MAX_DEPTH` is refused with E003 at the first node past the
limit. Nothing here recurses either.
"""

from __future__ import annotations

from dataclasses import fields

from . import nodes as n
from .diagnostics import Diagnostic, error

# Hand-written segments nest a handful of levels; 100 leaves every later stage (and sqlglot's
# generator, a few frames per level) far inside Python's default recursion limit of 1,000.
MAX_DEPTH = 100


def too_deep(declaration: n.Node) -> Diagnostic | None:
    """E003 at the first expression nested deeper than MAX_DEPTH in `declaration`, else None."""
    stack: list[tuple[object, int]] = [(declaration, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, tuple):
            stack.extend((item, depth) for item in node)
            continue
        if not isinstance(node, n.Node):
            continue
        if isinstance(node, n.Expr):
            depth += 1
            if depth > MAX_DEPTH:
                return error(
                    "E003", f"expression nested deeper than {MAX_DEPTH} levels", node.span,
                    "split it into features (`feature part = …`) and combine those; a long "
                    "chain of `and`/`or` is one level and needs no splitting",
                )
        stack.extend((getattr(node, f.name), depth) for f in fields(node) if f.name != "span")
    return None
