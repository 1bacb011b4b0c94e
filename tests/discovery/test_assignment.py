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


def test_the_scaled_values_are_double_arithmetic_as_the_fit(project):
    """A decimal or integer feature is cast to a double before the center is subtracted
    (38-digit decimal arithmetic cost most of the assignment's time, and the fit and
    `python_assignment` compute in doubles)."""
    import sqlglot
    from sqlglot import exp

    sql = to_sql(compile_file(fitted_shop(project)[0]), "duckdb", AS_OF)
    scaled = {alias.alias: alias.this for alias in sqlglot.parse_one(sql, "duckdb").find_all(
        exp.Alias) if alias.alias.startswith("_cluster_") and "_z" in alias.alias}
    assert {"_cluster_styles_z4", "_cluster_imputed_z2", "_cluster_ties_z1"} <= set(scaled)
    for name, value in scaled.items():
        subtraction = next(value.find_all(exp.Sub, exp.Add))
        feature = subtraction.this.unnest()
        if isinstance(feature, exp.Coalesce):  # missing mean
            feature = feature.this
        is_double = isinstance(feature, exp.Cast) and feature.to.is_type("double")
        assert is_double or feature.sql() == "income", f"{name}: {value.sql('duckdb')}"
