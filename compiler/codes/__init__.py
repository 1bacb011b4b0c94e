"""Every diagnostic code segl shows, declared once (compiler/codes/README.md).

    from segl.compiler.codes import Code
    error(Code.E108, "…", span)

`Code` is a `StrEnum` made from the declarations, so `Code.E108 == "E108"` and a code prints
as itself; `Code.E108.declared` is its declaration (severity, title, explanation, example)."""

from __future__ import annotations

from enum import StrEnum

from .compiler_codes import COMPILER_CODES
from .declared import Declared, Severity
from .lint_codes import LINT_CODES

DECLARED: dict[str, Declared] = {d.code: d for d in (*COMPILER_CODES, *LINT_CODES)}


class _CodeBase(StrEnum):
    @property
    def declared(self) -> Declared:
        return DECLARED[self.value]


Code = _CodeBase("Code", {code: code for code in DECLARED}, module=__name__)
Code.__doc__ = "A diagnostic code; each member is declared once in this package."


def lookup(text: str) -> Code | None:
    """The code a user typed (`e108`, ` E108 `), or None."""
    key = text.strip().upper()
    return Code(key) if key in DECLARED else None


def explain(code: Code) -> str:
    """The explanation `segl check --explain CODE` prints: title, severity, why, example."""
    declared = code.declared
    lines = [f"{code}: {declared.title}", f"({declared.kind}, {declared.severity.value} by "
             "default)" if code.startswith("L") else f"({declared.kind})", "",
             declared.explanation, "", "For example:", ""]
    lines += [f"    {line}" for line in declared.mistake.splitlines()]
    lines += ["", "Fixed:", ""]
    lines += [f"    {line}" for line in declared.fix.splitlines()]
    if declared.reserved:
        lines += ["", "Reserved: segl does not raise this code yet."]
    return "\n".join(lines) + "\n"


__all__ = ["DECLARED", "Code", "Declared", "Severity", "explain", "lookup"]
