"""Compiling a file against its data, and `segl check`'s checks of that data: what the
`check` command needs from the runtime, apart from runtime/api.py (which imports the SQL
backend, sqlglot and every engine's registry to evaluate segments). On Parquet sources
nothing here imports sqlglot: the schemas and keys are read through DuckDB's relation API
(runtime/sources.py; tests/runtime/test_import_budget.py pins it, issue 15 item 5)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from segl.compiler.api import Compilation

from .bad_data import named_data_errors
from .declared_types import compile_with_data
from .declared_types import definition_errors as definition_errors
from .engines import duckdb as duckdb_engine
from .sources import (
    DuckDBSchemas,
    check_csv_rows,
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
    compilation = compile_with_data(path, params, schemas)
    return compilation, connection


def check_data(compilation: Compilation, connection: duckdb.DuckDBPyConnection) -> None:
    """What `segl check` checks beyond the schemas: every row of every CSV source, and the
    keys of the entity and of every lookup. Raises DataError."""
    model = compilation.require_ok()
    check_csv_rows(model)
    with named_data_errors(lambda: model.tables):
        check_entity_key(connection, model)
        check_lookup_keys(connection, model, tuple(model.lookups))
