"""Each rule of compiler/backends/sql/dialects.py, pinned in the SQL text it produces
(tests/engines runs the same constructs on the engines themselves)."""

from __future__ import annotations

import re
import sqlite3
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from segl.compiler.api import compile_source, sql_for_plan, to_sql
from segl.compiler.backends.sql.dialects import glob_pattern
from segl.compiler.backends.sql.generator import SourceOverride
from segl.compiler.plan import plan_for
from segl.compiler.source import SourceFile

SEG = """
entity customer from parquet "data/customers.parquet", table "s.customers" key customer_id {
  customer_id int
  city text
  born date
}
events orders from parquet "data/orders.parquet", table "s.orders" key customer_id at ordered_at {
  ordered_at timestamp
  amount float
}
feature age = years_between(born, as_of)
feature months = months_between(born, as_of)
segment old = age >= 65 and lower(city) = "zürich" and upper(city) = "ZÜRICH"
segment spender = sum(orders.amount) in last 30 days > 100
segment new = months < 6
"""


@pytest.fixture(scope="module")
def compilation():
    result = compile_source(SourceFile("rules.seg", SEG))
    assert result.ok, result.diagnostics
    return result


def sql(compilation, dialect: str) -> str:
    return to_sql(compilation, dialect, date(2026, 6, 30))


def test_sqlite_reads_date_parts_with_strftime_and_rounds_float_totals(compilation):
    text = sql(compilation, "sqlite")
    assert "CAST(STRFTIME('%Y', DATE(born)) AS INTEGER)" in text
    assert "YEAR(" not in text and "MONTH(" not in text
    assert "ROUND(" in text and ", 9)" in text


def test_sqlite_groups_running_totals_of_many_dates_by_entity_and_date():
    """Rule `group_running`: a pass without windows read from running totals at many
    dates is grouped by (entity, date) on SQLite only, so SQLite indexes it for the join
    into the entity rows instead of scanning it per row."""
    from segl.compiler.api import AsOf, query_for_plan

    source = SEG + "feature total = sum(orders.amount)\nsegment big = total > 1000\n"
    model = compile_source(SourceFile("rules.seg", source)).require_ok()
    plan = plan_for(model, ["big"])
    dates = AsOf.many([date(2026, 5, 31), date(2026, 6, 30)])
    for dialect, grouped in (("sqlite", True), ("duckdb", False), ("postgres", False)):
        query = query_for_plan(plan, dialect, dates)
        ctes = {cte.alias: cte.this for cte in query.args["with_"].expressions}
        dated = ctes["agg_orders__dated"]
        assert "_running" in dated.sql(dialect), dialect
        assert bool(dated.args.get("group")) == grouped, dialect


def test_duckdb_keeps_exact_decimal_totals_and_its_own_date_parts(compilation):
    text = sql(compilation, "duckdb")
    assert "ROUND(" not in text
    assert "YEAR(CAST(born AS DATE))" in text


def test_clickhouse_dates_are_date32_and_timestamps_datetime64(compilation):
    text = sql(compilation, "clickhouse")
    assert "Nullable(Date32)" in text and "Nullable(DateTime64(6))" in text
    assert "AS Nullable(DATE)" not in text and "Nullable(DateTime)" not in text
    assert "lowerUTF8(city)" in text and "upperUTF8(city)" in text


def test_months_between_subtracts_the_whole_start(compilation):
    text = sql(compilation, "duckdb")
    assert "- ( YEAR(CAST(born AS DATE)) * 12 + MONTH(CAST(born AS DATE)) )" in " ".join(
        text.split())


def test_sources_can_be_moved_to_engine_tables_or_files(compilation):
    model = compilation.require_ok()
    plan = plan_for(model, list(model.segments))
    text = sql_for_plan(plan, compilation, "postgres", date(2026, 6, 30), sources={
        "customer": SourceOverride("table", "segl_customer"),
        "orders": SourceOverride("table", "segl_orders")})
    assert "FROM segl_customer AS customer" in text and "FROM segl_orders AS orders" in text
    text = sql_for_plan(plan, compilation, "spark", date(2026, 6, 30), sources={
        "customer": SourceOverride("parquet", "/tmp/c.parquet"),
        "orders": SourceOverride("parquet", "/tmp/o.parquet")})
    assert "parquet.`/tmp/c.parquet` AS customer" in text
    # without the override, postgres reads the declared warehouse tables
    assert "FROM s.customers AS customer" in sql(compilation, "postgres")


