"""The many-date floor (bench/multi_date_floor.py) is the daily roll-up it claims to be: on
small generated TPC-H-shaped data (tests/bench/tiny_tpch.py), every row equals a roll-up
computed here in plain Python from the same files, and the roll-up is not empty."""

from __future__ import annotations

import datetime
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from tests.bench import tiny_tpch

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import multi_date  # noqa: E402
import multi_date_floor  # noqa: E402

DATES = multi_date.month_ends(datetime.date(1998, 7, 31))
FIRST, LAST = DATES[0], DATES[-1]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tiny_tpch.write(tmp_path_factory.mktemp("multi_date_floor"), buyer_share=0.67)
    connection = duckdb.connect()
    yield folder, connection
    connection.close()


def rows(connection, folder: Path, table: str) -> list[dict]:
    relation = connection.read_parquet(str(folder / f"{table}.parquet"))
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def orders_by_day(orders: list[dict]) -> dict:
    days: dict = defaultdict(lambda: [0, 0, None, 0])
    for order in orders:
        if order["o_orderdate"] > LAST:
            continue
        day = days[(order["o_custkey"], order["o_orderdate"])]
        day[0] += 1
        day[1] += order["o_totalprice"]
        day[2] = max(filter(None, (day[2], order["o_orderdate"])))
        day[3] += order["o_orderpriority"] == "1-URGENT"
    return days


def test_rfm_floor_is_the_daily_rollup_of_orders(tiny):
    folder, connection = tiny
    found = {(key, day): (n, spend, last) for key, day, n, spend, last in
             connection.sql(multi_date_floor.rfm_sql(folder, DATES)).fetchall()}
    expected = {k: (n, spend, last) for k, (n, spend, last, _) in
                orders_by_day(rows(connection, folder, "orders")).items()}
    assert found and same(found, expected)


def same(found: dict, expected: dict) -> bool:
    """Equal keys and values; the amount (the second value, a sum of floats in the tiny
    data) up to rounding, since the engine adds in its own order."""
    assert found.keys() == expected.keys()
    for key, values in expected.items():
        got = found[key]
        assert (got[0], *got[2:]) == (values[0], *values[2:]), key
        assert got[1] == pytest.approx(values[1], rel=1e-9), key
    return True


def test_twelve_floor_is_the_daily_rollup_of_orders_and_lines(tiny):
    folder, connection = tiny
    orders = rows(connection, folder, "orders")
    expected = {("orders", *k): (n, spend, last, urgent)
                for k, (n, spend, last, urgent) in orders_by_day(orders).items()}
    brass = {p["p_partkey"] for p in rows(connection, folder, "part")
             if "BRASS" in p["p_type"]}
    by_key = {o["o_orderkey"]: o for o in orders}
    lines: dict = defaultdict(lambda: [0, 0, None, 0])
    for line in rows(connection, folder, "lineitem"):
        order = by_key.get(line["l_orderkey"])
        shipped = line["l_shipdate"]
        if order is None or not FIRST - datetime.timedelta(days=365) < shipped <= LAST \
                or order["o_orderdate"] > LAST:
            continue
        day = lines[(order["o_custkey"], max(shipped, order["o_orderdate"]))]
        day[0] += 1
        day[1] += line["l_quantity"]
        day[2] = max(filter(None, (day[2], shipped)))
        day[3] += line["l_partkey"] in brass
    expected |= {("lineitem", *k): tuple(v) for k, v in lines.items()}
    found = {(events, key, day): (n, amount, last, flagged) for
             key, day, events, n, amount, last, flagged in
             connection.sql(multi_date_floor.twelve_sql(folder, DATES)).fetchall()}
    assert any(k[0] == "lineitem" for k in found) and any(v[3] for v in found.values())
    assert same(found, expected)


@pytest.mark.parametrize("name", sorted(multi_date_floor.RANKS))
def test_ranks_floor_ranks_two_customers_in_three_at_every_date(tiny, name):
    folder, connection = tiny
    found = connection.sql(multi_date_floor.RANKS[name](folder, DATES)).fetchall()
    keys = [c["c_custkey"] for c in rows(connection, folder, "customer")
            if c["c_custkey"] % 3 != 0]
    per_date: dict = defaultdict(list)
    for key, day, *ranks in found:
        per_date[day].append((key, ranks))
    assert sorted(per_date) == DATES
    for ranked in per_date.values():
        assert sorted(key for key, _ in ranked) == sorted(keys)
        first = sorted(ranks[0] for _, ranks in ranked)
        if name == "tpch.seg":  # row_number: 1..n
            assert first == list(range(1, len(keys) + 1))
        else:  # ntile(5): five groups of sizes differing by at most one
            sizes = [first.count(tile) for tile in range(1, 6)]
            assert sum(sizes) == len(keys) and max(sizes) - min(sizes) <= 1
