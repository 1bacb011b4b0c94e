"""Plain Python over the shop's Parquet files (no segl, no SQL): the members of `loyal`,
`lapsed` and `one_time_buyers` and the bucket of `lifecycle` at any date, as
examples/shop/{features,shop}.seg define them (paid orders; events after as_of unseen;
`in last 365 days` is as_of - 365 < day <= as_of; loyal_orders = 4, lapsed_days = 180)."""

from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_right
from collections import defaultdict

import polars as pl

from ..end_to_end.test_examples_oracle import EXAMPLES

DATA = EXAMPLES / "shop" / "data"
SEGMENTS = ("loyal", "lapsed", "one_time_buyers")


@functools.cache
def paid_orders() -> tuple[list[int], dict[int, list[dt.date]]]:
    customers = pl.read_parquet(DATA / "customers.parquet")["customer_id"].to_list()
    orders = pl.read_parquet(DATA / "orders.parquet", columns=["customer_id", "ordered_at",
                                                               "status"])
    days: dict[int, list[dt.date]] = defaultdict(list)
    for customer, at, status in orders.iter_rows():
        if status == "paid":
            days[customer].append(at.date())
    return customers, {c: sorted(d) for c, d in days.items()}


@functools.cache
def groups_at(as_of: dt.date) -> dict[str, dict[int, str]]:
    """object -> entity -> group (`member` for a segment) at `as_of`."""
    customers, orders = paid_orders()
    found: dict[str, dict[int, str]] = {name: {} for name in (*SEGMENTS, "lifecycle")}
    for c in customers:
        seen = orders.get(c, [])[: bisect_right(orders.get(c, []), as_of)]
        total = len(seen)
        last_year = sum(1 for d in seen if as_of - dt.timedelta(days=365) < d)
        since = (as_of - seen[-1]).days if seen else None
        loyal = last_year >= 4
        lapsed = total > 0 and since is not None and since > 180
        for name, member in (("loyal", loyal), ("lapsed", lapsed),
                             ("one_time_buyers", total == 1)):
            if member:
                found[name][c] = "member"
        if total == 1 and since is not None and since <= 30:
            bucket = "new"
        elif loyal and not lapsed:
            bucket = "loyal"
        elif since is not None and 90 <= since <= 180:
            bucket = "at_risk"
        elif lapsed:
            bucket = "lapsed"
        elif total == 1:
            bucket = "one_off"
        else:
            bucket = "prospect"
        found["lifecycle"][c] = bucket
    return found


def history_rows(days: list[dt.date], groups: dict[str, list[str]]) -> list[tuple]:
    """(object, group, as_of, size, entered, left) as `segl history` defines them."""
    rows = []
    for name, names in groups.items():
        for group in names:
            before = None
            for day in days:
                now = {e for e, g in groups_at(day)[name].items() if g == group}
                if before is None:
                    rows.append((name, group, day, len(now), None, None))
                else:
                    rows.append((name, group, day, len(now), len(now - before),
                                 len(before - now)))
                before = now
    return rows
