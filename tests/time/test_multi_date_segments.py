"""Many dates from partial aggregates per (entity, time segment) (compiler/plan/segments.py):
windows whose bounds fall between the dates, min/max, filtered measures, averages, calendar
and fixed windows, a table reached through another, entities with no events, a pass of
windowed counts, sums and averages (sessions) where an entity's first row falls inside a
window that starts between two dates' caps: at each date exactly the values of a run at that
date alone."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from segl.compiler import ir
from segl.compiler.api import AsOf, query_for_plan
from segl.compiler.plan import plan_for
from segl.compiler.plan.as_of import shift_date
from segl.compiler.plan.physical import Bound, TimeTest
from segl.compiler.plan.segments import segmented_pass
from segl.runtime.api import load
from segl.runtime.engines import available, run_members
from sqlglot import exp

SEG = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  order_id int
  ordered_at timestamp
  amount float
  qty int
  channel text
}
events lines from parquet "data/lines.parquet" through orders on order_id = order_id at shipped_at {
  order_id int
  shipped_at date
  units int
}
feature recent_10d = count(orders) in last 10 days
feature web_spend_45d = sum(orders.amount where channel = "web") in last 45 days
feature smallest_6w = min(orders.amount) in last 6 weeks
feature biggest_app = max(orders.amount where channel = "app")
feature latest = max(orders.ordered_at)
feature first_seen = min(orders.ordered_at)
feature avg_amount_2m = avg(orders.amount) in last 2 months
feature avg_qty = avg(orders.qty where qty > 1)
feature qty_total = sum(orders.qty)
feature counted = count(orders.qty)
feature last_month_orders = count(orders) in last month
feature this_quarter = sum(orders.qty) in this quarter
feature prev_30d = count(orders) in previous 30 days
feature since_mid_jan = count(orders) since 2026-01-15
events visits from parquet "data/visits.parquet" key customer_id at visited_at {
  visited_at date
  seconds int
  page text
}
feature units_20d = sum(lines.units) in last 20 days
feature big_lines = count(lines where units >= 2)
feature visit_count = count(visits)
feature pricing_seconds = sum(visits.seconds where page = "pricing")
feature first_visit = min(visits.visited_at)
feature longest = max(visits.seconds)
feature mean_seconds = avg(visits.seconds)
events sessions from parquet "data/sessions.parquet" key customer_id at visited_at {
  visited_at date
  seconds int
  page text
}
feature sessions_10d = count(sessions) in last 10 days
feature session_seconds_45d = sum(sessions.seconds) in last 45 days
feature pricing_avg_2m = avg(sessions.seconds where page = "pricing") in last 2 months
feature pricing_this_month = sum(sessions.seconds where page = "pricing") in this month
feature last_session = max(sessions.visited_at)
feature sessions_total = count(sessions)
segment active = recent_10d >= 1
segment web = web_spend_45d > 2
segment cheap = smallest_6w < 1
segment steady = avg_qty >= 2.5 and qty_total > 4
segment shipping = units_20d >= 2
segment browsing = visit_count >= 3 and mean_seconds > 20
segment regular = sessions_10d >= 1 and session_seconds_45d > 40
"""
# month-ends and a mid-month date: a 10-day window's start at one date falls between two
# others; 2026-02-28 + 1 day is a month start
DATES = [date(2026, 1, 31), date(2026, 2, 15), date(2026, 2, 28), date(2026, 3, 31)]
ENGINES = ["duckdb", *(name for name in ("sqlite",) if available(name))]


