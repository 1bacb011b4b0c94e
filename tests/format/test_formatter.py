"""`segl fmt`: canonical output, idempotent, the same AST, no comment lost."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from segl.compiler.diagnostics import CompileError
from segl.compiler.source import SourceFile
from segl.compiler.syntax.format_declarations import KNOWN
from segl.compiler.syntax.formatter import comments, format_source
from segl.compiler.syntax.parser import parse_source
from segl.runtime.cli import main

from tests.conftest import EXAMPLES

# Strings, backquoted names, comments, words (with dots, dashes: dates), two-char operators.
LEXEME = re.compile(r'"(?:\\.|[^"\\\n])*"|`[^`\n]+`|#[^\n]*|[\w.:-]+|[<>!]=|\S')


def declarations(text: str):
    result = parse_source(SourceFile("<test>", text))
    assert not [d for d in result.diagnostics if d.is_error], text
    return result.module.declarations


def assert_well_formatted(text: str) -> str:
    formatted = format_source(text)
    assert format_source(formatted) == formatted, "not idempotent"
    assert declarations(formatted) == declarations(text), "AST changed"
    for _, comment in comments(text):
        assert comment in formatted, f"lost {comment!r}"
    return formatted


# ---------------------------------------------------------------- the examples


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_examples_are_canonical(path):
    text = path.read_text(encoding="utf-8")
    assert assert_well_formatted(text) == text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_messed_up_examples_come_back(path):
    """Respace every line of an example (tokens three spaces apart, indented oddly, blank
    lines doubled): formatting gives the example back."""
    text = path.read_text(encoding="utf-8")
    source = SourceFile(str(path), text)
    as_written = {line for d in declarations(text) if not isinstance(d, KNOWN)
                  for line in range(d.span.line, d.span.end_line + 1)}
    messy = []
    for number, line in enumerate(text.splitlines()):
        if number + 1 in as_written:  # a declaration the formatter prints as written
            messy.append(source.line_text(number + 1))
            continue
        tokens = [m.group() for m in LEXEME.finditer(line)]
        messy.append(" " * (number % 3) + "   ".join(tokens) + ("\n" if not line else ""))
    assert assert_well_formatted("\n".join(messy) + "\n\n") == text


# ---------------------------------------------------------------- exact outputs

CASES = [
    # spacing, quotes and numbers
    ("param   n=4", "param n = 4\n"),
    ("param d = 2025-01-02 param t = 2025-01-02 10:30", "param d = 2025-01-02\n"
     "param t = 2025-01-02T10:30:00\n"),
    ('param s = "a\\"b\\\\c\\nd\\te"', 'param s = "a\\"b\\\\c\\nd\\te"\n'),
    ("feature x = 1.50 + 007", "feature x = 1.50 + 7\n"),
    ('import   "a.seg"\nparam x = true', 'import "a.seg"\n\nparam x = true\n'),
    # parentheses: removed when not needed, kept when needed, never changing the meaning
    ("segment s = ((a and b))", "segment s = a and b\n"),
    ("segment s = (a or b) and c", "segment s = (a or b) and c\n"),
    # `and` inside `or` keeps (or gains) parentheses, so a reader need not recall precedence
    ("segment s = a or (b and c)", "segment s = a or (b and c)\n"),
    ("segment s = a and b or c", "segment s = (a and b) or c\n"),
    ("segment s = a or (b or c)", "segment s = a or (b or c)\n"),
    ("segment s = not (a and b)", "segment s = not (a and b)\n"),
    ("segment s = not (x = 1)", "segment s = not x = 1\n"),
    ("feature f = (a - b) - (c - d)", "feature f = a - b - (c - d)\n"),
    ("feature f = (a + b) * -(c)", "feature f = (a + b) * -c\n"),
    ("feature f = -(a * b)", "feature f = -(a * b)\n"),
    ("segment s = (a + 1) > (b)", "segment s = a + 1 > b\n"),
    ("segment s = (a = b) = c", "segment s = (a = b) = c\n"),
    ("segment s = x between (1) and (2 + 3)", "segment s = x between 1 and 2 + 3\n"),
    ("segment s = top 10 % by (a + b) among (x and y)",
     "segment s = top 10% by a + b among (x and y)\n"),
    ("segment s = x not in ( 1,2 ,3 )", "segment s = x not in (1, 2, 3)\n"),
    ('segment s = city starts   with "A" and email is  present',
     'segment s = city starts with "A" and email is present\n'),
    ("feature f = count( distinct orders.sku where (a) )  in  last 1 months",
     "feature f = count(distinct orders.sku where a) in last 1 month\n"),
    ("feature f = count(orders) in last 2 day", "feature f = count(orders) in last 2 days\n"),
    ("feature f = count(orders) from 2025-01-01 to d",
     "feature f = count(orders) from 2025-01-01 to d\n"),
    ("feature f = as_of - 1 days", "feature f = as_of - 1 day\n"),
    ("feature f = case when a then 1 when b then 2 else 3 end",
     "feature f = case when a then 1 when b then 2 else 3 end\n"),
    # names that are keywords or not plain identifiers
    ("segment `segment` = `date` and `first name` and `top`",
     "segment `segment` = `date` and `first name` and `top`\n"),
    ("segment `plain` = `x`", "segment plain = x\n"),
    # sources
    ('entity c from parquet "c.parquet" ,table "t" key id { id int   email text pii sensitive }',
     'entity c from parquet "c.parquet", table "t" key id {\n  id int\n'
     "  email text pii sensitive\n}\n"),
    ('events o from csv "o.csv" through orders on order_id = id {}',
     'events o from csv "o.csv" through orders on order_id = id\n'),
    ('lookup n from table "n" key k for customer.nk { k int }',
     'lookup n from table "n" key k for customer.nk {\n  k int\n}\n'),
    # segment blocks: property order, one condition per line
    ('segment s "S" extends t { where a and b or c tags ("x","y") owner "o" description "d" }',
     'segment s "S" extends t {\n  description "d"\n  owner "o"\n  tags ("x", "y")\n'
     "  where (a and b)\n    or c\n}\n"),
    ("segment s { where (a or b) and c and not d }",
     "segment s {\n  where (a or b)\n    and c\n    and not d\n}\n"),
    ("segment s {}", "segment s {\n}\n"),
    # purpose (why personal data is used) and the consent tag
    ('segment s { where a purpose "p" owner "o" }',
     'segment s {\n  owner "o"\n  purpose "p"\n  where a\n}\n'),
    ('kpi k = avg(age)   purpose "planning"', 'kpi k = avg(age)\n  purpose "planning"\n'),
    ('segmentation g { purpose "p" a when x else b }',
     'segmentation g {\n  purpose "p"\n  a when x\n  else b\n}\n'),
    ("segmentation t = tiers by x higher is better into 3 ntile purpose \"p\"",
     'segmentation t = tiers by x higher is better into 3 ntile\n  purpose "p"\n'),
    ('entity c from csv "c" key id { ok bool consent }',
     'entity c from csv "c" key id {\n  ok bool consent\n}\n'),
    # allow (which personal data outputs may carry): one line after the purpose
    ('segment s { allow (email,`area`.region) where a purpose "p" }',
     'segment s {\n  purpose "p"\n  allow (email, area.region)\n  where a\n}\n'),
    ('kpi k = avg(age) purpose "p" allow ( birth_date )',
     'kpi k = avg(age)\n  purpose "p"\n  allow (birth_date)\n'),
    ('segmentation g { purpose "p" allow (x) a when x else b }',
     'segmentation g {\n  purpose "p"\n  allow (x)\n  a when x\n  else b\n}\n'),
    ("segmentation t = tiers by x higher is better into 3 ntile purpose \"p\" allow (x)",
     'segmentation t = tiers by x higher is better into 3 ntile\n  purpose "p"\n'
     "  allow (x)\n"),
    ('persona p for s { city "A" description "d" purpose "p" allow (`allow`) }',
     'persona p for s {\n  purpose "p"\n  allow (`allow`)\n  city "A"\n  description "d"\n}\n'),
    # blank lines: at most one kept; one between kinds; none at the ends
    ("\n\nparam a = 1\n\n\n\nparam b = 2\nparam c = 3\nfeature f = a\n\n\n",
     "param a = 1\n\nparam b = 2\nparam c = 3\n\nfeature f = a\n"),
    # comments
    ("# top\n\n\n# about a\nparam a = 1 # trailing\n# end", "# top\n\n# about a\n"
     "param a = 1  # trailing\n# end\n"),
    ("entity c from csv \"c\" key id {  # head\n    id int # the id\n\n  # before x\n"
     "x text\n  # last\n}   # closed",
     'entity c from csv "c" key id {  # head\n  id int  # the id\n  # before x\n  x text\n'
     "  # last\n}  # closed\n"),
    ("segment s {\n  where a  # first\n  # about b\n  and b # second\n  owner \"o\" # who\n}",
     'segment s {\n  owner "o"  # who\n  where a  # first\n    # about b\n'
     "    and b  # second\n}\n"),
    ("feature f = a +  # one\n  # two\n  b  # three",
     "# two\nfeature f = a + b  # one  # three\n"),
    ('param s = "# not a comment"  # a comment', 'param s = "# not a comment"  # a comment\n'),
    ("# only a comment", "# only a comment\n"),
    ("", ""),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_canonical_output(source, expected):
    assert assert_well_formatted(source) == expected


def test_long_inline_condition_is_split():
    text = "segment s = " + " and ".join(f"condition_{i} >= {i}" for i in range(8))
    formatted = assert_well_formatted(text)
    assert formatted.splitlines()[:2] == ["segment s = condition_0 >= 0",
                                         "    and condition_1 >= 1"]
    assert len(formatted.splitlines()) == 8
    assert format_source(text, line_length=200) == text + "\n"


def test_syntax_errors_are_not_formatted():
    with pytest.raises(CompileError) as caught:
        format_source("segment s = a ==  b\nparam x = 1\n", "bad.seg")
    assert caught.value.diagnostics[0].code == "E001"
    assert "bad.seg:1:" in caught.value.diagnostics[0].render()


# ---------------------------------------------------------------- generated expressions

NAMES = st.sampled_from(["a", "b", "spend", "orders.amount", "`date`", "`top`", "as_of"])
ATOMS = st.one_of(
    NAMES, st.integers(0, 1000).map(str), st.sampled_from(["1.5", "0.25", "2025-01-31",
                                                           "true", '"x \\"y\\""', "30 days"]),
)


def _combine(children):
    binary = st.tuples(children, st.sampled_from(["and", "or", "=", "!=", "<", ">=", "+", "-",
                                                  "*", "/"]), children)
    return st.one_of(
        binary.map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"not {c}"),
        children.map(lambda c: f"-{c}"),
        st.tuples(children, children, children).map(lambda t: f"{t[0]} between {t[1]} and {t[2]}"),
        st.tuples(children, st.lists(children, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]} in ({', '.join(t[1])})"),
        children.map(lambda c: f"{c} is missing"),
        children.map(lambda c: f'{c} starts with "x"'),
        children.map(lambda c: f"count(orders where {c}) in last 30 days"),
        st.tuples(children, children).map(lambda t: f"top 5% by {t[0]} among {t[1]}"),
        st.tuples(children, children).map(lambda t: f"case when {t[0]} then {t[1]} end"),
    )


EXPRESSIONS = st.recursive(ATOMS, _combine, max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS, st.booleans())
def test_generated_expressions(text, block):
    source = f"segment s {{\n where {text}\n}}\n" if block else f"feature f = {text}\n"
    result = parse_source(SourceFile("<gen>", source))
    assume(not result.diagnostics)
    assert_well_formatted(source)


@settings(max_examples=100, deadline=None)
@given(EXPRESSIONS, st.lists(st.sampled_from(["\n", " ", "  # c1\n", "\n# c2\n"]),
                             min_size=1, max_size=3))
def test_generated_comments_survive(text, breaks):
    words = text.split(" ")
    assume(len(words) > 1)
    pieces = []
    for index, word in enumerate(words):
        pieces.append(word)
        pieces.append(breaks[index % len(breaks)] if not word.startswith('"') else " ")
    source = "feature f = " + "".join(pieces) + "\n"
    result = parse_source(SourceFile("<gen>", source))
    assume(not result.diagnostics)
    assert_well_formatted(source)


# ---------------------------------------------------------------- the command

UGLY = "param  a=1\nsegment s = (a)\n"
PRETTY = "param a = 1\n\nsegment s = a\n"


def segl(*args, input=None):
    return CliRunner().invoke(main, ["fmt", *args], input=input, catch_exceptions=False)


def test_fmt_rewrites_in_place(tmp_path):
    ugly, pretty = tmp_path / "ugly.seg", tmp_path / "sub" / "pretty.seg"
    pretty.parent.mkdir()
    ugly.write_text(UGLY)
    pretty.write_text(PRETTY)
    ugly.chmod(0o640)
    result = segl(str(tmp_path))
    assert result.exit_code == 0
    assert result.output == f"reformatted {ugly}\n"
    assert ugly.read_text() == PRETTY
    assert ugly.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert segl(str(tmp_path)).output == ""


def test_fmt_check(tmp_path):
    ugly = tmp_path / "ugly.seg"
    ugly.write_text(UGLY)
    result = segl("--check", str(ugly))
    assert (result.exit_code, result.output) == (1, f"would reformat {ugly}\n")
    assert ugly.read_text() == UGLY
    ugly.write_text(PRETTY)
    assert segl("--check", str(ugly)).exit_code == 0


def test_fmt_diff(tmp_path):
    ugly = tmp_path / "ugly.seg"
    ugly.write_text(UGLY)
    result = segl("--diff", str(ugly))
    assert result.exit_code == 1
    assert "-param  a=1\n" in result.output
    assert "+param a = 1\n" in result.output
    assert "+segment s = a\n" in result.output
    assert ugly.read_text() == UGLY


def test_fmt_stdin():
    result = segl("-", input=UGLY)
    assert (result.exit_code, result.output) == (0, PRETTY)
    assert segl("--check", "-", input=PRETTY).exit_code == 0
    assert segl("--check", "-", input=UGLY).exit_code == 1


def test_fmt_syntax_error(tmp_path):
    bad = tmp_path / "bad.seg"
    bad.write_text("segment s = a ==  b\n")
    result = segl(str(bad))
    assert result.exit_code == 1
    assert "error[E001]" in result.output
    assert bad.read_text() == "segment s = a ==  b\n"


def test_fmt_usage_errors(tmp_path):
    assert segl(str(tmp_path / "missing.seg")).exit_code == 2
    assert segl("--line-length", "x").exit_code == 2


def test_fmt_line_length(tmp_path):
    file = tmp_path / "long.seg"
    file.write_text("segment s = aaaa >= 1 and bbbb >= 2\n")
    assert segl("--check", "--line-length", "20", str(file)).exit_code == 1
    assert segl("--check", str(file)).exit_code == 0


def test_scaffold_is_canonical():
    from segl.runtime.scaffold import SEGMENTS

    assert format_source(SEGMENTS) == SEGMENTS


def test_segmentations_are_formatted_with_their_comments():
    text = (
        "segment a = x\n\n"
        "segmentation life  \"Life\" {  # head\n"
        "  score r by recency  lower is better into 5 thresholds (1,2, 3,4)\n"
        "  new   when a   # first\n"
        "  old \"Old\" when (a and b) or c\n"
        "  else rest\n"
        "}  # tail\n"
    )
    assert assert_well_formatted(text) == (
        "segment a = x\n\n"
        'segmentation life "Life" {  # head\n'
        "  score r by recency lower is better into 5 thresholds (1, 2, 3, 4)\n"
        "  new when a  # first\n"
        '  old "Old" when (a and b) or c\n'
        "  else rest\n"
        "}  # tail\n"
    )


def test_tiers_are_one_line():
    text = ("segmentation deciles  \"Deciles\" =  tiers by  spend  higher is better\n"
            "    into 10   ntile   # the 80/20 view\n"
            "segmentation bands = tiers by (a + b) * 2 lower is better into 3 thresholds (1,2)\n")
    assert assert_well_formatted(text) == (
        'segmentation deciles "Deciles" = tiers by spend higher is better into 10 ntile'
        "  # the 80/20 view\n"
        "segmentation bands = tiers by (a + b) * 2 lower is better into 3 thresholds (1, 2)\n"
    )


def test_personas_and_tests_are_formatted_with_their_comments():
    text = (
        'persona  p "P"   for s {   # head\n'
        '  description   "d"  # why\n'
        '  channels ("a","b")\n'
        "  income -5\n"
        "}\n"
        "test t {\n"
        "  expect s = (1,2)\n"
        "  rows customer (id, city) {\n"
        '    (1, "x")   # first\n'
        "    (2,missing)\n"
        "  }\n"
        "  as_of 2026-01-01\n"
        "}\n"
    )
    assert assert_well_formatted(text) == (
        'persona p "P" for s {  # head\n'
        '  description "d"  # why\n'
        '  channels ("a", "b")\n'
        "  income -5\n"
        "}\n"
        "\n"
        "test t {\n"
        "  as_of 2026-01-01\n"
        "  rows customer (id, city) {\n"
        '    (1, "x")  # first\n'
        "    (2, missing)\n"
        "  }\n"
        "  expect s = (1, 2)\n"
        "}\n"
    )
