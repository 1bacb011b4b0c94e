"""Member outputs: long (key, segment) or wide (key + one boolean per segment), written as
CSV, Parquet or JSON. Every file is written to a temporary file beside the target and renamed
into place, so a reader never sees half a file and a failed run leaves the old file intact;
for stdout (`segl run --out -`) the same bytes are copied from a private temporary file."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlglot import exp

from . import sql
from .atomic_files import atomic_path

if TYPE_CHECKING:  # (imported when a query runs: `segl compile --out` needs no DuckDB)
    import duckdb

FORMATS = ("csv", "parquet", "json")


def format_for(path: str, explicit: str | None) -> str:
    if explicit and explicit != "table":
        return explicit
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    if suffix == "ndjson" or suffix == "jsonl":
        return "json"
    raise ValueError(f"cannot tell the format of `{path}`: use --format csv|parquet|json")


def members_query(table: str, key: str, segments: list[str], shape: str,
                  segmentations: list[str] = (), scores: list[str] = (),
                  traits: list[str] = (), dated: bool = False) -> exp.Select:
    """The members in a stable order, as a query tree.

    wide: the key, one boolean column per segment, one bucket-name column per segmentation,
    one column per segmentation score (`rfm__r`) and one per trait (a feature's value, in
    its own type), by key. long: one row (key, segment) per member of each segment, then one
    row (key, "segmentation.bucket") per entity for each segmentation, in declaration order,
    then by key; each row with the entity's traits. Segment names are string literals:
    sqlglot escapes them. `dated` (many dates in one run): every row starts with its date
    (`as_of`), and the rows are ordered by date first."""
    if dated:
        return _dated(members_query(table, key, segments, shape, segmentations, scores,
                                    traits))
    if shape == "long":
        clash = next((name for name in (key, *traits) if name.casefold() == "segment"), None)
        if clash is not None:  # DuckDB would name one `segment_1`, Polars refuse both
            from .errors import UsageError

            raise UsageError(f"the long output has a column `segment`, and `{clash}` would be "
                             "a second one: write --shape wide, or rename it")
    k = sql.col(key)
    members = sql.table_ref(table)
    values = [sql.col(t) for t in traits]
    if shape == "wide":
        columns = [sql.col(s) for s in (*segments, *segmentations, *scores)]
        return sql.select(k, *columns, *values, source=members).order_by(k.copy(), copy=False)
    parts = [
        sql.select(k.copy(), sql.aliased(sql.text(s), _SEGMENT),
                   sql.aliased(sql.number(i), _ORDER), *_copies(values),
                   source=members.copy()).where(sql.col(s), copy=False)
        for i, s in enumerate(segments)
    ]
    parts += [
        sql.select(k.copy(), sql.aliased(exp.DPipe(this=sql.text(f"{s}."), expression=sql.col(s)),
                                         _SEGMENT),
                   sql.aliased(sql.number(len(segments) + i), _ORDER), *_copies(values),
                   source=members.copy())
        for i, s in enumerate(segmentations)
    ]
    if not parts:
        return sql.select(k, sql.aliased(exp.cast(exp.Null(), "VARCHAR"), "segment"),
                          *values, source=members).where(exp.false(), copy=False)
    stacked = parts[0]
    for part in parts[1:]:
        stacked = exp.union(stacked, part, distinct=False, copy=False)
    return sql.select(k.copy(), sql.aliased(sql.col(_SEGMENT), "segment"), *_copies(values),
                      source=sql.subquery(stacked)).order_by(sql.col(_ORDER), k.copy(),
                                                             copy=False)


def _dated(query: exp.Select) -> exp.Select:
    """A members query of a table with an `as_of` column: the date first, ordered by it."""
    date = sql.col("as_of")
    query.set("expressions", [date, *query.expressions])
    source = query.args["from_"].this
    if isinstance(source, exp.Subquery):  # long: each stacked part carries the date
        for part in source.this.find_all(exp.Select):
            part.set("expressions", [date.copy(), *part.expressions])
    order = query.args.get("order")
    if order is not None:
        order.set("expressions", [exp.Ordered(this=date.copy()), *order.expressions])
    return query


def _copies(columns: list[exp.Expression]) -> list[exp.Expression]:
    return [c.copy() for c in columns]


# The long output's working columns: a backquote is in no name, so never the key's.
_SEGMENT, _ORDER = "`segment", "`order"


_COPY_OPTIONS: dict[str, dict[str, str | bool]] = {
    "csv": {"FORMAT": "csv", "HEADER": True}, "parquet": {"FORMAT": "parquet"},
    "json": {"FORMAT": "json", "ARRAY": True}}


def write_atomically(
    connection: duckdb.DuckDBPyConnection, query: exp.Expression, path: str, fmt: str
) -> None:
    with atomic_path(path) as temp:
        sql.execute(connection, sql.copy_to(query, temp, _COPY_OPTIONS[fmt]))


def write_to_stream(connection: duckdb.DuckDBPyConnection, query: exp.Expression, fmt: str,
                    stream: BinaryIO) -> None:
    """The query's rows as `fmt` on `stream` (stdout), byte for byte what a file would hold:
    DuckDB writes files, so into a private temporary folder first, then copied."""
    with tempfile.TemporaryDirectory(prefix="segl-") as folder:
        # the COPY options name the format, so the file needs no extension
        temp = os.path.join(folder, "members")
        sql.execute(connection, sql.copy_to(query, temp, _COPY_OPTIONS[fmt]))
        with open(temp, "rb") as written:
            shutil.copyfileobj(written, stream)
    stream.flush()
