"""What every SQL engine adapter shares: which sources a plan reads, reading them through
DuckDB (the declared locations, as `segl run` reads them), the SQL for another dialect with
those sources moved, and the members frame with DuckDB's column names and types."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
from segl.compiler.api import (
    KPI_GROUP,
    KPI_KIND,
    AsOf,
    Plan,
    SourceOverride,
    column_named,
    location_relation,
    query_for_plan,
)
from segl.compiler.api import tables_read as api_tables_read
from sqlglot import exp

from .. import sql
from ..bad_data import every_value_decoded


@dataclass(frozen=True)
class SourceData:
    """One source table as DuckDB reads it: its name, DuckDB column types and the FROM item."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (column, DuckDB type)
    relation: exp.Expression  # a DuckDB FROM-clause item
    parquet: str | None  # the declared Parquet path, when the first location is one


def duckdb_connection(options: Mapping[str, object]) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection that reads the declared sources (`connection=` or `database=`
    option: a database holding `table` sources)."""
    connection = options.get("connection")
    if connection is not None:
        return connection  # type: ignore[return-value]
    from .duckdb import connect

    database = options.get("database")
    return connect(str(database), read_only=True) if database else connect()


def tables_read(plan: Plan) -> list[str]:
    """The sources the plan's query reads (the entity, aggregated events, the tables they
    are reached through, lookups): the compiler's plan says."""
    return api_tables_read(plan)


def read_sources(plan: Plan, connection: duckdb.DuckDBPyConnection,
                 dialect: str) -> list[SourceData]:
    found = []
    for name in tables_read(plan):
        table = plan.model.table(name)
        location = table.locations[0]
        relation = location_relation(location)
        columns = tuple((row[0], row[1]) for row in sql.fetch_all(
            connection, sql.describe(sql.select(exp.Star(), source=relation.copy()))))
        parquet = (location.path or location.target) if location.kind == "parquet" else None
        found.append(SourceData(name, columns, relation, parquet))
    return found


def as_of_for(as_of: date | AsOf) -> AsOf:
    """One date, or many dates in one pass (`AsOf.many`, then `as_of` is a column)."""
    return as_of if isinstance(as_of, AsOf) else AsOf("date", as_of)


def engine_query(plan: Plan, dialect: str, as_of: date | AsOf,
                 sources: Mapping[str, SourceOverride], kpis: bool = False) -> exp.Select:
    """The members query, or with `kpis` the KPI query (compiler/kpi_sql.py) over it."""
    return query_for_plan(plan, dialect, as_of_for(as_of), sources, kpis=kpis)


def duckdb_output_types(plan: Plan, as_of: date | AsOf,
                        connection: duckdb.DuckDBPyConnection,
                        kpis: bool = False) -> list[tuple[str, str]]:
    """Names and DuckDB types of the members (or KPI) query (binding it reads no rows)."""
    query = query_for_plan(plan, "duckdb", as_of_for(as_of), kpis=kpis)
    return [(row[0], row[1]) for row in sql.fetch_all(connection, sql.describe(query))]


def result_order(plan: Plan, kpis: bool, as_of: date | AsOf | None = None) -> list[str]:
    """How an engine's result is sorted: by key (by date, then key, for many dates), or a
    KPI row by its group."""
    if kpis:
        return [KPI_KIND, KPI_GROUP]
    return ["as_of", plan.key] if isinstance(as_of, AsOf) and as_of.dated else [plan.key]


def polars_type(duckdb_type: str) -> pl.DataType:
    upper = duckdb_type.upper()
    decimal = re.match(r"DECIMAL\((\d+),\s*(\d+)\)", upper)
    if decimal:
        return pl.Decimal(int(decimal.group(1)), int(decimal.group(2)))
    if upper.startswith("TIMESTAMP WITH TIME ZONE"):
        return pl.Datetime("us", "UTC")
    if upper.startswith("TIMESTAMP"):
        return pl.Datetime("us")
    simple = {"BOOLEAN": pl.Boolean, "VARCHAR": pl.String, "DATE": pl.Date,
              "BIGINT": pl.Int64, "INTEGER": pl.Int32, "SMALLINT": pl.Int16,
              "TINYINT": pl.Int8, "HUGEINT": pl.Int128, "UBIGINT": pl.UInt64,
              "UINTEGER": pl.UInt32, "USMALLINT": pl.UInt16, "UTINYINT": pl.UInt8,
              "DOUBLE": pl.Float64, "FLOAT": pl.Float32, "REAL": pl.Float32}
    return simple.get(upper, pl.Object)()  # type: ignore[operator]


