"""The lint rules: each rule's code with its name, and whether it is judged over the whole
project. Severity, what it finds and why it matters are the code's declaration
(compiler/codes/lint_codes.py), read through `Rule`.

The checks live in one module per family (`documentation`, `privacy`, `missing`, `logic`,
`unused`, `segmentations`, `suppressions`); this table is what `segl lint --list-rules`,
the SARIF `rules` array and docs/lint.md show.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...codes import Code
from ...diagnostics import Diagnostic, Severity
from ...source import Span


@dataclass(frozen=True)
class Rule:
    code: Code
    name: str
    # Judged over everything that uses a file (unused features and parameters): a finding
    # stands only when every linted file that loads the file agrees.
    whole_project: bool = False

    @property
    def severity(self) -> Severity:
        return self.code.declared.severity

    @property
    def summary(self) -> str:
        """What it finds."""
        return self.code.declared.title

    @property
    def rationale(self) -> str:
        """Why it matters, one line."""
        return self.code.declared.explanation


_RULES = (
    Rule(Code.L001, "segment-without-owner"),
    Rule(Code.L002, "segment-without-description"),
    Rule(Code.L101, "personal-data-without-purpose"),
    Rule(Code.L102, "personal-data-exported"),
    Rule(Code.L201, "missing-value-excluded"),
    Rule(Code.L202, "no-events-excluded"),
    Rule(Code.L301, "never-matches"),
    Rule(Code.L302, "always-true"),
    Rule(Code.L303, "unreachable-bucket"),
    Rule(Code.L401, "unused-feature", whole_project=True),
    Rule(Code.L402, "unused-parameter", whole_project=True),
    Rule(Code.L501, "too-many-buckets"),
    Rule(Code.L901, "unused-suppression"),
    Rule(Code.L902, "invalid-suppression"),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}

# Compiler warnings that a lint rule reports instead (with its own code, so that it can be
# configured and silenced like any other rule).
COMPILER_WARNINGS = {Code.W201: Code.L303, Code.W202: Code.L501}


def finding(code: Code, message: str, span: Span | None, *hints: str) -> Diagnostic:
    """A lint finding at the rule's default severity."""
    return Diagnostic(code, RULES[code].severity, message, span, tuple(h for h in hints if h))
