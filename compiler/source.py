"""Source text and positions: every later stage reports errors through a Span."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path


@dataclass(frozen=True)
class SourceFile:
    """One `.seg` file's text. `path` is how the user named it (kept for messages)."""

    path: str
    text: str
    line_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [0]
        for index, char in enumerate(self.text):
            if char == "\n":
                starts.append(index + 1)
        object.__setattr__(self, "line_starts", tuple(starts))

    @classmethod
    def read(cls, path: str | Path) -> SourceFile:
        return cls(str(path), Path(path).read_text(encoding="utf-8"))

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
