"""Issue 9 item 3: long chains are supported, deep nesting is E003 at its position, and no
stage (parser, resolver, type checker, lint, planner, SQL for every dialect, sqlglot's
generator, Polars, formatter, name index) ever meets Python's recursion limit."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from segl.compiler.api import compile_source, format_source
from segl.compiler.source import SourceFile
from segl.compiler.syntax import nodes as n
from segl.compiler.syntax.depth import MAX_DEPTH
from segl.compiler.syntax.parser import parse_source
from segl.runtime.cli import main

from tests.fuzz.harness import exercise

HEAD = 'entity customer from csv "c.csv", table "crm.customer" key id { id int  age int }\n'
AGES = {1: 30, 2: 40, 3: 7, 4: 12}


def _project(tmp_path, body: str) -> str:
    (tmp_path / "c.csv").write_text("id,age\n" + "".join(f"{k},{v}\n" for k, v in AGES.items()))
    path = tmp_path / "deep.seg"
    path.write_text(HEAD + body)
    return str(path)


def _members(path: str, *args: str) -> dict[str, set[int]]:
    out = path + ".members.csv"
    result = CliRunner().invoke(main, ["run", path, "--as-of", "2026-06-30", "--format", "csv",
                                       "--shape", "long", "--out", out, *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with open(out, newline="") as stream:
        rows = list(csv.DictReader(stream))
    found: dict[str, set[int]] = {}
    for row in rows:
        found.setdefault(row["segment"], set()).add(int(row["id"]))
    return found


def test_ten_thousand_and_terms_check_format_and_run(tmp_path):
    terms = 10_000
    # age != 8 and age != 9 … : true for an age below 8 (or of at least `terms`)
    body = "segment s = " + " and ".join(f"age != {i}" for i in range(8, terms)) + "\n"
    path = _project(tmp_path, body)
    text = Path(path).read_text()
    parsed = parse_source(SourceFile(path, text)).module.declarations[1]
    assert isinstance(parsed.where, n.Logic) and len(parsed.where.operands) == terms - 8
    assert compile_source(SourceFile(path, text)).ok
    formatted = format_source(text, path)
    assert formatted.count("\n    and age != ") == terms - 9
    assert format_source(formatted, path) == formatted
    assert _members(path).get("s", set()) == {i for i, age in AGES.items() if age < 8}


def test_long_and_or_chains_pass_every_stage(tmp_path):
    # lint, every dialect, the Polars plan and the name index too (a shorter chain: the
    # linter's proofs over 12 dialects' worth of SQL are what takes the time)
    terms = 1_500
    body = "segment s = " + " and ".join(f"age != {i}" for i in range(8, terms)) + "\n"
    body += "segment t = " + " or ".join(f"age = {i}" for i in range(8, terms)) + "\n"
    path = _project(tmp_path, body)
    assert exercise(Path(path).read_text(), path) == []
    expected = {i for i, age in AGES.items() if age < 8}
    assert _members(path, "--engine", "polars").get("s", set()) == expected
    assert _members(path).get("t", set()) == set(AGES) - expected


@pytest.mark.parametrize("depth", [MAX_DEPTH - 5])
def test_nesting_just_inside_the_limit_runs_everywhere(tmp_path, depth):
    # each level: `not`, `case … end`, `(… + 1)`, `abs(…)`, a parenthesised `and` inside `or`
    cases = {
        "nots": "not " * (depth - 1) + "age > 10",
        "cases": "case when age > 1 then " * (depth - 2) + "age > 10" + " else false end" *
                 (depth - 2),
        "sums": "(" * (depth - 2) + "age" + " + 1)" * (depth - 2) + " > 10",
        "calls": "abs(" * (depth - 2) + "age" + ")" * (depth - 2) + " > 10",
        "groups": "(age > 10 or " * (depth - 1) + "age > 10" + ")" * (depth - 1),
    }
    body = "".join(f"segment {name} = {expr}\n" for name, expr in cases.items())
    path = _project(tmp_path, body)
    assert exercise(Path(path).read_text(), path) == []
    odd = (depth - 1) % 2 == 1  # an odd number of `not`s negates
    over_ten = {i for i, age in AGES.items() if age > 10}
    members = _members(path)
    assert members.get("nots", set()) == (set(AGES) - over_ten if odd else over_ten)
    assert members.get("groups", set()) == over_ten
    assert members.get("cases", set()) == over_ten


# (what is nested, how deep, the text) -> E003 at the first node past the limit
DEEP = [
    ("case", 200, "case when age > 1 then " * 200 + "true" + " else false end" * 200),
    ("parentheses around a sum", 1000, "(" * 1000 + "age" + " + 1)" * 1000 + " > 3"),
    ("not", 1000, "not " * 1000 + "age > 3"),
    ("negation", 5000, "-" * 5000 + "age > 3"),
    ("calls", 300, "abs(" * 300 + "age" + ")" * 300 + " > 3"),
    ("a long sum", 2000, " + ".join(["age"] * 2000) + " > 3"),
    ("groups", 2000, "(age > 1 or " * 2000 + "age > 2" + ")" * 2000),
]


@pytest.mark.parametrize(("what", "depth", "expr"), DEEP, ids=[d[0] for d in DEEP])
def test_deep_nesting_is_e003_at_its_position(tmp_path, what, depth, expr):
    text = HEAD + f"segment deep = {expr}\nsegment fine = age > 3\n"
    compilation = compile_source(SourceFile("deep.seg", text))
    errors = [d for d in compilation.diagnostics if d.is_error]
    assert [d.code for d in errors] == ["E003"], what
    assert errors[0].span.line == 2
    assert f"deeper than {MAX_DEPTH} levels" in errors[0].message
    rendered = errors[0].render()
    assert rendered.startswith(f"deep.seg:2:{errors[0].span.column}: error[E003]")
    # the refused declaration does not cascade; the rest of the file still checks
    assert "fine" not in {d.message for d in compilation.diagnostics}
    assert "E003" in exercise(text, "deep.seg")


def test_parenthesised_chains_keep_their_parentheses_in_fmt():
    text = HEAD + "segment s = (age > 1 and age > 2) and (age > 3 or age > 4) or age > 5\n"
    formatted = format_source(text, "s.seg")
    assert formatted.endswith(
        "segment s = ((age > 1 and age > 2) and (age > 3 or age > 4)) or age > 5\n")
    assert format_source(formatted, "s.seg") == formatted


def test_a_thousand_parentheses_around_one_condition_are_one_level(tmp_path):
    path = _project(tmp_path, "segment s = " + "(" * 1000 + "age > 10" + ")" * 1000 + "\n")
    assert exercise(Path(path).read_text(), path) == []
    assert _members(path)["s"] == {i for i, age in AGES.items() if age > 10}
