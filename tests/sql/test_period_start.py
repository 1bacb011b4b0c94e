"""A calendar window compiled with as_of as a parameter starts at the first day of as_of's
month, quarter or year, computed by the warehouse. SQLite has no DATE_TRUNC (its date
modifiers instead) and T-SQL spells it DATETRUNC: the expression is run on SQLite and DuckDB
for every day of three years against Python."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import duckdb
import pytest
from segl.compiler.backends.sql.trees import period_start
from sqlglot import exp

DAYS = [date(2023, 1, 1) + timedelta(days=n) for n in range(3 * 366)]


def expected(day: date, months: int) -> date:
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def query(months: int, dialect: str) -> str:
    day = exp.cast(exp.Placeholder(this="as_of"), exp.DataType.Type.DATE)
    return exp.select(period_start(day, months, dialect)).sql(dialect=dialect)


@pytest.mark.parametrize("months", [1, 3, 12])
def test_sqlite_computes_the_period_start(months):
    text = query(months, "sqlite")
    assert "DATE_TRUNC" not in text.upper()
    connection = sqlite3.connect(":memory:")
    for day in DAYS:
        (found,) = connection.execute(text, {"as_of": day.isoformat()}).fetchone()
        assert found == expected(day, months).isoformat(), (day, months, text)


@pytest.mark.parametrize("months", [1, 3, 12])
def test_duckdb_computes_the_period_start(months):
    text = query(months, "duckdb").replace(":as_of", "$as_of")
    connection = duckdb.connect()
    for day in DAYS[::7]:
        (found,) = connection.execute(text, {"as_of": day.isoformat()}).fetchone()
        found = found.date() if hasattr(found, "date") and callable(found.date) else found
        assert found == expected(day, months), (day, months, text)


def test_tsql_spells_it_datetrunc():
    assert "DATETRUNC(QUARTER" in query(3, "tsql")
