"""Property: random small datasets and random segment predicates give the same members,
buckets and scores on DuckDB and on Polars.

The data has what makes engines differ: missing values everywhere, events around month
ends and on the as_of boundary, equal values (ties in rankings and scores), events of
unknown entities, floats that are not exact in binary, and text that differs only by case or
a trailing space. The predicates are drawn from a small grammar covering aggregates with
filters and windows, first/last/most_frequent, arithmetic and division, date functions,
text predicates, three-valued logic, rankings with `among`, and scores.
"""

import os
from datetime import date, datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segl.runtime.api import evaluate

HEAD = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  city text
  age int
  score float
  joined date
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at timestamp
  amount float
  channel text
}
"""
CUSTOMER_SCHEMA = {"customer_id": pl.Int64, "city": pl.String, "age": pl.Int64,
                   "score": pl.Float64, "joined": pl.Date}
ORDER_SCHEMA = {"customer_id": pl.Int64, "ordered_at": pl.Datetime("us"),
                "amount": pl.Float64, "channel": pl.String}

MONTH_ENDS = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2025, 2, 28),
              date(2025, 12, 31), date(2026, 6, 30)]
CITIES = [None, "Amsterdam", "amsterdam", "Amsterdam ", "Utrecht", "Den Haag"]
CHANNELS = [None, "web", "app", "store", "a_b%", "Web"]
AMOUNTS = [None, 0.0, 0.1, 0.2, 0.3, 10.0, 10.5, 99.99, -5.25, 1e-10]
SCORES = [None, 0.0, 1.5, 2.25, -3.0, 10.0, 0.1]

NUMBERS = [
    "count(orders)", 'count(orders where channel = "web")', "count(orders.amount)",
    "count(distinct orders.channel)", "sum(orders.amount)", "sum(orders.amount) in last 30 days",
    "sum(orders.amount where amount > 0) in last 1 month", "count(orders) in last 2 months",
    "count(orders) in last 1 year", "count(orders) from 2024-02-01 to 2024-02-29",
    "count(orders) since 2025-03-01", "count(orders) before 2024-03-01",
    "avg(orders.amount)", "min(orders.amount)", "max(orders.amount) in last 90 days",
    "first(orders.amount)", "last(orders.amount)", "most_frequent(orders.amount)",
    "age", "score", "coalesce(score, 0)", "round(score, 1)", "abs(score)", "least(age, 40)",
    "greatest(score, 1)", "sum(orders.amount) / count(orders)", "age / 3", "score * 2 - age",
    "-score", "days_since(max(orders.ordered_at))", "months_between(joined, as_of)",
    "years_between(joined, as_of)", "days_between(joined, date(min(orders.ordered_at)))",
    "year(joined)", "month(joined)", "length(city)",
    "case when age > 30 then score when age > 20 then 1 end",
]
TEXTS = ["city", "lower(city)", "upper(city)", "first(orders.channel)", "last(orders.channel)",
         "most_frequent(orders.channel)", "min(orders.channel)"]
NUMBER_LITERALS = ["0", "1", "2", "3", "10", "10.5", "-1", "2.25", "0.3", "30"]
TEXT_LITERALS = ['"Amsterdam"', '"amsterdam"', '"web"', '"app"', '"a_b%"', '""', '"Web"']


def conditions() -> st.SearchStrategy[str]:
    number, text = st.sampled_from(NUMBERS), st.sampled_from(TEXTS)
    op = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    literal, word = st.sampled_from(NUMBER_LITERALS), st.sampled_from(TEXT_LITERALS)
    leaves = st.one_of(
        st.builds("{} {} {}".format, number, op, literal),
        st.builds("{} {} {}".format, number, op, number),
        st.builds("{} between {} and {}".format, number, literal, literal),
        st.builds("{} {} {}".format, text, op, word),
        st.builds("{} in ({}, {})".format, text, word, word),
        st.builds("{} not in ({}, {})".format, number, literal, literal),
        st.builds("{} {} {}".format, text, st.sampled_from(
            ["contains", "starts with", "ends with", "like"]), st.sampled_from(
            ['"am"', '"A"', '"%a_"', '"a_b%"', '"_e%"', '""', '"%"'])),
        st.builds("{} is {}".format, st.one_of(number, text), st.sampled_from(
            ["missing", "present"])),
        st.builds("{} {} by {}".format, st.sampled_from(["top", "bottom"]),
                  st.sampled_from(["1", "2", "3", "20%", "50%", "33.3%", "100%"]), number),
        st.builds("top {}% by {} among ({})".format, st.sampled_from(["25", "50", "100"]),
                  number, st.builds("{} {} {}".format, number, op, literal)),
        st.sampled_from(["max(orders.ordered_at) >= as_of - 1 month",
                         "joined + 1 month <= as_of", "date(max(orders.ordered_at)) = as_of",
                         "min(orders.ordered_at) < joined"]),
    )
    return st.recursive(leaves, lambda inner: st.one_of(
        st.builds("({} and {})".format, inner, inner),
        st.builds("({} or {})".format, inner, inner),
        st.builds("not ({})".format, inner),
    ), max_leaves=4)


customers = st.lists(st.tuples(st.sampled_from(CITIES), st.one_of(st.none(), st.integers(0, 60)),
                               st.sampled_from(SCORES), st.sampled_from(MONTH_ENDS),
                               st.integers(-40, 3)),
                     min_size=1, max_size=8)
orders = st.lists(st.tuples(st.integers(1, 9), st.sampled_from(MONTH_ENDS), st.integers(-70, 2),
                            st.sampled_from([0, 1, 43_200, 86_399]), st.sampled_from(AMOUNTS),
                            st.sampled_from(CHANNELS)), max_size=25)


# More examples for a thorough hunt: SEGL_PROPERTY_EXAMPLES=1000 pytest tests/polars
EXAMPLES = int(os.environ.get("SEGL_PROPERTY_EXAMPLES", "40"))


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(customer_rows=customers, order_rows=orders, predicates=st.lists(conditions(), min_size=1,
       max_size=3), score_by=st.sampled_from(NUMBERS), method=st.sampled_from(
       ["ntile", "quantile", "thresholds (0, 2.25)"]), higher=st.booleans(),
       as_of=st.sampled_from(MONTH_ENDS))
def test_duckdb_and_polars_give_the_same_members(project, customer_rows, order_rows, predicates,
                                                 score_by, method, higher, as_of):
    segments = "".join(f"segment s{i} = {p}\n" for i, p in enumerate(predicates))
    segmentation = (f"segmentation g {{\n  score v by {score_by} "
                    f"{'higher' if higher else 'lower'} is better into 3 {method}\n"
                    f"  high when v = 3\n  mid when v >= 2 or s0\n  else low\n}}\n")
    customer_data = [{"customer_id": i, "city": city, "age": age, "score": score,
                      "joined": end + timedelta(days=shift)}
                     for i, (city, age, score, end, shift) in enumerate(customer_rows, 1)]
    order_data = [{"customer_id": c, "amount": amount, "channel": channel,
                   "ordered_at": datetime.combine(end + timedelta(days=shift), datetime.min.time())
                   + timedelta(seconds=second)}
                  for c, end, shift, second, amount, channel in order_rows]
    path = project(HEAD + segments + segmentation,
                   {"customers": customer_data, "orders": order_data},
                   {"customers": CUSTOMER_SCHEMA, "orders": ORDER_SCHEMA})
    on_duckdb = evaluate(path, as_of=as_of)
    on_polars = evaluate(path, as_of=as_of, engine="polars")
    query = f"SELECT * FROM {on_duckdb.table} ORDER BY 1"
    assert on_polars.connection.execute(query).fetchall() == \
        on_duckdb.connection.execute(query).fetchall()
    assert on_polars.sizes == on_duckdb.sizes and on_polars.buckets == on_duckdb.buckets
