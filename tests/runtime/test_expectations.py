"""`expect` clauses, `segl check --data`, and `segl overlap`."""

from datetime import date

from click.testing import CliRunner
from segl.compiler.api import compile_source
from segl.compiler.source import SourceFile
from segl.compiler.syntax.formatter import format_source
from segl.runtime.api import evaluate
from segl.runtime.cli import main
from segl.runtime.expectations import check_expectations, overlaps

SEG = """entity customer from parquet "data/customers.parquet" key id {
  id int
  city text
  age int
}

segment adults = age >= 18
segment delft {
  where city = "Delft"
  expect size >= {size}
  expect share <= 50%
  expect overlap with adults < {overlap}%
}
"""
CUSTOMERS = [{"id": i, "city": c, "age": a} for i, c, a in
             [(1, "Delft", 30), (2, "Delft", 12), (3, "Utrecht", 40), (4, "Utrecht", 50)]]


def write(project, size=1, overlap=60):
    text = SEG.replace("{size}", str(size)).replace("{overlap}", str(overlap))
    return project(text, {"customers": CUSTOMERS})


def test_expectations_are_measured(project):
    evaluation = evaluate(write(project), as_of=date(2026, 6, 30))
    outcomes = {o.expectation.kind: o for o in check_expectations(evaluation)}
    assert outcomes["size"].passed and outcomes["size"].actual == "2"
    assert outcomes["share"].passed and outcomes["share"].actual == "50.0%"  # <= 50% holds
    # one of the two Delft customers is an adult: 50% < 60%
    assert outcomes["overlap"].passed and outcomes["overlap"].actual == "50.0% (1 of 2)"


def test_check_data_fails_on_a_failed_expectation(project):
    path = write(project, size=3, overlap=50)
    result = CliRunner().invoke(main, ["check", str(path), "--data", "--as-of", "2026-06-30"])
    assert result.exit_code == 1
    assert f"expectation failed: {path}:10:10: segment `delft`: expect size >= 3 fails " \
           "(it is 2)" in result.stderr
    assert "expect overlap with adults < 50% fails (it is 50.0% (1 of 2))" in result.stderr
    assert "1 of 3 expectations hold" in result.output
    run = CliRunner().invoke(main, ["run", str(path), "--as-of", "2026-06-30"])
    assert run.exit_code == 0 and "warning: expectation failed" in run.stderr


def test_check_data_passes_when_every_expectation_holds(project):
    result = CliRunner().invoke(main, ["check", str(write(project)), "--data",
                                       "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.stderr
    assert "3 of 3 expectations hold" in result.output


def test_overlaps_equal_a_direct_count(project):
    path = project(SEG.replace("{size}", "1").replace("{overlap}", "60")
                   + 'segment utrecht = city = "Utrecht"\n', {"customers": CUSTOMERS})
    evaluation = evaluate(path, as_of=date(2026, 6, 30))
    members = {"adults": {1, 3, 4}, "delft": {1, 2}, "utrecht": {3, 4}}
    for pair in overlaps(evaluation):
        a, b = members[pair.first], members[pair.second]
        assert (pair.both, pair.either) == (len(a & b), len(a | b))
        assert pair.jaccard == len(a & b) / len(a | b)
    result = CliRunner().invoke(main, ["overlap", str(path), "--as-of", "2026-06-30"])
    assert result.exit_code == 0
    assert "adults" in result.output and "0.667" in result.output  # adults ~ utrecht: 2 / 3


def test_expectations_are_checked_when_compiling():
    text = SEG.replace("{size}", "1").replace("{overlap}", "60")
    bad = text.replace("with adults", "with adult").replace("share <= 50%", "share <= 150%")
    errors = [d.message for d in compile_source(SourceFile("t.seg", bad)).errors]
    assert errors == ["a percentage must be between 0 and 100", "unknown segment `adult`"]
    assert format_source(text) == text  # canonical, and expect lines survive formatting
