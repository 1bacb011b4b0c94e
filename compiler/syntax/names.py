"""What a name or a text value must be for every SQL engine to hold it, and a `table`
location's text read as a table name. The language accepts any backquoted name; the few
characters no engine can hold in an identifier or a text value are refused here, at the
name's position, rather than by a database at run time."""

from __future__ import annotations

import re
import unicodedata

# A part of a table name: a plain name, or a backquoted one (as in the grammar's NAME and
# QUOTED_NAME).
_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|`[^`\n]+`")


def character_problem(text: str, what: str) -> str | None:
    """Why `text` (a name, a string value or a path: `what`) cannot be given to an engine:
    a control character (NUL, tab, carriage return, escape, …). PostgreSQL holds no NUL in
    text or names, and a control character in a name is a typing accident; the message
    names the character by its code point, as it cannot be shown."""
    for character in text:
        if unicodedata.category(character) == "Cc":
            point = f"U+{ord(character):04X}"
            label = "a NUL byte" if character == "\0" else f"the control character {point}"
            return f"{what} holds {label}"
    return None


def name_problem(name: str) -> str | None:
    """Why a backquoted name cannot be an identifier in SQL, or None."""
    if not name.strip():
        return "a name cannot be only spaces"
    return character_problem(name, "the name")


def parse_table_name(text: str) -> tuple[str, ...] | None:
    """`[catalog.]schema.table` (or one table name) as its parts, each a name the language
    accepts: plain (`crm`) or backquoted (`` `web orders` ``). None when `text` is anything
    else: location text is never handed to a database as SQL."""
    parts: list[str] = []
    position = 0
    while True:
        match = _PART.match(text, position)
        if match is None:
            return None
        part = match.group()
        part = part[1:-1] if part.startswith("`") else part
        if name_problem(part):
            return None
        parts.append(part)
        position = match.end()
        if position == len(text):
            return tuple(parts) if len(parts) <= 3 else None
        if text[position] != ".":
            return None
        position += 1
