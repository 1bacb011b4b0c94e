"""Assignment to the nearest centroid of a `clusters` segmentation, and a lookalike's top 10%
by similarity, are the same on all six engines, and the same as an independent computation
in Python from the raw rows (compiler/semantic/clusters.py `python_assignment` and
`python_lookalikes` follow the arithmetic the SQL is written with)."""

from __future__ import annotations

import pytest
from segl.compiler.api import compile_file
from segl.compiler.semantic.clusters import python_assignment
from segl.runtime.api import evaluate

from tests.discovery.helpers import (
    AS_OF,
    FITS,
    LOOKALIKE,
    expected,
    fitted_shop,
    python_lookalikes,
)

from .conftest import OTHER_ENGINES, engine_params

ENGINES = engine_params(["duckdb", *OTHER_ENGINES])


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_assigns_the_nearest_centroid(project, engine, engine_options):
    path, customers, orders = fitted_shop(project)
    model = compile_file(path).require_ok()
    evaluation = evaluate(path, as_of=AS_OF, engine=engine, engine_options=engine_options)
    rows = (evaluation.connection.table(evaluation.table)  # no SQL text
            .pl().select("customer_id", "styles", "imputed", "ties").sort("customer_id").rows())
    values = expected(customers, orders)
    names = ("styles", "imputed", "ties")
    want = {key: tuple(python_assignment(values[key][name], model.segmentations[name].clusters,
                                         FITS[name]) for name in names) for key in values}
    got = {row[0]: tuple(row[1:]) for row in rows}
    assert got == want
    # the data reaches every bucket, and both kinds of tie and missing value occur
    assert {g[0] for g in got.values()} == {"cluster_1", "cluster_2", "cluster_3", "cluster_4",
                                            "no_value"}
    assert {g[1] for g in got.values()} == {"cluster_1", "cluster_2", "cluster_3"}
    ties = {c["customer_id"]: got[c["customer_id"]][2] for c in customers
            if c["age"] in (30, 50)}
    assert ties and set(ties.values()) == {"cluster_1", "cluster_2"}
    assert all(got[k][2] == ("cluster_1" if c["age"] == 30 else "cluster_2")
               for c in customers for k in [c["customer_id"]] if c["age"] in (30, 50))
    # lookalikes: the top 10% by similarity to big_spenders, among the others
    members = dict(evaluation.connection.execute(
        f"SELECT customer_id, lookalikes FROM {evaluation.table}").fetchall())
    seed = {key for key, v in values.items() if v["styles"][3] > 1500}
    features = {key: [v["styles"][0], v["styles"][2]] for key, v in values.items()}
    want_lookalikes = python_lookalikes(features, FITS[LOOKALIKE], seed, 10)
    assert {key for key, member in members.items() if member} == want_lookalikes
    assert 15 <= len(want_lookalikes) <= 25
