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

The module only builds SQL text; it imports duckdb only for --verify.
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

BENCH_DIR = Path(__file__).resolve().parent
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


def d(day: datetime.date) -> str:
    return f"DATE '{day.isoformat()}'"


def q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Tables:
    """read_parquet(...) expressions for the TPC-H tables of one data folder."""

    def __init__(self, data_dir: str | Path):
        self.dir = Path(data_dir).resolve()

    def __getattr__(self, table: str) -> str:
        if table.startswith("_"):
            raise AttributeError(table)
        return f"read_parquet({q(str(self.dir / f'{table}.parquet'))})"


def source_lines(seg_file: Path = SEG_FILE) -> str:
    """The entity/events/lookup declarations of bench/tpch.seg, for generated files."""
    lines = [line for line in seg_file.read_text().splitlines()
             if re.match(r"\s*(entity|events|lookup)\b", line)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- twelve segments
def single_pass_sql(data_dir: str | Path, as_of: datetime.date = AS_OF) -> str:
    """The twelve segments of bench/tpch.seg in one query (wide table, one row per customer)."""
    t = Tables(data_dir)
    year_1 = window_start(as_of, 365, "days")
    years_2 = window_start(as_of, 2, "years")
    days_90 = window_start(as_of, 90, "days")
    lapsed_before = as_of - datetime.timedelta(days=365)   # days_between(last, as_of) > 365
    return f"""
WITH line_per_order AS (
    -- the line-item features look back at most 365 days: read only that window
    SELECT l.l_orderkey,
           count(brass.p_partkey) AS brass_lines_1y,
           sum(l.l_quantity) FILTER (WHERE l.l_shipdate > {d(days_90)}) AS quantity_90d
    FROM {t.lineitem} AS l
    LEFT JOIN (SELECT p_partkey FROM {t.part} WHERE p_type LIKE '%BRASS%') AS brass
           ON brass.p_partkey = l.l_partkey
    WHERE l.l_shipdate > {d(year_1)} AND l.l_shipdate <= {d(as_of)}
    GROUP BY l.l_orderkey
),
per_customer AS (
    SELECT o.o_custkey,
           count(*) AS orders_total,
           count(*) FILTER (WHERE o.o_orderdate > {d(year_1)}) AS orders_1y,
           sum(o.o_totalprice) FILTER (WHERE o.o_orderdate > {d(years_2)}) AS spend_2y,
           avg(o.o_totalprice) FILTER (WHERE o.o_orderdate > {d(years_2)}) AS avg_order_2y,
           sum(o.o_totalprice) AS spend_total,
           max(o.o_orderdate) AS last_order,
           count(*) FILTER (WHERE o.o_orderpriority = '1-URGENT') AS urgent_orders,
           sum(lpo.brass_lines_1y) AS brass_lines_1y,
           sum(lpo.quantity_90d) AS quantity_90d
    FROM {t.orders} AS o
    LEFT JOIN line_per_order AS lpo ON lpo.l_orderkey = o.o_orderkey
    WHERE o.o_orderdate <= {d(as_of)}
    GROUP BY o.o_custkey
),
base AS (
    SELECT c.c_custkey,
           coalesce(c.c_mktsegment = 'AUTOMOBILE' AND c.c_acctbal > 5000, false) AS automobile_rich,
           coalesce(r.r_name = 'EUROPE', false) AS europe,
           coalesce(pc.orders_1y, 0) >= 3 AS frequent,
           coalesce(pc.spend_2y, 0) > 1000000 AS big_spenders_2y,
           coalesce(pc.avg_order_2y > 200000, false) AS high_avg_order,
           coalesce(pc.orders_total > 0 AND pc.last_order < {d(lapsed_before)}, false) AS lapsed,
           -- spend_total is never null (0 without orders): every customer is ranked
           row_number() OVER (ORDER BY coalesce(pc.spend_total, 0) DESC, c.c_custkey) * 100
               <= 20 * (SELECT count(*) FROM {t.customer}) AS high_spenders,
           coalesce(pc.urgent_orders, 0) = 0 AS never_urgent,
           coalesce(pc.brass_lines_1y, 0) >= 3 AS brass_buyers,
           coalesce(pc.quantity_90d, 0) >= 150 AS bulk_buyers_90d
    FROM {t.customer} AS c
    LEFT JOIN {t.nation} AS n ON n.n_nationkey = c.c_nationkey
    LEFT JOIN {t.region} AS r ON r.r_regionkey = n.n_regionkey
    LEFT JOIN per_customer AS pc ON pc.o_custkey = c.c_custkey
)
SELECT c_custkey,
       automobile_rich, europe, frequent, big_spenders_2y, high_avg_order, lapsed,
       high_spenders, never_urgent, brass_buyers, bulk_buyers_90d,
       europe AND high_spenders AND NOT lapsed AS vip_europe,
       (high_spenders OR automobile_rich) AND (lapsed OR NOT frequent) AS win_back
FROM base
ORDER BY c_custkey
""".strip()


def separate_sqls(data_dir: str | Path, as_of: datetime.date = AS_OF) -> list[tuple[str, str]]:
    """The twelve segments as twelve standalone queries, each returning member keys."""
    t = Tables(data_dir)
    year_1 = window_start(as_of, 365, "days")
    years_2 = window_start(as_of, 2, "years")
    days_90 = window_start(as_of, 90, "days")
    lapsed_before = as_of - datetime.timedelta(days=365)

    automobile_rich = "c.c_mktsegment = 'AUTOMOBILE' AND c.c_acctbal > 5000"
    europe = f"""c.c_nationkey IN (
        SELECT n.n_nationkey FROM {t.nation} AS n
        JOIN {t.region} AS r ON r.r_regionkey = n.n_regionkey
        WHERE r.r_name = 'EUROPE')"""
    frequent = f"""c.c_custkey IN (
        SELECT o_custkey FROM {t.orders}
        WHERE o_orderdate > {d(year_1)} AND o_orderdate <= {d(as_of)}
        GROUP BY o_custkey HAVING count(*) >= 3)"""
    lapsed = f"""c.c_custkey IN (
        SELECT o_custkey FROM {t.orders} WHERE o_orderdate <= {d(as_of)}
        GROUP BY o_custkey HAVING max(o_orderdate) < {d(lapsed_before)})"""
    high_spenders = f"""c.c_custkey IN (
        SELECT c2.c_custkey
        FROM {t.customer} AS c2
        LEFT JOIN (SELECT o_custkey, sum(o_totalprice) AS spend FROM {t.orders}
                   WHERE o_orderdate <= {d(as_of)} GROUP BY o_custkey) AS s
               ON s.o_custkey = c2.c_custkey
        QUALIFY row_number() OVER (ORDER BY coalesce(s.spend, 0) DESC, c2.c_custkey) * 100
                <= 20 * (SELECT count(*) FROM {t.customer}))"""

    def members(condition: str) -> str:
        return f"SELECT c.c_custkey FROM {t.customer} AS c\nWHERE {condition}\nORDER BY c.c_custkey"

    return [
        ("automobile_rich", members(automobile_rich)),
        ("europe", members(europe)),
        ("frequent", members(frequent)),
        ("big_spenders_2y", members(f"""c.c_custkey IN (
        SELECT o_custkey FROM {t.orders}
        WHERE o_orderdate > {d(years_2)} AND o_orderdate <= {d(as_of)}
        GROUP BY o_custkey HAVING sum(o_totalprice) > 1000000)""")),
        ("high_avg_order", members(f"""c.c_custkey IN (
        SELECT o_custkey FROM {t.orders}
        WHERE o_orderdate > {d(years_2)} AND o_orderdate <= {d(as_of)}
        GROUP BY o_custkey HAVING avg(o_totalprice) > 200000)""")),
        ("lapsed", members(lapsed)),
        ("high_spenders", members(high_spenders)),
        ("never_urgent", members(f"""NOT EXISTS (
        SELECT 1 FROM {t.orders} AS o
        WHERE o.o_custkey = c.c_custkey AND o.o_orderpriority = '1-URGENT'
          AND o.o_orderdate <= {d(as_of)})""")),
        ("brass_buyers", members(f"""c.c_custkey IN (
        SELECT o.o_custkey
        FROM {t.lineitem} AS l
        JOIN {t.orders} AS o ON o.o_orderkey = l.l_orderkey
        JOIN {t.part} AS p ON p.p_partkey = l.l_partkey
        WHERE p.p_type LIKE '%BRASS%' AND o.o_orderdate <= {d(as_of)}
          AND l.l_shipdate > {d(year_1)} AND l.l_shipdate <= {d(as_of)}
        GROUP BY o.o_custkey HAVING count(*) >= 3)""")),
        ("bulk_buyers_90d", members(f"""c.c_custkey IN (
        SELECT o.o_custkey
        FROM {t.lineitem} AS l
        JOIN {t.orders} AS o ON o.o_orderkey = l.l_orderkey
        WHERE o.o_orderdate <= {d(as_of)}
          AND l.l_shipdate > {d(days_90)} AND l.l_shipdate <= {d(as_of)}
        GROUP BY o.o_custkey HAVING sum(l.l_quantity) >= 150)""")),
        ("vip_europe", members(f"{europe}\n  AND {high_spenders}\n  AND NOT {lapsed}")),
        ("win_back", members(f"(({high_spenders}) OR ({automobile_rich}))\n"
                             f"  AND (({lapsed}) OR NOT ({frequent}))")),
    ]


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

    def sql(self, as_of: datetime.date) -> str:
        """The aggregate over rows already restricted to date(t) <= as_of."""
        alias = ALIAS[self.table]
        conditions = []
        if self.where:
            conditions.append(f"{alias}.{self.where[0]} = {q(self.where[1])}")
        if self.window:
            conditions.append(f"{alias}.{TIME_COLUMN[self.table]} > {d(self.start(as_of))}")
        call = "count(*)" if self.func == "count" else f"sum({alias}.{self.column})"
        if conditions:
            call += f" FILTER (WHERE {' AND '.join(conditions)})"
        return call


@dataclass(frozen=True)
class Attribute:
    column: str        # c_mktsegment | c_acctbal | nation.n_name
    op: str
    value: str | int

    def seg(self) -> str:
        value = f'"{self.value}"' if isinstance(self.value, str) else str(self.value)
        return f"{self.column} {self.op} {value}"

    def sql(self) -> str:
        column = "n.n_name" if self.column == "nation.n_name" else f"c.{self.column}"
        value = q(self.value) if isinstance(self.value, str) else str(self.value)
        return f"{column} {self.op} {value}"


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


def generated_single_pass_sql(segments: list[Generated], data_dir: str | Path,
                              as_of: datetime.date = AS_OF) -> str:
    """All generated segments in one query: one pass over line items (per order), one
    over orders (per customer), joined to customer (and nation when needed)."""
    t = Tables(data_dir)
    order_aggs = _distinct_aggregates(segments, "orders")
    line_aggs = _distinct_aggregates(segments, "lineitem")
    ctes = []
    per_customer_columns = [f"{a.sql(as_of)} AS {name}" for a, name in order_aggs.items()]
    join_lines = ""
    if line_aggs:
        since = _lower_bound(line_aggs, as_of)
        window = f" AND l.l_shipdate > {d(since)}" if since else ""
        columns = ",\n           ".join(f"{a.sql(as_of)} AS {name}"
                                        for a, name in line_aggs.items())
        ctes.append(f"""line_per_order AS (
    SELECT l.l_orderkey,
           {columns}
    FROM {t.lineitem} AS l
    WHERE l.l_shipdate <= {d(as_of)}{window}
    GROUP BY l.l_orderkey
)""")
        per_customer_columns += [f"sum(lpo.{name}) AS {name}" for name in line_aggs.values()]
        join_lines = "\n    LEFT JOIN line_per_order AS lpo ON lpo.l_orderkey = o.o_orderkey"
    if per_customer_columns:
        # Orders only need reading as far back as the widest window, unless line items
        # must reach their orders.
        since = None if line_aggs else _lower_bound(order_aggs, as_of)
        window = f" AND o.o_orderdate > {d(since)}" if since else ""
        columns = ",\n           ".join(per_customer_columns)
        ctes.append(f"""per_customer AS (
    SELECT o.o_custkey,
           {columns}
    FROM {t.orders} AS o{join_lines}
    WHERE o.o_orderdate <= {d(as_of)}{window}
    GROUP BY o.o_custkey
)""")

    def predicate(s: Generated) -> str:
        parts = [a.sql() for a in s.attributes]
        if s.aggregate:
            name = (order_aggs if s.aggregate.table == "orders" else line_aggs)[s.aggregate]
            parts.append(f"coalesce(pc.{name}, 0) {s.op} {s.threshold}")
        return f"coalesce({' AND '.join(parts)}, false) AS {s.name}"

    joins = ""
    if any(s.needs_nation for s in segments):
        joins += f"\nLEFT JOIN {t.nation} AS n ON n.n_nationkey = c.c_nationkey"
    if per_customer_columns:
        joins += "\nLEFT JOIN per_customer AS pc ON pc.o_custkey = c.c_custkey"
    columns = ",\n       ".join(predicate(s) for s in segments)
    with_clause = ("WITH " + ",\n".join(ctes) + "\n") if ctes else ""
    return (f"{with_clause}SELECT c.c_custkey,\n       {columns}\n"
            f"FROM {t.customer} AS c{joins}\nORDER BY c.c_custkey")


def generated_separate_sqls(segments: list[Generated], data_dir: str | Path,
                            as_of: datetime.date = AS_OF) -> list[tuple[str, str]]:
    """One standalone query per generated segment, each returning member keys."""
    t = Tables(data_dir)
    queries = []
    for s in segments:
        conditions = [a.sql() for a in s.attributes]
        if s.aggregate:
            a = s.aggregate
            start = a.start(as_of)
            if a.table == "orders":
                where = [f"o.o_orderdate <= {d(as_of)}"]
                if start:
                    where.append(f"o.o_orderdate > {d(start)}")
                if a.where:
                    where.append(f"o.{a.where[0]} = {q(a.where[1])}")
                source = f"{t.orders} AS o"
            else:
                where = [f"l.l_shipdate <= {d(as_of)}", f"o.o_orderdate <= {d(as_of)}"]
                if start:
                    where.append(f"l.l_shipdate > {d(start)}")
                if a.where:
                    where.append(f"l.{a.where[0]} = {q(a.where[1])}")
                source = (f"{t.lineitem} AS l\n"
                          f"        JOIN {t.orders} AS o ON o.o_orderkey = l.l_orderkey")
            call = "count(*)" if a.func == "count" else f"sum({ALIAS[a.table]}.{a.column})"
            conditions.append(f"""c.c_custkey IN (
        SELECT o.o_custkey FROM {source}
        WHERE {' AND '.join(where)}
        GROUP BY o.o_custkey HAVING {call} {s.op} {s.threshold})""")
        nation = (f"\nJOIN {t.nation} AS n ON n.n_nationkey = c.c_nationkey"
                  if s.needs_nation else "")
        queries.append((s.name, f"SELECT c.c_custkey FROM {t.customer} AS c{nation}\n"
                                f"WHERE {' AND '.join(conditions)}\nORDER BY c.c_custkey"))
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
    t = Tables(data_dir)
    cuts = " + ".join(f"(spend_total >= {c})::INTEGER" for c in SPEND_CUTS)
    return f"""
WITH line_per_order AS (
    SELECT l.l_orderkey, sum(l.l_quantity) AS quantity
    FROM {t.lineitem} AS l
    WHERE l.l_shipdate <= {d(as_of)}
    GROUP BY l.l_orderkey
),
per_customer AS (
    SELECT o.o_custkey,
           max(o.o_orderdate) AS last_order,
           count(*) AS orders_total,
           sum(o.o_totalprice) AS spend_total,
           sum(lpo.quantity) AS quantity
    FROM {t.orders} AS o
    LEFT JOIN line_per_order AS lpo ON lpo.l_orderkey = o.o_orderkey
    WHERE o.o_orderdate <= {d(as_of)}
    GROUP BY o.o_custkey
),
features AS (
    SELECT c.c_custkey, c.c_mktsegment, c.c_acctbal,
           {d(as_of)} - pc.last_order AS days_since_last_order,
           coalesce(pc.orders_total, 0) AS orders_total,
           coalesce(pc.spend_total, 0) AS spend_total,
           coalesce(pc.quantity, 0) AS quantity
    FROM {t.customer} AS c
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
           1 + {cuts} AS m
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


def rfm_kpi_sql(members: str = RFM_MEMBERS) -> str:
    """The KPIs per bucket of both segmentations and over everyone, in one pass over the
    members table. Ratios are ratios of the group's sums; avg_balance a plain average."""
    return f"""
SELECT CASE WHEN grouping(rfm) = 0 THEN 'rfm'
            WHEN grouping(priority) = 0 THEN 'priority' ELSE 'all' END AS segmentation,
       coalesce(rfm, priority, 'all') AS bucket,
       count(*) AS customers,
       sum(spend_total) AS revenue,
       sum(spend_total) / nullif(sum(orders_total), 0) AS aov,
       avg(c_acctbal) AS avg_balance,
       sum(quantity) / nullif(sum(orders_total), 0) AS quantity_per_order
FROM {members}
GROUP BY GROUPING SETS ((rfm), (priority), ())"""


def rfm_statements(data_dir: str | Path, as_of: datetime.date = AS_OF) -> list[str]:
    return [f"CREATE TEMP TABLE {RFM_MEMBERS} AS {rfm_members_sql(data_dir, as_of)}",
            f"CREATE TEMP TABLE {RFM_KPIS} AS {rfm_kpi_sql()}"]


def rfm_member_summary(connection, table: str, columns: tuple[str, ...]) -> dict:
    """What two runs (in different processes) compare: bucket sizes, score counts, and a
    fingerprint of every customer's (key, rfm, priority, r, f, m). `columns` names those
    six in `table`."""
    key, rfm, priority, r, f, m = (f'"{c}"' for c in columns)
    summary: dict = {}
    for name, column in (("rfm", rfm), ("priority", priority), ("r", r), ("f", f), ("m", m)):
        for value, count in connection.execute(
                f"SELECT {column}::VARCHAR, count(*) FROM {table} GROUP BY ALL").fetchall():
            summary[f"{name}={value}"] = count
    summary["fingerprint"] = str(connection.execute(
        f"SELECT sum(hash({key}::BIGINT, {rfm}::VARCHAR, {priority}::VARCHAR, {r}::BIGINT, "
        f"{f}::BIGINT, {m}::BIGINT)::HUGEINT) FROM {table}").fetchone()[0])
    return summary


def rfm_hand_kpis(connection, table: str = RFM_KPIS) -> dict[str, dict]:
    """{group: {"customers": n, kpi: value}} from the hand-written KPI table; the group is
    "all" or "segmentation.bucket"."""
    rows = connection.execute(f"SELECT * FROM {table}").fetchall()
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
    for statement in rfm_statements(data_dir, as_of):
        connection.execute(statement)
    hand_kpis = rfm_hand_kpis(connection)
    ok = True
    total = connection.execute(f"SELECT count(*) FROM {RFM_MEMBERS}").fetchone()[0]
    print(f"RFM: {total:,} customers (hand), "
          f"{connection.execute(f'SELECT count(*) FROM {evaluation.table}').fetchone()[0]:,}"
          " (segl)")
    for hand, segl in (("rfm", "rfm"), ("priority", "priority"), ("r", "rfm__r"),
                       ("f", "rfm__f"), ("m", "rfm__m")):
        differ = connection.execute(f"""
            SELECT count(*) FROM {RFM_MEMBERS} AS h
            FULL JOIN {evaluation.table} AS s ON s.c_custkey = h.c_custkey
            WHERE h.c_custkey IS NULL OR s.c_custkey IS NULL
               OR h.{hand}::VARCHAR IS DISTINCT FROM s.{segl}::VARCHAR""").fetchone()[0]
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
    columns = [name for name, type_ in connection.execute(
        f"SELECT column_name, data_type FROM information_schema.columns "
        f"WHERE table_name = {q(table)} ORDER BY ordinal_position").fetchall()
        if type_ == "BOOLEAN"]
    if not columns:
        return {}
    row = connection.execute(
        "SELECT " + ", ".join(f'count_if("{c}")' for c in columns) + f" FROM {table}").fetchone()
    return dict(zip(columns, row, strict=True))


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
        connection.execute(f"CREATE TEMP TABLE result AS {wide}")
        nulls = connection.execute(
            "SELECT count(*) FROM result WHERE " + " OR ".join(
                f'"{name}" IS NULL' for name, _ in separate)).fetchone()[0]
        counts = member_counts_wide(connection)
        print(f"{title}: {connection.execute('SELECT count(*) FROM result').fetchone()[0]:,} "
              f"customers, rows with a NULL flag: {nulls}")
        ok &= nulls == 0
        for i, (name, sql) in enumerate(separate):
            connection.execute(f"CREATE TEMP TABLE result_{i} AS {sql}")
            size = connection.execute(f"SELECT count(*) FROM result_{i}").fetchone()[0]
            differ = connection.execute(f"""
                SELECT count(*) FROM (
                    (SELECT c_custkey FROM result WHERE "{name}"
                     EXCEPT SELECT c_custkey FROM result_{i})
                    UNION ALL
                    (SELECT c_custkey FROM result_{i}
                     EXCEPT SELECT c_custkey FROM result WHERE "{name}"))""").fetchone()[0]
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
