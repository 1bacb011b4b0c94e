"""The semantics LANGUAGE.md says must hold, each shown on DuckDB with a few rows."""

from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segl.runtime.api import evaluate

from tests.rows import segment_members

HEAD = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  city text
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at timestamp
  amount float
  channel text
}
"""
ORDER_SCHEMA = {"customer_id": pl.Int64, "ordered_at": pl.Datetime("us"), "amount": pl.Float64,
                "channel": pl.String}
CUSTOMER_SCHEMA = {"customer_id": pl.Int64, "city": pl.String}


def members(path, as_of, segment=None):
    evaluation = evaluate(path, as_of=as_of)
    names = [segment] if segment else evaluation.segments
    result = {}
    for name in names:
        result[name] = segment_members(evaluation, name)
    return result[segment] if segment else result


def write(project, segments, customers, orders):
    return project(HEAD + segments, {"customers": customers, "orders": orders},
                   {"customers": CUSTOMER_SCHEMA, "orders": ORDER_SCHEMA})


def order(customer, when, amount=10.0, channel="web"):
    return {"customer_id": customer, "ordered_at": when, "amount": amount, "channel": channel}


CUSTOMERS = [{"customer_id": i, "city": c} for i, c in
             [(1, "Amsterdam"), (2, "Utrecht"), (3, None), (4, "Amsterdam")]]


def test_events_after_as_of_are_invisible(project):
    path = write(project, "segment ordered = count(orders) > 0\n"
                          "segment big = sum(orders.amount) > 50\n", CUSTOMERS, [
        order(1, datetime(2026, 6, 30, 23, 59, 59)),  # the last moment of as_of counts
        order(2, datetime(2026, 7, 1, 0, 0, 0), 100),  # the first moment after does not
    ])
    result = members(path, date(2026, 6, 30))
    assert result == {"ordered": [1], "big": []}
    # a later run sees it: the same files give an honest backtest for any date
    assert members(path, date(2026, 7, 1)) == {"ordered": [1, 2], "big": [2]}


def test_windows_are_half_open_by_date(project):
    # in last 30 days at as_of 2026-06-30: 2026-05-31 < date(t) <= 2026-06-30
    path = write(project, "segment recent = count(orders) in last 30 days > 0\n", CUSTOMERS, [
        order(1, datetime(2026, 5, 31, 23, 59)),  # the lower bound day itself: out
        order(2, datetime(2026, 6, 1, 0, 0)),  # the first day in the window: in
        order(4, datetime(2026, 6, 30, 12, 0)),  # as_of itself: in
    ])
    assert members(path, date(2026, 6, 30), "recent") == [2, 4]


def test_month_windows_clamp_at_month_end(project):
    path = write(project, "segment recent = count(orders) in last 1 month > 0\n", CUSTOMERS, [
        order(1, datetime(2026, 2, 28, 12)),  # 2026-03-31 - 1 month = 2026-02-28: out
        order(2, datetime(2026, 3, 1, 0)),  # in
    ])
    assert members(path, date(2026, 3, 31), "recent") == [2]


def test_fixed_windows(project):
    path = write(project, """
segment in_range = count(orders) from 2026-01-01 to 2026-01-31 > 0
segment since_feb = count(orders) since 2026-02-01 > 0
segment before_feb = count(orders) before 2026-02-01 > 0
""", CUSTOMERS, [
        order(1, datetime(2026, 1, 31, 23, 0)),  # the last day of the range is included
        order(2, datetime(2026, 2, 1, 0, 0)),  # `before` excludes its date; `since` includes
        order(4, datetime(2025, 12, 31, 23, 59)),
    ])
    assert members(path, date(2026, 6, 30)) == {
        "in_range": [1], "since_feb": [2], "before_feb": [1, 4],
    }


def test_zero_is_a_value_for_count_and_sum(project):
    path = write(project, """
