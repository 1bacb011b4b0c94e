"""The prepared layout (`segl prepare`, issue 15 item 3): each events table of a project
stored once as Parquet sorted by the entity key (or the key it reaches the entity
through) and then by time, so that DuckDB's grouped scan per entity reads rows of one
entity together; `run`, `kpis`, `report` and every command that evaluates on DuckDB read
those files instead of the declared sources while the sources are unchanged.

Where: `.segl-prepared/` beside `segl.toml` (or beside the entry file without one), with
`manifest.json` listing, per table, the prepared file and a fingerprint of the source files
it was made from (path, size, modification time of every file a glob matched). A run uses
a prepared file only when the fingerprint still matches the sources; otherwise it reads the
sources as declared (a stale layout costs speed, never correctness). Writing is atomic: each
file is written under a temporary name and renamed, named by its fingerprint, and the
manifest is replaced last, so a run at the same time sees the old layout or the new one.

Row groups: DuckDB scans a Parquet file in parallel by row group, so a file is cut into
at least `ROW_GROUPS_PER_THREAD` groups per thread (between `MIN_ROW_GROUP` and
`MAX_ROW_GROUP` rows); sorted by key, each group holds a contiguous range of entities.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from segl.compiler.api import Model, SourceOverride, Table, location_relation
from sqlglot import exp

from . import sql
from .project import PROJECT_FILE

FOLDER = ".segl-prepared"
MANIFEST = "manifest.json"
VERSION = 1
FILE_KINDS = ("parquet", "csv")
ROW_GROUPS_PER_THREAD = 4
MIN_ROW_GROUP = 65_536
MAX_ROW_GROUP = 1_048_576


@dataclass(frozen=True)
class Prepared:
    """One table written by `prepare`."""

    table: str
    path: Path
    rows: int
    row_group_size: int
    order: tuple[str, ...]
    reused: bool  # the sources had not changed: the file already there was kept


def folder_for(entry: str | Path) -> Path:
    """Where the layout of the project holding `entry` lives."""
    start = Path(entry).resolve().parent
    for candidate in (start, *start.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate / FOLDER
    return start / FOLDER


def preparable(model: Model) -> list[Table]:
    """The events tables read from files (the layout is for file sources; a warehouse
    table has its own)."""
    return [table for table in model.events.values()
            if _file_location(table) is not None and _order(table)]


def fingerprint(table: Table) -> dict[str, object] | None:
    """The source files of `table` as (path, size, mtime_ns), or None when unreadable."""
    location = _file_location(table)
    if location is None or location.path is None:
        return None
    paths = sorted(glob.glob(location.path)) if glob.has_magic(location.path) \
        else [location.path]
    files = []
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            return None
        files.append([path, stat.st_size, stat.st_mtime_ns])
    if not files:
        return None
    return {"kind": location.kind, "location": location.path, "files": files}


def overrides(model: Model, entry: str | Path) -> dict[str, SourceOverride]:
    """The prepared file of each table whose sources are unchanged since `segl prepare`."""
    manifest = _read_manifest(folder_for(entry))
    found: dict[str, SourceOverride] = {}
    for table in preparable(model):
        entry_of = manifest.get(table.name)
        if not isinstance(entry_of, dict) or entry_of.get("source") != fingerprint(table):
            continue
        path = folder_for(entry) / str(entry_of.get("file", ""))
        if path.is_file() and path.parent == folder_for(entry):
            found[table.name] = SourceOverride("parquet", str(path))
    return found


def prepare(model: Model, entry: str | Path, connection, threads: int) -> list[Prepared]:
    """Write every preparable table sorted, reusing a file whose sources are unchanged;
    then the manifest. Returns what was written (or kept)."""
    folder = folder_for(entry)
    folder.mkdir(parents=True, exist_ok=True)
    old = _read_manifest(folder)
    manifest: dict[str, object] = {}
    done: list[Prepared] = []
    for table in preparable(model):
        source = fingerprint(table)
        if source is None:
            continue
        order = _order(table)
        name = f"{_safe(table.name)}-{_digest(source, order)}.parquet"
        previous = old.get(table.name)
        path = folder / name
        if isinstance(previous, dict) and previous.get("file") == name and path.is_file():
            manifest[table.name] = previous
            done.append(Prepared(table.name, path, int(previous.get("rows", 0)),
                                 int(previous.get("row_group_size", 0)), order, True))
            continue
        rows = _rows(connection, table)
        size = row_group_size(rows, threads)
        _write(connection, table, order, path, size)
        manifest[table.name] = {"file": name, "source": source, "order": list(order),
                                "rows": rows, "row_group_size": size}
        done.append(Prepared(table.name, path, rows, size, order, False))
    _write_manifest(folder, manifest)
    kept = {str(entry_of["file"]) for entry_of in manifest.values()
            if isinstance(entry_of, dict)}
    for stale in folder.glob("*.parquet"):
        if stale.name not in kept and not stale.name.startswith("rollup-"):
            stale.unlink(missing_ok=True)
    return done


def clear(entry: str | Path) -> bool:
    """Remove the layout (the folder and what it holds); False when there was none."""
    folder = folder_for(entry)
    if not folder.is_dir():
        return False
    for path in folder.iterdir():
        if path.is_file() and (path.suffix == ".parquet" or path.name == MANIFEST
                               or path.name == "rollups.json"  # (prepared_rollup.py)
                               or path.name.startswith(".tmp-")):
            path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something else lives there: leave it
        folder.rmdir()
    return True


def row_group_size(rows: int, threads: int) -> int:
    """Rows per row group: at least ROW_GROUPS_PER_THREAD groups per thread, within bounds."""
    groups = ROW_GROUPS_PER_THREAD * max(1, threads)
    wanted = -(-rows // groups) if rows else MIN_ROW_GROUP
    return max(MIN_ROW_GROUP, min(MAX_ROW_GROUP, wanted))


# ---------------------------------------------------------------- internals
def _file_location(table: Table):
    for location in table.locations:
        if location.kind in FILE_KINDS and location.path:
            return location
    return None


def _order(table: Table) -> tuple[str, ...]:
    """Entity key (or the column that reaches the entity), then time."""
    first = table.entity_key or table.through_column
    if not first:
        return ()
    return (first, table.time_column) if table.time_column else (first,)


def _rows(connection, table: Table) -> int:
    relation = location_relation(_file_location(table), "duckdb", "source")
    return int(sql.fetch_one(connection, sql.select(sql.count_all(), source=relation))[0])


def _write(connection, table: Table, order: tuple[str, ...], path: Path, size: int) -> None:
    query = exp.select(exp.Star()).from_(
        location_relation(_file_location(table), "duckdb", "source")).order_by(
        *(exp.Ordered(this=sql.col(column), nulls_first=False) for column in order))
    temporary = path.parent / f".tmp-{os.getpid()}-{path.name}"
    try:
        sql.execute(connection, sql.copy_to(query, str(temporary), {
            "FORMAT": "parquet", "ROW_GROUP_SIZE": str(size)}))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _read_manifest(folder: Path) -> dict[str, object]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return {}
    tables = data.get("tables")
    return tables if isinstance(tables, dict) else {}


def _write_manifest(folder: Path, tables: dict[str, object]) -> None:
    temporary = folder / f".tmp-{os.getpid()}-{MANIFEST}"
    temporary.write_text(json.dumps({"version": VERSION, "tables": tables}, indent=2),
                         encoding="utf-8")
    os.replace(temporary, folder / MANIFEST)


def _safe(name: str) -> str:
    """A table name as a file name: letters, digits and `_` only."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)[:64] or "table"


def _digest(source: dict[str, object], order: tuple[str, ...]) -> str:
    text = json.dumps({"source": source, "order": order, "version": VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
