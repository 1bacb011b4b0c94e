"""Many dates in one pass (issue 11 item 2) on every engine: the one query over every date
gives, at each date, the members, buckets and scores of DuckDB's run at that date alone
(the shop example; a month-end, a leap-year February end, the day after, a quarter end)."""

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


@pytest.mark.parametrize("engine", engine_params(["duckdb", *OTHER_ENGINES]))
def test_many_dates_equal_separate_runs(engine, engine_options):
    example = next(e for e in EXAMPLE_ENTRIES if e.parent.name == "shop")
    compilation, connection = load(example)
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations])
    expected = pl.concat([
        duckdb_members(compilation, plan, day, connection=connection).select(
            pl.lit(day, dtype=pl.Date).alias("as_of"), pl.all())
        for day in DATES])
    got = run_members(engine, compilation, plan, AsOf.many(DATES), connection=connection,
                      **engine_options)
    fractional = {name for name, dtype in expected.schema.items()
                  if dtype.is_float() or dtype.is_decimal()}
    assert_same_members(expected, got, fractional)
    # not vacuous: memberships change between the dates
    sizes = expected.group_by("as_of").agg(pl.col(plan.outputs[0]).sum()).sort("as_of")
    assert any(expected.filter(pl.col("as_of") == d)[s].sum()
               != expected.filter(pl.col("as_of") == DATES[0])[s].sum()
               for d in DATES[1:] for s in plan.outputs), sizes
