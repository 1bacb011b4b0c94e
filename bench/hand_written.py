"""Hand-written DuckDB SQL for the benchmark's segments, and the generated segment sets.

What is here:

* ``single_pass_sql``: the twelve segments of bench/tpch.seg in one query, written
  the way a strong engineer would: line items (only the window any line-item
  feature needs) are pre-aggregated per order, joined to the only pass over orders,
  which is aggregated per customer with FILTER clauses, and joined to customer,
  nation and region. One wide row per customer: c_custkey and one BOOLEAN per
  segment, never NULL, ORDER BY c_custkey.
* ``separate_sqls``: the same twelve segments as twelve standalone queries, one per
  segment, each returning its members' keys (the "one SQL query per segment" world,
  each written well: semi-joins with HAVING, an anti-join for "never").
* ``generate_segments`` and friends: N generated segments (order-count and spend
  thresholds over varying windows, line-item thresholds, attribute filters), as
  .seg text, as one hand-written single-pass query, and as N separate queries.

The hand SQL spells out the segl semantics it must match: count and sum over no
rows are 0, avg/min/max are null; a null predicate does not admit; a related row
with time t is visible only when date(t) <= as_of; ``in last N days`` means
as_of - N days < date(t) <= as_of (calendar months and years likewise); ``top P%
by e`` ranks customers with non-null e by e descending, ties by key ascending, and
admits row_number * 100 <= P * (number of customers with non-null e).

Line items reach a customer through their order. The hand SQL counts a line item
only when its order is visible as well (o_orderdate <= as_of); at the benchmark's
as_of (1998-08-02, the last TPC-H order date) every order is visible, so this is
the same as filtering on l_shipdate alone.

    python bench/hand_written.py --data-dir bench/data/sf1 --verify
    python bench/hand_written.py --data-dir bench/data/sf1 --print single

The queries are constant SQL text with named slots filled as sqlglot trees
(bench/sql_fill.py), or built as trees (the generated segments); no path, date or name is
pasted into SQL text. The module imports duckdb only for --verify.
"""

from __future__ import annotations

import argparse
import calendar
import datetime
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from sql_fill import (  # noqa: E402
    binary,
    column,
    conjunction,
    count_rows,
    create_table,
    fill,
    literal,
    parquet,
    sql,
)

SEG_FILE = BENCH_DIR / "tpch.seg"
AS_OF = datetime.date(1998, 8, 2)

# The twelve segments of bench/tpch.seg, in file order.
TWELVE = (
    "automobile_rich",
    "europe",
    "frequent",
    "big_spenders_2y",
    "high_avg_order",
    "lapsed",
    "high_spenders",
    "never_urgent",
    "brass_buyers",
    "bulk_buyers_90d",
    "vip_europe",
    "win_back",
)


# ---------------------------------------------------------------------- helpers
def window_start(as_of: datetime.date, n: int, unit: str) -> datetime.date:
    """as_of minus n units; ``in last n units`` is window_start < date(t) <= as_of."""
    unit = unit.rstrip("s")
    if unit == "day":
        return as_of - datetime.timedelta(days=n)
    if unit == "week":
        return as_of - datetime.timedelta(weeks=n)
    months = {"month": 1, "year": 12}[unit] * n
    index = as_of.year * 12 + (as_of.month - 1) - months
    year, month = divmod(index, 12)
    day = min(as_of.day, calendar.monthrange(year, month + 1)[1])
    return datetime.date(year, month + 1, day)


