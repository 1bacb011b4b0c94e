"""Offsets in a file's text (what spans hold) to and from LSP positions (line, character).

LSP counts characters in UTF-16 code units unless client and server agree on another
encoding; Python strings count code points. A name with an emoji in it is where the two part.
"""

from __future__ import annotations

import bisect

from lsprotocol import types

UNITS = {
    types.PositionEncodingKind.Utf16: lambda ch: 2 if ord(ch) > 0xFFFF else 1,
    types.PositionEncodingKind.Utf8: lambda ch: len(ch.encode("utf-8")),
    types.PositionEncodingKind.Utf32: lambda ch: 1,
}


class Positions:
    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16) -> None:
        self.text = text
        self.units = UNITS.get(encoding, UNITS[types.PositionEncodingKind.Utf16])
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[line]
        return types.Position(line, sum(self.units(ch) for ch in self.text[start:offset]))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(self.position(start), self.position(end))

    def offset(self, position: types.Position) -> int:
        if position.line >= len(self.line_starts):
            return len(self.text)
        offset = self.line_starts[position.line]
        end = self.text.find("\n", offset)
        end = len(self.text) if end < 0 else end
        counted = 0
        while offset < end and counted < position.character:
            counted += self.units(self.text[offset])
            offset += 1
        return offset

    @property
    def end(self) -> types.Position:
        return self.position(len(self.text))
