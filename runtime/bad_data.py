"""Bad data, named: when a source file cannot be read, which table, which file, which column
and which row (or byte) — never a traceback and never a value from the data (a bad row may
hold personal data, and errors end up in CI logs).

Every engine reads the declared files through DuckDB or, on `--engine polars`, through
Polars. When reading fails, the source files the query reads are read again through DuckDB,
one at a time, on a connection of their own:

- a CSV file with `store_rejects`, so DuckDB lists each row it cannot read (its line, byte,
  column and the kind of problem) instead of stopping at the first;
- a Parquet file one column at a time, each value decoded, which names the column (and the
  row group) that cannot be.

`segl check` runs the CSV scan on every CSV source before anything fails (docs/engines.md).
"""

from __future__ import annotations

import contextlib
import csv
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import duckdb
from segl.compiler.api import (
    CompileError,
    Location,
    Table,
    personal_column,
    polars_scan_source,
)

from . import sql
from .engines.duckdb import connect
from .errors import DataError, OutputError, UsageError
from .locations import location_files as location_files
from .locations import shown_file as shown_file
from .locations import source_label as source_label
from .parquet_checksums import parquet_metadata

if TYPE_CHECKING:  # (sqlglot is imported where a query is built: `segl check` on Parquet
    # files reads them without it, issue 15 item 5)
    from sqlglot import exp

# Bad rows listed per file; the others are counted.
LISTED_ROWS = 3
# Delimiters the CSV sniffer chooses from; a one-column header holding one of them means the
# sniffer could not split the rows (see csv_dialect_problems).
DELIMITERS = (",", ";", "\t", "|")
_ROW_PROBLEMS = {
    "MISSING COLUMNS": "fewer values than the header's {width} columns",
    "TOO MANY COLUMNS": "more values than the header's {width} columns",
    "UNQUOTED VALUE": "a quoted value is not closed, or text follows its closing quote",
    "INVALID ENCODING": "bytes that are not UTF-8 (save the file as UTF-8)",
    "INVALID UNICODE": "bytes that are not UTF-8 (save the file as UTF-8)",
    "LINE SIZE OVER MAXIMUM": "a line longer than DuckDB reads (max_line_size)",
}


# ------------------------------------------------------------------------------------- CSV
# Where DuckDB's `store_rejects` puts the rows it cannot read (on a connection of its own).
_REJECTS_TABLE, _REJECT_SCANS_TABLE = "segl_rejects", "segl_reject_scans"


def _rejects_query() -> exp.Select:
    from sqlglot import exp

    """Each rejected row: its file, line, byte, column and kind of problem, and how many
    rows of its file were rejected; by file and line."""
    file = sql.col("file_path", "s")
    listed = [file, *(sql.col(name, "e") for name in
                      ("line", "byte_position", "column_name", "error_type")),
              exp.Window(this=sql.count_all(), partition_by=[file.copy()])]
    query = sql.select(*listed, source=sql.table_as(_REJECTS_TABLE, "e"))
    query = query.join(sql.table_as(_REJECT_SCANS_TABLE, "s"), join_type="inner",
                       using=[sql.ident("scan_id"), sql.ident("file_id")], copy=False)
    return query.order_by(file.copy(), sql.col("line", "e"), copy=False)

def csv_row_problems(table: Table, location: Location,
                     header: tuple[str, Sequence[str]] | None = None) -> list[str]:
    """Every row of a CSV location DuckDB cannot read as segl reads it (the first few per
    file, and how many more). With `header` (a delimiter and the column names), the file is
    read with that delimiter and every column as text, nothing sniffed: for a file whose
    first rows the sniffer could not split."""
    from segl.compiler.api import duckdb_file_reader
    from sqlglot import exp

    path = location.path or location.target
    options: list[tuple[str, bool | int | str | exp.Expression]] = [
        ("store_rejects", True), ("rejects_table", _REJECTS_TABLE),
        ("rejects_scan", _REJECT_SCANS_TABLE)]
    if header is not None:
        delimiter, names = header
        options += [("auto_detect", False), ("delim", delimiter), ("columns", exp.Struct(
            expressions=[exp.PropertyEQ(this=exp.Literal.string(name),
                                        expression=exp.Literal.string("VARCHAR"))
                         for name in names]))]
    reader = duckdb_file_reader("csv", path, tuple(options))
    connection = connect()  # with the command's resource settings
    try:
        columns = sql.fetch_all(connection, sql.describe(
            sql.select(exp.Star(), source=reader.copy())))
        # Reading every column makes DuckDB convert every value (count(*) alone would not).
        counted = [exp.Count(this=sql.col(name)) for name, *_ in columns]
        sql.fetch_all(connection, sql.select(*counted, source=reader.copy()))
        rejects = sql.fetch_all(connection, _rejects_query())
    except duckdb.Error as exc:
        return [f"{source_label(table, location)}: cannot read `{location.target}`: "
                f"{redacted(exc, [table])}"]
    finally:
        connection.close()
    types = {name: kind for name, kind, *_ in columns}
    problems, listed = [], {}
    for file, line, byte, column, kind, total in rejects:
        listed[file] = listed.get(file, 0) + 1
        if listed[file] > LISTED_ROWS:
            continue
        # DuckDB counts bytes from 1; an offset (what `seek` and hex dumps show) from 0.
        place = (f"line {line}" + (f", column `{column}`" if column else "")
                 + f" (byte offset {byte - 1})")
        if kind == "CAST":
            what = (f"not a valid {types.get(column, 'value')} (the column's type, which "
                    "DuckDB took from the file's first rows)")
        else:
            what = _ROW_PROBLEMS.get(kind, kind.lower()).format(width=len(columns))
        more = total - LISTED_ROWS
        tail = f"; and {more} more bad line{'s' if more != 1 else ''}" \
            if listed[file] == LISTED_ROWS and more > 0 else ""
        problems.append(f"{source_label(table, location)}: `{shown_file(file, location)}` "
                        f"{place}: {what}{tail}")
    return problems


