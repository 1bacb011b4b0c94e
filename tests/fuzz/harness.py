"""One fuzzed input through every front-end stage, in process.

`exercise(text, path)` runs what `segl check`, `segl fmt`, `segl lint` and `segl compile`
run (and the Polars plan `segl run --engine polars` collects, and the editors' name index),
rendering every diagnostic as the terminal would. Bad input must end in Diagnostics; any
other exception escapes to the caller, which counts it as a crash. Nothing here reads data:
no schema provider, and the Polars plan is built, never collected.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from segl.compiler.analysis.lint import RULES, apply_suppressions, lint_model
from segl.compiler.api import (
    compile_source,
    format_source,
    plan_for,
    sql_for_plan,
    symbol_index,
)
from segl.compiler.backends.polars.generator import generate_polars
from segl.compiler.diagnostics import CompileError, Diagnostic
from segl.compiler.source import SourceFile

# Every dialect `tests/sql` pins (kept here so this folder imports no other test module).
DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "spark", "databricks", "redshift",
            "trino", "clickhouse", "tsql", "mysql", "sqlite")
AS_OF = date(2026, 6, 30)


def decode(data: bytes, path: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Bytes as the CLI reads them (encoding errors are diagnostics)."""
    try:
        return SourceFile.from_bytes(path, data), []
    except CompileError as exc:
        return None, list(exc.diagnostics)


def exercise(data: bytes | str, path: str) -> list[str]:
    """Every stage on one input; returns the codes of the diagnostics met (for the tests'
    tables). Raises only on a crash."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")  # (a lone surrogate: bytes not UTF-8)
    source, problems = decode(data, path)
    codes = [d.code for d in problems]
    for problem in problems:
        problem.render(color=True)
    if source is None:
        return codes
    compilation = compile_source(source)
    for diagnostic in compilation.diagnostics:
        diagnostic.render(color=True)
        codes.append(diagnostic.code)
    _format(source)
    if compilation.model is None:
        return codes
    symbol_index(compilation)
    if not compilation.ok:
        return codes
    model = compilation.model
    for finding in apply_suppressions(lint_model(model, compilation.files),
                                      [f.source for f in compilation.files], set(RULES)):
        finding.render()
    plan = plan_for(model)  # what `to_sql` plans, once for every dialect
    for dialect in DIALECTS:
        try:
            sql_for_plan(plan, compilation, dialect, AS_OF)
        except CompileError as exc:  # a construct the dialect cannot express: E301
            codes.extend(d.code for d in exc.diagnostics)
    if not _readable(model):
        return codes
    try:
        generate_polars(plan, AS_OF)
    except CompileError as exc:
        codes.extend(d.code for d in exc.diagnostics)
    # The plan reads each file's schema. Data that is not there (bench's generated tables),
    # or a column the data lacks, is E101 from `segl check`/`run` before any plan is built
    # (they check declarations against the data; this harness has no schema provider).
    except (FileNotFoundError, pl.exceptions.ColumnNotFoundError):
        pass
    return codes


def _readable(model) -> bool:
    """Does every file location name a file? The Polars plan reads each file's schema; an
    empty path, a folder or a glob of mixed files is the runtime's data error (`segl run`
    names it, exit 2), found before any plan is built. This harness has no data checks."""
    return all(Path(location.path).is_file() for table in model.tables
               for location in table.locations if location.path is not None)


def _format(source: SourceFile) -> None:
    """`segl fmt` on the text: refused with diagnostics, or canonical and idempotent."""
    try:
        formatted = format_source(source.text, source.path)
    except CompileError:
        return
    again = format_source(formatted, source.path)
    if again != formatted:
        raise AssertionError(f"fmt is not idempotent on {source.path}")


def repository_seg_files() -> list[Path]:
    """Every `.seg` file of the repository (examples, bench, tests, the standard library)."""
    root = Path(__file__).resolve().parents[2]
    return sorted(p for p in root.rglob("*.seg")
                  if ".venv" not in p.parts and "node_modules" not in p.parts)
