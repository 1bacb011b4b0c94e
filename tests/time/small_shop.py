"""A small project for the history tests: six customers, orders over the first half of
2026, one segment over a 30-day window and one segmentation; and plain-Python versions of
its memberships and of the interval rule of docs/time.md, independent of segl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

SEG = """\
entity customer from parquet "{data}/customers.parquet" key customer_id {{
  customer_id int
  city text
}}
events orders from parquet "{data}/orders.parquet" key customer_id at ordered_at {{
  ordered_at timestamp
  amount float
}}

feature orders_30d = count(orders) in last 30 days
feature orders_ever = count(orders)

segment active = orders_30d >= 1
segmentation level {{
  regular when orders_ever >= 3
  starter when orders_ever >= 1
  else none
}}
"""
CUSTOMERS = [1, 2, 3, 4, 5, 6]
# (customer, day of the order)
ORDERS = [(1, dt.date(2026, 1, 10)), (1, dt.date(2026, 2, 20)), (1, dt.date(2026, 3, 15)),
          (2, dt.date(2026, 1, 25)), (2, dt.date(2026, 4, 20)),
          (3, dt.date(2026, 2, 10)), (3, dt.date(2026, 2, 25)), (3, dt.date(2026, 3, 28)),
          (3, dt.date(2026, 5, 30)),
          (4, dt.date(2026, 6, 15)),
          (5, dt.date(2026, 3, 31))]
MONTH_ENDS = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31),
              dt.date(2026, 4, 30), dt.date(2026, 5, 31), dt.date(2026, 6, 30)]


def write_project(folder: Path, orders=ORDERS, customers=CUSTOMERS) -> Path:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"customer_id": customers, "city": ["x"] * len(customers)}).write_parquet(
        data / "customers.parquet")
    pl.DataFrame({"customer_id": [c for c, _ in orders],
                  "ordered_at": [dt.datetime.combine(d, dt.time(12)) for _, d in orders],
                  "amount": [10.0] * len(orders)},
                 schema={"customer_id": pl.Int64, "ordered_at": pl.Datetime("us"),
                         "amount": pl.Float64}).write_parquet(data / "orders.parquet")
    seg = folder / "small.seg"
    seg.write_text(SEG.format(data=data))
    return seg


def memberships(day: dt.date, orders=ORDERS, customers=CUSTOMERS) -> dict:
    """(entity, object) -> group at `day`, as the language defines it."""
    found = {}
    for c in customers:
        seen = [d for k, d in orders if k == c and d <= day]
        if any(day - dt.timedelta(days=30) < d for d in seen):
            found[(c, "active")] = "member"
        found[(c, "level")] = ("regular" if len(seen) >= 3 else
                               "starter" if seen else "none")
    return found


def intervals(points: dict[dt.date, dict]) -> list[tuple]:
    """docs/time.md's rule over the memberships at each recorded date: a run of consecutive
    recorded dates in one group is one interval; valid_to is the next recorded date after
    the run, or None when the run reaches the last one."""
    days = sorted(points)
    pairs = sorted({pair for found in points.values() for pair in found})
    rows = []
    for entity, obj in pairs:
        start = group = None
        for index, day in enumerate(days):
            now = points[day].get((entity, obj))
            if now != group:
                if group is not None:
                    rows.append((entity, obj, group, start, day))
                start, group = day, now
            if index == len(days) - 1 and group is not None:
                rows.append((entity, obj, group, start, None))
    return sorted(rows, key=lambda r: (r[1], r[0], r[3]))
