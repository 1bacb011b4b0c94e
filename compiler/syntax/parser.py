"""Text -> AST. Lark parses; a Transformer builds `nodes`. No name lookup, no types here.

Syntax errors are collected per declaration: the text is cut at each line that starts a
top-level declaration and each piece is parsed on its own, so one typo does not hide the
errors after it.

The tree becomes nodes in ast_builder.py (expressions) and build_declarations.py."""

from __future__ import annotations

import itertools
import re
from functools import cache

from lark import Lark
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from segl.grammar import grammar_text

from ..codes import Code
from ..diagnostics import Diagnostic, error
from ..source import SourceFile
from . import grammar_cache, lexicon
from . import nodes as n
from .ast_builder import AstBuilder
from .depth import too_deep
from .rule_values import _LiteralError

TOP_LEVEL = lexicon.DECLARATION_KEYWORDS
# Declarations start at the beginning of a line (the canonical format indents nothing else
# that way), so a column named `segment` inside a block does not start a new piece.
_DECLARATION_START = re.compile(r"^(" + "|".join(TOP_LEVEL) + r")\b", re.MULTILINE)
_DECLARED_NAME = re.compile(
    r"^[ \t]*(?:" + "|".join(lexicon.NAMED_DECLARATION_KEYWORDS) + r")\s+`?(\w+)", re.MULTILINE
)

# How terminals read in "expected …" messages.
_TERMINAL_WORDS = {
    "NAME": "a name", "QUOTED_NAME": "a name", "STRING": "a string", "NUMBER": "a number",
    "INT": "a whole number", "DATE": "a date (YYYY-MM-DD)", "TIMESTAMP": "a timestamp",
    "COMPARE_OP": "a comparison", "ADD_OP": "`+` or `-`", "MUL_OP": "`*` or `/`",
    "LPAR": "`(`", "RPAR": "`)`", "LBRACE": "`{`", "RBRACE": "`}`", "COMMA": "`,`",
    "EQUAL": "`=`", "DOT": "`.`", "PERCENT": "`%`", "MINUS": "`-`",
    "TIME_UNIT": "|".join(unit + "s" for unit in lexicon.UNIT_BASES), "TYPE_NAME": "a column type",
    "COLUMN_TAG": "|".join(w.text for w in lexicon.TAGS),
    "LOCATION_KIND": "|".join(w.text for w in lexicon.LOCATIONS),
    "RANK_DIRECTION": "top|bottom", "IN_LAST": "`in last`", "DISTINCT": "`distinct`",
    "$END": "the end of the declaration",
}


@cache
def _lark() -> Lark:
    # The built parser tables are kept in the user's cache folder (grammar_cache.py):
    # building them takes longer than compiling a typical file. Positions are not propagated
    # by Lark (a third of its parse time); AstBuilder works them out from the tokens, so it
    # keeps them all.
    return grammar_cache.parser(grammar_text())


class ParseResult:
    def __init__(self, module: n.Module, diagnostics: list[Diagnostic], failed_names: set[str]):
        self.module = module
        self.diagnostics = diagnostics
        self.failed_names = failed_names  # declarations that did not parse: no cascading errors


def parse_source(source: SourceFile) -> ParseResult:
    text = _lexable(source.text)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput:
        return _parse_pieces(source)  # find every syntax error, not just the first
    builder = AstBuilder(source)
    try:
        declarations = builder.transform(tree).children
    except _LiteralError:
        return _parse_pieces(source)
    failed: set[str] = set()
    declarations = _within_depth(declarations, builder.diagnostics, failed)
    module = n.Module(source.path, tuple(declarations))
    return ParseResult(module, builder.diagnostics, failed)


def _within_depth(declarations: list, diagnostics: list[Diagnostic], failed: set[str]) -> list:
    """The declarations no later stage would recurse too deep on; E003 for each other one,
    left out (like a declaration that did not parse) so nothing walks it."""
    kept = []
    for declaration in declarations:
        problem = too_deep(declaration)
        if problem is None:
            kept.append(declaration)
            continue
        diagnostics.append(problem)
        name = getattr(declaration, "name", None)
        if isinstance(name, n.Ident):
            failed.add(name.text)
    return kept


