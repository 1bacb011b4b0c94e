"""A lookup read through one condition only, as a semi-join on DuckDB (dialect rule
`semi_join_lookups`: `l_product_id IN (SELECT product_id FROM product WHERE …)` instead of a
LEFT JOIN of the reduced lookup), and a measure's window test left out where the pass's
prefilter already implies it. Both run on DuckDB against a plain-Python count, on lines
without a product, with a product missing from the lookup, with a missing category, and
before, inside and after each window."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from segl.compiler.api import compile_file, to_sql
from segl.compiler.backends.sql import dialects
from segl.compiler.backends.sql.reductions import implied_by
from segl.compiler.ir import CompareOp
from segl.compiler.plan.physical import Bound, TimeTest

AS_OF = date(2026, 6, 30)
SEG = """
entity customer from csv "customers.csv" key customer_id {
  customer_id int
}
events orders from csv "orders.csv" key customer_id at ordered_on {
  order_id int
  customer_id int
  ordered_on date
}
events lines from csv "lines.csv" through orders on order_id = order_id at shipped_on {
  order_id int
  product_id int
  shipped_on date
  quantity int
}
lookup product from csv "products.csv" key product_id for lines.product_id {
  product_id int
  category text
}
segment some_30d = count(lines where CONDITION) in last 30 days >= 1
segment much_90d = sum(lines.quantity where CONDITION) in last 90 days >= 3
segment recent_lines = count(lines) in last 10 days >= 2
"""
SEGMENTS = ("some_30d", "much_90d", "recent_lines")
# the condition on the lookup, and the rule it follows in Python (None: a missing category)
CONDITIONS = {
    'product.category = "garden"': lambda v: v == "garden",
    'not (product.category = "garden")': lambda v: v is not None and v != "garden",
    'product.category like "%en"': lambda v: v is not None and v.endswith("en"),
}
PRODUCTS = [(1, "garden"), (2, "kitchen"), (3, None), (4, "garden")]
# (customer, order, product, days before as_of, quantity); product 9 has no lookup row
LINES = [(1, 10, 1, 5, 1), (1, 10, 2, 5, 2), (1, 11, None, 40, 4), (1, 11, 3, 40, 1),
         (2, 20, 9, 3, 5), (2, 20, 4, 31, 1), (2, 21, 2, 100, 7), (2, 21, 1, 1, 1),
         (3, 30, 2, -2, 9), (3, 30, 1, -1, 1), (3, 31, 2, 89, 3), (3, 31, 4, 29, 1),
         (4, 40, 3, 0, 2), (4, 40, 3, 0, 2), (4, 41, None, 2, 1)]


def expected(condition: str) -> dict[str, list[int]]:
    """segl's rules: a line is visible when shipped (and its order placed) by as_of; `in
    last N days` is as_of - N < day <= as_of; a missing category matches neither
    `= "garden"` nor its negation; a line without a product row has no category."""
    category = dict(PRODUCTS)
    meets = CONDITIONS[condition]
    some: dict[int, int] = {}
    much: dict[int, int] = {}
    recent: dict[int, int] = {}
    for customer, _, product, back, quantity in LINES:
        if back < 0:
            continue
        value = category.get(product)
        if back < 30 and meets(value):
            some[customer] = some.get(customer, 0) + 1
        if back < 90 and meets(value):
            much[customer] = much.get(customer, 0) + quantity
        if back < 10:
            recent[customer] = recent.get(customer, 0) + 1
    return {"some_30d": sorted(c for c, n in some.items() if n >= 1),
            "much_90d": sorted(c for c, n in much.items() if n >= 3),
            "recent_lines": sorted(c for c, n in recent.items() if n >= 2)}


def _write(folder: Path, condition: str) -> Path:
    def day(back: int) -> str:
        return (AS_OF - timedelta(days=back)).isoformat()

    (folder / "customers.csv").write_text(
        "customer_id\n" + "".join(f"{c}\n" for c in range(1, 6)), encoding="utf-8")
    placed: dict[tuple[int, int], int] = {}  # each order a day before its first line
    for customer, order, _, back, _ in LINES:
        placed[order, customer] = max(placed.get((order, customer), back), back)
    (folder / "orders.csv").write_text("order_id,customer_id,ordered_on\n" + "".join(
        f"{o},{c},{day(b + 1)}\n" for (o, c), b in sorted(placed.items())),
        encoding="utf-8")
    (folder / "lines.csv").write_text("order_id,product_id,shipped_on,quantity\n" + "".join(
        f"{o},{'' if p is None else p},{day(b)},{q}\n" for _, o, p, b, q in LINES),
        encoding="utf-8")
    (folder / "products.csv").write_text("product_id,category\n" + "".join(
        f"{p},{'' if c is None else c}\n" for p, c in PRODUCTS), encoding="utf-8")
    seg = folder / "shop.seg"
    seg.write_text(SEG.replace("CONDITION", condition), encoding="utf-8")
    return seg


@pytest.fixture(scope="module", params=list(CONDITIONS), ids=["equal", "not", "like"])
def seg(request, tmp_path_factory) -> tuple[Path, str]:
    return _write(tmp_path_factory.mktemp("semi_join"), request.param), request.param


def members(seg: Path, semi_join: bool) -> tuple[str, dict[str, list[int]]]:
    compilation = compile_file(seg)
    assert compilation.ok, compilation.diagnostics
    saved = dialects.RULES["duckdb"]
    dialects.RULES["duckdb"] = dataclasses.replace(saved, semi_join_lookups=semi_join)
    try:
        sql = to_sql(compilation, "duckdb", AS_OF)
    finally:
        dialects.RULES["duckdb"] = saved
    connection = duckdb.connect()
    result = connection.sql(sql)
    names, rows = result.columns, result.fetchall()
    found = {name: sorted(row[names.index("customer_id")] for row in rows
                          if row[names.index(name)]) for name in SEGMENTS}
    return sql, found


@pytest.mark.parametrize("semi_join", [True, False], ids=["semi-join", "left-join"])
def test_members_match_the_rule_with_and_without_the_semi_join(seg, semi_join):
    path, condition = seg
    sql, found = members(path, semi_join)
    assert bool(re.search(r"\bIN \(", sql)) is semi_join
    assert ("LEFT JOIN (" in sql) is not semi_join  # the reduced lookup's subquery
    assert found == expected(condition)


def test_a_window_the_prefilter_implies_is_not_tested_again(seg):
    sql, _ = members(seg[0], True)
    pre = sql[sql.index("pre_lines AS ("):sql.index("agg_lines AS (")]
    start_90 = (AS_OF - timedelta(days=89)).isoformat()
    start_30 = (AS_OF - timedelta(days=29)).isoformat()
    # the prefilter (the 90-day span) is tested once; the 30-day window stays in its measure
    assert pre.count(start_90) == 1 and pre.count(start_30) == 2


def test_implied_by_only_an_earlier_or_equal_start_of_the_same_column():
    def test(op: CompareOp, day: date, column: str = "shipped_on") -> TimeTest:
        return TimeTest("lines", column, op, Bound(day), False)

    since = test(CompareOp.GE, date(2026, 4, 2))
    assert implied_by(test(CompareOp.GE, date(2026, 4, 2)), since)
    assert implied_by(test(CompareOp.GE, date(2026, 1, 1)), since)
    assert not implied_by(test(CompareOp.GE, date(2026, 6, 1)), since)  # a later start
    assert not implied_by(test(CompareOp.LT, date(2026, 1, 1)), since)
    assert not implied_by(test(CompareOp.GE, date(2026, 1, 1), "ordered_on"), since)
    assert not implied_by(test(CompareOp.GE, date(2026, 1, 1)), None)
    assert not implied_by(test(CompareOp.GE, date(2026, 1, 1)),
                          TimeTest("lines", "shipped_on", CompareOp.GE, Bound(None, -3), False))


def test_two_conditions_on_one_lookup_one_inside_the_other(tmp_path):
    """Two hoisted conditions of one lookup (no semi-join: the reduced LEFT JOIN), one the
    negation of the other: each computed in the lookup's subquery on its own (reading the
    other's column by name inside the same SELECT is an error on DuckDB)."""
    seg = _write(tmp_path, 'product.category = "garden"')
    seg.write_text(seg.read_text(encoding="utf-8").replace(
        "segment recent_lines = count(lines) in last 10 days >= 2",
        'segment recent_lines = count(lines where not (product.category = "garden")) '
        "in last 90 days >= 1"), encoding="utf-8")
    sql, found = members(seg, True)
    assert "LEFT JOIN (" in sql
    assert found["recent_lines"] == [1, 3]  # a kitchen line each within 90 days
    assert found["some_30d"] == expected('product.category = "garden"')["some_30d"]
