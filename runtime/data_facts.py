"""What `segl check` learns from the data, kept between runs (issue 15 item 5): each Parquet
source's columns with DuckDB's type names, and which of its columns were checked as a clean
key (an entity key: none missing, none repeated; a lookup key: none repeated). A small JSON
file per source under `<cache folder>/data-facts/` (compiler/cache_folder.py), named by a
hash of its key: each file's resolved path, size, mtime_ns, ctime_ns, inode and device (for
a glob, every file it matched, sorted, hidden ones too), the DuckDB version, the segl
version and the size and mtime of segl's modules that check the data (CHECK_FILES).

When every source is known, `segl check` neither imports nor starts DuckDB. Never kept: a
check that found a problem (nothing is written unless every check passed), a CSV file (its
types depend on its reader's options), a database table (`--db`: no file facts), a file
changed in the last 2 seconds (it may be being written). `segl check --no-cache` and
`SEGL_NO_DATA_CACHE=1` bypass it. A corrupt, unreadable or foreign entry is a miss, never an
error; entries are written atomically in a folder private to the user."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import stat
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from segl.compiler.api import SEGL_VERSION, Compilation, Model, Table, Type

from .declared_types import compile_with_data, segl_type
from .locations import path_files

if TYPE_CHECKING:
    import duckdb
    from segl.compiler.api import Location

    from .sources import DuckDBSchemas

ENVIRONMENT = "SEGL_NO_DATA_CACHE"
FOLDER = "data-facts"  # one entry per source location: written again when its files change
FORMAT = 1
FRESH_NS = 2_000_000_000  # a file changed less than 2 s ago may still be being written
# The modules whose checks a hit skips: their size and mtime are in the key, since
# SEGL_VERSION stays the same from one commit to the next (a checkout whose checks changed)
CHECK_FILES = tuple(str(Path(__file__).with_name(name)) for name in (
    "sources.py", "bad_data.py", "parquet_checksums.py", "declared_types.py", "data_facts.py"))


@dataclass(frozen=True)
class Entry:
    """One source's facts: its key (what they were read from) and what was learned."""

    key: Mapping[str, object]
    columns: tuple[tuple[str, str], ...] = ()
    entity_keys: frozenset[str] = frozenset()  # checked: none missing, none repeated
    lookup_keys: frozenset[str] = frozenset()  # checked: none repeated

    @property
    def name(self) -> str:
        """`<location's hash>-<key's hash>.json`: the files of a location share a prefix."""
        text = json.dumps(self.key, sort_keys=True, separators=(",", ":"))
        return f"{self.prefix}{hashlib.sha256(text.encode()).hexdigest()[:32]}.json"

    @property
    def prefix(self) -> str:
        location = str(self.key.get("location", ""))
        return hashlib.sha256(location.encode()).hexdigest()[:16] + "-"

    def unique(self, column: str) -> bool:
        return column in self.entity_keys or column in self.lookup_keys


def enabled(database: str | None, no_cache: bool = False) -> bool:
    """Whether `segl check` may use the cache: not with a database, --no-cache or the
    environment variable."""
    return database is None and not no_cache and \
        os.environ.get(ENVIRONMENT, "") in ("", "0")


def folder() -> Path:
    from segl.compiler.api import cache_folder

    return cache_folder() / FOLDER


def file_facts(path: str, now_ns: int) -> list[int | str] | None:
    """A file's resolved path, size, mtime_ns, ctime_ns, inode and device; None when it
    cannot be read or changed in the last 2 seconds."""
    try:
        resolved = os.path.realpath(path)
        status = os.stat(resolved)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(status.st_mode) or \
            max(status.st_mtime_ns, status.st_ctime_ns) > now_ns - FRESH_NS:
        return None
    return [resolved, status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino,
            status.st_dev]


def location_key(location: Location) -> dict[str, object] | None:
    """What a Parquet location's facts depend on; None when they may not be kept."""
    if location.kind != "parquet" or location.path is None or "**" in location.path:
        return None  # (DuckDB's `**` reaches folders Python's glob does not: not kept)
    files = current_files(location.path)
    if not files or any(facts is None for facts in files):
        return None
    engine = duckdb_version()
    if engine is None:
        return None  # (an upgrade could not be told apart: nothing kept, nothing trusted)
    return {"format": FORMAT, "location": location.path, "files": files,
            "duckdb": engine, "segl": SEGL_VERSION, "checks": checks_version()}


