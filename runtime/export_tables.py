"""Warehouse table targets of `segl export` (`to table "schema.name"`, docs/activation.md):
created or replaced in one transaction, so that a failed write leaves the table as it was."""

from __future__ import annotations

from sqlglot import exp

from . import sql


def write_table(connection, table: tuple[str, ...], rows: exp.Select, engine: str,
                engine_options: dict) -> None:
    """Create or replace `table` with `rows` (a query on the DuckDB `connection`)."""
    _duckdb_table(connection, table, rows)


def _duckdb_table(connection, table: tuple[str, ...], rows: exp.Select) -> None:
    *schema, _ = table
    sql.execute(connection, exp.Transaction())
    try:
        if schema:
            sql.execute(connection, exp.Create(this=sql.table_ref(*schema), kind="SCHEMA",
                                               exists=True))
        sql.execute(connection, exp.Create(this=sql.table_ref(*table), kind="TABLE",
                                           expression=rows, replace=True))
        sql.execute(connection, exp.Commit())
    except BaseException:
        sql.execute(connection, exp.Rollback())
        raise
