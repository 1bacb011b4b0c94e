"""examples/shop/sequences.seg (abandoned browse, attributed conversion: counts, latest
times, the segments and the KPI over them) on every other engine gives DuckDB's values;
DuckDB and Polars equal the plain-Python reference in tests/sequences/test_shop_example.py,
so every engine does. (The fixed and generated cases of tests/semantics/sequence_cases.py run
on every engine through test_semantics_on_engines.py.)"""

from __future__ import annotations

import functools
from datetime import date

import pytest
from segl.compiler.plan import plan_for
from segl.runtime.api import load
from segl.runtime.engines import run_members
from segl.runtime.engines.duckdb import run_members as duckdb_members

from ..sequences.test_shop_example import EXAMPLE, FEATURES, SEGMENTS
from .conftest import OTHER_ENGINES, engine_params
from .test_examples_on_engines import assert_same_members

AS_OF = date(2026, 6, 30)


@functools.cache
def duckdb_reference():
    """The example's compilation, connection, plan and DuckDB members, once per process."""
    compilation, connection = load(EXAMPLE)
    model = compilation.require_ok()
    plan = plan_for(model, SEGMENTS, list(model.kpis), traits=FEATURES)
    return compilation, connection, plan, duckdb_members(compilation, plan, AS_OF,
                                                         connection=connection)


@pytest.mark.parametrize("engine", engine_params(OTHER_ENGINES))
def test_sequences_agree_with_duckdb(engine, engine_options):
    compilation, connection, plan, expected = duckdb_reference()
    got = run_members(engine, compilation, plan, AS_OF, connection=connection, **engine_options)
    assert_same_members(expected, got, set())
    assert all(expected[name].any() for name in SEGMENTS)
    assert expected["abandoned_browses"].sum() > 0
