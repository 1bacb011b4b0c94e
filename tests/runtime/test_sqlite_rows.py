"""Rows DuckDB returns, as SQLite stores them (runtime/engines/sqlite.py: sqlite_rows): the
columns of types SQLite stores as they are pass untouched; timestamps become UTC text with
four-digit years, dates ISO text, decimals floats."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from segl.runtime.engines.sqlite import sqlite_rows, sqlite_value


def test_rows_of_plain_types_pass_as_they_are():
    rows = [(1, "a", 2.5, True, None)]
    assert sqlite_rows(["BIGINT", "VARCHAR", "DOUBLE", "BOOLEAN", "INTEGER"])(rows) is rows


def test_only_the_other_columns_are_converted():
    plus_two = timezone(timedelta(hours=2))
    rows = [(7, datetime(2026, 6, 30, 12, 0, 0, 5), date(999, 1, 2), Decimal("1.25"), "x",
             datetime(2026, 1, 1, 1, 0, tzinfo=plus_two)),
            (8, None, None, None, None, None)]
    kinds = ["BIGINT", "TIMESTAMP", "DATE", "DECIMAL(12,2)", "VARCHAR",
             "TIMESTAMP WITH TIME ZONE"]
    assert list(map(tuple, sqlite_rows(kinds)(rows))) == [
        (7, "2026-06-30 12:00:00.000005", "0999-01-02", 1.25, "x", "2025-12-31 23:00:00"),
        (8, None, None, None, None, None)]


def test_timestamps_have_four_digit_years_and_microseconds_only_when_set():
    assert sqlite_value(datetime(5, 1, 2, 3, 4, 5)) == "0005-01-02 03:04:05"
    assert sqlite_value(datetime(2026, 6, 30, tzinfo=UTC)) == "2026-06-30 00:00:00"
    assert sqlite_value(datetime(2026, 6, 30, 0, 0, 0, 120)) == "2026-06-30 00:00:00.000120"
