"""Where a source's files are, and how a source is named in a message: what `segl check`
needs about locations without DuckDB (runtime/bad_data.py, which reads bad files through
DuckDB, re-exports these; runtime/data_facts.py uses them on a cache hit, issue 15 item 5)."""

from __future__ import annotations

import glob
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from segl.compiler.api import Location, Plan, Table


def source_label(table: Table, location: Location) -> str:
    """`file.seg:2:22: entity `customer``: where a source is declared."""
    span = location.span or table.span
    prefix = f"{span}: " if span else ""
    return f"{prefix}{table.kind} `{table.name}`"


def is_glob(path: str) -> bool:
    return any(c in path for c in "*?[")


def location_files(location: Location) -> list[str]:
    """The files a file location reads (a glob may match several), in order."""
    return path_files(location.path or location.target)


def path_files(path: str) -> list[str]:
    """The files a path names: a glob's matches in order, else the path itself. (As DuckDB
    globs: `*` matches a name that starts with a dot, so a hidden file it reads is listed.)"""
    return sorted(glob.glob(path, include_hidden=True)) if is_glob(path) else [path]


def shown_file(file: str, location: Location) -> str:
    """A file as the user wrote it (or, matched by a glob, relative to here when inside)."""
    if file == (location.path or location.target):
        return location.target
    relative = os.path.relpath(file)
    return file if relative.startswith("..") else relative


def source_bytes(plan: Plan) -> int:
    """The size of the files the plan reads (a location that is no local file counts as
    large: nothing says it is small). The engines decide from it whether a query is worth
    splitting into steps that bound its memory (Polars' passes, DuckDB's staged dates)."""
    from segl.compiler.api import tables_read

    total = 0
    for name in tables_read(plan):
        table = plan.model.table(name)
        for location in table.locations[:1]:
            files = glob.glob(location.path or location.target or "", include_hidden=True)
            if not files:
                return sys.maxsize
            try:
                total += sum(os.path.getsize(f) for f in files if os.path.isfile(f))
            except OSError:  # (a file removed since the glob: its size is not known)
                return sys.maxsize
    return total