def csv_dialect_problems(table: Table, location: Location,
                         columns: Sequence[str]) -> list[str]:
    """A CSV file read as one column whose name holds a delimiter: the sniffer could not
    split the first rows consistently (a broken row among them, typically a quote left
    open), so it gave up on the delimiter. Reading with that delimiter names the row."""
    if len(columns) != 1:
        return []
    found = [d for d in DELIMITERS if d in columns[0]]
    if not found:
        return []
    delimiter = max(found, key=columns[0].count)
    names = _header_names(location, delimiter)
    problems = csv_row_problems(table, location, (delimiter, names)) if names else []
    if problems:
        return problems
    return [f"{source_label(table, location)}: `{location.target}`: DuckDB could not tell its "
            f"columns apart (the header has `{delimiter}` but the first rows do not split "
            "into the same number of values)"]


def _header_names(location: Location, delimiter: str) -> list[str]:
    files = location_files(location)
    if not files:
        return []
    with open(files[0], encoding="utf-8-sig", errors="replace", newline="") as stream:
        return next(csv.reader(stream, delimiter=delimiter), [])


def csv_is_empty(location: Location) -> bool:
    """No header line at all: an empty file (or one holding only blank lines)."""
    path = location.path or location.target
    if any(c in path for c in "*?["):
        return False
    try:
        with open(path, "rb") as stream:
            return not stream.read(4096).strip(b" \t\r\n\xef\xbb\xbf")
    except OSError:
        return False  # (a folder, no permission: DuckDB's schema read names it)


# --------------------------------------------------------------------------------- Parquet
def parquet_problems(table: Table, location: Location) -> list[str]:
    """The first column (and row group) of each file of a Parquet location that DuckDB
    cannot decode."""
    problems = []
    for file in location_files(location):
        problem = _parquet_file_problem(file, table)
        if problem:
            problems.append(f"{source_label(table, location)}: "
                            f"`{shown_file(file, location)}` {problem}")
    return problems


def _parquet_file_problem(file: str, table: Table) -> str | None:
    from segl.compiler.api import duckdb_file_reader
    from sqlglot import exp

    connection = connect()  # with the command's resource settings
    reader = duckdb_file_reader("parquet", file, (("file_row_number", True),))
    try:
        try:
            columns = [row[0] for row in sql.fetch_all(connection, sql.describe(
                sql.select(exp.Star(), source=reader.copy()))) if row[0] != "file_row_number"]
            group = sql.col("row_group_id")
            groups = sql.fetch_all(connection, sql.select(
                group, exp.Min(this=sql.col("row_group_num_rows")),
                source=parquet_metadata()).group_by(group.copy()).order_by(group.copy()),
                [file])
        except duckdb.Error as exc:
            return f"cannot be read: {parquet_reason(exc, [table])}"
        for column in columns:
            failure = _decode_failure(connection, reader, column, None)
            if failure is None:
                continue
            where = f"column `{column}`"
            first = 0
            for group_id, rows in groups:
                if _decode_failure(connection, reader, column, (first, first + rows)):
                    where += f", row group {group_id} (rows {first + 1} to {first + rows})"
                    break
                first += rows
            return f"{where} cannot be read: {parquet_reason(failure, [table])}"
        return None
    finally:
        connection.close()


def every_value_decoded(source: exp.Expression, columns: Sequence[str]) -> exp.Select:
    """A query that decodes every value of `columns` of `source` and keeps none (a hash of
    each, folded into one number): DuckDB decodes a page only for a query that uses its
    values, and checks what other engines do not (text that is not UTF-8, among others)."""
    from sqlglot import exp

    return sql.select(*(exp.func("bit_xor", exp.func("hash", sql.col(name)))
                        for name in columns), source=source.copy())