def _data(seed: int = 7) -> tuple[dict, dict]:
    rng = random.Random(seed)
    edges = sorted({d + timedelta(days=k) for d in DATES for k in (0, 1, -9, -10, -44, -45)})
    days = edges + [date(2025, 10, 1) + timedelta(days=rng.randrange(200)) for _ in range(30)]
    orders, lines = [], []
    for order_id in range(90):
        day = rng.choice(days)
        orders.append({"customer_id": rng.randrange(6), "order_id": order_id,
                       "ordered_at": datetime.combine(day, time(rng.choice([0, 13, 23]))),
                       "amount": rng.choice([0.5, 1.25, 2.0, 7.5, None]),
                       "qty": rng.choice([1, 2, 3, None]),
                       "channel": rng.choice(["web", "app", "shop"])})
        for _ in range(rng.randrange(3)):
            lines.append({"order_id": order_id, "units": rng.choice([1, 2, 4]),
                          "shipped_at": day + timedelta(days=rng.choice([0, 1, 5, 30]))})
    visits = [{"customer_id": rng.randrange(7), "visited_at": rng.choice(days),
               "seconds": rng.choice([5, 30, 60, None]),
               "page": rng.choice(["pricing", "home"])} for _ in range(60)]
    sessions = [{"customer_id": rng.randrange(6), "visited_at": rng.choice(days),
                 "seconds": rng.choice([5, 30, 60, None]),
                 "page": rng.choice(["pricing", "home"])} for _ in range(60)]
    # customer 6's first session falls inside 2026-02-15's 10-day window (which starts
    # 2026-02-06, between the caps of 2026-01-31 and 2026-02-15): no segment row before
    # that window's start
    sessions += [{"customer_id": 6, "visited_at": day, "seconds": seconds, "page": "pricing"}
                 for day, seconds in ((date(2026, 2, 10), 30), (date(2026, 2, 20), None))]
    tables = {"customers": [{"customer_id": i} for i in range(8)],  # 7: no events
              "orders": orders, "lines": lines, "visits": visits, "sessions": sessions}
    schema = {"orders": {"customer_id": pl.Int64, "order_id": pl.Int64,
                         "ordered_at": pl.Datetime("us"), "amount": pl.Float64,
                         "qty": pl.Int64, "channel": pl.String},
              "lines": {"order_id": pl.Int64, "units": pl.Int64, "shipped_at": pl.Date},
              "visits": {"customer_id": pl.Int64, "visited_at": pl.Date,
                         "seconds": pl.Int64, "page": pl.String},
              "sessions": {"customer_id": pl.Int64, "visited_at": pl.Date,
                           "seconds": pl.Int64, "page": pl.String}}
    return tables, schema


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("segments")
    (folder / "data").mkdir()
    tables, schema = _data()
    for name, rows in tables.items():
        pl.DataFrame(rows, schema=schema.get(name)).write_parquet(
            folder / "data" / f"{name}.parquet")
    path = folder / "segments.seg"
    path.write_text(SEG, encoding="utf-8")
    compilation, connection = load(path)
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments], traits=list(model.features))
    return compilation, connection, plan


def separate_runs(engine, compilation, connection, plan) -> pl.DataFrame:
    return pl.concat([
        run_members(engine, compilation, plan, day, connection=connection).select(
            pl.lit(day, dtype=pl.Date).alias("as_of"), pl.all())
        for day in DATES])


def test_the_dated_query_aggregates_segments(shop):
    """Every events table is segmented (the lines by their own pass, not per order); the
    visits, without windows, by running totals over their segment rows."""
    _, _, plan = shop
    query = query_for_plan(plan, "duckdb", AsOf.many(DATES))
    ctes = {cte.alias: cte.this for cte in query.args["with_"].expressions}
    for table in ("orders", "lines", "visits"):
        assert f"agg_{table}__seg" in ctes, table
    assert "pre_lines" not in ctes
    assert "_running" in ctes["agg_visits__dated"].sql("duckdb")
    assert "_running" not in ctes["agg_orders__dated"].sql("duckdb")
    # windowed segment rows meet their dates by the position (a hash join on the small
    # dates x positions CTE), not by an inequality join of every segment row
    dated = ctes["agg_orders__dated"]
    (join,) = dated.args["joins"]
    assert join.this.name == "agg_orders__pos"
    assert join.args["on"].sql() == "agg_orders__seg._seg = agg_orders__pos._pos"
    # a row's position: a balanced tree of CASEs, about log2(cuts) comparisons deep
    position = next(e for e in ctes["agg_orders__seg"].expressions if e.alias == "_seg").this

    def depth(node) -> int:
        if not isinstance(node, exp.Case):
            return 0
        return 1 + max(depth(node.args["ifs"][0].args["true"]), depth(node.args["default"]))

    cuts = len(list(position.find_all(exp.If)))
    assert cuts > 8 and depth(position) == cuts.bit_length()


@pytest.mark.parametrize("engine", ENGINES)
def test_every_date_equals_its_own_run(shop, engine):
    compilation, connection, plan = shop
    expected = separate_runs(engine, compilation, connection, plan)
    got = run_members(engine, compilation, plan, AsOf.many(DATES), connection=connection)
    if engine == "sqlite":  # one date's total of partial counts per order is Int128 there
        got = got.cast(dict(expected.schema))
    assert got.equals(expected), (engine, got, expected)
    # not vacuous: windowed values change between the dates and entities without events
    # are there with their empty values
    for name in ("recent_10d", "smallest_6w", "avg_amount_2m", "units_20d", "prev_30d",
                 "visit_count", "pricing_seconds", "first_visit", "mean_seconds"):
        assert expected[name].n_unique() > 1, name
    assert expected.filter(pl.col("customer_id") == 7)["qty_total"].to_list() == [0] * 4
    for name in ("sessions_10d", "session_seconds_45d", "pricing_avg_2m", "pricing_this_month"):
        assert expected[name].n_unique() > 2, name
    # customer 6: nothing before 2026-02-15's window start, one session inside it
    newcomer = expected.filter(pl.col("customer_id") == 6).sort("as_of")
    assert newcomer["sessions_10d"].to_list()[:2] == [0, 1]
    assert newcomer["session_seconds_45d"].to_list() == [0, 30, 30, 0]  # 0: no value


