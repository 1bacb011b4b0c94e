"""What no engine can hold is refused at its position, with a code and a hint, never a crash
inside an engine: control characters in a name, NUL in text, names that differ only in
case, names an engine would cut to the same bytes (PostgreSQL), dotted names where a dot
splits a quoted name (BigQuery). And the SQL header's escaping (comment_text) on any text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from segl.compiler.api import compile_source, to_sql
from segl.compiler.backends.sql.text import comment_text
from segl.compiler.diagnostics import CompileError
from segl.compiler.source import SourceFile

from tests.parser.test_errors import HEAD  # lines 1-11: entity customer, events orders

# (source from line 12, code, "line:col", message, hint)
CASES = [
    ("segment `a\tb` = city = \"x\"", "E002", "12:9",
     "the name holds the control character U+0009",
     "a backquoted name holds printable characters only"),
    ("segment `a\x00b` = city = \"x\"", "E002", "12:9", "the name holds a NUL byte",
     "a backquoted name holds printable characters only"),
    ("segment ok = `\x1b[31m` > 1", "E002", "12:14",
     "the name holds the control character U+001B",
     "a backquoted name holds printable characters only"),
    ("segment `   ` = city = \"x\"", "E002", "12:9", "a name cannot be only spaces",
     "a backquoted name holds printable characters only"),
    ('segment a = city = "x\x00y"', "E002", "12:20", "a string holds a NUL byte",
     "remove it; text values cannot hold NUL"),
    ('segment Loyal = city = "x"\nsegment `loyal` = city = "y"', "E102", "13:9",
     "`loyal` and the segment `Loyal` differ only in case",
     "every entity, table, parameter, feature and segment needs its own name; SQL engines "
     "do not tell names apart by case"),
    ('segment `Zoë` = city = "x"\nfeature `ZOË` = 1', "E102", "13:9",
     "`ZOË` and the segment `Zoë` differ only in case", None),
    ("feature City = 1", "E105", "12:9",
     "`City` differs only in case from `city`, a column of `customer`", None),
    ("param Orders = 3", "E102", "12:7", "`Orders` and the events `orders` differ only in case",
     None),
    ("feature orders__m1 = 1", "E105", "12:9",
     "`orders__m1` is a name segl gives one of its own columns", None),
    ('segment _rank_1 = city = "x"', "E105", "12:9",
     "`_rank_1` is a name segl gives one of its own columns", None),
    ("kpi segl_members = count(orders)", "E105", "12:5",
     "`segl_members` is a name segl gives one of its own columns", None),
]


@pytest.mark.parametrize("source,code,position,message,hint", CASES,
                         ids=[repr(c[0][:30]) for c in CASES])
def test_refused_at_its_position(source, code, position, message, hint):
    compilation = compile_source(SourceFile("t.seg", HEAD + source + "\n"))
    assert not compilation.ok
    first = compilation.errors[0]
    assert (first.code, f"{first.span.line}:{first.span.column}", first.message) == (
        code, position, message)
    if hint is not None:
        assert hint in first.hints
    assert first.render().startswith(f"t.seg:{position}: error[{code}]: {message}\n")


# A table location for each source, so that every dialect can read them (line 1 to 4).
WAREHOUSE = """\
entity customer from csv "c.csv", table "s.customers" key id {
  id int
  city text
}
"""


def _compiled(source: str):
    compilation = compile_source(SourceFile("t.seg", WAREHOUSE + source + "\n"))
    assert compilation.ok, [d.render() for d in compilation.diagnostics]
    return compilation


def test_names_postgres_would_cut_to_one_are_refused_for_postgres_only():
    long = "x" * 70
    compilation = _compiled(f'segment `{long}1` = city = "a"\nsegment `{long}2` = city = "b"')
    with pytest.raises(CompileError) as refused:
        to_sql(compilation, "postgres", "2026-06-30")
    (diagnostic,) = refused.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line) == ("E301", 6)
    assert "keeps the first 63 bytes of a name" in diagnostic.message
    for dialect in ("duckdb", "snowflake", "sqlite"):
        assert f"{long}2" in to_sql(compilation, dialect, "2026-06-30")
    # one long name alone is cut the same way wherever it is written: it works
    to_sql(_compiled(f'segment `{long}` = city = "a"'), "postgres", "2026-06-30")


def test_a_dotted_name_is_refused_for_bigquery_only():
    compilation = _compiled('segment `a.b` = city = "x"')
    with pytest.raises(CompileError) as refused:
        to_sql(compilation, "bigquery", "2026-06-30")
    (diagnostic,) = refused.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.hints) == (
        "E301", 5, ("rename it without a dot",))
    assert '"a.b"' in to_sql(compilation, "postgres", "2026-06-30")


def test_like_patterns_mean_the_same_in_every_dialect():
    """segl's `like` has no escape character (as DuckDB): where a dialect's LIKE escapes
    with a backslash it is doubled; T-SQL's character class bracket is escaped."""
    compilation = _compiled('segment a = city like "a\\\\b[c]%"')  # the text a\b[c]%
    assert "LIKE 'a\\b[c]%'" in to_sql(compilation, "duckdb", "2026-06-30")
    assert "LIKE 'a\\\\b[c]%'" in to_sql(compilation, "postgres", "2026-06-30")
    assert "LIKE 'a\\b[[]c]%'" in to_sql(compilation, "tsql", "2026-06-30")
    column = _compiled("segment a = city like city")
    assert "LIKE REPLACE(city, '\\', '\\\\')" in to_sql(column, "postgres", "2026-06-30")


@given(st.text())
def test_comment_text_stays_on_one_comment_line(value):
    text = comment_text(value)
    assert len(f"-- {text}".splitlines()) == 1 and "*/" not in text
    assert text.isprintable()
    if value.isprintable() and "\\" not in value and "*/" not in value:
        assert text == value


@given(st.text(), st.text())
def test_comment_text_keeps_different_values_apart(first, second):
    if first != second:
        assert comment_text(first) != comment_text(second)
