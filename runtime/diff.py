"""`segl diff BASE [HEAD]`: what a change to `.seg` files does, for a reviewer.

Two versions of the same files are compiled: git revisions (read with `git show REV:path`,
imports included, so nothing is checked out) or the working tree, or two paths side by side.
Each version's files keep their working-tree paths, so data paths in them resolve to the same
data: member deltas come from the definitions alone. The report holds, per entry file, the
semantic diff (`compiler/semantic_diff.py`), the compiled SQL's unified diff for one dialect,
and with `--data` the members of every segment and bucket in both versions, evaluated on
DuckDB in one connection.
"""

from __future__ import annotations

import difflib
import errno
import os
import subprocess
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from segl.compiler.api import (
    Compilation,
    CompileError,
    Diagnostic,
    ModelDiff,
    SourceFile,
    Span,
    breakdown_outputs,
    compile_source,
    diff_models,
    imported_files,
    is_library_file,
    member_outputs,
    read_from_disk,
    refused,
    to_sql,
)
from sqlglot import exp

from . import api, sql
from .bad_data import named_data_errors
from .engines import duckdb as duckdb_engine
from .errors import DataError, UsageError
from .sources import DuckDBSchemas, relation

WORKING_TREE = "working tree"


# ---------------------------------------------------------------- versions of the files


class Version:
    """One side of the diff: how to read a file, which `.seg` files exist, how to name a
    file in messages."""

    label: str

    def read_text(self, path: Path) -> str:
        raise NotImplementedError

    def exists(self, path: Path) -> bool:
        raise NotImplementedError

    def seg_files(self, under: Path) -> list[Path]:
        raise NotImplementedError

    def shown(self, display: str) -> str:
        """How a file is named in this version's error messages."""
        return display


class WorkingTree(Version):
    def __init__(self, label: str = WORKING_TREE) -> None:
        self.label = label

    def read_text(self, path: Path) -> str:
        return read_from_disk(path)

    def exists(self, path: Path) -> bool:
        return path.is_file()

    def seg_files(self, under: Path) -> list[Path]:
        if under.is_file():
            return [under.resolve()]
        return sorted(p.resolve() for p in under.rglob("*.seg") if p.is_file()
                      and not any(part.startswith(".") for part in p.relative_to(under).parts))


class GitRevision(Version):
    """A commit's files, read through git; nothing is checked out."""

    def __init__(self, root: Path, revision: str) -> None:
        self.root = root
        self.revision = revision
        self.label = revision

    @cached_property
    def files(self) -> set[str]:
        listing = git(self.root, "ls-tree", "-r", "--name-only", "-z", self.revision)
        return {name for name in listing.split("\0") if name}

    def relative(self, path: Path) -> str | None:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    def read_text(self, path: Path) -> str:
        relative = self.relative(path)
        if relative is None:  # outside the repository: not versioned with it
            return read_from_disk(path)
        if relative not in self.files:
            raise FileNotFoundError(errno.ENOENT, f"no such file in {self.revision}")
        return git(self.root, "show", f"{self.revision}:{relative}")

    def exists(self, path: Path) -> bool:
        relative = self.relative(path)
        return relative is not None and relative in self.files

    def seg_files(self, under: Path) -> list[Path]:
        prefix = self.relative(under)
        if prefix is None:
            return []
        found = []
        for name in sorted(self.files):
            inside = prefix == "." or name == prefix or name.startswith(prefix + "/")
            rest = name[len(prefix) + 1:] if prefix != "." else name
            if inside and name.endswith(".seg") and not any(
                    part.startswith(".") for part in rest.split("/")[:-1]):
                found.append(self.root / name)
        return found

    def shown(self, display: str) -> str:
        return f"{self.revision}:{display}"


def git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              encoding="utf-8", check=False)
    except FileNotFoundError:
        raise UsageError("`segl diff` with revisions needs git on the PATH") from None
    if done.returncode != 0:
        raise UsageError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout


