"""Where data comes from: read each source's schema through DuckDB, check it against the
declarations, and check the entity key. Every problem names the table and the column."""

from __future__ import annotations

import glob

import duckdb
from segl.compiler import model as m
from segl.compiler.api import location_relation
from segl.compiler.ir import Type
from sqlglot import exp

from . import sql
from .errors import DataError

# DuckDB type names -> segl types (prefix match; DECIMAL(18,2), TIMESTAMP WITH TIME ZONE …).
_DUCKDB_TYPES = (
    ("DECIMAL", Type.DECIMAL), ("TIMESTAMP", Type.TIMESTAMP), ("DATE", Type.DATE),
    ("BOOLEAN", Type.BOOL), ("VARCHAR", Type.TEXT), ("DOUBLE", Type.FLOAT), ("FLOAT", Type.FLOAT),
    ("REAL", Type.FLOAT), ("BIGINT", Type.INT), ("INTEGER", Type.INT), ("SMALLINT", Type.INT),
    ("TINYINT", Type.INT), ("HUGEINT", Type.INT), ("UBIGINT", Type.INT), ("UINTEGER", Type.INT),
    ("USMALLINT", Type.INT), ("UTINYINT", Type.INT), ("UHUGEINT", Type.INT),
)


def segl_type(duckdb_type: str) -> Type:
    upper = duckdb_type.upper()
    for prefix, type_ in _DUCKDB_TYPES:
        if upper.startswith(prefix):
            return type_
    return Type.ANY


def relation(location: m.Location, alias: str | None = None) -> exp.Expression:
    """A DuckDB FROM-clause item for a location (a tree: a table name's parts as
    identifiers, a path as a string literal), `AS alias` when given."""
    return location_relation(location, "duckdb", alias)


def _count_rows(connection: duckdb.DuckDBPyConnection, location: m.Location,
                *columns: exp.Expression) -> tuple:
    return sql.fetch_one(connection, sql.select(*columns, source=relation(location)))


class DuckDBSchemas:
    """A schema provider for the compiler: column types of each source, read from the data.
    Problems reading a source are kept in `problems` for the runtime to report."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self.problems: list[str] = []
        self.actual: dict[str, dict[str, str]] = {}

    def __call__(self, table: m.Table) -> dict[str, Type] | None:
        if not table.locations:
            return None
        location = table.locations[0]
        where = _where(table, location)
        if location.kind != "table":
            path = location.path or location.target
            if not glob.glob(path):
                what = "no file matches" if any(c in path for c in "*?[") else "no file"
                self.problems.append(f"{where}: {what} `{location.target}` "
                                     f"(looked for {path})")
                return None
        try:
            rows = sql.fetch_all(self.connection, sql.describe(
                sql.select(exp.Star(), source=relation(location))))
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0]
            if location.kind == "table":
                self.problems.append(f"{where}: table `{location.target}` cannot be read "
                                     f"({message}); pass --db with the DuckDB database that "
                                     "holds it")
            else:
                self.problems.append(f"{where}: cannot read `{location.target}`: {message}")
            return None
        self.actual[table.name] = {name: kind for name, kind, *_ in rows}
        return {name: segl_type(kind) for name, kind, *_ in rows}


def _where(table: m.Table, location: m.Location) -> str:
    span = location.span or table.span
    prefix = f"{span}: " if span else ""
    return f"{prefix}{table.kind} `{table.name}`"


_COMPATIBLE = {
    Type.INT: {Type.INT},
    Type.DECIMAL: {Type.INT, Type.DECIMAL, Type.FLOAT},
    Type.FLOAT: {Type.INT, Type.DECIMAL, Type.FLOAT},
    Type.TEXT: {Type.TEXT},
    Type.BOOL: {Type.BOOL},
    Type.DATE: {Type.DATE},
    Type.TIMESTAMP: {Type.TIMESTAMP, Type.DATE},
}


def check_declared_types(model: m.Model, schemas: DuckDBSchemas) -> None:
    """Declared columns must exist in the data with a compatible type."""
    problems: list[str] = []
    for table in model.tables:
        actual = schemas.actual.get(table.name)
        if actual is None:
            continue
        for column in table.columns:
            if not column.declared:
                continue
            if column.name not in actual:
                problems.append(
                    f"{_where(table, table.locations[0])}: column `{column.name}` is declared but "
                    f"the data has no such column (columns: {', '.join(sorted(actual))})"
                )
                continue
            found = segl_type(actual[column.name])
            if found is not Type.ANY and found not in _COMPATIBLE.get(column.type, {found}):
                problems.append(
                    f"{_where(table, table.locations[0])}: column `{column.name}` is declared "
                    f"{column.type.value} but is {actual[column.name]} in the data"
                )
    if problems:
        raise DataError(problems)


def check_lookup_keys(connection: duckdb.DuckDBPyConnection, model: m.Model,
                      lookups: tuple[str, ...]) -> None:
    """A lookup joins many-to-one: a duplicated key would silently duplicate rows."""
    problems = []
    for name in lookups:
        lookup = model.lookups[name]
        (duplicates,) = _count_rows(connection, lookup.locations[0], _duplicates(lookup.key))
        if duplicates:
            problems.append(f"{_where(lookup, lookup.locations[0])}: key column `{lookup.key}` "
                            f"has {duplicates} duplicate value(s); a lookup has one row per key")
    if problems:
        raise DataError(problems)


def check_entity_key(connection: duckdb.DuckDBPyConnection, model: m.Model) -> int:
    """The entity key must be present and unique: returns the number of entities."""
    entity = model.entity
    key = sql.col(entity.key or "")
    total, missing, duplicates = _count_rows(
        connection, entity.locations[0], sql.count_all(),
        exp.Sub(this=sql.count_all(), expression=exp.Count(this=key)),
        _duplicates(entity.key))
    where = _where(entity, entity.locations[0])
    problems = []
    if missing:
        problems.append(f"{where}: key column `{entity.key}` is missing in {missing} row(s)")
    if duplicates:
        problems.append(f"{where}: key column `{entity.key}` has {duplicates} duplicate value(s);"
                        " an entity table has one row per key")
    if problems:
        raise DataError(problems)
    return int(total)


def _duplicates(key: str | None) -> exp.Expression:
    """count(key) - count(DISTINCT key): how many non-null keys repeat one before them."""
    return exp.Sub(this=exp.Count(this=sql.col(key or "")),
                   expression=exp.Count(this=exp.Distinct(expressions=[sql.col(key or "")])))
