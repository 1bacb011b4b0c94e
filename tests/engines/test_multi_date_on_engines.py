"""Many dates in one pass (issue 11 item 2) on every engine: the one query over every date
gives, at each date, the members, buckets and scores of DuckDB's run at that date alone
(the shop example; a month-end, a February end, the day after, a quarter end; on Spark the
February end and the day after only: its four-date run cost 30-38 s of the suite)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from segl.compiler.api import AsOf
from segl.compiler.plan import plan_for
from segl.runtime.api import load
from segl.runtime.engines import run_members
from segl.runtime.engines.duckdb import run_members as duckdb_members

from ..conftest import EXAMPLE_ENTRIES
from .conftest import OTHER_ENGINES, engine_params
from .test_examples_on_engines import assert_same_members

DATES = [date(2025, 12, 31), date(2026, 2, 28), date(2026, 3, 1), date(2026, 6, 30)]
SPARK_DATES = DATES[1:3]


def separate_runs(compilation, plan, connection, dates) -> pl.DataFrame:
    """DuckDB's run at each date alone, stacked with the date first."""
    return pl.concat([
        duckdb_members(compilation, plan, day, connection=connection).select(
            pl.lit(day, dtype=pl.Date).alias("as_of"), pl.all())
        for day in dates])


@pytest.fixture(scope="module")
def shop_runs():
    """The shop's separate runs, computed once for every engine's comparison."""
    example = next(e for e in EXAMPLE_ENTRIES if e.parent.name == "shop")
    compilation, connection = load(example)
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations])
    return compilation, connection, plan, separate_runs(compilation, plan, connection, DATES)


@pytest.mark.parametrize("engine", engine_params(["duckdb", *OTHER_ENGINES]))
def test_many_dates_equal_separate_runs(engine, engine_options, shop_runs):
    compilation, connection, plan, expected = shop_runs
    dates = SPARK_DATES if engine == "spark" else DATES
    expected = expected.filter(pl.col("as_of").is_in(dates))
    got = run_members(engine, compilation, plan, AsOf.many(dates), connection=connection,
                      **engine_options)
    fractional = {name for name, dtype in expected.schema.items()
                  if dtype.is_float() or dtype.is_decimal()}
    assert_same_members(expected, got, fractional)
    # not vacuous: memberships change between the dates
    sizes = expected.group_by("as_of").agg(pl.col(plan.outputs[0]).sum()).sort("as_of")
    assert any(expected.filter(pl.col("as_of") == d)[s].sum()
               != expected.filter(pl.col("as_of") == dates[0])[s].sum()
               for d in dates[1:] for s in plan.outputs), sizes


@pytest.mark.parametrize("engine", engine_params(OTHER_ENGINES))
def test_partial_totals_of_a_through_table_at_many_dates(project, engine, engine_options):
    """Line items totalled per order first (then joined to the orders in a pass of their
    own; folded into the pass over orders only with TableReads.fold_partials, which
    tests/time covers on DuckDB, SQLite and Polars), each order's date cap deciding the
    dates its lines count at: every engine gives DuckDB's runs."""
    from datetime import datetime

    from ..time.test_multi_date import EVAL_DATES, THROUGH

    text = THROUGH.replace("feature line_median = median(lines.qty)\n", "")
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
    assert any(a.partial and not a.fold_into for a in plan.aggregations)
    expected = pl.concat([
        duckdb_members(compilation, plan, day, connection=connection).select(
            pl.lit(day, dtype=pl.Date).alias("as_of"), pl.all())
        for day in EVAL_DATES])
    got = run_members(engine, compilation, plan, AsOf.many(EVAL_DATES), connection=connection,
                      **engine_options)
    if engine == "polars":  # a total of partial counts is Int64 on Polars, HUGEINT on DuckDB,
        got = got.cast(dict(expected.schema))  # for one date too (loading casts it back)
    fractional = {name for name, dtype in expected.schema.items()
                  if dtype.is_float() or dtype.is_decimal()}
    assert_same_members(expected, got, fractional)


@pytest.fixture(scope="module")
def segment_runs(tmp_path_factory):
    """tests/time/test_multi_date_segments.py's file: windows cut between the dates,
    min/max, filtered measures, averages, a through table, entities without events."""
    from ..time.test_multi_date_segments import DATES as SEGMENT_DATES
    from ..time.test_multi_date_segments import SEG, _data

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
    expected = separate_runs(compilation, plan, connection, SEGMENT_DATES)
    return compilation, connection, plan, expected, SEGMENT_DATES


@pytest.mark.parametrize("engine", engine_params(OTHER_ENGINES))
def test_segment_rows_at_many_dates(engine, engine_options, segment_runs):
    """Measures combined from partial aggregates per (entity, time segment): every engine
    gives DuckDB's runs at each date alone (values; integer widths of a count or a total
    differ by engine for one date too)."""
    compilation, connection, plan, expected, dates = segment_runs
    got = run_members(engine, compilation, plan, AsOf.many(dates), connection=connection,
                      **engine_options)
    widths = {name: dtype for name, dtype in expected.schema.items()
              if dtype.is_integer() and got.schema[name].is_integer()}
    got = got.cast(widths)
    fractional = {name for name, dtype in expected.schema.items()
                  if dtype.is_float() or dtype.is_decimal()}
    assert_same_members(expected, got, fractional)
