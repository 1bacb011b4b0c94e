"""`segl fmt`'s expressions: names, literals, operators by binding strength, windows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from . import nodes as n
from .lexicon import comments as comments
from .lexicon import spell_name

INDENT = "  "
CONTINUATION = "    "  # `and` / `or` lines of a split condition

# Binding strength, loosest first; an operand printed where a stronger one is needed gets
# parentheses.
OR, AND, NOT, PREDICATE, SUM, PRODUCT, NEGATE, WINDOWED, ATOM = range(1, 10)
_BINARY_LEVEL = {"or": OR, "and": AND, "=": PREDICATE, "!=": PREDICATE, "<": PREDICATE,
                 "<=": PREDICATE, ">": PREDICATE, ">=": PREDICATE, "+": SUM, "-": SUM,
                 "*": PRODUCT, "/": PRODUCT}
_TEXT_MATCH = {"contains": "contains", "starts_with": "starts with", "ends_with": "ends with",
               "like": "like"}


# ---------------------------------------------------------------- names and literals


# Keywords that are also aggregates: `last` is a keyword only inside `in last`, `first` only
# after a sequence's `then`; before `(` each is always the aggregate, so `last(…)` and
# `first(…)` need no backquotes.
_CALLABLE_WORDS = frozenset({"last", "first"})


def name(ident: n.Ident | str) -> str:
    return spell_name(ident.text if isinstance(ident, n.Ident) else ident)


def string(value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\t", "\\t"))
    return f'"{escaped}"'


def literal(node: n.Literal) -> str:
    value = node.value
    if node.kind == "string":
        return string(str(value))
    if node.kind == "bool":
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")  # as written: str() gives `1E-24`, which does not parse
    return str(value)


def _unit(amount: int | n.Ident, unit: str) -> str:
    return unit if amount == 1 else unit + "s"


# ---------------------------------------------------------------- expressions


def level(node: n.Expr) -> int:
    if isinstance(node, n.Logic):
        return _BINARY_LEVEL[node.op]
    if isinstance(node, n.Binary):
        return _BINARY_LEVEL[node.op]
    if isinstance(node, n.Unary):
        return NOT if node.op == "not" else NEGATE
    if isinstance(node, n.Between | n.InList | n.TextMatch | n.IsMissing | n.IsBucket | n.Rank):
        return PREDICATE
    if isinstance(node, n.Windowed):
        return WINDOWED
    return ATOM


def expr(node: n.Expr, at_least: int = OR) -> str:
    """`node` as text, in parentheses if it binds less tightly than `at_least`."""
    text = _expr(node)
    return f"({text})" if level(node) < at_least else text


def _expr(node: n.Expr) -> str:
    match node:
        case n.Logic(op=op, operands=operands):
            # every operand binds tighter than the chain: a parenthesised chain keeps its
            # parentheses, and `and` inside `or` keeps them too: `(a and b) or c`
            return f" {op} ".join(expr(operand, NOT) for operand in operands)
        case n.Binary(op=op, left=left, right=right):
            own = _BINARY_LEVEL[op]
            if own == PREDICATE:
                return f"{expr(left, SUM)} {op} {expr(right, SUM)}"
            return f"{expr(left, own)} {op} {expr(right, own + 1)}"
        case n.Unary(op="not", operand=operand):
            return f"not {expr(operand, NOT)}"
        case n.Unary(operand=operand):
            return f"-{expr(operand, NEGATE)}"
        case n.Between(value=value, low=low, high=high):
            return f"{expr(value, SUM)} between {expr(low, SUM)} and {expr(high, SUM)}"
        case n.InList(value=value, items=items, negated=negated):
            listed = ", ".join(expr(item) for item in items)
            return f"{expr(value, SUM)} {'not in' if negated else 'in'} ({listed})"
        case n.TextMatch(op=op, value=value, pattern=pattern):
            return f"{expr(value, SUM)} {_TEXT_MATCH[op]} {expr(pattern, SUM)}"
        case n.IsMissing(value=value, negated=negated):
            return f"{expr(value, SUM)} is {'present' if negated else 'missing'}"
        case n.IsBucket(value=value, bucket=bucket):
            return f"{expr(value, SUM)} is {name(bucket)}"
        case n.Rank(direction=direction, amount=amount, percent=percent, by=by, among=among):
            text = f"{direction} {literal(amount)}{'%' if percent else ''} by {expr(by, SUM)}"
            return text + (f" among {expr(among, NOT)}" if among is not None else "")
        case n.Windowed(call=call, window=window):
            return f"{_expr(call)} {_window(window)}"
        case n.Similarity(seed=seed, features=features, bucket=bucket):
            listed = ", ".join(expr(f, SUM) for f in features)
            of = f" is {name(bucket)}" if bucket is not None else ""
            return f"similarity to {name(seed)}{of} on ({listed})"
        case n.Literal():
            return literal(node)
        case n.Duration(amount=amount, unit=unit):
            return f"{amount} {_unit(amount, unit)}"
        case n.NameRef(name=ident):
            return name(ident)
        case n.QualifiedRef(table=table, column=column):
            return f"{name(table)}.{name(column)}"
        case n.AsOfRef():
            return "as_of"
        case n.Call(function=function, args=args, distinct=distinct, filter=filter_):
            parts = ["distinct"] if distinct else []
            if args:
                parts.append(", ".join(expr(arg) for arg in args))
            if filter_ is not None:
                parts.append(f"where {expr(filter_)}")
            if node.sequence is not None:
                parts.append(_sequence_step(node.sequence))
            shown = function.text if function.text in _CALLABLE_WORDS else name(function)
            return f"{shown}({' '.join(parts)})"
        case n.Case(whens=whens, otherwise=otherwise):
            parts = ["case", *(f"when {expr(c)} then {expr(v)}" for c, v in whens)]
            if otherwise is not None:
                parts.append(f"else {expr(otherwise)}")
            return " ".join([*parts, "end"])
    raise TypeError(f"cannot format {type(node).__name__}")


def _sequence_step(node: n.SequenceStep) -> str:
    words = node.kind.value
    parts = [f"{words} {name(node.table)}"]
    if node.filter is not None:
        parts.append(f"where {expr(node.filter)}")
    if node.within is not None:
        parts.append("within " + _window(node.within).removeprefix("in last "))
    return " ".join(parts)


def _expectation(node: n.Expectation) -> str:
    if node.kind == "size":
        return f"size {node.op} {literal(node.value)}"
    if node.kind == "share":
        return f"share {node.op} {literal(node.value)}%"
    return f"overlap with {name(node.other)} {node.op} {literal(node.value)}%"


def _date_value(node: n.Literal | n.NameRef) -> str:
    return literal(node) if isinstance(node, n.Literal) else name(node.name)


def _window(window: n.Window) -> str:
    match window:
        case n.WindowLast(amount=amount, unit=unit):
            shown = name(amount) if isinstance(amount, n.Ident) else str(amount)
            return f"in last {shown} {_unit(amount, unit)}"
        case n.WindowSince(start=start):
            return f"since {_date_value(start)}"
        case n.WindowBefore(end=end):
            return f"before {_date_value(end)}"
        case n.WindowRange(start=start, end=end):
            return f"from {_date_value(start)} to {_date_value(end)}"
        case n.WindowPeriod(unit=unit, back=back):
            return f"in {'this' if back == 0 else 'last'} {unit}"
        case n.WindowPrevious(amount=amount, unit=unit):
            return f"in previous {amount} {_unit(amount, unit)}"
        case n.WindowEach(amount=amount, unit=unit):
            return f"in each of the last {amount} {unit}" + ("" if amount == 1 else "s")
    raise TypeError(f"cannot format {type(window).__name__}")


def chain(node: n.Expr) -> tuple[str, list[n.Expr]] | None:
    """A top-level `a and b and c` (or `or`) as its operator and operands, else None."""
    if not isinstance(node, n.Logic):
        return None
    return node.op, list(node.operands)
