"""The compiler's public entry points, used by the runtime, the CLI, tests and notebooks.

The runtime (runtime/) reaches the compiler only through this module (an AST scan pins it:
tests/runtime/test_one_door.py). The data types and tables it reads (model, IR nodes,
diagnostics, lint rules, the semantic diff) are re-exported here by name (`X as X`), so
that everything the runtime depends on is listed in this one file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from . import catalogue
from . import model as m
from .catalogue import AGGREGATES as AGGREGATES
from .codes import Code as Code  # the diagnostic codes, for the runtime
from .codes import explain, lookup
from .diagnostics import CODES as CODES
from .diagnostics import CompileError as CompileError
from .diagnostics import Diagnostic as Diagnostic
from .diagnostics import Severity as Severity
from .diagnostics import did_you_mean as did_you_mean
from .diagnostics import error
from .ir import Aggregate as Aggregate
from .ir import Between as Between
from .ir import Column as Column
from .ir import Compare as Compare
from .ir import Expr as Expr
from .ir import FeatureRef as FeatureRef
from .ir import Func as Func
from .ir import Literal as Literal
from .ir import Rank as Rank
from .ir import Score as Score
from .ir import SegmentationRef as SegmentationRef
from .ir import SegmentRef as SegmentRef
from .ir import Total as Total
from .ir import Type as Type
from .ir import transform_children as transform_children
from .model import ClusterFit as ClusterFit
from .model import Clusters as Clusters
from .model import Expectation as Expectation
from .model import Experiment as Experiment
from .model import Export as Export
from .model import ExportMode as ExportMode
from .model import Kpi as Kpi
from .model import Location as Location
from .model import Model as Model
from .model import Persona as Persona
from .model import Segment as Segment
from .model import Similarity as Similarity
from .model import SimilarityFit as SimilarityFit
from .model import Table as Table
from .model import Test as Test
from .model import TestRows as TestRows
from .plan import AsOf as AsOf
from .plan import PhysicalPlan, physical_plan
from .plan import Plan as Plan
from .plan import plan_for as plan_for
from .plan import shift_date as shift_date
from .plan.as_of import AsOfMode
from .semantic.buckets import check_segmentations

# `clusters` segmentations: the lock file `segl discover` writes (compiler/semantic/clusters.py)
from .semantic.clusters import LockEntry as LockEntry
from .semantic.clusters import SimilarityEntry as SimilarityEntry
from .semantic.clusters import lock_text as lock_text
from .semantic.clusters import python_assignment as python_assignment
from .semantic.exports import export_output as export_output
from .semantic.loading import LoadedFile, TextReader
from .semantic.loading import is_library_file as is_library_file
from .semantic.loading import library_names as library_names
from .semantic.loading import read_from_disk as read_from_disk

# Personal data where it leaves (docs/privacy.md): what each command outputs, and whether
# the objects it belongs to allow it. Re-exported for the runtime and future outputs.
from .semantic.privacy import REFUSED as REFUSED
from .semantic.privacy import Output as Output
from .semantic.privacy import Owner as Owner
from .semantic.privacy import Permit as Permit
from .semantic.privacy import all_outputs as all_outputs
from .semantic.privacy import breakdown_outputs as breakdown_outputs
from .semantic.privacy import kpi_outputs as kpi_outputs
from .semantic.privacy import member_outputs as member_outputs
from .semantic.privacy import permit_of as permit_of
from .semantic.privacy import personal_column as personal_column
from .semantic.privacy import profile_outputs as profile_outputs
from .semantic.privacy import refused as refused
from .semantic.privacy import require_allowed as require_allowed
from .semantic.privacy import share_outputs as share_outputs
from .semantic.privacy import trait_outputs as trait_outputs
from .semantic.resolve import SchemaProvider, resolve
from .semantic.typecheck import typecheck
from .slots import md5_hex as md5_hex
from .slots import slot as slot
from .source import SourceFile as SourceFile
from .source import Span as Span
from .source import decode as decode
from .syntax import lexicon as lexicon
from .syntax.limits import as_of_problem as as_of_problem
from .syntax.limits import currency_problem as currency_problem
from .version import SEGL_VERSION as SEGL_VERSION

if TYPE_CHECKING:  # (imported on first use: sqlglot and the SQL backend, see _LAZY)
    from sqlglot import exp

    from .backends.polars.sources import column_named as column_named
    from .backends.sql.dialects import duckdb_file_reader as duckdb_file_reader
    from .backends.sql.generator import SourceOverride as SourceOverride
    from .backends.sql.generator import SqlGenerator as SqlGenerator
    from .backends.sql.generator import members_query as members_query
    from .backends.sql.kpis import kpi_select as kpi_select
    from .backends.sql.locations import location_relation as location_relation
    from .backends.sql.rollup import RollupSource as RollupSource
    from .backends.sql.rollup import Unit as RollupUnit
    from .backends.sql.staged import StagedQuery as StagedQuery
    from .backends.sql.staged import staged_query as staged_query
    from .backends.sql.trees import col as col
    from .backends.sql.trees import ident as ident
    from .backends.sql.trees import table_ref as table_ref
    from .semantic.symbols import Occurrence as Occurrence
    from .semantic.symbols import RenameRefused as RenameRefused
    from .semantic.symbols import Space as Space
    from .semantic.symbols import Symbol as Symbol
    from .semantic.symbols import SymbolIndex as SymbolIndex
    from .semantic.symbols import SymbolKey as SymbolKey
    from .semantic.symbols import SymbolKind as SymbolKind
    from .semantic.symbols import TextEdit as TextEdit
    from .semantic.symbols import file_key as file_key
    from .syntax.formatter import format_source as format_source

# Names re-exported on first use (PEP 562), so that a command that needs none of them does
# not import their modules: the SQL backend (and so sqlglot, a tenth of a second to import;
# `segl check --no-data` generates no SQL), the name index and the formatter editors use,
# the lint rules and the semantic diff. A name maps to its module, or to (module, the name
# there). tests/runtime/test_import_budget.py lists what each command imports.
_LAZY: dict[str, str | tuple[str, str]] = {
    # SQL: builders of identifiers, columns and tables for runtime code that writes its own
    # queries as trees, the generator, the KPI query and its columns naming each row's group
    "col": "backends.sql.trees", "ident": "backends.sql.trees",
    "table_ref": "backends.sql.trees",
    "duckdb_file_reader": "backends.sql.dialects",  # the runtime reads it
    "location_relation": "backends.sql.locations",
    "SourceOverride": "backends.sql.generator", "SqlGenerator": "backends.sql.generator",
    "RollupSource": "backends.sql.rollup", "RollupUnit": ("backends.sql.rollup", "Unit"),
    "members_query": "backends.sql.generator", "kpi_select": "backends.sql.kpis",
    "staged_query": "backends.sql.staged", "StagedQuery": "backends.sql.staged",
    "KPI_KIND": ("backends.sql.kpis", "KIND"), "KPI_GROUP": ("backends.sql.kpis", "GROUP"),
    # for editors and `segl fmt`: the name index and the formatter
    "Occurrence": "semantic.symbols", "RenameRefused": "semantic.symbols",
    "Space": "semantic.symbols", "Symbol": "semantic.symbols", "SymbolKey": "semantic.symbols",
    "SymbolKind": "semantic.symbols", "TextEdit": "semantic.symbols",
    "SymbolIndex": "semantic.symbols", "file_key": "semantic.symbols",
    "format_source": "syntax.formatter",
    # the lint rules and the semantic diff
    "COMMENT_RULES": "analysis.lint", "RULES": "analysis.lint",
    "apply_suppressions": "analysis.lint", "lint_model": "analysis.lint",
    "KINDS": "analysis.diff_results", "Change": "analysis.diff_results",
    "ModelDiff": "analysis.diff_results", "ObjectDiff": "analysis.diff_results",
    "diff_models": "analysis.semantic_diff",
    # the Polars backend: the plan as one lazy query for a fixed as_of (imports Polars)
    "polars_query": ("backends.polars.generator", "generate_polars"),
    "GroupedPass": "backends.polars.passes", "PassRunner": "backends.polars.passes",
    # the user's cache folder: where `segl check` keeps the data's facts (runtime/data_facts)
    "cache_folder": "cache_folder", "private": "cache_folder", "private_folder": "cache_folder",
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    where = _LAZY[name]
    module, attribute = where if isinstance(where, tuple) else (where, name)
    value = getattr(importlib.import_module(f"{__package__}.{module}"), attribute)
    globals()[name] = value  # (found directly from now on)
    return value


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
        diagnostic = error(Code.E104, f"cannot read `{path}`: {exc.strerror}", None)
        return Compilation(str(path), None, [diagnostic])
    except CompileError as exc:  # not UTF-8: E004 at the first bad byte
        return Compilation(str(path), None, list(exc.diagnostics))
    return compile_source(source, params, schema_provider)


def polars_scan_source(table: m.Table):
    """How the Polars backend reads a table's first file location (lazily; None when it has
    none Polars reads). A function, not a lazy name: modules import it at their top and only
    calling it imports Polars."""
    from .backends.polars.sources import scan_source

    return scan_source(table)


def column_named(name: str):
    """A Polars column by its exact name (a name like `*` is not a pattern); imports Polars
    when called."""
    from .backends.polars.sources import column_named as named

    return named(name)


def imported_files(source: SourceFile) -> list[str]:
    """The files a `.seg` text imports (`import "…"`, not the library's `import std.…`),
    as written, relative to its folder: parsed as the compiler parses it; a text that does
    not parse imports what it could be read to import (nothing, at worst)."""
    from .syntax import nodes
    from .syntax.parser import parse_source

    module = parse_source(source).module
    return [d.path for d in module.declarations
            if isinstance(d, nodes.Import) and not d.library]


def condition_query(model: m.Model, condition: Expr, dialect: str,
                    as_of: date | str | AsOf | None) -> exp.Expression:
    """A condition that reads no table (literals and functions of them) as a sqlglot
    expression for a dialect: the runtime evaluates a persona's profile with it."""
    from .backends.sql.generator import SqlGenerator

    generator = SqlGenerator(plan_for(model, []), dialect, _as_of(as_of), "absolute")
    return generator.cond(condition)


def select_segments(model: m.Model, names: list[str] | None) -> list[str]:
    """Check segment and segmentation names given on the command line (default: all);
    raise with a "did you mean"."""
    known = [*model.segments, *model.segmentations]
    if not names:
        return known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise CompileError([
            error(Code.E101, f"unknown segment `{name}`", None,
                  did_you_mean(name, known) or f"segments are: {', '.join(known) or 'none'}")
            for name in unknown
        ])
    return list(dict.fromkeys(names))


def select_traits(model: m.Model, names: list[str] | None) -> list[str]:
    """Check feature names given to `--traits` (`all`: every feature, in declaration
    order); raise with a "did you mean"."""
    known = list(model.features)
    if not names:
        return []
    if "all" in names and "all" not in known:
        names = [*known, *(n for n in names if n != "all")]
    unknown = [n for n in names if n not in known]
    problems = [
        error(Code.E101, f"unknown feature `{name}`", None,
              did_you_mean(name, known) or f"features are: {', '.join(known) or 'none'}")
        for name in unknown]
    if problems:
        raise CompileError(problems)
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
    rollups: Mapping[str, RollupSource] | None = None,
) -> str:
    """SQL for a plan. `sources`: read these tables from engine tables or files instead of
    their declared locations (see backends/sql: SourceOverride); `rollups`: as for
    `query_for_plan`."""
    from .backends.sql.generator import generate_sql

    return generate_sql(plan, dialect, _as_of(as_of), file_paths, _header(plan, compilation),
                        pretty, sources, rollups)


