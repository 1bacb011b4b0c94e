"""A floor for one date (issue 15 item 2): the work any plan for the segments must do.

Issue 15 asks segl's SQL to cost at most 0.9x of the independent baseline
(bench/independent.py) at SF10. The baseline is already a strong plan, so this module
measures how much of its cost is work no plan can skip: each table the segments read,
scanned once with only the columns they need, grouped to the grain the features need, with
only the aggregates they need, and nothing else: no join between the parts, no ranking
beyond what a score needs, no segment logic. A plan for the segments computes at least
these things; the parts read different tables, so no plan shares work between them
(`bench/compare.py` runs each part as its own query in one process and sums their CPU).

* `twelve` (bench/tpch.seg):
  - ``orders_per_customer``: the six order measures per customer (the orders in the last
    365 days, spend and average order in the last 2 years, spend and last order over all
    time, urgent orders), one grouped scan of the visible orders;
  - ``lines_per_order``: the line items the features count (the last 365 days; BRASS parts
    by a semi-join on part, any part in the last 90 days) per order;
  - ``customers``: every customer with the two attribute segments (the account filter and
    the region through nation), the row count of the output.
* `twelve_mapped`: the same, with the line items summed per customer instead of per order:
  their orders' customers found by a join with the orders they belong to (a semi-join
  keeps that to the orders that have such line items). The twelve segments need line items
  per customer, so any plan maps them; `twelve` leaves that step out and is the stricter
  floor.
* `rfm` (bench/tpch_rfm.seg):
  - ``scored_buyers``: the three order measures per customer who ordered, with the r and f
    scores ranked over those buyers (the baseline's windows; m is a CASE on the spend);
  - ``customers``: every customer with the column the priority segmentation reads.

* `twelve_combined`, `rfm_combined`: the parts (`twelve_mapped`, `rfm`) and then the
  cheapest combination written here of their tables into the segments' output (one join
  per part; the top-N over the buyers with the independent baseline's guard; the buckets'
  CASEs): a plan built on the floor, whose output is the members, so `bench/compare.py`
  checks it against segl's like any other variant. What it costs beyond the parts is what
  combining them costs at the least (their tables are in memory: no pipeline fuses the
  parts with their combination, so a fused plan could save the parts' table writes, a few
  hundredths of a second at SF10).

tests/bench/test_floor.py checks on small data that each part holds the values it claims
(against plain Python) and that these parts together are enough to answer the segments
(the members derived from them alone equal the independent baseline's).

    python bench/floor.py --print twelve|twelve_mapped|twelve_combined|rfm|rfm_combined \
        [--data-dir bench/data/sf1]

Constant SQL text with named slots, filled as sqlglot trees by bench/sql_fill.py.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from hand_written import AS_OF, dates, m_score  # noqa: E402
from independent import RFM_LABELS, RFM_SCORED_BUYERS  # noqa: E402
from sql_fill import fill, sql  # noqa: E402

ORDERS_PER_CUSTOMER = """
SELECT o_custkey AS c_custkey,
       count(*) FILTER (WHERE o_orderdate > :year_1) AS orders_1y,
       sum(o_totalprice) FILTER (WHERE o_orderdate > :years_2) AS spend_2y,
       avg(o_totalprice) FILTER (WHERE o_orderdate > :years_2) AS avg_order_2y,
       sum(o_totalprice) AS spend_total,
       max(o_orderdate) AS last_order,
       count(*) FILTER (WHERE o_orderpriority = '1-URGENT') AS urgent_orders
FROM orders
WHERE o_orderdate <= :as_of
GROUP BY o_custkey
"""

LINES_PER_ORDER = """
SELECT l_orderkey,
       count(*) FILTER (WHERE is_brass) AS brass_lines_1y,
       sum(l_quantity) FILTER (WHERE l_shipdate > :days_90) AS quantity_90d
FROM (SELECT l_orderkey, l_shipdate, l_quantity,
             l_partkey IN (SELECT p_partkey FROM part WHERE p_type LIKE '%BRASS%') AS is_brass
      FROM lineitem
      WHERE l_shipdate > :year_1 AND l_shipdate <= :as_of)
WHERE is_brass OR l_shipdate > :days_90
GROUP BY l_orderkey
"""

LINES_PER_CUSTOMER = """
WITH lines AS (""" + LINES_PER_ORDER + """)
SELECT o.o_custkey AS c_custkey,
       sum(lines.brass_lines_1y) AS brass_lines_1y,
       sum(lines.quantity_90d) AS quantity_90d
