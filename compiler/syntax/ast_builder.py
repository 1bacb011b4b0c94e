"""The Lark tree -> AST nodes: positions, names, literals and expressions (the
declarations' rules are mixed in from build_declarations.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from lark import Token
from lark.visitors import Transformer_NonRecursive

from ..codes import Code
from ..diagnostics import Diagnostic, error
from ..source import SourceFile
from . import nodes as n
from .build_declarations import DeclarationBuilder
from .limits import duration_problem, number_problem
from .names import name_problem
from .rule_values import _Filter, _LiteralError, _Position, _unit, _unquote

# Terminals whose text the AST needs; every other token is punctuation or a keyword, kept by
# the parser only for its position.
_MEANINGFUL_TERMINALS = frozenset({
    "NAME", "QUOTED_NAME", "STRING", "NUMBER", "INT", "DATE", "TIMESTAMP", "COMPARE_OP",
    "ADD_OP", "MUL_OP", "TYPE_NAME", "COLUMN_TAG", "LOCATION_KIND", "RANK_DIRECTION",
    "PERCENT", "IN_LAST", "IN_THIS", "IN_PREVIOUS", "IN_EACH_LAST", "TIME_UNIT", "DISTINCT",
    "BETTER",
})


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


class AstBuilder(DeclarationBuilder, Transformer_NonRecursive):
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
        function, distinct, args, filter_, sequence = children
        return n.Call(function, tuple(args or ()), distinct is not None,
                      filter_.expr if filter_ else None, sequence, span=self._span(meta))

    def _sequence_step(self, kind, meta, children):
        table, filter_, within = children
        return n.SequenceStep(kind, table, filter_.expr if filter_ else None, within,
                              span=self._span(meta))

    def then_step(self, meta, children):
        return self._sequence_step(n.StepKind.THEN, meta, children)

    def then_no_step(self, meta, children):
        return self._sequence_step(n.StepKind.THEN_NO, meta, children)

    def then_first_step(self, meta, children):
        return self._sequence_step(n.StepKind.THEN_FIRST, meta, children)

    def within(self, meta, children):
        return self.window_last(meta, [None, *children])

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

    def window_last_period(self, meta, children):
        return n.WindowPeriod(_period(children[1]), 1, span=self._span(meta))

    def window_this_period(self, meta, children):
        return n.WindowPeriod(_period(children[1]), 0, span=self._span(meta))

    def window_previous(self, meta, children):
        _, amount, unit = children
        self._check_duration(int(str(amount)), _unit(unit), meta)
        return n.WindowPrevious(int(str(amount)), _unit(unit), span=self._span(meta))

    def window_each(self, meta, children):
        _, amount, unit = children
        return n.WindowEach(int(str(amount)), _period(unit), span=self._span(meta))

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
        seed, bucket, *features = children
        return n.Similarity(seed, tuple(features), bucket, span=self._span(meta))


def _period(unit) -> str:
    """A calendar window's unit as written (a time unit or a name: `quarter`), singular;
    the resolver says which are calendar periods."""
    text = unit.text if isinstance(unit, n.Ident) else str(unit)
    return text[:-1] if text.endswith("s") else text
