"""examples/shop/segmentation_values.seg (segmentations as values: `rfm is champions`,
`rfm in (…)`, `rfm.r`, a segmentation built on two others, a KPI of a score) on every other
engine gives DuckDB's members, buckets and scores; DuckDB and Polars equal a plain Python
computation in tests/segmentations/test_segmentation_values.py, so all six engines do."""

from __future__ import annotations

import functools
from datetime import date

import pytest
from segl.compiler.plan import plan_for
from segl.runtime.api import load
from segl.runtime.engines import run_members
from segl.runtime.engines.duckdb import run_members as duckdb_members

from ..segmentations.test_segmentation_values import EXAMPLE
from .conftest import OTHER_ENGINES, engine_params
from .test_examples_on_engines import assert_same_members

AS_OF = date(2026, 6, 30)
NAMES = ["nl_champions", "worth_keeping", "slipping", "strong_habits", "retention_focus"]


@functools.cache
def duckdb_reference():
    """The example's compilation, connection, plan and DuckDB members, once per process."""
    compilation, connection = load(EXAMPLE)
    plan = plan_for(compilation.require_ok(), NAMES, ["avg_recency_score"])
    return compilation, connection, plan, duckdb_members(compilation, plan, AS_OF,
                                                         connection=connection)


@pytest.mark.parametrize("engine", engine_params(OTHER_ENGINES))
def test_segmentation_values_agree_with_duckdb(engine, engine_options):
    compilation, connection, plan, expected = duckdb_reference()
    names = NAMES
    got = run_members(engine, compilation, plan, AS_OF, connection=connection, **engine_options)
    fractional = {name for name, dtype in expected.schema.items()
                  if dtype.is_float() or dtype.is_decimal()}
    assert_same_members(expected, got, fractional)
    assert all(expected[name].any() for name in names[:4])
    assert expected["retention_focus"].n_unique() == 3
