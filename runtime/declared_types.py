"""What `segl check` compares between the declarations and the data, without an engine:
DuckDB's type names as segl types, the declared columns against the data's, and the entity
key's counts. runtime/sources.py reads the data through DuckDB and re-exports these;
runtime/data_facts.py uses them on a cache hit without importing DuckDB (issue 15 item 5)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from segl.compiler.api import Code, Type, compile_file

from .errors import DataError
from .locations import source_label

if TYPE_CHECKING:
    from pathlib import Path

    from segl.compiler.api import Compilation, Diagnostic, Model

# DuckDB type names -> segl types (prefix match; DECIMAL(18,2), TIMESTAMP WITH TIME ZONE …).
_DUCKDB_TYPES = (
    ("DECIMAL", Type.DECIMAL), ("TIMESTAMP", Type.TIMESTAMP), ("DATE", Type.DATE),
    ("BOOLEAN", Type.BOOL), ("VARCHAR", Type.TEXT), ("DOUBLE", Type.FLOAT), ("FLOAT", Type.FLOAT),
    ("REAL", Type.FLOAT), ("BIGINT", Type.INT), ("INTEGER", Type.INT), ("SMALLINT", Type.INT),
    ("TINYINT", Type.INT), ("HUGEINT", Type.INT), ("UBIGINT", Type.INT), ("UINTEGER", Type.INT),
    ("USMALLINT", Type.INT), ("UTINYINT", Type.INT), ("UHUGEINT", Type.INT),
)

_COMPATIBLE = {
    Type.INT: {Type.INT},
    Type.DECIMAL: {Type.INT, Type.DECIMAL, Type.FLOAT},
    Type.FLOAT: {Type.INT, Type.DECIMAL, Type.FLOAT},
    Type.TEXT: {Type.TEXT},
    Type.BOOL: {Type.BOOL},
    Type.DATE: {Type.DATE},
    Type.TIMESTAMP: {Type.TIMESTAMP, Type.DATE},
}


class ReadSchemas(Protocol):
    """What the data's schemas say: each read table's columns with DuckDB's type names, the
    CSV tables read without rows (a problem naming the file), the problems met reading and
    the tables that could not be read."""

    actual: dict[str, dict[str, str]]
    header_only: dict[str, str]
    problems: list[str]
    unread: set[str]


def segl_type(duckdb_type: str) -> Type:
    upper = duckdb_type.upper()
    for prefix, type_ in _DUCKDB_TYPES:
        if upper.startswith(prefix):
            return type_
    return Type.ANY


def check_declared_types(model: Model, schemas: ReadSchemas) -> None:
    """Declared columns must exist in the data with a compatible type."""
    problems: list[str] = []
    for table in model.tables:
        actual = schemas.actual.get(table.name)
        if actual is None:
            continue
        where = source_label(table, table.locations[0])
        for column in table.columns:
            if not column.declared:
                continue
            if column.name not in actual:
                problems.append(
                    f"{where}: column `{column.name}` is declared but the data has no such "
                    f"column (columns: {', '.join(sorted(actual))})"
                )
                continue
            found = segl_type(actual[column.name])
            if found is not Type.ANY and found not in _COMPATIBLE.get(column.type, {found}):
                problems.append(schemas.header_only.get(table.name) or
                                f"{where}: column `{column.name}` is declared "
                                f"{column.type.value} but is {actual[column.name]} in the data")
    if problems:
        raise DataError(list(dict.fromkeys(problems)))


def raise_key_problems(model: Model, missing: int, duplicates: int) -> None:
    """DataError when the entity key is missing in some rows or repeats."""
    entity = model.entity
    where = source_label(entity, entity.locations[0])
    problems = []
    if missing:
        problems.append(f"{where}: key column `{entity.key}` is missing in {missing} row(s)")
    if duplicates:
        problems.append(f"{where}: key column `{entity.key}` has {duplicates} duplicate value(s);"
                        " an entity table has one row per key")
    if problems:
        raise DataError(problems)


def compile_with_data(path: str | Path, params: dict[str, str] | None,
                      schemas: ReadSchemas) -> Compilation:
    """Compile a file with column types read from its data (`schemas`: DuckDB's, or the
    kept facts); raise DataError when the data cannot be read or its types contradict the
    declarations (which explains any type errors that follow). Check `.ok` after."""
    compilation = compile_file(path, params, schemas)
    if schemas.problems:
        raise DataError(schemas.problems, definition_errors(compilation, schemas.unread))
    if schemas.header_only and not compilation.ok:
        # A CSV file without rows reads as text: that explains the type errors it causes.
        raise DataError(list(schemas.header_only.values()))
    if compilation.model is not None:
        check_declared_types(compilation.model, schemas)
    return compilation


def definition_errors(compilation: Compilation, unread: set[str]) -> list[Diagnostic]:
    """The errors of a compilation whose sources `unread` could not be read, less those
    an unread source may explain: an unknown column of such a table (its data may hold it),
    and any unknown name when the entity is unread (a bare name may be one of its columns)."""
    model = compilation.model
    entity = model.entity.name if model is not None else None

    def explained(diagnostic: Diagnostic) -> bool:
        if diagnostic.code != Code.E101:
            return False
        return entity in unread or model is None or \
            any(f"`{table}`" in diagnostic.message for table in unread)

    return [d for d in compilation.errors if not explained(d)]
