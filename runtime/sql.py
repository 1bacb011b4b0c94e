"""The one door through which the runtime runs SQL.

A statement is a sqlglot expression tree, rendered here for the engine's dialect (sqlglot
quotes every identifier and escapes every string literal); values that vary travel as bound
parameters. Nothing else in the runtime calls a connection's `execute`, `copy`, `sql` or
`query` (tests/security/test_sql_as_trees.py fails when a module does), and these functions
refuse text: a name from a `.seg` file, a parameter, a path or the data's own column names
reaches a database only inside a tree.

The builders below are the small vocabulary the runtime's own queries are written in.

DuckDB's relation API is the other way in (`relation`, `read_parquet`, `aggregate_row`
below): a relation is built from a file path or a table name given as a value and from
DuckDB expression objects (`duckdb.col`, `fn`, `count_all`), which quote every name; the
functions refuse text there too. `segl check` reads the data that way, without importing
sqlglot (a tenth of its start-up, issue 15 item 5): this module imports sqlglot and the SQL
backend only when a tree is first built or rendered.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
    from sqlglot import exp
else:
    class _OnFirstUse:
        """sqlglot's `exp`, imported when one of its attributes is first read."""

        def __init__(self, name: str) -> None:
            self._name = name

        def __getattr__(self, attribute: str) -> object:
            module = importlib.import_module(self._name)
            globals()["exp"] = module  # (found directly from now on)
            return getattr(module, attribute)

    exp = _OnFirstUse("sqlglot.expressions")


# (col, ident and table_ref are the SQL backend's: the runtime's queries take names from
# here; importing them imports sqlglot, so they are looked up when first called)
def col(*args, **kwargs) -> exp.Column:
    from segl.compiler.api import col as build

    return build(*args, **kwargs)


def ident(*args, **kwargs) -> exp.Identifier:
    from segl.compiler.api import ident as build

    return build(*args, **kwargs)


def table_ref(*args, **kwargs) -> exp.Table:
    from segl.compiler.api import table_ref as build

    return build(*args, **kwargs)


class NotATree(TypeError):
    """Raised for SQL given as text: the runtime runs sqlglot trees only."""


def render(statement: exp.Expression, dialect: str = "duckdb", pretty: bool = False) -> str:
    """The statement's text in `dialect`, made by sqlglot from the tree (`pretty`: laid out
    on lines, for people to read)."""
    if not isinstance(statement, exp.Expression):
        raise NotATree(f"SQL must be a sqlglot expression tree, not {type(statement).__name__}")
    return statement.sql(dialect=dialect, pretty=pretty)


def execute(connection, statement: exp.Expression, params: Sequence[object] | None = None,
            dialect: str = "duckdb"):
    """Run one statement on a DB-API connection or cursor (DuckDB, SQLite, psycopg);
    `params` are bound to the tree's placeholders (`placeholder()`). Returns the cursor."""
    text = render(statement, dialect)
    if params is None:
        return connection.execute(text)
    return connection.execute(text, list(params))


def execute_many(connection, statement: exp.Expression, rows: Iterable[Sequence[object]],
                 dialect: str = "duckdb") -> None:
    """Run one statement once per row of bound values (an INSERT of many rows)."""
    connection.executemany(render(statement, dialect), rows)


def fetch_one(connection, statement: exp.Expression, params: Sequence[object] | None = None,
              dialect: str = "duckdb") -> tuple:
    return execute(connection, statement, params, dialect).fetchone()


def frame(connection, statement: exp.Expression):
    """A query's rows on a DuckDB connection as a Polars DataFrame (the notebook API). A
    result of an earlier `execute` left unread is run to its end first (DuckDB refuses a
    relation while one is pending)."""
    connection.complete()
    return connection.sql(render(statement)).pl()


def fetch_all(connection, statement: exp.Expression, params: Sequence[object] | None = None,
              dialect: str = "duckdb") -> list[tuple]:
    return execute(connection, statement, params, dialect).fetchall()


def relation(connection, statement: exp.Expression):
    """A query tree as a DuckDB relation: bound now (an unreadable source raises), run when
    its rows are asked for; `columns` and `aggregate_row` below read it."""
    connection.complete()  # (DuckDB refuses a relation while an earlier result is pending)
    return connection.sql(render(statement))


def postgres_copy(cursor, statement: exp.Copy):
    """psycopg's COPY context manager for a COPY … FROM STDIN tree."""
    return cursor.copy(render(statement, "postgres"))


def spark_sql(session, statement: exp.Expression):
    """A Spark DataFrame for a query tree."""
    return session.sql(render(statement, "spark"))


def chdb_query(session, statement: exp.Expression, output_format: str):
    """Run a query tree in a chdb (ClickHouse) session, in chdb's `output_format`."""
    return session.query(render(statement, "clickhouse"), output_format)


# ---------------------------------------------------------------- builders


def placeholder() -> exp.Placeholder:
    """Where a bound value goes (`?` in DuckDB and SQLite, `%s` in psycopg)."""
    return exp.Placeholder()


def text(value: str) -> exp.Literal:
    """A string literal (sqlglot escapes its quotes for the dialect)."""
    return exp.Literal.string(value)


def number(value: int | float) -> exp.Literal:
    return exp.Literal.number(value)


def count_all() -> exp.Count:
    return exp.Count(this=exp.Star())


def count_where(condition: exp.Expression) -> exp.Expression:
    """count(*) FILTER (WHERE condition)."""
    return exp.Filter(this=count_all(), expression=exp.Where(this=condition))


def select(*columns: exp.Expression, source: exp.Expression | None = None) -> exp.Select:
    """SELECT columns FROM source; `source` is a tree (a table, a subquery, a reader)."""
    query = exp.select(*columns, copy=False)
    return query.from_(source, copy=False) if source is not None else query


