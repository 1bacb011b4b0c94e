"""One console for every command: tables and messages on stdout, progress and diagnostics
on stderr, wide (not wrapped) when the output is not a terminal. Rich is imported only
when a command prints through it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from segl.compiler.api import Diagnostic


def console(stream=None) -> Console:
    """A console on the current stdout (or stderr); wide when not a terminal, so piped
    tables are not wrapped."""
    from rich.console import Console

    stream = stream or sys.stdout
    width = None if stream.isatty() else 200
    return Console(file=stream, highlight=False, soft_wrap=True, width=width)


def status(message: str):
    """A spinner with a message on stderr, for the length of a `with` block."""
    return console(sys.stderr).status(message)


def table(*columns: str | tuple[str, str], title: str | None = None) -> Table:
    """A table with these columns: a name, or (name, justify)."""
    from rich.table import Table

    result = Table(title=title)
    for column in columns:
        name, justify = column if isinstance(column, tuple) else (column, "left")
        result.add_column(name, justify=justify)
    return result


def show(*renderables, **options) -> None:
    """Print on stdout (tables, markup)."""
    out = console()
    for renderable in renderables:
        out.print(renderable, **options)


def note(message: str) -> None:
    """A message about what was done (`wrote …`), on stderr."""
    console(sys.stderr).print(message)


def plain(markup: str) -> str:
    """Rich markup as plain text (for a file)."""
    from rich.console import Console

    out = Console(file=None, width=200, color_system=None, record=True)
    with out.capture() as captured:
        out.print(markup, end="", soft_wrap=True)
    return captured.get()


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def print_diagnostics(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
    color = sys.stderr.isatty()
    for diagnostic in diagnostics:
        sys.stderr.write(diagnostic.render(color=color) + "\n")
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    if errors or warnings:
        summary = []
        if errors:
            summary.append(f"{errors} error{'s' if errors != 1 else ''}")
        if warnings:
            summary.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        sys.stderr.write(", ".join(summary) + "\n")