def _lexable(text: str) -> str:
    """The text Lark reads: a UTF-8 byte-order mark at the start is read as a space (so every
    offset and column stays the file's own; `segl fmt` writes the mark back)."""
    return " " + text[1:] if text.startswith("\ufeff") else text


def _parse_pieces(source: SourceFile) -> ParseResult:
    """Parse each top-level declaration on its own, collecting every error."""
    declarations: list[n.Declaration] = []
    diagnostics: list[Diagnostic] = []
    failed: set[str] = set()
    text = _lexable(source.text)
    starts = [m.start() for m in _DECLARATION_START.finditer(text)]
    if not starts or (text[: starts[0]].strip(" \t\r\n") and not _only_comments(
        text[: starts[0]]
    )):
        starts.insert(0, 0)
    bounds = [*starts, len(text)]
    for begin, end in itertools.pairwise(bounds):
        piece = text[begin:end]
        try:
            tree = _lark().parse(piece)
        except UnexpectedInput as exc:
            diagnostics.append(_syntax_error(source, exc, begin, end))
            match = _DECLARED_NAME.match(source.text, begin)
            if match:
                failed.add(match.group(1))
            continue
        builder = AstBuilder(source, begin)
        try:
            built = builder.transform(tree).children
        except _LiteralError as exc:
            diagnostics.append(exc.diagnostic)
            match = _DECLARED_NAME.match(source.text, begin)
            if match:  # (no "unknown name" where the declaration is used)
                failed.add(match.group(1))
        else:
            declarations.extend(_within_depth(built, builder.diagnostics, failed))
        diagnostics.extend(builder.diagnostics)
    diagnostics.sort(key=lambda d: d.span.start if d.span else 0)
    return ParseResult(n.Module(source.path, tuple(declarations)), diagnostics, failed)


def _strip_trailing_comments(text: str) -> str:
    lines = text.rstrip().split("\n")
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].strip().startswith("#")):
        lines.pop()
    return "\n".join(lines).rstrip()


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("#") for line in text.splitlines())


def _syntax_error(
    source: SourceFile, exc: UnexpectedInput, piece_start: int, piece_end: int
) -> Diagnostic:
    """`piece_start` is the offset in the file of the text Lark parsed."""
    position = exc.pos_in_stream
    offset = position + piece_start if position is not None else piece_end
    if isinstance(exc, UnexpectedCharacters):
        char = source.text[offset : offset + 1]
        span = source.span(offset, offset + 1)
        return error(Code.E001, f"unexpected character `{char}`", span, _character_hint(char))
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        end = len(_strip_trailing_comments(source.text[:piece_end]))
        span = source.span(max(0, end - 1), end)
        expected = _expected(getattr(exc, "expected", set()))
        return error(Code.E001, "unexpected end of declaration", span, f"expected {expected}")
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    start = token.start_pos + piece_start
    span = source.span(start, token.end_pos + piece_start)
    expected = _expected(exc.expected)
    hint = f"expected {expected}"
    if str(token) == "=" and source.text[start - 1 : start] in "=!<>":
        hint = "compare with a single `=`"
    if str(token) == "last" and source.text[:start].rstrip().endswith("in"):
        hint = "a window follows an aggregate: `count(orders) in last 90 days`"
    if token.type in ("TYPE_NAME", "TIME_UNIT", "COLUMN_TAG", "RANK_DIRECTION", "DISTINCT"):
        hint += f"; `{token}` is a reserved word: write `` `{token}` `` to use it as a name"
    return error(Code.E001, f"unexpected `{token}`", span, hint)


def _character_hint(char: str) -> str:
    if char == "'":
        return 'strings use double quotes: "text"'
    if char == "=":
        return "compare with `=` (not `==`)"
    if char == "&" or char == "|":
        return "combine conditions with `and` / `or`"
    return "remove it or put it inside a string"


def _expected(terminals: set[str]) -> str:
    words = sorted({_TERMINAL_WORDS.get(t, f"`{t.lower()}`") for t in terminals})
    if len(words) > 8:
        words = [*words[:8], "…"]
    return ", ".join(words) if words else "something else"
