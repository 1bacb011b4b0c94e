"""sqlglot's expression module (`exp`), imported on first use.

The catalogue's entries hold their SQL as functions that build sqlglot trees; resolving and
type-checking a file reads the entries but builds no SQL. Importing sqlglot costs a tenth of
a second, most of `segl check --no-data`'s budget (issue 15 item 5), so the catalogue names
`exp` through this stand-in, which imports sqlglot when a function first reads an attribute
of it (`exp.Cast`, …). Type annotations name `exp` as text (`from __future__ import
annotations`), which imports nothing."""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    """Stands for a module, imported when one of its attributes is first read."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> object:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)


exp = LazyModule("sqlglot.expressions")
