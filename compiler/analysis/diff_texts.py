"""The semantic diff's canonical texts: an expression printed as written (by its span), or
by the formatter."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from .. import ir
from ..semantic.loading import LoadedFile
from ..syntax import format_expressions
from ..syntax import nodes as n
from .diff_results import BASE_SUFFIX

# ---------------------------------------------------------------- canonical texts


class Texts:
    """Canonical `.seg` text of an `ir` node, through the AST node it was resolved from
    (found by its span) and `format_expressions.expr`."""

    def __init__(self, files: list[LoadedFile]) -> None:
        self.nodes: dict[tuple[str, int, int], n.Node] = {}
        for file in files:
            for declaration in file.module.declarations:
                for node in _ast_nodes(declaration):
                    if isinstance(node, n.Expr):
                        key = (node.span.path, node.span.start, node.span.end)
                        self.nodes.setdefault(key, node)

    def of(self, expr: ir.Expr) -> str:
        span = expr.span
        if span is None:
            return repr(expr)
        node = self.nodes.get((span.path, span.start, span.end))
        if isinstance(node, n.Expr):
            try:
                return format_expressions.expr(node)
            except TypeError:
                pass
        return re.sub(r"\s+", " ", span.text).strip()


def _ast_nodes(node: object) -> Iterator[n.Node]:
    if isinstance(node, n.Node):
        yield node
        for field in dataclasses.fields(node):
            yield from _ast_nodes(getattr(node, field.name))
    elif isinstance(node, tuple):
        for item in node:
            yield from _ast_nodes(item)


def _subject(text_of: Texts, expr: ir.Expr) -> str | None:
    """What a condition is about (`orders_1y` in `orders_1y >= 4`): a changed condition is
    paired with the removed one about the same thing."""
    match expr:
        case ir.Compare(left=left, right=right):
            side = right if isinstance(left, ir.Literal) else left
            return text_of.of(side)
        case ir.Between(value=value) | ir.InList(value=value) | ir.TextMatch(value=value) | \
                ir.IsMissing(value=value):
            return text_of.of(value)
        case ir.Rank(by=by):
            return "rank by " + text_of.of(by)
        case ir.SegmentRef(name=name):
            return name.removesuffix(BASE_SUFFIX)
        case ir.Not(operand=operand):
            inner = _subject(text_of, operand)
            return f"not {inner}" if inner else None
    return None
