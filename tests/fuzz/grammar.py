"""Files generated from `grammar/seg.lark` by hypothesis (`hypothesis.extra.lark`).

Lark's terminals are drawn as the grammar defines them, with a space around each (the grammar
ignores whitespace but needs it between words: `from csv`, not `fromcsv`), so what is drawn
parses by construction; the resolver, type checker and later stages then see every construct
of the language in unusual combinations, with names, strings and numbers of any shape.
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark
from lark.lexer import PatternStr
from segl.grammar import grammar_text

# Every generated file starts with these sources, and names are mostly drawn from what they
# (and the generated declarations) define, so that the resolver, type checker, planner and
# backends see generated expressions, not only "unknown name" errors.
HEADER = """\
entity customer from csv "data/customers.csv", table "crm.customers" key customer_id {
  customer_id int
  age int
  city text
  email text pii
  birth_date date sensitive
  opted_in bool consent
}
events orders from csv "data/orders.csv", table "crm.orders" key customer_id at ordered_at {
  customer_id int
  ordered_at timestamp
  amount decimal
  status text
}
"""
NAMES = ("customer", "orders", "customer_id", "age", "city", "email", "birth_date",
         "opted_in", "ordered_at", "amount", "status", "f", "g", "s", "t", "count", "sum",
         "avg", "min", "max", "days_since", "coalesce", "abs", "std", "rfm", "r", "x")

# Terminals whose regex would draw text that is legal but useless (or slow) to fuzz with.
_SHAPES = {
    "NAME": st.one_of(st.sampled_from(NAMES), st.sampled_from(NAMES),
                      st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)),
    "NUMBER": st.one_of(st.integers(0, 10**6).map(str), st.sampled_from(
        ["0", "1", "7", "100", "2.5", "0.001", "99999999", "9223372036854775807",
         "9223372036854775808", "1" * 40, "3.14159265358979323846264338327950288419"])),
    "INT": st.one_of(st.integers(0, 1000).map(str), st.sampled_from(
        ["0", "1", "365", "99999999", "365242", "365243"])),
    "DATE": st.sampled_from(["2026-06-30", "2024-02-29", "2023-02-30", "0001-01-01",
                             "9999-12-31", "1000-01-01", "0000-00-00", "2026-13-01"]),
    "TIMESTAMP": st.sampled_from(["2026-06-30T10:00", "2026-06-30 23:59:59",
                                  "9999-12-31T23:59:59", "2026-02-30T10:00"]),
    "COMMENT": st.text(st.characters(exclude_characters="\n"), max_size=20).map(
        lambda text: "#" + text + "\n"),
}


@cache
def _parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", keep_all_tokens=True)


def seg_files() -> st.SearchStrategy[str]:
    parser = _parser()
    explicit = {}
    for terminal in parser.terminals:
        if terminal.name in _SHAPES:
            drawn = _SHAPES[terminal.name]
        elif isinstance(terminal.pattern, PatternStr):
            drawn = st.just(terminal.pattern.value)
        else:
            drawn = st.from_regex(terminal.pattern.to_regexp(), fullmatch=True)
        explicit[terminal.name] = drawn.map(lambda text: f" {text} ")
    return from_lark(parser, explicit=explicit)
