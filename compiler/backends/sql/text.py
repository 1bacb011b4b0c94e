"""The text around a generated query: the header comment lines, and user text made safe
inside a comment."""

from __future__ import annotations

from ...plan.as_of import AsOf
from ...version import SEGL_VERSION


def sql_header(dialect: str, as_of: AsOf | None, header: dict[str, str] | None) -> str:
    """The comment lines above every generated query: version, source, dialect, as_of.
    Values (a path, parameter values) are user text: each is escaped onto its one line."""
    lines = [f"-- segl {SEGL_VERSION}"]
    for key, value in (header or {}).items():
        lines.append(f"-- {comment_text(key)}: {comment_text(value)}")
    lines.append(f"-- dialect: {comment_text(dialect)}")
    lines.append(f"-- as_of: {as_of or 'today'}")
    return "\n".join(lines) + "\n"


_COMMENT_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def comment_text(value: str) -> str:
    """`value` as text that stays inside a `--` comment line (and would inside `/* */`):
    a backslash is doubled, a character that is not printable (a newline, any line or
    paragraph separator, a control character) becomes its escape, and `*/` becomes `*\\/`.
    Printable text, the common case, is unchanged."""
    if value.isprintable() and "\\" not in value and "*/" not in value:
        return value
    escaped = "".join(
        _COMMENT_ESCAPES.get(c) or (c if c.isprintable() else
                                    f"\\x{ord(c):02x}" if ord(c) < 0x100 else
                                    f"\\u{ord(c):04x}" if ord(c) < 0x10000 else
                                    f"\\U{ord(c):08x}")
        for c in value)
    return escaped.replace("*/", "*\\/")


