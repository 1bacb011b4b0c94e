"""The assignment's SQL: each scaled value and distance computed once, in every dialect."""

from __future__ import annotations

import pytest
from segl.compiler.api import compile_file, to_sql

from .helpers import AS_OF, fitted_shop


def test_the_sql_computes_each_scaled_value_and_distance_once(project):
    sql = to_sql(compile_file(fitted_shop(project)[0]), "duckdb", AS_OF)
    assert sql.count(" AS _cluster_styles_z1") == 1
    assert sql.count(" AS _cluster_styles_d4") == 1
    assert "WHEN _cluster_ties_d1 <= _cluster_ties_d2 AND _cluster_ties_d1 <= " \
           "_cluster_ties_d3" in sql


@pytest.mark.parametrize("dialect", ["postgres", "snowflake", "bigquery", "clickhouse",
                                     "spark", "tsql", "sqlite", "trino"])
def test_every_dialect_compiles_the_assignment(project, dialect):
    path = fitted_shop(project)[0]
    text = path.read_text().replace('parquet "data/customers.parquet"',
                                    'table "shop.customers"')
    text = text.replace('parquet "data/orders.parquet"', 'table "shop.orders"')
    path.write_text(text)
    sql = to_sql(compile_file(path), dialect, AS_OF)
    assert "cluster_4" in sql and "no_value" in sql