def repository_root(start: Path) -> Path:
    try:
        return Path(git(start, "rev-parse", "--show-toplevel").strip()).resolve()
    except UsageError:
        raise UsageError(f"{start} is not inside a git repository; give two paths to compare "
                         "instead of revisions") from None


def check_revision(root: Path, revision: str) -> None:
    try:
        git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except UsageError:
        raise UsageError(f"unknown revision `{revision}` (not a commit in {root}, and not an "
                         "existing path)") from None


# ---------------------------------------------------------------- which files to compare


@dataclass(frozen=True)
class EntryPair:
    """One entry file: its path in the base version and in the head version."""

    name: str  # as shown in the report
    base: Path
    head: Path


def root_files(version: Version, files: list[Path]) -> list[Path]:
    """The `.seg` files no other file imports: the entry points of a folder."""
    imported: set[Path] = set()
    for path in files:
        try:
            text = version.read_text(path)
        except (OSError, UnicodeDecodeError):
            continue
        for name in imported_files(SourceFile(str(path), text)):
            imported.add((path.parent / name).resolve())
    # segl's own library files (when diffing segl's repository) are not entry points
    return [p for p in files if p not in imported and not is_library_file(str(p))]


def display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- the report


@dataclass
class MemberDelta:
    kind: str  # segment | bucket
    name: str  # a bucket is `segmentation.bucket`
    before: int | None  # None: not in that version
    after: int | None
    joined: int
    left: int
    stayed: int
    joined_examples: list = field(default_factory=list)
    left_examples: list = field(default_factory=list)
    breakdown: list[tuple[object, int, int]] = field(default_factory=list)  # value, in, out

    @property
    def changed(self) -> bool:
        return bool(self.joined or self.left) or (self.before is None) != (self.after is None)


@dataclass(frozen=True)
class BucketMove:
    """Entities in bucket `source` of a segmentation before and in `target` after."""

    segmentation: str
    source: str
    target: str
    entities: int


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
    source = SourceFile(display(path), version.read_text(path))
    return compile_source(source, params, schemas, version.read_text)


def _relabel(diagnostics: list[Diagnostic], version: Version) -> list[Diagnostic]:
    """The same diagnostics, their files named as in this version (`main:shop.seg:3:1`)."""
    sources: dict[str, SourceFile] = {}

    def span(old: Span | None) -> Span | None:
        if old is None:
            return None
        source = sources.get(old.path)
        if source is None:
            source = SourceFile(version.shown(old.path), old.source.text)
            sources[old.path] = source
        return Span(source, old.start, old.end)

    return [replace(d, span=span(d.span), notes=tuple((span(s), t) for s, t in d.notes))
            for d in diagnostics]


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


# ---------------------------------------------------------------- members


def _members(entry: EntryDiff, base: Compilation | None, head: Compilation | None,
             connection, request: DiffRequest) -> None:
    when = api.resolve_as_of(request.as_of)
    described = (head or base).model
    if request.by and described.entity.column(request.by) is None:
        raise DataError([f"--by: table `{described.entity.name}` has no column `{request.by}` "
                         f"(columns: {', '.join(c.name for c in described.entity.columns)})"])
    tables, outputs, entities = {}, {}, []
    for side, compilation in (("base", base), ("head", head)):
        if compilation is None:
            entities.append(0)
            continue
        evaluation = api.evaluate(compilation.path, when, compilation=compilation,
                                  connection=connection, engine=request.engine,
                                  engine_options=request.engine_options)
        table = f"segl_diff_{side}"
        sql.execute(connection, sql.create_table_as(
            table, sql.select(exp.Star(), source=sql.table_ref(evaluation.table))))
        tables[side] = (table, evaluation.key)
        model = compilation.model
        outputs[side] = (list(evaluation.segments),
                         {s: [b.name for b in model.segmentations[s].buckets]
                          for s in evaluation.segmentations})
        entities.append(evaluation.entities)
    entry.entities = (entities[0], entities[1])
    groups = _groups(outputs)
    if not groups:
        entry.members = []
        return
    sql.execute(connection, sql.create_table_as(ROWS, _joined_rows(tables, groups)))
    entry.members = _member_counts(connection, groups, request.examples)
    if request.by:
        with named_data_errors(lambda: [described.entity]):  # it reads another column
            _breakdowns(entry.members, connection, described, request.by)
    if "base" in tables and "head" in tables:
        shared = [s for s in outputs["base"][1] if s in outputs["head"][1]]
        entry.moves = _moves(connection, tables, shared)


