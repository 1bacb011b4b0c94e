"""The hand-written multi-date baseline (issue 11, Performance): 12 month-ends in one query.

The issue asks to measure segl's one pass over many dates against "a hand-written multi-date
SQL query in the same run". These queries are written from the question, as an analyst who
knows DuckDB writes 12 month-ends of the same segments in one statement, not from segl's plan
(bench/independent.py is the one-date counterpart; its semantics hold here at every date):

* lifetime measures (total spend, last order, urgent orders, order count) roll every order up
  once into the first month-end that sees it (``greatest(last_day(o_orderdate), first)``),
  then running totals per customer over the month-ends (a window over buyers x dates, not a
  join of every order to every later date);
* windowed measures (``in last 365 days``, ``in last 2 years``, ``in last 90 days``) join only
  the events inside the span the windows reach to the dates whose window holds them, and
  group per (customer, date) once with ``FILTER`` for the narrower windows; line items are
  first rolled up per (customer, ship day, visible day) and only BRASS lines and the last
  90 days' lines are kept;
* rankings rank only the customers who have a value at that date (filter, then rank,
  partitioned by date): ``top 20%`` keeps the top rows of the buyers (an error if the buyers
  do not fill the top, rather than a wrong answer), RFM's ``ntile`` ranks the buyers and
  ``quantile`` shifts the buyers' rank by the customers without orders (all tied lowest);
* every customer appears at every date (customer x dates), flags by ``coalesce``; the
  result is not sorted (a table, like segl's result table; bench/multi_date.py compares
  per date by a hash of every row, which ignores order).

The dates must be consecutive month-ends (what ``--as-of A..B --every month`` gives and what
bench/multi_date.py measures); the rows equal segl's at every date, which
bench/multi_date.py checks in its warm-up round.

    python bench/multi_date_hand.py --print twelve|rfm [--data-dir bench/data/sf1]
"""

from __future__ import annotations

import argparse
import calendar
import datetime
import itertools
import sys
from pathlib import Path

from sqlglot import exp

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from hand_written import m_score  # noqa: E402
from independent import TOP_PERCENT  # noqa: E402
from sql_fill import fill, literal, sql  # noqa: E402


def _month_ends(dates: list[datetime.date]) -> dict[str, exp.Expression | datetime.date]:
    """The placeholders every query uses; refuses dates that are not consecutive month-ends
    (the monthly roll-up of lifetime measures relies on it)."""
    days = sorted(dates)
    for day in days:
        if day.day != calendar.monthrange(day.year, day.month)[1]:
            raise ValueError(f"{day} is not a month-end")
    for before, after in itertools.pairwise(days):
        if (after.year * 12 + after.month) - (before.year * 12 + before.month) != 1:
            raise ValueError(f"{before} and {after} are not consecutive month-ends")
    return {"dates": exp.Array(expressions=[literal(day) for day in days]),
            "first": days[0], "last": days[-1]}


def twelve_sql(data_dir: str | Path, dates: list[datetime.date]) -> str:
    """bench/tpch.seg's twelve segments at every date: as_of, c_custkey, one BOOLEAN each."""
    return sql(fill(TWELVE_SQL, data_dir, top_percent=TOP_PERCENT, **_month_ends(dates)))


