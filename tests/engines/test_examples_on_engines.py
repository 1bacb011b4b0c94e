"""Every example file evaluated on every engine gives DuckDB's members, buckets, scores and
KPI components (exactly; KPI components, which may be fractional, within 1e-9 relative)."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from segl.compiler.plan import plan_for
from segl.runtime.api import load
from segl.runtime.engines import run_members
from segl.runtime.engines.duckdb import run_members as duckdb_members

from ..conftest import EXAMPLE_ENTRIES
from .conftest import OTHER_ENGINES, engine_params

AS_OF = date(2026, 6, 30)
TOLERANCE = 1e-9
KPI_TOLERANCE = 1e-5  # KPI values and indexes (ratios of totals), relative


def assert_same_members(expected: pl.DataFrame, got: pl.DataFrame, fractional: set[str],
                        tolerance: float = TOLERANCE):
    assert got.columns == expected.columns
    assert got.schema == expected.schema
    assert got.height == expected.height
    for name in expected.columns:
        if name in fractional:
            difference = (got[name].cast(pl.Float64) - expected[name].cast(pl.Float64)).abs()
            scale = expected[name].cast(pl.Float64).abs().clip(lower_bound=1.0)
            assert (got[name].is_null() == expected[name].is_null()).all(), name
            assert ((difference / scale).fill_null(0.0) <= tolerance).all(), name
        else:
            mismatched = expected.filter(expected[name].ne_missing(got[name]))
            assert mismatched.height == 0, f"{name}: {mismatched.head(5)}"


@functools.cache
def duckdb_reference(example: Path, kpis: bool = False):
    """The example compiled, its DuckDB connection, the plan of every segment, segmentation
    and KPI, and DuckDB's members (or KPI groups): computed once per test process and
    compared with each engine's (the engines only read the connection's sources)."""
    compilation, connection = load(example)
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations], list(model.kpis),
                    shares=kpis)
    expected = duckdb_members(compilation, plan, AS_OF, connection=connection, kpis=kpis)
    return compilation, connection, plan, expected


@pytest.mark.parametrize("example", EXAMPLE_ENTRIES, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("engine", engine_params(OTHER_ENGINES))
def test_example_members_agree_with_duckdb(example, engine, engine_options):
    compilation, connection, plan, expected = duckdb_reference(example)
    got = run_members(engine, compilation, plan, AS_OF, connection=connection,
                      **engine_options)
    fractional = {name for name, dtype in expected.schema.items()
                  if dtype.is_float() or dtype.is_decimal()}
    assert_same_members(expected, got, fractional)
    # the comparison is not vacuous: the examples have members, buckets and scores
    assert expected.height > 1000
    assert any(expected[s].any() for s in plan.outputs)


@pytest.mark.parametrize("engine", engine_params([e for e in OTHER_ENGINES if e != "polars"]))
def test_the_kpi_query_agrees_with_duckdb(engine, engine_options):
    """`segl compile --kpis` run on the engine itself (GROUPING SETS, or UNION ALL on
    SQLite): every group's size, KPIs and indexes equal DuckDB's (fractions within 1e-9)."""
    example = next(e for e in EXAMPLE_ENTRIES if e.parent.name == "shop")
    compilation, connection, plan, expected = duckdb_reference(example, kpis=True)
    model = compilation.require_ok()
    got = run_members(engine, compilation, plan, AS_OF, connection=connection, kpis=True,
                      **engine_options)
    fractional = {name for name, dtype in expected.schema.items()
                  if dtype.is_float() or dtype.is_decimal()}
    # Spark's decimal division keeps 6 decimal places once the exact result would need more
    # than 38 digits, so a ratio KPI (and its index) may differ from the 6th significant digit.
    assert_same_members(expected, got, fractional, tolerance=KPI_TOLERANCE)
    groups = 1 + len(model.segments) + sum(
        1 for s in model.segmentations.values() for _ in s.buckets) - 1  # no_value is empty
    assert expected.height == groups and len(plan.kpis) == len(model.kpis) + 2
