"""An independent hand-written baseline: the benchmark's segments as a strong analyst writes them.

`bench/hand_written.py` computes the same members with the same plan shape as segl's SQL
(line items per order joined into one pass over orders, every customer ranked), so parity
with it says little (issue 15). This module is written from the question, not from segl's
plan:

* one grouped scan of orders, over the customers who ordered (``buyers``), with their line
  items joined in; customers without an order are the complement and get their zeros by
  ``coalesce`` at the end;
* only the line items a feature counts are read past the scan's date filter: BRASS parts
  (a semi-join ``l_partkey IN (SELECT ... FROM part ...)``, never a join that keeps
  every line) in the last 365 days, any part in the last 90;
* rankings rank only the entities that have a value (filter, then rank), and never with a
  ``PARTITION BY`` a null flag: ``top 20% by spend_total`` is a top-N (``ORDER BY ...
  LIMIT``) over the buyers; a customer without orders has spend 0 and ranks after every
  buyer, since TPC-H prices are positive, so the query is exact whenever the buyers fill
  the top 20% (two thirds of TPC-H customers order) and raises an error otherwise rather
  than answer wrong. The RFM ``ntile`` ranks the buyers (no order: no recency, no score);
  ``quantile`` ranks the buyers too and shifts their rank by the number of customers
  without orders, who all share the lowest value (0 orders) and rank 1.

The members equal segl's for `bench/tpch.seg` (``twelve_sql``: one BOOLEAN per segment)
and `bench/tpch_rfm.seg` (``rfm_sql``: every customer's rfm and priority bucket and r, f,
m scores, no KPI values), as tests/bench/test_independent.py checks on small generated data.
The semantics spelled out in bench/README.md hold here too: ``in last N days`` is
``as_of - N days < date(t) <= as_of``, a line item is visible with its order, ties in
``top`` go to the smaller key, ``ntile`` puts equal values' larger key first.

    python bench/independent.py --print twelve|rfm [--data-dir bench/data/sf1]

The queries are constant SQL text with named slots (``:as_of``) that bench/sql_fill.py fills
as sqlglot trees; the module never imports duckdb.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from hand_written import AS_OF, dates, m_score  # noqa: E402
from sql_fill import fill, sql  # noqa: E402

TOP_PERCENT = 20          # high_spenders = top 20% by spend_total


def twelve_sql(data_dir: str | Path, as_of: datetime.date = AS_OF) -> str:
    """The twelve segments of bench/tpch.seg: c_custkey and one BOOLEAN per segment."""
    return sql(fill(TWELVE_SQL, data_dir, top_percent=TOP_PERCENT, **dates(as_of)))


TWELVE_SQL = """
WITH n_customers AS (SELECT count(*) AS n FROM customer),
lines AS (
    -- only the line items a feature counts: BRASS parts shipped in the last 365 days
    -- (a semi-join on part), any part in the last 90; summed per order
    SELECT l_orderkey,
           count(*) FILTER (WHERE is_brass) AS brass_lines_1y,
           sum(l_quantity) FILTER (WHERE l_shipdate > :days_90) AS quantity_90d
    FROM (SELECT l_orderkey, l_shipdate, l_quantity,
                 l_partkey IN (SELECT p_partkey FROM part WHERE p_type LIKE '%BRASS%')
                     AS is_brass
          FROM lineitem
          WHERE l_shipdate > :year_1 AND l_shipdate <= :as_of)
    WHERE is_brass OR l_shipdate > :days_90
    GROUP BY l_orderkey
),
buyers AS (
    -- the one grouped scan of orders (their line items joined in): only customers who
    -- ordered; the others get their zeros by coalesce below
    SELECT o.o_custkey AS c_custkey,
           count(*) FILTER (WHERE o.o_orderdate > :year_1) AS orders_1y,
           sum(o.o_totalprice) FILTER (WHERE o.o_orderdate > :years_2) AS spend_2y,
           avg(o.o_totalprice) FILTER (WHERE o.o_orderdate > :years_2) AS avg_order_2y,
           sum(o.o_totalprice) AS spend_total,
           max(o.o_orderdate) AS last_order,
           bool_or(o.o_orderpriority = '1-URGENT') AS any_urgent,
           sum(lines.brass_lines_1y) AS brass_lines_1y,
           sum(lines.quantity_90d) AS quantity_90d
    FROM orders AS o
    LEFT JOIN lines ON lines.l_orderkey = o.o_orderkey
    WHERE o.o_orderdate <= :as_of
    GROUP BY o.o_custkey
),
top_spenders AS (
    -- top TOP_PERCENT (20)%: rank only the buyers, as a top-N (no window over everyone). A
    -- customer without orders has spend 0 and ranks after every buyer (TPC-H prices are
    -- positive), so this is exact as long as the buyers fill the top; the query refuses
    -- to answer otherwise rather than answer wrong.
    SELECT c_custkey
    FROM buyers
    ORDER BY spend_total DESC, c_custkey
    LIMIT (SELECT CASE WHEN (SELECT count(*) FROM buyers) * 100 < :top_percent * n
                       THEN error('fewer buyers than the top 20% of customers')
                       ELSE (:top_percent * n) // 100 END
           FROM n_customers)
),
flags AS (
    SELECT c.c_custkey,
           coalesce(c.c_mktsegment = 'AUTOMOBILE' AND c.c_acctbal > 5000, false)
               AS automobile_rich,
           coalesce(c.c_nationkey IN (
               SELECT n.n_nationkey FROM nation AS n
               JOIN region AS r ON r.r_regionkey = n.n_regionkey
               WHERE r.r_name = 'EUROPE'), false) AS europe,
           coalesce(b.orders_1y >= 3, false) AS frequent,
           coalesce(b.spend_2y > 1000000, false) AS big_spenders_2y,
           coalesce(b.avg_order_2y > 200000, false) AS high_avg_order,
           coalesce(b.last_order < :lapsed_before, false) AS lapsed,
           ts.c_custkey IS NOT NULL AS high_spenders,
           NOT coalesce(b.any_urgent, false) AS never_urgent,
           coalesce(b.brass_lines_1y >= 3, false) AS brass_buyers,
           coalesce(b.quantity_90d >= 150, false) AS bulk_buyers_90d
    FROM customer AS c
    LEFT JOIN buyers AS b ON b.c_custkey = c.c_custkey
    LEFT JOIN top_spenders AS ts ON ts.c_custkey = c.c_custkey
)
SELECT c_custkey,
       automobile_rich, europe, frequent, big_spenders_2y, high_avg_order, lapsed,
       high_spenders, never_urgent, brass_buyers, bulk_buyers_90d,
       europe AND high_spenders AND NOT lapsed AS vip_europe,
       (high_spenders OR automobile_rich) AND (lapsed OR NOT frequent) AS win_back
