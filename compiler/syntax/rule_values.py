"""What grammar rules return before a node is built: wrappers, a test row, the
`missing` marker, a quoted text's value, and the error a literal raises."""

from __future__ import annotations

import re

from lark import Token

from ..diagnostics import Diagnostic
from . import lexicon
from . import nodes as n


class _Position:
    """What a rule's method gets as `meta`: where the rule's text starts and ends."""

    __slots__ = ("end_pos", "start_pos")

    def __init__(self, start_pos: int, end_pos: int) -> None:
        self.start_pos = start_pos
        self.end_pos = end_pos


def _unit(token: Token) -> str:
    """`days` -> `day` (the grammar's TIME_UNIT admits only the lexicon's units)."""
    unit = lexicon.time_unit(str(token))
    assert unit is not None, token
    return unit


class _LiteralError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


class _Row:
    def __init__(self, values: tuple):
        self.values = tuple(None if v is _MISSING else v for v in values)


_MISSING = object()  # `missing` in a test row, before it becomes None


class _Filter:
    def __init__(self, expr: n.Expr):
        self.expr = expr


class _Label:
    def __init__(self, text: str):
        self.text = text


class _Children:
    def __init__(self, children: list):
        self.children = children


def _unquote(token: Token | str) -> str:
    body = str(token)[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)
