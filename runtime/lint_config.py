"""`segl lint` settings: `[lint]` in segl.toml or `[tool.segl.lint]` in pyproject.toml.

    [lint]
    select = ["ALL"]                      # codes, prefixes ("L2") or names; default ALL
    ignore = ["L002"]                     # taken out of select
    severity = { L401 = "info", L201 = "error" }
    per-path-ignores = { "legacy/*.seg" = ["L001", "L002"] }

The nearest folder (from the linted path upwards) whose segl.toml has a `[lint]` table, or
whose pyproject.toml has `[tool.segl.lint]`, gives the settings (segl.toml first). Unknown
keys, codes and severities are usage errors, never ignored.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from segl.compiler.api import RULES, Severity, did_you_mean

from .errors import UsageError

_KEYS = ("select", "ignore", "severity", "per-path-ignores")
_NAMES = {rule.name: code for code, rule in RULES.items()}


@dataclass
class LintConfig:
    enabled: frozenset[str] = frozenset(RULES)
    severity: dict[str, Severity] = field(default_factory=dict)
    per_path_ignores: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    root: Path = field(default_factory=Path.cwd)  # per-path patterns are relative to it
    source: str | None = None  # the file the settings came from

    def severity_of(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)

    def ignored_at(self, path: str) -> frozenset[str]:
        """Codes the per-path ignores turn off for the file at `path`."""
        try:
            relative = Path(os.path.relpath(Path(path).resolve(), self.root)).as_posix()
        except ValueError:  # another drive
            relative = Path(path).as_posix()
        codes: set[str] = set()
        for pattern, ignored in self.per_path_ignores:
            if fnmatch.fnmatch(relative, pattern):
                codes |= ignored
        return frozenset(codes)


def expand_codes(values: list[str] | tuple[str, ...], where: str) -> set[str]:
    """Rule codes for codes, prefixes (`L2`), names (`unused-feature`) and `ALL`."""
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise UsageError(f"{where}: expected a list of rule codes, got {values!r}")
    codes: set[str] = set()
    for value in values:
        text = value.strip()
        if text.upper() == "ALL":
            codes |= set(RULES)
        elif text in _NAMES:
            codes.add(_NAMES[text])
        elif matching := {c for c in RULES if c.startswith(text.upper()) and text}:
            codes |= matching
        else:
            hint = did_you_mean(text, [*RULES, *_NAMES])
            raise UsageError(f"{where}: unknown lint rule `{text}`"
                             + (f"; {hint}" if hint else "; see `segl lint --list-rules`"))
    return codes


def parse_config(section: dict, source: str, root: Path) -> LintConfig:
    unknown = set(section) - set(_KEYS)
    if unknown:
        raise UsageError(f"{source}: unknown lint setting(s): {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(_KEYS)})")
    enabled = expand_codes(section.get("select", ["ALL"]), f"{source}: select")
    enabled -= expand_codes(section.get("ignore", []), f"{source}: ignore")
    severity: dict[str, Severity] = {}
    levels = section.get("severity", {})
    if not isinstance(levels, dict):
        raise UsageError(f"{source}: severity must be a table of code = level")
    for key, level in levels.items():
        if level not in tuple(Severity):
            raise UsageError(f"{source}: severity of `{key}` must be error, warning or info, "
                             f"got {level!r}")
        for code in expand_codes([key], f"{source}: severity"):
            severity[code] = Severity(level)
    per_path = []
    patterns = section.get("per-path-ignores", {})
    if not isinstance(patterns, dict):
        raise UsageError(f"{source}: per-path-ignores must be a table of pattern = [codes]")
    for pattern, codes in patterns.items():
        per_path.append((pattern, frozenset(
            expand_codes(codes, f"{source}: per-path-ignores {pattern!r}"))))
    return LintConfig(frozenset(enabled), severity, per_path, root, source)


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from exc


def find_config(start: Path) -> LintConfig:
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        segl_toml = candidate / "segl.toml"
        if segl_toml.is_file():
            data = _read(segl_toml)
            if "lint" in data:
                return parse_config(data["lint"], str(segl_toml), candidate)
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            section = _read(pyproject).get("tool", {}).get("segl", {}).get("lint")
            if section is not None:
                return parse_config(section, f"{pyproject} [tool.segl.lint]", candidate)
    return LintConfig()
