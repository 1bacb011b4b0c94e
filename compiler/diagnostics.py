"""Diagnostics: a code, a message, hints, "did you mean", and rendering with carets.

The codes and severities are declared in compiler/codes/ (re-exported here)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from .codes import DECLARED, Code, Severity
from .source import Span

# Titles of the compiler's codes (E…, W…), for outputs that name a compile error.
CODES: dict[str, str] = {code: d.title for code, d in DECLARED.items() if not code.startswith("L")}


@dataclass(frozen=True)
class Diagnostic:
    code: Code
    severity: Severity
    message: str
    span: Span | None
    hints: tuple[str, ...] = ()
    notes: tuple[tuple[Span, str], ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def render(self, color: bool = False) -> str:
        """`path:line:col: error[CODE]: message`, the source line, a caret line, hints."""
        label = f"{self.severity.value}[{self.code}]"
        if color:
            tint = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m"}.get(
                self.severity, "\x1b[1;36m")
            label = f"{tint}{label}\x1b[0m"
        where = f"{self.span}: " if self.span else ""
        lines = [f"{where}{label}: {self.message}"]
        if self.span is not None:
            lines.extend(_excerpt(self.span))
        for note_span, note in self.notes:
            lines.append(f"{note_span}: note: {note}")
            lines.extend(_excerpt(note_span))
        lines.extend(f"  = hint: {hint}" for hint in self.hints)
        return "\n".join(lines)


def _excerpt(span: Span) -> list[str]:
    source_line = span.source.line_text(span.line)
    gutter = f"{span.line:>4} | "
    width = (span.end_column - span.column) if span.end_line == span.line else 0
    width = max(1, min(width, len(source_line) - span.column + 1))
    caret = " " * (len(gutter) - 2) + "| " + " " * (span.column - 1) + "^" * width
    return [gutter + source_line, caret]


def error(code: Code, message: str, span: Span | None, *hints: str) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, tuple(h for h in hints if h))


def warning(code: Code, message: str, span: Span | None, *hints: str) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, tuple(h for h in hints if h))


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A hint naming the closest known names, or an empty string."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not matches:
        return ""
    return "did you mean " + " or ".join(f"`{m}`" for m in matches) + "?"


class CompileError(Exception):
    """Raised by a stage that cannot go on; carries every diagnostic collected so far."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


__all__ = ["CODES", "Code", "CompileError", "Diagnostic", "Severity", "did_you_mean", "error",
           "warning"]