TWELVE_SQL = """
WITH dates AS (SELECT unnest(:dates) AS as_of),
n_customers AS (SELECT count(*) AS n FROM customer),
order_months AS (
    -- each order once, into the first month-end that sees it
    SELECT o_custkey AS c_custkey, greatest(last_day(o_orderdate), :first) AS as_of,
           sum(o_totalprice) AS spend, max(o_orderdate) AS last_order,
           count(*) FILTER (WHERE o_orderpriority = '1-URGENT') AS urgent
    FROM orders
    WHERE o_orderdate <= :last
    GROUP BY ALL
),
lifetime AS (
    -- running totals over the month-ends, per customer who ever ordered
    SELECT k.c_custkey, d.as_of,
           sum(m.spend) OVER w AS spend_total,
           max(m.last_order) OVER w AS last_order,
           sum(m.urgent) OVER w AS urgent_orders
    FROM (SELECT DISTINCT c_custkey FROM order_months) AS k
    CROSS JOIN dates AS d
    LEFT JOIN order_months AS m ON m.c_custkey = k.c_custkey AND m.as_of = d.as_of
    WINDOW w AS (PARTITION BY k.c_custkey ORDER BY d.as_of)
),
buyers AS (SELECT * FROM lifetime WHERE last_order IS NOT NULL),
recent_orders AS (
    -- the orders of the last 2 years at each date (365 days: a FILTER of the same rows)
    SELECT o.o_custkey AS c_custkey, d.as_of,
           count(*) FILTER (WHERE o.o_orderdate > d.as_of - 365) AS orders_1y,
           sum(o.o_totalprice) AS spend_2y,
           avg(o.o_totalprice) AS avg_order_2y
    FROM orders AS o
    JOIN dates AS d
      ON o.o_orderdate <= d.as_of AND o.o_orderdate > d.as_of - INTERVAL 2 YEAR
    WHERE o.o_orderdate <= :last AND o.o_orderdate > :first - INTERVAL 2 YEAR
    GROUP BY ALL
),
line_days AS (
    -- line items a feature counts (BRASS parts in 365 days, any part in 90), per customer
    -- and ship day; visible once both the line has shipped and its order was placed
    SELECT o.o_custkey AS c_custkey, l.l_shipdate,
           greatest(l.l_shipdate, o.o_orderdate) AS visible,
           count(*) FILTER (WHERE l.is_brass) AS brass,
           sum(l.l_quantity) AS quantity
    FROM (SELECT l_orderkey, l_shipdate, l_quantity,
                 l_partkey IN (SELECT p_partkey FROM part WHERE p_type LIKE '%BRASS%')
                     AS is_brass
          FROM lineitem
          WHERE l_shipdate > :first - 365 AND l_shipdate <= :last) AS l
    JOIN orders AS o ON o.o_orderkey = l.l_orderkey
    WHERE (l.is_brass OR l.l_shipdate > :first - 90) AND o.o_orderdate <= :last
    GROUP BY ALL
),
recent_lines AS (
    SELECT x.c_custkey, d.as_of,
           sum(x.brass) AS brass_lines_1y,
           sum(x.quantity) FILTER (WHERE x.l_shipdate > d.as_of - 90) AS quantity_90d
    FROM line_days AS x
    JOIN dates AS d ON x.visible <= d.as_of AND x.l_shipdate > d.as_of - 365
    GROUP BY ALL
),
fills_top AS (
    -- top 20% ranks the buyers only: exact while they fill the top at every date
    SELECT CASE WHEN min(buyers) * 100 < :top_percent * (SELECT n FROM n_customers)
                THEN error('fewer buyers than the top 20% of customers')
                ELSE true END AS ok
    FROM (SELECT count(*) AS buyers FROM buyers GROUP BY as_of)
),
top_spenders AS (
    SELECT c_custkey, as_of
    FROM buyers
    WHERE (SELECT ok FROM fills_top)
    QUALIFY row_number() OVER (PARTITION BY as_of ORDER BY spend_total DESC, c_custkey) * 100
            <= :top_percent * (SELECT n FROM n_customers)
),
flags AS (
    SELECT d.as_of, c.c_custkey,
           coalesce(c.c_mktsegment = 'AUTOMOBILE' AND c.c_acctbal > 5000, false)
               AS automobile_rich,
           coalesce(c.c_nationkey IN (
               SELECT n.n_nationkey FROM nation AS n
               JOIN region AS r ON r.r_regionkey = n.n_regionkey
               WHERE r.r_name = 'EUROPE'), false) AS europe,
           coalesce(ro.orders_1y >= 3, false) AS frequent,
           coalesce(ro.spend_2y > 1000000, false) AS big_spenders_2y,
           coalesce(ro.avg_order_2y > 200000, false) AS high_avg_order,
           coalesce(b.last_order < d.as_of - 365, false) AS lapsed,
           t.c_custkey IS NOT NULL AS high_spenders,
           NOT coalesce(b.urgent_orders > 0, false) AS never_urgent,
           coalesce(rl.brass_lines_1y >= 3, false) AS brass_buyers,
           coalesce(rl.quantity_90d >= 150, false) AS bulk_buyers_90d
    FROM customer AS c
    CROSS JOIN dates AS d
    LEFT JOIN buyers AS b ON b.c_custkey = c.c_custkey AND b.as_of = d.as_of
    LEFT JOIN recent_orders AS ro ON ro.c_custkey = c.c_custkey AND ro.as_of = d.as_of
    LEFT JOIN recent_lines AS rl ON rl.c_custkey = c.c_custkey AND rl.as_of = d.as_of
    LEFT JOIN top_spenders AS t ON t.c_custkey = c.c_custkey AND t.as_of = d.as_of
)
SELECT as_of, c_custkey,
       automobile_rich, europe, frequent, big_spenders_2y, high_avg_order, lapsed,
       high_spenders, never_urgent, brass_buyers, bulk_buyers_90d,
       europe AND high_spenders AND NOT lapsed AS vip_europe,
       (high_spenders OR automobile_rich) AND (lapsed OR NOT frequent) AS win_back
FROM flags
"""