def _decode_failure(connection: duckdb.DuckDBPyConnection, reader: exp.Expression,
                    column: str, rows: tuple[int, int] | None) -> duckdb.Error | None:
    """Decode every value of one column (of the rows [start, end)); the error, if any."""
    from sqlglot import exp

    query = every_value_decoded(reader, [column])
    if rows is not None:
        number = sql.col("file_row_number")
        query = query.where(exp.and_(
            exp.GTE(this=number, expression=sql.number(rows[0])),
            exp.LT(this=number.copy(), expression=sql.number(rows[1]))), copy=False)
    try:
        sql.fetch_all(connection, query)
    except duckdb.Error as exc:
        return exc
    return None


def parquet_reason(failure: BaseException, tables: Sequence[Table]) -> str:
    text = str(failure)
    if "UTF8" in text or "UTF-8" in text or "utf-8" in text:
        return "text that is not valid UTF-8"
    return f"the file is damaged ({redacted(failure, tables)})"


# ------------------------------------------------------------------------ any failure
def redacted(failure: BaseException, tables: Sequence[Table]) -> str:
    """The first line of an engine's message about reading `tables`, with quoted and
    bracketed parts (values from the data, paths of temporary files) left out. Where the
    tables hold personal data the message is withheld altogether: an engine may write a
    value without quotes (a number out of range), and errors end up in CI logs."""
    personal = personal_data(tables)
    if personal:
        return (f"{type(failure).__name__}; the engine's words are withheld, as they may "
                f"hold a value of personal data: {', '.join(personal[:3])}")
    lines = str(failure).strip().splitlines()
    text = lines[0] if lines else type(failure).__name__
    text = re.sub(r'"[^"]*"|`[^`]*`|\'[^\']*\'|\[[^\]]*\]', "…", text)
    return text[:300]


def personal_data(tables: Sequence[Table]) -> list[str]:
    """The personal columns of `tables` (docs/privacy.md: tagged `pii` or `sensitive`, or
    of a lookup joined through one of them), described as `allow` names them."""
    table_of = {table.name: table for table in tables}.get
    found = (personal_column(table_of, table.name, column.name)
             for table in tables for column in table.columns)
    return [column.describe() for column in found if column is not None]


def explain_failure(tables: Sequence[Table], failure: BaseException,
                    engine: str) -> list[str]:
    """Why reading `tables` failed: the bad rows or columns of their files when DuckDB finds
    them, else the failing table when Polars was reading, else the engine's own words."""
    problems: list[str] = []
    for table in tables:
        location = table.locations[0] if table.locations else None
        if location is None or location.kind == "table":
            continue
        if location.kind == "csv":
            problems += csv_row_problems(table, location)
        else:
            problems += parquet_problems(table, location)
    if problems:
        return problems
    if isinstance(failure, _polars_failures()):
        problems = _polars_source_problems(tables)
        if problems:
            return problems
    return [f"the {engine} engine could not read the data: {redacted(failure, tables)}"]


def _polars_source_problems(tables: Sequence[Table]) -> list[str]:
    for table in tables:
        try:
            frame = polars_scan_source(table)
            if frame is not None:
                frame.collect()
        except (*_polars_failures(), OSError) as exc:
            return [f"{source_label(table, table.locations[0])}: Polars cannot read "
                    f"`{table.locations[0].target}`: {redacted(exc, [table])}"]
    return []


def _polars_failures() -> tuple[type[BaseException], ...]:
    """What Polars fails with (its panics are BaseExceptions): nothing when Polars was never
    imported, since then it cannot have failed (and `segl check` need not import it)."""
    polars = sys.modules.get("polars")
    if polars is None:
        return ()
    return (polars.exceptions.PolarsError, polars.exceptions.PanicException)


# What reading data fails with: DuckDB (which reads for every SQL engine's loader), Polars
# and the file system. Errors about the SQL itself (a binder or parser error) are segl's
# bugs, not the data's, and are not renamed.
def _read_failures() -> tuple[type[BaseException], ...]:
    return (duckdb.Error, *_polars_failures(), OSError)


_SQL_BUGS = (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException)


@contextlib.contextmanager
def named_data_errors(tables: Callable[[], Sequence[Table]],
                      engine: str = "duckdb") -> Iterator[None]:
    """Reading the sources `tables()` returns (asked only when something failed), on
    `engine`: a failure becomes a DataError naming the table, the file, the column and the
    row where they can be found. segl's own errors pass, and so do DuckDB's errors about
    the SQL itself. Any error of another engine (their classes vary: a server's, Spark's) is
    explained the same way."""
    try:
        yield
    except (CompileError, DataError, UsageError, OutputError, *_SQL_BUGS):
        raise
    except _read_failures() as failure:
        raise DataError(explain_failure(tables(), failure, engine)) from None
    except Exception as failure:
        if engine in ("duckdb", "polars"):
            raise
        raise DataError(explain_failure(tables(), failure, engine)) from None