def checks_version() -> list[list[int | str | None]]:
    """Each of CHECK_FILES' name, size and mtime_ns (None when it cannot be read)."""
    found: list[list[int | str | None]] = []
    for name in CHECK_FILES:
        try:
            status = os.stat(name)
        except OSError:
            found.append([name, None, None])
            continue
        found.append([name, status.st_size, status.st_mtime_ns])
    return found


def current_files(path: str) -> list[list[int | str] | None]:
    """The facts of every file a path (or glob) names now."""
    now = time.time_ns()
    return [file_facts(file, now) for file in path_files(path)]


@functools.cache
def duckdb_version() -> str | None:
    """DuckDB's version without importing it (importing it is what a hit saves): from the
    name of its distribution's metadata folder beside the package. None when that is not
    exactly one folder (metadata elsewhere, or stale folders of an earlier install left
    beside it): the version is then unknown, and no facts are kept or read."""
    from importlib.util import find_spec

    spec = find_spec("duckdb")
    if spec is None or spec.origin is None:
        return None
    site = Path(spec.origin).parent.parent
    try:
        names = [name for name in os.listdir(site) if name.startswith("duckdb-")
                 and name.endswith((".dist-info", ".egg-info"))]
    except OSError:
        return None
    if len(names) != 1:
        return None
    return names[0][len("duckdb-"):].rsplit(".", 1)[0].split("-")[0]


