"""`segl lint`: which files, compiled how, and the settings applied to the findings.

Files and folders are expanded to `.seg` files (as for `segl fmt`). A file that another
linted file imports is linted through that file (its features and parameters are judged by
what the importing files use); every other file is linted as an entry. Compile errors are
reported as findings with their E code; compiler warnings are reported by the lint rules
that cover them (W201 as L303, W202 as L501).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from segl.compiler.api import (
    COMMENT_RULES,
    RULES,
    Compilation,
    Diagnostic,
    Severity,
    SourceFile,
    apply_suppressions,
    compile_file,
    is_library_file,
    lint_model,
)

from .errors import UsageError
from .fmt import STDIN, seg_files
from .lint_config import LintConfig


@dataclass
class LintResult:
    findings: list[Diagnostic]  # compile errors and lint findings, in file order
    files: list[str]  # every file linted, imported ones included

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)


def _key(path: str) -> Path:
    return Path(path).resolve()


def lint_paths(paths: tuple[str, ...], config: LintConfig) -> LintResult:
    # segl's own standard library is not the user's to lint (it is checked by segl's tests)
    files = [f for f in seg_files(paths) if not is_library_file(f)]
    if STDIN in files:
        raise UsageError("segl lint reads files, not standard input")
    compilations = {file: compile_file(file) for file in files}
    loads = {file: {_key(f.source.path) for f in c.files} for file, c in compilations.items()}
    roots = [f for f in files
             if not any(_key(f) in loads[other] for other in files if other != f)]
    covered = set().union(*(loads[r] for r in roots)) if roots else set()
    roots += [f for f in files if _key(f) not in covered and f not in roots]  # import cycles

    findings: dict[tuple, Diagnostic] = {}
    agreeing: dict[tuple, int] = {}  # whole-project findings: how many roots found them
    loaded_by: dict[Path, int] = {}  # how many compiled roots load each file
    sources: dict[Path, SourceFile] = {}
    for root in roots:
        compilation = compilations[root]
        if not compilation.ok:
            for error in compilation.errors:
                findings.setdefault(_identity(error), error)
            continue
        for file in compilation.files:
            path = _key(file.source.path)
            loaded_by[path] = loaded_by.get(path, 0) + 1
            if not is_library_file(file.source.path):
                sources.setdefault(path, file.source)
        for finding in _lint(compilation, config):
            key = _identity(finding)
            findings.setdefault(key, finding)
            agreeing[key] = agreeing.get(key, 0) + 1
    kept = [f for key, f in findings.items()
            if f.code not in RULES or not RULES[f.code].whole_project
            or agreeing[key] == loaded_by.get(_key(f.span.path), 0)]
    kept = apply_suppressions(kept, sources.values(), set(config.enabled))
    kept = [_configured(f, config) for f in kept if _applies(f, config)]
    kept.sort(key=lambda d: (d.span.path if d.span else "", d.span.start if d.span else 0,
                             d.code))
    linted = sorted({str(p) for p in loaded_by} | {str(_key(f)) for f in files})
    return LintResult(kept, [_display(p) for p in linted])


def _lint(compilation: Compilation, config: LintConfig) -> list[Diagnostic]:
    codes = set(config.enabled) - COMMENT_RULES
    return lint_model(compilation.require_ok(), compilation.files, codes)


def _identity(diagnostic: Diagnostic) -> tuple:
    span = diagnostic.span
    return (diagnostic.code, str(_key(span.path)) if span else "", span.start if span else -1,
            diagnostic.message)


def _applies(finding: Diagnostic, config: LintConfig) -> bool:
    if finding.code not in RULES:
        return True  # compile errors always count
    return finding.span is None or finding.code not in config.ignored_at(finding.span.path)


def _configured(finding: Diagnostic, config: LintConfig) -> Diagnostic:
    if finding.code not in RULES:
        return finding
    severity = config.severity_of(finding.code, finding.severity)
    return finding if severity is finding.severity else replace(finding, severity=severity)


def _display(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
