"""The sequence construct as written: parsing, the canonical format, positioned errors
(E125, and E108/E111 where those rules apply), KPIs and features that read a sequence."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from segl.compiler.api import compile_source, format_source
from segl.compiler.source import SourceFile
from segl.runtime.api import evaluate

from tests.semantics.sequence_cases import SEQUENCE_HEAD, SEQUENCE_SCHEMA

HEAD = SEQUENCE_HEAD.replace("  amount float\n", "  amount float\n  order_id int\n", 1) + """
events lines from parquet "data/lines.parquet" through orders on order_id = order_id {
  order_id int
}
events notes from parquet "data/notes.parquet" key customer_id {
  text text
}
lookup shop from parquet "data/shop.parquet" key page for visits.page {
  page text
  kind text
}
"""


def _errors(body: str) -> list[tuple[str, int, int, str]]:
    compilation = compile_source(SourceFile("test.seg", HEAD + body))
    offset = HEAD.count("\n")
    return [(d.code, d.span.line - offset, d.span.column, d.message) for d in compilation.errors]


@pytest.mark.parametrize("text", [
    "count(orders then orders)",
    'count(visits where page = "product" then no orders where amount > 10 within 7 days)',
    "last(orders then first orders within 2 weeks)",
    "count(orders then no orders)",
])
def test_the_canonical_format_is_stable(text):
    source = HEAD.lstrip() + f"\nfeature f = {text}\n"
    formatted = format_source(source)
    assert f"feature f = {text}\n" in formatted
    assert format_source(formatted) == formatted


@pytest.mark.parametrize("body,code,column,message", [
    ("feature f = sum(orders then orders)", "E125", 13, "not `sum(…)`"),
    ("feature f = avg(orders then first orders)", "E125", 13, "not `avg(…)`"),
    ("feature f = count(orders.amount then orders)", "E125", 19, "starts with an events table"),
    ("feature f = count(orders then shop)", "E125", 31, "`shop` is not an events table"),
    ("feature f = count(orders then lines)", "E125", 31, "reached through `orders`"),
    ("feature f = count(notes then orders)", "E125", 19, "has no time column"),
    ("feature f = count(distinct orders then orders)", "E125", 13, "`distinct`"),
    ('feature f = count(visits where shop.kind = "x" then orders)', "E125", 32,
     "`shop.kind` is not a column of `visits`"),
    ("feature g = 1\nfeature f = count(orders where amount > g then orders)", "E108", 41,
     "`g` is not a column of `orders`"),
    ("feature f = count(orders then orders within 0 days)", "E111", 38, "at least 1 day"),
    ("feature f = max(count(orders then orders))", "E108", 17, "cannot tell which"),
    ("kpi k = last(orders then orders)", "E125", 9, "a KPI counts"),
    ("feature f = round(orders then orders)", "E125", 13, "not `round(…)`"),
])
def test_misuse_is_reported_where_it_is_written(body, code, column, message):
    errors = _errors(body + "\n")
    assert errors, body
    found = errors[-1]
    assert found[0] == code and found[2] == column and message in found[3], errors


def test_a_kpi_adds_up_the_counts(project):
    body = (SEQUENCE_HEAD
            + "segment everyone = true\n"
            + "kpi repeats = count(orders then orders within 30 days)\n")
    orders = [(1, datetime(2026, 6, 1), 5.0), (1, datetime(2026, 6, 2), 5.0),
              (1, datetime(2026, 6, 3), 5.0), (2, datetime(2026, 5, 1), 5.0),
              (2, datetime(2026, 5, 20), 5.0), (3, datetime(2026, 1, 1), 5.0)]
    path = project(body, {
        "customers": [{"customer_id": k} for k in (1, 2, 3)],
        "orders": [{"customer_id": c, "ordered_at": t, "amount": a} for c, t, a in orders],
        "visits": [],
    }, SEQUENCE_SCHEMA)
    from segl.runtime.kpis import kpi_table

    groups = {g.name: g for g in kpi_table(evaluate(path, date(2026, 6, 30), kpis=True),
                                           ["repeats"])}
    assert groups["all"].values["repeats"] == 3  # 2 of customer 1, 1 of customer 2
    assert groups["everyone"].values["repeats"] == 3
