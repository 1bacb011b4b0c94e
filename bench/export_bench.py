"""Export benchmark (issue 12): every TPC-H customer of a segment with five traits, written by
`segl export` to Parquet and to a DuckDB table, against an independently written `COPY (…) TO`
and `CREATE TABLE … AS` of the same rows, interleaved in the same run (A B A B, the order
alternating each round), with the share of the CPUs other processes used during each
measurement (bench/cpu_share.py).

    python bench/export_bench.py --data bench/data/sf10 --rounds 5

`--data` is a folder holding TPC-H `customer.parquet` (bench/tpch_data.py); without one,
`--synthetic N` writes N customers of TPC-H's shape (uniform values in TPC-H's ranges) to a
temporary folder. The segment (`c_acctbal > 0`, about 91% of customers) and the traits are
the same on both sides; the hand-written statements order by key as segl does. They are fixed
text (no name or path is formatted into them): the benchmark works inside its temporary
folder, where the customers are the view `customer` and the outputs have fixed names.
Each written file is read back and compared with the other side's (same rows, same order).
A third side, `distinct`, is segl with the entity key checked by `count(DISTINCT key)` as
before runtime/key_check.py's bitmap, to measure that change in the same rounds. Wall and CPU
time (this process's, DuckDB's threads included) are printed, with ratios paired per round.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cpu_share

SEG = """
entity customer from parquet "{path}" key c_custkey {{
  c_custkey int
  c_name text
  c_address text
  c_nationkey int
  c_phone text
  c_acctbal decimal
  c_mktsegment text
  c_comment text
}}
segment positive_balance = c_acctbal > 0
export to_parquet from positive_balance {{
  traits (c_name, c_nationkey, c_acctbal, c_mktsegment, c_phone)
  to parquet "out/customers.parquet"
}}
export to_table from positive_balance {{
  traits (c_name, c_nationkey, c_acctbal, c_mktsegment, c_phone)
  to table "crm.customers"
}}
"""
# The independent baseline, written by hand (fixed text; run inside the benchmark's folder).
HAND_PARQUET = ("COPY (SELECT c_custkey, c_name, c_nationkey, c_acctbal, c_mktsegment, "
                "c_phone FROM customer WHERE c_acctbal > 0 ORDER BY c_custkey) "
                "TO 'hand.parquet' (FORMAT parquet)")
HAND_TABLE = ["CREATE SCHEMA IF NOT EXISTS crm",
              "CREATE OR REPLACE TABLE crm.hand AS SELECT c_custkey, c_name, c_nationkey, "
              "c_acctbal, c_mktsegment, c_phone FROM customer WHERE c_acctbal > 0 "
              "ORDER BY c_custkey"]


def synthetic(count: int, folder: Path) -> Path:
    key = pl.col("c_custkey")
    segments = pl.Series(["AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD"])
    frame = pl.DataFrame({"c_custkey": pl.int_range(1, count + 1, eager=True)}).with_columns(
        c_name=pl.format("Customer#{}", key.cast(pl.String).str.zfill(9)),
        c_address=pl.format("addr {}", key),
        c_nationkey=key % 25,
        c_phone=pl.format("{}-555-{}", key % 25 + 10, key % 10_000),
        c_acctbal=((key * 7919 % 1_099_999) - 99_999).cast(pl.Decimal(15, 2)) / 100,
        c_mktsegment=pl.when(key % 5 == 0).then(pl.lit(segments[0])).when(key % 5 == 1)
        .then(pl.lit(segments[1])).when(key % 5 == 2).then(pl.lit(segments[2]))
        .when(key % 5 == 3).then(pl.lit(segments[3])).otherwise(pl.lit(segments[4])),
        c_comment=pl.format("comment {}", key),
    )
    path = folder / "customer.parquet"
    frame.write_parquet(path)
    return path


def hand(customer: Path, kind: str) -> None:
    """The hand-written statement (in the benchmark's folder: fixed names)."""
    with duckdb.connect("hand.duckdb" if kind == "table" else ":memory:") as connection:
        connection.read_parquet(str(customer)).create_view("customer")
        for statement in (HAND_TABLE if kind == "table" else [HAND_PARQUET]):
            connection.execute(statement)


def segl(seg: Path, kind: str, distinct: bool = False) -> None:
    """`distinct`: the entity key checked with `count(DISTINCT key)` as before the bitmap
    (runtime/key_check.py), to measure that change alone in the same run."""
    from segl.runtime import key_check
    from segl.runtime.exports import run_exports

    key_check.MAX_BITS = 0 if distinct else 1 << 26
    run_exports(str(seg), ["to_table" if kind == "table" else "to_parquet"], "1998-08-02",
                database="segl.duckdb" if kind == "table" else None)


def measure(run) -> dict:
    before = cpu_share.snapshot()
    run()
    return cpu_share.measure(before, cpu_share.snapshot())


def same_rows(folder: Path) -> bool:
    segl_file = pl.read_parquet(folder / "out" / "customers.parquet")
    hand_file = pl.read_parquet(folder / "hand.parquet")
    with duckdb.connect(str(folder / "segl.duckdb")) as a, \
            duckdb.connect(str(folder / "hand.duckdb")) as b:
        tables = a.execute("SELECT * FROM crm.customers").fetchall() == \
            b.execute("SELECT * FROM crm.hand").fetchall()
    return segl_file.equals(hand_file) and tables


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path)
    parser.add_argument("--synthetic", type=int, default=1_500_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="segl-export-bench-"))
    home = Path.cwd()
    try:
        customer = (args.data / "customer.parquet").resolve() if args.data else \
            synthetic(args.synthetic, folder)
        seg = folder / "bench.seg"
        seg.write_text(SEG.format(path=customer))
        os.chdir(folder)
        rows = pl.scan_parquet(customer).filter(pl.col("c_acctbal") > 0).select(
            pl.len()).collect().item()
        variants = {("hand", "parquet"): lambda: hand(customer, "parquet"),
                    ("segl", "parquet"): lambda: segl(seg, "parquet"),
                    ("distinct", "parquet"): lambda: segl(seg, "parquet", distinct=True),
                    ("hand", "table"): lambda: hand(customer, "table"),
                    ("segl", "table"): lambda: segl(seg, "table"),
                    ("distinct", "table"): lambda: segl(seg, "table", distinct=True)}
        for run in variants.values():  # warm-up (file cache, imports), not timed
            run()
        times: dict[tuple[str, str], list[dict]] = {k: [] for k in variants}
        for index in range(args.rounds):  # A B A B: each round runs every variant once
            for kind in ("parquet", "table"):
                order = ("hand", "segl", "distinct") if index % 2 == 0 else \
                    ("distinct", "segl", "hand")
                for who in order:
                    times[(who, kind)].append(measure(variants[(who, kind)]))
        print(f"{rows:,} customers exported, five traits, {args.rounds} rounds interleaved "
              f"(after one warm-up); {os.cpu_count()} CPUs; rows identical: {same_rows(folder)}")
        print("wall time; `segl` checks an integer key with a bitmap, `distinct` with "
              "count(DISTINCT key) (before)")
        print("target   side       wall median (min)   CPU median (min)   paired wall ratio"
              "   paired CPU ratio   other processes' CPU share median (max)")
        for kind in ("parquet", "table"):
            a = times[("hand", kind)]
            for who in ("hand", "segl", "distinct"):
                b = times[(who, kind)]
                walls, cpus = [m["wall"] for m in b], [m["cpu"] for m in b]
                paired = statistics.median(x["wall"] / y["wall"] for x, y in zip(b, a, strict=True))
                paired_cpu = statistics.median(x["cpu"] / y["cpu"]
                                               for x, y in zip(b, a, strict=True))
                shares = [m["busy_other_pct"] for m in b if m["busy_other_pct"] is not None]
                share = (f"{statistics.median(shares):.0f}% ({max(shares):.0f}%)" if shares
                         else "n/a")
                print(f"{kind:8} {who:9} {statistics.median(walls):7.3f}s ({min(walls):.3f}s)"
                      f"   {statistics.median(cpus):7.3f}s ({min(cpus):.3f}s)"
                      f"   {paired:5.2f}x             {paired_cpu:5.2f}x            {share}")
    finally:
        os.chdir(home)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
