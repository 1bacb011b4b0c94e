"""runtime/discover_features.py: on DuckDB the features come through Arrow (only the key and
the needed columns, by key), and they are the numbers the members frame holds, bit for bit:
decimals, 128-bit sums, missing values and a seed's membership included."""

from __future__ import annotations

import random

import numpy as np
from segl.runtime import discover_features
from segl.runtime.api import load
from segl.runtime.discover import ir_segment
from segl.runtime.engines import run_members

from .helpers import AS_OF, CUSTOMER_SCHEMA, DECLARATIONS, HEAD, ORDER_SCHEMA, shop


def wanted_of(model) -> dict[str, tuple]:
    wanted = {name: s.clusters.features for name, s in model.segmentations.items()
              if s.clusters is not None}
    wanted.update({key: (*s.features, ir_segment(s.seed))
                   for key, s in model.similarities.items()})
    return wanted


def test_duckdb_features_through_arrow_are_the_members_frames_numbers(project, monkeypatch):
    customers, orders = shop(300, seed=3)
    random.Random(1).shuffle(customers)  # rows not in key order: the query must sort
    path = project(HEAD + DECLARATIONS, {"customers": customers, "orders": orders},
                   {"customers": CUSTOMER_SCHEMA, "orders": ORDER_SCHEMA})
    compilation, connection = load(str(path))
    wanted = wanted_of(compilation.model)
    fast = discover_features.feature_columns(compilation, wanted, AS_OF, connection,
                                             "duckdb", {})

    def through_rows(plan, when, connection):
        clean = discover_features.Compilation(compilation.path, plan.model, [],
                                              compilation.files, compilation.params)
        return run_members("duckdb", clean, plan, when, connection=connection)

    monkeypatch.setattr(discover_features, "_duckdb_columns", through_rows)
    slow = discover_features.feature_columns(compilation, wanted, AS_OF, connection,
                                             "duckdb", {})
    assert set(fast) == set(wanted) == set(slow)
    for name in wanted:
        assert fast[name].shape == (300, len(wanted[name]))
        assert np.array_equal(fast[name], slow[name], equal_nan=True), name
    assert np.isnan(fast["styles"]).any(), "missing values stay missing"
    seed_member = fast["similarity to big_spenders on (income, n_orders)"][:, -1]
    assert set(np.unique(seed_member)) == {0.0, 1.0}
