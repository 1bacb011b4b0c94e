"""bench/ builds no SQL statement from text: hand-written queries are constant text with
named slots that bench/sql_fill.py fills as sqlglot trees, and everything else is a tree.
The AST scan below fails on an f-string (or `%`/`.format`) that assembles SQL in any bench
module, and is checked against code it must refuse so that it cannot pass vacuously."""

from __future__ import annotations

import ast
import datetime
import re
import sys
from pathlib import Path

import duckdb
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import sql_fill  # noqa: E402

SQL_WORDS = re.compile(r"\b(SELECT|CREATE|INSERT|COPY|DELETE|UPDATE|DROP|FROM|WHERE|JOIN)\b"
                       r"|read_parquet\(")


def sql_text_built(source: str) -> list[int]:
    """Lines of f-strings, `%` formatting and `.format` calls on text that looks like SQL."""
    found = []
    for node in ast.walk(ast.parse(source)):
        text = None
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values
                           if isinstance(v, ast.Constant) and isinstance(v.value, str))
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)
              and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)):
            text = node.left.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "format" and isinstance(node.func.value, ast.Constant)
              and isinstance(node.func.value.value, str)):
            text = node.func.value.value
        if text is not None and SQL_WORDS.search(text):
            found.append(node.lineno)
    return found


def test_no_bench_module_assembles_sql_from_text() -> None:
    modules = sorted(BENCH.glob("*.py"))
    assert len(modules) > 8
    offences = {p.name: lines for p in modules
                if (lines := sql_text_built(p.read_text(encoding="utf-8")))}
    assert offences == {}


@pytest.mark.parametrize("line", [
    'q = f"CREATE TEMP TABLE result AS {sql}"',
    'q = f"SELECT count(*) FROM {table}"',
    "q = f\"read_parquet('{path}')\"",
    'q = "SELECT * FROM %s" % table',
    'q = "DELETE FROM {}".format(table)',
])
def test_the_scan_finds_sql_built_from_text(line: str) -> None:
    assert sql_text_built(line + "\n") == [1]


def test_fill_reads_tables_from_the_folder_and_fills_the_slots(tmp_path: Path) -> None:
    folder = tmp_path / "it's here"           # a quote in the path stays inside a literal
    folder.mkdir()
    connection = duckdb.connect()
    connection.sql("SELECT range AS o_custkey, DATE '2020-01-01' + range::INTEGER AS o_orderdate"
                   " FROM range(10)").write_parquet(str(folder / "orders.parquet"))
    tree = sql_fill.fill("WITH orders_cte AS (SELECT * FROM orders WHERE o_orderdate <= :as_of)"
                         " SELECT count(*) FROM orders_cte WHERE o_custkey >= :low",
                         folder, as_of=datetime.date(2020, 1, 5), low=2)
    assert connection.execute(sql_fill.sql(tree)).fetchone()[0] == 3
    assert str(folder / "orders.parquet").replace("'", "''") in sql_fill.sql(tree)


def test_a_missing_slot_is_an_error() -> None:
    with pytest.raises(KeyError, match="as_of"):
        sql_fill.fill("SELECT 1 WHERE :as_of > 0")


def test_count_rows_and_create_table() -> None:
    connection = duckdb.connect()
    sql_fill.create_table(connection, "t", "SELECT range AS x FROM range(7)")
    assert sql_fill.count_rows(connection, "t") == 7
    assert sql_fill.count_rows(connection, "t", sql_fill.binary(">", sql_fill.column("x"),
                                                                sql_fill.literal(4))) == 2
