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
