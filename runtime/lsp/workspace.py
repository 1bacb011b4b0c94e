"""What the language server knows about the files: the editor's unsaved texts, which entry
file each document is checked through, and the compilations, compiled as `segl check` does.

A document is checked through the entry files of its `segl.toml` that import it (so an
imported file sees the project's names), else through open documents that import it, else
on its own. Imports are read from the editor's buffers where a file is open, from disk
otherwise. Compilations are kept until any text changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from segl.compiler.api import (
    Compilation,
    CompileError,
    Diagnostic,
    SourceFile,
    Span,
    SymbolIndex,
    compile_source,
    decode,
    file_key,
    symbol_index,
)

from ..engines import duckdb as duckdb_engine
from ..errors import DataError, UsageError
from ..project import Project, find_project
from ..sources import DuckDBSchemas, check_declared_types


@dataclass
class Analysis:
    """One entry file compiled, with everything it loads."""

    entry: Path
    project: Project
    compilation: Compilation
    index: SymbolIndex
    # data problems (a source that cannot be read, a declared column the data lacks), each
    # at its source's declaration where it can be placed
    data_problems: list[tuple[Span | None, str]] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        return [Path(file_key(f.source.path)) for f in self.compilation.files]

    def loads(self, path: Path) -> bool:
        return path in self.files

    def digest(self) -> str:
        """Changes whenever any loaded text does."""
        hashed = hashlib.sha256()
        for file in self.compilation.files:
            hashed.update(file_key(file.source.path).encode() + b"\0")
            hashed.update(file.source.text.encode() + b"\0")
        return hashed.hexdigest()


class Workspace:
    def __init__(self, read_data: bool = True) -> None:
        self.read_data = read_data
        self.open: dict[Path, str] = {}
        self._analyses: dict[Path, Analysis] = {}
        self._connections: dict[str | None, duckdb.DuckDBPyConnection] = {}
        self.project_problems: dict[Path, str] = {}  # a segl.toml that cannot be read
        # files whose bytes are not UTF-8 text (E004) or hold a NUL (E005): an entry file
        # read from disk, or an open document as saved (the editor sends text, not bytes)
        self._unreadable_entries: dict[Path, list[Diagnostic]] = {}
        self._saved: dict[Path, tuple[tuple[int, int], list[Diagnostic]]] = {}

    # ---- texts
    def set_text(self, path: Path, text: str) -> None:
        self.open[path] = text
        self._analyses.clear()

    def close(self, path: Path) -> None:
        self.open.pop(path, None)
        self._analyses.clear()

    def changed_on_disk(self) -> None:
        self._analyses.clear()

    def read(self, path: Path) -> str:
        resolved = Path(file_key(path))
        if resolved in self.open:
            return self.open[resolved]
        return decode(resolved.read_bytes(), str(resolved))  # E004/E005 as CompileError

    # ---- projects and entries
    def project(self, path: Path) -> Project:
        try:
            project = find_project(path)
        except UsageError as exc:
            self.project_problems[path] = str(exc)
            return Project()
        self.project_problems.pop(path, None)
        return project

    def contexts(self, path: Path) -> list[Analysis]:
        """The compilations `path` is checked through (see the module's docstring)."""
        path = Path(file_key(path))
        project = self.project(path)
        chosen = []
        for entry in project.entry:
            analysis = self.analysis(Path(file_key(entry)))
            if analysis is not None and analysis.loads(path):
                chosen.append(analysis)
        if not chosen:
            for other in self.open:
                if other != path:
                    analysis = self.analysis(other)
                    if analysis is not None and analysis.loads(path):
                        chosen.append(analysis)
        if not chosen:
            analysis = self.analysis(path)
            chosen = [analysis] if analysis is not None else []
        return chosen

    def all_contexts(self) -> list[Analysis]:
        """Every compilation some open document is checked through, each once."""
        found: dict[Path, Analysis] = {}
        for path in list(self.open):
            for analysis in self.contexts(path):
                found.setdefault(analysis.entry, analysis)
        return list(found.values())

    # ---- compiling
    def analysis(self, entry: Path) -> Analysis | None:
        if entry in self._analyses:
            return self._analyses[entry]
        try:
            text = self.read(entry)
        except OSError:
            return None
        except CompileError as exc:  # not UTF-8: E004 at the first bad byte, as `segl check`
            self._unreadable_entries[entry] = list(exc.diagnostics)
            return None
        self._unreadable_entries.pop(entry, None)
        project = self.project(entry)
        schemas = _PlacedSchemas(self.connection(project.database)) if self.read_data else None
        compilation = compile_source(SourceFile(str(entry), text), project.params, schemas,
                                     self.read)
        problems = list(schemas.placed) if schemas else []
        if schemas and compilation.model is not None:
            try:
                check_declared_types(compilation.model, schemas)
            except DataError as exc:
                problems += [schemas.place(compilation.model, p) for p in exc.problems]
        analysis = Analysis(entry, project, compilation, symbol_index(compilation), problems)
        self._analyses[entry] = analysis
        return analysis

    def unreadable(self) -> dict[Path, list[Diagnostic]]:
        """E004/E005 of every file that `segl check` could not read: entry files (found while
        compiling, so call this after `all_contexts`) and open documents as saved on disk."""
        found = {path: list(d) for path, d in self._unreadable_entries.items()}
        for path in self.open:
            problems = self._saved_problems(path)
            if problems:
                found.setdefault(path, []).extend(problems)
        return found

    def _saved_problems(self, path: Path) -> list[Diagnostic]:
        try:
            status = path.stat()
        except OSError:
            return []  # (a new, unsaved document)
        stamp = (status.st_mtime_ns, status.st_size)
        cached = self._saved.get(path)
        if cached is None or cached[0] != stamp:
            try:
                decode(path.read_bytes(), str(path))
                problems: list[Diagnostic] = []
            except CompileError as exc:
                problems = list(exc.diagnostics)
            except OSError:
                problems = []
            cached = self._saved[path] = (stamp, problems)
        return cached[1]

    def connection(self, database: str | None) -> duckdb.DuckDBPyConnection:
        """One DuckDB connection per database, kept: reading a schema needs no fresh one."""
        if database not in self._connections:
            try:
                self._connections[database] = duckdb_engine.connect(database, read_only=True)
            except duckdb.Error:
                self._connections[database] = duckdb_engine.connect(None)
        return self._connections[database]


class _PlacedSchemas(DuckDBSchemas):
    """The runtime's schema reader, each problem kept with the span of the source it is
    about (the runtime's messages start with that span)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        super().__init__(connection)
        self.placed: list[tuple[Span | None, str]] = []

    def __call__(self, table):
        before = len(self.problems)
        result = super().__call__(table)
        for problem in self.problems[before:]:
            self.placed.append(_strip_place(table.locations[0].span if table.locations
                                            else None, table.span, problem))
        return result

    @staticmethod
    def place(model, problem: str) -> tuple[Span | None, str]:
        for table in model.tables:
            span = table.locations[0].span if table.locations else None
            placed = _strip_place(span, table.span, problem)
            if placed[0] is not None:
                return placed
        return None, problem


def _strip_place(location: Span | None, declaration: Span | None,
                 problem: str) -> tuple[Span | None, str]:
    for span in (location, declaration):
        if span is not None and problem.startswith(f"{span}: "):
            return span, problem.removeprefix(f"{span}: ")
    return None, problem
