"""What every lint check reads: the typed model, the parsed files, and small helpers over
them (where a declaration's name is, what a feature expands to, which columns are personal)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ... import ir
from ... import model as m
from ...semantic.loading import LoadedFile, is_library_file
from ...semantic.privacy import Facts
from ...source import Span
from ...syntax import nodes as n


@dataclass
class Context:
    model: m.Model
    files: list[LoadedFile]
    _declarations: dict[tuple[str, str], n.Node] = field(default_factory=dict)
    privacy: Facts = field(init=False)

    def __post_init__(self) -> None:
        self.privacy = Facts(self.model)
        for file in self.files:
            for decl in file.module.declarations:
                if not isinstance(decl, n.Import | n.Holdout | n.Suppression):  # (unnamed)
                    self._declarations.setdefault((type(decl).__name__, decl.name.text), decl)

    def declaration(self, kind: type, name: str):
        """The AST of a declaration (kind: an `nodes` class), for spans the model lacks."""
        return self._declarations.get((kind.__name__, name))

    def name_span(self, kind: type, name: str, fallback: Span | None) -> Span | None:
        decl = self.declaration(kind, name)
        return decl.name.span if decl is not None else fallback

    def user_files(self) -> Iterator[LoadedFile]:
        """The files the user wrote (not segl's standard library)."""
        return (f for f in self.files if not is_library_file(f.source.path))

    # ---- features
    def expand(self, expr: ir.Expr) -> Iterator[ir.Expr]:
        """Every node of `expr` and of the features it uses (not of the segments it refers
        to: each segment is checked on its own)."""
        seen: set[str] = set()
        stack = [expr]
        while stack:
            for node in stack.pop().walk():
                yield node
                if isinstance(node, ir.FeatureRef) and node.name not in seen:
                    seen.add(node.name)
                    feature = self.model.features.get(node.name)
                    if feature is not None:
                        stack.append(feature.expr)

    # ---- personal data (the facts are compiler/semantic/privacy.py's, shared with the runtime)
    def column_tags(self, column: ir.Column) -> tuple[str, ...]:
        table = self.model.table(column.table)
        info = table.column(column.name) if table is not None else None
        return info.tags if info is not None else ()

    def personal_columns(self, expr: ir.Expr) -> list[str]:
        """`column` (tag) for every personal column `expr` uses, features expanded, segment
        references not followed (each segment answers for its own)."""
        return [use.column.describe() for use in self.privacy.uses((expr,), False)]
