"""Export benchmark (issue 12): every TPC-H customer of a segment with five traits, written by
`segl export` to Parquet and to a DuckDB table, against a hand-written `COPY (…) TO` and
`CREATE TABLE … AS` of the same rows in the same run (interleaved rounds, best of).

    python bench/export_bench.py --data bench/data/sf10 --rounds 3

`--data` is a folder holding TPC-H `customer.parquet` (bench/tpch_data.py); without one,
`--synthetic N` writes N customers of TPC-H's shape (uniform values in TPC-H's ranges) to a
temporary folder. The segment (`c_acctbal > 0`, about 91% of customers) and the traits are
the same on both sides; the hand-written queries order by key as segl does.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl
from sqlglot import exp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sql_fill import count_rows, parquet

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
TRAITS = "c_custkey, c_name, c_nationkey, c_acctbal, c_mktsegment, c_phone"


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


def hand_written(customer: Path, out: Path, database: Path) -> tuple[float, float]:
    query = _positive(customer).order_by("c_custkey").sql("duckdb")
    start = time.perf_counter()
    with duckdb.connect() as connection:
        connection.sql(query).write_parquet(str(out))
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    with duckdb.connect(str(database)) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS crm")
        connection.execute("DROP TABLE IF EXISTS crm.hand")
        connection.sql(query).create("crm.hand")
    return seconds, time.perf_counter() - start


def _positive(customer: Path) -> exp.Select:
    """The traits of every customer with a positive balance, as a sqlglot tree."""
    return (exp.select(*TRAITS.split(", ")).from_(parquet(customer.parent, customer.stem))
            .where(exp.column("c_acctbal") > 0))


def segl(seg: Path, database: Path, name: str) -> float:
    from segl.runtime.exports import run_exports

    start = time.perf_counter()
    run_exports(str(seg), [name], "1998-08-02",
                database=str(database) if name == "to_table" else None)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path)
    parser.add_argument("--synthetic", type=int, default=1_500_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="segl-export-bench-"))
    try:
        customer = (args.data / "customer.parquet") if args.data else \
            synthetic(args.synthetic, folder)
        seg = folder / "bench.seg"
        seg.write_text(SEG.format(path=customer.resolve()))
        with duckdb.connect() as connection:
            rows = count_rows(connection, _positive(customer))
        times: dict[str, list[float]] = {k: [] for k in
                                         ("hand parquet", "hand table", "segl parquet",
                                          "segl table")}
        for _ in range(args.rounds):  # interleaved: each round runs every variant once
            parquet, table = hand_written(customer, folder / "hand.parquet",
                                          folder / "hand.duckdb")
            times["hand parquet"].append(parquet)
            times["hand table"].append(table)
            times["segl parquet"].append(segl(seg, folder / "segl.duckdb", "to_parquet"))
            times["segl table"].append(segl(seg, folder / "segl.duckdb", "to_table"))
        best = {k: min(v) for k, v in times.items()}
        print(f"{rows:,} customers exported, five traits, best of {args.rounds}")
        for kind in ("parquet", "table"):
            ratio = best[f"segl {kind}"] / best[f"hand {kind}"]
            print(f"{kind:8} hand-written {best[f'hand {kind}']:.3f}s  segl export "
                  f"{best[f'segl {kind}']:.3f}s  ratio {ratio:.2f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
