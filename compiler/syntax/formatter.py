"""`segl fmt`: print a parsed file back in the one canonical format, keeping its comments.

The text is parsed (a file with syntax errors is never formatted: `CompileError`), every
declaration is printed from its AST, and the comments, which the parser drops, are found
in the text and put back where they were:

* comments on their own lines between declarations stay above the next declaration (or at
  the end of the file); blank lines there are kept, at most one in a row, and declarations
  of different kinds (imports, params, sources, features, segments) get one between them;
* inside a declaration, every output line has an anchor, the offset in the input where its
  content starts. A comment on its own line goes above the first output line whose anchor
  follows it; a comment at the end of a line goes at the end of the output line with the
  last anchor before it (several such comments are joined on that line).

Lines are never wrapped, except an inline segment or feature longer than `line_length`
whose expression is an `and`/`or` chain: it is split one condition per line, like a
block's `where`. The result is checked before it is returned: it parses to the same AST
and holds every comment of the input.

Expressions print in format_expressions.py, declarations and comments in
format_declarations.py."""

from __future__ import annotations

from ..diagnostics import CompileError
from ..source import SourceFile
from . import nodes as n
from .format_declarations import _Printer
from .lexicon import comments as comments
from .parser import parse_source


def format_source(text: str, path: str = "<stdin>", line_length: int = 100) -> str:
    """The canonical text of a `.seg` file. Raises CompileError if it does not parse. A
    byte-order mark stays, and so do CRLF line ends (a file whose first line ends in CRLF
    gets CRLF throughout; any other gets LF)."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    first_end = text.find("\n")
    crlf = first_end > 0 and text[first_end - 1] == "\r"
    formatted = _format(text[len(bom):].replace("\r\n", "\n"), path, line_length)
    return bom + (formatted.replace("\n", "\r\n") if crlf else formatted)


def _format(text: str, path: str, line_length: int) -> str:
    source = SourceFile(path, text)
    result = parse_source(source)
    errors = [d for d in result.diagnostics if d.is_error]
    if errors:
        raise CompileError(errors)
    formatted = _Printer(source, result.module, line_length).print()
    _check(source, result.module, formatted)
    return formatted


def _check(source: SourceFile, module: n.Module, formatted: str) -> None:
    """The formatter must never change what a file means or lose a comment."""
    again = parse_source(SourceFile(source.path, formatted))
    if any(d.is_error for d in again.diagnostics) or (
        again.module.declarations != module.declarations
    ):
        raise AssertionError(f"segl fmt would change the meaning of {source.path}; "
                             "please report this as a bug")
    for _, comment in comments(source.text):
        if comment not in formatted:
            raise AssertionError(f"segl fmt would lose the comment `{comment}` of "
                                 f"{source.path}; please report this as a bug")