def query_for_plan(
    plan: Plan,
    dialect: str,
    as_of: date | str | AsOf | None,
    sources: Mapping[str, SourceOverride] | None = None,
    kpis: bool = False,
    rollups: Mapping[str, RollupSource] | None = None,
) -> exp.Select:
    """The plan's query (with `kpis`, the KPI query over it) as a sqlglot tree, for the
    runtime to run: SQL text is made from it only by sqlglot, for the engine's dialect.
    `rollups`: prepared daily rollups by events table, each used where it serves (DuckDB),
    in a plan folded or not (backends/sql/rollup.py).
    Raises CompileError when the dialect cannot express the plan."""
    from .backends.sql.generator import members_query
    from .backends.sql.kpis import kpi_query

    build = kpi_query if kpis else members_query
    return build(plan, dialect, _as_of(as_of), "absolute", sources, rollups)


def rollup_units(plan: Plan, as_of: date | str | AsOf | None = None,
                 sources: Mapping[str, SourceOverride] | None = None) -> list[RollupUnit]:
    """The passes of `plan` a daily rollup can serve, each with the queries that build its
    rows (backends/sql/rollup.py), for `segl prepare`; `sources` as for `query_for_plan`."""
    from .backends.sql.generator import SqlGenerator

    return SqlGenerator(plan, "duckdb", _as_of(as_of), "absolute", sources).rollup_units()


