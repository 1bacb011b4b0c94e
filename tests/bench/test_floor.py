"""The one-date floor (bench/floor.py) is what it claims: on small generated TPC-H-shaped
data (tests/bench/tiny_tpch.py), each part holds exactly the values a plain-Python pass over
the same files computes, and the parts alone are enough to answer the segments (members
derived from them here, in Python, equal the independent baseline's), so the floor leaves
out no work a plan needs beyond combining the parts."""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from tests.bench import tiny_tpch

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import floor  # noqa: E402
import hand_written  # noqa: E402
import independent  # noqa: E402

AS_OF = tiny_tpch.AS_OF
DATES = hand_written.dates(AS_OF)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tiny_tpch.write(tmp_path_factory.mktemp("floor"), buyer_share=0.67)
    connection = duckdb.connect()
    yield folder, connection
    connection.close()


def rows(connection, source) -> list[dict]:
    return [dict(zip(source.columns, row, strict=True)) for row in source.fetchall()]


def table(connection, folder: Path, name: str) -> list[dict]:
    return rows(connection, connection.read_parquet(str(folder / f"{name}.parquet")))


def part(connection, folder: Path, variant: str, name: str) -> dict:
    """A floor part's rows by their first column (the key)."""
    query = dict(floor.parts(variant, folder, AS_OF))[name]
    found = rows(connection, connection.sql(query))
    keyed = {row[next(iter(row))]: row for row in found}
    assert len(keyed) == len(found) and found, name
    return keyed


def close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9) if isinstance(a, float) else a == b


# ---------------------------------------------------------------- plain Python, from the files
def expected_orders(orders: list[dict]) -> dict:
    per: dict = defaultdict(lambda: {"orders_1y": 0, "spend_2y": None, "n_2y": 0,
                                     "spend_total": 0.0, "last_order": None,
                                     "urgent_orders": 0})
    for order in orders:
        day = order["o_orderdate"]
        if day > AS_OF:
            continue
        c = per[order["o_custkey"]]
        c["orders_1y"] += day > DATES["year_1"]
        if day > DATES["years_2"]:
            c["spend_2y"] = (c["spend_2y"] or 0.0) + order["o_totalprice"]
            c["n_2y"] += 1
        c["spend_total"] += order["o_totalprice"]
        c["last_order"] = max(filter(None, (c["last_order"], day)))
        c["urgent_orders"] += order["o_orderpriority"] == "1-URGENT"
    for c in per.values():
        c["avg_order_2y"] = c["spend_2y"] / c["n_2y"] if c["n_2y"] else None
        del c["n_2y"]
    return dict(per)


def expected_lines(connection, folder: Path, per_customer: bool) -> dict:
    brass = {p["p_partkey"] for p in table(connection, folder, "part")
             if "BRASS" in p["p_type"]}
    orders = {o["o_orderkey"]: o for o in table(connection, folder, "orders")}
    per: dict = {}
    for line in table(connection, folder, "lineitem"):
        day = line["l_shipdate"]
        if not DATES["year_1"] < day <= AS_OF:
            continue
        is_brass, recent = line["l_partkey"] in brass, day > DATES["days_90"]
        if not (is_brass or recent):
            continue
        order = orders[line["l_orderkey"]]
        if per_customer and order["o_orderdate"] > AS_OF:
            continue
        key = order["o_custkey"] if per_customer else line["l_orderkey"]
        c = per.setdefault(key, {"brass_lines_1y": 0, "quantity_90d": None})
        c["brass_lines_1y"] += is_brass
        if recent:
            c["quantity_90d"] = (c["quantity_90d"] or 0.0) + line["l_quantity"]
    return per


def same(found: dict, expected: dict) -> bool:
    assert set(found) == set(expected)
    for key, values in expected.items():
        for name, value in values.items():
            assert close(found[key][name], value), (key, name, found[key][name], value)
    return True


def test_orders_per_customer_is_one_grouped_scan_of_the_visible_orders(tiny):
    folder, connection = tiny
    found = part(connection, folder, "twelve", "orders_per_customer")
    assert same(found, expected_orders(table(connection, folder, "orders")))


@pytest.mark.parametrize(("variant", "name", "per_customer"),
                         [("twelve", "lines_per_order", False),
                          ("twelve_mapped", "lines_per_customer", True)])
def test_line_items_counted_per_order_and_per_customer(tiny, variant, name, per_customer):
    folder, connection = tiny
    found = part(connection, folder, variant, name)
    assert same(found, expected_lines(connection, folder, per_customer))


