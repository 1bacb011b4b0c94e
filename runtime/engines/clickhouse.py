"""Run a plan on ClickHouse, in process through chdb.

ClickHouse reads Parquet itself (`file('…', Parquet)`): sources declared as Parquet are read
where they are; any other source (CSV, a DuckDB table) is first written to a Parquet file by
DuckDB, with the types DuckDB reads it with. The session runs in UTC with `join_use_nulls`
(a row missing from a LEFT JOIN gives NULL, not the type's default 0 or '').
"""

from __future__ import annotations

import io
import tempfile
import threading
from datetime import date
from pathlib import Path

import polars as pl
from segl.compiler.api import Compilation, Plan
from sqlglot import exp

from .. import sql
from .loading import (
    duckdb_connection,
    duckdb_output_types,
    engine_query,
    frame_from,
    parquet_sources,
    read_sources,
    result_order,
)

DIALECT = "clickhouse"
# Settings that make ClickHouse follow standard SQL where segl relies on it.
SETTINGS = {
    "join_use_nulls": exp.Literal.number(1),  # LEFT JOIN without a match: NULL, not 0 / ''
    "session_timezone": exp.Literal.string("UTC"),
}

_session: dict[str, object] = {}
_lock = threading.Lock()


def session(path: str | None = None):
    """This process's chdb session (chdb allows one at a time), created on first use: in
    memory, or with `path` a database folder that keeps its tables (`segl export --target
    DIR`); asked for another folder, the current session is closed and one opened there
    (the engine's queries read files and care not which)."""
    from chdb import session as chdb_session

    with _lock:
        current = _session.get("session")
        if current is not None and path is not None and _session.get("path") != path:
            current.close()  # type: ignore[attr-defined]
            current = None
        if current is None:
            _session["session"] = chdb_session.Session(path)
            _session["path"] = path
        return _session["session"]


def run_members(compilation: Compilation, plan: Plan, as_of: date,
                **options: object) -> pl.DataFrame:
    """Options: `connection` / `database` (DuckDB, reads sources that are not Parquet)."""
    reader = duckdb_connection(options)
    kpis = bool(options.get("kpis"))  # the KPI query instead of the members
    sources = read_sources(plan, reader, DIALECT)
    with tempfile.TemporaryDirectory(prefix="segl-clickhouse-") as folder:
        overrides = parquet_sources(reader, sources, Path(folder))
        query = with_settings(engine_query(plan, DIALECT, as_of, overrides, kpis=kpis))
        result = sql.chdb_query(session(), query, "ArrowStream")
        frame = pl.read_ipc_stream(io.BytesIO(result.bytes()))
    return frame_from(frame, duckdb_output_types(plan, as_of, reader, kpis),
                      result_order(plan, kpis, as_of))


def with_settings(query: exp.Select) -> exp.Select:
    """The query with segl's SETTINGS added to its own (the KPI query has some)."""
    settings = list(query.args.get("settings") or [])
    settings += [exp.EQ(this=exp.column(name), expression=value.copy())
                 for name, value in SETTINGS.items()]
    query.set("settings", settings)
    return query
