"""Small TPC-H-shaped Parquet files for the benchmark's tests (no tpchgen-cli needed).

The six tables and the columns bench/tpch.seg and bench/tpch_rfm.seg read, drawn from a
seeded generator with the edges the baselines must get right: customers without orders
(`buyer_share`), orders and line items after as_of (invisible), equal prices and dates
(ties in every ranking), line items shipped up to 121 days after their order.
"""

from __future__ import annotations

import datetime
import random
from pathlib import Path

import polars as pl

AS_OF = datetime.date(1998, 8, 2)
FIRST_ORDER = datetime.date(1992, 1, 1)
LAST_ORDER = datetime.date(1998, 12, 31)        # past as_of: some orders are invisible
REGIONS = ("AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST")
SEGMENTS = ("AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY")
PRIORITIES = ("1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW")
TYPES = ("SMALL PLATED BRASS", "LARGE BRUSHED STEEL", "ECONOMY ANODIZED BRASS",
         "STANDARD POLISHED TIN", "MEDIUM BURNISHED COPPER")


def write(folder: Path, *, customers: int = 300, buyer_share: float = 0.67,
          seed: int = 15) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"r_regionkey": list(range(5)), "r_name": list(REGIONS)}).write_parquet(
        folder / "region.parquet")
    pl.DataFrame({"n_nationkey": list(range(25)), "n_name": [f"N{i}" for i in range(25)],
                  "n_regionkey": [i % 5 for i in range(25)]}).write_parquet(
        folder / "nation.parquet")
    pl.DataFrame({"p_partkey": list(range(1, 41)),
                  "p_type": [rng.choice(TYPES) for _ in range(40)]}).write_parquet(
        folder / "part.parquet")
    pl.DataFrame({
        "c_custkey": list(range(1, customers + 1)),
        "c_nationkey": [rng.randrange(25) for _ in range(customers)],
        "c_mktsegment": [rng.choice(SEGMENTS) for _ in range(customers)],
        "c_acctbal": [float(rng.choice((-500, 0, 4999, 5000, 5001, 7500, 9999)))
                      for _ in range(customers)],
    }).write_parquet(folder / "customer.parquet")

    span = (LAST_ORDER - FIRST_ORDER).days
    orders: dict[str, list] = {k: [] for k in ("o_orderkey", "o_custkey", "o_orderdate",
                                                "o_totalprice", "o_orderpriority")}
    lines: dict[str, list] = {k: [] for k in ("l_orderkey", "l_partkey", "l_quantity",
                                               "l_shipdate")}
    for custkey in range(1, customers + 1):
        if rng.random() >= buyer_share:
            continue
        recent = rng.random() < 0.5          # half the buyers order mostly in the last years
        for _ in range(rng.randint(1, 30)):
            offset = rng.randrange(span - 900, span) if recent else rng.randrange(span)
            date = FIRST_ORDER + datetime.timedelta(days=offset - offset % 7)   # ties
            key = len(orders["o_orderkey"]) + 1
            orders["o_orderkey"].append(key)
            orders["o_custkey"].append(custkey)
            orders["o_orderdate"].append(date)
            orders["o_totalprice"].append(float(rng.choice((50_000, 150_000, 225_000, 300_000))))
            orders["o_orderpriority"].append(rng.choice(PRIORITIES))
            for _ in range(rng.randint(1, 7)):
                lines["l_orderkey"].append(key)
                lines["l_partkey"].append(rng.randint(1, 40))
                lines["l_quantity"].append(float(rng.randint(1, 50)))
                lines["l_shipdate"].append(date + datetime.timedelta(days=rng.randint(1, 121)))
    pl.DataFrame(orders, schema={"o_orderkey": pl.Int64, "o_custkey": pl.Int64,
                                 "o_orderdate": pl.Date, "o_totalprice": pl.Float64,
                                 "o_orderpriority": pl.String}).write_parquet(
        folder / "orders.parquet")
    pl.DataFrame(lines, schema={"l_orderkey": pl.Int64, "l_partkey": pl.Int64,
                                "l_quantity": pl.Float64, "l_shipdate": pl.Date}).write_parquet(
        folder / "lineitem.parquet")
    return folder
