"""Run a plan on DuckDB (embedded): one query, materialized as a temporary table."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars
from segl.compiler.to_sql import ident

MEMBERS_TABLE = "segl_members"


@dataclass
class DuckDBResult:
    connection: duckdb.DuckDBPyConnection
    table: str
    key: str
    segments: list[str]
    segmentations: list[str]
    entities: int
    sizes: dict[str, int]
    buckets: dict[str, dict[str, int]]  # segmentation -> bucket -> entities


def connect(database: str | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if database:
        return duckdb.connect(database, read_only=read_only)
    return duckdb.connect()


def run_query(
    connection: duckdb.DuckDBPyConnection, sql: str, key: str, segments: list[str],
    segmentations: list[str] = (),
) -> DuckDBResult:
    """Materialize the compiled query (key, one boolean column per segment, one bucket name
    per segmentation) and count members and bucket sizes."""
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {MEMBERS_TABLE} AS {sql}")
    return summarize(connection, key, segments, segmentations)


def load_members(
    connection: duckdb.DuckDBPyConnection, members, key: str, segments: list[str],
    segmentations: list[str] = (),
) -> DuckDBResult:
    """Materialize members computed by Polars as the members table, with the column types
    they carry (through the Arrow C stream interface: pyarrow is not needed), and count
    members and bucket sizes. 128-bit integers (sums, DuckDB's HUGEINT) cross as
    DECIMAL(38, 0), which DuckDB's Arrow reader accepts, and become HUGEINT again."""
    wide = [name for name, kind in members.schema.items() if kind == polars.Int128]
    if wide:
        members = members.with_columns(polars.col(wide).cast(polars.Decimal(38, 0)))
    relation = connection.from_arrow(members.__arrow_c_stream__())  # noqa: F841 (SQL below)
    replace = ", ".join(f"CAST({ident(name).sql('duckdb')} AS HUGEINT) AS "
                        f"{ident(name).sql('duckdb')}" for name in wide)
    star = f"* REPLACE ({replace})" if wide else "*"
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {MEMBERS_TABLE} AS SELECT {star} FROM relation")
    return summarize(connection, key, segments, segmentations)


def summarize(
    connection: duckdb.DuckDBPyConnection, key: str, segments: list[str],
    segmentations: list[str] = (),
) -> DuckDBResult:
    """Members per segment and entities per bucket of the members table."""
    counts = ", ".join(
        f"count(*) FILTER (WHERE {ident(s).sql('duckdb')})" for s in segments
    )
    row = connection.execute(
        f"SELECT count(*){', ' + counts if counts else ''} FROM {MEMBERS_TABLE}"
    ).fetchone()
    sizes = {s: int(v) for s, v in zip(segments, row[1:], strict=True)}
    buckets = {}
    for name in segmentations:
        column = ident(name).sql("duckdb")
        rows = connection.execute(
            f"SELECT {column}, count(*) FROM {MEMBERS_TABLE} GROUP BY ALL"
        ).fetchall()
        buckets[name] = {bucket: int(size) for bucket, size in rows}
    return DuckDBResult(connection, MEMBERS_TABLE, key, list(segments), list(segmentations),
                        int(row[0]), sizes, buckets)
