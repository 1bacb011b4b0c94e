"""Diagnostics: error codes, severities, hints, "did you mean", and rendering with carets."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .source import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # `segl lint` findings worth knowing that need no change


# Every code a user can see, with a one-line meaning; docs/errors.md lists them too.
CODES: dict[str, str] = {
    "E001": "syntax error",
    "E002": "invalid literal",
    "E003": "expression nested too deeply",
    "E004": "the file is not UTF-8 text",
    "E005": "a NUL byte in the file",
    "E101": "unknown name",
    "E102": "duplicate definition",
    "E103": "circular definition",
    "E104": "import not found or unreadable",
    "E105": "name shadows a column",
    "E106": "missing or duplicate entity",
    "E107": "invalid source declaration",
    "E108": "aggregate misuse",
    "E109": "unknown function",
    "E110": "wrong number of arguments",
    "E111": "window misuse",
    "E201": "type mismatch",
    "E202": "predicate is not boolean",
    "E301": "construct not expressible in the target dialect or engine",
    "E401": "invalid parameter override",
    "E501": "a blank or placeholder purpose",
    "E502": "`allow` without a purpose",
    "E503": "`allow` names a column that is not personal data",
    "E504": "an output carries personal data its object does not allow",
    "W201": "a segmentation bucket that can never match",
    "W202": "a segmentation with more than 7 buckets",
}


@dataclass(frozen=True)
class Diagnostic:
    code: str
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


def error(code: str, message: str, span: Span | None, *hints: str) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, tuple(h for h in hints if h))


def warning(code: str, message: str, span: Span | None, *hints: str) -> Diagnostic:
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
