"""Diagnostics: a code, a message, hints, "did you mean", and rendering with carets.

The codes and severities are declared in compiler/codes/ (re-exported here)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .codes import DECLARED, Code, Severity
from .source import SourceFile, Span

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
        where = f"{visible(str(self.span))}: " if self.span else ""
        lines = [f"{where}{label}: {visible(self.message)}"]
        if self.span is not None:
            lines.extend(_excerpt(self.span))
        for note_span, note in self.notes:
            lines.append(f"{visible(str(note_span))}: note: {visible(note)}")
            lines.extend(_excerpt(note_span))
        lines.extend(f"  = hint: {visible(hint)}" for hint in self.hints)
        return "\n".join(lines)


# Characters a terminal acts on rather than shows: C0 and C1 controls (escape sequences that
# recolour, retitle or rewrite the screen), DEL, and the bidirectional overrides that make a
# line read differently from what it holds. Text from a `.seg` file (its lines, and names and
# values quoted in messages) is shown with these escaped, so a file cannot drive the terminal.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069]")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, tab: str = "\\t") -> str:
    """`text` with every character a terminal would act on escaped (`\\x1b`, `\\u202e`);
    a tab becomes `tab`."""
    return _UNSAFE.sub(lambda m: tab if m.group() == "\t" else _escape(m.group()), text)


def _excerpt(span: Span) -> list[str]:
    source_line = span.source.line_text(span.line)
    gutter = f"{span.line:>4} | "
    width = (span.end_column - span.column) if span.end_line == span.line else 0
    width = max(1, min(width, len(source_line) - span.column + 1))
    # the caret sits under the escaped text: a tab shows as one space, `\x1b` as 4 characters
    before = visible(source_line[: span.column - 1], " ")
    marked = visible(source_line[span.column - 1 : span.column - 1 + width], " ")
    caret = " " * (len(gutter) - 2) + "| " + " " * len(before) + "^" * max(1, len(marked))
    return [gutter + visible(source_line, " "), caret]


_NUL_PLACES = (("an import path", re.compile(r'\bimport\s+"[^"\n]*$')),
               ("a location path", re.compile(r'\b(table|parquet|csv)\s+"[^"\n]*$')))


def nul_error(source: SourceFile, offset: int) -> Diagnostic:
    """E005 for the NUL at `offset`, naming where it is: an import or location path (which
    the operating system would cut at the NUL), or anywhere else in the file."""
    before = source.text[source.text.rfind("\n", 0, offset) + 1 : offset]
    where = next((what for what, pattern in _NUL_PLACES if pattern.search(before)), "the file")
    return error(Code.E005, f"{where} holds a NUL byte", source.span(offset, offset + 1),
                 "a .seg file is text: remove the NUL byte (is this a binary or UTF-16 file?)")


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
