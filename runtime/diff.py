"""`segl diff BASE [HEAD]`: what a change to `.seg` files does, for a reviewer.

Two versions of the same files are compiled: git revisions (read with `git show REV:path`,
imports included, so nothing is checked out) or the working tree, or two paths side by side.
Each version's files keep their working-tree paths, so data paths in them resolve to the same
data: member deltas come from the definitions alone. The report holds, per entry file, the
semantic diff (`compiler/analysis/semantic_diff.py`),
the compiled SQL's unified diff for one dialect,
and with `--data` the members of every segment and bucket in both versions, evaluated on
the chosen engine (DuckDB by default) and joined in one DuckDB connection.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from segl.compiler.api import (
    Compilation,
    CompileError,
    Diagnostic,
    ModelDiff,
    SourceFile,
    compile_source,
    diff_models,
    to_sql,
)

from .diff_members import BucketMove, MemberDelta, _members, _require_allowed
from .diff_versions import (
    EntryPair,
    GitRevision,
    Version,
    WorkingTree,
    check_revision,
    display,
    repository_root,
    root_files,
)
from .diff_versions import (
    relabel as _relabel,
)
from .engines import duckdb as duckdb_engine
from .errors import DataError, UsageError
from .sources import DuckDBSchemas

# ---------------------------------------------------------------- the report


@dataclass
class EntryDiff:
    name: str
    base_exists: bool
    head_exists: bool
    diff: ModelDiff | None = None
    base_errors: list[Diagnostic] = field(default_factory=list)
    head_errors: list[Diagnostic] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)  # text differs (any reason)
    sql_diff: str | None = None
    sql_note: str | None = None  # why there is no SQL diff
    members: list[MemberDelta] | None = None
    entities: tuple[int, int] | None = None  # base, head
    moves: list[BucketMove] = field(default_factory=list)  # between buckets, largest first

    @property
    def errors(self) -> list[Diagnostic]:
        return self.base_errors + self.head_errors

    @property
    def changed(self) -> bool:
        if self.base_exists != self.head_exists:
            return True
        return bool(self.diff and self.diff.changed)


@dataclass
class DiffReport:
    base: str
    head: str
    dialect: str
    as_of: str
    data: bool
    by: str | None
    entries: list[EntryDiff]

    @property
    def changed(self) -> bool:
        return any(e.changed for e in self.entries)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for e in self.entries for d in e.errors]


# ---------------------------------------------------------------- building it


@dataclass
class DiffRequest:
    base: str
    head: str | None = None
    files: tuple[str, ...] = ()
    data: bool = False
    as_of: str = "today"
    dialect: str = "duckdb"
    by: str | None = None
    examples: int = 5
    params: dict[str, str] = field(default_factory=dict)
    database: str | None = None
    entry: tuple[str, ...] = ()  # the project's entry files (segl.toml)
    engine: str = "duckdb"  # where --data evaluates both versions (docs/engines.md)
    engine_options: dict[str, object] = field(default_factory=dict)


def build_report(request: DiffRequest, cwd: Path | None = None) -> DiffReport:
    cwd = (cwd or Path.cwd()).resolve()
    base_version, head_version, pairs = _versions_and_entries(request, cwd)
    entries = [_entry_diff(pair, base_version, head_version, request) for pair in pairs]
    return DiffReport(base_version.label, head_version.label, request.dialect, request.as_of,
                      request.data, request.by, entries)


def _is_path(text: str | None) -> bool:
    return text is not None and Path(text).exists()


def _versions_and_entries(request: DiffRequest, cwd: Path
                          ) -> tuple[Version, Version, list[EntryPair]]:
    if _is_path(request.base) and _is_path(request.head):
        return _path_pairs(request)
    root = repository_root(cwd)
    check_revision(root, request.base)
    base: Version = GitRevision(root, request.base)
    if request.head is None:
        head: Version = WorkingTree()
    else:
        check_revision(root, request.head)
        head = GitRevision(root, request.head)
    if request.files:
        chosen = [(cwd / f).resolve() for f in request.files]
    elif request.entry:
        chosen = [(cwd / f).resolve() for f in request.entry]
    else:
        both = sorted(set(root_files(base, base.seg_files(cwd)))
                      | set(root_files(head, head.seg_files(cwd))))
        chosen = both
    if not chosen:
        raise UsageError(f"no .seg files under {display(cwd)} in {base.label} or {head.label}")
    for path in chosen:
        if not base.exists(path) and not head.exists(path):
            raise UsageError(f"{display(path)} exists in neither {base.label} nor {head.label}")
    return base, head, [EntryPair(display(p), p, p) for p in chosen]


def _path_pairs(request: DiffRequest) -> tuple[Version, Version, list[EntryPair]]:
    base_path, head_path = Path(request.base).resolve(), Path(request.head or "").resolve()
    base, head = WorkingTree(request.base), WorkingTree(request.head or "")
    if base_path.is_file() != head_path.is_file():
        raise UsageError("compare two files or two folders, not a file with a folder")
    if base_path.is_file():
        return base, head, [EntryPair(f"{request.base} → {request.head}", base_path, head_path)]
    if request.files:
        names = list(request.files)
    else:
        found = {p.relative_to(base_path).as_posix()
                 for p in root_files(base, base.seg_files(base_path))}
        found |= {p.relative_to(head_path).as_posix()
                  for p in root_files(head, head.seg_files(head_path))}
        names = sorted(found)
    if not names:
        raise UsageError(f"no .seg files in {request.base} or {request.head}")
    return base, head, [EntryPair(name, base_path / name, head_path / name) for name in names]


def _compile(version: Version, path: Path, params: dict[str, str],
             schemas: DuckDBSchemas | None) -> Compilation:
    try:
        source = SourceFile(display(path), version.read_text(path))
    except CompileError as exc:  # not UTF-8 (E004), a NUL (E005)
        return Compilation(display(path), None, list(exc.diagnostics))
    return compile_source(source, params, schemas, version.read_text)


def _entry_diff(pair: EntryPair, base_version: Version, head_version: Version,
                request: DiffRequest) -> EntryDiff:
    entry = EntryDiff(pair.name, base_version.exists(pair.base), head_version.exists(pair.head))
    connection = duckdb_engine.connect(request.database) if request.data else None
    compilations: dict[str, Compilation | None] = {"base": None, "head": None}
    for side, version, path in (("base", base_version, pair.base),
                                ("head", head_version, pair.head)):
        if not version.exists(path):
            continue
        schemas = DuckDBSchemas(connection) if connection is not None else None
        compilation = _compile(version, path, request.params, schemas)
        if schemas is not None and schemas.problems:
            raise DataError([f"{version.label}: {p}" for p in schemas.problems])
        errors = _relabel(compilation.errors, version)
        if side == "base":
            entry.base_errors = errors
        else:
            entry.head_errors = errors
        compilations[side] = compilation
    base, head = compilations["base"], compilations["head"]
    if entry.errors:
        return entry
    entry.diff = diff_models(base.model if base else None, head.model if head else None,
                             base.files if base else None, head.files if head else None)
    entry.files_changed = _files_changed(base, head)
    _sql_diff(entry, base, head, base_version, head_version, request)
    if connection is not None:
        _require_allowed(((head, head_version), (base, base_version)), request)
        _members(entry, base, head, connection, request)
    return entry


def _files_changed(base: Compilation | None, head: Compilation | None) -> list[str]:
    before = {f.source.path: f.source.text for f in base.files} if base else {}
    after = {f.source.path: f.source.text for f in head.files} if head else {}
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def _sql_diff(entry: EntryDiff, base: Compilation | None, head: Compilation | None,
              base_version: Version, head_version: Version, request: DiffRequest) -> None:
    texts = []
    for compilation in (base, head):
        if compilation is None:
            texts.append("")
            continue
        try:
            texts.append(to_sql(compilation, request.dialect, request.as_of,
                                file_paths="relative"))
        except CompileError as exc:
            entry.sql_note = "; ".join(d.message for d in exc.diagnostics)
            return
    lines = difflib.unified_diff(texts[0].splitlines(keepends=True),
                                 texts[1].splitlines(keepends=True),
                                 fromfile=f"{base_version.label}: {entry.name}",
                                 tofile=f"{head_version.label}: {entry.name}")
    entry.sql_diff = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
