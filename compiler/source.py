"""Source text and positions: every later stage reports errors through a Span."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path


def decode(data: bytes, path: str) -> str:
    """`.seg` bytes as text: UTF-8, line ends untranslated, a BOM kept (the parser reads it
    as a space; `segl fmt` writes it back). Bytes that are not UTF-8 raise CompileError with
    E004 at the line and column of the first bad byte; a NUL byte, E005."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8")
        source = SourceFile(path, good + "\ufffd" + data[exc.end :].decode("utf-8", "replace"))
        from .codes import Code
        from .diagnostics import CompileError, error  # (diagnostics imports this module)

        raise CompileError([error(
            Code.E004, f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} at byte "
            f"offset {exc.start}", source.span(len(good), len(good) + 1),
            "save the file as UTF-8 (an editor's \"save with encoding\", or "
            "`iconv -f latin1 -t utf-8`)")]) from None
    nul = text.find("\0")
    if nul >= 0:  # (UTF-16 text, a binary file, or a NUL in a path: E005 names which)
        from .diagnostics import CompileError, nul_error

        raise CompileError([nul_error(SourceFile(path, text), nul)])
    return text


@dataclass(frozen=True)
class SourceFile:
    """One `.seg` file's text. `path` is how the user named it (kept for messages)."""

    path: str
    text: str
    line_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [0]
        find, index = self.text.find, self.text.find("\n")
        while index != -1:  # (str.find per line, not a Python step per character)
            starts.append(index + 1)
            index = find("\n", index + 1)
        object.__setattr__(self, "line_starts", tuple(starts))

    @classmethod
    def read(cls, path: str | Path) -> SourceFile:
        """The file as it is on disk (a BOM and CRLF line ends kept). Raises OSError, and
        CompileError (E004) for bytes that are not UTF-8."""
        return cls.from_bytes(str(path), Path(path).read_bytes())

    @classmethod
    def from_bytes(cls, path: str, data: bytes) -> SourceFile:
        return cls(path, decode(data, path))

    @property
    def directory(self) -> Path:
        return Path(self.path).resolve().parent

    def line_text(self, line: int) -> str:
        """The text of 1-based `line`, without its newline."""
        if line < 1 or line > len(self.line_starts):
            return ""
        start = self.line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a 0-based character offset."""
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self.line_starts[lo] + 1

    def span(self, start: int, end: int) -> Span:
        return Span(self, start, max(start, end))


@dataclass(frozen=True)
class Span:
    """A range of characters in a source file. Lines and columns (1-based) are worked out
    when asked for: most spans are never shown, and a large file has tens of thousands."""

    source: SourceFile = field(repr=False, compare=False)
    start: int
    end: int

    @cached_property
    def _start_position(self) -> tuple[int, int]:
        return self.source.position(self.start)

    @cached_property
    def _end_position(self) -> tuple[int, int]:
        return self.source.position(self.end)

    @property
    def line(self) -> int:
        return self._start_position[0]

    @property
    def column(self) -> int:
        return self._start_position[1]

    @property
    def end_line(self) -> int:
        return self._end_position[0]

    @property
    def end_column(self) -> int:
        return self._end_position[1]

    @property
    def path(self) -> str:
        return self.source.path

    def __str__(self) -> str:
        return f"{self.source.path}:{self.line}:{self.column}"

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return self.source.span(self.start, other.end)

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]
