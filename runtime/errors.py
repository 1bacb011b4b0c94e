"""Errors the runtime reports: data problems (exit code 2) name the table and the column."""

from __future__ import annotations


class DataError(Exception):
    """The data does not match the definitions: a missing file or table, a missing column,
    a column of the wrong type, duplicate or missing entity keys."""

    def __init__(self, problems: list[str], diagnostics: tuple = ()) -> None:
        self.problems = problems
        # definition errors found meanwhile, that no unread source can explain: shown first
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(problems))


class UsageError(Exception):
    """A command-line or project-file mistake (exit code 2)."""


class OutputError(Exception):
    """An output file could not be written (a full disk, a file-size limit, no permission):
    exit code 2. The message names the file and says that its previous content is
    unchanged (outputs are written to a temporary file and renamed)."""
