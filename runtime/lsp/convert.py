"""segl's diagnostics and spans as LSP diagnostics, locations and ranges."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from segl.compiler.api import Diagnostic, Severity, Span, file_key, is_library_file

from .positions import Positions
from .workspace import Analysis

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}
SOURCE = "segl"
DATA_CODE = "data"  # a data problem: `segl check` prints it as `data error: …` (exit 2)


class Converter:
    """Spans to LSP ranges in the negotiated position encoding; positions of one text are
    worked out once."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._positions: dict[int, Positions] = {}

    def positions(self, text: str) -> Positions:
        key = id(text)
        found = self._positions.get(key)
        if found is None or found.text is not text:
            found = self._positions[key] = Positions(text, self.encoding)
        return found

    def range(self, span: Span) -> types.Range:
        return self.positions(span.source.text).range(span.start, span.end)

    def location(self, span: Span) -> types.Location:
        return types.Location(uri(span.path), self.range(span))

    def diagnostic(self, diagnostic: Diagnostic) -> types.Diagnostic:
        """The CLI's diagnostic: the same code, span, message and hints (one per line)."""
        span = diagnostic.span
        where = self.range(span) if span else types.Range(types.Position(0, 0),
                                                          types.Position(0, 0))
        message = "\n".join([diagnostic.message,
                             *(f"hint: {hint}" for hint in diagnostic.hints)])
        related = [types.DiagnosticRelatedInformation(self.location(note_span), note)
                   for note_span, note in diagnostic.notes] or None
        return types.Diagnostic(where, message, SEVERITIES[diagnostic.severity],
                                code=diagnostic.code, source=SOURCE,
                                related_information=related)

    def file_diagnostics(self, analysis: Analysis) -> dict[Path, list[types.Diagnostic]]:
        """Every diagnostic of a compilation by file (each loaded file present, so a file
        whose problems are fixed gets an empty list); a problem without a place goes to the
        entry file."""
        out: dict[Path, list[types.Diagnostic]] = {
            path: [] for path in analysis.files if not is_library_file(str(path))}
        out.setdefault(analysis.entry, [])
        for diagnostic in analysis.compilation.diagnostics:
            path = Path(file_key(diagnostic.span.path)) if diagnostic.span else analysis.entry
            if not is_library_file(str(path)):
                out.setdefault(path, []).append(self.diagnostic(diagnostic))
        for span, problem in analysis.data_problems:
            path = Path(file_key(span.path)) if span else analysis.entry
            where = self.range(span) if span else types.Range(types.Position(0, 0),
                                                              types.Position(0, 0))
            out.setdefault(path, []).append(types.Diagnostic(
                where, problem, types.DiagnosticSeverity.Error, code=DATA_CODE, source=SOURCE))
        return out


def uri(path: str | Path) -> str:
    return Path(file_key(path)).as_uri()


def merge(diagnostics: list[types.Diagnostic]) -> list[types.Diagnostic]:
    """The same problem found through two entry files is shown once."""
    seen: dict[tuple, types.Diagnostic] = {}
    for d in diagnostics:
        key = (d.code, d.message, d.range.start.line, d.range.start.character,
               d.range.end.line, d.range.end.character)
        seen.setdefault(key, d)
    return list(seen.values())
