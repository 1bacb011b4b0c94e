"""Many dates in one pass (issue 11 item 2): one query over every date gives, at each date,
exactly the members (and trait values) of a run at that date alone; events on the date
boundaries (the as_of day, the day after, the first and last day of a window) included."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segl.compiler.api import AsOf, compile_file, query_for_plan
from segl.compiler.plan import plan_for
from segl.compiler.plan.table_reads import TableReads
from segl.runtime import api
from segl.runtime.api import load
from segl.runtime.engines import available, run_members
from segl.runtime.multi_date import evaluate_dates
from sqlglot import exp

SHOP = Path(__file__).parents[2] / "examples" / "shop" / "shop.seg"
# A month-end, a leap day, a date whose day after is a month start, and a date in between.
DATES = [date(2025, 12, 31), date(2026, 2, 28), date(2026, 3, 1), date(2026, 6, 30)]


def per_date(evaluation_members: pl.DataFrame, day: date) -> pl.DataFrame:
    return evaluation_members.filter(pl.col("as_of") == day).drop("as_of")


@pytest.fixture(scope="module")
def shop_dated():
    return evaluate_dates(SHOP, DATES, traits=["all"])


@pytest.fixture(scope="module")
def shop_alone():
    """Each date's own run, shared by the wide and the long comparison."""
    return {day: api.evaluate(SHOP, day, traits=["all"]) for day in DATES}


@pytest.mark.parametrize("shape", ["wide", "long"])
def test_shop_every_date_equals_its_own_run(shop_dated, shop_alone, shape):
    together = shop_dated.members(shape)
    assert together.columns[0] == "as_of"
    assert together["as_of"].unique().sort().to_list() == DATES
    for day in DATES:
        alone = shop_alone[day].members(shape)
        assert per_date(together, day).equals(alone), day


def test_sizes_per_date(shop_dated, shop_alone):
    sizes = shop_dated.sizes()
    assert list(sizes) == DATES
    for day in DATES:
        alone = shop_alone[day]
        assert sizes[day]["entities"] == alone.entities
        assert {s: sizes[day][s] for s in alone.segments} == alone.sizes


def test_each_events_table_is_read_once(shop_dated):
    """One pass: each events table is read as often as by a one-date query (once per
    pass: the grouped pass, and a most_frequent's own), whatever the number of dates."""
    query = shop_dated.query
    model = shop_dated.plan.model
    read = sorted(node.alias_or_name for node in query.find_all(exp.Table)
                  if node.alias_or_name in model.events)
    assert set(read) == {"orders", "web_events", "email_events", "survey_answers"}
    single = query_for_plan(shop_dated.plan, "duckdb", AsOf("date", DATES[0]))
    single_read = sorted(node.alias_or_name for node in single.find_all(exp.Table)
                         if node.alias_or_name in model.events)
    assert sorted(read) == single_read


def test_dates_are_sorted_and_unique():
    evaluation = evaluate_dates(SHOP, [DATES[1], DATES[0], DATES[1]], segments=["loyal"])
    assert evaluation.dates == [DATES[0], DATES[1]]
    assert evaluation.members()["as_of"].unique().sort().to_list() == DATES[:2]


def test_every_dialect_compiles_the_dated_query():
    compilation = compile_file(SHOP)
    model = compilation.require_ok()
    plan = plan_for(model, list(model.segments) + list(model.segmentations))
    for dialect in ("duckdb", "postgres", "sqlite", "clickhouse", "spark", "snowflake",
                    "bigquery"):
        try:
            text = query_for_plan(plan, dialect, AsOf.many(DATES)).sql(dialect=dialect)
        except Exception as exc:  # a construct the dialect lacks is an E301, as for one date
            assert "E301" in str(exc) or "cannot" in str(exc), (dialect, exc)
            continue
        assert "_dates" in text and "2026-02-28" in text, dialect