def read(key: Mapping[str, object]) -> Entry | None:
    """The entry kept for `key`, or None (missing, corrupt, foreign, not private)."""
    from segl.compiler.api import private, private_folder

    entry = Entry(key)
    where = folder()
    if not private_folder(where, create=False):
        return None
    try:
        with open(where / entry.name, encoding="utf-8") as stream:
            if not private(os.fstat(stream.fileno()), stat.S_ISREG):
                return None
            data = json.load(stream)
        if data["key"] != json.loads(json.dumps(key)):
            return None
        columns, entity_keys, lookup_keys = (data["columns"], data["entity_keys"],
                                             data["lookup_keys"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):  # (deep nesting)
        return None
    if not (isinstance(columns, list) and _strings(entity_keys) and _strings(lookup_keys)
            and all(isinstance(c, list) and len(c) == 2 and _strings(c) for c in columns)):
        return None
    return Entry(key, tuple((name, kind) for name, kind in columns), frozenset(entity_keys),
                 frozenset(lookup_keys))


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def write(entry: Entry) -> None:
    """Keep an entry if its files are unchanged since it was read; never an error."""
    from segl.compiler.api import private_folder

    from .atomic_files import write_text_atomically
    from .errors import OutputError

    if current_files(str(entry.key["location"])) != entry.key["files"]:
        return  # changed (or a file added to a glob) while it was read, or just now
    where = folder()
    if not private_folder(where, create=True):
        return
    text = json.dumps({"key": entry.key, "columns": [list(c) for c in entry.columns],
                       "entity_keys": sorted(entry.entity_keys),
                       "lookup_keys": sorted(entry.lookup_keys)}, sort_keys=True)
    with contextlib.suppress(OSError, OutputError):
        write_text_atomically(str(where / entry.name), text, mode=0o600)
        for name in os.listdir(where):  # the location's older entries: one kept per source
            if name.startswith(entry.prefix) and name != entry.name:
                os.unlink(where / name)


class FactSchemas:
    """A schema provider for the compiler: a source's column types from the cache when its
    entry is there, else read through DuckDB (runtime/sources.py, imported then), and what
    was read kept for `save`. The same attributes as DuckDBSchemas."""

    def __init__(self, database: str | None, cache: bool) -> None:
        self.database = database
        self.cache = cache
        self.actual: dict[str, dict[str, str]] = {}
        self.entries: dict[str, Entry] = {}  # table -> its entry (found, or to be kept)
        self.changed: set[str] = set()  # the tables whose entry is to be written
        self._reader: DuckDBSchemas | None = None

    def reader(self) -> DuckDBSchemas:
        if self._reader is None:
            from .engines import duckdb as duckdb_engine
            from .sources import DuckDBSchemas

            self._reader = DuckDBSchemas(duckdb_engine.connect(self.database))
        return self._reader

    def connection(self) -> duckdb.DuckDBPyConnection:
        return self.reader().connection

    @property
    def problems(self) -> list[str]:
        return self._reader.problems if self._reader is not None else []

    @property
    def header_only(self) -> dict[str, str]:
        return self._reader.header_only if self._reader is not None else {}

    @property
    def unread(self) -> set[str]:
        return self._reader.unread if self._reader is not None else set()

    def __call__(self, table: Table) -> dict[str, Type] | None:
        if not table.locations:
            return None
        key = location_key(table.locations[0]) if self.cache else None
        found = read(key) if key is not None else None
        if found is not None and found.columns:
            self.entries[table.name] = found
            self.actual[table.name] = dict(found.columns)
            return {name: segl_type(kind) for name, kind in found.columns}
        reader = self.reader()
        types = reader(table)
        if table.name in reader.actual:
            self.actual[table.name] = reader.actual[table.name]
            if key is not None and types is not None:
                self.entries[table.name] = Entry(key, tuple(reader.actual[table.name].items()))
                self.changed.add(table.name)
        return types

    def checked(self, table: str, column: str, entity: bool) -> None:
        """Record that `column` of `table` passed the entity (or lookup) key check."""
        entry = self.entries.get(table)
        if entry is None:
            return
        field = "entity_keys" if entity else "lookup_keys"
        known: frozenset[str] = getattr(entry, field)
        if column not in known:
            self.entries[table] = dataclasses.replace(entry, **{field: known | {column}})
            self.changed.add(table)

    def save(self) -> None:
        """Keep what was learned (call only when every check passed)."""
        if self.cache and not self.problems and not self.header_only:
            by_name: dict[str, Entry] = {}  # (sources on one file share its entry)
            for entry in self.entries.values():
                kept = by_name.setdefault(entry.name, entry)
                by_name[entry.name] = dataclasses.replace(
                    kept, entity_keys=kept.entity_keys | entry.entity_keys,
                    lookup_keys=kept.lookup_keys | entry.lookup_keys)
            for name in sorted({self.entries[table].name for table in self.changed}):
                write(by_name[name])
        self.changed.clear()


def load(path: str | Path, params: dict[str, str] | None = None,
         database: str | None = None, cache: bool = True) -> tuple[Compilation, FactSchemas]:
    """runtime/data_check.py's `load`, with the data's facts from the cache where kept:
    compile a file with column types read from its data; raise DataError when the data
    cannot be read. Returns the compilation (check `.ok`) and the schemas (for
    `check_data` and `save`)."""
    schemas = FactSchemas(database, cache and enabled(database))
    compilation = compile_with_data(path, params, schemas)
    return compilation, schemas


def check_data(compilation: Compilation, schemas: FactSchemas) -> None:
    """runtime/data_check.py's `check_data`, skipping the key checks a kept entry says
    passed on the same files. Raises DataError."""
    model = compilation.require_ok()
    if any(t.locations and t.locations[0].kind == "csv" for t in model.tables):
        from .sources import check_csv_rows

        check_csv_rows(model)
    check_keys(model, schemas, tuple(model.lookups))


def check_keys(model: Model, schemas: FactSchemas, lookups: Sequence[str]) -> None:
    """The entity's key and the keys of `lookups` (names), each check skipped when a kept
    entry says it passed on the same files, each passed one recorded for `save`; DuckDB
    starts only for a check to run. Raises DataError."""
    entity = model.entity
    entity_done = _known(schemas, entity.name, entity.key, entity=True)
    lookups = [name for name in dict.fromkeys(lookups)
               if not _known(schemas, name, model.lookups[name].key, entity=False)]
    if entity_done and not lookups:
        return
    from .bad_data import named_data_errors
    from .sources import check_entity_key, check_lookup_keys

    with named_data_errors(lambda: model.tables):
        if not entity_done:
            check_entity_key(schemas.connection(), model)
            schemas.checked(entity.name, entity.key or "", entity=True)
        if lookups:
            check_lookup_keys(schemas.connection(), model, tuple(lookups))
            for name in lookups:
                schemas.checked(name, model.lookups[name].key or "", entity=False)


def _known(schemas: FactSchemas, table: str, key: str | None, entity: bool) -> bool:
    entry = schemas.entries.get(table)
    if entry is None or key is None:
        return False
    return key in entry.entity_keys if entity else entry.unique(key)
