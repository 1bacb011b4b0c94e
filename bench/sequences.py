"""segl's event sequences against hand-written window-function SQL, interleaved (issue 13).

    nice -n 10 .venv/bin/python bench/sequences.py [--scale 1] [--rounds 7]

"An order followed by no order within 90 days" (bench/tpch_sequence.seg: per customer the
count of such orders, the latest one, and the segment of customers with one) on TPC-H,
as_of 1998-08-02. The baseline is the SQL a strong engineer writes for it: orders per
customer and day, LEAD to the next order day, the days whose next order is more than 90
days later (or never, once 90 days have passed by as_of). Both queries give the same
rows (checked in process first, EXCEPT both ways). Then bench/compare.py's harness runs
them interleaved (A B, B A, …, after one warm-up round), each in a fresh subprocess on a
fresh in-memory DuckDB reading the Parquet files, recording wall time, own CPU time and
the other processes' share of the machine (bench/cpu_share.py). Target: segl within 1.2x.

Results: a table on stdout, the measurements in bench/results/sequences-latest.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import compare  # noqa: E402
import tpch_data  # noqa: E402
from hand_written import AS_OF  # noqa: E402
from sql_fill import fill, sql  # noqa: E402

SEG = BENCH_DIR / "tpch_sequence.seg"
COLUMNS = ("c_custkey", "had_gap", "gaps", "last_gap")


def segl_sql(data_dir: Path, as_of: datetime.date) -> str:
    """segl's query (the segment and both features as traits), compiled as `segl run`
    compiles it (column types read from the data)."""
    from segl.compiler.api import AsOf, plan_for, query_for_plan
    from segl.compiler.plan.as_of import AsOfMode
    from segl.runtime.api import load

    compilation, connection = load(str(data_dir / SEG.name))
    connection.close()
    plan = plan_for(compilation.require_ok(), ["had_gap"], traits=["gaps", "last_gap"])
    return query_for_plan(plan, "duckdb", AsOf(AsOfMode.DATE, as_of)).sql("duckdb")


# The hand-written baseline: constant SQL, its tables and date filled as trees (sql_fill.py).
HAND_SQL = """
WITH days AS (
  SELECT o_custkey AS k, o_orderdate AS d, count(*) AS n
  FROM orders
  WHERE o_orderdate <= :as_of
  GROUP BY o_custkey, o_orderdate
), nexts AS (
  SELECT k, d, n, lead(d) OVER (PARTITION BY k ORDER BY d) AS next_d FROM days
), gaps AS (
  SELECT k, CAST(sum(n) AS BIGINT) AS gaps, max(d) AS last_gap
  FROM nexts
  WHERE d + INTERVAL 90 DAY <= :as_of
    AND (next_d IS NULL OR next_d > d + INTERVAL 90 DAY)
  GROUP BY k
)
SELECT c_custkey, coalesce(gaps > 0, false) AS had_gap, coalesce(gaps, 0) AS gaps, last_gap
FROM customer LEFT JOIN gaps ON k = c_custkey
ORDER BY c_custkey
"""


def hand_sql(data_dir: Path, as_of: datetime.date) -> str:
    return sql(fill(HAND_SQL, data_dir, as_of=as_of))


def check_same(sqls: dict[str, str]) -> dict:
    """Both queries' rows, compared in one DuckDB (EXCEPT ALL both ways)."""
    import duckdb

    connection = duckdb.connect()
    relations = {name: connection.sql(sql).select(", ".join(COLUMNS))
                 for name, sql in sqls.items()}
    segl, hand = relations["segl"], relations["hand"]
    rows = len(segl.fetchall())
    only_segl = len(segl.except_(hand).fetchall())
    only_hand = len(hand.except_(segl).fetchall())
    gaps = connection.sql(sqls["hand"]).aggregate("sum(gaps), count(*) FILTER (had_gap)")
    ((total, members),) = gaps.fetchall()
    connection.close()
    return {"rows": rows, "only_segl": only_segl, "only_hand": only_hand,
            "gaps_total": int(total), "had_gap_members": int(members)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (7)")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=AS_OF)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--data-root", type=Path, default=tpch_data.DATA_ROOT)
    args = parser.parse_args(argv)

    data_dir = tpch_data.generate(args.scale, args.data_root)
    shutil.copyfile(SEG, data_dir / SEG.name)
    sqls = {"segl": segl_sql(data_dir, args.as_of), "hand": hand_sql(data_dir, args.as_of)}
    agreement = check_same(sqls)
    print(f"agreement: {agreement}", file=sys.stderr, flush=True)
    measurements: dict[str, list[dict]] = {}
    for rnd, name in compare.schedule(list(sqls), args.rounds, warmup=1):
        spec = {"tables": [("result", sqls[name])], "check": {"kind": "wide"},
                "summarize": False}
        result = compare.run_measurement(spec, args.timeout) | {"round": rnd}
        measurements.setdefault(name, []).append(result)
        print(f"round {rnd:>2} {name:<5} " + (result["error"][:80] if "error" in result else
              f"{result['wall']:.3f} s, CPU {result['cpu']:.3f} s, other "
              f"{result['busy_other_pct']}%"), file=sys.stderr, flush=True)
    stats = {name: compare.stats(runs) for name, runs in measurements.items()}
    ratio = compare.paired_ratios(measurements["segl"], measurements["hand"])
    report = {"started": datetime.datetime.now().isoformat(timespec="seconds"),
              "argv": sys.argv[1:], "cpus": os.cpu_count(), "scale": args.scale,
              "as_of": args.as_of.isoformat(), "agreement": agreement, "stats": stats,
              "ratio_segl_over_hand": ratio, "measurements": measurements}
    results = BENCH_DIR / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "sequences-latest.json").write_text(json.dumps(report, indent=2) + "\n")

    print(f"sf{args.scale:g}, as_of {args.as_of}, {args.rounds} rounds interleaved; "
          f"same rows: {agreement['only_segl'] == agreement['only_hand'] == 0}")
    print("| variant | median s | min..max s | CPU s | other CPU share |")
    print("| --- | --- | --- | --- | --- |")
    for name, label in (("segl", "segl (tpch_sequence.seg)"), ("hand", "hand-written LEAD")):
        s = stats[name]
        print(f"| {label} | {s['median']:.3f} | {s['min']:.3f}..{s['max']:.3f} | "
              f"{s['cpu_median']:.3f} | {s['busy_other_median']}% |")
    if ratio:
        print(f"segl / hand (per-round wall ratio): median {ratio['wall_median']:.2f}x "
              f"({ratio['wall_min']:.2f}..{ratio['wall_max']:.2f}), "
              f"CPU {ratio['cpu_median']:.2f}x; target <= 1.2x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
