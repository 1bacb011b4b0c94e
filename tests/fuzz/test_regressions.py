"""Every crash the fuzzers found, and each class of hostile text of issue 9 item 3, as a
table: the input and the codes it must give (never a traceback). New crashes go here."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from segl.compiler.api import format_source
from segl.runtime.cli import main

from tests.fuzz.grammar import HEADER
from tests.fuzz.harness import exercise

# (what, the text after HEADER (bytes: raw), the codes of its errors, in order)
CASES: list[tuple[str, str | bytes, list[str]]] = [
    # numbers Polars (and BIGINT) cannot hold: was InvalidOperationError / OverflowError
    ("an integer above 64 bits", "segment s = age > 99999999999999999999999999", ["E002"]),
    ("an integer of 2**128", "segment s = age > 340282366920938463463374607431768211457",
     ["E002"]),
    ("2**63 exactly", "segment s = age > 9223372036854775808", ["E002"]),
    ("2**63 - 1 is fine", "segment s = age > 9223372036854775807", []),
    ("a decimal of 40 digits", "segment s = age > 1234567890123456789012345678901234567890.5",
     ["E002"]),
    # fmt printed Decimal("1E-24") as `1E-24`, which does not parse (AssertionError in fmt)
    ("a tiny decimal", "segment s = age > 0.000000000000000000000001", []),
    # dates and durations out of range: were OverflowError / ValueError in `run`
    ("in last 99999999 days", "feature f = count(orders) in last 99999999 days\n"
     "segment s = f > 1", ["E002"]),
    ("as_of - 9999 years", "segment s = birth_date < as_of - 9999 years", ["E002"]),
    ("1,000 years is the most", "segment s = birth_date < as_of - 1000 years", []),
    ("a window of 0001-01-01 to 9999-12-31", "feature f = count(orders) from 0001-01-01 to "
     "9999-12-31\nsegment s = f > 1", []),
    ("before 0001-01-01", "feature f = count(orders) before 0001-01-01\nsegment s = f > 1",
     ["E111"]),
    ("2023-02-30", "segment s = birth_date < 2023-02-30", ["E002"]),
    ("a test evaluated in year 1", "segment s = age > 3\ntest t {\n  as_of 0001-01-01\n"
     "  expect s = ()\n}", ["E002"]),
    # bounds of kinds that do not compare, in a segmentation (was TypeError in buckets.py)
    ("mixed bucket bounds", 'segmentation g {\n  a when age >= 4\n  b when age >= "x"\n'
     "  else c\n}", ["E201"]),
    # a library import with a backquoted name: fmt printed `import A.0` (AssertionError)
    ("import A.`0`", "import A.`0`", ["E104"]),
    # `missing` among a test's expected keys reached fmt as a sentinel (AttributeError)
    ("expect s = (missing)", "segment s = age > 3\ntest t {\n  expect s = (missing)\n}",
     ["E002"]),
    # a persona field named with a non-ASCII letter lost its backquotes in fmt (`\w` is
    # Unicode in Python, NAME is ASCII in the grammar): AssertionError in fmt
    ("persona field `A¹`", 'segment s = age > 3\npersona p for s {\n  `A¹` ""\n}', ["E101"]),
    # encodings (item 3)
    ("a NUL in an import path", b'import "a\x00b.seg"', ["E005"]),
    ("a NUL in a location", b'lookup l from csv "l\x00.csv" key k for customer.city',
     ["E005"]),
    ("a NUL in a comment", b"# \x00\nsegment s = age > 3", ["E005"]),
    ("Latin-1 text", b"segment s = city = \"caf\xe9\"", ["E004"]),
    ("a lone surrogate", "segment s = city = \"\ud800\"".encode("utf-8", "surrogatepass"),
     ["E004"]),
    ("an escape sequence in a name", "segment `\x1b[2J` = age > 3", ["E002"]),
    ("a right-to-left override in a string", 'segment s = city = "\u202eabc"', []),
    # nesting (item 3): one level per chain, E003 past 100 levels
    ("1,000 nested not", "segment s = " + "not " * 1000 + "age > 3", ["E003"]),
    ("200 nested case", "segment s = " + "case when age > 1 then " * 200 + "true" +
     " else false end" * 200, ["E003"]),
    ("3,000 nested parentheses around a sum",
     "segment s = " + "(" * 3000 + "age" + " + 1)" * 3000 + " > 3", ["E003"]),
    ("3,000 parentheses around a condition", "segment s = " + "(" * 3000 + "age > 3" +
     ")" * 3000, []),
    ("2,000 and terms", "segment s = " + " and ".join(["age > 3"] * 2000), []),
    ("a number as large as a 64-bit integer in top", "segment s = top 99999999999999999999 "
     "by age", ["E002"]),
    # definitions built on definitions: each stage resolves a reference where it meets it
    # (RecursionError in the resolver and the planner for a chain declared last-first)
    ("300 features, each on the next", "".join(
        f"feature f{i} = f{i + 1} + 1\n" for i in range(300)) + "feature f300 = age\n"
     "segment s = f0 > 3", ["E003"]),
    ("300 segments, each on the next", "".join(
        f"segment s{i} = s{i + 1} and age > {i}\n" for i in range(300)) +
     "segment s300 = age > 3", ["E003"]),
    ("a long cycle", "".join(f"feature f{i} = f{(i + 1) % 300} + 1\n" for i in range(300)) +
     "segment s = f0 > 3", ["E003"]),
    ("40 features, each on the next, are fine", "".join(
        f"feature f{i} = f{i + 1} + 1\n" for i in range(40)) + "feature f40 = age\n"
     "segment s = f0 > 3", []),
    # unnamed declarations reached lint's index of declarations by name: AttributeError
    ("a holdout with a NUL salt", 'holdout 1% salt "\\0"', []),
    ("a suppression list of an empty path",
     'suppression from parquet "" key customer', []),
    ("an experiment of no arms' shares", 'experiment e on nothing salt "s" { a 0% }',
     ["E101", "E112"]),
]


@pytest.mark.parametrize(("what", "text", "codes"), CASES, ids=[c[0] for c in CASES])
def test_hostile_text_gives_its_codes(what, text, codes):
    data = HEADER.encode() + (text if isinstance(text, bytes) else
                              text.encode("utf-8", "surrogatepass"))
    found = [c for c in exercise(data, "hostile.seg") if c.startswith("E")]
    assert list(dict.fromkeys(found)) == codes, what


def _cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_non_utf8_is_positioned_at_the_first_bad_byte(tmp_path):
    path = tmp_path / "latin.seg"
    path.write_bytes(HEADER.encode() + b'segment s = city = "Den Haag" or city = "Z\xfcrich"\n')
    for command in ("check", "fmt", "lint"):
        result = _cli(command, str(path))
        assert result.exit_code == 1, command
        assert f"{path}:15:43: error[E004]: the file is not UTF-8 text: byte 0xfc" in \
            result.output, command
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_bom_is_accepted_and_kept_by_fmt(tmp_path):
    path = tmp_path / "bom.seg"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER.encode() + b"segment   s = age > 3\n")
    assert _cli("check", "--no-data", str(path)).exit_code == 0
    assert _cli("fmt", str(path)).exit_code == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfentity customer") and b"segment s = age > 3\n" in data
    assert data.count(b"\xef\xbb\xbf") == 1


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_fmt_keeps_the_line_ends(tmp_path, newline):
    path = tmp_path / "ends.seg"
    text = (HEADER + "segment   s = age > 3  # why\n").replace("\n", newline)
    path.write_bytes(text.encode())
    assert _cli("fmt", str(path)).exit_code == 0
    data = path.read_bytes().decode()
    assert "segment s = age > 3  # why" + newline in data
    if newline == "\n":
        assert "\r" not in data
    else:
        assert data.count("\r\n") == data.count("\n")
    assert format_source(data) == data  # and it stays so


def test_control_characters_from_the_source_are_escaped_when_rendered(tmp_path):
    path = tmp_path / "terminal.seg"
    path.write_bytes(HEADER.encode() + b'segment s = citty = "\x1b]0;owned\x07\x1b[2J"\n')
    result = _cli("check", "--no-data", str(path))
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert r'segment s = citty = "\x1b]0;owned\x07\x1b[2J"' in result.output
    # the caret still points at the unknown name
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if "segment s = citty" in line)
    assert lines[at + 1].index("^") == lines[at].index("citty")


@pytest.mark.parametrize("as_of", ["0001-01-01", "1000-12-31", "8999-01-01", "9999-12-31"])
def test_an_evaluation_date_far_away_is_a_usage_error(tmp_path, as_of):
    path = tmp_path / "far.seg"
    path.write_text(HEADER + "feature f = count(orders) in last 1000 years\nsegment s = f > 0\n")
    for command in (["compile", str(path)], ["run", str(path)]):
        result = _cli(*command, "--as-of", as_of)
        assert result.exit_code == 2, result.output
        assert f"the evaluation date {as_of} is outside the supported years 1001 to 8998" in \
            result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(("value", "ok"), [("NaN", False), ("Infinity", False),
                                           ("1" * 40, False), ("2.5", True)])
def test_a_parameter_value_outside_the_ranges_is_e401(tmp_path, value, ok):
    path = tmp_path / "p.seg"
    path.write_text("param d = 1.5\n" + HEADER + "segment s = age > d\n")
    result = _cli("check", "--no-data", str(path), "-p", f"d={value}")
    assert (result.exit_code == 0) == ok, result.output
    if not ok:
        assert "error[E401]: parameter `d` expects a decimal" in result.output