segment at_most_one = count(orders) <= 1
segment spent_nothing = sum(orders.amount) = 0
segment avg_missing = avg(orders.amount) is missing
segment avg_small = avg(orders.amount) < 100
""", CUSTOMERS, [order(1, datetime(2026, 1, 1)), order(1, datetime(2026, 1, 2)),
                 order(2, datetime(2026, 1, 1))])
    result = members(path, date(2026, 6, 30))
    # customers 3 and 4 never ordered: count 0 and sum 0 admit them, avg is missing
    assert result["at_most_one"] == [2, 3, 4]
    assert result["spent_nothing"] == [3, 4]
    assert result["avg_missing"] == [3, 4]
    assert result["avg_small"] == [1, 2]


def test_a_null_predicate_does_not_admit(project):
    path = write(project, """
segment not_amsterdam = city != "Amsterdam"
segment negated = not (city = "Amsterdam")
segment no_city = city is missing
segment amsterdam = city = "Amsterdam"
segment not_in_amsterdam_segment = not amsterdam
""", CUSTOMERS, [])
    result = members(path, date(2026, 6, 30))
    assert result["not_amsterdam"] == [2]  # customer 3 (no city) is not admitted
    assert result["negated"] == [2]
    assert result["no_city"] == [3]
    # a segment is a set: not in it includes those whose predicate was null
    assert result["not_in_amsterdam_segment"] == [2, 3]


def test_top_percent_is_deterministic_under_ties(project, tmp_path):
    customers = [{"customer_id": i, "city": "x"} for i in range(1, 11)]
    orders = [order(i, datetime(2026, 1, 1), 50.0) for i in range(10, 0, -1)]  # all equal
    path = write(project, "segment top = top 20% by sum(orders.amount)\n", customers, orders)
    first = members(path, date(2026, 6, 30), "top")
    assert first == [1, 2]  # ties broken by key, ascending
    # the same data in another row order gives the same members
    pl.DataFrame(list(reversed(orders)), schema=ORDER_SCHEMA).write_parquet(
        tmp_path / "data" / "orders.parquet")
    assert members(path, date(2026, 6, 30), "top") == first


def test_top_percent_rounds_down_and_skips_missing(project):
    customers = [{"customer_id": i, "city": "x"} for i in range(1, 8)]
    orders = [order(i, datetime(2026, 1, 1), float(i)) for i in range(1, 8)]
    path = write(project, """
segment top = top 20% by sum(orders.amount)
segment bottom = bottom 2 by max(orders.amount)
segment top_of_big = top 50% by sum(orders.amount) among sum(orders.amount) >= 4
""", customers, orders)
    result = members(path, date(2026, 6, 30))
    assert result["top"] == [7]  # 20% of 7 is 1.4: one customer
    assert result["bottom"] == [1, 2]
    assert result["top_of_big"] == [6, 7]  # 50% of the four with at least 4


LOOKUP = """
lookup channel_info from parquet "data/channels.parquet" key name for orders.channel {
  name text
  kind text
}
"""


def test_a_lookup_read_only_through_conditions_is_joined_reduced_exactly(project):
    # web is online, shop offline, app has no kind (null), phone has no lookup row
    channels = [{"name": "web", "kind": "online"}, {"name": "shop", "kind": "offline"},
                {"name": "app", "kind": None}]
    orders = [order(1, datetime(2026, 1, 1), channel="web"),
              order(2, datetime(2026, 1, 1), channel="shop"),
              order(3, datetime(2026, 1, 1), channel="app"),
              order(4, datetime(2026, 1, 1), 200.0, channel="phone")]
    tables = {"customers": CUSTOMERS, "orders": orders, "channels": channels}
    schema = {"customers": CUSTOMER_SCHEMA, "orders": ORDER_SCHEMA,
              "channels": {"name": pl.String, "kind": pl.String}}
    # the plan joins channel_info reduced to its online rows here (tests/plan checks)...
    reduced = project(HEAD + LOOKUP + """
segment online = count(orders where channel_info.kind = "online") >= 1
segment online_or_big = count(orders where channel_info.kind = "online" or amount > 100) >= 1
""", tables, schema, name="reduced.seg")
    assert members(reduced, date(2026, 6, 30)) == {"online": [1], "online_or_big": [1, 4]}
    # ...but not when the condition sits under a `not` of more than the lookup: reduced,
    # shop's offline kind would read as missing and customer 2 would drop out
    whole = project(HEAD + LOOKUP + """
