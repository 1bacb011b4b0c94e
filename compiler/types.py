"""The value types of the language (the IR's `Type`): here so that the catalogue, which the
IR reads, can name them without importing the IR."""

from __future__ import annotations

from enum import StrEnum


class Type(StrEnum):
    INT = "int"
    DECIMAL = "decimal"
    FLOAT = "float"
    TEXT = "text"
    BOOL = "bool"
    DATE = "date"
    TIMESTAMP = "timestamp"
    DURATION = "duration"
    ANY = "any"  # not known at compile time (an undeclared column with no schema available)

    @property
    def is_numeric(self) -> bool:
        return self in (Type.INT, Type.DECIMAL, Type.FLOAT)

    @property
    def is_temporal(self) -> bool:
        return self in (Type.DATE, Type.TIMESTAMP)

    @property
    def with_article(self) -> str:
        """"an int", "a date": for messages."""
        return ("an " if self.value[0] in "aeiou" else "a ") + self.value


DECLARED_TYPES = {t.value: t for t in Type if t not in (Type.DURATION, Type.ANY)}
