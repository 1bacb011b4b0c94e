"""The plan reads each related table once, whatever number of segments need it."""

import json
import re

from segl.compiler.api import compile_file, compile_source
from segl.compiler.plan import plan_for
from segl.compiler.source import SourceFile
from segl.runtime.api import evaluate

from tests.conftest import ROOT

SHOP = ROOT / "examples/shop/shop.seg"


def test_one_aggregation_per_related_table():
    plan = plan_for(compile_file(SHOP).model)
    tables = [a.table for a in plan.aggregations]
    assert sorted(tables) == sorted(set(tables))
    assert set(tables) == {"orders", "web_events", "email_events", "survey_answers"}


def test_identical_aggregates_are_computed_once():
    source = SourceFile("t.seg", """
entity c from table "c" key id { id int }
events o from table "o" key cid at t { t timestamp  amount float }
feature a = sum(o.amount) in last 30 days
feature b = sum(o.amount) in last 30 days * 2
segment s1 = a > 1
segment s2 = b > 1 and sum(o.amount) in last 30 days < 100
""")
    plan = plan_for(compile_source(source).model)
    (aggregation,) = plan.aggregations
    assert len(aggregation.measures) == 1


def test_a_subset_of_segments_plans_only_what_it_needs():
    model = compile_file(SHOP).model
    plan = plan_for(model, ["belgium"])
    assert plan.aggregations == ()
    assert plan.entity_columns == ("customer_id", "country")


def test_duckdb_explain_scans_each_table_once_for_all_segments():
    evaluation = evaluate(SHOP, as_of="2026-06-30")
    (row,) = evaluation.connection.execute("EXPLAIN (FORMAT json) " + evaluation.sql).fetchall()
    scans = []

    def walk(node):
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if node.get("name") == "READ_PARQUET":
                scans.append(node["extra_info"])
            walk(node.get("children", []))

    walk(json.loads(row[1]))
    assert len(evaluation.segments) == 32
    # one scan of the customers and one of each related table, named by its time column
    assert len(scans) == 5
    times = {"orders": "ordered_at", "web_events": "occurred_at", "email_events": "occurred_at",
             "survey_answers": "answered_at"}
    def first_filter(scan):
        filters = scan["Filters"]
        text = filters[0] if isinstance(filters, list) else filters
        return re.match(r"\(*(\w+)", text).group(1)  # the time column every scan filters on

    filtered = sorted(first_filter(s) for s in scans if "Filters" in s)
    assert filtered == sorted(times.values())
    assert sum("Filters" not in s for s in scans) == 1  # the entity table


def test_plan_describe_is_readable():
    text = plan_for(compile_file(SHOP).model, ["loyal"]).describe()
    assert text.splitlines()[:3] == [
        "entity customer key customer_id",
        "  read customer_id",
        "aggregate orders (one pass, 1 measures)",
    ]
