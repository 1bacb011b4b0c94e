"""Shared by the discovery tests: a small shop and lock files written as `segl discover`
writes them."""

from __future__ import annotations

from pathlib import Path

from segl.compiler.api import compile_file
from segl.compiler.clusters import LockEntry, lock_path_for, lock_text
from segl.compiler.model import ClusterFit

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


def write_lock(seg: Path, fits: dict[str, ClusterFit], as_of: str = "2026-06-30") -> Path:
    """Write the lock file of `seg` holding these fits (the declarations read from `seg`)."""
    compilation = compile_file(seg)
    assert compilation.model is not None, [d.render() for d in compilation.diagnostics]
    entries = []
    for name, fit in fits.items():
        spec = compilation.model.segmentations[name].clusters
        entries.append(LockEntry(name, spec, fit, as_of, 10, (1,) * spec.k))
    path = Path(lock_path_for(str(seg)))
    path.write_text(lock_text(entries, seg.name), encoding="utf-8")
    return path


def simple_fit(k: int, width: int) -> ClusterFit:
    return ClusterFit((0.0,) * width, (1.0,) * width, (0.0,) * width,
                      tuple((float(i),) * width for i in range(k)))
