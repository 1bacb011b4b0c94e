"""The name index of a compilation: every definition, and every place a name is written.

Editors ask it where a name is defined, where it is used, what a file declares, and what a
rename would change. It is built from the AST of every loaded file (so a file with errors
still has an index for the declarations that parsed) and from the typed model for types
and for columns read from the data. `symbol_binding.py` decides what each written name
refers to.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ..source import Span
from ..syntax import lexicon
from ..syntax import nodes as n
from .loading import is_library_file


class Space(StrEnum):
    """Where a name lives: one flat namespace for declarations, columns per table, buckets
    and scores per segmentation, and the built-in functions."""

    GLOBAL = "global"
    COLUMN = "column"
    BUCKET = "bucket"
    SCORE = "score"
    FUNCTION = "function"


class SymbolKind(StrEnum):
    ENTITY = "entity"
    EVENTS = "events"
    LOOKUP = "lookup"
    PARAM = "param"
    FEATURE = "feature"
    SEGMENT = "segment"
    SEGMENTATION = "segmentation"
    KPI = "kpi"
    PERSONA = "persona"
    TEST = "test"
    EXPERIMENT = "experiment"
    EXPORT = "export"
    COLUMN = "column"
    BUCKET = "bucket"
    SCORE = "score"
    FUNCTION = "function"


@dataclass(frozen=True)
class SymbolKey:
    space: Space
    name: str
    scope: str | None = None  # the table of a column, the segmentation of a bucket or score

    @property
    def qualified(self) -> str:
        return f"{self.scope}.{self.name}" if self.scope else self.name


@dataclass(frozen=True)
class Symbol:
    key: SymbolKey
    kind: SymbolKind
    # where the name is defined (None: a column known from the data only, a function)
    name_span: Span | None = field(compare=False)
    # the AST node that defines it: a declaration, a column, a bucket or a score
    node: n.Node | None = field(default=None, compare=False, repr=False)
    label: str | None = None
    description: str | None = None
    type: str | None = None  # from the typed model: int, bool, …

    @property
    def name(self) -> str:
        return self.key.name


@dataclass(frozen=True)
class Occurrence:
    """A name as written (backquotes included), and what it refers to."""

    key: SymbolKey
    span: Span = field(compare=False)
    is_definition: bool = False

    @property
    def path(self) -> str:
        return self.span.path


@dataclass(frozen=True)
class TextEdit:
    span: Span
    text: str


class RenameRefused(Exception):
    """A rename that would break the files: the message says why."""


def file_key(path: str | Path) -> str:
    """One spelling per file, however it was named (relative, absolute, with `..`)."""
    return str(Path(path).resolve())


@dataclass
class SymbolIndex:
    symbols: dict[SymbolKey, Symbol]
    occurrences: dict[str, list[Occurrence]]  # by file_key, in text order
    # top-level declarations per file_key, in text order (for outlines)
    declarations: dict[str, list[Symbol]]
    children: dict[SymbolKey, list[Symbol]]  # columns of a table, buckets and scores
    entity: str | None = None
    events_tables: frozenset[str] = frozenset()

    # ---- lookups
    def at(self, path: str | Path, offset: int) -> Occurrence | None:
        """The name at (or just before) `offset` in a file."""
        found = self.occurrences.get(file_key(path), [])
        starts = [o.span.start for o in found]
        i = bisect.bisect_right(starts, offset) - 1
        if i >= 0 and found[i].span.start <= offset <= found[i].span.end:
            return found[i]
        return None

    def symbol(self, key: SymbolKey) -> Symbol | None:
        return self.symbols.get(key)

    def references(self, key: SymbolKey, include_definition: bool = True) -> list[Occurrence]:
        return [o for file in self.occurrences.values() for o in file
                if o.key == key and (include_definition or not o.is_definition)]

    def occurrences_in(self, path: str | Path) -> list[Occurrence]:
        return list(self.occurrences.get(file_key(path), []))

    def declared_in(self, path: str | Path) -> list[Symbol]:
        return list(self.declarations.get(file_key(path), []))

    def members(self, key: SymbolKey) -> list[Symbol]:
        """Columns of a table; buckets and scores of a segmentation."""
        return list(self.children.get(key, []))

    def globals(self) -> list[Symbol]:
        return [s for s in self.symbols.values() if s.key.space is Space.GLOBAL]

    def columns(self, table: str) -> list[Symbol]:
        return [s for s in self.members(SymbolKey(Space.GLOBAL, table))
                if s.kind is SymbolKind.COLUMN]

    # ---- rename
    def rename_refusal(self, key: SymbolKey) -> str | None:
        """Why this symbol cannot be renamed whatever the new name, or None."""
        if key.space is Space.FUNCTION:
            return f"`{key.name}` is a built-in function"
        if key.space is Space.COLUMN:
            return f"`{key.qualified}` is a column: its name is the data's"
        symbol = self.symbols.get(key)
        if symbol is None or symbol.name_span is None:
            return f"`{key.qualified}` is not defined in these files"
        occurrences = self.references(key)
        if any(is_library_file(o.path) for o in occurrences):
            return f"`{key.name}` is defined in segl's standard library"
        if not any(o.is_definition for o in occurrences):
            return (f"`{key.qualified}` is made by its declaration, not written: rename the "
                    "declaration instead")
        return None

    def rename(self, key: SymbolKey, new_name: str) -> list[TextEdit]:
        """The edits renaming a symbol everywhere it is written; RenameRefused when the new
        name is not a name, would collide with another, or the symbol is not the files' own."""
        refusal = self.rename_refusal(key)
        if refusal:
            raise RenameRefused(refusal)
        if not lexicon.is_valid_name(new_name):
            raise RenameRefused(f"`{new_name}` is not a valid name: a name has no backquote "
                                "or line break and no leading or trailing space")
        if new_name == key.name:
            return []
        clash = self._clash(key, new_name)
        if clash:
            raise RenameRefused(f"`{new_name}` is already {clash}")
        spelled = lexicon.spell_name(new_name)
        return [TextEdit(o.span, spelled) for o in self.references(key)]

    def _clash(self, key: SymbolKey, new_name: str) -> str | None:
        """What `new_name` already names where the renamed symbol is visible."""
        if key.space is Space.BUCKET:
            taken = {s.name for s in self.members(SymbolKey(Space.GLOBAL, key.scope or ""))
                     if s.kind is SymbolKind.BUCKET}
            return f"a bucket of `{key.scope}`" if new_name in taken else None
        # globals, columns (a bare name prefers a column) and scores (which hide globals in
        # their segmentation's buckets) share where they can be written
        existing = self.symbols.get(SymbolKey(Space.GLOBAL, new_name))
        if existing is not None:
            return f"the name of a {existing.kind.value}"
        if new_name == "scores" and key.space is Space.SCORE:
            return "the name of all the scores of a segmentation together"
        for symbol in self.symbols.values():
            if symbol.name == new_name and symbol.key.space in (Space.COLUMN, Space.SCORE):
                return f"a {symbol.kind.value} of `{symbol.key.scope}`"
        return None


def sorted_occurrences(occurrences: Iterable[Occurrence]) -> dict[str, list[Occurrence]]:
    by_file: dict[str, list[Occurrence]] = {}
    for occurrence in occurrences:
        by_file.setdefault(file_key(occurrence.path), []).append(occurrence)
    for found in by_file.values():
        found.sort(key=lambda o: o.span.start)
    return by_file