def physical_plan_for(plan: Plan, as_of: date | str | AsOf | None) -> PhysicalPlan:
    """The plan fixed for one as_of: window bounds, prefilters, lookup hoisting, the tables
    and columns read (compiler/plan/physical.py). Every backend translates this."""
    return physical_plan(plan, _as_of(as_of))


def describe_plan(plan: Plan, as_of: date | str | AsOf | None, fmt: str = "text") -> str:
    """The physical plan printed readably (`text`) or as JSON (`json`), ending in a newline:
    what `segl compile --show plan [--format json]` prints."""
    from .plan.describe import describe, json_text

    physical = physical_plan_for(plan, as_of)
    return (json_text(physical) if fmt == "json" else describe(physical)) + "\n"


def tables_read(source: Compilation | Plan | PhysicalPlan) -> list[str]:
    """The sources a query reads (the entity, aggregated events, the tables they are
    reached through, lookups), in declaration order, from the plan: of a compilation, all
    its segments and segmentations."""
    if isinstance(source, PhysicalPlan):
        return list(source.tables_read)
    if isinstance(source, Compilation):
        source = plan_for(source.require_ok())
    return list(physical_plan(source, AsOf(AsOfMode.TODAY)).tables_read)


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
    from .backends.sql.kpis import generate_kpi_sql

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
    defined and used, what a file declares, what a rename changes (compiler/semantic/symbols.py)."""
    from .semantic.symbol_binding import build_index

    return build_index(compilation.files, compilation.model)


def explain_code(text: str) -> str | None:
    """What `segl check --explain CODE` prints for the code a user typed (`e108` too), or
    None when no such code is declared."""
    code = lookup(text)
    return explain(code) if code is not None else None


def builtin_functions() -> dict[str, str]:
    """Every built-in function's name and one-line summary, aggregates first."""
    return catalogue.summaries()


def python_aggregates() -> dict[str, object]:
    """The aggregates an engine without them registers (SQLite): SQL name -> a function of
    (values, *params) -> result (the catalogue's `python`)."""
    return catalogue.python_aggregates()
