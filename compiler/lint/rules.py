"""The lint rules: code, name, default severity and the one-line reason for each.

The checks live in one module per family (`documentation`, `privacy`, `missing`, `logic`,
`unused`, `segmentations`, `suppressions`); this table is what `segl lint --list-rules`,
the SARIF `rules` array and docs/lint.md show.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Diagnostic, Severity
from ..source import Span


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str  # what it finds
    rationale: str  # why it matters, one line
    # Judged over everything that uses a file (unused features and parameters): a finding
    # stands only when every linted file that loads the file agrees.
    whole_project: bool = False


E, W = Severity.ERROR, Severity.WARNING

_RULES = (
    Rule("L001", "segment-without-owner", W, "a segment has no `owner`",
         "someone must answer for who is targeted and keep the definition current"),
    Rule("L002", "segment-without-description", W, "a segment has no `description`",
         "a reviewer needs the intent, not only the condition, to judge a change"),
    Rule("L101", "personal-data-without-purpose", E,
         "a segment, segmentation or KPI uses a `pii` or `sensitive` column without a "
         "`purpose` or a consent condition",
         "GDPR: personal data may only be processed for a declared purpose or with consent"),
    Rule("L102", "personal-data-exported", E,
         "an output of a segment, segmentation, KPI or persona is derived from personal data "
         "that the object does not `allow`",
         "every command refuses such an output (E504): personal data leaves only with a "
         "purpose and an explicit allow"),
    Rule("L201", "missing-value-excluded", W,
         "a negated comparison silently excludes entities whose value is missing",
         "`x != \"a\"` and `not (x > 5)` are missing, not true, when x is missing"),
    Rule("L202", "no-events-excluded", W,
         "a bound on `min`/`max` over events excludes entities that have no events",
         '`max(orders.amount) <= 100` reads as "never above 100" but drops who never ordered'),
    Rule("L301", "never-matches", E, "a condition is false for every entity by construction",
         "an empty segment is a bug: contradictory bounds, `a and not a`"),
    Rule("L302", "always-true", W, "a condition is true for every entity by construction",
         "a segment of everyone is usually a mistake: `count(…) >= 0`, `a or not a`"),
    Rule("L303", "unreachable-bucket", W,
         "a segmentation bucket can never match (compiler warning W201)",
         "an earlier bucket takes every entity it would take"),
    Rule("L401", "unused-feature", W, "a feature is used by nothing",
         "dead definitions mislead readers and reviewers",
         whole_project=True),
    Rule("L402", "unused-parameter", W, "a parameter is used by nothing",
         "an override of an unused parameter silently does nothing", whole_project=True),
    Rule("L501", "too-many-buckets", W,
         "a segmentation has more than 7 buckets (compiler warning W202)",
         "3 to 7 groups stay distinct and actionable"),
    Rule("L901", "unused-suppression", W, "a `# segl: ignore[…]` comment silences nothing",
         "stale suppressions hide the next real finding on that line"),
    Rule("L902", "invalid-suppression", W,
         "a `# segl: ignore` comment names no code or an unknown code",
         "a misspelt code silences nothing"),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}

# Compiler warnings that a lint rule reports instead (with its own code, so that it can be
# configured and silenced like any other rule).
COMPILER_WARNINGS = {"W201": "L303", "W202": "L501"}


def finding(code: str, message: str, span: Span | None, *hints: str) -> Diagnostic:
    """A lint finding at the rule's default severity."""
    return Diagnostic(code, RULES[code].severity, message, span, tuple(h for h in hints if h))