def _require_allowed(sides: tuple[tuple[Compilation | None, Version], ...],
                     request: DiffRequest) -> None:
    """The example keys of every segment and bucket are its members, and `--by` counts them
    by a column: each group's object must allow what that carries (docs/privacy.md), in the
    head version where it has one, else in the base version."""
    refusals: list[Diagnostic] = []
    judged: set[str] = set()
    for compilation, version in sides:
        if compilation is None:
            continue
        model = compilation.model
        names = [name for name in (*model.segments, *model.segmentations) if name not in judged]
        judged.update(names)
        outputs = []
        if request.examples > 0:
            outputs += member_outputs(model, names, "segl diff --data",
                                      "or show no keys: `--examples 0`")
        if request.by:
            outputs += breakdown_outputs(model, names, request.by, "segl diff --data --by",
                                         "or count by a column that is not personal")
        refusals += _relabel(refused(model, outputs), version)
    if refusals:
        raise CompileError(refusals)


MOVES_PER_SEGMENTATION = 10


def _moves(connection, tables, segmentations: list[str]) -> list[BucketMove]:
    """The largest flows between buckets of each segmentation in both versions."""
    (base, base_key), (head, head_key) = tables["base"], tables["head"]
    moves = []
    for name in segmentations:
        before, after = sql.col(name, "b"), sql.col(name, "h")
        query = sql.select(before, after, sql.aliased(sql.count_all(), "n"),
                           source=sql.table_as(base, "b"))
        query = query.join(sql.table_as(head, "h"), join_type="inner", copy=False,
                           on=exp.EQ(this=sql.col(base_key, "b"),
                                     expression=sql.col(head_key, "h")))
        query = query.where(exp.NullSafeNEQ(this=before.copy(), expression=after.copy()),
                            copy=False).group_by(before.copy(), after.copy(), copy=False)
        query = query.order_by(exp.Ordered(this=sql.col("n"), desc=True), before.copy(),
                               after.copy(), copy=False).limit(MOVES_PER_SEGMENTATION,
                                                               copy=False)
        rows = sql.fetch_all(connection, query)
        moves += [BucketMove(name, source, target, int(n)) for source, target, n in rows]
    return moves


def _groups(outputs: dict[str, tuple[list[str], dict[str, list[str]]]]
            ) -> list[tuple[str, str, exp.Expression | None, exp.Expression | None]]:
    """(kind, name, membership in base as a condition or None, in head) of every segment
    and bucket of either version."""
    found: dict[tuple[str, str], dict[str, exp.Expression]] = {}
    for side, (segments, segmentations) in outputs.items():
        prefix = "b" if side == "base" else "h"
        for segment in segments:
            found.setdefault(("segment", segment), {})[side] = sql.col(segment, prefix)
        for segmentation, buckets in segmentations.items():
            for bucket in buckets:
                found.setdefault(("bucket", f"{segmentation}.{bucket}"), {})[side] = \
                    exp.EQ(this=sql.col(segmentation, prefix), expression=sql.text(bucket))
    return [(kind, name, sides.get("base"), sides.get("head"))
            for (kind, name), sides in found.items()]


def _joined_rows(tables: dict[str, tuple[str, str]], groups) -> exp.Select:
    """One row per entity of either version: its key and, per group, whether it was a member
    before (`b0`) and after (`h0`)."""
    columns = []
    for index, (_, _, before, after) in enumerate(groups):
        for side, condition in (("b", before), ("h", after)):
            columns.append(sql.aliased(exp.Coalesce(
                this=condition if condition is not None else exp.false(),
                expressions=[exp.false()]), f"{side}{index}"))
    base = tables.get("base")
    head = tables.get("head")
    if base and head:
        key: exp.Expression = exp.Coalesce(this=sql.col(base[1], "b"),
                                           expressions=[sql.col(head[1], "h")])
        query = sql.select(sql.aliased(key, "segl_key"), *columns,
                           source=sql.table_as(base[0], "b"))
        return query.join(sql.table_as(head[0], "h"), join_type="full", copy=False,
                          on=exp.EQ(this=sql.col(base[1], "b"), expression=sql.col(head[1], "h")))
    table, alias = (head, "h") if head else (base, "b")
    return sql.select(sql.aliased(sql.col(table[1], alias), "segl_key"), *columns,
                      source=sql.table_as(table[0], alias))


