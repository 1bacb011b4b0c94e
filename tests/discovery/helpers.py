"""Shared by the discovery tests (and tests/engines): a small shop, fits of three clusters
segmentations on it, and lock files written as `segl discover` writes them."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
from segl.compiler.api import compile_file
from segl.compiler.model import ClusterFit, SimilarityFit
from segl.compiler.semantic.clusters import LockEntry, SimilarityEntry, lock_path_for, lock_text

HEAD = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  age int
  income float
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  customer_id int
  ordered_at timestamp
  amount decimal
}
feature n_orders = count(orders)
feature spend = sum(orders.amount)
"""


def write_lock(seg: Path, fits: dict[str, ClusterFit | SimilarityFit],
               as_of: str = "2026-06-30") -> Path:
    """Write the lock file of `seg` holding these fits (the declarations read from `seg`):
    a segmentation's by its name, a lookalike's by its key (`similarity to X on (…)`)."""
    compilation = compile_file(seg)
    assert compilation.model is not None, [d.render() for d in compilation.diagnostics]
    entries = []
    for name, fit in fits.items():
        if isinstance(fit, SimilarityFit):
            entries.append(SimilarityEntry(compilation.model.similarities[name], fit, as_of, 10))
            continue
        spec = compilation.model.segmentations[name].clusters
        entries.append(LockEntry(name, spec, fit, as_of, 10, (1,) * spec.k))
    path = Path(lock_path_for(str(seg)))
    path.write_text(lock_text(entries, seg.name), encoding="utf-8")
    return path


def simple_fit(k: int, width: int) -> ClusterFit:
    return ClusterFit((0.0,) * width, (1.0,) * width, (0.0,) * width,
                      tuple((float(i),) * width for i in range(k)))


AS_OF = date(2026, 6, 30)
DECLARATIONS = """
segmentation styles = clusters 4 on (income, age / 10, n_orders, spend) scaled zscore seed 42
segmentation imputed = clusters 3 on (income, spend) scaled minmax seed 7 missing mean
segmentation ties = clusters 3 on (age) scaled none seed 1
segment big_spenders = spend > 1500
segment lookalikes = top 10% by similarity to big_spenders on (income, n_orders)
  among not big_spenders
"""
LOOKALIKE = "similarity to big_spenders on (income, n_orders)"
FITS = {
    "styles": ClusterFit((50000.5, 4.1, 2.5, 300.25), (20000.0, 1.3, 1.7, 250.5),
                         (50000.5, 4.1, 2.5, 300.25),
                         ((-0.8, -0.5, 0.3, -0.2), (0.9, 0.4, -0.6, 0.1),
                          (0.1, 1.2, 1.1, 1.4), (-0.3, -1.1, -0.9, -0.7))),
    "imputed": ClusterFit((0.0, 0.0), (100000.0, 1500.0), (48000.125, 310.5),
                          ((0.2, 0.1), (0.7, 0.3), (0.45, 0.8))),
    # ages 30 and 50 are as near to two centroids: the lower cluster number wins
    "ties": ClusterFit((0.0,), (1.0,), (40.0,), ((20.0,), (40.0,), (40.0,))),
    LOOKALIKE: SimilarityFit((50000.5, 2.5), (20000.0, 1.7), (0.4, 1.1)),
}
CUSTOMER_SCHEMA = {"customer_id": pl.Int64, "age": pl.Int64, "income": pl.Float64}
ORDER_SCHEMA = {"customer_id": pl.Int64, "ordered_at": pl.Datetime("us"),
                "amount": pl.Decimal(12, 2)}


def shop(n: int = 240, seed: int = 5):
    rng = random.Random(seed)
    customers, orders = [], []
    for i in range(1, n + 1):
        age = rng.choice([None, 30, 50, *range(18, 80)]) if i % 11 else None
        income = None if i % 13 == 0 else round(rng.lognormvariate(10.7, 0.5), 3)
        customers.append({"customer_id": i, "age": age, "income": income})
        for _ in range(rng.choice([0, 1, 1, 2, 3, 5, 8])):
            when = datetime(2026, 6, 30) - timedelta(days=rng.randint(-20, 700))
            amount = Decimal(rng.randint(100, 90000)) / 100
            orders.append({"customer_id": i, "ordered_at": when, "amount": amount})
    return customers, orders


def expected(customers, orders) -> dict[str, dict[int, str]]:
    """Each customer's bucket, from the rows, in Python."""
    counted: dict[int, int] = {}
    spent: dict[int, Decimal] = {}
    for order in orders:
        if order["ordered_at"] < datetime(2026, 7, 1):
            key = order["customer_id"]
            counted[key] = counted.get(key, 0) + 1
            spent[key] = spent.get(key, Decimal(0)) + order["amount"]
    compiled = {}
    for c in customers:
        key = c["customer_id"]
        age10 = None if c["age"] is None else Decimal(c["age"]) / 10
        compiled[key] = {
            "styles": [c["income"], age10, counted.get(key, 0), spent.get(key, Decimal(0))],
            "imputed": [c["income"], spent.get(key, Decimal(0))],
            "ties": [c["age"]],
        }
    return compiled


def fitted_shop(project):
    customers, orders = shop()
    path = project(HEAD + DECLARATIONS, {"customers": customers, "orders": orders},
                   {"customers": CUSTOMER_SCHEMA, "orders": ORDER_SCHEMA})
    write_lock(path, FITS)
    return path, customers, orders


def python_lookalikes(values: dict[int, list], fit: SimilarityFit, seed: set[int],
                      percent: int) -> set[int]:
    """`top P% by similarity … among not SEED`, in Python: minus the squared distance in
    the scaled space, computed as the SQL is written; the eligible entities (not in the seed,
    every feature present) ranked by it, ties by the smaller key; member when the row
    number r has r * 100 <= P * (eligible)."""
    similarity = {}
    for key, features in values.items():
        if key in seed or any(v is None for v in features):
            continue
        distance = 0.0
        for x, c, s, centre in zip(features, fit.center, fit.scale, fit.centroid, strict=True):
            z = (float(x) - c) / s
            distance += (z - centre) * (z - centre)
        similarity[key] = -distance
    ranked = sorted(similarity, key=lambda k: (-similarity[k], k))
    return {key for r, key in enumerate(ranked, 1) if r * 100 <= percent * len(ranked)}
