"""Compiling a file against its data, and `segl check`'s checks of that data: what the
`check` command needs from the runtime, apart from runtime/api.py (which imports the SQL
backend, sqlglot and every engine's registry to evaluate segments). On Parquet sources
nothing here imports sqlglot: the schemas and keys are read through DuckDB's relation API
(runtime/sources.py; tests/runtime/test_import_budget.py pins it, issue 15 item 5)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from segl.compiler.api import Code, Compilation, Diagnostic, compile_file

from .bad_data import named_data_errors
from .engines import duckdb as duckdb_engine
from .errors import DataError
from .sources import (
    DuckDBSchemas,
    check_csv_rows,
    check_declared_types,
    check_entity_key,
    check_lookup_keys,
)


def load(
    path: str | Path,
    params: dict[str, str] | None = None,
    database: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> tuple[Compilation, duckdb.DuckDBPyConnection]:
    """Compile a file with column types read from its data; raise DataError when the data
    cannot be read. Returns the compilation (check `.ok`) and the connection."""
    connection = connection or duckdb_engine.connect(database)
    schemas = DuckDBSchemas(connection)
    compilation = compile_file(path, params, schemas)
    if schemas.problems:
        raise DataError(schemas.problems, definition_errors(compilation, schemas.unread))
    if schemas.header_only and not compilation.ok:
        # A CSV file without rows reads as text: that explains the type errors it causes.
        raise DataError(list(schemas.header_only.values()))
    if compilation.model is not None:
        # A declared type that the data contradicts explains any type errors that follow.
        check_declared_types(compilation.model, schemas)
    return compilation, connection


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


def check_data(compilation: Compilation, connection: duckdb.DuckDBPyConnection) -> None:
    """What `segl check` checks beyond the schemas: every row of every CSV source, and the
    keys of the entity and of every lookup. Raises DataError."""
    model = compilation.require_ok()
    check_csv_rows(model)
    with named_data_errors(lambda: model.tables):
        check_entity_key(connection, model)
        check_lookup_keys(connection, model, tuple(model.lookups))
