"""Silencing findings with a comment, and L901/L902 about such comments.

    segment everyone = true   # segl: ignore[L302] the audience of the newsletter
    # segl: ignore[L201, L202] missing plans are not prospects
    segment prospects = plan != "enterprise"

A `# segl: ignore[CODE, …]` comment at the end of a line silences those codes on that line;
on a line of its own it silences them on the next line that holds code. Text after the
brackets is free (say why). Compiler errors (E…) cannot be silenced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ...codes import Code
from ...diagnostics import Diagnostic, did_you_mean
from ...source import SourceFile, Span
from ...syntax.lexicon import comments
from .rules import RULES, finding

_DIRECTIVE = re.compile(r"segl:\s*ignore\b(?:\[([^\]]*)\])?")


@dataclass
class Directive:
    span: Span  # the directive in its comment
    target_line: int
    codes: tuple[str, ...]
    used: set[str] = field(default_factory=set)


def directives(source: SourceFile) -> list[Directive]:
    found = []
    lines = source.text.split("\n")
    for offset, text in comments(source.text):
        match = _DIRECTIVE.search(text)
        if match is None:
            continue
        line, column = source.position(offset)
        target = line
        if not source.line_text(line)[: column - 1].strip():  # a comment on its own line
            target = line + 1
            while target <= len(lines) and (
                    not lines[target - 1].strip() or lines[target - 1].lstrip().startswith("#")):
                target += 1
        codes = tuple(c.strip() for c in (match.group(1) or "").split(",") if c.strip())
        start = offset + match.start()
        found.append(Directive(source.span(start, offset + match.end()), target, codes))
    return found


def apply_suppressions(findings: Iterable[Diagnostic], sources: Iterable[SourceFile],
                       enabled: set[str]) -> list[Diagnostic]:
    """`findings` without the silenced ones, plus L901/L902 about the comments (when
    enabled). Codes of rules that did not run are not reported as unused."""
    by_line: dict[tuple[str, int], list[Directive]] = {}
    every: list[Directive] = []
    for source in sources:
        for directive in directives(source):
            every.append(directive)
            by_line.setdefault((_file(source.path), directive.target_line), []).append(directive)
    kept = []
    for diagnostic in findings:
        span = diagnostic.span
        matching = [d for d in by_line.get((_file(span.path), span.line), ())
                    if diagnostic.code in d.codes] if span is not None else []
        if matching and diagnostic.code in RULES:
            for directive in matching:
                directive.used.add(diagnostic.code)
            continue
        kept.append(diagnostic)
    for directive in every:
        kept.extend(_about(directive, enabled))
    return kept


def _file(path: str) -> str:
    """One key per file, however its path was spelt (given, or imported)."""
    return str(Path(path).resolve())


def _about(directive: Directive, enabled: set[str]) -> list[Diagnostic]:
    out = []
    if not directive.codes and Code.L902 in enabled:
        out.append(finding(Code.L902, "`segl: ignore` needs the codes it silences",
                           directive.span, "write `# segl: ignore[L201]` (a reason may follow)"))
    for code in directive.codes:
        if code not in RULES:
            if Code.L902 in enabled:
                hint = "compiler errors cannot be silenced; fix them" if code[:1] in "EW" \
                    else did_you_mean(code, RULES) or "see `segl lint --list-rules`"
                out.append(finding(Code.L902, f"`{code}` is not a lint rule", directive.span, hint))
        elif code not in directive.used and code in enabled and Code.L901 in enabled:
            out.append(finding(Code.L901, f"`# segl: ignore[{code}]` silences nothing here",
                               directive.span, "remove it (or the code) from the comment"))
    return out
