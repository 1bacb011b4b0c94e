"""Where engines differ by default, segl's SQL makes them agree. Each case below pins one
such difference with a few rows and the members the language reference defines, on every
engine (DuckDB included). docs/engines.md lists what the compiler and adapters do for each."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest
from segl.runtime.api import evaluate

from tests.rows import segment_members

from .conftest import OTHER_ENGINES, engine_params

ENGINES = engine_params(["duckdb", *OTHER_ENGINES])

HEAD = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  city text
  code text
  born date
  a int
  b int
  score float
  balance decimal
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at timestamp
  amount decimal
}
"""
CUSTOMER_SCHEMA = {"customer_id": pl.Int64, "city": pl.String, "code": pl.String,
                   "born": pl.Date, "a": pl.Int64, "b": pl.Int64, "score": pl.Float64,
                   "balance": pl.Decimal(12, 2)}
ORDER_SCHEMA = {"customer_id": pl.Int64, "ordered_at": pl.Datetime("us"),
                "amount": pl.Decimal(12, 2)}
CUSTOMERS = [
    # id, city, code, born, a, b, score, balance
    (1, "Amsterdam", "AB", date(1969, 12, 31), 7, 2, 3.5, Decimal("10.10")),
    (2, "amsterdam", "AB ", date(1970, 1, 1), 2, 5, None, Decimal("20.20")),
    (3, "Zürich", "ab", date(1900, 3, 1), 1, 3, 1.25, Decimal("0.30")),
    (4, "ÉCOLE", "", date(2000, 2, 29), 4, 0, 3.5, None),
    (5, None, None, None, None, 2, 2.0, Decimal("-5.00")),
]


def members(project, engine, engine_options, segments: str, orders=(), as_of=date(2026, 6, 30)):
    customers = [dict(zip(CUSTOMER_SCHEMA, row, strict=True)) for row in CUSTOMERS]
    orders = [{"customer_id": c, "ordered_at": t, "amount": Decimal(a)} for c, t, a in orders]
    path = project(HEAD + segments, {"customers": customers, "orders": orders},
                   {"customers": CUSTOMER_SCHEMA, "orders": ORDER_SCHEMA})
    evaluation = evaluate(path, as_of=as_of, engine=engine, engine_options=engine_options)
    result = {}
    for name in evaluation.segments:
        result[name] = segment_members(evaluation, name)
    return result


@pytest.mark.parametrize("engine", ENGINES)
def test_text_compares_by_code_point_with_case_and_spaces(project, engine, engine_options):
    result = members(project, engine, engine_options, """
segment exact = city = "Amsterdam"
segment lower_case = city = "amsterdam"
segment trailing_space = code = "AB "
segment no_space = code = "AB"
segment empty = code = ""
segment umlaut = city = "Zürich"
segment before_lowercase = city < "a"
segment after_z = city > "Z"
segment starts = city starts with "Zü"
segment contains = city contains "ür"
segment like_pattern = city like "_msterdam"
segment chars = length(city) = 6
segment lowered = lower(city) = "école"
segment uppered = upper(city) = "ZÜRICH"
""")
    assert result == {
        "exact": [1], "lower_case": [2], "trailing_space": [2], "no_space": [1],
        "empty": [4], "umlaut": [3],
        # code point order: upper case before lower case, accented letters after both
        "before_lowercase": [1, 3], "after_z": [2, 3, 4],
        "starts": [3], "contains": [3], "like_pattern": [1, 2],
        "chars": [3],  # characters, not bytes ("Zürich" is 7 bytes)
        "lowered": [4], "uppered": [3],  # case mapping of letters beyond ASCII
    }


TEXTS = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  name text
  pattern text
}
"""
TEXT_ROWS = [
    (1, "Amsterdam", "am%"), (2, "amsterdam", "Am%"), (3, "AMSTERDAM", "%DAM"),
    (4, "100% wol", "100%"), (5, "a_b", "a?b"), (6, "a*b?", "a*b?"), (7, "[x]", "[x]"),
    (8, "aXb", None), (9, "aXb", "a_b"), (10, "a\\b", "a\\_"), (11, "a%", None),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_text_matching_is_case_sensitive_and_wildcards_mean_what_they_say(
        project, engine, engine_options):
    # SQLite's LIKE ignores ASCII case and its GLOB has wildcards of its own (* ? [...]);
    # PostgreSQL, Spark and ClickHouse take a backslash as LIKE's escape character: none of
    # it may leak into segl's `like`, `contains`, `starts with` and `ends with`.
    path = project(TEXTS + """
