"""Each rule of compiler/dialects.py, pinned in the SQL text it produces (tests/engines runs
the same constructs on the engines themselves)."""

from __future__ import annotations

from datetime import date

import pytest
from segl.compiler.api import compile_source, sql_for_plan, to_sql
from segl.compiler.plan import plan_for
from segl.compiler.source import SourceFile
from segl.compiler.to_sql import SourceOverride

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
