"""Segmentations as values (issue 13 item 3) on the example shop's data: `rfm is champions`,
`rfm in (…)`, `rfm not in (…)`, `rfm.r` in segments, features, KPIs and another
segmentation, against a plain Python computation of the RFM scores and buckets
(`test_scores.expected_scores`); diagnostics for unknown buckets and scores and cycles."""

from __future__ import annotations

import polars as pl
import pytest
from segl.compiler.api import compile_source, plan_for
from segl.compiler.source import SourceFile
from segl.runtime.api import evaluate

from .test_scores import AS_OF, SHOP, expected_scores, shop_values

DEFINITIONS = """
segment nl_champions = rfm is champions and country = "NL"
segment good = rfm in (champions, loyal)
segment not_good = rfm not in (champions, "loyal")
segment recent_r = rfm.r >= 4
feature r_plus_f = rfm.r + rfm.f
segment strong = r_plus_f >= 8
segmentation rfm_nl {
  nl_top when rfm in (champions, loyal) and country = "NL"
  top when rfm in (champions, loyal)
  else rest
}
kpi avg_r = avg(rfm.r)
"""


def shop_rfm() -> dict[int, tuple[int | None, int | None, int | None, str]]:
    """examples/shop/shop.seg `rfm`, computed here: (r, f, m, bucket) per customer."""
    values = shop_values()
    r = expected_scores(values["days_since_last_order"], False, 5, "ntile", [])
    f = expected_scores(values["orders_total"], True, 5, "quantile", [])
    m = expected_scores(values["spend_total"], True, 5, "thresholds", [50, 200, 500, 1500])

    def at_least(score, n):
        return score is not None and score >= n

    def at_most(score, n):
        return score is not None and score <= n

    found = {}
    for k in r:
        if at_least(r[k], 4) and at_least(f[k], 4) and at_least(m[k], 4):
            bucket = "champions"
        elif at_least(f[k], 4):
            bucket = "loyal"
        elif at_most(r[k], 2) and at_least(f[k], 3):
            bucket = "at_risk"
        elif at_most(r[k], 2):
            bucket = "hibernating"
        else:
            bucket = "others"
        found[k] = (r[k], f[k], m[k], bucket)
    return found


@pytest.fixture(scope="module")
def rfm():
    return shop_rfm()


def _file(tmp_path, body: str):
    seg = tmp_path / "values.seg"
    seg.write_text(f'import "{SHOP / "shop.seg"}"\n' + body)
    return seg


EXAMPLE = SHOP / "segmentation_values.seg"
EXAMPLE_SEGMENTS = ["nl_champions", "worth_keeping", "slipping", "strong_habits",
                    "retention_focus", "lifecycle"]


def expected_example(rfm, lifecycle: dict[int, str]) -> dict[int, tuple]:
    """examples/shop/segmentation_values.seg, computed here from the RFM oracle (and the
    lifecycle bucket, which tests/end_to_end checks against its own oracle)."""
    country = dict(pl.read_parquet(SHOP / "data/customers.parquet")
                   .select("customer_id", "country").iter_rows())
    want = {}
    for k, (r, f, _, bucket) in rfm.items():
        good = bucket in ("champions", "loyal")
        if good and lifecycle[k] == "loyal":
            focus = "keep"
        elif bucket == "at_risk" or lifecycle[k] == "at_risk":
            focus = "rescue"
        else:
            focus = "watch"
        want[k] = (bucket == "champions" and country[k] == "NL", good,
                   not good and r is not None and r >= 4,
                   r is not None and f is not None and r + f >= 8, focus)
    return want


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_the_example_equals_the_oracle(rfm, engine):
    evaluation = evaluate(EXAMPLE, as_of=AS_OF, segments=EXAMPLE_SEGMENTS, engine=engine)
    rows = evaluation.connection.execute(
        f"SELECT customer_id, {', '.join(EXAMPLE_SEGMENTS)} FROM {evaluation.table}").fetchall()
    got = {row[0]: row[1:-1] for row in rows}
    want = expected_example(rfm, {row[0]: row[-1] for row in rows})
    differ = [k for k in want if got[k] != want[k]]
    assert not differ, [(k, rfm[k], got[k], want[k]) for k in differ[:5]]
    for column in range(4):  # every segment has members and non-members
        assert 0 < sum(bool(v[column]) for v in want.values()) < len(want)
    assert {v[4] for v in want.values()} == {"keep", "rescue", "watch"}


def test_a_kpi_of_a_score(tmp_path, rfm):
    from segl.runtime.kpis import kpi_table

    seg = _file(tmp_path, DEFINITIONS)
    groups = {g.name: g for g in kpi_table(evaluate(seg, AS_OF, kpis=True), ["avg_r"])}
    assert "good" in groups
    for group, members in (("all", rfm.values()),
                           ("good", [v for v in rfm.values() if v[3] in ("champions", "loyal")]),
                           ("rfm.champions", [v for v in rfm.values() if v[3] == "champions"])):
        scored = [r for r, *_ in members if r is not None]
        assert float(groups[group].values["avg_r"]) == pytest.approx(
            sum(scored) / len(scored), rel=1e-9), group


