"""Reading an evaluation's members table back in tests, with statements built as sqlglot
trees (segl's rule for SQL, tests/security/test_sql_as_trees.py): the segment and feature
names come from `.seg` text, so they reach DuckDB as quoted identifiers, never spliced."""

from __future__ import annotations

from segl.runtime import sql
from sqlglot import exp


def table_rows(evaluation, columns: list[str], where: str | None = None) -> list[tuple]:
    """The key and `columns` of the evaluation's members table (DuckDB), ordered by the key;
    with `where`, only the rows whose boolean column of that name is true (a segment)."""
    query = exp.select(*(exp.column(name, quoted=True)
                         for name in [evaluation.key, *columns])).from_(
        sql.table_ref(evaluation.table)).order_by(exp.column(evaluation.key, quoted=True))
    if where is not None:
        query = query.where(exp.column(where, quoted=True))
    return sql.fetch_all(evaluation.connection, query)


def segment_members(evaluation, segment: str) -> list:
    """The keys of a segment's members, in key order."""
    return [row[0] for row in table_rows(evaluation, [], where=segment)]


def history_queries(table: str, dialect: str, database: str | None = None) -> tuple[str, str]:
    """The two SELECTs reading a history table (`--into` a PostgreSQL, SQLite or Spark
    table) and its dates table back in a fixed order, rendered for `dialect` from trees."""
    def ref(name: str) -> exp.Table:
        return exp.table_(exp.to_identifier(name, quoted=True),
                          db=None if database is None else exp.to_identifier(database, quoted=True))

    def columns(*names: str) -> list[exp.Column]:
        return [exp.column(name, quoted=True) for name in names]

    rows = exp.select(*columns("entity", "object", "group", "valid_from", "valid_to")).from_(
        ref(table)).order_by(*columns("object", "entity", "valid_from"))
    dates = exp.select(*columns("object", "as_of")).from_(ref(f"{table}_dates")).order_by(
        *columns("object", "as_of"))
    return rows.sql(dialect), dates.sql(dialect)


def spark_database(name: str, location: str | None = None, drop: bool = False) -> str:
    """`CREATE DATABASE name LOCATION '…'` or `DROP DATABASE name CASCADE` (Spark), as trees."""
    database = exp.Table(this=exp.to_identifier(name, quoted=True))
    if drop:
        return exp.Drop(tables=[database], kind="DATABASE", cascade=True).sql("spark")
    place = exp.LocationProperty(this=exp.Literal.string(location))
    properties = exp.Properties(expressions=[place])
    return exp.Create(this=database, kind="DATABASE", properties=properties).sql("spark")
