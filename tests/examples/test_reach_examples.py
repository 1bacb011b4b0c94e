"""The language-reach examples (issue 13) on the shop data, against plain Python over the same
Parquet files, on DuckDB and Polars: examples/shop/after_first_purchase.seg (correlated
conditions) and examples/shop/declining.seg (calendar windows, period over period)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from segl.runtime.api import evaluate

from tests.conftest import ROOT

SHOP = ROOT / "examples/shop"
AS_OF = date(2026, 6, 30)
CAP = datetime(2026, 7, 1)


def _members(path, engine):
    evaluation = evaluate(path, as_of=AS_OF, engine=engine)
    found = {}
    for name in evaluation.segments:
        rows = evaluation.connection.execute(
            f'SELECT {evaluation.key} FROM {evaluation.table} WHERE "{name}" ORDER BY 1'
        ).fetchall()
        found[name] = {r[0] for r in rows}
    return found


def _orders():
    frame = pl.read_parquet(SHOP / "data/orders.parquet").filter(pl.col("ordered_at") < CAP)
    return frame.select("customer_id", "ordered_at", "amount", "status").to_dicts()


def _by_customer(rows):
    grouped: dict[int, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["customer_id"], []).append(row)
    return grouped


def _money(rows) -> Decimal:
    return sum((Decimal(str(round(r["amount"], 9))) for r in rows if r["amount"] is not None),
               Decimal(0))


def after_first_purchase_expected():
    customers = pl.read_parquet(SHOP / "data/customers.parquet").select(
        "customer_id", "signup_date").to_dicts()
    views = pl.read_parquet(SHOP / "data/web_events.parquet").filter(
        pl.col("occurred_at") < CAP).group_by("customer_id").agg(pl.col("occurred_at").max())
    last_view = dict(views.iter_rows())
    orders = _by_customer(_orders())
    expected = {"spent_again": set(), "ordered_without_visit": set()}
    for customer in customers:
        key, signup = customer["customer_id"], customer["signup_date"]
        mine = orders.get(key, [])
        paid = [r for r in mine if r["status"] == "paid"]
        first = min((r["ordered_at"] for r in paid), default=None)
        if first is not None and _money([r for r in paid if r["ordered_at"] > first]) > 0:
            expected["spent_again"].add(key)
        view = last_view.get(key)
        after_view = [r for r in mine if view is None or r["ordered_at"] > view]
        since_signup = [r for r in mine if signup is not None
                        and r["ordered_at"] >= datetime.combine(signup, datetime.min.time())]
        if after_view and _money(since_signup) > 0:
            expected["ordered_without_visit"].add(key)
    return expected


def declining_expected():
    customers = pl.read_parquet(SHOP / "data/customers.parquet")["customer_id"].to_list()
    orders = _by_customer([r for r in _orders() if r["status"] == "paid"])

    def within(rows, first: date, last: date):
        return [r for r in rows if first <= r["ordered_at"].date() <= last]

    expected = {"declining": set(), "quarter_dropped": set(), "monthly_regulars": set()}
    for key in customers:
        mine = orders.get(key, [])
        recent = _money(within(mine, AS_OF - timedelta(days=89), AS_OF))
        prior = _money(within(mine, AS_OF - timedelta(days=179), AS_OF - timedelta(days=90)))
        if prior > 0 and recent < prior / 2:
            expected["declining"].add(key)
        this_quarter = _money(within(mine, date(2026, 4, 1), AS_OF))
        last_quarter = _money(within(mine, date(2026, 1, 1), date(2026, 3, 31)))
        if last_quarter > 0 and this_quarter == 0:
            expected["quarter_dropped"].add(key)
        months = [within(mine, date(2026, m, 1), date(2026, m + 1, 1) - timedelta(days=1))
                  for m in (3, 4, 5)]
        if all(months):
            expected["monthly_regulars"].add(key)
    return expected


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("example,expected", [
    ("after_first_purchase.seg", after_first_purchase_expected),
    ("declining.seg", declining_expected),
])
def test_reach_example_members_equal_plain_python(example, expected, engine):
    found = _members(SHOP / example, engine)
    wanted = expected()
    assert found == wanted
    assert all(wanted.values()), "every segment of the example has members"
