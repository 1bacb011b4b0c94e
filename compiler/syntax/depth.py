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
from functools import cache

from ..codes import Code
from ..diagnostics import Diagnostic, error
from . import nodes as n

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
                    Code.E003, f"expression nested deeper than {MAX_DEPTH} levels", node.span,
                    "split it into features (`feature part = …`) and combine those; a long "
                    "chain of `and`/`or` is one level and needs no splitting",
                )
        stack.extend((getattr(node, name), depth) for name in _walked(type(node)))
    return None


@cache
def _walked(cls: type) -> tuple[str, ...]:
    """A node class's fields but its span (`dataclasses.fields` builds them on every call)."""
    return tuple(f.name for f in fields(cls) if f.name != "span")


def _local(node: object) -> tuple[int, list[tuple[str, int]]]:
    """The expression depth of `node` and every name it refers to, with the depth of the
    reference (an `extends` is at depth 1)."""
    deepest, refs = 0, []
    stack: list[tuple[object, int]] = [(node, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, tuple):
            stack.extend((x, depth) for x in item)
            continue
        if not isinstance(item, n.Node):
            continue
        if isinstance(item, n.Expr):
            depth += 1
            deepest = max(deepest, depth)
            if isinstance(item, n.NameRef):
                refs.append((item.name.text, depth))
            elif isinstance(item, n.QualifiedRef):  # `rfm.r`: a segmentation's score
                refs.append((item.table.text, depth))
        if isinstance(item, n.Segment) and item.extends is not None:
            refs.append((item.extends.text, 1))
        stack.extend((getattr(item, name), depth) for name in _walked(type(item)))
    return deepest, refs


def too_deep_through_references(
    definitions: dict[str, n.Node], others: list[n.Node]
) -> tuple[set[str], list[Diagnostic]]:
    """Features, segments and segmentations (`definitions`, by name) that nest deeper than
    MAX_DEPTH counted through the definitions they use (each stage resolves a reference
    where it meets it, inside the expression it is resolving), and E003 for each one whose
    own expression takes it past the limit (not for those that are too deep only because
    they use one). `others` (KPIs, personas) are checked too; nothing refers to them.
    Iterative: a chain of 10,000 definitions is fine here. Returns (every name too deep,
    the errors)."""
    local = {name: _local(node) for name, node in definitions.items()}
    depth: dict[str, int] = {}
    for root in definitions:
        if root in depth:
            continue
        # post-order over references; a name met again while open (a cycle, E103) counts 0
        stack: list[tuple[str, bool]] = [(root, False)]
        open_names: set[str] = set()
        while stack:
            name, done = stack.pop()
            if done:
                own, refs = local[name]
                depth[name] = max([own, *(at + depth.get(ref, 0) for ref, at in refs
                                          if ref in local)])
                open_names.discard(name)
                continue
            if name in depth or name in open_names:
                continue
            open_names.add(name)
            stack.append((name, True))
            stack.extend((ref, False) for ref, _ in local[name][1]
                         if ref in local and ref not in depth and ref not in open_names)
    too_deep_names = {name for name, d in depth.items() if d > MAX_DEPTH}
    problems = []
    for name in too_deep_names:
        _, refs = local[name]
        if not any(ref in too_deep_names for ref, _ in refs):
            problems.append(_through_error(definitions[name], depth[name]))
    for node in others:
        own, refs = _local(node)
        total = max([own, *(at + depth.get(ref, 0) for ref, at in refs if ref in local)])
        if total > MAX_DEPTH and not any(ref in too_deep_names for ref, _ in refs):
            problems.append(_through_error(node, total))
    return too_deep_names, problems


def _through_error(node: n.Node, total: int) -> Diagnostic:
    name = getattr(node, "name", None)
    span = name.span if isinstance(name, n.Ident) else node.span
    shown = f"`{name.text}`" if isinstance(name, n.Ident) else "this declaration"
    return error(
        Code.E003, f"{shown} nests {total} levels deep, counting the features, segments and "
        f"segmentations it uses (at most {MAX_DEPTH})", span,
        "fewer definitions built on one another, or shallower expressions in them",
    )
