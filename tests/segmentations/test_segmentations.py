"""Segmentations: exactly one bucket per entity, first match wins, provably empty buckets."""

from datetime import date

import pytest
from segl.compiler.api import compile_source
from segl.compiler.source import SourceFile
from segl.runtime.api import evaluate

from tests.conftest import ROOT

HEAD = """
entity customer from parquet "data/customers.parquet" key id {
  id int
  age int
  spend float
}
segment adult = age >= 18
segment big = spend > 100
segment big_adult extends big {
  where adult
}
"""
CUSTOMERS = [{"id": 1, "age": 30, "spend": 500.0}, {"id": 2, "age": 15, "spend": 500.0},
             {"id": 3, "age": 40, "spend": 10.0}, {"id": 4, "age": None, "spend": None}]


def buckets(project, body: str) -> dict[int, str]:
    path = project(HEAD + body, {"customers": CUSTOMERS})
    evaluation = evaluate(path, as_of=date(2026, 6, 30))
    (name,) = evaluation.segmentations
    return dict(evaluation.connection.execute(
        f"SELECT id, {name} FROM {evaluation.table}").fetchall())


def test_every_entity_lands_in_exactly_one_bucket():
    evaluation = evaluate(ROOT / "examples/shop/shop.seg", as_of=date(2026, 6, 30),
                          segments=["lifecycle"])
    assert sum(evaluation.buckets["lifecycle"].values()) == evaluation.entities
    (missing,) = evaluation.connection.execute(
        f"SELECT count(*) FROM {evaluation.table} WHERE lifecycle IS NULL").fetchone()
    assert missing == 0


def test_first_match_wins_and_order_matters(project):
    first = buckets(project, """
segmentation s {
  grown when adult
  spender when big
  else other
}
""")
    assert first == {1: "grown", 2: "spender", 3: "grown", 4: "other"}
    swapped = buckets(project, """
segmentation s {
  spender when big
  grown when adult
  else other
}
""")
    assert swapped == {1: "spender", 2: "spender", 3: "grown", 4: "other"}


def test_a_missing_condition_falls_through(project):
    # customer 4 has no age: `age < 18` is missing, which does not match
    assert buckets(project, """
segmentation s {
  minor when age < 18
  else rest
}
""")[4] == "rest"


def warnings_of(body: str) -> list[tuple[str, str]]:
    compilation = compile_source(SourceFile("t.seg", HEAD + body))
    assert compilation.ok, [d.render() for d in compilation.errors]
    return [(d.code, d.message) for d in compilation.diagnostics if not d.is_error]


@pytest.mark.parametrize("earlier,later", [
    ("big", "big"),  # the same condition
    ("big", "big_adult"),  # a segment that extends an earlier one
    ("adult", "big_adult"),  # a segment built from an earlier one
    ("age > 18", "age > 30"),  # an interval inside an earlier one
    ("age >= 18", "age between 20 and 30"),
    ("age between 10 and 50", "age = 20"),
    ("big or adult", "adult and spend > 5"),
])
def test_a_bucket_that_can_never_match_is_reported(earlier, later):
    assert warnings_of(f"""
segmentation s {{
  first when {earlier}
  second when {later}
  else rest
}}
""") == [("W201", "bucket `second` can never match: every entity it would take is taken "
          "first by `first`")]


@pytest.mark.parametrize("earlier,later", [
    ("big_adult", "big"),  # narrower first: the wider one still gets the rest
    ("age > 30", "age > 18"),
    ("age > 18", "age >= 18"),  # 18 itself is left for the second bucket
    ("adult", "big"),
    ("age between 20 and 30", "age between 25 and 35"),
])
def test_a_reachable_bucket_is_not_reported(earlier, later):
    assert warnings_of(f"""
segmentation s {{
  first when {earlier}
  second when {later}
  else rest
}}
""") == []


def test_more_than_seven_buckets_is_reported():
    whens = "\n".join(f"  b{i} when age = {i}" for i in range(7))
    assert warnings_of(f"segmentation s {{\n{whens}\n  else rest\n}}\n") == [
        ("W202", "segmentation `s` has 8 buckets")]
    # deciles are a scale, not groups to act on: no warning for their 11 buckets
    assert warnings_of("segmentation d = tiers by age higher is better into 10 ntile\n") == []


def test_bucket_names_are_unique_and_a_segmentation_is_not_a_condition():
    compilation = compile_source(SourceFile("t.seg", HEAD + """
segmentation s {
  a when adult
  a when big
  else rest
}
segmentation t {
  x when adult
  else x
}
segmentation u {
  y when adult
  else z
}
segment uses = s
segment bucket_name = u
"""))
    # `s` is broken already (no second error); `u` is a value, its bucket's name: text,
    # not a condition (`u is y` is one)
    assert [d.message for d in compilation.errors] == [
        "bucket `a` appears twice in segmentation `s`",
        "bucket `x` appears twice in segmentation `t`",
        "a condition must be true or false, but this is a text",
    ]


def test_segmentations_appear_in_run_outputs(project, tmp_path):
    from click.testing import CliRunner
    from segl.runtime.cli import main

    path = project(HEAD + "segmentation s {\n  grown when adult\n  else other\n}\n",
                   {"customers": CUSTOMERS})
    out = tmp_path / "long.csv"
    result = CliRunner().invoke(main, ["run", str(path), "--as-of", "2026-06-30", "-s", "big",
                                       "-s", "s", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert out.read_text().splitlines() == [
        "id,segment", "1,big", "2,big", "1,s.grown", "2,s.other", "3,s.grown", "4,s.other"]
    assert "segmentation s" in result.output and "grown" in result.output
    wide = tmp_path / "wide.csv"
    CliRunner().invoke(main, ["run", str(path), "--as-of", "2026-06-30", "--shape", "wide",
                              "--out", str(wide)])
    assert wide.read_text().splitlines()[:2] == ["id,adult,big,big_adult,s",
                                                 "1,true,true,true,grown"]


@pytest.mark.parametrize("score,message", [
    ("score s by spend higher is better into 1 ntile", "a score needs 2 to 100 bins"),
    ("score s by spend higher is better into 4 thresholds (10, 20)",
     "4 bins need 3 thresholds, got 2"),
    ("score s by spend higher is better into 3 thresholds (20, 10)",
     "thresholds must be in ascending order"),
    ("score s by spend higher is better into 3 ntile\n"
     "  score s by age lower is better into 3 ntile",
     "score `s` is declared twice in segmentation `x`"),
    ("score scores by spend higher is better into 3 ntile",
     "`scores` is the name of all the scores together"),
])
def test_score_declarations_are_checked(score, message):
    compilation = compile_source(SourceFile("t.seg", HEAD + f"""
segmentation x {{
  {score}
  a when adult
  else rest
}}
"""))
    assert [d.message for d in compilation.errors] == [message]
