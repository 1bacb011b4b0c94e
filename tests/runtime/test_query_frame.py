"""runtime/engines/loading.py: `query_frame` (through Arrow, what Evaluation.members and the
dated members read) gives exactly the frame `typed_frame` builds from Python rows: the same
names, DuckDB's types mapped the same way, the same values, missing values included."""

from __future__ import annotations

import duckdb
import pytest
from segl.runtime import sql
from segl.runtime.engines.loading import query_frame, typed_frame
from sqlglot import exp, parse_one

# one row of every type, then a row of NULLs (constant text, parsed once into a tree)
TABLE = parse_one(
    "CREATE TABLE t AS SELECT 1::HUGEINT AS h, 2::UBIGINT AS u, 3.25::DECIMAL(12, 2) AS d, "
    "TIMESTAMPTZ '2026-01-01 10:00:00+02' AS tz, TIMESTAMP '2026-01-01 10:00' AS ts, "
    "DATE '2024-02-29' AS dt, TRUE AS b, 'Zürich' AS s, 1.5::FLOAT AS f, 7::TINYINT AS ti, "
    "NULL::VARCHAR AS n, NULL::DECIMAL(38, 4) AS nd, 9::BIGINT AS \"*\" UNION ALL SELECT "
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL",
    read="duckdb")


def _both(connection, query: exp.Expression):
    types = [(row[0], row[1]) for row in sql.fetch_all(connection, sql.describe(query))]
    return query_frame(connection, query), typed_frame(sql.fetch_all(connection, query), types)


@pytest.mark.parametrize("query, height", [("SELECT * FROM t", 2),
                                           ("SELECT * FROM t WHERE false", 0)],
                         ids=["rows", "empty"])
def test_query_frame_equals_typed_frame(query, height):
    connection = duckdb.connect()
    sql.execute(connection, TABLE)
    got, expected = _both(connection, parse_one(query, read="duckdb"))
    assert got.schema == expected.schema
    assert got.equals(expected)
    assert got.height == height
    assert got.width == 13


def test_a_type_without_an_arrow_mapping_is_read_as_rows():
    connection = duckdb.connect()
    query = parse_one("SELECT INTERVAL 2 DAY AS i, [1, 2] AS l", read="duckdb")
    got, expected = _both(connection, query)
    assert got.schema == expected.schema and got.rows() == expected.rows()