def test_the_plan_computes_a_referenced_segmentation_once(tmp_path):
    compilation = compile_source(SourceFile.read(_file(tmp_path, DEFINITIONS)))
    model = compilation.require_ok()
    plan = plan_for(model, ["good", "rfm_nl", "rfm"])
    columns = [c for step in plan.steps for c in step.columns]
    assert [c.name for c in columns].count("rfm") == 1
    depth = {c.name: i for i, step in enumerate(plan.steps) for c in step.columns}
    assert depth["rfm"] < depth["good"] and depth["rfm"] < depth["rfm_nl"]
    # a segmentation only read (not an output) is computed but not returned
    plan = plan_for(model, ["good"])
    assert plan.segmentations == () and plan.score_outputs == ()
    assert "rfm" in {c.name for step in plan.steps for c in step.columns}


def _errors(tmp_path, body: str) -> list[tuple[str, int, int, str, tuple[str, ...]]]:
    compilation = compile_source(SourceFile.read(_file(tmp_path, body)))
    return [(d.code, d.span.line, d.span.column, d.message, tuple(d.hints))
            for d in compilation.errors]


def test_unknown_buckets_and_scores_say_what_exists(tmp_path):
    errors = _errors(tmp_path, "segment a = rfm is champs\n"
                               "segment b = rfm in (loyal, hibernatin)\n"
                               'segment c = rfm = "Champions"\n'
                               "segment d = rfm.x > 1\n"
                               "segment e = rfm.champions\n"
                               "segment f = country is champions\n")
    assert errors == [
        ("E101", 2, 20, "segmentation `rfm` has no bucket `champs`",
         ("did you mean `champions`?",)),
        ("E101", 3, 28, "segmentation `rfm` has no bucket `hibernatin`",
         ("did you mean `hibernating`?",)),
        ("E101", 4, 19, "segmentation `rfm` has no bucket `Champions`",
         ("did you mean `champions`?",)),
        ("E101", 5, 17, "segmentation `rfm` has no score `x`", ("its scores: r, f, m",)),
        ("E101", 6, 17, "segmentation `rfm` has no score `champions`",
         ("`champions` is a bucket: write `rfm is champions`",)),
        ("E201", 7, 13, "`is champions` compares a segmentation with one of its buckets, and "
         "this is not a segmentation", ("e.g. `rfm is champions`; a missing value is "
                                        "`is missing`",)),
    ]


def test_cycles_through_segmentations_are_reported_at_the_reference(tmp_path):
    errors = _errors(tmp_path, "segmentation loop1 {\n  x when loop2 is y\n  else z\n}\n"
                               "segmentation loop2 {\n  y when loop1 is x\n  else w\n}\n"
                               "segmentation own {\n"
                               "  score s by spend_total higher is better into 2 ntile\n"
                               "  p when own.s > 1\n  else q\n}\n"
                               "feature via_feature = loop3.s\n"
                               "segmentation loop3 {\n"
                               "  score s by via_feature higher is better into 2 ntile\n"
                               "  a when s = 1\n  else b\n}\n")
    circular = [e for e in errors if e[0] == "E103"]
    assert [(line, column, message) for _, line, column, message, _ in circular] == [
        (7, 10, "circular definition: loop1 -> loop2 -> loop1"),  # at `loop1` in loop2
        (12, 10, "circular definition: own -> own"),  # its own scores are `s`, not `own.s`
        # a feature is entered at its declaration: the cycle closes there
        (15, 9, "circular definition: via_feature -> loop3 -> via_feature"),
    ], errors
    assert len(errors) == 3


def test_a_persona_gives_its_bucket(rfm):
    """`rfm "champions"` in a persona: its segment's `rfm is champions` is checked with it,
    and the entities resembling it are those the oracle puts in that bucket."""
    from segl.runtime.personas import persona_report

    report = persona_report(str(EXAMPLE), "ruud", AS_OF)
    assert [(c.condition, c.result) for c in report.checks] == [
        ("rfm is champions", True), ('country = "NL"', True)]
    country = dict(pl.read_parquet(SHOP / "data/customers.parquet")
                   .select("customer_id", "country").iter_rows())
    orders = shop_values()["orders_total"]
    resembling = [k for k, (_, _, _, bucket) in rfm.items() if bucket == "champions"
                  and country[k] == "NL" and 10.8 <= orders[k] <= 13.2]
    assert report.resembling == len(resembling) > 0
    assert report.profile_in_data["rfm"] == "champions 100%"


def test_a_persona_bucket_is_checked(tmp_path):
    errors = _errors(tmp_path, 'persona p for loyal {\n  rfm "champs"\n}\n'
                               "persona q for loyal {\n  rfm 3\n}\n")
    assert [(e[0], e[1], e[2], e[3]) for e in errors] == [
        ("E101", 3, 7, "segmentation `rfm` has no bucket `champs`"),
        ("E201", 6, 3, "`rfm` is a segmentation: give the persona's bucket as a string"),
    ]


def test_a_long_chain_of_segmentations_is_refused_not_a_crash(tmp_path):
    """Each segmentation is resolved where it is used, so a chain of them nests like a chain
    of features: past the limit, E003 at the first one too deep (not a RecursionError)."""
    lines = ["segmentation s0 {\n  a when orders_total > 1\n  else b\n}"]
    lines += [f"segmentation s{i} {{\n  a when s{i - 1} is a\n  else b\n}}" for i in range(1, 400)]
    errors = _errors(tmp_path, "\n".join(lines) + "\nsegment top = s399 is a\n")
    assert [(e[0], e[3]) for e in errors] == [
        ("E003", "`s48` nests 101 levels deep, counting the features, segments and "
                 "segmentations it uses (at most 100)")]