# ---------------------------------------------------------------- the parts answer the segments
def twelve_from_floor(connection, folder: Path) -> dict[int, dict[str, bool]]:
    orders = part(connection, folder, "twelve_mapped", "orders_per_customer")
    lines = part(connection, folder, "twelve_mapped", "lines_per_customer")
    customers = part(connection, folder, "twelve_mapped", "customers")
    ranked = sorted(customers, key=lambda k: (-orders.get(k, {}).get("spend_total", 0), k))
    top = set(ranked[:independent.TOP_PERCENT * len(customers) // 100])
    members = {}
    for key, customer in customers.items():
        o, li = orders.get(key, {}), lines.get(key, {})
        last = o.get("last_order")
        flags = {
            "automobile_rich": customer["automobile_rich"], "europe": customer["europe"],
            "frequent": o.get("orders_1y", 0) >= 3,
            "big_spenders_2y": (o.get("spend_2y") or 0) > 1_000_000,
            "high_avg_order": (o.get("avg_order_2y") or 0) > 200_000,
            "lapsed": last is not None and last < DATES["lapsed_before"],
            "high_spenders": key in top,
            "never_urgent": o.get("urgent_orders", 0) == 0,
            "brass_buyers": li.get("brass_lines_1y", 0) >= 3,
            "bulk_buyers_90d": (li.get("quantity_90d") or 0) >= 150,
        }
        flags["vip_europe"] = flags["europe"] and flags["high_spenders"] and not flags["lapsed"]
        flags["win_back"] = ((flags["high_spenders"] or flags["automobile_rich"])
                             and (flags["lapsed"] or not flags["frequent"]))
        members[key] = flags
    return members


def test_the_twelve_segments_follow_from_the_floor_alone(tiny):
    folder, connection = tiny
    baseline = {row["c_custkey"]: row for row in
                rows(connection, connection.sql(independent.twelve_sql(folder, AS_OF)))}
    derived = twelve_from_floor(connection, folder)
    assert set(derived) == set(baseline)
    for name in hand_written.TWELVE:
        differ = [k for k in baseline if baseline[k][name] != derived[k][name]]
        assert not differ, (name, differ[:5])
        # not vacuous: each segment selects some customers but not all
        assert 0 < sum(derived[k][name] for k in derived) < len(derived), name


def ge(value, bound) -> bool:
    return value is not None and value >= bound


def rfm_from_floor(connection, folder: Path) -> dict[int, tuple]:
    buyers = part(connection, folder, "rfm", "scored_buyers")
    customers = part(connection, folder, "rfm", "customers")
    derived = {}
    for key, customer in customers.items():
        b = buyers.get(key, {})
        r, f = b.get("r"), b.get("f", 1)
        spend, days = b.get("spend_total", 0), b.get("days_since_last_order")
        m = 1 + sum(spend >= cut for cut in hand_written.SPEND_CUTS)
        if ge(r, 4) and f >= 4 and m >= 4:
            rfm = "champions"
        elif f >= 4 and m >= 3:
            rfm = "loyal"
        elif r is not None and r <= 2 and f >= 3:
            rfm = "at_risk"
        elif r == 5 and f <= 2:
            rfm = "new"
        elif r is not None and r <= 2:
            rfm = "hibernating"
        else:
            rfm = "others"
        automobile = customer["c_mktsegment"] == "AUTOMOBILE"
        if spend > 3_000_000:
            priority = "key_automobile" if automobile else "key_accounts"
        elif days is not None and days <= 90 and customer["c_mktsegment"] == "BUILDING":
            priority = "recent_building"
        elif days is not None and days <= 180:
            priority = "recent"
        else:
            priority = "long_tail"
        derived[key] = (rfm, priority, r, f, m)
    return derived


def test_rfm_buckets_and_scores_follow_from_the_floor_alone(tiny):
    folder, connection = tiny
    baseline = {row["c_custkey"]: (row["rfm"], row["priority"], row["r"], row["f"], row["m"])
                for row in rows(connection, connection.sql(independent.rfm_sql(folder, AS_OF)))}
    derived = rfm_from_floor(connection, folder)
    assert derived == baseline
    assert len({bucket for bucket, *_ in derived.values()}) >= 4
    # the buyers' measures themselves, against plain Python
    buyers = part(connection, folder, "rfm", "scored_buyers")
    plain = expected_orders(table(connection, folder, "orders"))
    assert set(buyers) == set(plain)
    for key, b in buyers.items():
        assert close(b["spend_total"], plain[key]["spend_total"])
        assert b["days_since_last_order"] == (AS_OF - plain[key]["last_order"]).days


# ---------------------------------------------------------------- parts + combination: a plan
def combined(connection, folder: Path, variant: str) -> list[dict]:
    for table_name, query in floor.parts(variant, folder, AS_OF):
        connection.sql(query).create(f"{variant}_{table_name}" if table_name == "result"
                                     else table_name)
    return rows(connection, connection.table(f"{variant}_result"))


def test_twelve_combined_is_the_independent_baselines_output(tiny):
    folder, connection = tiny
    baseline = rows(connection, connection.sql(independent.twelve_sql(folder, AS_OF)))
    found = combined(duckdb.connect(), folder, "twelve_combined")
    assert found == baseline        # same columns, rows and order (by key)
    assert set(found[0]) == {"c_custkey", *hand_written.TWELVE}


def test_rfm_combined_is_the_independent_baselines_output(tiny):
    folder, connection = tiny
    baseline = rows(connection, connection.sql(independent.rfm_sql(folder, AS_OF)))
    found = combined(duckdb.connect(), folder, "rfm_combined")
    assert found == baseline
    assert list(found[0]) == list(independent.RFM_COLUMNS)
