"""`mode merge` table targets (docs/activation.md): the table updated in place.

The export's rows are staged in a temporary table of the warehouse; then, in the same
transaction as the table's creation when it is missing: the rows of keys no longer kept are
deleted, the rows whose values changed are updated, the new keys inserted. Rows that did not
change are not written. The table then holds what `mode full` would write; its identity (and
what hangs on it: grants, views, other writers' indexes) stays.
"""

from __future__ import annotations

from sqlglot import exp

from . import sql

STAGED = "segl_merge_rows"  # the temporary table of the rows to merge
TARGET = "segl_target"  # the table's alias in the UPDATE


def merge_statements(table: tuple[str, ...], columns: list[str], key: str
                     ) -> list[exp.Expression]:
    """DELETE, UPDATE, INSERT merging STAGED into `table` by `key`."""
    staged_keys = sql.subquery(sql.select(sql.col(key), source=sql.table_ref(STAGED)))
    delete = exp.Delete(this=sql.table_ref(*table), where=exp.Where(this=exp.not_(
        exp.In(this=sql.col(key), query=staged_keys))))
    statements: list[exp.Expression] = [delete]
    values = [c for c in columns if c != key]
    if values:
        target = exp.Table(this=sql.ident(table[-1]),
                           db=sql.ident(table[-2]) if len(table) > 1 else None,
                           catalog=sql.ident(table[-3]) if len(table) > 2 else None,
                           alias=exp.TableAlias(this=sql.ident(TARGET)))
        changed = [exp.NullSafeNEQ(this=exp.column(sql.ident(c), table=sql.ident(TARGET)),
                                   expression=exp.column(sql.ident(c),
                                                         table=sql.ident(STAGED)))
                   for c in values]
        statements.append(exp.Update(
            this=target,
            expressions=[exp.EQ(this=sql.col(c), expression=exp.column(
                sql.ident(c), table=sql.ident(STAGED))) for c in values],
            from_=exp.From(this=sql.table_ref(STAGED)),
            where=exp.Where(this=exp.and_(
                exp.EQ(this=exp.column(sql.ident(key), table=sql.ident(TARGET)),
                       expression=exp.column(sql.ident(key), table=sql.ident(STAGED))),
                exp.or_(*changed) if len(changed) > 1 else changed[0]))))
    existing = sql.subquery(sql.select(sql.col(key), source=sql.table_ref(*table)))
    statements.append(exp.Insert(
        this=exp.Schema(this=sql.table_ref(*table), expressions=[sql.ident(c) for c in columns]),
        expression=sql.select(*(sql.col(c) for c in columns),
                              source=sql.table_ref(STAGED)).where(
            exp.not_(exp.In(this=sql.col(key), query=existing)))))
    return statements
