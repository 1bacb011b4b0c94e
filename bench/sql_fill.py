"""Hand-written SQL without text assembly: constant query text with named slots, filled as
sqlglot trees.

The baselines in bench/ are SQL a person wrote, so they are kept as SQL text, but as
constants: a TPC-H table is named plainly (``FROM orders AS o``) and every value that
varies (a date, a threshold, a computed expression) is a named placeholder (``:as_of``).
``fill`` parses the text with sqlglot, puts ``read_parquet('<folder>/<table>.parquet')``
in place of each TPC-H table and a literal (or a given tree) in place of each
placeholder, and returns the tree; ``sql`` renders it for DuckDB. No path, date or name
is ever pasted into SQL text.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import sqlglot
from sqlglot import exp

TPCH_TABLES = ("customer", "orders", "lineitem", "part", "nation", "region")
Value = datetime.date | int | float | str | exp.Expression


def literal(value: Value) -> exp.Expression:
    """A value as a sqlglot tree: a date as ``CAST('…' AS DATE)``, numbers and text as
    literals; a tree is returned as it is."""
    if isinstance(value, exp.Expression):
        return value
    if isinstance(value, datetime.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(value)


def parquet(data_dir: str | Path, table: str) -> exp.Expression:
    """``read_parquet('<data_dir>/<table>.parquet')`` as a table expression."""
    path = str(Path(data_dir).resolve() / f"{table}.parquet")
    return exp.Table(this=exp.ReadParquet(expressions=[exp.Literal.string(path)]))


def fill(template: str, data_dir: str | Path | None = None, **values: Value) -> exp.Expression:
    """`template` (constant DuckDB SQL) as a tree, with each TPC-H table read from the
    Parquet files in `data_dir` (when given) and each ``:name`` placeholder replaced by
    `values[name]` (a missing one is an error, not a silent NULL)."""
    tree = sqlglot.parse_one(template, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in values:
                raise KeyError(f"no value for :{node.name}")
            return literal(values[node.name]).copy()
        if (data_dir is not None and isinstance(node, exp.Table) and not node.db
                and node.name in TPCH_TABLES and node.name not in ctes):
            table = parquet(data_dir, node.name)
            alias = node.args.get("alias")
            if alias is not None:
                table.set("alias", alias.copy())
            return table
        return node

    return tree.transform(replace)


def sql(tree: exp.Expression) -> str:
    return tree.sql(dialect="duckdb")


def column(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table)


def binary(op: str, left: exp.Expression, right: exp.Expression) -> exp.Expression:
    """``left op right`` for the comparison operators the generated segments use."""
    kinds = {"=": exp.EQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE,
             "<>": exp.NEQ}
    return kinds[op](this=left, expression=right)


def conjunction(conditions: list[exp.Expression]) -> exp.Expression:
    return exp.and_(*conditions) if conditions else exp.true()


def create_table(connection, table: str, query: str) -> None:
    """Store `query`'s rows in temporary table `table` through DuckDB's relation API
    (no ``CREATE … AS`` text)."""
    connection.sql(query).create(table)


def count_rows(connection, source: str | exp.Expression,
               where: exp.Expression | None = None) -> int:
    """The number of rows of a table (by name) or a query (a tree), optionally filtered."""
    relation = (exp.to_table(source) if isinstance(source, str)
                else exp.Subquery(this=source, alias=exp.TableAlias(this=exp.to_identifier("q"))))
    query = exp.select(exp.func("count", exp.Star())).from_(relation)
    if where is not None:
        query = query.where(where)
    return connection.execute(sql(query)).fetchone()[0]
