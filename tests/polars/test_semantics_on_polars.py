"""The semantics suites, run again with the Polars engine.

Every test of tests/semantics (and the runtime tests of scores and segmentations) is
collected here a second time, with `evaluate` in its module replaced by
`evaluate(..., engine="polars")`: the same rows must give the same members, buckets and
scores on Polars as the hand-computed expectations say they do on DuckDB.
"""

import functools

import pytest
from segl.runtime import api

from tests.segmentations import test_scores as scores_module
from tests.segmentations import test_segmentations as segmentations_module

# Collected here again (pytest collects test functions from this module's namespace).
from tests.segmentations.test_scores import (  # noqa: F401
    test_scores_equal_an_independent_computation,
    test_the_code_of_all_scores_and_missing_values,
    values,
)
from tests.segmentations.test_segmentations import (  # noqa: F401
    test_a_missing_condition_falls_through,
    test_every_entity_lands_in_exactly_one_bucket,
    test_first_match_wins_and_order_matters,
)
from tests.semantics import test_semantics as semantics_module
from tests.semantics.test_semantics import *  # noqa: F403

ENGINE_MODULES = (semantics_module, scores_module, segmentations_module)


@pytest.fixture(autouse=True)
def on_polars(monkeypatch):
    """Every `evaluate` of the re-collected tests runs on Polars (checked after each)."""
    calls = []

    def evaluate_on_polars(*args, **kwargs):
        calls.append(kwargs.setdefault("engine", "polars"))
        return api.evaluate(*args, **kwargs)

    for module in ENGINE_MODULES:
        monkeypatch.setattr(module, "evaluate", functools.wraps(api.evaluate)(
            evaluate_on_polars))
    yield
    assert calls and set(calls) == {"polars"}, "the test did not evaluate on Polars"
