"""`segl compile --show plan` with many dates (issue 11 item 2): the plan shows the date
dimension (text and JSON); the SQL of every pass carries it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from segl.compiler.api import AsOf, compile_file, describe_plan, query_for_plan
from segl.compiler.plan import plan_for
from segl.runtime.cli import main
from sqlglot import exp

SHOP = Path(__file__).parents[2] / "examples" / "shop"
DATES = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]


@pytest.fixture(scope="module")
def plan():
    model = compile_file(SHOP / "shop.seg").require_ok()
    return plan_for(model, ["loyal", "rfm", "spend_deciles"])


def test_text_plan_shows_the_dates(plan):
    text = describe_plan(plan, AsOf.many(DATES))
    assert text.splitlines()[0] == "as_of 3 dates 2026-01-31..2026-03-31"
    assert "dates 3: 2026-01-31, 2026-02-28, 2026-03-31" in text
    assert "date dimension" in text
    # bounds are as_of shifted (each row's date), never one date folded in
    assert "orders.ordered_at < as_of + 1 day" in text
    single = describe_plan(plan, AsOf("date", DATES[0]))
    assert "date dimension" not in single and "dates 3" not in single


def test_json_plan_lists_the_dates(plan):
    data = json.loads(describe_plan(plan, AsOf.many(DATES), "json"))
    assert data["dates"] == [d.isoformat() for d in DATES]
    assert "dates" not in json.loads(describe_plan(plan, AsOf("date", DATES[0]), "json"))


def test_every_pass_groups_by_the_date(plan):
    query = query_for_plan(plan, "duckdb", AsOf.many(DATES))
    ctes = {cte.alias: cte.this for cte in query.args["with_"].expressions}
    assert "_dates" in ctes
    segmented = 0
    for name, cte in ctes.items():
        if name.endswith(("__spans", "__pos")):  # per date, per (date, position): no group
            continue
        if name.endswith("__seg"):  # segment rows: by entity and position, no date yet
            grouped = [g.sql() for g in cte.args["group"].expressions]
            assert len(grouped) >= 2 and grouped[1].startswith("CASE WHEN"), name
            segmented += 1
        elif name.startswith("agg_"):
            grouped = [g.sql() for g in cte.args["group"].expressions]
            stem = name[:-len("__dated")]
            assert {"_dates._as_of", "numbered._as_of", f"{stem}__spans._as_of",
                    f"{stem}__pos._as_of"} & set(grouped), name
    assert segmented  # the orders pass (count, sum, max) is built from segment rows
    # rankings rank each date apart
    windows = [w for w in query.find_all(exp.Window) if w.args.get("partition_by")]
    assert any(p.sql() == "_as_of" for w in windows for p in w.args["partition_by"])
    assert query.args["order"].expressions[0].this.sql() == "_as_of"


def test_a_top_ranking_keeps_its_members_only_at_many_dates():
    """`top 20%` over many dates: the ranking CTE keeps the (key, date) of its members (the
    join back builds on them, not on every ranked row); the step tests the key's presence."""
    model = compile_file(SHOP / "shop.seg").require_ok()
    ranked = plan_for(model, ["top_20pct"])
    query = query_for_plan(ranked, "duckdb", AsOf.many(DATES))
    ctes = {cte.alias: cte.this for cte in query.args["with_"].expressions}
    (name,) = [n for n in ctes if n.startswith("ranked_")]
    assert [e.alias_or_name for e in ctes[name].expressions] == ["_key", "_rank_as_of"]
    assert ctes[name].args["where"].this.sql() == "_position * 100 <= 20 * _count"
    assert f"NOT {name}._key IS NULL" in query.sql()
    single = query_for_plan(ranked, "postgres", AsOf("date", DATES[0]))
    assert "_position * 100 <= 20 * " in single.sql()  # one date: the position, as before


def test_compile_command_takes_a_range(monkeypatch):
    monkeypatch.chdir(SHOP)
    result = CliRunner().invoke(main, ["compile", "--as-of", "2026-01-31..2026-03-31",
                                       "--every", "month", "--show", "plan", "-s", "loyal"])
    assert result.exit_code == 0, result.output
    assert "dates 3: 2026-01-31, 2026-02-28, 2026-03-31" in result.output
    listed = CliRunner().invoke(main, ["compile", "--as-of", "2026-01-31,2026-03-31",
                                       "-s", "loyal"])
    assert listed.exit_code == 0, listed.output
    assert "_dates" in listed.output and "2026-03-31" in listed.output


FEATURES = Path(__file__).parent / "features"


@pytest.mark.parametrize("path", [SHOP / "shop.seg", FEATURES / "window.seg",
                                  FEATURES / "through.seg", FEATURES / "rfm.seg"],
                         ids=lambda p: p.stem)
def test_the_listing_tells_what_the_sql_builds(path):
    """`--show plan`'s time segments are the SQL's: a pass listed with segment rows has its
    `__seg` CTE (one CASE comparison per cut, one spans row per date), one listed with running
    totals reads them (`_running`), every other pass joins `_dates`."""
    from segl.compiler.api import physical_plan_for
    from segl.compiler.plan.describe_dates import for_dates
    from segl.compiler.plan.segments import segmented_for

    model = compile_file(path).require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations])
    as_of = AsOf.many(DATES)
    physical = for_dates(physical_plan_for(plan, as_of))
    query = query_for_plan(plan, "duckdb", as_of)
    ctes = {cte.alias: cte.this for cte in query.args["with_"].expressions}
    text = describe_plan(plan, as_of)
    kinds = set()
    for aggregation in physical.plan.aggregations:
        segmented = segmented_for(physical, aggregation)
        name = aggregation.cte_name
        assert (f"{name}__seg" in ctes) == (segmented is not None), name
        if segmented is None:
            kinds.add("joined")
            continue
        case = next(ctes[f"{name}__seg"].find_all(exp.Case))
        # the position is a balanced tree of CASEs: one comparison per cut in all
        assert len(list(case.find_all(exp.If))) == len(segmented.cuts), name
        assert len(list(ctes[f"{name}__spans"].find_all(exp.Select))) == len(DATES), name
        running = any(s.alias == "_running"
                      for s in ctes[f"{name}__dated"].find_all(exp.Subquery))
        assert running == segmented.running, name
        kinds.add("running" if running else "segments")
        assert f"{len(segmented.cuts)} cuts" in text
    listed = {"running": "combined: running totals per entity",
              "segments": "combined: segment rows joined to the dates",
              "joined": "dates: every event joined to each date"}
    for kind, words in listed.items():
        assert (words in text) == (kind in kinds), kind
    if path.stem == "shop":  # count(distinct) keeps the join; avg without window runs
        assert kinds == {"joined", "segments", "running"}
        assert "orders__m6 (count distinct) does not combine" in text
