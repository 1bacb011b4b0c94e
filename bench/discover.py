"""`segl discover` on TPC-H customers (issue 14): time and memory of the fit against
scikit-learn's KMeans on the same scaled matrix, and what assigning the clusters adds to the
twelve-segment benchmark. Run on demand, never by the tests:

    python bench/discover.py --data bench/data/sf10        # 1.5 million customers
    python bench/discover.py --data bench/data/sf1 --repeat 3

k = 8 on four features (spend_total, orders_1y, c_acctbal, days_since(last_order)), z-scores,
seed 42. The data folder needs customer, orders, lineitem, part, nation, region Parquet
(bench/tpch_data.py); the .seg files are written to a temporary folder with links to them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
AS_OF = "1998-08-02"
CLUSTERS = ("\nfeature recency = days_since(last_order)\n"
            "segmentation profiles = clusters 8 on (spend_total, orders_1y, c_acctbal, recency) "
            "scaled zscore seed 42 missing mean\n")
TABLES = ("customer", "orders", "lineitem", "part", "nation", "region")


def project(data: Path, folder: Path) -> tuple[Path, Path]:
    for table in TABLES:
        link = folder / f"{table}.parquet"
        if not link.exists():
            os.symlink((data / f"{table}.parquet").resolve(), link)
    twelve = folder / "tpch.seg"
    twelve.write_text((HERE / "tpch.seg").read_text())
    clustered = folder / "tpch_clusters.seg"
    clustered.write_text((HERE / "tpch.seg").read_text() + CLUSTERS)
    return twelve, clustered


def best(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def peak_memory(function) -> tuple[float, object]:
    """Peak of the allocations (numpy's included) made while `function` runs, in MiB."""
    tracemalloc.start()
    result = function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE / "data" / "sf10")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from segl.runtime import kmeans
    from segl.runtime.api import evaluate
    from segl.runtime.discover import discover, write_lock_files
    from sklearn.cluster import KMeans

    with tempfile.TemporaryDirectory(prefix="segl-discover-bench-") as scratch:
        twelve, clustered = project(args.data, Path(scratch))
        seconds, discovery = best(lambda: discover(str(clustered), AS_OF), 1)
        (result,) = discovery.results
        write_lock_files(discovery)
        print(f"data: {args.data} · {result.entities:,} customers · k = 8 on 4 features")
        print(f"segl discover end to end (compile, features on DuckDB, fit): {seconds:.2f} s")

        # the same scaled matrix for both fits
        from segl.runtime.api import load
        from segl.runtime.discover import _scaling
        from segl.runtime.discover_features import feature_columns

        compilation, connection = load(str(clustered))
        spec = compilation.model.segmentations["profiles"].clusters
        raw = feature_columns(compilation, {"profiles": spec.features},
                               date(1998, 8, 2), connection, "duckdb",
                               {})["profiles"]
        x = np.where(np.isnan(raw), np.nanmean(raw, axis=0), raw)
        center, scale = _scaling("zscore", x)
        z = (x - center) / scale

        segl_time, found = best(lambda: kmeans.fit(z, 8, 42), args.repeat)
        segl_mib, _ = peak_memory(lambda: kmeans.fit(z, 8, 42))
        print(f"segl fit (k-means++ and Lloyd to convergence, {found.iterations} iterations): "
              f"{segl_time:.2f} s, peak {segl_mib:.0f} MiB, inertia {found.inertia:,.1f}")
        for tol in (0.0, 1e-4):
            def sk(tol=tol):
                return KMeans(8, init="k-means++", n_init=1, random_state=42, tol=tol,
                              algorithm="lloyd").fit(z)
            sk_time, fitted = best(sk, args.repeat)
            sk_mib, _ = peak_memory(sk)
            print(f"scikit-learn KMeans(tol={tol:g}, {fitted.n_iter_} iterations): "
                  f"{sk_time:.2f} s, peak {sk_mib:.0f} MiB, inertia {fitted.inertia_:,.1f}")

        plain, _ = best(lambda: evaluate(twelve, as_of=AS_OF), args.repeat)
        with_clusters, _ = best(lambda: evaluate(clustered, as_of=AS_OF), args.repeat)
        print(f"evaluate: 12 segments {plain:.2f} s; with the 8 clusters assigned "
              f"{with_clusters:.2f} s (+{100 * (with_clusters / plain - 1):.1f}%)")


if __name__ == "__main__":
    main()
