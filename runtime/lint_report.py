"""`segl lint` output: text (the compiler's diagnostic renderer), JSON, SARIF 2.1.0 and
GitHub Actions annotations. Paths in JSON, SARIF and annotations are relative to the
repository root (the nearest folder above the current one holding `.git`, else the current
folder), as code-scanning tools expect."""

from __future__ import annotations

import json
import os
from pathlib import Path

from segl.compiler.api import CODES, RULES, SEGL_VERSION, Severity

from .lint import LintResult

JSON_SCHEMA_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning",
                   Severity.INFO: "notice"}


def repository_root(start: Path | None = None) -> Path:
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def relative_uri(path: str, root: Path) -> str:
    try:
        return Path(os.path.relpath(Path(path).resolve(), root)).as_posix()
    except ValueError:
        return Path(path).resolve().as_uri()


def _rule_name(code: str) -> str:
    if code in RULES:
        return RULES[code].name
    return CODES.get(code, "compile error").replace(" ", "-")


def summary(result: LintResult) -> str:
    parts = [f"{result.count(s)} {s.value}{'s' if result.count(s) != 1 else ''}"
             for s in Severity if result.count(s)]
    files = f"{len(result.files)} file{'s' if len(result.files) != 1 else ''}"
    return f"{', '.join(parts)} in {files}" if parts else f"no problems in {files}"


def text(result: LintResult, color: bool = False) -> str:
    blocks = [finding.render(color=color) for finding in result.findings]
    return "".join(block + "\n" for block in blocks) + summary(result) + "\n"


def as_json(result: LintResult, root: Path) -> str:
    """Schema (version 1): {version, tool: {name, version}, files: [path], findings:
    [{code, name, severity, message, hints, path, line, column, end_line, end_column,
    source: "lint"|"compiler"}], summary: {error, warning, info}}."""
    findings = []
    for finding in result.findings:
        span = finding.span
        findings.append({
            "code": finding.code,
            "name": _rule_name(finding.code),
            "severity": finding.severity.value,
            "message": finding.message,
            "hints": list(finding.hints),
            "path": relative_uri(span.path, root) if span else None,
            "line": span.line if span else None,
            "column": span.column if span else None,
            "end_line": span.end_line if span else None,
            "end_column": span.end_column if span else None,
            "source": "lint" if finding.code in RULES else "compiler",
        })
    document = {
        "version": JSON_SCHEMA_VERSION,
        "tool": {"name": "segl", "version": SEGL_VERSION},
        "files": [relative_uri(f, root) for f in result.files],
        "findings": findings,
        "summary": {s.value: result.count(s) for s in Severity},
    }
    return json.dumps(document, indent=2) + "\n"


def _sarif_rule(code: str) -> dict:
    if code in RULES:
        rule = RULES[code]
        return {
            "id": code, "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": f"{rule.summary}: {rule.rationale}"},
            "help": {"text": rule.rationale},
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        }
    meaning = CODES.get(code, "compile error")
    return {
        "id": code, "name": _rule_name(code),
        "shortDescription": {"text": meaning},
        "help": {"text": f"the file does not compile: {meaning}; see docs/diagnostics.md#"
                         f"{code.lower()} or `segl check --explain {code}`"},
        "defaultConfiguration": {"level": "error" if code.startswith("E") else "warning"},
    }


def sarif(result: LintResult, root: Path) -> str:
    codes = list(RULES) + sorted({f.code for f in result.findings} - set(RULES))
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for finding in result.findings:
        message = finding.message
        if finding.hints:
            message += "\n" + "\n".join(f"hint: {h}" for h in finding.hints)
        entry: dict = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": message},
        }
        span = finding.span
        if span is not None:
            entry["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": relative_uri(span.path, root),
                                     "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": span.line, "startColumn": span.column,
                           "endLine": span.end_line, "endColumn": span.end_column},
            }}]
        results.append(entry)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "segl", "version": SEGL_VERSION, "semanticVersion": SEGL_VERSION,
                "rules": [_sarif_rule(code) for code in codes],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
            "results": results,
        }],
    }
    return json.dumps(document, indent=2) + "\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(result: LintResult, root: Path) -> str:
    """One workflow command per finding: `::error file=…,line=…::message`."""
    lines = []
    for finding in result.findings:
        properties = []
        span = finding.span
        if span is not None:
            properties += [f"file={_escape_property(relative_uri(span.path, root))}",
                           f"line={span.line}", f"col={span.column}",
                           f"endLine={span.end_line}", f"endColumn={span.end_column}"]
        properties.append(f"title={_escape_property(f'{finding.code} {_rule_name(finding.code)}')}")
        message = "\n".join([finding.message, *(f"hint: {h}" for h in finding.hints)])
        lines.append(f"::{_GITHUB_COMMAND[finding.severity]} {','.join(properties)}::"
                     f"{_escape_data(message)}")
    return "".join(line + "\n" for line in lines)


def rules_table(config_severity) -> list[dict]:
    """Every rule, for `segl lint --list-rules`; `config_severity(code, default)` gives the
    severity in force."""
    return [{"code": code, "name": rule.name,
             "severity": config_severity(code, rule.severity).value,
             "summary": rule.summary, "rationale": rule.rationale}
            for code, rule in RULES.items()]
