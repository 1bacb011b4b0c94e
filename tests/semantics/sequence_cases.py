"""Event sequences (docs/language.md#sequences) against the plain-Python reference
(tests/sequences/reference.py): fixed cases for each rule (equal timestamps, events after
as_of, windows ending after as_of, one event completing several) and hypothesis-generated
streams. Imported into test_semantics.py, so tests/engines and tests/polars run every case
on every engine too."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rows import table_rows
from tests.sequences.reference import sequence

SEQUENCE_HEAD = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at timestamp
  amount float
}
events visits from parquet "data/visits.parquet" key customer_id at visited_at {
  visited_at timestamp
  page text
}
"""
SEQUENCE_SCHEMA = {
    "customers": {"customer_id": pl.Int64},
    "orders": {"customer_id": pl.Int64, "ordered_at": pl.Datetime("us"), "amount": pl.Float64},
    "visits": {"customer_id": pl.Int64, "visited_at": pl.Datetime("us"), "page": pl.String},
}
KEYS = (1, 2, 3, 4)
AS_OF = date(2026, 6, 30)
# (feature, kind, first step, second step, within days): the steps name
# `visits` (page = "product"), `orders` (amount >= 10) or `orders` (all)
FEATURES = {
    "viewed_then_bought": ("then", "product", "orders", 7),
    "viewed_then_no_order": ("then no", "product", "orders", 7),
    "viewed_then_first_order": ("then first", "product", "orders", 3),
    "order_then_no_order": ("then no", "orders", "orders", 30),
    "order_then_big_order": ("then", "orders", "big", None),
    "order_then_first_order": ("then first", "orders", "orders", None),
}
_STEP = {"product": 'visits where page = "product"', "orders": "orders",
         "big": "orders where amount >= 10"}


def sequence_source() -> str:
    lines = []
    for name, (kind, first, then, within) in FEATURES.items():
        window = f" within {within} days" if within else ""
        text = f"{_STEP[first]} {kind} {_STEP[then]}{window}"
        lines.append(f"feature {name}_count = count({text})")
        lines.append(f"feature {name}_last = last({text})")
    lines.append("segment everyone = true")
    return SEQUENCE_HEAD + "\n".join(lines) + "\n"


def sequence_values(project, orders: list[tuple], visits: list[tuple], as_of: date
                    ) -> dict[str, dict[int, object]]:
    """feature -> key -> value, evaluated by the engine under test."""
    from . import test_semantics as cases  # its `evaluate` is the engine's under test

    path = project(sequence_source(), {
        "customers": [{"customer_id": k} for k in KEYS],
        "orders": [{"customer_id": c, "ordered_at": t, "amount": a} for c, t, a in orders],
        "visits": [{"customer_id": c, "visited_at": t, "page": p} for c, t, p in visits],
    }, SEQUENCE_SCHEMA)
    names = [f"{name}_{part}" for name in FEATURES for part in ("count", "last")]
    evaluation = cases.evaluate(path, as_of=as_of, traits=names)
    rows = table_rows(evaluation, names)
    return {name: {row[0]: _plain(row[i + 1]) for row in rows} for i, name in enumerate(names)}


def expected_values(orders: list[tuple], visits: list[tuple], as_of: date
                    ) -> dict[str, dict[int, object]]:
    steps = {
        "product": lambda k: [t for c, t, p in visits if c == k and p == "product"],
        "orders": lambda k: [t for c, t, _ in orders if c == k],
        "big": lambda k: [t for c, t, a in orders if c == k and a is not None and a >= 10],
    }
    found: dict[str, dict[int, object]] = {}
    for name, (kind, first, then, within) in FEATURES.items():
        for key in KEYS:
            count, last = sequence(kind, steps[first](key), steps[then](key), within, as_of)
            found.setdefault(f"{name}_count", {})[key] = count
            found.setdefault(f"{name}_last", {})[key] = last
    return found


