"""Text -> AST. Lark parses; a Transformer builds `nodes`. No name lookup, no types here.

Syntax errors are collected per declaration: the text is cut at each line that starts a
top-level declaration and each piece is parsed on its own, so one typo does not hide the
errors after it.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from lark import Lark, Token
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from lark.visitors import Transformer_NonRecursive
from segl.grammar import grammar_text

from ..codes import Code
from ..diagnostics import Diagnostic, error
from ..source import SourceFile
from . import lexicon
from . import nodes as n
from .depth import too_deep
from .limits import as_of_problem, duration_problem, number_problem
from .names import name_problem

TIERS_ELSE = "no_value"  # the `else` bucket of tiers: entities whose value is missing
CLUSTER_SCALINGS = ("zscore", "minmax", "none")  # `clusters … scaled S`
CLUSTER_MISSING = ("drop", "mean")  # `clusters … missing M`
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
    # cache=True keeps the built parser tables in a temporary file: building them takes
    # longer than compiling a typical file. Positions are not propagated by Lark (a third of
    # its parse time); AstBuilder works them out from the tokens, so it keeps them all.
    return Lark(grammar_text(), parser="lalr", keep_all_tokens=True, maybe_placeholders=True,
                cache=True)


# Terminals whose text the AST needs; every other token is punctuation or a keyword, kept by
# the parser only for its position.
_MEANINGFUL_TERMINALS = frozenset({
    "NAME", "QUOTED_NAME", "STRING", "NUMBER", "INT", "DATE", "TIMESTAMP", "COMPARE_OP",
    "ADD_OP", "MUL_OP", "TYPE_NAME", "COLUMN_TAG", "LOCATION_KIND", "RANK_DIRECTION",
    "PERCENT", "IN_LAST", "TIME_UNIT", "DISTINCT", "BETTER",
})


class _Position:
    """What a rule's method gets as `meta`: where the rule's text starts and ends."""

    __slots__ = ("end_pos", "start_pos")

    def __init__(self, start_pos: int, end_pos: int) -> None:
        self.start_pos = start_pos
        self.end_pos = end_pos


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


def _unit(token: Token) -> str:
    """`days` -> `day` (the grammar's TIME_UNIT admits only the lexicon's units)."""
    unit = lexicon.time_unit(str(token))
    assert unit is not None, token
    return unit


class _LiteralError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


# The rules that continue an `and`/`or` chain with their left operand.
_CHAIN_RULES = {"and_": "and", "or_": "or"}


class _Chain:
    """An `and`/`or` chain while it grows, one operand per reduction (appending to a list, not
    copying a tuple); it becomes one `n.Logic` when another rule takes it."""

    __slots__ = ("end", "op", "operands", "start")

    def __init__(self, op: str, operands: list, start: int, end: int) -> None:
        self.op = op
        self.operands = operands
        self.start = start
        self.end = end


class AstBuilder(Transformer_NonRecursive):
    """Builds AST nodes bottom-up from the Lark tree; each method is one grammar rule and
    receives the rule's `meta` (positions) and its transformed children. The walk over the
    tree is Lark's non-recursive one: a file of any depth never reaches Python's recursion
    limit here (`depth.py` then refuses expressions too deep for the later stages)."""

    def _call_userfunc(self, tree, new_children=None):
        # Called once per tree node: work out the rule's position from its children, drop
        # keyword and punctuation tokens, and call the rule's method directly.
        start = end = None
        kept = []
        children = new_children if new_children is not None else tree.children
        for index, child in enumerate(children):
            if isinstance(child, _Chain) and not (
                index == 0 and _CHAIN_RULES.get(tree.data) == child.op
            ):
                child = self._finish(child)  # a chain ends where another rule takes it
            if isinstance(child, Token):
                position = (child.start_pos, child.end_pos)
                if child.type in _MEANINGFUL_TERMINALS:
                    kept.append(child)
            else:
                kept.append(child)
                position = self._position_of(child)
            if position is not None:
                start = position[0] if start is None else min(start, position[0])
                end = position[1] if end is None else max(end, position[1])
        meta = _Position(start or 0, end or 0)
        method = getattr(self, tree.data, None)
        result = method(meta, kept) if method else self.__default__(tree.data, kept, meta)
        if not isinstance(result, n.Node):
            self._positions[id(result)] = (meta.start_pos, meta.end_pos)
        return result

    def _position_of(self, child) -> tuple[int, int] | None:
        if child is None:
            return None
        if isinstance(child, n.Node):
            return child.span.start - self.offset, child.span.end - self.offset
        if isinstance(child, _Chain):
            return child.start, child.end
        # wrappers and tuples built by a rule: registered when the rule was transformed
        return self._positions.get(id(child))

    def atom(self, meta, children):
        return children[0]  # `( expr )`: the parentheses are punctuation

    def __init__(self, source: SourceFile, offset: int = 0):
        super().__init__()
        self.source = source
        self.offset = offset  # where in the file the parsed piece starts
        self.diagnostics: list[Diagnostic] = []
        # positions of rule results that are not AST nodes (tuples, wrappers), by identity:
        # each is looked up while its parent rule is transformed, when it is still alive
        self._positions: dict[int, tuple[int, int]] = {}

    def _span(self, meta):
        return self.source.span(meta.start_pos + self.offset, meta.end_pos + self.offset)

    def _tok_span(self, token: Token):
        return self.source.span(token.start_pos + self.offset, token.end_pos + self.offset)

    # ---- names and literals
    def name(self, meta, children):
        (token,) = children
        text = str(token)
        if token.type == "QUOTED_NAME":
            text = text[1:-1]
            problem = name_problem(text)
            if problem:
                raise _LiteralError(error(Code.E002, problem, self._tok_span(token),
                                          "a backquoted name holds printable characters only"))
        return n.Ident(text, span=self._tok_span(token))

    def string(self, meta, children):
        value = _unquote(children[0])
        if "\0" in value:  # (PostgreSQL's text holds no NUL: no engine gets one)
            raise _LiteralError(error(Code.E002, "a string holds a NUL byte", self._span(meta),
                                      "remove it; text values cannot hold NUL"))
        return n.Literal(value, "string", span=self._span(meta))

    def number(self, meta, children):
        text = str(children[0])
        value: int | Decimal = Decimal(text) if "." in text else int(text)
        problem = number_problem(value)
        if problem:
            raise _LiteralError(error(Code.E002, problem, self._span(meta),
                                      "numbers are 64-bit integers or decimals of at most "
                                      "38 digits on every engine"))
        return n.Literal(value, "number", span=self._span(meta))

    def date_literal(self, meta, children):
        text = str(children[0])
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise _LiteralError(
                error(Code.E002, f"`{text}` is not a valid date", self._span(meta),
                      "dates are written YYYY-MM-DD with a real month and day")
            ) from None
        return n.Literal(value, "date", span=self._span(meta))

    def timestamp_literal(self, meta, children):
        text = str(children[0]).replace(" ", "T")
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise _LiteralError(
                error(Code.E002, f"`{text}` is not a valid timestamp", self._span(meta),
                      "timestamps are written YYYY-MM-DDTHH:MM[:SS]")
            ) from None
        return n.Literal(value, "timestamp", span=self._span(meta))

    def true(self, meta, children):
        return n.Literal(True, "bool", span=self._span(meta))

    def false(self, meta, children):
        return n.Literal(False, "bool", span=self._span(meta))

    def duration(self, meta, children):
        amount, unit = children
        if "." in str(amount):
            raise _LiteralError(error(Code.E002, "a duration needs a whole number",
                                      self._span(meta)))
        self._check_duration(int(str(amount)), _unit(unit), meta)
        return n.Duration(int(str(amount)), _unit(unit), span=self._span(meta))

    def _check_duration(self, amount: int, unit: str, meta) -> None:
        problem = duration_problem(amount, unit)
        if problem:
            raise _LiteralError(error(Code.E002, problem, self._span(meta),
                                      "every date segl computes stays within the years 1 to "
                                      "9999 on every engine (docs/language.md)"))

    # ---- references
    def name_ref(self, meta, children):
        return n.NameRef(children[0], span=self._span(meta))

    def qualified_ref(self, meta, children):
        return n.QualifiedRef(children[0], children[1], span=self._span(meta))

    def as_of(self, meta, children):
        return n.AsOfRef(span=self._span(meta))

    def call(self, meta, children):
        function, distinct, args, filter_ = children
        return n.Call(function, tuple(args or ()), distinct is not None,
                      filter_.expr if filter_ else None, span=self._span(meta))

    def call_args(self, meta, children):
        return tuple(children)

    def filter(self, meta, children):
        return _Filter(children[0])

    def windowed(self, meta, children):
        return n.Windowed(children[0], children[1], span=self._span(meta))

    def window_last(self, meta, children):
        _, amount, unit = children
        value = amount if isinstance(amount, n.Ident) else int(str(amount))
        if not isinstance(value, n.Ident):
            self._check_duration(value, _unit(unit), meta)
        return n.WindowLast(value, _unit(unit), span=self._span(meta))

    def window_since(self, meta, children):
        return n.WindowSince(children[0], span=self._span(meta))

    def window_before(self, meta, children):
        return n.WindowBefore(children[0], span=self._span(meta))

    def window_range(self, meta, children):
        return n.WindowRange(children[0], children[1], span=self._span(meta))

    # ---- operators
    def or_(self, meta, children):
        return self._chain("or", meta, children)

    def and_(self, meta, children):
        return self._chain("and", meta, children)

    @staticmethod
    def _chain(op: str, meta, children) -> _Chain:
        left, right = children
        if isinstance(left, _Chain):  # the same operator: `_call_userfunc` finished any other
            left.operands.append(right)
            left.end = meta.end_pos
            return left
        return _Chain(op, [left, right], meta.start_pos, meta.end_pos)

    def _finish(self, chain: _Chain) -> n.Logic:
        return n.Logic(chain.op, tuple(chain.operands),
                       span=self.source.span(chain.start + self.offset, chain.end + self.offset))

    def not_(self, meta, children):
        return n.Unary("not", children[0], span=self._span(meta))

    def negate(self, meta, children):
        return n.Unary("-", children[0], span=self._span(meta))

    def compare(self, meta, children):
        left, op, right = children
        return n.Binary(str(op), left, right, span=self._span(meta))

    def equals(self, meta, children):
        return n.Binary("=", children[0], children[1], span=self._span(meta))

    def arith(self, meta, children):
        left, op, right = children
        return n.Binary(str(op), left, right, span=self._span(meta))

    def between(self, meta, children):
        return n.Between(*children, span=self._span(meta))

    def in_list(self, meta, children):
        return n.InList(children[0], tuple(children[1:]), False, span=self._span(meta))

    def not_in_list(self, meta, children):
        return n.InList(children[0], tuple(children[1:]), True, span=self._span(meta))

    def contains(self, meta, children):
        return n.TextMatch("contains", *children, span=self._span(meta))

    def starts_with(self, meta, children):
        return n.TextMatch("starts_with", *children, span=self._span(meta))

    def ends_with(self, meta, children):
        return n.TextMatch("ends_with", *children, span=self._span(meta))

    def like(self, meta, children):
        return n.TextMatch("like", *children, span=self._span(meta))

    def is_missing(self, meta, children):
        return n.IsMissing(children[0], False, span=self._span(meta))

    def is_present(self, meta, children):
        return n.IsMissing(children[0], True, span=self._span(meta))

    def is_bucket(self, meta, children):
        return n.IsBucket(children[0], children[1], span=self._span(meta))

    def case(self, meta, children):
        whens = tuple(c for c in children if isinstance(c, tuple))
        rest = [c for c in children if not isinstance(c, tuple)]
        return n.Case(whens, rest[0] if rest else None, span=self._span(meta))

    def case_when(self, meta, children):
        return (children[0], children[1])

    def rank(self, meta, children):
        direction, amount, *rest = children
        percent = bool(rest) and isinstance(rest[0], Token) and rest[0].type == "PERCENT"
        if percent:
            rest = rest[1:]
        by = rest[0]
        among = rest[1] if len(rest) > 1 else None
        literal = self.number(_Position(amount.start_pos, amount.end_pos), [amount])
        return n.Rank(str(direction), literal, percent, by, among, span=self._span(meta))

    def among(self, meta, children):
        return children[0]

    def similarity(self, meta, children):
        seed, *features = children
        return n.Similarity(seed, tuple(features), span=self._span(meta))

    # ---- declarations
    def start(self, meta, children):
        return _Children(children)

    def import_decl(self, meta, children):
        return n.Import(_unquote(children[0]), span=self._span(meta))

    def import_library(self, meta, children):
        package, module = children
        return n.Import(f"{package.text}.{module.text}", library=True, span=self._span(meta))

    def param_decl(self, meta, children):
        return n.Param(children[0], children[1], span=self._span(meta))

    def location(self, meta, children):
        kind, target = children
        return n.Location(str(kind), _unquote(target), span=self._span(meta))

    def locations(self, meta, children):
        return tuple(children)

    def columns(self, meta, children):
        return tuple(children)

    def column(self, meta, children):
        name, type_name, *tags = children
        return n.Column(name, str(type_name), tuple(str(t) for t in tags), span=self._span(meta))

    def entity_decl(self, meta, children):
        name, locations, key, columns = children
        return n.Entity(name, locations, key, columns or (), span=self._span(meta))

    def link_key(self, meta, children):
        return n.KeyLink(children[0], span=self._span(meta))

    def link_through(self, meta, children):
        return n.ThroughLink(children[0], children[1], children[2], span=self._span(meta))

    def time_column(self, meta, children):
        return children[0]

    def events_decl(self, meta, children):
        name, locations, link, time_column, columns = children
        return n.Events(name, locations, link, time_column, columns or (), span=self._span(meta))

    def lookup_decl(self, meta, children):
        name, locations, key, owner, owner_column, columns = children
        return n.Lookup(name, locations, key, owner, owner_column, columns or (),
                        span=self._span(meta))

    def label(self, meta, children):
        return _Label(_unquote(children[0]))

    def feature_decl(self, meta, children):
        name, label, expr, purpose, allow = children
        return n.Feature(name, label.text if label else None, expr,
                         purpose[1] if purpose else None, allow, span=self._span(meta))

    def segment_inline(self, meta, children):
        name, label, expr = children
        return n.Segment(name, label.text if label else None, None, None, (), None, expr, True,
                         span=self._span(meta))

    def segment_block(self, meta, children):
        name, label, extends, *properties = children
        props: dict[str, object] = {}
        expectations = tuple(value for key, value, _ in properties if key == "expect")
        for key, value, span in properties:
            if key == "expect":
                continue
            if key in props:
                self.diagnostics.append(
                    error(Code.E102, f"`{key}` is given twice in segment `{name.text}`", span,
                          "keep one; combine conditions in one `where` with `and`")
                )
                continue
            props[key] = value
        return n.Segment(
            name, label.text if label else None, props.get("description"), props.get("owner"),
            props.get("tags", ()), extends, props.get("where"), False, expectations,
            props.get("purpose"), props.get("allow"), span=self._span(meta),
        )

    def expect(self, meta, children):
        return ("expect", children[0], self._span(meta))

    def expect_size(self, meta, children):
        op, number = children
        return n.Expectation("size", str(op), self.number(_Position(number.start_pos,
                                                                    number.end_pos), [number]),
                             span=self._span(meta))

    def expect_share(self, meta, children):
        op, number, _percent = children
        return n.Expectation("share", str(op), self.number(_Position(number.start_pos,
                                                                     number.end_pos), [number]),
                             span=self._span(meta))

    def expect_overlap(self, meta, children):
        other, op, number, _percent = children
        return n.Expectation("overlap", str(op), self.number(_Position(number.start_pos,
                                                                       number.end_pos), [number]),
                             other, span=self._span(meta))

    def segmentation_decl(self, meta, children):
        name, label, purpose, allow, *rest = children
        scores = tuple(c for c in rest if isinstance(c, n.Score))
        *whens, otherwise = [c for c in rest if isinstance(c, n.Bucket)]
        return n.Segmentation(name, label.text if label else None, tuple(whens), otherwise,
                              scores, purpose=purpose[1] if purpose else None, allow=allow,
                              span=self._span(meta))

    def tiers_decl(self, meta, children):
        name, label, by, better, bins, (method, thresholds), purpose, allow = children
        span = self._span(meta)
        score = n.Score(n.Ident("tier", span=span), by, str(better) == "higher",
                        int(str(bins)), method, thresholds, span=span)
        otherwise = n.Bucket(n.Ident(TIERS_ELSE, span=span), None, None, span=span)
        return n.Segmentation(name, label.text if label else None, (), otherwise, (score,),
                              tiers=True, purpose=purpose[1] if purpose else None,
                              allow=allow, span=span)

    def clusters_decl(self, meta, children):
        name, label, k, *rest = children
        *features, scaling, seed, missing, purpose, allow = rest
        span = self._span(meta)
        if scaling.text not in CLUSTER_SCALINGS:
            raise _LiteralError(error(Code.E002, f"unknown scaling `{scaling.text}`",
                                      scaling.span, "scale by zscore, minmax or none"))
        if missing is not None and missing.text not in CLUSTER_MISSING:
            raise _LiteralError(error(Code.E002, f"unknown missing rule `{missing.text}`",
                                      missing.span, "`missing drop` leaves entities without "
                                      "a value out (bucket no_value); `missing mean` imputes "
                                      "the mean"))
        clusters = n.Clusters(self._int_literal(k), tuple(features), scaling,
                              self._int_literal(seed), missing, span=span)
        otherwise = n.Bucket(n.Ident(TIERS_ELSE, span=span), None, None, span=span)
        return n.Segmentation(name, label.text if label else None, (), otherwise, (),
                              purpose=purpose[1] if purpose else None, allow=allow,
                              clusters=clusters, span=span)

    def _int_literal(self, token) -> n.Literal:
        return self.number(_Position(token.start_pos, token.end_pos), [token])

    def cluster_missing(self, meta, children):
        return children[0]

    def score(self, meta, children):
        name, by, better, bins, (method, thresholds) = children
        return n.Score(name, by, str(better) == "higher", int(str(bins)), method, thresholds,
                       span=self._span(meta))

    def ntile(self, meta, children):
        return ("ntile", ())

    def quantile(self, meta, children):
        return ("quantile", ())

    def thresholds(self, meta, children):
        values = tuple(self.number(_Position(t.start_pos, t.end_pos), [t]) for t in children)
        return ("thresholds", values)

    def bucket(self, meta, children):
        name, label, condition = children
        return n.Bucket(name, label.text if label else None, condition, span=self._span(meta))

    def else_bucket(self, meta, children):
        name, label = children
        return n.Bucket(name, label.text if label else None, None, span=self._span(meta))

    def persona_decl(self, meta, children):
        name, label, segment, *items = children
        fields = tuple(item for item in items if isinstance(item, n.PersonaField))
        clauses: dict[str, n.Purpose | n.Allow] = {}
        for item in items:
            if isinstance(item, n.PersonaField):
                continue
            key = "purpose" if isinstance(item, tuple) else "allow"
            clause = item[1] if isinstance(item, tuple) else item
            if key in clauses:
                self.diagnostics.append(
                    error(Code.E102, f"`{key}` is given twice in persona `{name.text}`",
                          clause.span, f"keep one `{key}`"))
                continue
            clauses[key] = clause
        return n.Persona(name, label.text if label else None, segment, fields,
                         clauses.get("purpose"), clauses.get("allow"), span=self._span(meta))

    def persona_value(self, meta, children):
        return n.PersonaField(children[0], children[1], span=self._span(meta))

    def persona_signed(self, meta, children):
        # `income -5`: the sign is ADD_OP, so that a name followed by `-` stays an
        # expression's subtraction wherever the parser cannot yet tell the two apart
        name, sign, number = children
        literal = self.number(_Position(number.start_pos, number.end_pos), [number])
        value = literal.value if str(sign) == "+" else -literal.value
        return n.PersonaField(name, n.Literal(value, "number", span=literal.span),
                              span=self._span(meta))

    def persona_list(self, meta, children):
        name, *items = children
        return n.PersonaField(name, tuple(_unquote(t) for t in items), span=self._span(meta))

    def experiment_decl(self, meta, children):
        name, label, segment, salt, *arms = children
        return n.Experiment(name, label.text if label else None, segment,
                            self.string(_Position(salt.start_pos, salt.end_pos), [salt]),
                            tuple(arms), span=self._span(meta))

    def arm(self, meta, children):
        name, number, _percent = children
        share = self.number(_Position(number.start_pos, number.end_pos), [number])
        return n.Arm(name, share, span=self._span(meta))

    def holdout_decl(self, meta, children):
        number, _percent, salt = children
        return n.Holdout(self.number(_Position(number.start_pos, number.end_pos), [number]),
                         self.string(_Position(salt.start_pos, salt.end_pos), [salt]),
                         span=self._span(meta))

    def export_decl(self, meta, children):
        name, segment, *clauses = children
        return n.Export(name, segment, tuple(clauses), span=self._span(meta))

    def export_traits(self, meta, children):
        return n.ExportClause("traits", tuple(children), span=self._span(meta))

    def export_consent(self, meta, children):
        tag, column = children
        return n.ExportClause("consent", (column,), tag=str(tag), span=self._span(meta))

    def export_purpose(self, meta, children):
        return n.ExportClause("purpose", text=_unquote(children[0]), span=self._span(meta))

    def export_channel(self, meta, children):
        return n.ExportClause("channel", text=_unquote(children[0]), span=self._span(meta))

    def export_target(self, meta, children):
        kind, target = children
        return n.ExportClause("target", text=_unquote(target), format=str(kind),
                              span=self._span(meta))

    def export_jsonl(self, meta, children):
        return n.ExportClause("target", text=_unquote(children[0]), format="jsonl",
                              span=self._span(meta))

    def suppression_decl(self, meta, children):
        locations, key = children
        return n.Suppression(tuple(locations), key, span=self._span(meta))

    def kpi_decl(self, meta, children):
        name, label, expr, display, purpose, allow = children
        return n.Kpi(name, label.text if label else None, expr,
                     purpose[1] if purpose else None, allow, display, span=self._span(meta))

    def format_percent(self, meta, children):
        return "percent"

    def format_currency(self, meta, children):
        return "currency"

    def format_number(self, meta, children):
        return "number"

    def test_decl(self, meta, children):
        name, *items = children
        as_of = next((value for kind, value in items if kind == "as_of"), None)
        rows = tuple(value for kind, value in items if kind == "rows")
        expects = tuple(value for kind, value in items if kind == "expect")
        return n.Test(name, as_of, rows, expects, span=self._span(meta))

    def test_as_of(self, meta, children):
        literal = self.date_literal(meta, children)
        problem = as_of_problem(literal.value)
        if problem:
            raise _LiteralError(error(Code.E002, problem, literal.span,
                                      "an evaluation date lies in the years 1001 to 8998"))
        return ("as_of", literal)

    def test_rows(self, meta, children):
        table, *rest = children
        columns = tuple(c for c in rest if isinstance(c, n.Ident))
        rows = tuple(c for c in rest if isinstance(c, _Row))
        return ("rows", n.TestRows(table, columns, tuple(r.values for r in rows),
                                   span=self._span(meta)))

    def test_row(self, meta, children):
        return _Row(children[0])

    def test_values(self, meta, children):
        return tuple(children)

    def missing_value(self, meta, children):
        return _MISSING

    def negative_number(self, meta, children):
        literal = self.number(meta, children)
        return n.Literal(-literal.value, "number", span=literal.span)

    def test_expect(self, meta, children):
        segment, *middle, keys = children  # `[ "." name ]` leaves placeholders when absent
        bucket = next((c for c in middle if isinstance(c, n.Ident)), None)
        if any(key is _MISSING for key in keys or ()):
            raise _LiteralError(error(Code.E002, "an expected member is a key, not `missing`",
                                      self._span(meta), "list the keys of the members"))
        return ("expect", n.TestExpect(segment, bucket, tuple(keys or ()), span=self._span(meta)))

    def extends(self, meta, children):
        return children[0]

    def description(self, meta, children):
        return ("description", _unquote(children[0]), self._span(meta))

    def owner(self, meta, children):
        return ("owner", _unquote(children[0]), self._span(meta))

    def purpose(self, meta, children):
        span = self._span(meta)
        return ("purpose", n.Purpose(_unquote(children[0]), span=span), span)

    purpose_clause = purpose

    def allow_clause(self, meta, children):
        return n.Allow(tuple(children), span=self._span(meta))

    def allow_property(self, meta, children):
        return ("allow", children[0], self._span(meta))

    def tags(self, meta, children):
        return ("tags", tuple(_unquote(t) for t in children), self._span(meta))

    def where(self, meta, children):
        return ("where", children[0], self._span(meta))


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
