"""A lower bound for many dates (issue 11, Performance): the daily roll-up alone.

Issue 11 suggests computing many dates by rolling the events up per entity and day once,
then evaluating every window at every date from the roll-up. Whatever the evaluation costs,
such a design pays at least for the roll-up: every event any of the 12 dates reads, read
once and grouped per (customer, day). These queries are that step and nothing else, written
by hand from the segments' definitions (not from segl's plan), so that bench/multi_date.py
can show, in the same interleaved rounds, how much of the "at most 2x one date" budget the
roll-up alone takes:

* twelve segments (bench/tpch.seg): orders per (customer, order day) up to the last date,
  with the sums and counts the features read (lifetime measures need every order); line
  items per (customer, visible day) from 365 days before the first date (the widest line-item
  window) to the last, with the BRASS count and the quantity;
* RFM (bench/tpch_rfm.seg): orders per (customer, order day) up to the last date, with the
  count, the spend and the last order day (every RFM measure is a lifetime measure).

A second floor, `ranks`, is the rankings every date needs apart: each date ranks its own
values (a customer's spend or recency changes from date to date), so no design shares them
between dates. The queries rank stand-in values (a hash of the key and the date) of two
customers in three (about the buyers' share at SF1; the independent baselines rank buyers
only) at each of the 12 dates, reading nothing but the customer keys: the `top 20%` order
of the twelve segments (one `row_number`), and RFM's `ntile` for r and `rank` for f.

The results are the roll-up and the ranks (not members: bench/multi_date.py does not compare
them with segl's).

    python bench/multi_date_floor.py --print twelve|rfm|twelve-ranks|rfm-ranks [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from sql_fill import fill, literal, sql  # noqa: E402
from sqlglot import exp  # noqa: E402


def _span(dates: list[datetime.date]) -> dict[str, datetime.date]:
    return {"first": min(dates), "last": max(dates)}


def twelve_sql(data_dir: str | Path, dates: list[datetime.date]) -> str:
    return sql(fill(TWELVE_SQL, data_dir, **_span(dates)))


TWELVE_SQL = """
WITH order_days AS (
    SELECT o_custkey AS c_custkey, o_orderdate AS day, 'orders' AS events,
           count(*) AS n, sum(o_totalprice) AS amount, max(o_orderdate) AS last_day,
           count(*) FILTER (WHERE o_orderpriority = '1-URGENT') AS flagged
    FROM orders
    WHERE o_orderdate <= :last
    GROUP BY ALL
),
line_days AS (
    SELECT o.o_custkey AS c_custkey, greatest(l.l_shipdate, o.o_orderdate) AS day,
           'lineitem' AS events, count(*) AS n, sum(l.l_quantity) AS amount,
           max(l.l_shipdate) AS last_day,
           count(*) FILTER (WHERE l.l_partkey IN (
               SELECT p_partkey FROM part WHERE p_type LIKE '%BRASS%')) AS flagged
    FROM lineitem AS l
    JOIN orders AS o ON o.o_orderkey = l.l_orderkey
    WHERE l.l_shipdate > :first - 365 AND l.l_shipdate <= :last AND o.o_orderdate <= :last
    GROUP BY ALL
)
SELECT * FROM order_days
UNION ALL
SELECT * FROM line_days
"""


def rfm_sql(data_dir: str | Path, dates: list[datetime.date]) -> str:
    return sql(fill(RFM_SQL, data_dir, **_span(dates)))


RFM_SQL = """
SELECT o_custkey AS c_custkey, o_orderdate AS day, count(*) AS n,
       sum(o_totalprice) AS spend, max(o_orderdate) AS last_order
FROM orders
WHERE o_orderdate <= :last
GROUP BY ALL
"""

BUILDERS = {"tpch.seg": twelve_sql, "tpch_rfm.seg": rfm_sql}


def twelve_ranks_sql(data_dir: str | Path, dates: list[datetime.date]) -> str:
    return sql(fill(TWELVE_RANKS_SQL, data_dir, dates=_dates(dates)))


def rfm_ranks_sql(data_dir: str | Path, dates: list[datetime.date]) -> str:
    return sql(fill(RFM_RANKS_SQL, data_dir, dates=_dates(dates)))


def _dates(dates: list[datetime.date]) -> exp.Expression:
    return exp.Array(expressions=[literal(day) for day in sorted(dates)])


STAND_INS = """
WITH stand_ins AS (
    SELECT c.c_custkey, d.as_of, hash(c.c_custkey, d.as_of) % 100000 AS value,
           hash(d.as_of, c.c_custkey) % 40 AS count
    FROM customer AS c
    CROSS JOIN (SELECT unnest(:dates) AS as_of) AS d
    WHERE c.c_custkey % 3 <> 0
)
"""
TWELVE_RANKS_SQL = STAND_INS + """
SELECT c_custkey, as_of,
       row_number() OVER (PARTITION BY as_of ORDER BY value DESC, c_custkey) AS position
FROM stand_ins
"""
RFM_RANKS_SQL = STAND_INS + """
SELECT c_custkey, as_of,
       ntile(5) OVER (PARTITION BY as_of ORDER BY value DESC, c_custkey DESC) AS r,
       rank() OVER (PARTITION BY as_of ORDER BY count) AS f
FROM stand_ins
"""
RANKS = {"tpch.seg": twelve_ranks_sql, "tpch_rfm.seg": rfm_ranks_sql}


def main(argv: list[str] | None = None) -> int:
    from multi_date import month_ends

    parser = argparse.ArgumentParser(description="The daily roll-up floor's SQL.")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data" / "sf1")
    parser.add_argument("--print", dest="show", required=True,
                        choices=["twelve", "rfm", "twelve-ranks", "rfm-ranks"])
    args = parser.parse_args(argv)
    build = {"twelve": twelve_sql, "rfm": rfm_sql, "twelve-ranks": twelve_ranks_sql,
             "rfm-ranks": rfm_ranks_sql}[args.show]
    print(build(args.data_dir, month_ends()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