segment not_online = count(orders where not (channel_info.kind = "online" and amount > 5)) >= 1
""", tables, schema, name="whole.seg")
    assert members(whole, date(2026, 6, 30)) == {"not_online": [2]}


def test_first_last_and_most_frequent_tie_breaks(project):
    path = write(project, """
feature first_channel = first(orders.channel)
feature last_channel = last(orders.channel)
feature usual = most_frequent(orders.channel)
segment first_app = first_channel = "app"
segment last_web = last_channel = "web"
segment usually_app = usual = "app"
""", CUSTOMERS, [
        order(1, datetime(2026, 1, 1), channel="web"),
        order(1, datetime(2026, 1, 1), channel="app"),  # same moment: smallest value first
        order(1, datetime(2026, 2, 1), channel="store"),
        order(2, datetime(2026, 1, 1), channel="web"),
        order(2, datetime(2026, 3, 1), channel="app"),
        order(2, datetime(2026, 3, 1), channel="web"),  # same moment: largest value last
        order(4, datetime(2026, 1, 1), channel="web"),
        order(4, datetime(2026, 1, 2), channel="app"),  # one each: smallest value wins
    ])
    result = members(path, date(2026, 6, 30))
    assert result["first_app"] == [1]
    assert result["last_web"] == [2]
    assert result["usually_app"] == [1, 4]  # one of each: the smallest value wins


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offsets=st.lists(st.tuples(st.integers(1, 4), st.integers(-400, 40), st.integers(0, 86399)),
                     max_size=30),
    window=st.integers(1, 400),
    threshold=st.integers(0, 3),
    as_of=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
)
def test_window_counts_match_a_direct_computation(project, offsets, window, threshold, as_of):
    rows = [order(c, datetime.combine(as_of, datetime.min.time())
                  + timedelta(days=d, seconds=s)) for c, d, s in offsets]
    path = write(project, f"segment hit = count(orders) in last {window} days > {threshold}\n",
                 CUSTOMERS, rows)
    expected = []
    for customer in (1, 2, 3, 4):
        count = sum(1 for r in rows if r["customer_id"] == customer
                    and as_of - timedelta(days=window) < r["ordered_at"].date() <= as_of)
        if count > threshold:
            expected.append(customer)
    assert members(path, as_of, "hit") == expected


@pytest.mark.parametrize("as_of,birth,age", [
    (date(2026, 6, 30), date(2000, 6, 30), 26),  # birthday today: older
    (date(2026, 6, 29), date(2000, 6, 30), 25),  # the day before: not yet
    (date(2027, 2, 28), date(2000, 2, 29), 26),  # leap-day birthday: not yet on Feb 28
    (date(2027, 3, 1), date(2000, 2, 29), 27),
])
def test_years_between_counts_like_an_age(project, as_of, birth, age):
    path = project("""
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  birth_date date
}
feature age = years_between(birth_date, as_of)
segment exact = age = """ + str(age) + "\n",
                   {"customers": [{"customer_id": 1, "birth_date": birth}]})
    assert members(path, as_of, "exact") == [1]


@pytest.mark.parametrize("as_of,joined,months", [
    (date(2025, 12, 31), date(2024, 3, 2), 21),  # across a year: 12 - 3 + 12 months
    (date(2025, 12, 31), date(2024, 1, 31), 23),
    (date(2026, 2, 28), date(2026, 1, 31), 0),  # 31 January: a month is not yet over
    (date(2026, 3, 31), date(2026, 1, 31), 2),
    (date(2026, 6, 30), date(2026, 7, 1), -1),  # in the future: negative
])
def test_months_between_counts_whole_calendar_months(project, as_of, joined, months):
    path = project("""
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  joined date
}
feature tenure = months_between(joined, as_of)
segment exact = tenure = """ + str(months) + "\n",
                   {"customers": [{"customer_id": 1, "joined": joined}]})
    assert members(path, as_of, "exact") == [1]


# ---------------------------------------------------------------- catalogue statistics

STAT_ORDERS = [  # per customer: amounts (channel web unless marked), one missing amount
    (1, [1.0, 2.0, 3.5, 10.0]), (2, [4.0]), (4, [2.25, None, 7.125, 0.5, 3.0, 3.0, 11.0]),
]


def _python_percentile(values, p):
    """An independent percentile_cont: statistics' inclusive quantiles (R-7)."""
    import statistics
    present = sorted(v for v in values if v is not None)
    if not present:
        return None
    if len(present) == 1 or p in (0, 1):
        return present[0] if p == 0 or len(present) == 1 else present[-1]
    cuts = statistics.quantiles(present, n=100, method="inclusive")  # p = 0.01 .. 0.99
    return cuts[round(p * 100) - 1]


