"""A table of bad inputs with the exact message, line, column and hint each must produce.

Every case is appended to the same small project (entity `customer`, events `orders`), so
line 12 is the first line of the case."""

import pytest
from segl.compiler.api import compile_source
from segl.compiler.source import SourceFile

HEAD = """\
entity customer from csv "c.csv" key id {
  id int
  city text
  birth_date date
  spend float
}
events orders from csv "o.csv" key customer_id at ordered_at {
  customer_id int
  ordered_at timestamp
  amount float
}
"""

# (source, code, "line:col", message, hint or None)
CASES = [
    ('segment a = city == "x"', "E001", "12:19", "unexpected `=`", "compare with a single `=`"),
    ("segment a = city = 'x'", "E001", "12:20", "unexpected character `'`",
     'strings use double quotes: "text"'),
    ("segment a = count(orders) in last 30 dayz > 1", "E001", "12:38", "unexpected `dayz`",
     "expected days|weeks|months|years"),
    ('segment a = city = "x" and', "E001", "12:26", "unexpected end of declaration", None),
    ('segment a = citty = "x"', "E101", "12:13", "unknown name `citty`", "did you mean `city`?"),
    ("feature spend_1y = sum(orders.amount) in last 365 days\nsegment a = spend_1yr > 3",
     "E101", "13:13", "unknown name `spend_1yr`", "did you mean `spend_1y` or `spend`?"),
    ("segment a = b\nsegment b = a", "E103", "12:9", "circular definition: a -> b -> a",
     "a feature, segment or segmentation cannot depend on itself"),
    ('segment a = city = "x"\nsegment a = city = "y"', "E102", "13:9",
     "`a` is already defined (as a segment)", None),
    ("feature city = 1", "E105", "12:9", "`city` is also a column of `customer`", None),
    ("segment a = orders.amount > 3", "E108", "12:13",
     "`orders.amount` is a column of a related table: it has many values per entity",
     "aggregate it, e.g. `max(orders.amount)`"),
    ("segment a = sum(amount) > 3", "E108", "12:17",
     "cannot tell which related table `sum` aggregates", None),
    ("segment a = summ(orders.amount) > 3", "E109", "12:13", "unknown function `summ`",
     "did you mean `sum`?"),
    ("segment a = days_between(birth_date) > 3", "E110", "12:13",
     "`days_between` takes 2 argument(s), got 1", None),
    ("segment a = city > 3", "E201", "12:13", "cannot compare a text with an int",
     "`city` is text: compare it with text in quotes, or declare the column with the type "
     "its values have"),
    ('segment a = spend > "3"', "E201", "12:13", "cannot compare a float with a text",
     "numbers are written without quotes"),
    ('segment a = birth_date > "2020-01-01"', "E201", "12:13",
     "cannot compare a date with a text", "write dates without quotes: 2026-01-31"),
    ("segment a = spend", "E202", "12:13",
     "a condition must be true or false, but this is a float", None),
    ("segment a = count(orders) in last 0 days > 1", "E111", "12:27",
     "a window must be at least 1 day", None),
    ("feature f = max(orders.amount)\nsegment a = f in last 3 days > 1", "E001", "13:18",
     "unexpected `last`", "a window follows an aggregate: `count(orders) in last 90 days`"),
    ("segment a = top 120% by spend", "E002", "12:17",
     "a percentage must be above 0 and at most 100", None),
    ("segment a = birth_date > 2026-02-30", "E002", "12:26", "`2026-02-30` is not a valid date",
     None),
    ('segment a { owner "x" }', "E107", "12:9", "segment `a` has no `where` condition", None),
    ('segment a extends nope { where city = "x" }', "E101", "12:19", "unknown segment `nope`",
     None),
    ('segment a = city = "x" and orders', "E108", "12:28",
     "`orders` is an events table, not a value", "aggregate it, e.g. `count(orders)`"),
    ("segment a = sum(orders.amount where count(orders) > 3) > 1", "E108", "12:37",
     "`count` cannot be nested inside another aggregate", None),
    ("segment a = city + 1 > 2", "E201", "12:13", "`+` needs numbers, but this is a text", None),
    ("segment a = birth_date - 3 > 2", "E201", "12:13", "cannot apply `-` to a date and an int",
     None),
    ('import "nope.seg"\nsegment a = city = "x"', "E104", "12:1",
     "cannot read imported file `nope.seg`: No such file or directory", None),
    ("segment a = count(orders) since start > 0", "E111", "12:33",
     "`start` is not a date parameter", None),
    ("param n = 3\nsegment a = count(orders) in last m days > 0", "E111", "13:35",
     "`m` is not a whole-number parameter", None),
    ('segment a = case when city = "x" then 1 else "y" end = 1', "E201", "12:46",
     "case branches mix int and text", None),
    ('segment a = coalesce(city, 1) = "x"', "E201", "12:28",
     "`coalesce` arguments mix text and int", None),
    ("segment a = count(orders) > 0 and sum(orders.amount) in last 2 weeks >= 1 or x", "E101",
     "12:78", "unknown name `x`", None),
    ("feature f = first(orders.amount) in last 3 days\nsegment a = f > 1 and max(city) > 1",
     "E108", "13:27", "cannot tell which related table `max` aggregates", None),
]


@pytest.mark.parametrize("source,code,position,message,hint", CASES,
                         ids=[c[0].split("\n")[-1][:40] for c in CASES])
def test_error_table(source, code, position, message, hint):
    compilation = compile_source(SourceFile("t.seg", HEAD + source))
    assert not compilation.ok
    first = compilation.errors[0]
    assert (first.code, f"{first.span.line}:{first.span.column}", first.message) == (
        code, position, message
    )
    if hint is not None:
        assert hint in first.hints
    rendered = first.render()
    assert rendered.startswith(f"t.seg:{position}: error[{code}]: {message}")
    # the source line and a caret under the span
    lines = rendered.split("\n")
    line_number, column = map(int, position.split(":"))
    assert lines[1].endswith((HEAD + source).split("\n")[line_number - 1])
    caret_line = lines[2]
    gutter = lines[1].index("| ") + 2
    assert caret_line[gutter + column - 1] == "^"


def test_no_quotes_hint_where_nothing_is_quoted():
    compilation = compile_source(SourceFile("t.seg", HEAD + "segment a = city > 75000\n"))
    assert all("without quotes" not in hint for hint in compilation.errors[0].hints)


def test_every_error_is_reported_not_just_the_first():
    source = HEAD + 'segment a = citty = "x"\nsegment b = summ(orders.amount) > 1\nsegment c = ==\n'
    compilation = compile_source(SourceFile("t.seg", source))
    assert [d.code for d in compilation.errors] == ["E101", "E109", "E001"]


def test_a_syntax_error_does_not_cascade_into_unknown_names():
    source = HEAD + "feature f = count(orders\nsegment a = f > 1\n"
    compilation = compile_source(SourceFile("t.seg", source))
    assert [d.code for d in compilation.errors] == ["E001"]


def test_duplicate_points_at_the_first_definition():
    source = HEAD + 'segment a = city = "x"\nsegment a = city = "y"\n'
    (diagnostic,) = compile_source(SourceFile("t.seg", source)).errors
    ((note_span, note),) = diagnostic.notes
    assert (note_span.line, note) == (12, "first defined here")
