"""Where data comes from: read each source's schema through DuckDB, check it against the
declarations, and check the entity key. Every problem names the table and the column.

A Parquet source is read through DuckDB's relation API (runtime/sql.py: `read_parquet`,
`aggregate_row` with DuckDB expression objects), so that `segl check` on Parquet files
imports neither sqlglot nor the SQL backend (issue 15 item 5); a CSV file or a database
table is read as a sqlglot tree (its reader's options are the SQL backend's)."""

from __future__ import annotations

import glob
from typing import TYPE_CHECKING

import duckdb
from segl.compiler.api import Location, Model, Table, Type

from . import sql
from .bad_data import (
    csv_dialect_problems,
    csv_is_empty,
    csv_row_problems,
    location_files,
    parquet_reason,
    redacted,
    shown_file,
    source_label,
)
from .declared_types import check_declared_types as check_declared_types
from .declared_types import raise_key_problems as raise_key_problems
from .declared_types import segl_type as segl_type
from .errors import DataError
from .parquet_checksums import checksum_mismatches

if TYPE_CHECKING:
    from sqlglot import exp


def relation(location: Location, alias: str | None = None) -> exp.Expression:
    """A DuckDB FROM-clause item for a location (a tree: a table name's parts as
    identifiers, a path as a string literal), `AS alias` when given."""
    from segl.compiler.api import location_relation

    return location_relation(location, "duckdb", alias)


def rows_of(connection: duckdb.DuckDBPyConnection,
            location: Location) -> duckdb.DuckDBPyRelation:
    """A location's rows as a DuckDB relation: Parquet through `read_parquet` (no sqlglot),
    any other location through its reader as a tree. Raises duckdb.Error when it cannot be
    read (only its schema is read here)."""
    if location.kind == "parquet" and location.path is not None:
        return sql.read_parquet(connection, location.path)
    from sqlglot import exp

    return sql.relation(connection, sql.select(exp.Star(), source=relation(location)))


def _count_rows(connection: duckdb.DuckDBPyConnection, location: Location,
                *columns: duckdb.Expression) -> tuple:
    return sql.aggregate_row(rows_of(connection, location), *columns)


class DuckDBSchemas:
    """A schema provider for the compiler: column types of each source, read from the data.
    Problems reading a source are kept in `problems` for the runtime to report: a missing or
    empty file, a damaged Parquet page (its checksum), a CSV file whose first rows DuckDB
    cannot split into columns. `header_only` holds the CSV files with a header and no rows,
    whose columns all read as text (that explains type errors that follow)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self.problems: list[str] = []
        self.actual: dict[str, dict[str, str]] = {}
        self.header_only: dict[str, str] = {}  # table -> a problem naming the file
        self.unread: set[str] = set()  # the tables that could not be read

    def __call__(self, table: Table) -> dict[str, Type] | None:
        if not table.locations:
            return None
        location = table.locations[0]
        where = source_label(table, location)
        if location.kind != "table":
            problems = _file_problems(table, location, self.connection)
            if problems:
                self.problems += problems
                self.unread.add(table.name)
                return None
        try:
            rows = sql.columns(rows_of(self.connection, location))
        except duckdb.Error as exc:
            self.unread.add(table.name)
            if location.kind == "table":
                message = str(exc).splitlines()[0]
                self.problems.append(f"{where}: table `{location.target}` cannot be read "
                                     f"({message}); pass --db with the DuckDB database that "
                                     "holds it")
            elif location.kind == "csv":
                self.problems += csv_row_problems(table, location) or [
                    f"{where}: cannot read `{location.target}`: {redacted(exc, [table])}"]
            else:
                self.problems.append(f"{where}: `{location.target}` cannot be read: "
                                     f"{parquet_reason(exc, [table])}")
            return None
        if location.kind == "csv":
            problems = csv_dialect_problems(table, location, [row[0] for row in rows])
            if problems:
                self.problems += problems
                self.unread.add(table.name)
                return None
            if self._no_rows(location, rows):
                self.header_only[table.name] = (
                    f"{where}: `{location.target}` has a header but no rows, so every column "
                    "reads as text (segl takes a CSV file's column types from its rows): add "
                    "rows, or write the table as Parquet, which keeps its types")
        self.actual[table.name] = {name: kind for name, kind, *_ in rows}
        return {name: segl_type(kind) for name, kind, *_ in rows}

    def _no_rows(self, location: Location, rows: list[tuple]) -> bool:
        if any(kind != "VARCHAR" for _, kind, *_ in rows):
            return False  # a column typed from its values: there are rows
        return not rows_of(self.connection, location).limit(1).fetchall()


def _file_problems(table: Table, location: Location,
                   connection: duckdb.DuckDBPyConnection) -> list[str]:
    """What is wrong with a file location before DuckDB reads its schema."""
    where = source_label(table, location)
    path = location.path or location.target
    files = [file for file in location_files(location) if glob.glob(file)]
    if not files:
        what = "no file matches" if any(c in path for c in "*?[") else "no file"
        return [f"{where}: {what} `{location.target}` (looked for {path})"]
    if location.kind == "csv" and csv_is_empty(location):
        return [f"{where}: `{location.target}` is empty: a CSV file needs a header line"]
    problems = []
    if location.kind == "parquet":
        for file in files:
            try:
                mismatches = checksum_mismatches(file, connection)
            except (duckdb.Error, OSError):
                continue  # an unreadable footer: DuckDB's schema read names it
            problems += [f"{where}: `{shown_file(file, location)}`: {mismatch.describe()}"
                         for mismatch in mismatches[:1]]
    return problems


def check_csv_rows(model: Model) -> None:
    """Every row of every CSV source reads as its column types say (`segl check`: the query
    itself only converts the columns it reads)."""
    problems = []
    for table in model.tables:
        location = table.locations[0] if table.locations else None
        if location is not None and location.kind == "csv":
            problems += csv_row_problems(table, location)
    if problems:
        raise DataError(problems)


def check_lookup_keys(connection: duckdb.DuckDBPyConnection, model: Model,
                      lookups: tuple[str, ...]) -> None:
    """A lookup joins many-to-one: a duplicated key would silently duplicate rows."""
    problems = []
    for name in lookups:
        lookup = model.lookups[name]
        (duplicates,) = _count_rows(connection, lookup.locations[0], _duplicates(lookup.key))
        if duplicates:
            problems.append(f"{source_label(lookup, lookup.locations[0])}: key column "
                            f"`{lookup.key}` has {duplicates} duplicate value(s); a lookup has "
                            "one row per key")
    if problems:
        raise DataError(problems)


def check_entity_key(connection: duckdb.DuckDBPyConnection, model: Model) -> int:
    """The entity key must be present and unique: returns the number of entities."""
    entity = model.entity
    key = duckdb.col(entity.key or "")
    total, missing, duplicates = _count_rows(
        connection, entity.locations[0], duckdb.count_all(),
        duckdb.count_all() - key.count(), _duplicates(entity.key))
    raise_key_problems(model, missing, duplicates)
    return int(total)


def _duplicates(key: str | None) -> duckdb.Expression:
    """count(key) - count(DISTINCT key): how many non-null keys repeat one before them."""
    column = duckdb.col(key or "")
    return column.count() - column.n_unique()