def subquery(query: exp.Expression, alias: str | None = None) -> exp.Subquery:
    return exp.Subquery(this=query, alias=exp.TableAlias(this=ident(alias)) if alias else None)


def table_as(name: str, alias: str) -> exp.Table:
    """`name AS alias` in a FROM clause."""
    return exp.Table(this=ident(name), alias=exp.TableAlias(this=ident(alias)))


def aliased(expression: exp.Expression, name: str) -> exp.Alias:
    """`expression AS name`, the name an identifier."""
    return exp.Alias(this=expression, alias=ident(name))


def create_table_as(name: str, query: exp.Expression, temporary: bool = True,
                    replace: bool = True) -> exp.Create:
    """CREATE [OR REPLACE] [TEMPORARY] TABLE name AS query."""
    properties = exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    return exp.Create(this=table_ref(name), kind="TABLE", expression=query, replace=replace,
                      properties=properties)


def column_def(name: str, kind: exp.DataType, collation: str | None = None) -> exp.ColumnDef:
    """`name type [COLLATE "collation"]` of a CREATE TABLE."""
    constraints = [exp.ColumnConstraint(kind=exp.CollateColumnConstraint(
        this=exp.to_identifier(collation, quoted=True)))] if collation else []
    return exp.ColumnDef(this=ident(name), kind=kind, constraints=constraints)


def create_table(name: str, columns: Sequence[exp.ColumnDef],
                 temporary: bool = False) -> exp.Create:
    """CREATE [TEMPORARY] TABLE name (column type, …)."""
    schema = exp.Schema(this=table_ref(name), expressions=list(columns))
    properties = exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    return exp.Create(this=schema, kind="TABLE", properties=properties)


def drop_table(*parts: str) -> exp.Drop:
    """DROP TABLE IF EXISTS [schema.]name."""
    return exp.Drop(tables=[table_ref(*parts)], kind="TABLE", exists=True)


def analyze(name: str) -> exp.Analyze:
    """ANALYZE name (PostgreSQL: statistics for the planner)."""
    return exp.Analyze(tables=[table_ref(name)])


def insert_values(name: str, columns: Sequence[str]) -> exp.Insert:
    """INSERT INTO name (columns…) VALUES (?, …): one row of bound values."""
    schema = exp.Schema(this=table_ref(name), expressions=[ident(c) for c in columns])
    values = exp.Values(expressions=[exp.Tuple(expressions=[placeholder() for _ in columns])])
    return exp.Insert(this=schema, expression=values)


def describe(query: exp.Expression) -> exp.Describe:
    """DESCRIBE query (DuckDB): the names and types of its columns, no row read."""
    return exp.Describe(this=query)


def copy_to(query: exp.Expression, path: str, options: dict[str, str | bool]) -> exp.Copy:
    """COPY (query) TO 'path' (options) (DuckDB): the path a string literal."""
    parameters = [exp.CopyParameter(this=exp.var(name),
                                    expression=exp.Boolean(this=value)
                                    if isinstance(value, bool) else exp.var(value))
                  for name, value in options.items()]
    return exp.Copy(this=exp.Subquery(this=query), kind=False, files=[text(path)],
                    params=parameters)


def data_type(name: str, dialect: str = "duckdb") -> exp.DataType:
    """A type read from an engine's own type name (DuckDB's `DECIMAL(18,2)`, `TIMESTAMP WITH
    TIME ZONE`) as a tree. Type names come from the engine, not from the user."""
    return exp.DataType.build(name, dialect=dialect)


# ------------------------------------------------------- DuckDB's relation API (no text)


def _expressions(expressions: Sequence[object]) -> list[duckdb.Expression]:
    import duckdb

    for expression in expressions:
        if not isinstance(expression, duckdb.Expression):
            raise NotATree("a relation takes DuckDB expression objects (duckdb.col, fn, …), "
                           f"not {type(expression).__name__}")
    return list(expressions)


def read_parquet(connection: duckdb.DuckDBPyConnection, path: str) -> duckdb.DuckDBPyRelation:
    """The Parquet file(s) at `path` (a glob matches several) as a relation, as
    `read_parquet('path')` reads them; nothing is read but the footer until rows are asked."""
    if not isinstance(path, str):
        raise TypeError(f"a path is a string, not {type(path).__name__}")
    connection.complete()  # (an earlier result left unread is run to its end first)
    return connection.read_parquet(path)


def table_function(connection: duckdb.DuckDBPyConnection, name: str,
                   *values: object) -> duckdb.DuckDBPyRelation:
    """A relation of the table function `name` (segl's own constant, e.g.
    `parquet_metadata`) called with `values`, each bound as a value, never parsed."""
    connection.complete()
    return connection.table_function(name, list(values))


def columns(relation: duckdb.DuckDBPyRelation) -> list[tuple[str, str]]:
    """Each column's name and DuckDB type name, as DESCRIBE gives them; no row is read."""
    return [(name, str(kind)) for name, kind in zip(relation.columns, relation.types,
                                                    strict=True)]


def aggregate_row(relation: duckdb.DuckDBPyRelation, *expressions: object) -> tuple:
    """The one row of aggregates `expressions` (DuckDB expression objects) over `relation`."""
    (row,) = relation.aggregate(_expressions(expressions)).fetchall()
    return row


def project_rows(relation: duckdb.DuckDBPyRelation, *expressions: object) -> list[tuple]:
    """Every row of `expressions` (DuckDB expression objects) over `relation`."""
    return relation.select(*_expressions(expressions)).fetchall()
