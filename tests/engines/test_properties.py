"""Property: for small random datasets and random segment predicates, DuckDB and SQLite
(and every other quick in-process engine of the registry, e.g. Polars) admit the same
members."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segl.compiler.api import compile_file
from segl.compiler.plan import plan_for
from segl.runtime.api import load
from segl.runtime.engines import available, engine_module, run_members

# In-process engines compared with DuckDB (servers and Spark are covered by the other
# differential tests, with fixed cases).
COMPARED = [name for name in ("sqlite", "polars") if available(name)]

HEAD = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  n int
  x float
  t text
  d date
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at date
  amount float
}
"""
AS_OF = date(2026, 6, 30)

numbers = st.one_of(st.none(), st.integers(-5, 5))
floats = st.one_of(st.none(), st.sampled_from([-1.5, 0.0, 0.25, 1.0, 2.5, 10.0]))
texts = st.one_of(st.none(), st.sampled_from(["a", "A", "b", "a ", "ä", "", "aB", "a_b", "a*?",
                                               "[a]", "a\\b"]))
# Text matching: case, `%` and `_`, and characters that are wildcards elsewhere (SQLite's
# GLOB: * ? [) or an escape character (a backslash) must mean the same on every engine.
# (Patterns as written in a .seg string: `\\` is one backslash.)
like_patterns = st.sampled_from(["a%", "A%", "%b", "_", "a_b", "%*%", "[a]", "%?", "a\\\\b"])
needles = st.sampled_from(["a", "A", "B", "_", "*", "[", "%", "a\\\\"])
dates = st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2026, 12, 31)))

atoms = st.one_of(
    st.builds(lambda op, v: f"n {op} {v}", st.sampled_from(["=", "!=", "<", ">=", ">"]),
              st.integers(-5, 5)),
    st.builds(lambda op, v: f"x {op} {v}", st.sampled_from(["<", ">=", "="]),
              st.sampled_from(["0", "0.25", "1.5"])),
    st.builds(lambda op, v: f't {op} "{v}"', st.sampled_from(["=", "!=", "<", ">"]),
              st.sampled_from(["a", "A", "b", "a "])),
    st.builds(lambda v: f"d >= {v.isoformat()}", st.dates(date(2024, 1, 1), date(2026, 12, 31))),
    st.builds(lambda v, k: f"n / {v} > {k}", st.sampled_from(["2", "3", "x"]),
              st.sampled_from(["0", "0.5", "1"])),
    st.sampled_from(["t is missing", "n is present", "d is missing", "t like upper(t)"]),
    st.builds(lambda p: f't like "{p}"', like_patterns),
    st.builds(lambda op, v: f't {op} "{v}"',
              st.sampled_from(["starts with", "ends with", "contains"]), needles),
    st.builds(lambda w, k: f"count(orders) in last {w} days > {k}", st.integers(1, 400),
              st.integers(0, 2)),
    st.builds(lambda k: f"sum(orders.amount) >= {k}", st.sampled_from(["0", "1", "2.5"])),
    st.builds(lambda p, by: f"top {p}% by {by}", st.integers(1, 100),
              st.sampled_from(["n", "x", "count(orders)"])),
)
predicates = st.recursive(atoms, lambda inner: st.one_of(
    st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
    st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
    st.builds(lambda a: f"not ({a})", inner),
), max_leaves=4)


@settings(max_examples=30, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    customers=st.lists(st.tuples(numbers, floats, texts, dates), min_size=1, max_size=8),
    orders=st.lists(st.tuples(st.integers(0, 7), st.integers(-500, 30),
                              st.sampled_from([0.1, 0.2, 0.7, 1.0, 2.5])), max_size=12),
    segments=st.lists(predicates, min_size=1, max_size=3),
)
def test_random_segments_agree_across_engines(project, customers, orders, segments):
    customer_rows = [{"customer_id": i, "n": n, "x": x, "t": t, "d": d}
                     for i, (n, x, t, d) in enumerate(customers)]
    order_rows = [{"customer_id": c, "ordered_at": AS_OF + timedelta(days=day), "amount": a}
                  for c, day, a in orders if c < len(customers)]
    text = HEAD + "".join(f"segment s{i} = {p}\n" for i, p in enumerate(segments))
    path = project(text, {"customers": customer_rows, "orders": order_rows}, {
        "customers": {"customer_id": pl.Int64, "n": pl.Int64, "x": pl.Float64,
                      "t": pl.String, "d": pl.Date},
        "orders": {"customer_id": pl.Int64, "ordered_at": pl.Date, "amount": pl.Float64}})
    if not compile_file(path).ok:  # e.g. `top … by` inside `not` where the language says no
        return
    compilation, connection = load(path)
    model = compilation.require_ok()
    plan = plan_for(model, list(model.segments))
    expected = engine_module("duckdb").run_members(compilation, plan, AS_OF,
                                                   connection=connection)
    for engine in COMPARED:
        got = run_members(engine, compilation, plan, AS_OF, connection=connection)
        assert got.equals(expected), (engine, text, got, expected)


def test_sqlite_is_compared():
    assert "sqlite" in COMPARED