# ---------------------------------------------------------------- events on the boundaries
HEAD = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  n int
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at timestamp
  amount float
  channel text
}
feature recent = count(orders) in last 30 days
feature quarter = sum(orders.amount) in last 3 months
feature spend = sum(orders.amount)
feature first_channel = first(orders.channel)
feature last_amount = last(orders.amount)
feature usual = most_frequent(orders.channel) in last 60 days
feature since_last = days_between(last(orders.ordered_at), as_of)
segmentation tiers = tiers by spend higher is better into 3 ntile
segmentation rec {
  score r by since_last lower is better into 3 quantile
  hot when r >= 3
  else cold
}
"""
EVAL_DATES = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
# every boundary of every date: the day itself, the day after, each window's first day
# and the day before it
_BOUNDARIES = sorted({d + timedelta(days=k) for d in EVAL_DATES for k in (0, 1, -29, -30)}
                     | {date(2025, 11, 1), date(2025, 11, 30), date(2025, 12, 1),
                        date(2026, 1, 1)})
moments = st.builds(lambda day, hour: datetime.combine(day, time(hour)),
                    st.sampled_from(_BOUNDARIES), st.sampled_from([0, 23]))
segment_atoms = st.sampled_from([
    "recent >= 1", "quarter > 2", "spend >= 3", "first_channel = \"web\"",
    "last_amount >= 1.5", "usual = \"app\"", "since_last <= 30", "top 50% by spend",
    "bottom 2 by recent", "tiers = tier_1", "rec = hot",
])
ENGINES = ["duckdb", *(name for name in ("sqlite", "polars") if available(name))]


@settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    customers=st.integers(1, 6),
    orders=st.lists(st.tuples(st.integers(0, 6), moments,
                              st.sampled_from([0.5, 1.0, 2.5]),
                              st.sampled_from(["web", "app", "shop"])), max_size=14),
    segments=st.lists(segment_atoms, min_size=1, max_size=3),
)
def test_events_on_the_boundaries(project, customers, orders, segments):
    text = HEAD + "".join(f"segment s{i} = {p}\n" for i, p in enumerate(segments))
    path = project(text, {
        "customers": [{"customer_id": i, "n": i} for i in range(customers)],
        "orders": [{"customer_id": c, "ordered_at": t, "amount": a, "channel": ch}
                   for c, t, a, ch in orders]}, {
        "customers": {"customer_id": pl.Int64, "n": pl.Int64},
        "orders": {"customer_id": pl.Int64, "ordered_at": pl.Datetime("us"),
                   "amount": pl.Float64, "channel": pl.String}})
    compilation, connection = load(path)
    if not compilation.ok:
        return
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations],
                    traits=list(model.features))
    expected = pl.concat([
        run_members("duckdb", compilation, plan, day, connection=connection).select(
            pl.lit(day, dtype=pl.Date).alias("as_of"), pl.all())
        for day in EVAL_DATES])
    for engine in ENGINES:
        got = run_members(engine, compilation, plan, AsOf.many(EVAL_DATES),
                          connection=connection)
        assert got.equals(expected), (engine, text, orders, got, expected)


# ---------------------------------------------------------------- a table reached through another
THROUGH = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  order_id int
  ordered_at timestamp
  amount float
}
events lines from parquet "data/lines.parquet" through orders on order_id = order_id {
  order_id int
  qty int
}
feature typical = median(orders.amount)
feature n_lines = count(lines)
feature big_lines = sum(lines.qty where qty >= 2)
feature line_median = median(lines.qty)
segment many = n_lines >= 2
segment big = big_lines >= 3
segment typical_low = typical <= 15
"""


@pytest.mark.parametrize("partial", [True, False], ids=["folded", "finished"])
def test_a_table_reached_through_another(project, partial, monkeypatch):
    """Partial aggregates per order (pre_lines) carry the date of the order's cap: the
    lines of an order after a date are unseen at that date (DuckDB, SQLite, Polars).
    Folded: with folding on (TableReads.fold_partials, off by default since issue 15)."""
    monkeypatch.setattr(TableReads, "fold_partials", partial)
    text = THROUGH.replace("feature line_median = median(lines.qty)\n", "")
    if not partial:  # no measure over orders: the partial totals finished on their own
        text = text.replace("feature typical = median(orders.amount)\n", "").replace(
            "segment typical_low = typical <= 15\n", "")
    orders = [(1, 10, datetime(2026, 1, 31, 23), 10.0), (1, 11, datetime(2026, 2, 1), 20.0),
              (2, 12, datetime(2026, 2, 28, 0), 15.0), (2, 13, datetime(2026, 3, 1), 13.0),
              (3, 14, datetime(2026, 3, 31, 12), 30.0)]
    lines = [(10, 1), (10, 2), (11, 5), (12, 2), (13, 1), (13, 4), (14, 3), (99, 7)]
    path = project(text, {
        "customers": [{"customer_id": i} for i in (1, 2, 3, 4)],
        "orders": [{"customer_id": c, "order_id": o, "ordered_at": t, "amount": a}
                   for c, o, t, a in orders],
        "lines": [{"order_id": o, "qty": q} for o, q in lines]})
    compilation, connection = load(path)
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments], traits=list(model.features))
    lines_pass = next(a for a in plan.aggregations if a.table == "lines")
    assert lines_pass.partial and bool(lines_pass.fold_into) == partial
    expected = pl.concat([
        run_members("duckdb", compilation, plan, day, connection=connection).select(
            pl.lit(day, dtype=pl.Date).alias("as_of"), pl.all())
        for day in EVAL_DATES])
    assert expected["n_lines"].to_list() != [0] * expected.height
    for engine in ENGINES:
        got = run_members(engine, compilation, plan, AsOf.many(EVAL_DATES),
                          connection=connection)
        assert got.equals(expected), (engine, got, expected)


def test_calendar_windows_at_many_dates():
    """`in this quarter`, `in previous 90 days`, `in each of the last 3 months`: each
    row's date cut to its period, as one date's run cuts its as_of."""
    seg = SHOP.parent / "declining.seg"
    days = [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 15), date(2026, 6, 30)]
    together = evaluate_dates(seg, days, traits=["all"]).members("wide")
    for day in days:
        alone = api.evaluate(seg, day, traits=["all"]).members("wide")
        assert per_date(together, day).equals(alone), day


def test_a_correlated_aggregate_is_refused_for_many_dates(project):
    path = project("""
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  last_view date
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at date
}
segment after_view = count(orders where ordered_at > last_view) >= 1
""", {"customers": [{"customer_id": 1, "last_view": date(2026, 1, 1)}],
      "orders": [{"customer_id": 1, "ordered_at": date(2026, 2, 1)}]})
    from segl.compiler.api import CompileError

    with pytest.raises(CompileError) as raised:
        evaluate_dates(path, DATES)
    assert "E301" in str(raised.value.diagnostics[0].code)
    assert "correlated" in raised.value.diagnostics[0].message