def _python_stddev(values):
    import statistics
    present = [v for v in values if v is not None]
    return statistics.stdev(present) if len(present) >= 2 else None


@pytest.mark.parametrize("feature,compute", [
    ("median(orders.amount)", lambda v: _python_percentile(v, 0.5)),
    ("percentile(orders.amount, 0.25)", lambda v: _python_percentile(v, 0.25)),
    ("percentile(orders.amount, 0.9)", lambda v: _python_percentile(v, 0.9)),
    ("percentile(orders.amount, 1)", lambda v: _python_percentile(v, 1)),
    ("stddev(orders.amount)", _python_stddev),
])
def test_statistics_equal_an_independent_computation(project, feature, compute):
    # median and percentile interpolate like percentile_cont; stddev is the sample one
    lines = [f"feature stat = {feature}"]
    expected = {}
    for customer in (1, 2, 3, 4):
        amounts = dict(STAT_ORDERS).get(customer, [])
        value = compute(amounts)
        test = "stat is missing" if value is None else \
            f"stat > {value - 1e-6!r} and stat < {value + 1e-6!r}"
        lines.append(f"segment s{customer} = customer_id = {customer} and {test}")
        expected[f"s{customer}"] = [customer]
    rows = [order(c, datetime(2026, 1, 1 + i), a) for c, amounts in STAT_ORDERS
            for i, a in enumerate(amounts)]
    path = write(project, "\n".join(lines) + "\n", CUSTOMERS, rows)
    assert members(path, date(2026, 6, 30)) == expected


def test_statistics_filter_and_window(project):
    # `where` and windows admit rows as for every aggregate; under two values stddev is missing
    path = write(project, """
feature web_median = median(orders.amount where channel = "web") in last 30 days
feature web_spread = stddev(orders.amount where channel = "web")
segment median_is_3 = web_median = 3
segment no_spread = web_spread is missing
""", CUSTOMERS, [
        order(1, datetime(2026, 6, 20), 2.0), order(1, datetime(2026, 6, 21), 4.0),
        order(1, datetime(2026, 6, 22), 100.0, "app"),  # not web
        order(1, datetime(2026, 1, 1), 50.0),  # out of the window, but web
        order(2, datetime(2026, 6, 20), 3.0), order(2, datetime(2026, 6, 21), 9.0, "app"),
    ])
    assert members(path, date(2026, 6, 30)) == {"median_is_3": [1, 2], "no_spread": [2, 3, 4]}


@pytest.mark.parametrize("start,end,weeks", [
    (date(2026, 6, 1), date(2026, 6, 14), 1),  # 13 days
    (date(2026, 6, 1), date(2026, 6, 15), 2),  # 14 days
    (date(2026, 6, 15), date(2026, 6, 1), -2),
    (date(2026, 6, 14), date(2026, 6, 1), -1),  # -13 days: toward zero
    (date(2026, 6, 1), date(2026, 6, 7), 0),
])
def test_weeks_between_is_whole_weeks_toward_zero(project, start, end, weeks):
    assert weeks == int((end - start).days / 7)  # the definition, independently
    path = project("""
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  joined date
  left date
}
feature weeks = weeks_between(joined, left)
segment exact = weeks = """ + str(weeks) + "\n",
                   {"customers": [{"customer_id": 1, "joined": start, "left": end}]})
    assert members(path, date(2026, 6, 30), "exact") == [1]