def _plain(value):
    if isinstance(value, str):  # an engine that returns timestamps as text
        return datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment in June 2026 (as_of is the 30th)."""
    return datetime(2026, 6, 1, hour, minute) + timedelta(days=day - 1)


def test_sequences_equal_timestamps_are_not_after(project):
    same = at(10)
    orders = [(1, same, 5.0), (2, same, 5.0), (2, at(10, 12, 1), 20.0)]
    visits = [(1, same, "product"), (2, same, "product")]
    got = sequence_values(project, orders, visits, AS_OF)
    assert got == expected_values(orders, visits, AS_OF)
    assert got["viewed_then_bought_count"][1] == 0  # an order at the same instant: not after
    assert got["viewed_then_no_order_count"][1] == 1
    assert got["viewed_then_bought_count"][2] == 1  # a minute later is after
    assert got["order_then_big_order_count"][2] == 1  # the 12:00 order, by the 12:01 one


def test_sequences_one_event_completes_several(project):
    orders = [(1, at(9), 5.0)]
    visits = [(1, at(3), "product"), (1, at(5), "product"), (1, at(8), "product"),
              (1, at(8), "product")]  # two views at one instant count twice
    got = sequence_values(project, orders, visits, AS_OF)
    assert got == expected_values(orders, visits, AS_OF)
    assert got["viewed_then_bought_count"][1] == 4
    assert got["viewed_then_first_order_count"][1] == 1  # the one order, after the last view
    assert got["viewed_then_bought_last"][1] == at(8)


def test_sequences_ignore_events_after_as_of(project):
    orders = [(1, at(5), 5.0), (1, datetime(2026, 7, 1, 0, 0), 50.0),
              (2, datetime(2026, 6, 30, 23, 59), 5.0)]
    visits = [(1, at(29), "product"), (2, datetime(2026, 7, 2), "product")]
    got = sequence_values(project, orders, visits, AS_OF)
    assert got == expected_values(orders, visits, AS_OF)
    # the order of July 1st is invisible on June 30th: no big order after the 5th
    assert got["order_then_big_order_count"][1] == 0
    # the view on the 29th: its 7 days end after as_of, so it is not (yet) abandoned
    assert got["viewed_then_no_order_count"][1] == 0
    assert got["viewed_then_bought_count"][2] == 0


def test_sequences_then_no_counts_windows_that_ended(project):
    orders = [(1, at(1), 5.0), (1, at(31 - 30), 5.0), (3, at(1), 5.0), (3, at(20), 5.0)]
    visits = [(1, at(22), "product"), (1, at(23), "product"), (4, at(2), "product")]
    got = sequence_values(project, orders, visits, AS_OF)
    assert got == expected_values(orders, visits, AS_OF)
    assert got["viewed_then_no_order_count"][1] == 2  # 22nd + 7 = 29th, 23rd + 7 = 30th
    assert got["viewed_then_no_order_count"][4] == 1
    assert got["order_then_no_order_count"][3] == 0  # 1st -> 20th; the 20th + 30 is later
    assert got["order_then_no_order_count"][4] == 0  # no orders: zero, not missing
    assert got["order_then_no_order_last"][4] is None


def test_sequences_of_empty_streams_are_zero(project):
    got = sequence_values(project, [], [], AS_OF)
    assert got == expected_values([], [], AS_OF)
    assert set(got["viewed_then_bought_count"].values()) == {0}


_moments = st.builds(lambda d, m: datetime(2026, 6, 1) + timedelta(days=d, minutes=m),
                     st.integers(0, 45), st.sampled_from([0, 0, 0, 1, 90, 720]))


@settings(max_examples=20, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    orders=st.lists(st.tuples(st.sampled_from(KEYS), _moments,
                              st.sampled_from([1.0, 10.0, 25.0])), max_size=10),
    visits=st.lists(st.tuples(st.sampled_from(KEYS), _moments,
                              st.sampled_from(["product", "home"])), max_size=10),
    as_of=st.dates(date(2026, 6, 5), date(2026, 7, 20)),
)
def test_sequences_match_a_direct_computation(project, orders, visits, as_of):
    assert sequence_values(project, orders, visits, as_of) == \
        expected_values(orders, visits, as_of)


DATED_HEAD = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_on {
  ordered_on date
}
feature gaps = count(orders then no orders within 2 days)
feature last_gap = last(orders then no orders within 2 days)
feature repeats = count(orders then first orders within 2 days)
segment everyone = true
"""


def test_sequences_over_a_date_column(project):
    """A time column of dates: two orders on one day are at one instant (neither is after
    the other), `within` counts days, and `last` is a date."""
    from . import test_semantics as cases

    orders = [(1, date(2026, 6, 1)), (1, date(2026, 6, 1)), (1, date(2026, 6, 3)),
              (1, date(2026, 6, 10)), (2, date(2026, 6, 29)), (3, date(2026, 6, 20)),
              (3, date(2026, 6, 22)), (3, date(2026, 7, 1))]
    path = project(DATED_HEAD, {
        "customers": [{"customer_id": k} for k in KEYS],
        "orders": [{"customer_id": c, "ordered_on": d} for c, d in orders],
    }, {"customers": {"customer_id": pl.Int64},
        "orders": {"customer_id": pl.Int64, "ordered_on": pl.Date}})
    evaluation = cases.evaluate(path, as_of=AS_OF, traits=["gaps", "last_gap", "repeats"])
    rows = table_rows(evaluation, ["gaps", "last_gap", "repeats"])
    got = {row[0]: (row[1], _plain(row[2]), row[3]) for row in rows}
    for key in KEYS:
        times = [d for c, d in orders if c == key]
        gaps, last_gap = sequence("then no", times, times, 2, AS_OF)
        repeats, _ = sequence("then first", times, times, 2, AS_OF)
        value = got[key][1]
        if isinstance(value, datetime):  # an engine that returns dates as timestamps
            value = value.date()
        assert (got[key][0], value, got[key][2]) == (gaps, last_gap, repeats), key
    # June 1st (twice) is followed on June 3rd, within 2 days; June 3rd and June 10th not
    assert got[1][0] == 2 and got[1][1] in (date(2026, 6, 10), datetime(2026, 6, 10))
    assert got[1][2] == 1  # June 3rd is the first after June 1st, within 2 days
    assert got[2][0] == 0  # June 29th: its two days end after as_of
