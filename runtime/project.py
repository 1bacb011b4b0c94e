"""The project file `segl.toml`: defaults so commands run without repeating flags.

    [segl]
    entry = ["shop.seg"]      # files `segl check|run|compile` use when none is given
    dialect = "duckdb"        # default for `segl compile`
    database = "shop.duckdb"  # DuckDB database holding `from table` sources
    as_of = "2026-06-30"      # default evaluation date ("today" when absent)
    threads = 4               # resource controls of the commands that run queries
    memory_limit = "4GB"      # (docs/engines.md: what each means on each engine)
    temp_dir = ".segl-tmp"    # where the engine spills what does not fit
    history = "history.duckdb"  # the membership history (a file, or a postgresql:// URL,
                              # sqlite:PATH or spark:[DATABASE]; docs/time.md)

    [params]
    min_orders = 4

Paths are relative to the folder holding segl.toml. The file is found by walking up from
the given file's folder (or the current folder).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .kpi_formats import parse_currency
from .resources import Resources, parse_memory_limit, parse_temp_dir, parse_threads

PROJECT_FILE = "segl.toml"
_KNOWN = {"entry", "dialect", "database", "as_of", "threads", "memory_limit", "temp_dir",
          "currency", "history"}


@dataclass
class Project:
    root: Path | None = None
    entry: list[str] = field(default_factory=list)
    dialect: str = "duckdb"
    database: str | None = None
    as_of: str = "today"
    params: dict[str, str] = field(default_factory=dict)
    resources: Resources = field(default_factory=Resources)
    currency: str | None = None  # the symbol `format currency` KPIs are shown with
    history: str | None = None  # the membership history target (docs/time.md)


def _relative(path: Path) -> str:
    """Paths as a user would type them from here (they appear in messages and SQL headers)."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def find_project(start: Path) -> Project:
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        path = candidate / PROJECT_FILE
        if path.is_file():
            return load_project(path)
    return Project()


def load_project(path: Path) -> Project:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read project file: {exc}") from exc
    section = data.get("segl", {})
    unknown = set(section) - _KNOWN
    if unknown:
        raise UsageError(f"{path}: unknown setting(s) in [segl]: {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(sorted(_KNOWN))})")
    root = path.parent
    entry = section.get("entry", [])
    if isinstance(entry, str):
        entry = [entry]
    database = section.get("database")
    return Project(
        root=root,
        entry=[_relative(root / e) for e in entry],
        dialect=section.get("dialect", "duckdb"),
        database=str(root / database) if database else None,
        as_of=str(section.get("as_of", "today")),
        params={k: str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in data.get("params", {}).items()},
        resources=Resources(
            parse_threads(section.get("threads"), f"{path}: `threads`"),
            parse_memory_limit(section.get("memory_limit"), f"{path}: `memory_limit`"),
            parse_temp_dir(section.get("temp_dir"), f"{path}: `temp_dir`", root)),
        currency=parse_currency(section.get("currency"), f"{path}: `currency`"),
        history=_history(section.get("history"), path),
    )


def _history(value: object, path: Path) -> str | None:
    """The history target: a URL as written; a file (or `sqlite:FILE`) relative to the
    folder holding segl.toml."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{path}: `history` is a DuckDB file, a postgresql:// URL, "
                         "sqlite:PATH or spark:[DATABASE]")
    if value.startswith(("postgresql://", "postgres://", "spark:")):
        return value
    if value.startswith("sqlite:"):
        return "sqlite:" + _relative(path.parent / value.removeprefix("sqlite:"))
    return _relative(path.parent / value)