FROM lines
JOIN orders AS o ON o.o_orderkey = lines.l_orderkey
WHERE o.o_orderdate <= :as_of
GROUP BY o.o_custkey
"""

TWELVE_CUSTOMERS = """
SELECT c_custkey,
       coalesce(c_mktsegment = 'AUTOMOBILE' AND c_acctbal > 5000, false) AS automobile_rich,
       coalesce(c_nationkey IN (
           SELECT n.n_nationkey FROM nation AS n
           JOIN region AS r ON r.r_regionkey = n.n_regionkey
           WHERE r.r_name = 'EUROPE'), false) AS europe
FROM customer
"""

SCORED_BUYERS = RFM_SCORED_BUYERS + "\nSELECT * FROM scored_buyers\n"

RFM_CUSTOMERS = "SELECT c_custkey, c_mktsegment FROM customer"

# The parts combined into the segments' output, reading the parts' tables: the cheapest
# combination written here (one join per part, the top-N over the buyers as the independent
# baseline ranks them, with its guard), so that parts + combination is a plan, and its
# output is compared with segl's members like any other variant's.
TWELVE_COMBINED = """
WITH n_customers AS (SELECT count(*) AS n FROM customers),
top_spenders AS (
    SELECT c_custkey FROM orders_per_customer
    ORDER BY spend_total DESC, c_custkey
    LIMIT (SELECT CASE WHEN (SELECT count(*) FROM orders_per_customer) * 100 < 20 * n
                       THEN error('fewer buyers than the top 20% of customers')
                       ELSE (20 * n) // 100 END
           FROM n_customers)
),
flags AS (
    SELECT c.c_custkey, c.automobile_rich, c.europe,
           coalesce(o.orders_1y >= 3, false) AS frequent,
           coalesce(o.spend_2y > 1000000, false) AS big_spenders_2y,
           coalesce(o.avg_order_2y > 200000, false) AS high_avg_order,
           coalesce(o.last_order < :lapsed_before, false) AS lapsed,
           t.c_custkey IS NOT NULL AS high_spenders,
           coalesce(o.urgent_orders = 0, true) AS never_urgent,
           coalesce(l.brass_lines_1y >= 3, false) AS brass_buyers,
           coalesce(l.quantity_90d >= 150, false) AS bulk_buyers_90d
    FROM customers AS c
    LEFT JOIN orders_per_customer AS o ON o.c_custkey = c.c_custkey
    LEFT JOIN lines_per_customer AS l ON l.c_custkey = c.c_custkey
    LEFT JOIN top_spenders AS t ON t.c_custkey = c.c_custkey
)
SELECT *, europe AND high_spenders AND NOT lapsed AS vip_europe,
       (high_spenders OR automobile_rich) AND (lapsed OR NOT frequent) AS win_back
FROM flags
ORDER BY c_custkey
"""

RFM_COMBINED = RFM_LABELS + """
FROM (SELECT c.c_custkey, c.c_mktsegment, s.days_since_last_order, s.r,
             coalesce(s.f, 1) AS f, coalesce(s.spend_total, 0) AS spend_total
      FROM customers AS c
      LEFT JOIN scored_buyers AS s ON s.c_custkey = c.c_custkey)
ORDER BY c_custkey
"""

# variant -> its parts, (table, query text) in the order they run
PARTS = {
    "twelve": (("orders_per_customer", ORDERS_PER_CUSTOMER),
               ("lines_per_order", LINES_PER_ORDER),
               ("customers", TWELVE_CUSTOMERS)),
    "twelve_mapped": (("orders_per_customer", ORDERS_PER_CUSTOMER),
                      ("lines_per_customer", LINES_PER_CUSTOMER),
                      ("customers", TWELVE_CUSTOMERS)),
    "rfm": (("scored_buyers", SCORED_BUYERS),
            ("customers", RFM_CUSTOMERS)),
}
PARTS["twelve_combined"] = (*PARTS["twelve_mapped"], ("result", TWELVE_COMBINED))
PARTS["rfm_combined"] = (*PARTS["rfm"], ("result", RFM_COMBINED))


def parts(variant: str, data_dir: str | Path, as_of: datetime.date = AS_OF
          ) -> list[tuple[str, str]]:
    """The floor's queries for `variant`, each with the table it fills."""
    values = dates(as_of) | {"m_score": m_score()}
    return [(table, sql(fill(text, data_dir if table != "result" else None, **values)))
            for table, text in PARTS[variant]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The one-date floor's SQL.")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data" / "sf1")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=AS_OF)
    parser.add_argument("--print", dest="show", choices=list(PARTS), required=True)
    args = parser.parse_args(argv)
    for table, query in parts(args.show, args.data_dir, args.as_of):
        print(f"-- {table}\n{query};\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