def test_statistics_beside_a_folded_through_table(project):
    # lines fold their partial counts into orders' pass, which also computes the median
    path = project("""
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  order_id int
  ordered_at timestamp
  amount float
}
events lines from parquet "data/lines.parquet" through orders on order_id = order_id {
  order_id int
  qty int
}
feature typical = median(orders.amount)
feature line_median = median(lines.qty)
segment both = typical = 15 and count(lines) = 3 and line_median = 2
""", {"customers": [{"customer_id": 1}, {"customer_id": 2}],
      "orders": [{"customer_id": 1, "order_id": 10, "ordered_at": datetime(2026, 1, 1),
                  "amount": 10.0},
                 {"customer_id": 1, "order_id": 11, "ordered_at": datetime(2026, 1, 2),
                  "amount": 20.0},
                 {"customer_id": 2, "order_id": 12, "ordered_at": datetime(2026, 1, 2),
                  "amount": 15.0}],
      "lines": [{"order_id": 10, "qty": 1}, {"order_id": 10, "qty": 2},
                {"order_id": 11, "qty": 5}, {"order_id": 12, "qty": 2}]})
    assert members(path, date(2026, 6, 30), "both") == [1]


# ---- segmentations as values (issue 13 item 3): buckets and scores read by other definitions
SEGMENTATION_VALUES = """
feature spend = sum(orders.amount)
feature n_orders = count(orders)
segmentation value_tier {
  score s by spend higher is better into 3 thresholds (20, 50)
  high when s = 3
  mid when s = 2
  else low
}
segmentation engaged {
  active when n_orders >= 2 and value_tier in (high, mid)
  else idle
}
feature tier_plus_one = value_tier.s + 1
segment high_ams = value_tier is high and city = "Amsterdam"
segment not_low = value_tier not in (low)
segment scored_two_up = tier_plus_one >= 3
segment active = engaged is active
segment named_mid = value_tier = "mid"
"""


def expected_segmentation_values(orders: list[dict], as_of: date) -> dict[str, list[int]]:
    """The same definitions in plain Python: sums over visible orders, then buckets."""
    spend = {c["customer_id"]: 0.0 for c in CUSTOMERS}
    count = {c["customer_id"]: 0 for c in CUSTOMERS}
    for row in orders:
        if row["ordered_at"].date() <= as_of:
            spend[row["customer_id"]] += row["amount"]
            count[row["customer_id"]] += 1
    score = {k: 1 + sum(v >= t for t in (20, 50)) for k, v in spend.items()}
    tier = {k: {3: "high", 2: "mid"}.get(s, "low") for k, s in score.items()}
    city = {c["customer_id"]: c["city"] for c in CUSTOMERS}
    engaged = {k: "active" if count[k] >= 2 and tier[k] in ("high", "mid") else "idle"
               for k in tier}
    keys = sorted(tier)
    return {
        "high_ams": [k for k in keys if tier[k] == "high" and city[k] == "Amsterdam"],
        "not_low": [k for k in keys if tier[k] != "low"],
        "scored_two_up": [k for k in keys if score[k] + 1 >= 3],
        "active": [k for k in keys if engaged[k] == "active"],
        "named_mid": [k for k in keys if tier[k] == "mid"],
    }


def test_segmentation_buckets_and_scores_as_values(project):
    orders = [
        order(1, datetime(2026, 6, 1), 30.0), order(1, datetime(2026, 6, 2), 20.0),  # 50: high
        order(2, datetime(2026, 6, 3), 20.0),  # exactly the first threshold: mid, one order
        order(3, datetime(2026, 6, 4), 10.0), order(3, datetime(2026, 6, 5), 15.0),  # 25: mid
        order(4, datetime(2026, 6, 6), 60.0),  # high, one order
        order(2, datetime(2026, 7, 1), 500.0),  # after as_of: invisible
    ]
    path = write(project, SEGMENTATION_VALUES, CUSTOMERS, orders)
    got = members(path, date(2026, 6, 30))
    want = expected_segmentation_values(orders, date(2026, 6, 30))
    assert got == want
    assert all(want.values())  # no segment is trivially empty
    # a later as_of sees customer 2's big order: it moves to `high`
    assert members(path, date(2026, 7, 1)) == expected_segmentation_values(orders,
                                                                             date(2026, 7, 1))