def members_frame(rows: Sequence[Sequence[object]], types: Sequence[tuple[str, str]],
                  key: str | list[str]) -> pl.DataFrame:
    """Rows an engine returned, as a frame with DuckDB's column names and types, by key."""
    return typed_frame(rows, types).sort(_by(key))


def typed_frame(rows: Sequence[Sequence[object]],
                types: Sequence[tuple[str, str]]) -> pl.DataFrame:
    """Rows as a frame with DuckDB's column names and types, in their order."""
    columns = []
    for index, (name, duckdb_type) in enumerate(types):
        dtype = polars_type(duckdb_type)
        values: Iterable[object] = (row[index] for row in rows)
        if dtype == pl.Boolean:  # engines without booleans return 1 / 0
            values = (None if v is None else bool(v) for v in values)
        columns.append(pl.Series(name, list(values), dtype=dtype, strict=False))
    return pl.DataFrame(columns)


def query_frame(connection: duckdb.DuckDBPyConnection, query: exp.Expression) -> pl.DataFrame:
    """A DuckDB query's rows as a frame with DuckDB's column names and types (typed_frame's),
    read through Arrow: building it from Python rows took 4x longer for the shop's members
    (a million rows in the long shape)."""
    types = [(row[0], row[1]) for row in sql.fetch_all(connection, sql.describe(query))]
    if any(polars_type(kind) == pl.Object for _, kind in types):  # (no Arrow equivalent)
        return typed_frame(sql.fetch_all(connection, query), types)
    frame = sql.frame(connection, query)
    return frame.select(pl.Series(name, frame.to_series(index)).cast(polars_type(kind))
                        for index, (name, kind) in enumerate(types))


def frame_from(frame: pl.DataFrame, types: Sequence[tuple[str, str]],
               key: str | list[str]) -> pl.DataFrame:
    """A frame an engine returned (any column types), cast to DuckDB's names and types."""
    names = [name for name, _ in types]
    if frame.columns != names:
        raise AssertionError(f"engine returned columns {frame.columns}, expected {names}")
    return frame.select(
        column_named(name).cast(polars_type(kind), strict=False) for name, kind in types
    ).sort(_by(key))


def _by(key: str | list[str]) -> list[pl.Expr]:
    """Sort keys by exact name (a key column may be called `*`)."""
    return [column_named(name) for name in ([key] if isinstance(key, str) else key)]


sort_by = _by


def decode_every_value(reader: duckdb.DuckDBPyConnection, source: SourceData) -> None:
    """Read every value of a Parquet source through DuckDB, which checks what ClickHouse and
    Spark do not (text that is not UTF-8, among others), before they read the file in place:
    a file DuckDB cannot read yields no members on any engine. Raises duckdb.Error."""
    sql.fetch_all(reader, every_value_decoded(source.relation,
                                              [name for name, _ in source.columns]))


def parquet_sources(reader: duckdb.DuckDBPyConnection, sources: Sequence[SourceData],
                    folder: Path) -> dict[str, SourceOverride]:
    """For engines that read Parquet: each source's declared Parquet files, or (for CSV and
    database tables) a Parquet file DuckDB writes into `folder` with the types it reads."""
    overrides = {}
    for index, source in enumerate(sources):
        path = source.parquet
        if path is not None:
            decode_every_value(reader, source)
        if path is None:
            # (numbered, not named after the source: a name is no file name)
            path = str(folder / f"source_{index}.parquet")
            query = sql.select(exp.Star(), source=source.relation.copy())
            sql.execute(reader, sql.copy_to(query, path, {"FORMAT": "parquet"}))
        overrides[source.name] = SourceOverride("parquet", path)
    return overrides