TEXT_MATCHES = """
entity customer from parquet "data/customers.parquet", table "s.customers" key customer_id {
  customer_id int
  city text
  pattern text
}
segment starts = city starts with "Ams"
segment ends = city ends with "dam"
segment contains = city contains "ster"
segment wildcards = city like "A_*?[%"
segment by_column = city like pattern
segment backslash = city like "a\\\\b%"
"""


def test_sqlite_matches_text_with_glob_and_other_dialects_keep_like():
    compilation = compile_source(SourceFile("text.seg", TEXT_MATCHES))
    assert compilation.ok, compilation.diagnostics
    text = sql(compilation, "sqlite")
    assert "LIKE" not in text
    for glob in ("city GLOB 'Ams*'", "city GLOB '*dam'", "city GLOB '*ster*'",
                 "city GLOB 'A?[*][?][[]*'"):
        assert glob in text
    # a pattern that is not a literal is translated by the query, `[` first
    assert ("city GLOB REPLACE( REPLACE(REPLACE(REPLACE(REPLACE(pattern, '[', '[[]'), '*', "
            "'[*]'), '?', '[?]'), '%', '*'), '_', '?' )") in " ".join(text.split())
    assert "city GLOB 'a\\b*'" in text  # a backslash is an ordinary character in GLOB
    for dialect in ("duckdb", "postgres", "spark", "clickhouse", "snowflake"):
        other = sql(compilation, dialect)
        assert "GLOB" not in other and "city LIKE 'Ams%'" in other
        assert "city LIKE 'A_*?[%'" in other


def test_a_backslash_in_a_like_pattern_is_doubled_where_like_escapes_with_it():
    compilation = compile_source(SourceFile("text.seg", TEXT_MATCHES))
    for dialect in ("duckdb", "snowflake"):  # no escape character: as written
        text = sql(compilation, dialect)
        assert "city LIKE pattern" in text and "REPLACE" not in text
    assert "city LIKE 'a\\b%'" in sql(compilation, "duckdb")
    assert "city LIKE 'a\\\\b%'" in sql(compilation, "postgres")
    for dialect in ("postgres", "spark", "clickhouse"):
        text = sql(compilation, dialect)
        assert "city LIKE 'Ams%'" in text  # patterns without a backslash are unchanged
        assert "city LIKE REPLACE(pattern, " in text


def _like(text: str, pattern: str) -> bool:
    """SQL LIKE without an escape character, case-sensitive: `%` any run, `_` one
    character, everything else itself (written independently of the compiler)."""
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


pattern_characters = st.sampled_from(list("aAbB%_*?[]^\\-!é"))


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(pattern_characters, max_size=5), min_size=1, max_size=6),
       pattern=st.text(pattern_characters, max_size=5))
def test_a_like_pattern_as_sqlite_glob_matches_what_like_matches(texts, pattern):
    connection = sqlite3.connect(":memory:")
    literal = "SELECT ? GLOB ?"
    translated = ("SELECT ? GLOB REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(?, '[', '[[]'), "
                  "'*', '[*]'), '?', '[?]'), '%', '*'), '_', '?')")
    for text in texts:
        expected = _like(text, pattern)
        (got,) = connection.execute(literal, (text, glob_pattern(pattern))).fetchone()
        assert bool(got) is expected, (text, pattern, glob_pattern(pattern))
        (got,) = connection.execute(translated, (text, pattern)).fetchone()
        assert bool(got) is expected, (text, pattern)


def test_aggregate_filter_writes_filter_clauses_with_the_same_members(monkeypatch):
    """`aggregate_filter` (off everywhere: slower on DuckDB, see dialects.py) writes a
    measure's window and filter as FILTER (WHERE …); the members are those of the CASE form,
    on DuckDB, for the example shop (counts, sums, averages, windows and filters)."""
    import dataclasses

    from segl.compiler.backends.sql import dialects
    from segl.runtime.api import load
    from segl.runtime.sql import fetch_all

    from tests.conftest import ROOT

    compilation, connection = load(str(ROOT / "examples" / "shop" / "shop.seg"))
    when = date(2026, 6, 30)
    case_form = to_sql(compilation, "duckdb", when)
    monkeypatch.setitem(dialects.RULES, "duckdb",
                        dataclasses.replace(dialects.RULES["duckdb"], aggregate_filter=True))
    filter_form = to_sql(compilation, "duckdb", when)
    assert "FILTER(WHERE" in filter_form and "FILTER(WHERE" not in case_form
    assert "CASE" in case_form

    import sqlglot

    rows = [fetch_all(connection, sqlglot.parse_one(text, read="duckdb"))
            for text in (case_form, filter_form)]
    assert rows[0] == rows[1] and len(rows[0]) > 10
    connection.close()