FROM flags
ORDER BY c_custkey
"""


def rfm_sql(data_dir: str | Path, as_of: datetime.date = AS_OF) -> str:
    """bench/tpch_rfm.seg's members: per customer the rfm and priority buckets and the r,
    f, m scores (c_custkey, rfm, priority, r, f, m); no KPI values."""
    return sql(fill(RFM_SQL, data_dir, as_of=as_of, m_score=m_score()))


# the buckets and scores from one row per customer (`scored`); bench/floor.py reuses it
RFM_LABELS = """
SELECT c_custkey,
       CASE WHEN r >= 4 AND f >= 4 AND :m_score >= 4 THEN 'champions'
            WHEN f >= 4 AND :m_score >= 3 THEN 'loyal'
            WHEN r <= 2 AND f >= 3 THEN 'at_risk'
            WHEN r = 5 AND f <= 2 THEN 'new'
            WHEN r <= 2 THEN 'hibernating'
            ELSE 'others' END AS rfm,
       CASE WHEN spend_total > 3000000 AND c_mktsegment = 'AUTOMOBILE' THEN 'key_automobile'
            WHEN spend_total > 3000000 THEN 'key_accounts'
            WHEN days_since_last_order <= 90 AND c_mktsegment = 'BUILDING'
                THEN 'recent_building'
            WHEN days_since_last_order <= 180 THEN 'recent'
            ELSE 'long_tail' END AS priority,
       r, f, :m_score AS m
"""

# every buyer with the r and f scores (CTE `scored_buyers`); bench/floor.py reuses it
RFM_SCORED_BUYERS = """
WITH n_customers AS (SELECT count(*) AS n FROM customer),
buyers AS (
    SELECT o_custkey AS c_custkey,
           :as_of - max(o_orderdate) AS days_since_last_order,
           count(*) AS orders_total,
           sum(o_totalprice) AS spend_total
    FROM orders
    WHERE o_orderdate <= :as_of
    GROUP BY o_custkey
),
scored_buyers AS (
    -- filter, then window: only buyers have a recency; for f, every customer without an
    -- order has 0 orders, the lowest value, so a buyer's rank over everyone is its rank
    -- among buyers plus the number of customers without orders
    SELECT c_custkey, days_since_last_order, orders_total, spend_total,
           ntile(5) OVER (ORDER BY days_since_last_order DESC, c_custkey DESC) AS r,
           1 + 5 * ((SELECT n FROM n_customers) - count(*) OVER ()
                    + rank() OVER (ORDER BY orders_total) - 1)
               // (SELECT n FROM n_customers) AS f
    FROM buyers
)"""

RFM_SQL = RFM_SCORED_BUYERS + """,
scored AS (
    SELECT c.c_custkey, c.c_mktsegment, s.days_since_last_order, s.r,
           coalesce(s.f, 1) AS f,
           coalesce(s.spend_total, 0) AS spend_total
    FROM customer AS c
    LEFT JOIN scored_buyers AS s ON s.c_custkey = c.c_custkey
)
""" + RFM_LABELS + """FROM scored
ORDER BY c_custkey
"""


RFM_COLUMNS = ("c_custkey", "rfm", "priority", "r", "f", "m")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The independent hand-written baseline's SQL.")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data" / "sf1")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=AS_OF)
    parser.add_argument("--print", dest="show", choices=["twelve", "rfm"], required=True)
    args = parser.parse_args(argv)
    build = twelve_sql if args.show == "twelve" else rfm_sql
    print(build(args.data_dir, args.as_of))
    return 0


if __name__ == "__main__":
    sys.exit(main())
