"""`segl lint`: rules over the resolved, type-checked model. Pure analysis: no files are
read and nothing is printed here; configuration and output formats are the runtime's.

One module per family of rules; `rules.py` is the table of codes, names, severities and
reasons.
"""

from __future__ import annotations

from collections.abc import Iterable

from ... import model as m
from ...codes import Code
from ...diagnostics import Diagnostic
from ...semantic.loading import LoadedFile, is_library_file
from . import documentation, logic, missing, privacy, segmentations, unused
from .context import Context
from .rules import COMPILER_WARNINGS, RULES, Rule
from .suppressions import apply_suppressions

CHECKS = {**documentation.CHECKS, **privacy.CHECKS, **missing.CHECKS, **logic.CHECKS,
          **unused.CHECKS, **segmentations.CHECKS}

# Rules about `# segl: ignore` comments run after every other rule (see suppressions.py).
COMMENT_RULES = frozenset({Code.L901, Code.L902})


def lint_model(model: m.Model, files: list[LoadedFile],
               codes: Iterable[str] | None = None) -> list[Diagnostic]:
    """The findings of the given rules (default: all) in the user's files, in file order."""
    context = Context(model, files)
    found: list[Diagnostic] = []
    for code in sorted(set(codes if codes is not None else RULES) - COMMENT_RULES):
        found.extend(CHECKS[code](context))
    found = [d for d in found if d.span is None or not is_library_file(d.span.path)]
    found.sort(key=lambda d: (d.span.path if d.span else "", d.span.start if d.span else 0,
                              d.code))
    return found


__all__ = ["CHECKS", "COMMENT_RULES", "COMPILER_WARNINGS", "RULES", "Rule", "apply_suppressions",
           "lint_model"]