# ---- correlated conditions: an aggregate's `where` and window read the entity's values
CORRELATED = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  signed_up date
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at timestamp
  amount float
  channel text
}
feature first_order = min(orders.ordered_at)
feature after_first = count(orders where ordered_at > first_order)
feature spend_after_first = sum(orders.amount where ordered_at > first_order)
feature since_signup = count(orders) since signed_up
feature last_big = max(orders.ordered_at where amount >= 50)
feature small_after_big = count(orders where amount < 50 and ordered_at > last_big)
segment came_back = after_first > 0
segment spent_again = spend_after_first > 20
segment active_since_signup = since_signup > 1
segment small_after_big_one = small_after_big > 0
"""


def correlated_expected(customers, rows, as_of):
    """The four segments of CORRELATED computed directly from the rows."""
    expected = {"came_back": [], "spent_again": [], "active_since_signup": [],
                "small_after_big_one": []}
    for customer in customers:
        key = customer["customer_id"]
        mine = [r for r in rows if r["customer_id"] == key and r["ordered_at"].date() <= as_of]
        first = min((r["ordered_at"] for r in mine), default=None)
        later = [r for r in mine if first is not None and r["ordered_at"] > first]
        signed = customer["signed_up"]
        since = [r for r in mine if signed is not None and r["ordered_at"].date() >= signed]
        last_big = max((r["ordered_at"] for r in mine if r["amount"] >= 50), default=None)
        small = [r for r in mine if last_big is not None and r["amount"] < 50
                 and r["ordered_at"] > last_big]
        for name, hit in (("came_back", later), ("spent_again",
                                                   sum(r["amount"] for r in later) > 20),
                          ("active_since_signup", len(since) > 1),
                          ("small_after_big_one", small)):
            if hit:
                expected[name].append(key)
    return expected


def write_correlated(project, customers, rows):
    return project(CORRELATED, {"customers": customers, "orders": rows}, {
        "customers": {"customer_id": pl.Int64, "signed_up": pl.Date}, "orders": ORDER_SCHEMA})


def test_correlated_conditions_ties_and_after_as_of(project):
    customers = [{"customer_id": 1, "signed_up": date(2026, 6, 1)},
                 {"customer_id": 2, "signed_up": date(2026, 6, 10)},
                 {"customer_id": 3, "signed_up": None},
                 {"customer_id": 4, "signed_up": date(2026, 1, 1)}]
    t = datetime(2026, 6, 5, 12)
    rows = [
        order(1, t, 60), order(1, t, 10),  # the same moment as the first order: not after
        order(2, t, 10), order(2, t + timedelta(seconds=1), 30),  # one second later: after
        order(2, datetime(2026, 6, 10, 0), 60),  # on the signup day itself: since counts it
        order(2, datetime(2026, 6, 12), 5),  # small after the last big one
        order(3, t, 10), order(3, t + timedelta(days=1), 70),  # no signup date: none since
        order(4, datetime(2026, 7, 1), 99),  # after as_of: invisible, even as a first order
    ]
    result = members(write_correlated(project, customers, rows), date(2026, 6, 30))
    assert result == correlated_expected(customers, rows, date(2026, 6, 30))
    assert result == {"came_back": [2, 3], "spent_again": [2, 3], "active_since_signup": [1, 2],
                      "small_after_big_one": [2]}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(st.tuples(st.integers(1, 4), st.integers(-60, 5), st.sampled_from([0, 3600]),
                              st.sampled_from([10.0, 60.0])), max_size=25),
    signups=st.lists(st.one_of(st.none(), st.integers(-60, 5)), min_size=4, max_size=4),
    as_of=st.dates(date(2025, 1, 1), date(2026, 12, 31)),
)
def test_correlated_conditions_match_a_direct_computation(project, events, signups, as_of):
    # few distinct moments: equal timestamps are common; days after as_of are in the data
    customers = [{"customer_id": i + 1, "signed_up": None if s is None
                  else as_of + timedelta(days=s)} for i, s in enumerate(signups)]
    rows = [order(c, datetime.combine(as_of, datetime.min.time()) + timedelta(days=d, seconds=s),
                  amount) for c, d, s, amount in events]
    result = members(write_correlated(project, customers, rows), as_of)
    assert result == correlated_expected(customers, rows, as_of)


# ---- calendar windows: periods relative to as_of, the period before a rolling window
CALENDAR = """
feature this_quarter = count(orders) in this quarter
feature last_month = count(orders) in last month
feature last_year = sum(orders.amount) in last year
feature recent = count(orders) in last 20 days
feature before_recent = count(orders) in previous 20 days
feature streak = count(orders) in each of the last 3 months
segment q = this_quarter > 0
segment lm = last_month > 1
segment ly = last_year >= 20
segment declining = recent < before_recent
segment every_month = streak > 0
"""


def _month_index(day):
    return day.year * 12 + day.month - 1


def calendar_expected(rows, as_of):
    seen = [r for r in rows if r["ordered_at"].date() <= as_of]
    now = _month_index(as_of)
    expected = {"q": [], "lm": [], "ly": [], "declining": [], "every_month": []}
    for customer in (1, 2, 3, 4):
        days = [(r["ordered_at"].date(), r["amount"]) for r in seen if r["customer_id"] == customer]
        quarter = [d for d, _ in days if d.year == as_of.year
                   and (d.month - 1) // 3 == (as_of.month - 1) // 3]
        last_month = [d for d, _ in days if _month_index(d) == now - 1]
        last_year = sum(a for d, a in days if d.year == as_of.year - 1)
        recent = [d for d, _ in days if as_of - timedelta(days=20) < d]
        before = [d for d, _ in days
                  if as_of - timedelta(days=40) < d <= as_of - timedelta(days=20)]
        months = [sum(1 for d, _ in days if _month_index(d) == now - k) for k in (1, 2, 3)]
        for name, hit in (("q", quarter), ("lm", len(last_month) > 1), ("ly", last_year >= 20),
                          ("declining", len(recent) < len(before)),
                          ("every_month", min(months) > 0)):
            if hit:
                expected[name].append(customer)
    return expected


def test_calendar_windows_at_period_edges(project):
    path = write(project, CALENDAR, CUSTOMERS, [
        order(1, datetime(2026, 4, 1, 0, 0)),  # the quarter's first moment (as_of in Q2)
        order(2, datetime(2026, 3, 31, 23, 59)),  # the last moment of Q1: last month
        order(2, datetime(2026, 3, 1, 0, 0)),
        order(2, datetime(2026, 2, 14, 12)), order(2, datetime(2026, 1, 31, 9)),
        order(3, datetime(2025, 12, 31, 23, 59), 25.0),  # last year
        order(4, datetime(2026, 5, 1, 0, 0)),  # after as_of: invisible
    ])
    as_of = date(2026, 4, 30)
    result = members(path, as_of)
    assert result == calendar_expected(read_rows(path), as_of)
    assert result == {"q": [1], "lm": [2], "ly": [3], "declining": [1, 2],
                      "every_month": [2]}


def read_rows(path):
    frame = pl.read_parquet(path.parent / "data" / "orders.parquet")
    return frame.to_dicts()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(st.tuples(st.integers(1, 4), st.integers(-420, 10), st.integers(0, 86399)),
                    max_size=30),
    as_of=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
)
def test_calendar_windows_match_a_direct_computation(project, events, as_of):
    rows = [order(c, datetime.combine(as_of, datetime.min.time()) + timedelta(days=d, seconds=s))
            for c, d, s in events]
    path = write(project, CALENDAR, CUSTOMERS, rows)
    assert members(path, as_of) == calendar_expected(rows, as_of)


# Event sequences: their cases live in sequence_cases.py; imported here so that every
# engine's run of this module (tests/engines, tests/polars) runs them too.
from .sequence_cases import (  # noqa: E402, F401
    test_sequences_equal_timestamps_are_not_after,
    test_sequences_ignore_events_after_as_of,
    test_sequences_match_a_direct_computation,
    test_sequences_of_empty_streams_are_zero,
    test_sequences_one_event_completes_several,
    test_sequences_over_a_date_column,
    test_sequences_then_no_counts_windows_that_ended,
)
