"""The catalogue is the one list of functions: every stage reads it, docs/language.md's
tables are generated from it, and each entry is complete."""

from __future__ import annotations

import math
import os
import statistics
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from segl.compiler import catalogue, ir
from segl.compiler.api import builtin_functions, compile_source, python_aggregates, to_sql
from segl.compiler.catalogue.markdown import with_tables
from segl.compiler.diagnostics import CompileError
from segl.compiler.source import SourceFile
from sqlglot import parse_one

DOC = Path(__file__).resolve().parents[2] / "docs" / "language.md"

HEAD = """
entity customer from parquet "data/customers.parquet", table "s.customers" key customer_id {
  customer_id int
  city text
  joined date
}
events orders from parquet "data/orders.parquet", table "s.orders" key customer_id at ordered_at {
  ordered_at timestamp
  amount float
  channel text
}
"""


def check(text: str):
    return compile_source(SourceFile("t.seg", HEAD + text))


def test_docs_language_md_tables_are_current():
    current = DOC.read_text(encoding="utf-8")
    expected = with_tables(current)
    if os.environ.get("SEGL_UPDATE_SNAPSHOTS"):
        DOC.write_text(expected, encoding="utf-8")
    assert current == expected, (
        "docs/language.md's function tables are out of date: "
        "SEGL_UPDATE_SNAPSHOTS=1 pytest tests/catalogue")


def test_the_ir_words_for_aggregates_are_the_catalogue_entries():
    assert [f.value for f in ir.AggregateFunc] == list(catalogue.AGGREGATES)
    assert ir.AggregateFunc.MEDIAN == "median" and repr(ir.AggregateFunc.STDDEV) == "'stddev'"
    aggregate = ir.Aggregate("percentile", "orders", None, None, None)
    assert aggregate.func is ir.AggregateFunc.PERCENTILE


@pytest.mark.parametrize("entry", catalogue.AGGREGATE_ENTRIES, ids=lambda e: e.name)
def test_aggregates_without_builders_are_the_ones_the_backends_build(entry):
    built_by_backends = {"count", "sum", "avg", "first", "last", "most_frequent"}
    assert (entry.sql is None) == (entry.name in built_by_backends)
    assert (entry.polars is None) == (entry.name in built_by_backends)
    assert entry.summary and entry.usage and entry.value_doc


def test_editors_list_every_entry_with_its_summary():
    functions = builtin_functions()
    for name in (*catalogue.AGGREGATES, *catalogue.SCALAR_FUNCTIONS):
        assert functions[name] == (catalogue.AGGREGATE_SUMMARIES.get(name) or
                                   catalogue.scalar(name).summary)
    assert "median" in functions and "weeks_between" in functions


@pytest.mark.parametrize("text,code,message", [
    ("feature p = percentile(orders.amount, 1.5)\n", "E110", "number literal in [0, 1]"),
    ("feature p = percentile(orders.amount, channel)\n", "E110", "number literal"),
    ("feature p = percentile(orders.amount)\n", "E110", "takes 2 arguments, got 1"),
    ("feature p = median(orders.amount, 0.5)\n", "E110", "takes one argument, got 2"),
    ("feature p = median(orders.channel)\n", "E201", "expected a number"),
    ("feature p = stddev(distinct orders.amount)\n", "E108", "`distinct` only applies to count"),
    ("feature w = weeks_between(city, joined)\n", "E201", "expected a date or timestamp"),
    ("feature w = weeks_between(joined)\n", "E110", "takes 2 argument(s), got 1"),
    ("kpi spread = stddev(orders.amount)\n", "E108", "does not add up over a group"),
])
def test_misuse_is_a_diagnostic_at_its_place(text, code, message):
    result = check(text)
    assert [d.code for d in result.errors] == [code], [d.render() for d in result.errors]
    assert message in result.errors[0].message


def test_feature_types_come_from_the_catalogue():
    result = check("feature m = median(orders.amount)\nfeature w = weeks_between(joined, as_of)\n"
                   "feature n = min(orders.channel)\n")
    assert result.ok, [d.render() for d in result.diagnostics]
    types = {name: f.expr.type for name, f in result.model.features.items()}
    assert types == {"m": ir.Type.FLOAT, "w": ir.Type.INT, "n": ir.Type.TEXT}


STATS = ("feature m = median(orders.amount where channel = \"web\") in last 30 days\n"
         "feature p = percentile(orders.amount, 0.9)\nfeature s = stddev(orders.amount)\n"
         "feature w = weeks_between(joined, as_of)\nsegment x = m > 1 and p > s and w > 2\n")


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "sqlite", "clickhouse", "spark",
                                     "databricks", "snowflake", "redshift"])
def test_statistics_compile_for_every_dialect_that_has_them(dialect):
    text = to_sql(check(STATS), dialect, date(2026, 6, 30))
    parse_one(text, read=dialect)  # sqlglot reads back what it wrote
    assert "0.9" in text and "ROUND(" in text.upper()


@pytest.mark.parametrize("dialect", ["bigquery", "tsql", "mysql"])
def test_dialects_without_an_ordered_percentile_refuse_it_at_the_call(dialect):
    with pytest.raises(CompileError) as raised:
        to_sql(check(STATS), dialect, date(2026, 6, 30))
    codes = {(d.code, d.span.line if d.span else None) for d in raised.value.diagnostics}
    assert ("E301", HEAD.count("\n") + 1) in codes and ("E301", HEAD.count("\n") + 2) in codes


@given(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), max_size=12),
       st.sampled_from([0, 0.1, 0.25, 0.5, 0.9, 1]))
def test_python_aggregates_equal_the_statistics_module(values, fraction):
    functions = python_aggregates()
    present = sorted(v for v in values if v is not None)
    got = functions["segl_percentile"](values, fraction)
    if not present:
        assert got is None
    else:
        if len(present) == 1 or fraction in (0, 1):
            wanted = present[0] if fraction == 0 or len(present) == 1 else present[-1]
        else:
            wanted = statistics.quantiles(present, n=100, method="inclusive")[
                round(fraction * 100) - 1]
        assert math.isclose(got, wanted, rel_tol=1e-9, abs_tol=1e-6)
    spread = functions["segl_stddev"](values)
    if len(present) < 2:
        assert spread is None
    else:
        assert math.isclose(spread, statistics.stdev(present), rel_tol=1e-9, abs_tol=1e-6)
