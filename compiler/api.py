"""The compiler's public entry points, used by the runtime, the CLI, tests and notebooks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import lexicon as lexicon
from . import model as m
from .buckets import check_segmentations
from .diagnostics import CompileError, Diagnostic, Severity, did_you_mean, error
from .formatter import format_source as format_source
from .functions import AGGREGATE_SUMMARIES, SCALAR_FUNCTIONS
from .functions import AGGREGATES as AGGREGATES
from .kpi_sql import generate_kpi_sql
from .plan import Plan, plan_for
from .resolve import (
    LoadedFile,
    SchemaProvider,
    TextReader,
    is_library_file,
    read_from_disk,
    resolve,
)
from .resolve import library_names as library_names
from .source import SourceFile
from .source import Span as Span
from .symbol_binding import build_index
from .symbols import Occurrence as Occurrence
from .symbols import RenameRefused as RenameRefused
from .symbols import Space as Space
from .symbols import Symbol as Symbol
from .symbols import SymbolIndex
from .symbols import SymbolKey as SymbolKey
from .symbols import SymbolKind as SymbolKind
from .symbols import TextEdit as TextEdit
from .symbols import file_key as file_key
from .to_sql import AsOf, SourceOverride, generate_sql
from .typecheck import typecheck
from .version import SEGL_VERSION as SEGL_VERSION


@dataclass
class Compilation:
    path: str
    model: m.Model | None
    diagnostics: list[Diagnostic]
    files: list[LoadedFile] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.model is not None and not any(d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    def require_ok(self) -> m.Model:
        if not self.ok or self.model is None:
            raise CompileError(self.errors or self.diagnostics)
        return self.model


def compile_source(
    source: SourceFile,
    params: dict[str, str] | None = None,
    schema_provider: SchemaProvider | None = None,
    read_text: TextReader = read_from_disk,
) -> Compilation:
    """Parse, resolve and type-check one file (with its imports, read with `read_text`).
    Never raises on bad input: every problem is a Diagnostic."""
    resolution = resolve(source, params, schema_provider, read_text)
    diagnostics = resolution.diagnostics
    model = resolution.model
    if model is not None:
        model = typecheck(model, diagnostics)
        check_segmentations(model, diagnostics)
    # Warnings about segl's own library files are not the user's to fix (std.rfm has the 11
    # named RFM groups, more than the 7 buckets W202 advises).
    diagnostics = [d for d in diagnostics
                   if d.is_error or d.span is None or not is_library_file(d.span.path)]
    diagnostics.sort(key=lambda d: (d.span.path if d.span else "", d.span.start if d.span else 0))
    return Compilation(source.path, model, _unique(diagnostics), resolution.files,
                       dict(params or {}))


def compile_file(
    path: str | Path,
    params: dict[str, str] | None = None,
    schema_provider: SchemaProvider | None = None,
) -> Compilation:
    try:
        source = SourceFile.read(path)
    except OSError as exc:
        diagnostic = error("E104", f"cannot read `{path}`: {exc.strerror}", None)
        return Compilation(str(path), None, [diagnostic])
    except UnicodeDecodeError:
        diagnostic = error("E104", f"`{path}` is not UTF-8 text", None)
        return Compilation(str(path), None, [diagnostic])
    return compile_source(source, params, schema_provider)


def select_segments(model: m.Model, names: list[str] | None) -> list[str]:
    """Check segment and segmentation names given on the command line (default: all);
    raise with a "did you mean"."""
    known = [*model.segments, *model.segmentations]
    if not names:
        return known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise CompileError([
            error("E101", f"unknown segment `{name}`", None,
                  did_you_mean(name, known) or f"segments are: {', '.join(known) or 'none'}")
            for name in unknown
        ])
    return list(dict.fromkeys(names))


def to_sql(
    compilation: Compilation,
    dialect: str = "duckdb",
    as_of: date | str | AsOf | None = None,
    segments: list[str] | None = None,
    file_paths: str = "absolute",
) -> str:
    """Compiled SQL for a dialect: one query returning the key and one boolean column per
    segment. Raises CompileError when the file has errors or the dialect cannot express it."""
    model = compilation.require_ok()
    plan = plan_for(model, select_segments(model, segments))
    return sql_for_plan(plan, compilation, dialect, as_of, file_paths)


def to_kpi_sql(
    compilation: Compilation,
    dialect: str = "duckdb",
    as_of: date | str | AsOf | None = None,
    segments: list[str] | None = None,
    file_paths: str = "absolute",
) -> str:
    """Compiled SQL for a dialect: every KPI, with its index, for everyone, each segment and
    each bucket (and the share each ranking segment or tier holds), in one query."""
    model = compilation.require_ok()
    plan = plan_for(model, select_segments(model, segments), list(model.kpis), shares=True)
    return kpi_sql_for_plan(plan, compilation, dialect, as_of, file_paths)


def sql_for_plan(
    plan: Plan,
    compilation: Compilation,
    dialect: str,
    as_of: date | str | AsOf | None,
    file_paths: str = "absolute",
    pretty: bool = True,
    sources: Mapping[str, SourceOverride] | None = None,
) -> str:
    """SQL for a plan. `sources`: read these tables from engine tables or files instead of
    their declared locations (see to_sql.SourceOverride)."""
    return generate_sql(plan, dialect, _as_of(as_of), file_paths, _header(plan, compilation),
                        pretty, sources)


def kpi_sql_for_plan(
    plan: Plan,
    compilation: Compilation,
    dialect: str,
    as_of: date | str | AsOf | None,
    file_paths: str = "absolute",
    pretty: bool = True,
    sources: Mapping[str, SourceOverride] | None = None,
) -> str:
    """One query giving every KPI (and its index) per group: everyone, each segment, each
    bucket. Plan it with the KPIs: `plan_for(model, names, list(model.kpis), shares=True)`."""
    return generate_kpi_sql(plan, dialect, _as_of(as_of), file_paths,
                            _header(plan, compilation), pretty, sources)


def _header(plan: Plan, compilation: Compilation) -> dict[str, str]:
    header = {"source": compilation.path}
    if plan.model.params:
        header["params"] = ", ".join(
            f"{name}={_param_text(p.value.value)}" for name, p in plan.model.params.items()
        )
    return header


def _param_text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _as_of(value: date | str | AsOf | None) -> AsOf:
    if value is None:
        return AsOf("today")
    if isinstance(value, AsOf):
        return value
    if isinstance(value, date):
        return AsOf("date", value)
    return AsOf.parse(value)


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen = set()
    out = []
    for d in diagnostics:
        key = (d.code, d.message, d.span.start if d.span else None, d.span.path if d.span else None)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


# ---------------------------------------------------------------- for editors
# What the language server (runtime/lsp) uses, so that it needs no compiler internals: the
# imports above marked `X as X` are re-exported for it.

def symbol_index(compilation: Compilation) -> SymbolIndex:
    """Every definition and every written name of the compiled files: where a name is
    defined and used, what a file declares, what a rename changes (compiler/symbols.py)."""
    return build_index(compilation.files, compilation.model)


def builtin_functions() -> dict[str, str]:
    """Every built-in function's name and one-line summary, aggregates first."""
    return {**AGGREGATE_SUMMARIES,
            **{name: f.summary for name, f in SCALAR_FUNCTIONS.items()}}
