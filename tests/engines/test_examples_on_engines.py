"""Every example file evaluated on every engine gives DuckDB's members, buckets, scores and
KPI components (exactly; KPI components, which may be fractional, within 1e-9 relative)."""

from __future__ import annotations

from datetime import date

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


def assert_same_members(expected: pl.DataFrame, got: pl.DataFrame, fractional: set[str]):
    assert got.columns == expected.columns
    assert got.schema == expected.schema
    assert got.height == expected.height
    for name in expected.columns:
        if name in fractional:
            difference = (got[name].cast(pl.Float64) - expected[name].cast(pl.Float64)).abs()
            scale = expected[name].cast(pl.Float64).abs().clip(lower_bound=1.0)
            assert (got[name].is_null() == expected[name].is_null()).all(), name
            assert ((difference / scale).fill_null(0.0) <= TOLERANCE).all(), name
        else:
            mismatched = expected.filter(expected[name].ne_missing(got[name]))
            assert mismatched.height == 0, f"{name}: {mismatched.head(5)}"


@pytest.mark.parametrize("example", EXAMPLE_ENTRIES, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("engine", engine_params(OTHER_ENGINES))
def test_example_members_agree_with_duckdb(example, engine, engine_options):
    compilation, connection = load(example)
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations], list(model.kpis))
    expected = duckdb_members(compilation, plan, AS_OF, connection=connection)
    got = run_members(engine, compilation, plan, AS_OF, connection=connection,
                      **engine_options)
    fractional = {name for name, dtype in expected.schema.items()
                  if dtype.is_float() or dtype.is_decimal()}
    assert_same_members(expected, got, fractional)
    # the comparison is not vacuous: the examples have members, buckets and scores
    assert expected.height > 1000
    assert any(expected[s].any() for s in plan.outputs)
