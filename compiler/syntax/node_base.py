"""The AST's base classes: every node carries its span; a name as written."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..source import Span


@dataclass(frozen=True)
class Node:
    span: Span = field(compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Ident(Node):
    """A name as written; backquoted names arrive without their backquotes."""

    text: str
