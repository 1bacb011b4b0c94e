"""`segl run --traits` on every engine: the feature values (and their DuckDB types) equal
DuckDB's, including missing values, decimals, timestamps and text (issue 11 item 1)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from segl.runtime.api import evaluate

from .conftest import OTHER_ENGINES, engine_params
from .test_agreement import CUSTOMER_SCHEMA, CUSTOMERS, HEAD, ORDER_SCHEMA

FEATURES = """
feature orders_n = count(orders)
feature spend = sum(orders.amount)
feature last_order = max(orders.ordered_at)
feature recent = count(orders) in last 30 days
feature ratio = a / b
feature town = city
feature born_year = year(born)
segment buyers = orders_n > 0
"""
ORDERS = [(1, datetime(2026, 6, 1, 9), "12.50"), (1, datetime(2026, 6, 29, 23, 59), "7.25"),
          (2, datetime(2026, 1, 5, 12), "100.00"), (4, datetime(2026, 7, 2), "1.00")]


def traits(project, engine, engine_options):
    customers = [dict(zip(CUSTOMER_SCHEMA, row, strict=True)) for row in CUSTOMERS]
    orders = [{"customer_id": c, "ordered_at": t, "amount": Decimal(a)} for c, t, a in ORDERS]
    path = project(HEAD + FEATURES, {"customers": customers, "orders": orders},
                   {"customers": CUSTOMER_SCHEMA, "orders": ORDER_SCHEMA})
    evaluation = evaluate(path, as_of=date(2026, 6, 30), engine=engine,
                          engine_options=engine_options, traits=["all"])
    return evaluation.members("wide")


@pytest.mark.parametrize("engine", engine_params(OTHER_ENGINES))
def test_traits_equal_duckdb_on_every_engine(project, engine, engine_options):
    reference = traits(project, "duckdb", {})
    assert reference.columns == ["customer_id", "buyers", "orders_n", "spend", "last_order",
                                 "recent", "ratio", "town", "born_year"]
    assert reference["orders_n"].to_list() == [2, 1, 0, 0, 0]  # (the July order is unseen)
    found = traits(project, engine, engine_options)
    assert found.schema == reference.schema
    exact = [c for c in reference.columns if c != "ratio"]
    assert found.select(exact).equals(reference.select(exact), null_equal=True), (
        found, reference)
    # `/` divides DECIMAL(38, 10) on the SQL engines (docs/engines.md): 10 decimals agree
    for got, want in zip(found["ratio"], reference["ratio"], strict=True):
        assert (got is None and want is None) or got == pytest.approx(want, abs=1e-10)