ROWS = "segl_diff_rows"


def _member_counts(connection, groups, examples: int) -> list[MemberDelta]:
    parts = []
    n = sql.number(max(int(examples), 1))  # min(x, 0) is an error; 0 examples are cut below
    for index in range(len(groups)):
        b, h = sql.col(f"b{index}"), sql.col(f"h{index}")

        def where(condition: exp.Expression, aggregate: exp.Expression) -> exp.Expression:
            return exp.Filter(this=aggregate, expression=exp.Where(this=condition))

        joined = exp.and_(h.copy(), exp.Not(this=b.copy()))
        left = exp.and_(b.copy(), exp.Not(this=h.copy()))
        parts += [sql.count_where(b.copy()), sql.count_where(h.copy()),
                  sql.count_where(joined.copy()), sql.count_where(left.copy()),
                  sql.count_where(exp.and_(b.copy(), h.copy())),
                  # the n smallest keys, without collecting every key first
                  where(joined, exp.Min(this=sql.col("segl_key"), count=n.copy())),
                  where(left, exp.Min(this=sql.col("segl_key"), count=n.copy()))]
    row = sql.fetch_one(connection, sql.select(*parts, source=sql.table_ref(ROWS)))
    deltas = []
    for index, (kind, name, before, after) in enumerate(groups):
        values = row[index * 7:(index + 1) * 7]
        deltas.append(MemberDelta(
            kind, name, int(values[0]) if before is not None else None,
            int(values[1]) if after is not None else None,
            int(values[2]), int(values[3]), int(values[4]), list(values[5] or [])[:examples],
            list(values[6] or [])[:examples]))
    return deltas


BREAKDOWN_ROWS = 10


def _breakdowns(deltas: list[MemberDelta], connection, model, attribute: str) -> None:
    """Joiners and leavers of each changed group, counted by a column of the entity."""
    entity = model.entity
    values = sql.select(sql.aliased(sql.col(entity.key), "segl_key"),
                        sql.aliased(sql.col(attribute), "value"),
                        source=relation(entity.locations[0]))
    sql.execute(connection, sql.create_table_as(_BY, values))
    for index, delta in enumerate(deltas):
        if not (delta.joined or delta.left):
            continue
        b, h = sql.col(f"b{index}", "j"), sql.col(f"h{index}", "j")
        counts = sql.select(
            sql.col("value", "e"),
            sql.aliased(sql.count_where(exp.and_(h.copy(), exp.Not(this=b.copy()))), "joined"),
            sql.aliased(sql.count_where(exp.and_(b.copy(), exp.Not(this=h.copy()))), "gone"),
            source=sql.table_as(ROWS, "j"))
        counts = counts.join(sql.table_as(_BY, "e"), join_type="left", using=["segl_key"],
                             copy=False)
        counts = counts.where(exp.NEQ(this=h.copy(), expression=b.copy()), copy=False)
        counts = counts.group_by(sql.col("value", "e"), copy=False)
        query = sql.select(exp.Star(), source=sql.subquery(counts)).order_by(
            exp.Ordered(this=exp.Add(this=sql.col("joined"), expression=sql.col("gone")),
                        desc=True),
            exp.Ordered(this=sql.col("value"), nulls_first=False), copy=False,
        ).limit(BREAKDOWN_ROWS, copy=False)
        result = sql.fetch_all(connection, query)
        delta.breakdown = [(value, int(joined), int(left)) for value, joined, left in result]


_BY = "segl_diff_by"