def source_lines(seg_file: Path = SEG_FILE) -> str:
    """The entity/events/lookup declarations of bench/tpch.seg, for generated files."""
    lines = [line for line in seg_file.read_text().splitlines()
             if re.match(r"\s*(entity|events|lookup)\b", line)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- twelve segments
SINGLE_PASS = """
WITH line_per_order AS (
    -- the line-item features look back at most 365 days: read only that window
    SELECT l.l_orderkey,
           count(brass.p_partkey) AS brass_lines_1y,
           sum(l.l_quantity) FILTER (WHERE l.l_shipdate > :days_90) AS quantity_90d
    FROM lineitem AS l
    LEFT JOIN (SELECT p_partkey FROM part WHERE p_type LIKE '%BRASS%') AS brass
           ON brass.p_partkey = l.l_partkey
    WHERE l.l_shipdate > :year_1 AND l.l_shipdate <= :as_of
    GROUP BY l.l_orderkey
),
per_customer AS (
    SELECT o.o_custkey,
           count(*) AS orders_total,
           count(*) FILTER (WHERE o.o_orderdate > :year_1) AS orders_1y,
           sum(o.o_totalprice) FILTER (WHERE o.o_orderdate > :years_2) AS spend_2y,
           avg(o.o_totalprice) FILTER (WHERE o.o_orderdate > :years_2) AS avg_order_2y,
           sum(o.o_totalprice) AS spend_total,
           max(o.o_orderdate) AS last_order,
           count(*) FILTER (WHERE o.o_orderpriority = '1-URGENT') AS urgent_orders,
           sum(lpo.brass_lines_1y) AS brass_lines_1y,
           sum(lpo.quantity_90d) AS quantity_90d
    FROM orders AS o
    LEFT JOIN line_per_order AS lpo ON lpo.l_orderkey = o.o_orderkey
    WHERE o.o_orderdate <= :as_of
    GROUP BY o.o_custkey
),
base AS (
    SELECT c.c_custkey,
           coalesce(c.c_mktsegment = 'AUTOMOBILE' AND c.c_acctbal > 5000, false) AS automobile_rich,
           coalesce(r.r_name = 'EUROPE', false) AS europe,
           coalesce(pc.orders_1y, 0) >= 3 AS frequent,
           coalesce(pc.spend_2y, 0) > 1000000 AS big_spenders_2y,
           coalesce(pc.avg_order_2y > 200000, false) AS high_avg_order,
           coalesce(pc.orders_total > 0 AND pc.last_order < :lapsed_before, false) AS lapsed,
           -- spend_total is never null (0 without orders): every customer is ranked
           row_number() OVER (ORDER BY coalesce(pc.spend_total, 0) DESC, c.c_custkey) * 100
               <= 20 * (SELECT count(*) FROM customer) AS high_spenders,
           coalesce(pc.urgent_orders, 0) = 0 AS never_urgent,
           coalesce(pc.brass_lines_1y, 0) >= 3 AS brass_buyers,
           coalesce(pc.quantity_90d, 0) >= 150 AS bulk_buyers_90d
    FROM customer AS c
    LEFT JOIN nation AS n ON n.n_nationkey = c.c_nationkey
    LEFT JOIN region AS r ON r.r_regionkey = n.n_regionkey
    LEFT JOIN per_customer AS pc ON pc.o_custkey = c.c_custkey
)
SELECT c_custkey,
       automobile_rich, europe, frequent, big_spenders_2y, high_avg_order, lapsed,
       high_spenders, never_urgent, brass_buyers, bulk_buyers_90d,
       europe AND high_spenders AND NOT lapsed AS vip_europe,
       (high_spenders OR automobile_rich) AND (lapsed OR NOT frequent) AS win_back
FROM base
ORDER BY c_custkey
"""


def dates(as_of: datetime.date) -> dict[str, datetime.date]:
    """The window starts the twelve segments use, by placeholder name."""
    return {"as_of": as_of,
            "year_1": window_start(as_of, 365, "days"),
            "years_2": window_start(as_of, 2, "years"),
            "days_90": window_start(as_of, 90, "days"),
            # days_between(last, as_of) > 365
            "lapsed_before": as_of - datetime.timedelta(days=365)}


def single_pass_sql(data_dir: str | Path, as_of: datetime.date = AS_OF) -> str:
    """The twelve segments of bench/tpch.seg in one query (wide table, one row per customer)."""
    return sql(fill(SINGLE_PASS, data_dir, **dates(as_of)))


# The conditions of the twelve separate queries (over `customer AS c`); a composite segment
# repeats its parts' conditions.
SEPARATE = {
    "automobile_rich": "c.c_mktsegment = 'AUTOMOBILE' AND c.c_acctbal > 5000",
    "europe": """c.c_nationkey IN (
        SELECT n.n_nationkey FROM nation AS n
        JOIN region AS r ON r.r_regionkey = n.n_regionkey
        WHERE r.r_name = 'EUROPE')""",
    "frequent": """c.c_custkey IN (
        SELECT o_custkey FROM orders
        WHERE o_orderdate > :year_1 AND o_orderdate <= :as_of
        GROUP BY o_custkey HAVING count(*) >= 3)""",
    "big_spenders_2y": """c.c_custkey IN (
        SELECT o_custkey FROM orders
        WHERE o_orderdate > :years_2 AND o_orderdate <= :as_of
        GROUP BY o_custkey HAVING sum(o_totalprice) > 1000000)""",
    "high_avg_order": """c.c_custkey IN (
        SELECT o_custkey FROM orders
        WHERE o_orderdate > :years_2 AND o_orderdate <= :as_of
        GROUP BY o_custkey HAVING avg(o_totalprice) > 200000)""",
    "lapsed": """c.c_custkey IN (
        SELECT o_custkey FROM orders WHERE o_orderdate <= :as_of
        GROUP BY o_custkey HAVING max(o_orderdate) < :lapsed_before)""",
    "high_spenders": """c.c_custkey IN (
        SELECT c2.c_custkey
        FROM customer AS c2
        LEFT JOIN (SELECT o_custkey, sum(o_totalprice) AS spend FROM orders
                   WHERE o_orderdate <= :as_of GROUP BY o_custkey) AS s
               ON s.o_custkey = c2.c_custkey
        QUALIFY row_number() OVER (ORDER BY coalesce(s.spend, 0) DESC, c2.c_custkey) * 100
                <= 20 * (SELECT count(*) FROM customer))""",
    "never_urgent": """NOT EXISTS (
        SELECT 1 FROM orders AS o
        WHERE o.o_custkey = c.c_custkey AND o.o_orderpriority = '1-URGENT'
          AND o.o_orderdate <= :as_of)""",
    "brass_buyers": """c.c_custkey IN (
        SELECT o.o_custkey
        FROM lineitem AS l
        JOIN orders AS o ON o.o_orderkey = l.l_orderkey
        JOIN part AS p ON p.p_partkey = l.l_partkey
        WHERE p.p_type LIKE '%BRASS%' AND o.o_orderdate <= :as_of
          AND l.l_shipdate > :year_1 AND l.l_shipdate <= :as_of
        GROUP BY o.o_custkey HAVING count(*) >= 3)""",
    "bulk_buyers_90d": """c.c_custkey IN (
        SELECT o.o_custkey
        FROM lineitem AS l
        JOIN orders AS o ON o.o_orderkey = l.l_orderkey
        WHERE o.o_orderdate <= :as_of
          AND l.l_shipdate > :days_90 AND l.l_shipdate <= :as_of
        GROUP BY o.o_custkey HAVING sum(l.l_quantity) >= 150)""",
}
MEMBERS = "SELECT c.c_custkey FROM customer AS c WHERE :condition ORDER BY c.c_custkey"


def separate_sqls(data_dir: str | Path, as_of: datetime.date = AS_OF) -> list[tuple[str, str]]:
    """The twelve segments as twelve standalone queries, each returning member keys."""
    values = dates(as_of)
    part = {name: fill("SELECT " + text, data_dir, **values).selects[0]
            for name, text in SEPARATE.items()}
    part["vip_europe"] = exp.and_(part["europe"], part["high_spenders"],
                                  exp.not_(part["lapsed"]))
    part["win_back"] = exp.and_(
        exp.or_(part["high_spenders"], part["automobile_rich"]),
        exp.or_(part["lapsed"], exp.not_(part["frequent"])))
    return [(name, sql(fill(MEMBERS, data_dir, condition=part[name])))
            for name in TWELVE]


# ---------------------------------------------------------------------- generated segments
# Per-customer rates at any scale factor (customers scale with orders): about 3.4
# orders a year for a customer who orders at all, about 151,000 per order, about 4
# line items per order, about 25 units per line item.
ORDERS_PER_YEAR = 3.4
PRICE_PER_ORDER = 151_000
QUANTITY_PER_YEAR = ORDERS_PER_YEAR * 4 * 25.5

MKT_SEGMENTS = ("AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY")
PRIORITIES = ("1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW")
SHIP_MODES = ("AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK")
NATIONS = ("ALGERIA", "ARGENTINA", "BRAZIL", "CANADA", "EGYPT", "ETHIOPIA", "FRANCE",
           "GERMANY", "INDIA", "INDONESIA", "IRAN", "IRAQ", "JAPAN", "JORDAN", "KENYA",
           "MOROCCO", "MOZAMBIQUE", "PERU", "CHINA", "ROMANIA", "SAUDI ARABIA", "VIETNAM",
           "RUSSIA", "UNITED KINGDOM", "UNITED STATES")
WINDOWS = ((30, "days"), (60, "days"), (90, "days"), (180, "days"), (365, "days"),
           (730, "days"), (3, "months"), (6, "months"), (18, "months"), (1, "years"),
           (2, "years"), (3, "years"), (5, "years"), None)      # None: all visible rows

TIME_COLUMN = {"orders": "o_orderdate", "lineitem": "l_shipdate"}
ALIAS = {"orders": "o", "lineitem": "l"}


@dataclass(frozen=True)
class Aggregate:
    func: str                           # count | sum
    table: str                          # orders | lineitem
    column: str | None                  # summed column
    where: tuple[str, str] | None       # (column, value): equality filter
    window: tuple[int, str] | None      # (n, unit) or None: all visible rows

    def seg(self) -> str:
        target = self.table if self.column is None else f"{self.table}.{self.column}"
        if self.where:
            target += f' where {self.where[0]} = "{self.where[1]}"'
        text = f"{self.func}({target})"
        if self.window:
            n, unit = self.window
            text += f" in last {n} {unit.rstrip('s') if n == 1 else unit}"
        return text

    def start(self, as_of: datetime.date) -> datetime.date | None:
        return window_start(as_of, *self.window) if self.window else None

    def sql(self, as_of: datetime.date) -> exp.Expression:
        """The aggregate over rows already restricted to date(t) <= as_of."""
        alias = ALIAS[self.table]
        conditions: list[exp.Expression] = []
        if self.where:
            conditions.append(binary("=", column(self.where[0], alias),
                                     literal(self.where[1])))
        if self.window:
            conditions.append(binary(">", column(TIME_COLUMN[self.table], alias),
                                     literal(self.start(as_of))))
        call = (exp.func("count", exp.Star()) if self.func == "count"
                else exp.func("sum", column(self.column, alias)))
        if conditions:
            call = exp.Filter(this=call, expression=exp.Where(this=conjunction(conditions)))
        return call


@dataclass(frozen=True)
class Attribute:
    column: str        # c_mktsegment | c_acctbal | nation.n_name
    op: str
    value: str | int

    def seg(self) -> str:
        value = f'"{self.value}"' if isinstance(self.value, str) else str(self.value)
        return f"{self.column} {self.op} {value}"

    def sql(self) -> exp.Expression:
        target = (column("n_name", "n") if self.column == "nation.n_name"
                  else column(self.column, "c"))
        return binary(self.op, target, literal(self.value))


@dataclass(frozen=True)
class Generated:
    name: str
    attributes: tuple[Attribute, ...]
    aggregate: Aggregate | None
    op: str = ">="
    threshold: int = 0                  # always > 0: customers with no rows are not members

    def seg(self) -> str:
        parts = [a.seg() for a in self.attributes]
        if self.aggregate:
            parts.append(f"{self.aggregate.seg()} {self.op} {self.threshold}")
        return f"segment {self.name} = " + " and ".join(parts)

    @property
    def needs_nation(self) -> bool:
        return any(a.column == "nation.n_name" for a in self.attributes)


def _years(window: tuple[int, str] | None) -> float:
    if window is None:
        return 6.6                      # TPC-H order dates span 1992-01-01 .. 1998-08-02
    n, unit = window
    return n / {"days": 365, "months": 12, "years": 1}[unit]


def generate_segments(count: int, seed: int = 7) -> list[Generated]:
    """`count` deterministic pseudo-random segments over the TPC-H sources."""
    rng = random.Random(seed)
    segments = []
    for i in range(count):
        name = f"g{i + 1:04d}"
        kind = rng.choices(["orders", "spend", "lineitem", "attribute", "mixed"],
                           weights=[30, 25, 10, 15, 20])[0]
        attributes: tuple[Attribute, ...] = ()
        aggregate = None
        threshold = 0
        op = ">="
        if kind in ("attribute", "mixed"):
            choice = rng.random()
            if choice < 0.5:
                attributes = (Attribute("c_mktsegment", "=", rng.choice(MKT_SEGMENTS)),)
            elif choice < 0.8:
                attributes = (Attribute("nation.n_name", "=", rng.choice(NATIONS)),)
            else:
                attributes = ()
            if kind == "attribute" or rng.random() < 0.3:
                attributes += (Attribute("c_acctbal", rng.choice([">", "<"]),
                                         rng.randrange(-500, 9500, 250)),)
        if kind != "attribute":
            table = "lineitem" if kind == "lineitem" else "orders"
            window = rng.choice(WINDOWS)
            if table == "lineitem" and window is not None and _years(window) > 1:
                window = (rng.choice([30, 60, 90, 180, 365]), "days")
            years = _years(window)
            where = None
            if table == "orders" and rng.random() < 0.3:
                where = ("o_orderpriority", rng.choice(PRIORITIES))
            if table == "lineitem" and rng.random() < 0.5:
                where = ("l_shipmode", rng.choice(SHIP_MODES))
            share = 0.2 if where and table == "orders" else (1 / 7 if where else 1.0)
            factor = rng.uniform(0.6, 1.6)
            if kind == "spend":
                aggregate = Aggregate("sum", "orders", "o_totalprice", where, window)
                op = ">"
                threshold = max(1, round(ORDERS_PER_YEAR * years * share * PRICE_PER_ORDER
                                         * factor, -4))
            elif table == "lineitem":
                if rng.random() < 0.5:
                    aggregate = Aggregate("sum", "lineitem", "l_quantity", where, window)
                    threshold = max(1, round(QUANTITY_PER_YEAR * years * share * factor))
                else:
                    aggregate = Aggregate("count", "lineitem", None, where, window)
                    threshold = max(1, round(ORDERS_PER_YEAR * 4 * years * share * factor))
            else:
                aggregate = Aggregate("count", "orders", None, where, window)
                threshold = max(1, round(ORDERS_PER_YEAR * years * share * factor))
        segments.append(Generated(name, attributes, aggregate, op, int(threshold)))
    return segments


def generated_seg_text(segments: list[Generated], seg_file: Path = SEG_FILE) -> str:
    header = f"# {len(segments)} generated segments (bench/hand_written.py: generate_segments)\n\n"
    return header + source_lines(seg_file) + "\n" + "\n".join(s.seg() for s in segments) + "\n"


def _distinct_aggregates(segments: list[Generated], table: str) -> dict[Aggregate, str]:
    names: dict[Aggregate, str] = {}
    for s in segments:
        if s.aggregate and s.aggregate.table == table and s.aggregate not in names:
            names[s.aggregate] = f"{ALIAS[table]}{len(names) + 1}"
    return names


def _lower_bound(aggregates, as_of) -> datetime.date | None:
    """The earliest window start among `aggregates`, or None when one is unwindowed."""
    starts = [a.start(as_of) for a in aggregates]
    return None if not starts or None in starts else min(starts)


def _table(data_dir: str | Path, table: str, alias: str) -> exp.Expression:
    return exp.alias_(parquet(data_dir, table), alias, table=True)


def generated_single_pass_sql(segments: list[Generated], data_dir: str | Path,
                              as_of: datetime.date = AS_OF) -> str:
    """All generated segments in one query: one pass over line items (per order), one
    over orders (per customer), joined to customer (and nation when needed)."""
    order_aggs = _distinct_aggregates(segments, "orders")
    line_aggs = _distinct_aggregates(segments, "lineitem")
    per_customer = [exp.alias_(a.sql(as_of), name) for a, name in order_aggs.items()]
    query = exp.select(column("c_custkey", "c"))
    orders = exp.select(column("o_custkey", "o")).from_(_table(data_dir, "orders", "o"))
    if line_aggs:
        since = _lower_bound(line_aggs, as_of)
        where = [binary("<=", column("l_shipdate", "l"), literal(as_of))]
        if since:
            where.append(binary(">", column("l_shipdate", "l"), literal(since)))
        lines = (exp.select(column("l_orderkey", "l"),
                            *(exp.alias_(a.sql(as_of), name) for a, name in line_aggs.items()))
                 .from_(_table(data_dir, "lineitem", "l")).where(conjunction(where))
                 .group_by(column("l_orderkey", "l")))
        query = query.with_("line_per_order", as_=lines)
        per_customer += [exp.alias_(exp.func("sum", column(name, "lpo")), name)
                         for name in line_aggs.values()]
        orders = orders.join(exp.alias_(exp.to_table("line_per_order"), "lpo", table=True),
                             on=binary("=", column("l_orderkey", "lpo"),
                                       column("o_orderkey", "o")), join_type="left")
    if per_customer:
        # Orders only need reading as far back as the widest window, unless line items
        # must reach their orders.
        since = None if line_aggs else _lower_bound(order_aggs, as_of)
        where = [binary("<=", column("o_orderdate", "o"), literal(as_of))]
        if since:
            where.append(binary(">", column("o_orderdate", "o"), literal(since)))
        orders = (orders.select(*per_customer).where(conjunction(where))
                  .group_by(column("o_custkey", "o")))
        query = query.with_("per_customer", as_=orders)

    def predicate(s: Generated) -> exp.Expression:
        parts = [a.sql() for a in s.attributes]
        if s.aggregate:
            name = (order_aggs if s.aggregate.table == "orders" else line_aggs)[s.aggregate]
            parts.append(binary(s.op, exp.func("coalesce", column(name, "pc"),
                                               literal(0)), literal(s.threshold)))
        return exp.alias_(exp.func("coalesce", conjunction(parts), exp.false()), s.name)

    query = query.select(*(predicate(s) for s in segments)).from_(
        _table(data_dir, "customer", "c"))
    if any(s.needs_nation for s in segments):
        query = query.join(_table(data_dir, "nation", "n"), join_type="left",
                           on=binary("=", column("n_nationkey", "n"),
                                     column("c_nationkey", "c")))
    if per_customer:
        query = query.join(exp.alias_(exp.to_table("per_customer"), "pc", table=True),
                           join_type="left",
                           on=binary("=", column("o_custkey", "pc"), column("c_custkey", "c")))
    return sql(query.order_by(column("c_custkey", "c")))


def generated_separate_sqls(segments: list[Generated], data_dir: str | Path,
                            as_of: datetime.date = AS_OF) -> list[tuple[str, str]]:
    """One standalone query per generated segment, each returning member keys."""
    queries = []
    for s in segments:
        conditions = [a.sql() for a in s.attributes]
        if s.aggregate:
            a = s.aggregate
            start = a.start(as_of)
            orders = _table(data_dir, "orders", "o")
            if a.table == "orders":
                where = [binary("<=", column("o_orderdate", "o"), literal(as_of))]
                if start:
                    where.append(binary(">", column("o_orderdate", "o"), literal(start)))
                if a.where:
                    where.append(binary("=", column(a.where[0], "o"), literal(a.where[1])))
                source = exp.select(column("o_custkey", "o")).from_(orders)
            else:
                where = [binary("<=", column("l_shipdate", "l"), literal(as_of)),
                         binary("<=", column("o_orderdate", "o"), literal(as_of))]
                if start:
                    where.append(binary(">", column("l_shipdate", "l"), literal(start)))
                if a.where:
                    where.append(binary("=", column(a.where[0], "l"), literal(a.where[1])))
                source = (exp.select(column("o_custkey", "o"))
                          .from_(_table(data_dir, "lineitem", "l"))
                          .join(orders, on=binary("=", column("o_orderkey", "o"),
                                                  column("l_orderkey", "l"))))
            call = (exp.func("count", exp.Star()) if a.func == "count"
                    else exp.func("sum", column(a.column, ALIAS[a.table])))
            keys = (source.where(conjunction(where)).group_by(column("o_custkey", "o"))
                    .having(binary(s.op, call, literal(s.threshold))))
            conditions.append(exp.In(this=column("c_custkey", "c"),
                                     query=exp.Subquery(this=keys)))
        query = exp.select(column("c_custkey", "c")).from_(_table(data_dir, "customer", "c"))
        if s.needs_nation:
            query = query.join(_table(data_dir, "nation", "n"),
                               on=binary("=", column("n_nationkey", "n"),
                                         column("c_nationkey", "c")))
        queries.append((s.name, sql(query.where(conjunction(conditions))
                                    .order_by(column("c_custkey", "c")))))
    return queries


# ---------------------------------------------------------------------- RFM, priority, KPIs
# bench/tpch_rfm.seg: three scores, two segmentations (first match wins) and four KPIs.
RFM_SEG_FILE = BENCH_DIR / "tpch_rfm.seg"
RFM_MEMBERS = "rfm_members"          # the hand-written variant's members table
RFM_KPIS = "rfm_kpis"                # and its KPI table
RFM_SEGMENTATIONS = {
    "rfm": ("champions", "loyal", "at_risk", "new", "hibernating", "others"),
    "priority": ("key_automobile", "key_accounts", "recent_building", "recent", "long_tail"),
}
RFM_KPI_NAMES = ("revenue", "aov", "avg_balance", "quantity_per_order")
SPEND_CUTS = (500_000, 1_500_000, 2_500_000, 3_500_000)   # score m: 5 thresholds


def rfm_members_sql(data_dir: str | Path, as_of: datetime.date = AS_OF) -> str:
    """Per customer, in one pass over line items and orders: the bucket of each
    segmentation, the three scores and the per-customer values the KPIs total.

    Scores follow segl: `ntile` ranks worst first (lower is better: the most days
    first), among equal values the larger key first, so the smaller key scores better;
    `quantile` is 1 + floor(5 (rank - 1) / n) with rank by value, worst (fewest orders)
    first, equal values sharing a rank; `thresholds` is 1 + the cut points reached. A
    customer without a value (no order: no recency) gets no score, and a bucket whose
    condition is then null does not match."""
    return sql(fill(RFM_MEMBERS_SQL, data_dir, as_of=as_of, m_score=m_score()))


RFM_MEMBERS_SQL = """
WITH line_per_order AS (
    SELECT l.l_orderkey, sum(l.l_quantity) AS quantity
    FROM lineitem AS l
    WHERE l.l_shipdate <= :as_of
    GROUP BY l.l_orderkey
),
per_customer AS (
    SELECT o.o_custkey,
           max(o.o_orderdate) AS last_order,
           count(*) AS orders_total,
           sum(o.o_totalprice) AS spend_total,
           sum(lpo.quantity) AS quantity
    FROM orders AS o
    LEFT JOIN line_per_order AS lpo ON lpo.l_orderkey = o.o_orderkey
    WHERE o.o_orderdate <= :as_of
    GROUP BY o.o_custkey
),
features AS (
    SELECT c.c_custkey, c.c_mktsegment, c.c_acctbal,
           :as_of - pc.last_order AS days_since_last_order,
           coalesce(pc.orders_total, 0) AS orders_total,
           coalesce(pc.spend_total, 0) AS spend_total,
           coalesce(pc.quantity, 0) AS quantity
    FROM customer AS c
    LEFT JOIN per_customer AS pc ON pc.o_custkey = c.c_custkey
),
scored AS (
    SELECT *,
           CASE WHEN days_since_last_order IS NOT NULL THEN
               ntile(5) OVER (PARTITION BY days_since_last_order IS NULL
                              ORDER BY days_since_last_order DESC, c_custkey DESC)
           END AS r,
           -- orders_total is never null; the PARTITION BY only makes DuckDB run these
           -- windows in parallel (a window without one runs on one thread: 1 s at SF10)
           1 + 5 * (rank() OVER (PARTITION BY orders_total IS NULL ORDER BY orders_total) - 1)
               // count(*) OVER (PARTITION BY orders_total IS NULL) AS f,
           :m_score AS m
    FROM features
)
SELECT c_custkey,
       CASE WHEN r >= 4 AND f >= 4 AND m >= 4 THEN 'champions'
            WHEN f >= 4 AND m >= 3 THEN 'loyal'
            WHEN r <= 2 AND f >= 3 THEN 'at_risk'
            WHEN r = 5 AND f <= 2 THEN 'new'
            WHEN r <= 2 THEN 'hibernating'
            ELSE 'others' END AS rfm,
       CASE WHEN c_mktsegment = 'AUTOMOBILE' AND spend_total > 3000000 THEN 'key_automobile'
            WHEN spend_total > 3000000 THEN 'key_accounts'
            WHEN c_mktsegment = 'BUILDING' AND days_since_last_order <= 90 THEN 'recent_building'
            WHEN days_since_last_order <= 180 THEN 'recent'
            ELSE 'long_tail' END AS priority,
       r, f, m,
       spend_total, orders_total, c_acctbal, quantity
FROM scored
ORDER BY c_custkey"""


def m_score(value: str = "spend_total") -> exp.Expression:
    """1 + the spend cut points `value` reaches (score m, `thresholds`)."""
    score: exp.Expression = literal(1)
    for cut in SPEND_CUTS:
        reached = exp.cast(exp.Paren(this=binary(">=", column(value), literal(cut))),
                           exp.DataType.Type.INT)
        score = exp.Add(this=score, expression=reached)
    return score


def rfm_kpi_sql(members: str = RFM_MEMBERS) -> str:
    """The KPIs per bucket of both segmentations and over everyone, in one pass over the
    members table. Ratios are ratios of the group's sums; avg_balance a plain average."""
    tree = fill(RFM_KPI_SQL)
    tree.set("from_", exp.From(this=exp.to_table(members)))
    return sql(tree)


RFM_KPI_SQL = """
SELECT CASE WHEN grouping(rfm) = 0 THEN 'rfm'
            WHEN grouping(priority) = 0 THEN 'priority' ELSE 'all' END AS segmentation,
       coalesce(rfm, priority, 'all') AS bucket,
       count(*) AS customers,
       sum(spend_total) AS revenue,
       sum(spend_total) / nullif(sum(orders_total), 0) AS aov,
       avg(c_acctbal) AS avg_balance,
       sum(quantity) / nullif(sum(orders_total), 0) AS quantity_per_order
FROM members
GROUP BY GROUPING SETS ((rfm), (priority), ())"""


def rfm_statements(data_dir: str | Path,
                   as_of: datetime.date = AS_OF) -> list[tuple[str, str]]:
    """(table, query) pairs: the members table, then the KPI table over it."""
    return [(RFM_MEMBERS, rfm_members_sql(data_dir, as_of)), (RFM_KPIS, rfm_kpi_sql())]


def rfm_member_summary(connection, table: str, columns: tuple[str, ...]) -> dict:
    """What two runs (in different processes) compare: bucket sizes, score counts, and a
    fingerprint of every customer's (key, rfm, priority, r, f, m). `columns` names those
    six in `table`."""
    key, rfm, priority, r, f, m = (exp.column(c, quoted=True) for c in columns)
    source = exp.to_table(table)
    summary: dict = {}
    for name, value in (("rfm", rfm), ("priority", priority), ("r", r), ("f", f), ("m", m)):
        text = exp.cast(value, exp.DataType.Type.VARCHAR)
        query = (exp.select(text, exp.func("count", exp.Star())).from_(source)
                 .group_by(text))
        for bucket, count in connection.execute(sql(query)).fetchall():
            summary[f"{name}={bucket}"] = count
    typed = [exp.cast(key, "BIGINT"), exp.cast(rfm, "VARCHAR"), exp.cast(priority, "VARCHAR"),
             exp.cast(r, "BIGINT"), exp.cast(f, "BIGINT"), exp.cast(m, "BIGINT")]
    fingerprint = exp.func("sum", exp.cast(exp.func("hash", *typed), "HUGEINT"))
    summary["fingerprint"] = str(connection.execute(
        sql(exp.select(fingerprint).from_(source))).fetchone()[0])
    return summary


def rfm_hand_kpis(connection, table: str = RFM_KPIS) -> dict[str, dict]:
    """{group: {"customers": n, kpi: value}} from the hand-written KPI table; the group is
    "all" or "segmentation.bucket"."""
    rows = connection.execute(sql(exp.select("*").from_(exp.to_table(table)))).fetchall()
    result = {}
    for segmentation, bucket, customers, *values in rows:
        group = "all" if segmentation == "all" else f"{segmentation}.{bucket}"
        result[group] = {"customers": int(customers)} | {
            k: None if v is None else float(v) for k, v in zip(RFM_KPI_NAMES, values,
                                                                strict=True)}
    return result


def rfm_segl_kpis(groups) -> dict[str, dict]:
    """The same shape from segl.runtime.kpis.kpi_table's result (buckets and "all")."""
    return {g.name: {"customers": int(g.size)} | {
        k: None if v is None else float(v) for k, v in g.values.items()}
        for g in groups if g.kind in ("all", "bucket")}


def compare_rfm_kpis(a: dict | None, b: dict | None, tolerance: float = 1e-9) -> list[str]:
    """Groups and KPIs that differ (relative tolerance); an empty bucket may be absent from
    one side (GROUP BY gives it no row)."""
    if a is None or b is None:
        return ["missing"]
    problems = []
    for group in sorted(set(a) | set(b)):
        x, y = a.get(group), b.get(group)
        if x is None or y is None:
            if (x or y).get("customers"):
                problems.append(f"{group}: only on one side")
            continue
        for name in ("customers", *RFM_KPI_NAMES):
            u, v = x.get(name), y.get(name)
            if u is None or v is None:
                if u is not v:
                    problems.append(f"{group}.{name}: {u} vs {v}")
            elif abs(u - v) > tolerance * max(abs(u), abs(v)):
                problems.append(f"{group}.{name}: {u!r} vs {v!r}")
    return problems


def verify_rfm(data_dir: str | Path, as_of: datetime.date = AS_OF) -> bool:
    """The hand-written RFM query against segl (evaluate + kpi_table) of tpch_rfm.seg,
    copied next to the data: every customer's buckets and scores, and every KPI."""
    import shutil

    from segl.runtime.api import evaluate
    from segl.runtime.kpis import kpi_table

    seg = Path(data_dir) / RFM_SEG_FILE.name
    shutil.copyfile(RFM_SEG_FILE, seg)
    evaluation = evaluate(str(seg), as_of=as_of, kpis=True)
    segl_kpis = rfm_segl_kpis(kpi_table(evaluation))
    connection = evaluation.connection
    for table, query in rfm_statements(data_dir, as_of):
        create_table(connection, table, query)
    hand_kpis = rfm_hand_kpis(connection)
    ok = True
    print(f"RFM: {count_rows(connection, RFM_MEMBERS):,} customers (hand), "
          f"{count_rows(connection, evaluation.table):,} (segl)")
    for hand, segl in (("rfm", "rfm"), ("priority", "priority"), ("r", "rfm__r"),
                       ("f", "rfm__f"), ("m", "rfm__m")):
        h_key, s_key = column("c_custkey", "h"), column("c_custkey", "s")
        pairs = (exp.select(h_key)
                 .from_(exp.alias_(exp.to_table(RFM_MEMBERS), "h", table=True))
                 .join(exp.alias_(exp.to_table(evaluation.table), "s", table=True),
                       on=binary("=", s_key, h_key), join_type="full"))
        differ = count_rows(connection, pairs.where(exp.or_(
            h_key.is_(exp.null()), s_key.is_(exp.null()),
            exp.NullSafeNEQ(this=exp.cast(column(hand, "h"), "VARCHAR"),
                            expression=exp.cast(column(segl, "s"), "VARCHAR")))))
        ok &= differ == 0
        verdict = "same for every customer" if differ == 0 else f"DIFFER for {differ:,} customers"
        print(f"  {hand:<9} {verdict}")
    problems = compare_rfm_kpis(hand_kpis, segl_kpis)
    ok &= not problems
    print(f"  KPIs     {len(segl_kpis)} groups x {len(RFM_KPI_NAMES)} KPIs: "
          + ("same (within 1e-9 relative)" if not problems else "DIFFER: " + "; ".join(problems)))
    for group in segl_kpis:          # declaration order
        values = hand_kpis.get(group, {})
        print(f"    {group:<26} " + "  ".join(
            f"{k}={v:,.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()))
    connection.close()
    print("agree" if ok else "DISAGREE")
    return ok


# ---------------------------------------------------------------------- verification
def member_counts_wide(connection, table: str = "result") -> dict[str, int]:
    """Per BOOLEAN column of a wide result table: the number of true rows."""
    relation = connection.table(table)
    columns = [name for name, type_ in zip(relation.columns, relation.types, strict=True)
               if str(type_) == "BOOLEAN"]
    if not columns:
        return {}
    query = exp.select(*(exp.func("count_if", exp.column(c, quoted=True)) for c in columns))
    row = connection.execute(sql(query.from_(exp.to_table(table)))).fetchone()
    return dict(zip(columns, row, strict=True))


def _members(table: str, flag: str | None = None) -> exp.Select:
    query = exp.select("c_custkey").from_(exp.to_table(table))
    return query.where(exp.column(flag, quoted=True)) if flag else query


def verify(data_dir: str | Path, as_of: datetime.date = AS_OF, generated: int = 50) -> bool:
    """Single pass vs separate queries: same members (not only the same counts)."""
    import duckdb

    ok = True
    cases = [("12 segments", single_pass_sql(data_dir, as_of), separate_sqls(data_dir, as_of))]
    if generated:
        segments = generate_segments(generated)
        cases.append((f"{generated} generated segments",
                      generated_single_pass_sql(segments, data_dir, as_of),
                      generated_separate_sqls(segments, data_dir, as_of)))
    for title, wide, separate in cases:
        connection = duckdb.connect()
        create_table(connection, "result", wide)
        nulls = count_rows(connection, "result", exp.or_(
            *(exp.column(name, quoted=True).is_(exp.null()) for name, _ in separate)))
        counts = member_counts_wide(connection)
        print(f"{title}: {count_rows(connection, 'result'):,} "
              f"customers, rows with a NULL flag: {nulls}")
        ok &= nulls == 0
        for i, (name, query) in enumerate(separate):
            table = f"result_{i}"
            create_table(connection, table, query)
            size = count_rows(connection, table)
            only_wide = exp.except_(_members("result", name), _members(table))
            only_separate = exp.except_(_members(table), _members("result", name))
            differ = count_rows(connection, exp.union(
                exp.Subquery(this=only_wide), exp.Subquery(this=only_separate), distinct=False))
            same = size == counts[name] and differ == 0
            ok &= same
            print(f"  {name:<18} one pass {counts[name]:>10,}  separate {size:>10,}  "
                  f"{'same members' if same else f'DIFFER ({differ} keys)'}")
        connection.close()
    print("agree" if ok else "DISAGREE")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hand-written benchmark SQL.")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data" / "sf1")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=AS_OF)
    parser.add_argument("--verify", action="store_true",
                        help="check single pass and separate queries give the same members")
    parser.add_argument("--verify-rfm", action="store_true",
                        help="check the hand-written RFM/priority/KPI SQL against segl "
                             "(evaluate + kpi_table of tpch_rfm.seg)")
    parser.add_argument("--generated", type=int, default=50,
                        help="number of generated segments (default 50)")
    parser.add_argument("--print", dest="show",
                        choices=["single", "separate", "gen-seg", "gen-single", "gen-separate",
                                 "rfm", "rfm-kpis"])
    args = parser.parse_args(argv)
    if args.show == "single":
        print(single_pass_sql(args.data_dir, args.as_of))
    elif args.show == "separate":
        print("\n;\n".join(f"-- {n}\n{s}" for n, s in separate_sqls(args.data_dir, args.as_of)))
    elif args.show == "gen-seg":
        print(generated_seg_text(generate_segments(args.generated)), end="")
    elif args.show == "gen-single":
        print(generated_single_pass_sql(generate_segments(args.generated), args.data_dir,
                                        args.as_of))
    elif args.show == "gen-separate":
        print("\n;\n".join(f"-- {n}\n{s}" for n, s in generated_separate_sqls(
            generate_segments(args.generated), args.data_dir, args.as_of)))
    elif args.show == "rfm":
        print(rfm_members_sql(args.data_dir, args.as_of))
    elif args.show == "rfm-kpis":
        print(rfm_kpi_sql())
    ok = True
    if args.verify:
        ok &= verify(args.data_dir, args.as_of, args.generated)
    if args.verify_rfm:
        ok &= verify_rfm(args.data_dir, args.as_of)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
