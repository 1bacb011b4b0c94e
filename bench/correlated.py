"""segl's correlated aggregate against hand-written window-function SQL (issue 13).

    nice -n 10 .venv/bin/python bench/correlated.py [--scale 1] [--rounds 7]

"Orders after the customer's first order with a line of part brand Brand#23"
(bench/correlated.seg), as_of 1998-08-02, on TPC-H Parquet (bench/tpch_data.py). segl's
query (`to_sql`, DuckDB; compiled once, outside the timings) reads lineitem joined to orders
and part once, then orders again after the step that knows each customer's first brand
order. The baseline is what an engineer would write: the brand's orders as a semi-join,
one scan of orders with `MIN(…) OVER (PARTITION BY o_custkey)`, `COUNT(*) FILTER`. Both
keep only rows on or before as_of (segl's cap), return one row per customer with the two
segments, and are checked equal. Rounds alternate the order (A B, B A, …) after one
untimed warm-up; each run gets a fresh in-memory DuckDB connection. Per variant: median
wall time, median own CPU, median share of the machine other processes used
(bench/cpu_share.py); the ratio is the median of the per-round ratios; target ≤ 1.2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from datetime import date
from pathlib import Path

import duckdb

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(ROOT.parent))

import cpu_share  # noqa: E402
import tpch_data  # noqa: E402

AS_OF = date(1998, 8, 2)
# The baseline: fixed text over bare Parquet names, run with the data folder as the
# working directory (no value of it comes from outside).
HAND_WRITTEN = """
WITH brand_orders AS (
  SELECT DISTINCT l.l_orderkey
  FROM 'lineitem.parquet' AS l JOIN 'part.parquet' AS p ON p.p_partkey = l.l_partkey
  WHERE p.p_brand = 'Brand#23' AND l.l_shipdate < DATE '1998-08-03'
), marked AS (
  SELECT o.o_custkey, o.o_orderdate,
         MIN(CASE WHEN b.l_orderkey IS NOT NULL THEN o.o_orderdate END)
           OVER (PARTITION BY o.o_custkey) AS first_brand_order
  FROM 'orders.parquet' AS o LEFT JOIN brand_orders AS b ON b.l_orderkey = o.o_orderkey
  WHERE o.o_orderdate < DATE '1998-08-03'
), per_customer AS (
  SELECT o_custkey, COUNT(*) FILTER (WHERE o_orderdate > first_brand_order) AS after_count
  FROM marked GROUP BY o_custkey
)
SELECT c.c_custkey,
       COALESCE(pc.after_count, 0) > 0 AS came_back_after_brand,
       COALESCE(pc.after_count, 0) >= 5 AS regular_after_brand
FROM 'customer.parquet' AS c LEFT JOIN per_customer AS pc ON pc.o_custkey = c.c_custkey
ORDER BY c.c_custkey
"""


def segl_sql(data: Path) -> str:
    from segl.compiler.api import compile_file, to_sql

    seg = data / "correlated.seg"
    shutil.copyfile(BENCH_DIR / "correlated.seg", seg)
    return to_sql(compile_file(seg), "duckdb", AS_OF.isoformat(), file_paths="relative")


def run(sql: str) -> tuple[dict, list]:
    connection = duckdb.connect()
    before = cpu_share.snapshot()
    rows = connection.execute(sql).fetchall()
    measured = cpu_share.measure(before, cpu_share.snapshot())
    connection.close()
    return measured, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    data = tpch_data.data_dir(args.scale)
    if not tpch_data.is_present(data):
        tpch_data.generate(args.scale)
    os.chdir(data)
    variants = {"segl": segl_sql(data), "hand": HAND_WRITTEN}
    _, expected = run(variants["hand"])
    _, got = run(variants["segl"])  # (also the warm-up round)
    assert got == expected, "segl and the hand-written query disagree"
    results: dict[str, list[dict]] = {name: [] for name in variants}
    for index in range(args.rounds):
        order = list(variants) if index % 2 == 0 else list(reversed(variants))
        for name in order:
            measured, _ = run(variants[name])
            results[name].append(measured)
    members = sum(1 for row in expected if row[1])
    print(f"TPC-H sf{args.scale:g}, as_of {AS_OF}, {len(expected):,} customers, "
          f"{members:,} came back after a Brand#23 order; {args.rounds} interleaved rounds")
    for name, label in (("segl", "segl (to_sql)"), ("hand", "hand-written window SQL")):
        runs = results[name]
        shares = [r["busy_other_pct"] for r in runs if r["busy_other_pct"] is not None]
        print(f"  {label:26} median {statistics.median(r['wall'] for r in runs):.3f} s  "
              f"(min {min(r['wall'] for r in runs):.3f}, max {max(r['wall'] for r in runs):.3f})"
              f"  cpu {statistics.median(r['cpu'] for r in runs):.3f} s  other processes "
              f"{statistics.median(shares) if shares else float('nan'):.0f}%")
    ratios = [s["wall"] / h["wall"] for s, h in zip(results["segl"], results["hand"],
                                                     strict=True)]
    print(f"  segl / hand-written: median of per-round ratios {statistics.median(ratios):.2f}"
          f" (target <= 1.20)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
