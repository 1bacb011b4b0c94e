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
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import cpu_share  # noqa: E402  (bench/, beside this file)

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


def timed(function) -> tuple[dict, object]:
    """One run: wall and own CPU seconds, and the other processes' share of the machine."""
    before = cpu_share.snapshot()
    result = function()
    return cpu_share.measure(before, cpu_share.snapshot()), result


def peak_memory(function) -> tuple[float, object]:
    """Peak of the allocations (numpy's included) made while `function` runs, in MiB."""
    tracemalloc.start()
    result = function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, result


def interleaved(variants: dict, rounds: int) -> dict[str, list[dict]]:
    """Each round runs every variant once, in turn, so that a busy spell of the shared
    machine falls on all of them alike."""
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, function in variants.items():
            measured, result = timed(function)
            measured["result"] = result
            runs[name].append(measured)
    return runs


def summary(name: str, runs: list[dict], note: str = "") -> str:
    best_run = min(runs, key=lambda r: r["wall"])
    shares = [r["busy_other_pct"] for r in runs if r["busy_other_pct"] is not None]
    busy = f"others {min(shares):.0f}-{max(shares):.0f}%" if shares else ""
    return (f"  {name:<44} best {best_run['wall']:7.3f} s  median "
            f"{statistics.median(r['wall'] for r in runs):7.3f} s  CPU {best_run['cpu']:7.3f} s"
            f"  {busy}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE / "data" / "sf10")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--skip-evaluate", action="store_true",
                        help="leave out the assignment cost (12 segments with / without)")
    args = parser.parse_args()

    from segl.runtime import kmeans
    from segl.runtime.api import evaluate, load
    from segl.runtime.discover import _scaling, discover, write_lock_files
    from segl.runtime.discover_features import feature_columns
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    print(f"segl discover benchmark, {time.strftime('%Y-%m-%dT%H:%M:%S')}; "
          f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="segl-discover-bench-") as scratch:
        twelve, clustered = project(args.data, Path(scratch))
        measured, discovery = timed(lambda: discover(str(clustered), AS_OF))
        (result,) = discovery.results
        write_lock_files(discovery)
        print(f"data: {args.data} · {result.entities:,} customers · k = 8 on 4 features")
        print(f"segl discover end to end (compile, features on DuckDB, fit, profile): "
              f"{measured['wall']:.2f} s (CPU {measured['cpu']:.2f} s, others "
              f"{measured['busy_other_pct']}%)")

        # the same scaled matrix for both fits
        compilation, connection = load(str(clustered))
        spec = compilation.model.segmentations["profiles"].clusters
        pulled, columns = timed(lambda: feature_columns(
            compilation, {"profiles": spec.features}, date(1998, 8, 2), connection,
            "duckdb", {}))
        raw = columns["profiles"]
        print(f"  of which the features pulled from DuckDB: {pulled['wall']:.2f} s")
        x = np.where(np.isnan(raw), np.nanmean(raw, axis=0), raw)
        center, scale = _scaling("zscore", x)
        z = (x - center) / scale

        def sk(tol):
            return lambda: KMeans(8, init="k-means++", n_init=1, random_state=42, tol=tol,
                                  algorithm="lloyd").fit(z)

        def one_thread(function):
            def run():
                with threadpool_limits(1):
                    return function()
            return run

        start = kmeans.kmeans_plus_plus(z, 8, 42)
        variants = {"segl fit (k-means++, Lloyd to convergence)": lambda: kmeans.fit(z, 8, 42),
                    "segl Lloyd from its k-means++ start": lambda: kmeans.lloyd(z, start),
                    "scikit-learn Lloyd from the same start, tol=0": lambda: KMeans(
                        8, init=start, n_init=1, tol=0, algorithm="lloyd").fit(z),
                    "scikit-learn KMeans, tol=0": sk(0.0),
                    "scikit-learn KMeans, tol=0, one thread": one_thread(sk(0.0)),
                    "scikit-learn KMeans, tol=1e-4 (default)": sk(1e-4)}
        runs = interleaved(variants, args.repeat)
        print(f"fits on the same {z.shape[0]:,} x {z.shape[1]} matrix, {args.repeat} "
              "interleaved rounds (CPU: all threads):")
        for name, function in variants.items():
            mib, fitted = peak_memory(function)
            if isinstance(fitted, kmeans.Fit):
                note = f"{fitted.iterations} iterations, inertia {fitted.inertia:,.1f}"
            elif isinstance(fitted, tuple):  # lloyd(): centroids, labels, iterations
                note = f"{fitted[2]} iterations"
            else:
                note = f"{fitted.n_iter_} iterations, inertia {fitted.inertia_:,.1f}"
            print(summary(name, runs[name], f"peak {mib:.0f} MiB, {note}"))

        if not args.skip_evaluate:
            runs = interleaved({"12 segments": lambda: evaluate(twelve, as_of=AS_OF),
                                "12 segments + 8 clusters": lambda: evaluate(
                                    clustered, as_of=AS_OF)}, args.repeat)
            plain = min(r["wall"] for r in runs["12 segments"])
            with_clusters = min(r["wall"] for r in runs["12 segments + 8 clusters"])
            print("evaluate(), interleaved:")
            print(summary("12 segments", runs["12 segments"]))
            print(summary("12 segments + 8 clusters assigned",
                          runs["12 segments + 8 clusters"],
                          f"{100 * (with_clusters / plain - 1):+.1f}% (best of each)"))
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
