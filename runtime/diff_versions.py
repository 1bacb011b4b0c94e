"""Versions of the `.seg` files `segl diff` compares (git revisions read with `git show`, the
working tree, or two paths), and which files of a version are its entry points."""

from __future__ import annotations

import errno
import os
import subprocess
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from segl.compiler.api import (
    CompileError,
    Diagnostic,
    SourceFile,
    Span,
    decode,
    imported_files,
    is_library_file,
    read_from_disk,
)

from .errors import UsageError

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
        return decode(git_bytes(self.root, "show", f"{self.revision}:{relative}"),
                      f"{self.revision}:{relative}")

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
    return git_bytes(root, *args).decode("utf-8", "replace")


def git_bytes(root: Path, *args: str) -> bytes:
    """git's output as it is: a file shown from a revision keeps its bytes (CRLF, a BOM, and
    bytes that are not UTF-8, which `decode` reports as E004)."""
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("`segl diff` with revisions needs git on the PATH") from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise UsageError(f"git {' '.join(args)}: {stderr or 'failed'}")
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
        except (OSError, UnicodeDecodeError, CompileError):  # (reported when compiled)
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


def relabel(diagnostics: list[Diagnostic], version: Version) -> list[Diagnostic]:
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