segment like_lower = name like "am%"
segment like_upper = name like "AM%"
segment starts_lower = name starts with "ams"
segment contains_upper = name contains "STER"
segment ends_lower = name ends with "dam"
segment one_character = name like "a_b"
segment glob_characters = name like "a*b?" or name like "[x]"
segment ends_with_question_mark = name like "%?"
segment percent_taken_literally = name starts with "100%"
segment backslash_is_a_character = name like "a\\\\%"
segment pattern_from_a_column = name like pattern
""", {"customers": [dict(zip(("customer_id", "name", "pattern"), row, strict=True))
                    for row in TEXT_ROWS]},
        {"customers": {"customer_id": pl.Int64, "name": pl.String, "pattern": pl.String}})
    evaluation = evaluate(path, as_of=date(2026, 6, 30), engine=engine,
                          engine_options=engine_options)
    result = {name: segment_members(evaluation, name) for name in evaluation.segments}
    assert result == {
        "like_lower": [2], "like_upper": [3], "starts_lower": [2], "contains_upper": [3],
        "ends_lower": [1, 2], "one_character": [5, 8, 9, 10], "glob_characters": [6, 7],
        "ends_with_question_mark": [6], "percent_taken_literally": [4],
        "backslash_is_a_character": [10], "pattern_from_a_column": [3, 4, 6, 7, 9, 10],
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_division_is_exact_never_integer_and_missing_by_zero(project, engine, engine_options):
    result = members(project, engine, engine_options, """
segment half_and_more = a / b >= 3.5
segment exactly_two_fifths = a / b = 0.4
segment over_a_third = a / b > 0.33
segment by_zero = a / b is missing
segment balance_share = balance / a > 5
""")
    assert result == {
        "half_and_more": [1], "exactly_two_fifths": [2], "over_a_third": [1, 2, 3],
        "by_zero": [4, 5], "balance_share": [2],
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_dates_before_1970_leap_days_and_month_ends(project, engine, engine_options):
    result = members(project, engine, engine_options, """
feature age = years_between(born, as_of)
feature months = months_between(born, 2000-03-31)
segment sixties = born < 1970-01-01
segment old = age >= 100
segment leap_born = month(born) = 2 and born >= 2000-01-01
segment born_1900 = year(born) = 1900
segment months_to_march = months = 1
segment recent_year = count(orders) in last 1 year > 0
segment recent_month = count(orders) in last 1 month > 0
""", orders=[
        (1, datetime(2023, 2, 28, 23, 59, 59), "1"),  # 2024-02-29 - 1 year = 2023-02-28: out
        (2, datetime(2023, 3, 1, 0, 0, 0), "1"),  # in
        (3, datetime(2024, 1, 29, 12, 0, 0), "1"),  # in the year; not the month (from 01-30)
        (4, datetime(2024, 2, 29, 23, 59, 59, 999999), "1"),  # the last microsecond: in
        (5, datetime(2024, 3, 1, 0, 0, 0), "1"),  # after as_of: invisible
    ], as_of=date(2024, 2, 29))
    assert result == {
        "sixties": [1, 3], "old": [3], "leap_born": [4], "born_1900": [3],
        "months_to_march": [4],  # 2000-02-29 to 2000-03-31: one whole month
        "recent_year": [2, 3, 4], "recent_month": [4],
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_ranking_skips_missing_and_breaks_ties_by_key(project, engine, engine_options):
    result = members(project, engine, engine_options, """
segment top_two = top 2 by score
segment bottom_two = bottom 2 by score
segment top_spenders = top 2 by sum(orders.amount)
segment top_balance = top 40% by balance
""", orders=[(c, datetime(2026, 1, d), amount) for c, d, amount in [
        (1, 1, "0.10"), (1, 2, "0.20"), (2, 1, "0.30"), (3, 1, "0.15"), (3, 2, "0.15"),
        (4, 1, "0.05")]])
    assert result == {
        "top_two": [1, 4],  # 3.5 and 3.5 (a tie, both in); 5 has no score
        "bottom_two": [3, 5],  # missing never ranks, first or last
        "top_spenders": [1, 2],  # 0.30, 0.30, 0.30 exactly: the smallest keys
        "top_balance": [2],  # 40% of the 4 with a balance: 1.6, so one
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_timestamps_before_year_1000_order_like_time(project, engine, engine_options):
    """SQLite stores a timestamp as text, which orders like time only with four-digit years
    (year 999 was written `999-06-01 …`, after `1000-01-01` as text)."""
    result = members(project, engine, engine_options, """
feature early_orders = count(orders) before 1000-01-01
segment early = early_orders > 0
segment late = count(orders) > early_orders
""", orders=[(1, datetime(999, 6, 1, 10, 30), "5.00"), (2, datetime(1999, 1, 1), "7.00"),
             (3, datetime(5, 1, 2, 3, 4, 5, 600), "1.00")])
    assert result == {"early": [1, 3], "late": [2]}
