"""A warehouse table is the user's to name: a source `table "base"` (or `agg_orders`,
`step_1`, `ranked_rank_1`, `_dates`, `segl_grouped`: any name the compiled query gives one of
its own CTEs) must still be read as that table. In SQL a CTE hides a table of its name, so
before, the query read its own step instead (a binder error, or wrong members where the
columns matched). The compiler now renames such a CTE (backends/sql/names.py:
`keep_ctes_apart`). Every CTE name of the compiled queries is tried here, as the entity's
table and as the events' table, on DuckDB and SQLite, one date and many; the members and
KPIs must equal those read from tables with plain names."""

from __future__ import annotations

import sqlite3
from datetime import date

import duckdb
import pytest
import sqlglot
from segl.compiler.api import AsOf, compile_file, to_kpi_sql, to_sql

SEG = """\
entity customer from table "{entity}" key id {{
  id int
  level int
}}
events orders from table "{orders}" key id at at {{
  id int
  at timestamp
  amount float
}}
feature spend = sum(orders.amount)
feature n = count(orders where amount > 1)
feature recent = count(orders) in last 60 days
segment big = top 2 by spend
segment active = n >= 1 and level > 0
segmentation tiers {{
  score s by spend higher is better into 3 ntile
  high when s >= 3
  else rest
}}
kpi customers = count(id)
kpi revenue = sum(spend)
"""
SEQUENCE = """\
feature quiet = count(orders then no orders within 30 days)
segment lapsing = quiet >= 1
"""  # one date only: a sequence is not computed for many dates in one pass
CUSTOMERS = [(1, 5), (2, 0), (3, 7), (4, 1), (5, None), (6, 2)]
ORDERS = [(1, "2026-01-05 10:00:00", 2.0), (1, "2026-06-01 00:00:00", 3.0),
          (2, "2026-03-01 00:00:00", 5.0), (3, "2026-05-01 00:00:00", 9.0),
          (5, "2026-02-01 00:00:00", 4.0), (6, "2026-06-20 00:00:00", 0.5)]
ONE = date(2026, 6, 30)
MANY = AsOf.many([date(2026, 3, 31), date(2026, 6, 30)])
PLAIN = ("customers_plain", "orders_plain")


def _sql(tmp_path, entity: str, orders: str, dialect: str, as_of, kpis: bool) -> str:
    path = tmp_path / f"{abs(hash((entity, orders)))}.seg"
    text = SEG.format(entity=entity, orders=orders)
    path.write_text(text if isinstance(as_of, AsOf) else text + SEQUENCE)
    compilation = compile_file(str(path))
    return (to_kpi_sql if kpis else to_sql)(compilation, dialect, as_of)


def _cte_names(tmp_path) -> list[str]:
    names: set[str] = set()
    for as_of in (ONE, MANY):
        for kpis in (False, True):
            query = sqlglot.parse_one(_sql(tmp_path, *PLAIN, "duckdb", as_of, kpis), "duckdb")
            names.update(cte.alias for cte in query.ctes)
    return sorted(names)


def _run(dialect: str, sql: str, entity: str, orders: str) -> list[tuple]:
    if dialect == "duckdb":
        connection = duckdb.connect()
        connection.execute(f'CREATE TABLE "{entity}" (id INTEGER, level INTEGER)')
        connection.execute(f'CREATE TABLE "{orders}" (id INTEGER, "at" TIMESTAMP, '
                           'amount DOUBLE)')
    else:
        connection = sqlite3.connect(":memory:")
        connection.execute(f'CREATE TABLE "{entity}" (id INTEGER, level INTEGER)')
        connection.execute(f'CREATE TABLE "{orders}" (id INTEGER, "at" TEXT, amount REAL)')
    connection.executemany(f'INSERT INTO "{entity}" VALUES (?, ?)', CUSTOMERS)
    connection.executemany(f'INSERT INTO "{orders}" VALUES (?, ?, ?)', ORDERS)
    rows = connection.execute(sql).fetchall()
    connection.close()
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]


@pytest.fixture(scope="module")
def cte_names(tmp_path_factory) -> list[str]:
    names = _cte_names(tmp_path_factory.mktemp("names"))
    # the query's own steps, whatever the plan calls them today
    assert {"base", "step_1", "agg_orders", "_dates", "segl_grouped"} <= set(names), names
    return names


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
# (the KPI query holds the members query's CTEs, so many dates' members are checked there)
@pytest.mark.parametrize("as_of,kpis", [(ONE, False), (ONE, True), (MANY, True)],
                         ids=["members", "kpis", "kpis_many_dates"])
@pytest.mark.parametrize("role", ["entity", "orders"])
def test_a_table_named_like_a_cte_is_read_as_the_table(tmp_path, cte_names, dialect, as_of,
                                                       kpis, role):
    expected = _run(dialect, _sql(tmp_path, *PLAIN, dialect, as_of, kpis), *PLAIN)
    assert expected, "the plain query returned no rows"
    for name in cte_names:
        entity, orders = (name, PLAIN[1]) if role == "entity" else (PLAIN[0], name)
        sql = _sql(tmp_path, entity, orders, dialect, as_of, kpis)
        assert _run(dialect, sql, entity, orders) == expected, (name, sql)


def test_a_cte_is_renamed_only_when_a_table_has_its_name(tmp_path):
    plain = _sql(tmp_path, *PLAIN, "duckdb", ONE, False)
    assert "base_1" not in plain and "agg_orders_1" not in plain
    clash = _sql(tmp_path, "base", "agg_orders", "duckdb", ONE, False)
    query = sqlglot.parse_one(clash, "duckdb")
    ctes = {cte.alias for cte in query.ctes}
    assert {"base_1", "agg_orders_1"} <= ctes and not {"base", "agg_orders"} & ctes
    read = {t.name for t in query.find_all(sqlglot.exp.Table) if t.alias == "customer"}
    assert read == {"base"}


def test_a_qualified_table_keeps_the_ctes_names(tmp_path):
    sql = _sql(tmp_path, "shop.base", "shop.agg_orders", "postgres", ONE, False)
    ctes = {cte.alias for cte in sqlglot.parse_one(sql, "postgres").ctes}
    assert {"base", "agg_orders"} <= ctes