def rfm_sql(data_dir: str | Path, dates: list[datetime.date]) -> str:
    """bench/tpch_rfm.seg's members at every date: as_of, c_custkey, rfm, priority and the
    r, f, m scores, named as segl's result names them."""
    return sql(fill(RFM_SQL, data_dir, m_score=m_score(), **_month_ends(dates)))


RFM_SQL = """
WITH dates AS (SELECT unnest(:dates) AS as_of),
n_customers AS (SELECT count(*) AS n FROM customer),
order_months AS (
    SELECT o_custkey AS c_custkey, greatest(last_day(o_orderdate), :first) AS as_of,
           count(*) AS n, sum(o_totalprice) AS spend, max(o_orderdate) AS last_order
    FROM orders
    WHERE o_orderdate <= :last
    GROUP BY ALL
),
buyers AS (
    SELECT c_custkey, as_of, orders_total, spend_total,
           as_of - last_order AS days_since_last_order
    FROM (SELECT k.c_custkey, d.as_of,
                 sum(m.n) OVER w AS orders_total,
                 sum(m.spend) OVER w AS spend_total,
                 max(m.last_order) OVER w AS last_order
          FROM (SELECT DISTINCT c_custkey FROM order_months) AS k
          CROSS JOIN dates AS d
          LEFT JOIN order_months AS m ON m.c_custkey = k.c_custkey AND m.as_of = d.as_of
          WINDOW w AS (PARTITION BY k.c_custkey ORDER BY d.as_of))
    WHERE last_order IS NOT NULL
),
scored_buyers AS (
    -- per date: ntile over the buyers; f's rank over everyone is the buyers' rank shifted
    -- by the customers without orders (0 orders, the lowest value, all tied at rank 1)
    SELECT c_custkey, as_of, orders_total, spend_total, days_since_last_order,
           ntile(5) OVER (PARTITION BY as_of
                          ORDER BY days_since_last_order DESC, c_custkey DESC) AS r,
           1 + 5 * ((SELECT n FROM n_customers) - count(*) OVER (PARTITION BY as_of)
                    + rank() OVER (PARTITION BY as_of ORDER BY orders_total) - 1)
               // (SELECT n FROM n_customers) AS f
    FROM buyers
),
scored AS (
    SELECT d.as_of, c.c_custkey, c.c_mktsegment, s.days_since_last_order, s.r,
           coalesce(s.f, 1) AS f,
           coalesce(s.spend_total, 0) AS spend_total
    FROM customer AS c
    CROSS JOIN dates AS d
    LEFT JOIN scored_buyers AS s ON s.c_custkey = c.c_custkey AND s.as_of = d.as_of
)
SELECT as_of, c_custkey,
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
       r AS rfm__r, f AS rfm__f, :m_score AS rfm__m
FROM scored
"""

BUILDERS = {"tpch.seg": twelve_sql, "tpch_rfm.seg": rfm_sql}


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(BENCH_DIR))
    from multi_date import month_ends

    parser = argparse.ArgumentParser(description="The hand-written multi-date baseline's SQL.")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data" / "sf1")
    parser.add_argument("--print", dest="show", choices=["twelve", "rfm"], required=True)
    args = parser.parse_args(argv)
    build = twelve_sql if args.show == "twelve" else rfm_sql
    print(build(args.data_dir, month_ends()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