@pytest.mark.skipif("sqlite" not in ENGINES, reason="needs the SQLite engine")
def test_sqlite_loads_once_and_runs_each_date(shop, monkeypatch):
    """Many dates on SQLite: the sources loaded once, then one date's query per date (its
    one-pass query costs more there: bench/README.md, "Many dates on SQLite")."""
    from segl.runtime.engines import sqlite

    compilation, connection, plan = shop
    loads, queried = [], []
    load_table, engine_query = sqlite.load_table, sqlite.engine_query
    monkeypatch.setattr(sqlite, "load_table",
                        lambda *args: loads.append(args[2].name) or load_table(*args))
    monkeypatch.setattr(sqlite, "engine_query", lambda plan, dialect, as_of, *rest, **kw:
                        queried.append(as_of) or engine_query(plan, dialect, as_of, *rest,
                                                              **kw))
    got = run_members("sqlite", compilation, plan, AsOf.many(DATES), connection=connection)
    assert queried == DATES
    assert sorted(loads) == sorted(set(loads)) and loads  # each source loaded once
    assert got["as_of"].unique().sort().to_list() == DATES


@pytest.mark.skipif("sqlite" not in ENGINES, reason="needs the SQLite engine")
def test_the_sqlite_one_pass_query_equals_its_own_runs(shop):
    """The SQLite engine evaluates many dates one by one (runtime/engines/sqlite.py); the
    one query over every date that `segl compile -d sqlite --as-of RANGE` prints still gives
    each date's rows when SQLite runs it."""
    from segl.compiler.api import SourceOverride
    from segl.runtime import sql
    from segl.runtime.engines import sqlite
    from segl.runtime.engines.loading import (
        duckdb_output_types,
        engine_query,
        members_frame,
        read_sources,
        result_order,
    )

    compilation, connection, plan = shop
    expected = separate_runs("sqlite", compilation, connection, plan)
    many = AsOf.many(DATES)
    lite = sqlite.connect()
    sources = read_sources(plan, connection, "sqlite")
    for source in sources:
        sqlite.load_table(lite, connection, source)
    query = engine_query(plan, "sqlite", many, {
        s.name: SourceOverride("table", sqlite.table_name(s.name)) for s in sources})
    assert "agg_orders__seg" in sql.render(query, "sqlite")  # the one pass, segment rows
    rows = sql.fetch_all(lite, query, dialect="sqlite")
    lite.close()
    got = members_frame(rows, duckdb_output_types(plan, many, connection),
                        result_order(plan, False, many)).cast(dict(expected.schema))
    assert got.equals(expected), (got, expected)


# ---------------------------------------------------------------- positions, in Python
windows = st.lists(st.tuples(st.integers(1, 70), st.sampled_from(["day", "week", "month"])),
                   min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(days=st.sets(st.dates(date(2025, 1, 1), date(2026, 12, 31)), min_size=1, max_size=5),
       lengths=windows, moments=st.lists(st.dates(date(2024, 10, 1), date(2027, 1, 5)),
                                         min_size=1, max_size=20))
def test_positions_select_the_rows_of_each_window(days, lengths, moments):
    """A row is inside a window at a date exactly when its position is in the window's
    span: `as_of - N units < day <= as_of` (and for no window: day <= as_of)."""
    dates = tuple(sorted(days))
    tests = {f"m{i}": (TimeTest("t", "at", ir.CompareOp.GE,
                                Bound(None, -n, ir.TimeUnit(unit), True), False),)
             for i, (n, unit) in enumerate(lengths)}
    tests["all"] = ()
    measures = [type("M", (), {"name": name})() for name in tests]
    segmented = segmented_pass("t", measures, tests, dates)
    cuts = segmented.cuts
    assert list(cuts) == sorted(set(cuts))
    for moment in moments:
        position = sum(1 for cut in cuts if cut <= moment)
        for span in segmented.dates:
            for measure, index in zip(measures, segmented.window_of, strict=True):
                first, past = span.windows[index]
                inside = first <= position < past and span.start <= position < span.upto
                if measure.name == "all":
                    truth = moment <= span.day
                else:
                    n, unit = lengths[int(measure.name[1:])]
                    truth = shift_date(span.day, -n, unit) < moment <= span.day
                assert inside == truth, (moment, span, measure.name)
