"""Where data comes from: read each source's schema through DuckDB, check it against the
declarations, and check the entity key. Every problem names the table and the column."""

from __future__ import annotations

import glob

import duckdb
from segl.compiler import model as m
from segl.compiler.ir import Type
from segl.compiler.to_sql import ident

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


def relation_sql(location: m.Location) -> str:
    """A DuckDB FROM-clause item for a location."""
    if location.kind == "table":
        return location.target
    path = (location.path or location.target).replace("'", "''")
    if location.kind == "parquet":
        return f"read_parquet('{path}')"
    return f"read_csv('{path}', header = true)"


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
            rows = self.connection.execute(
                f"DESCRIBE SELECT * FROM {relation_sql(location)}"
            ).fetchall()
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
        key = ident(lookup.key or "").sql("duckdb")
        (duplicates,) = connection.execute(
            f"SELECT count({key}) - count(DISTINCT {key}) FROM {relation_sql(lookup.locations[0])}"
        ).fetchone()
        if duplicates:
            problems.append(f"{_where(lookup, lookup.locations[0])}: key column `{lookup.key}` "
                            f"has {duplicates} duplicate value(s); a lookup has one row per key")
    if problems:
        raise DataError(problems)


def check_entity_key(connection: duckdb.DuckDBPyConnection, model: m.Model) -> int:
    """The entity key must be present and unique: returns the number of entities."""
    entity = model.entity
    key = ident(entity.key or "").sql("duckdb")
    total, missing, duplicates = connection.execute(
        f"SELECT count(*), count(*) - count({key}), count({key}) - count(DISTINCT {key}) "
        f"FROM {relation_sql(entity.locations[0])}"
    ).fetchone()
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
