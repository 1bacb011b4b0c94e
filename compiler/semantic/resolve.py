"""AST -> Model: imports, names, parameters, duplicates, cycles.

Every name in an expression is bound here: to a column of the entity or of a lookup, a
column of an events table (only inside an aggregate), a feature, a segment, a parameter
(substituted by its value) or `as_of`. Problems are collected, never raised one at a time.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .. import catalogue, ir
from .. import model as m
from ..catalogue import AGGREGATES, SCALAR_FUNCTIONS, OverGroup
from ..codes import Code
from ..diagnostics import CompileError, Diagnostic, did_you_mean, error, nul_error
from ..source import SourceFile, Span, decode
from ..syntax import nodes as n
from ..syntax.depth import too_deep_through_references
from ..syntax.formatter import SUM
from ..syntax.formatter import expr as format_expr
from ..syntax.limits import duration_problem, number_problem
from ..syntax.names import character_problem, parse_table_name
from ..syntax.parser import parse_source
from . import clusters
from .experiments import HOLDOUT, resolve_experiment, resolve_holdout
from .exports import check_consent, resolve_export, resolve_suppression
from .privacy import personal_column, purpose_problem
from .segmentation_values import SegmentationValues

# Column names segl gives its own query's columns (see Resolver.check_own_names).
_OWN_NAME = re.compile(r"_(rank|kpi|explain)_\d+|_score_.*|_cluster_.*|_persona_.*|_readout_.*"
                       r"|segl_(kind|group|members)")

SchemaProvider = Callable[[m.Table], "dict[str, ir.Type] | None"]
# Reads an imported file's text: from disk by default; `segl diff` reads a git revision's
# version of the same path, so data paths still resolve against the working tree.
TextReader = Callable[[Path], str]


def read_from_disk(path: Path) -> str:
    """The file's text as it is (CompileError, E004, when it is not UTF-8)."""
    return decode(path.read_bytes(), _display_path(path))

_UNIT_WORDS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}


@dataclass
class LoadedFile:
    source: SourceFile
    module: n.Module
    failed_names: set[str]


@dataclass
class Resolution:
    model: m.Model | None
    diagnostics: list[Diagnostic]
    files: list[LoadedFile] = field(default_factory=list)


# ---------------------------------------------------------------- loading and imports


def load_files(entry: SourceFile, diagnostics: list[Diagnostic],
               read_text: TextReader = read_from_disk) -> list[LoadedFile]:
    """The entry file and everything it imports, imported files first, each once."""
    loaded: dict[Path, LoadedFile] = {}
    order: list[LoadedFile] = []

    def visit(source: SourceFile, stack: tuple[Path, ...]) -> None:
        key = Path(source.path).resolve()
        parsed = parse_source(source)
        diagnostics.extend(parsed.diagnostics)
        file = LoadedFile(source, parsed.module, parsed.failed_names)
        loaded[key] = file
        for decl in parsed.module.declarations:
            if not isinstance(decl, n.Import):
                continue
            if decl.library:
                target = library_path(decl.path)
                if target is None:
                    diagnostics.append(error(
                        Code.E104, f"no standard library file `{decl.path}`", decl.span,
                        did_you_mean(decl.path, library_names()) or
                        f"the standard library has: {', '.join(library_names())}"))
                    continue
            elif "\0" in decl.path:  # (a file read from disk was refused on reading)
                nul = source.text.index("\0", decl.span.start)
                diagnostics.append(nul_error(source, nul))
                continue
            else:
                target = (source.directory / decl.path).resolve()
            if target in stack or target == key:
                chain = " -> ".join(p.name for p in (*stack, key, target))
                diagnostics.append(
                    error(Code.E103, f"circular import: {chain}", decl.span,
                          "move the shared declarations into a file both can import")
                )
                continue
            if target in loaded:
                continue
            try:
                text = target.read_text(encoding="utf-8") if decl.library else read_text(target)
                imported = SourceFile(_display_path(target), text)
            except CompileError as exc:  # an imported file that is not UTF-8
                diagnostics.extend(exc.diagnostics)
                continue
            except OSError as exc:
                diagnostics.append(
                    error(Code.E104, f"cannot read imported file `{decl.path}`: {exc.strerror}",
                          decl.span, "import paths are relative to the importing file")
                )
                continue
            visit(imported, (*stack, key))
        order.append(file)

    visit(entry, ())
    return order


STDLIB = Path(__file__).resolve().parent.parent / "stdlib"


def library_names() -> list[str]:
    return sorted(f"std.{p.stem}" for p in STDLIB.glob("*.seg"))


def library_path(name: str) -> Path | None:
    """`std.rfm` -> the file shipped with segl, if there is one."""
    package, _, module = name.partition(".")
    path = STDLIB / f"{module}.seg"
    return path.resolve() if package == "std" and path.is_file() else None


def is_library_file(path: str) -> bool:
    try:
        return Path(path).resolve().is_relative_to(STDLIB)
    except OSError:
        return False


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- the resolver


def resolve(
    entry: SourceFile,
    param_overrides: dict[str, str] | None = None,
    schema_provider: SchemaProvider | None = None,
    read_text: TextReader = read_from_disk,
) -> Resolution:
    diagnostics: list[Diagnostic] = []
    files = load_files(entry, diagnostics, read_text)
    resolver = _Resolver(files, diagnostics, param_overrides or {}, schema_provider)
    model = resolver.run()
    return Resolution(model, diagnostics, files)


class _Resolver(SegmentationValues):
    def __init__(
        self,
        files: list[LoadedFile],
        diagnostics: list[Diagnostic],
        overrides: dict[str, str],
        schema_provider: SchemaProvider | None,
    ) -> None:
        self.files = files
        self.diagnostics = diagnostics
        self.overrides = overrides
        self.schema_provider = schema_provider
        self.failed_names = set().union(*(f.failed_names for f in files)) if files else set()
        self.declared: dict[str, tuple[str, Span]] = {}  # name -> (kind, span): one namespace
        self.declared_folded: dict[str, str] = {}  # name without case -> name
        self.entity_decl: n.Entity | None = None
        self.events_decls: dict[str, n.Events] = {}
        self.lookup_decls: dict[str, n.Lookup] = {}
        self.param_decls: dict[str, n.Param] = {}
        self.feature_decls: dict[str, n.Feature] = {}
        self.segment_decls: dict[str, n.Segment] = {}
        self.segmentation_decls: dict[str, n.Segmentation] = {}
        self.test_decls: dict[str, n.Test] = {}
        self.kpi_decls: dict[str, n.Kpi] = {}
        self.persona_decls: dict[str, n.Persona] = {}
        self.experiment_decls: dict[str, n.Experiment] = {}
        self.holdout_decl: n.Holdout | None = None
        self.export_decls: dict[str, n.Export] = {}
        self.suppression_decl: n.Suppression | None = None
        self.tables: dict[str, m.Table] = {}
        self.schema_known: dict[str, bool] = {}
        self.params: dict[str, m.Param] = {}
        self.features: dict[str, m.Feature] = {}
        self.segments: dict[str, m.Segment] = {}
        self.segmentations: dict[str, m.Segmentation] = {}
        self.similarities: dict[str, m.Similarity] = {}  # lookalikes, fitted or not
        self.in_progress: list[tuple[str, str]] = []  # (kind, name) being resolved: cycles
        self.broken: set[str] = set()  # names whose definition failed: no cascading errors

    def error(self, code: str, message: str, span: Span | None, *hints: str) -> None:
        self.diagnostics.append(error(code, message, span, *hints))

    # ---- pass 1: collect declarations
    def run(self) -> m.Model | None:
        for file in self.files:
            for decl in file.module.declarations:
                self.collect(decl, file.source)
        self.check_own_names()
        if self.entity_decl is None:
            span = None
            if self.files:
                source = self.files[-1].source
                span = source.span(0, min(1, len(source.text)))
            if "entity" not in {k for k, _ in self.declared.values()} and not self.failed_names:
                self.error(Code.E106, "no `entity` is declared", span,
                           'declare the table segments select from, e.g. '
                           'entity customer from parquet "customers.parquet" key customer_id')
            return None
        self.build_tables()
        self.resolve_params()
        self.refuse_deep_references()
        for name in self.feature_decls:
            self.resolve_feature(name)
        for name in self.segment_decls:
            self.resolve_segment(name)
        for name in self.segmentation_decls:
            self.resolve_segmentation_named(name, self.segmentation_decls[name].name.span)
        segmentations = {k: self.segmentations[k] for k in self.segmentation_decls
                         if k in self.segmentations}
        holdout, experiments = self.resolve_experiments(segmentations)
        kpis = {}
        for decl in self.kpi_decls.values():
            kpi = self.resolve_kpi(decl)
            if kpi is not None:
                kpis[kpi.name] = kpi
        personas = {}
        for decl in self.persona_decls.values():
            persona = self.resolve_persona(decl)
            if persona is not None:
                personas[persona.name] = persona
        tests = {}
        for decl in self.test_decls.values():
            test = self.resolve_test(decl, segmentations)
            if test is not None:
                tests[test.name] = test
        exports = {}
        for decl in self.export_decls.values():
            export = resolve_export(decl, self)
            if export is not None:
                exports[export.name] = export
        suppression = None
        if self.suppression_decl is not None:
            suppression = resolve_suppression(self.suppression_decl, self)
        files = tuple(f.source.path for f in self.files)
        model = m.Model(
            files=files,
            entity=self.tables[self.entity_decl.name.text],
            events={k: self.tables[k] for k in self.events_decls if k in self.tables},
            lookups={k: self.tables[k] for k in self.lookup_decls if k in self.tables},
            params=self.params,
            features={k: self.features[k] for k in self.feature_decls if k in self.features},
            segments={k: self.segments[k] for k in (*self.segment_decls, HOLDOUT)
                      if k in self.segments},
            segmentations=segmentations,
            tests=tests,
            kpis=kpis,
            personas=personas,
            experiments=experiments,
            holdout=holdout,
            exports=exports,
            suppression=suppression,
            similarities=self.similarities,
        )
        self.diagnostics.extend(check_consent(model))
        return model

    def resolve_experiments(self, segmentations: dict[str, m.Segmentation]
                            ) -> tuple[m.Holdout | None, dict[str, m.Experiment]]:
        """The holdout (as the segment `holdout`) and each experiment (as a segmentation of
        its name, added to `segmentations`): compiler/semantic/experiments.py."""
        entity = self.tables[self.entity_decl.name.text]
        holdout = None
        if self.holdout_decl is not None:
            resolved = resolve_holdout(self.holdout_decl, entity, self.error)
            if resolved is not None:
                holdout, self.segments[HOLDOUT] = resolved
        experiments = {}
        for decl in self.experiment_decls.values():
            self.check_shadowing(decl.name)
            resolved_experiment = resolve_experiment(decl, entity, self.segments, holdout,
                                                     self.error)
            if resolved_experiment is not None:
                experiment, segmentations[decl.name.text] = resolved_experiment
                experiments[experiment.name] = experiment
        return holdout, experiments

    def collect(self, decl: n.Declaration, source: SourceFile) -> None:
        if isinstance(decl, n.Import):
            return
        if isinstance(decl, n.Suppression):
            if self.suppression_decl is not None:
                self.error(Code.E113, "a project has one suppression list", decl.span,
                           "it applies to every export: keep one `suppression` declaration")
            else:
                self.suppression_decl = decl
            return
        if isinstance(decl, n.Holdout):
            if self.holdout_decl is not None:
                self.error(Code.E112, "a project has one holdout", decl.span,
                           "the holdout is global: keep one `holdout` declaration")
            else:
                self.holdout_decl = decl
            return
        kind = type(decl).__name__.lower()
        name = decl.name
        # SQL engines read names without case (DuckDB and SQLite even quoted ones): two
        # names that differ only in case would be one column there, silently.
        same = self.declared_folded.get(name.text.casefold())
        if name.text in self.declared or same is not None:
            first_kind, first_span = self.declared[same or name.text]
            message = f"`{name.text}` is already defined (as a {first_kind})" \
                if name.text in self.declared else \
                f"`{name.text}` and the {first_kind} `{same}` differ only in case"
            diagnostic = error(
                Code.E102, message, name.span,
                "every entity, table, parameter, feature and segment needs its own name"
                + ("" if name.text in self.declared else
                   "; SQL engines do not tell names apart by case"),
            )
            self.diagnostics.append(
                Diagnostic(diagnostic.code, diagnostic.severity, diagnostic.message,
                           diagnostic.span, diagnostic.hints,
                           ((first_span, "first defined here"),))
            )
            return
        self.declared[name.text] = (kind, name.span)
        self.declared_folded[name.text.casefold()] = name.text
        if isinstance(decl, n.Entity):
            if self.entity_decl is not None:
                self.error(Code.E106, "a project has exactly one entity", name.span,
                           f"`{self.entity_decl.name.text}` is the entity; "
                           "declare other tables as `events` or `lookup`")
                return
            self.entity_decl = decl
        elif isinstance(decl, n.Events):
            self.events_decls[name.text] = decl
        elif isinstance(decl, n.Lookup):
            self.lookup_decls[name.text] = decl
        elif isinstance(decl, n.Param):
            self.param_decls[name.text] = decl
        elif isinstance(decl, n.Feature):
            self.feature_decls[name.text] = decl
        elif isinstance(decl, n.Segment):
            self.segment_decls[name.text] = decl
        elif isinstance(decl, n.Segmentation):
            self.segmentation_decls[name.text] = decl
        elif isinstance(decl, n.Test):
            self.test_decls[name.text] = decl
        elif isinstance(decl, n.Kpi):
            self.kpi_decls[name.text] = decl
        elif isinstance(decl, n.Persona):
            self.persona_decls[name.text] = decl
        elif isinstance(decl, n.Experiment):
            self.experiment_decls[name.text] = decl
        elif isinstance(decl, n.Export):
            self.export_decls[name.text] = decl

    # ---- parameters
    def resolve_params(self) -> None:
        for name in self.overrides:
            if name not in self.param_decls:
                self.error(Code.E401, f"unknown parameter `{name}` (set with --param or in "
                           "segl.toml)", None,
                           did_you_mean(name, self.param_decls) or
                           "declare it with `param NAME = default`")
        for name, decl in self.param_decls.items():
            self.check_shadowing(decl.name)
            literal = self.literal(decl.value)
            if name in self.overrides:
                parsed = _parse_override(self.overrides[name], literal)
                if parsed is None:
                    self.error(Code.E401, f"parameter `{name}` expects "
                               f"{literal.type.with_article}, got `{self.overrides[name]}`",
                               decl.span,
                               f"the default is {decl.value.span.text if decl.value.span else ''}")
                else:
                    literal = parsed
            self.params[name] = m.Param(name, literal, decl.span)

    # ---- tables
    def build_tables(self) -> None:
        assert self.entity_decl is not None
        entity = self.entity_decl
        self.add_table(entity, "entity", key=entity.key.text)
        for decl in self.events_decls.values():
            if isinstance(decl.link, n.KeyLink):
                self.add_table(decl, "events", entity_key=decl.link.column.text,
                               time_column=decl.time_column.text if decl.time_column else None)
            else:
                self.add_table(
                    decl, "events", through=decl.link.via.text,
                    through_column=decl.link.column.text,
                    through_via_column=decl.link.via_column.text,
                    time_column=decl.time_column.text if decl.time_column else None,
                )
        for decl in self.lookup_decls.values():
            self.add_table(decl, "lookup", key=decl.key.text, owner=decl.owner.text,
                           owner_column=decl.owner_column.text)
        self.check_links()

    def add_table(self, decl, kind: str, **links) -> None:
        locations = tuple(self.location(loc) for loc in decl.locations)
        columns: dict[str, m.ColumnInfo] = {}
        for column in decl.columns:
            if column.name.text in columns:
                self.error(Code.E102, f"column `{column.name.text}` is declared twice in "
                           f"`{decl.name.text}`", column.name.span)
                continue
            if "consent" in column.tags and column.type_name != "bool":
                self.error(Code.E201, f"consent column `{column.name.text}` is {column.type_name}; "
                           "a consent column must be bool", column.span,
                           "declare it `bool consent`: true when the customer consented")
            columns[column.name.text] = m.ColumnInfo(
                column.name.text, ir.DECLARED_TYPES[column.type_name], column.tags
            )
        table = m.Table(decl.name.text, kind, locations, tuple(columns.values()), decl.span,
                        **links)
        # (a location that is no table name or path is never handed to the data)
        readable = all(loc.table or loc.path for loc in locations)
        schema = self.schema_provider(table) if self.schema_provider and readable else None
        # The column list is complete when read from the data, or when the file declares
        # columns; only a table with neither accepts any column name (typed `any`).
        self.schema_known[table.name] = schema is not None or bool(decl.columns)
        if schema:
            for name, type_ in schema.items():
                if name not in columns:
                    columns[name] = m.ColumnInfo(name, type_, (), declared=False)
        else:
            # Columns named by the declaration itself (key, time, join columns) exist
            # without being listed again in the column block.
            own = ("key", "entity_key", "through_column", "time_column")
            for name in (links.get(k) for k in own):
                if name and name not in columns:
                    columns[name] = m.ColumnInfo(name, ir.Type.ANY, (), declared=False)
        if schema or len(columns) != len(table.columns):
            table = m.Table(decl.name.text, kind, locations, tuple(columns.values()), decl.span,
                            **links)
        self.tables[table.name] = table

    def location(self, loc: n.Location) -> m.Location:
        """File paths are relative to the declaring file. Whether the file exists is the
        runtime's question (a data error), not the compiler's: compiling needs no data.
        A table location is a table name, never SQL: anything else is an error here, and
        the location keeps no name (nothing reads it)."""
        if loc.kind == "table":
            parts = parse_table_name(loc.target)
            if parts is None:
                shown = "the text" if character_problem(loc.target, "") else f"`{loc.target}`"
                self.error(Code.E107, f"{shown} is not a table name", loc.span,
                           "write a table as [catalog.]schema.table, each part a name; "
                           "put a part with other characters in backquotes: "
                           'table "crm.`web orders`"')
                return m.Location("table", loc.target, None, loc.span)
            return m.Location("table", loc.target, None, loc.span, parts)
        problem = character_problem(loc.target, f"the {loc.kind} path")
        if problem:
            self.error(Code.E107, problem, loc.span,
                       "write the path without control characters")
            return m.Location(loc.kind, loc.target, None, loc.span)
        target = Path(loc.target)
        path = target if target.is_absolute() else loc.span.source.directory / target
        return m.Location(loc.kind, loc.target, str(path.resolve()), loc.span)

    def check_links(self) -> None:
        entity = self.tables[self.entity_decl.name.text]
        self.require_column(entity, entity.key, self.entity_decl.key.span)
        for name, decl in self.events_decls.items():
            table = self.tables[name]
            if isinstance(decl.link, n.KeyLink):
                self.require_column(table, table.entity_key, decl.link.column.span)
            else:
                via = self.events_decls.get(decl.link.via.text)
                if via is None:
                    self.error(Code.E101, f"unknown events table `{decl.link.via.text}`",
                               decl.link.via.span,
                               did_you_mean(decl.link.via.text, self.events_decls)
                               or "`through` names another events table")
                    self.broken.add(name)
                elif not isinstance(via.link, n.KeyLink):
                    self.error(Code.E107, "`through` must name an events table that has the "
                               "entity key itself", decl.link.via.span)
                    self.broken.add(name)
                else:
                    self.require_column(table, decl.link.column.text, decl.link.column.span)
                    self.require_column(self.tables[via.name.text], decl.link.via_column.text,
                                        decl.link.via_column.span)
            if decl.time_column is not None:
                self.require_column(table, decl.time_column.text, decl.time_column.span)
                column = table.column(decl.time_column.text)
                if column is not None and column.type not in (
                    ir.Type.DATE, ir.Type.TIMESTAMP, ir.Type.ANY
                ):
                    self.error(Code.E201, f"the time column `{column.name}` of `{name}` is "
                               f"{column.type.with_article}; it must be a date or timestamp",
                               decl.time_column.span)
                    self.broken.add(name)
        for name, decl in self.lookup_decls.items():
            table = self.tables[name]
            self.require_column(table, table.key, decl.key.span)
            owner = self.tables.get(decl.owner.text)
            if owner is None:
                self.error(Code.E101, f"unknown table `{decl.owner.text}`", decl.owner.span,
                           did_you_mean(decl.owner.text, self.tables))
                self.broken.add(name)
            else:
                self.require_column(owner, decl.owner_column.text, decl.owner_column.span)
        # lookups must not form a loop
        for name in self.lookup_decls:
            seen = {name}
            owner = self.lookup_decls[name].owner.text
            while owner in self.lookup_decls:
                if owner in seen:
                    self.error(Code.E103, f"lookup `{name}` hangs off itself",
                               self.lookup_decls[name].owner.span)
                    self.broken.add(name)
                    break
                seen.add(owner)
                owner = self.lookup_decls[owner].owner.text

    def require_column(self, table: m.Table, column: str | None, span: Span) -> None:
        if column is None or table.column(column) is not None:
            return
        if not self.schema_known.get(table.name):
            return  # columns are checked against the data when it is read
        self.error(Code.E101, f"table `{table.name}` has no column `{column}`", span,
                   did_you_mean(column, [c.name for c in table.columns]))

    # ---- features and segments
    def refuse_deep_references(self) -> None:
        """Features and segments are resolved where they are used, inside the expression
        being resolved (and planned likewise): a chain of definitions nests as deep as all
        its expressions together. Past `depth.MAX_DEPTH`, E003; those names are then broken
        (no cascading errors), so nothing recurses through them."""
        definitions: dict[str, n.Node] = {**self.feature_decls, **self.segment_decls,
                                          **self.segmentation_decls}
        others = [*self.kpi_decls.values(), *self.persona_decls.values()]
        names, problems = too_deep_through_references(definitions, others)
        self.broken |= names
        self.diagnostics.extend(problems)

    def resolve_feature(self, name: str) -> m.Feature | None:
        if name in self.features:
            return self.features[name]
        if name in self.broken:
            return None
        decl = self.feature_decls[name]
        if self.enter("feature", name, decl.name.span):
            return None
        self.check_shadowing(decl.name)
        expr = self.expr(decl.expr, _Scope())
        self.in_progress.pop()
        if expr is None:
            self.broken.add(name)
            return None
        purpose, allow = self.permit(decl)
        feature = m.Feature(name, decl.label, expr, decl.span, purpose, allow)
        self.features[name] = feature
        return feature

    def resolve_segment(self, name: str) -> m.Segment | None:
        if name in self.segments:
            return self.segments[name]
        if name in self.broken:
            return None
        decl = self.segment_decls[name]
        if self.enter("segment", name, decl.name.span):
            return None
        self.check_shadowing(decl.name)
        conditions: list[ir.Expr] = []
        ok = True
        if decl.extends is not None:
            parent = decl.extends.text
            if parent not in self.segment_decls:
                if parent not in self.failed_names:
                    self.error(Code.E101, f"unknown segment `{parent}`", decl.extends.span,
                               did_you_mean(parent, self.segment_decls))
                ok = False
            elif self.resolve_segment(parent) is None:
                ok = False
            else:
                conditions.append(ir.SegmentRef(parent, type=ir.Type.BOOL,
                                                span=decl.extends.span))
        if decl.where is not None:
            where = self.expr(decl.where, _Scope())
            if where is None:
                ok = False
            else:
                conditions.extend(ir.conjuncts(where))
        elif decl.extends is None:
            self.error(Code.E107, f"segment `{name}` has no `where` condition", decl.name.span,
                       "add `where <condition>`, or `extends <segment>` to narrow another one")
            ok = False
        self.in_progress.pop()
        if not ok:
            self.broken.add(name)
            return None
        expectations = []
        for expectation in decl.expectations:
            other = expectation.other.text if expectation.other else None
            if other is not None and other not in self.segment_decls:
                self.error(Code.E101, f"unknown segment `{other}`", expectation.other.span,
                           did_you_mean(other, self.segment_decls))
                ok = False
                continue
            percent = expectation.value.value
            if expectation.kind in ("share", "overlap") and not 0 <= percent <= 100:
                self.error(Code.E002, "a percentage must be between 0 and 100",
                           expectation.value.span)
                ok = False
                continue
            expectations.append(m.Expectation(expectation.kind, expectation.op,
                                              expectation.value.value, other, expectation.span))
        if not ok:
            self.broken.add(name)
            return None
        purpose, allow = self.permit(decl)
        segment = m.Segment(name, decl.label, decl.description, decl.owner, decl.tags,
                            decl.extends.text if decl.extends else None, tuple(conditions),
                            decl.span, tuple(expectations), purpose, allow, decl.inline)
        self.segments[name] = segment
        return segment

    def resolve_segmentation(self, decl: n.Segmentation) -> m.Segmentation | None:
        self.check_shadowing(decl.name)
        buckets: list[m.Bucket] = []
        seen: dict[str, Span] = {}
        scores = self.resolve_scores(decl)
        if scores is None:
            return None
        if decl.tiers:
            return self.tiers_segmentation(decl, scores)
        if decl.clusters is not None:
            return self.clusters_segmentation(decl)
        scope = _Scope(local=scores)
        ok = True
        for bucket in (*decl.buckets, decl.otherwise):
            if bucket.name.text in seen:
                self.error(Code.E102, f"bucket `{bucket.name.text}` appears twice in segmentation "
                           f"`{decl.name.text}`", bucket.name.span,
                           "give each bucket its own name")
                ok = False
                continue
            seen[bucket.name.text] = bucket.name.span
            condition = None
            if bucket.condition is not None:
                condition = self.expr(bucket.condition, scope)
                if condition is None:
                    ok = False
                    continue
            buckets.append(m.Bucket(bucket.name.text, bucket.label, condition, bucket.span))
        if not ok:
            return None
        declared = tuple(v for v in scores.values() if isinstance(v, ir.Score))
        purpose, allow = self.permit(decl)
        return m.Segmentation(decl.name.text, decl.label, tuple(buckets), decl.span, declared,
                              purpose=purpose, allow=allow)

    def tiers_segmentation(self, decl: n.Segmentation, scores: dict[str, ir.Expr]
                           ) -> m.Segmentation:
        """`tiers by e … into N method`: bucket tier_i holds the entities scored N + 1 - i,
        so tier_1 is the best; entities with a missing `e` fall into `no_value`."""
        score = scores["tier"]
        assert isinstance(score, ir.Score)
        labels = tier_labels(score)
        buckets = [
            m.Bucket(f"tier_{i}", labels[i - 1],
                     ir.Compare("=", score, ir.Literal(score.bins + 1 - i, type=ir.Type.INT),
                                type=ir.Type.BOOL, span=decl.span), decl.span)
            for i in range(1, score.bins + 1)
        ]
        buckets.append(m.Bucket(decl.otherwise.name.text, "No value", None, decl.span))
        purpose, allow = self.permit(decl)
        return m.Segmentation(decl.name.text, decl.label, tuple(buckets), decl.span, (score,),
                              tiers=True, purpose=purpose, allow=allow)

    def clusters_segmentation(self, decl: n.Segmentation) -> m.Segmentation | None:
        """`clusters K on (…)`: buckets by the nearest centroid of the lock file; without a
        lock file that matches the declaration, E114 (and only the `no_value` bucket, so that
        `segl discover` can still plan the features)."""
        spec = decl.clusters
        assert spec is not None
        name = decl.name.text
        k, seed = spec.k.value, spec.seed.value
        if not 2 <= k <= clusters.MAX_CLUSTERS:
            self.error(Code.E002, f"clusters need 2 to {clusters.MAX_CLUSTERS} clusters",
                       spec.k.span)
            return None
        if not 0 <= seed < 2**32:
            self.error(Code.E002, "a seed is a whole number from 0 to 4294967295", spec.seed.span)
            return None
        features = [self.expr(feature, _Scope()) for feature in spec.features]
        if any(f is None for f in features):
            return None
        # as `segl fmt` writes them: reformatting does not make the lock file stale
        texts = tuple(format_expr(f, SUM) for f in spec.features)
        seen: set[str] = set()
        for text, feature in zip(texts, spec.features, strict=True):
            if text in seen:
                self.error(Code.E102, f"`{text}` is listed twice in clusters `{name}`",
                           feature.span)
                return None
            seen.add(text)
        missing = spec.missing.text if spec.missing else "drop"
        lock_path = clusters.lock_path_for(decl.span.path)
        found = m.Clusters(k, tuple(f for f in features if f is not None), texts,
                           spec.scaling.text, seed, missing,
                           clusters.fingerprint(k, texts, spec.scaling.text, seed, missing),
                           lock_path)
        fit, problem = clusters.read_fit(lock_path, name, found)
        purpose, allow = self.permit(decl)
        if fit is None:
            entry = Path(self.files[-1].source.path).name if self.files else "FILE"
            self.error(Code.E114, problem or "", spec.span,
                       f"run `segl discover {entry}` and commit "
                       f"`{Path(lock_path).name}` with the change")
            buckets: tuple[m.Bucket, ...] = (m.Bucket(clusters.NO_VALUE, "No value", None,
                                                      decl.span),)
        else:
            found = dataclasses.replace(found, fit=fit)
            buckets = clusters.assignment_buckets(name, found, fit, decl.span)
        return m.Segmentation(name, decl.label, buckets, decl.span, clusters=found,
                              purpose=purpose, allow=allow)

    def resolve_persona(self, decl: n.Persona) -> m.Persona | None:
        ok = True
        if decl.segment.text not in self.segments:
            self.error(Code.E101, f"unknown segment `{decl.segment.text}`", decl.segment.span,
                       did_you_mean(decl.segment.text, self.segments))
            ok = False
        entity = self.tables[self.entity_decl.name.text]
        text: dict[str, object] = {}
        profile: dict[str, ir.Literal] = {}
        for field_ in decl.fields:
            name = field_.name.text
            if name in text or name in profile:
                self.error(Code.E102, f"`{name}` is given twice in persona `{decl.name.text}`",
                           field_.name.span)
                ok = False
            elif name in m.PERSONA_TEXT_FIELDS:
                value = field_.value
                text[name] = value if isinstance(value, tuple) else value.value
            elif isinstance(field_.value, tuple):
                self.error(Code.E002, f"`{name}` is a profile value: one value, not a list",
                           field_.span, f"lists are for: {', '.join(m.PERSONA_TEXT_FIELDS)}")
                ok = False
            elif name in self.segmentation_decls and entity.column(name) is None:
                # `rfm "champions"`: the persona's bucket of a segmentation
                value = self.profile_bucket(name, field_)
                ok = ok and value is not None
                if value is not None:
                    profile[name] = value
            elif entity.column(name) is None and name not in self.features:
                self.error(Code.E101, f"`{name}` is neither a persona field nor a column, "
                           f"feature or segmentation of `{entity.name}`", field_.name.span,
                           did_you_mean(name, [*m.PERSONA_TEXT_FIELDS, *self.features,
                                               *(c.name for c in entity.columns),
                                               *self.segmentation_decls]))
                ok = False
            else:
                profile[name] = self.literal(field_.value)
        purpose, allow = self.permit(decl)
        if not ok:
            return None
        return m.Persona(decl.name.text, decl.label, decl.segment.text, text, profile,
                         decl.span, purpose, allow)

    # ---- KPIs: aggregates over a group of entities
    def resolve_kpi(self, decl: n.Kpi) -> m.Kpi | None:
        self.check_shadowing(decl.name)
        expr = self.expr(decl.expr, _Scope(kpi=True))
        if expr is None:
            return None
        loose = _outside_totals(expr)
        if loose is not None:
            self.error(Code.E108, "a KPI measures a group of entities, so every value in it must "
                       "be aggregated", loose.span,
                       "e.g. `avg(age)`, `sum(orders.amount)`, `count(customer_id)`")
            return None
        purpose, allow = self.permit(decl)
        return m.Kpi(decl.name.text, decl.label, expr, decl.span, purpose, allow, decl.display)

    # ---- personal data: `purpose "…"` and `allow (…)` (docs/privacy.md)
    def permit(self, decl: n.Feature | n.Segment | n.Segmentation | n.Kpi | n.Persona
               ) -> tuple[str | None, tuple[m.Allowed, ...]]:
        """The object's purpose (None when it has none or it is blank) and its allowed
        columns; every problem is an error at its position."""
        purpose = None
        if decl.purpose is not None:
            problem = purpose_problem(decl.purpose.text)
            if problem is None:
                purpose = decl.purpose.text
            else:
                self.error(Code.E501, problem, decl.purpose.span,
                           'write why this personal data is needed, e.g. `purpose "Keep '
                           'minors out of marketing, as the law requires"`')
        if decl.allow is None:
            return purpose, ()
        if decl.purpose is None:
            self.error(Code.E502, f"`allow` in `{decl.name.text}` needs a `purpose`: why its "
                       "outputs carry this personal data", decl.allow.span,
                       'declare `purpose "…"` before `allow (…)`')
        allowed = []
        for ref in decl.allow.columns:
            column = self.allowed_column(ref)
            if column is not None:
                allowed.append(column)
        return purpose, tuple(allowed)

    def allowed_column(self, ref: n.NameRef | n.QualifiedRef) -> m.Allowed | None:
        """A column named in `allow (…)`: an entity column, or `table.column`."""
        entity = self.tables[self.entity_decl.name.text]
        if isinstance(ref, n.QualifiedRef):
            table = self.tables.get(ref.table.text)
            if table is None:
                self.error(Code.E101, f"unknown table `{ref.table.text}`", ref.table.span,
                           did_you_mean(ref.table.text, self.tables))
                return None
            column_name = ref.column.text
        else:
            table, column_name = entity, ref.name.text
        if table.column(column_name) is None and self.schema_known.get(table.name):
            self.error(Code.E101, f"table `{table.name}` has no column `{column_name}`", ref.span,
                       did_you_mean(column_name, [c.name for c in table.columns]) or
                       "name an entity column, or another table's as `table.column`")
            return None
        column = personal_column(self.tables.get, table.name, column_name)
        if column is None:
            shown = column_name if table is entity else f"{table.name}.{column_name}"
            self.error(Code.E503, f"`{shown}` is not personal data: there is nothing to allow",
                       ref.span, "`allow` names columns declared `pii` or `sensitive`, and "
                       "columns of a lookup joined through one; remove it")
            return None
        return m.Allowed(table.name, column_name, ref.span, column.name)

    def kpi_aggregate(self, node: n.Call) -> ir.Expr | None:
        """An aggregate in a KPI: over a related table it is worked out per entity, then
        totalled over the group; over an entity-level value it aggregates the group."""
        name = node.function.text
        if len(node.args) == 1 and self.aggregated_table(node.args[0]) is not None:
            aggregate = self.aggregate(node, _Scope())
            return self.kpi_total(aggregate) if aggregate is not None else None
        if node.filter is not None or node.distinct or name not in _GROUP_FUNCTIONS:
            self.error(Code.E108, f"`{name}` over the entities of a group takes one value per "
                       "entity, without `where` or `distinct`", node.span,
                       f"{_GROUP_NAMES} aggregate a feature or a column")
            return None
        if len(node.args) != 1:
            self.error(Code.E110, f"`{name}` takes one argument, got {len(node.args)}", node.span)
            return None
        value = self.expr(node.args[0], _Scope())
        return ir.Total(name, value, span=node.span) if value is not None else None

    def kpi_total(self, aggregate: ir.Aggregate) -> ir.Expr | None:
        """count and sum add up over the group, min and max combine, avg is the ratio of the
        group's sum to its count (a ratio of sums, not an average of averages)."""
        span = aggregate.span
        over_group = catalogue.aggregate(aggregate.func).over_group
        if over_group is OverGroup.NONE or aggregate.distinct:
            what = "count(distinct …)" if aggregate.distinct else aggregate.func
            self.error(Code.E108, f"`{what}` does not add up over a group of entities", span,
                       "define it as a feature, then aggregate the feature in the KPI")
            return None
        if over_group is OverGroup.SUM:
            return ir.Total("sum", aggregate, span=span)
        if over_group is OverGroup.SAME:
            return ir.Total(aggregate.func, aggregate, span=span)
        total = ir.Total("sum", dataclasses.replace(aggregate, func="sum"), span=span)
        count = ir.Total("sum", dataclasses.replace(aggregate, func="count"), span=span)
        return ir.Arith("/", total, count, span=span)

    def resolve_test(self, decl: n.Test, segmentations: dict[str, m.Segmentation]
                     ) -> m.Test | None:
        ok = True
        rows = []
        for block in decl.rows:
            table = self.tables.get(block.table.text)
            if table is None:
                self.error(Code.E101, f"unknown table `{block.table.text}`", block.table.span,
                           did_you_mean(block.table.text, self.tables))
                ok = False
                continue
            values = []
            for row in block.rows:
                if len(row) != len(block.columns):
                    self.error(Code.E002, f"a row of `{table.name}` needs {len(block.columns)} "
                               f"values, got {len(row)}", block.span)
                    ok = False
                    break
                values.append(tuple(None if v is None else v.value for v in row))
            rows.append(m.TestRows(table.name, tuple(c.text for c in block.columns),
                                   tuple(values)))
        expects = []
        for expect in decl.expects:
            name = expect.segment.text
            bucket = expect.bucket.text if expect.bucket else None
            known = name in self.segments if bucket is None else (
                name in segmentations and bucket in {b.name for b in segmentations[name].buckets})
            if not known:
                what = f"{name}.{bucket}" if bucket else name
                self.error(Code.E101, f"unknown segment or bucket `{what}`", expect.span,
                           did_you_mean(what, [*self.segments, *(
                               f"{s.name}.{b.name}" for s in segmentations.values()
                               for b in s.buckets)]))
                ok = False
                continue
            expects.append(m.TestExpect(name, bucket, frozenset(k.value for k in expect.keys),
                                        expect.span))
        if not ok:
            return None
        as_of = decl.as_of.value if decl.as_of is not None else None
        return m.Test(decl.name.text, as_of, tuple(rows), tuple(expects), decl.span)

    def resolve_scores(self, decl: n.Segmentation) -> dict[str, ir.Expr] | None:
        """The segmentation's scores, by name, and `scores`: their digits as one text."""
        local: dict[str, ir.Expr] = {}
        ok = True
        for score in decl.scores:
            name = score.name.text
            if name in local or name == "scores":
                self.error(Code.E102, f"score `{name}` is declared twice in segmentation "
                           f"`{decl.name.text}`" if name in local else
                           "`scores` is the name of all the scores together", score.name.span)
                ok = False
                continue
            by = self.expr(score.by, _Scope())
            if by is None:
                ok = False
                continue
            if not 2 <= score.bins <= 100:
                self.error(Code.E002, "a score needs 2 to 100 bins", score.span)
                ok = False
                continue
            values = [t.value for t in score.thresholds]
            if score.method == "thresholds" and len(values) != score.bins - 1:
                self.error(Code.E002, f"{score.bins} bins need {score.bins - 1} thresholds, "
                           f"got {len(values)}", score.span,
                           "thresholds are the cut points between the bins, in ascending order")
                ok = False
                continue
            if values != sorted(values) or len(set(values)) != len(values):
                self.error(Code.E002, "thresholds must be in ascending order", score.span)
                ok = False
                continue
            local[name] = ir.Score(
                decl.name.text, name, by, score.higher_is_better, score.bins, score.method,
                tuple(self.literal(t) for t in score.thresholds), type=ir.Type.INT,
                span=score.span)
        if not ok:
            return None
        if local:
            local["scores"] = ir.Func("score_code", tuple(local.values()), type=ir.Type.TEXT)
        return local

    def enter(self, kind: str, name: str, span: Span) -> bool:
        """Push onto the resolution stack; report and return True on a cycle."""
        if (kind, name) in self.in_progress:
            start = self.in_progress.index((kind, name))
            chain = " -> ".join(n for _, n in self.in_progress[start:]) + f" -> {name}"
            self.error(Code.E103, f"circular definition: {chain}", span,
                       "a feature, segment or segmentation cannot depend on itself")
            for _, member in self.in_progress[start:]:
                self.broken.add(member)
            return True
        self.in_progress.append((kind, name))
        return False

    def check_own_names(self) -> None:
        """segl names some columns of its queries itself: aggregates `orders__m1`, lookup
        columns `nation__n_name`, score outputs `rfm__r`, KPI indexes `aov__index`,
        rankings `_rank_1`, scores `_score_rfm_r`, KPI parts `_kpi_1`, the probes of
        `segl explain` and `segl persona`, the KPI query's `segl_kind`, `segl_group` and
        `segl_members`. A definition named like one would be two columns of one name (an
        engine error, or on Polars one column silently replacing the other)."""
        owners = [name.casefold() for name, (kind, _) in self.declared.items()
                  if kind in ("entity", "events", "lookup", "segmentation", "kpi")]
        for name, (_, span) in self.declared.items():
            folded = name.casefold()
            if _OWN_NAME.fullmatch(folded) or any(folded.startswith(owner + "__")
                                                  for owner in owners):
                self.error(Code.E105, f"`{name}` is a name segl gives one of its own columns",
                           span, "choose another: segl names columns `<table>__m1`, "
                           "`<lookup>__<column>`, `<segmentation>__<score>`, `<kpi>__index`, "
                           "`_rank_1`, `_score_…`, `_kpi_1` and `segl_kind`")

    def check_shadowing(self, name: n.Ident) -> None:
        entity = self.tables[self.entity_decl.name.text]
        folded = name.text.casefold()
        column = next((c.name for c in entity.columns if c.name.casefold() == folded), None)
        if column is not None:
            what = "is also" if column == name.text else \
                f"differs only in case from `{column}`,"
            self.error(Code.E105, f"`{name.text}` {what} a column of `{entity.name}`", name.span,
                       f"rename it (e.g. `{name.text}_value`) so every name means one thing")

    # ---- expressions
    def literal(self, node: n.Literal) -> ir.Literal:
        kind_types = {"string": ir.Type.TEXT, "date": ir.Type.DATE,
                      "timestamp": ir.Type.TIMESTAMP, "bool": ir.Type.BOOL}
        if node.kind == "number":
            type_ = ir.Type.INT if isinstance(node.value, int) else ir.Type.DECIMAL
        else:
            type_ = kind_types[node.kind]
        return ir.Literal(node.value, type=type_, span=node.span)

    def expr(self, node: n.Expr, scope: _Scope) -> ir.Expr | None:
        method = getattr(self, "expr_" + type(node).__name__)
        return method(node, scope)

    def exprs(self, nodes: tuple[n.Expr, ...], scope: _Scope) -> tuple[ir.Expr, ...] | None:
        out = [self.expr(x, scope) for x in nodes]
        return None if any(x is None for x in out) else tuple(out)

    def expr_Literal(self, node: n.Literal, scope: _Scope) -> ir.Expr:
        return self.literal(node)

    def expr_Duration(self, node: n.Duration, scope: _Scope) -> ir.Expr | None:
        self.error(Code.E201, "a duration can only be added to or subtracted from a date",
                   node.span, "e.g. `as_of - 30 days`")
        return None

    def expr_AsOfRef(self, node: n.AsOfRef, scope: _Scope) -> ir.Expr:
        return ir.AsOf(type=ir.Type.DATE, span=node.span)

    def expr_NameRef(self, node: n.NameRef, scope: _Scope) -> ir.Expr | None:
        name = node.name.text
        span = node.span
        if scope.local and name in scope.local:
            return dataclasses.replace(scope.local[name], span=span)
        if scope.table is not None:
            table = self.tables[scope.table]
            column = table.column(name)
            if column is not None:
                return ir.Column(table.name, name, type=column.type, span=span)
            if name in self.params:
                return self.param_value(name, span)
            if not self.schema_known.get(table.name) and name not in self.declared:
                return ir.Column(table.name, name, type=ir.Type.ANY, span=span)
            if name in self.feature_decls or name in self.segment_decls or \
                    name in self.segmentation_decls or \
                    self.tables[self.entity_decl.name.text].column(name):
                self.error(Code.E108, f"`{name}` is not a column of `{table.name}`; inside an "
                           "aggregate only that table's columns can be used", span,
                           f"compute `{name}` outside the aggregate")
                return None
            self.error(Code.E101, f"`{table.name}` has no column `{name}`", span,
                       did_you_mean(name, [c.name for c in table.columns]))
            return None
        entity = self.tables[self.entity_decl.name.text]
        column = entity.column(name)
        if column is not None:
            return ir.Column(entity.name, name, type=column.type, span=span)
        if name in self.feature_decls:
            feature = self.resolve_feature(name)
            if feature is None:
                return None
            return ir.FeatureRef(name, span=span)
        if name in self.segment_decls:
            if self.resolve_segment(name) is None:
                return None
            return ir.SegmentRef(name, type=ir.Type.BOOL, span=span)
        if name in self.params:
            return self.param_value(name, span)
        if name in self.events_decls:
            self.error(Code.E108, f"`{name}` is an events table, not a value", span,
                       f"aggregate it, e.g. `count({name})`")
            return None
        if name in self.segmentation_decls:
            return self.segmentation_value(name, span)
        if name in self.failed_names or name in self.broken:
            return None
        if not self.schema_known.get(entity.name) and name not in self.declared:
            return ir.Column(entity.name, name, type=ir.Type.ANY, span=span)
        candidates = [c.name for c in entity.columns] + list(self.feature_decls) + \
            list(self.segment_decls) + list(self.params)
        self.error(Code.E101, f"unknown name `{name}`", span,
                   did_you_mean(name, candidates) or
                   "declare it as a feature, or as a column of the entity")
        return None

    def param_value(self, name: str, span: Span) -> ir.Literal:
        value = self.params[name].value
        return ir.Literal(value.value, type=value.type, span=span)

    def expr_QualifiedRef(self, node: n.QualifiedRef, scope: _Scope) -> ir.Expr | None:
        table_name, column_name = node.table.text, node.column.text
        table = self.tables.get(table_name)
        if table is None and table_name in self.segmentation_decls and scope.table is None:
            return self.segmentation_score(node)
        if table is None:
            if table_name not in self.failed_names and table_name not in self.broken:
                self.error(Code.E101, f"unknown table `{table_name}`", node.table.span,
                           did_you_mean(table_name, self.tables))
            return None
        allowed = self.visible_tables(scope)
        if table_name not in allowed:
            if table.kind == "events" or (
                table.kind == "lookup" and self.root_table(table_name) in self.events_decls
            ):
                self.error(Code.E108, f"`{table_name}.{column_name}` is a column of a related "
                           "table: it has many values per entity", node.span,
                           f"aggregate it, e.g. `max({table_name}.{column_name})`"
                           if scope.table is None else
                           f"an aggregate over `{scope.table}` can only use `{scope.table}`, "
                           "its lookups and the table it is joined through")
            else:
                self.error(Code.E108, f"`{table_name}` cannot be used inside an aggregate over "
                           f"`{scope.table}`", node.span,
                           "compute entity-level values outside the aggregate")
            return None
        column = table.column(column_name)
        if column is None:
            if not self.schema_known.get(table_name):
                return ir.Column(table_name, column_name, type=ir.Type.ANY, span=node.span)
            self.error(Code.E101, f"table `{table_name}` has no column `{column_name}`",
                       node.column.span, did_you_mean(column_name, [c.name for c in table.columns]))
            return None
        return ir.Column(table_name, column_name, type=column.type, span=node.span)

    def root_table(self, lookup: str) -> str:
        seen = set()
        while lookup in self.lookup_decls and lookup not in seen:
            seen.add(lookup)
            lookup = self.lookup_decls[lookup].owner.text
        return lookup

    def visible_tables(self, scope: _Scope) -> set[str]:
        """Tables whose columns are one value per row in this scope."""
        entity = self.entity_decl.name.text
        roots = {entity} if scope.table is None else {scope.table}
        if scope.table is not None:
            decl = self.events_decls[scope.table]
            if isinstance(decl.link, n.ThroughLink):
                roots.add(decl.link.via.text)
        visible = set(roots)
        for name in self.lookup_decls:
            if name not in self.broken and self.lookup_attached(name, visible):
                visible.add(name)
        return visible

    def lookup_attached(self, name: str, roots: set[str]) -> bool:
        seen = set()
        while name in self.lookup_decls and name not in seen:
            seen.add(name)
            name = self.lookup_decls[name].owner.text
            if name in roots:
                return True
        return False

    def expr_Unary(self, node: n.Unary, scope: _Scope) -> ir.Expr | None:
        operand = self.expr(node.operand, scope)
        if operand is None:
            return None
        if node.op == "not":
            return ir.Not(operand, span=node.span)
        return ir.Negate(operand, span=node.span)

    def expr_Binary(self, node: n.Binary, scope: _Scope) -> ir.Expr | None:
        if node.op in ("+", "-") and isinstance(node.right, n.Duration):
            value = self.expr(node.left, scope)
            if value is None:
                return None
            amount = node.right.amount if node.op == "+" else -node.right.amount
            return ir.DateShift(value, amount, node.right.unit, span=node.span)
        if node.op == "+" and isinstance(node.left, n.Duration):
            value = self.expr(node.right, scope)
            if value is None:
                return None
            return ir.DateShift(value, node.left.amount, node.left.unit, span=node.span)
        left = self.expr(node.left, scope)
        right = self.expr(node.right, scope)
        if left is None or right is None:
            return None
        if node.op in ("+", "-", "*", "/"):
            return ir.Arith(node.op, left, right, span=node.span)
        if node.op in ("=", "!=") and not self.bucket_literals(left, right):
            return None
        return ir.Compare(node.op, left, right, span=node.span)

    def expr_Logic(self, node: n.Logic, scope: _Scope) -> ir.Expr | None:
        resolved = self.exprs(node.operands, scope)
        if resolved is None:
            return None
        operands: list[ir.Expr] = []
        for operand in resolved:  # `a and (b and c)` is one chain for every later stage
            if isinstance(operand, ir.Logic) and operand.op == node.op:
                operands.extend(operand.operands)
            else:
                operands.append(operand)
        return ir.Logic(node.op, tuple(operands), span=node.span)

    def expr_Between(self, node: n.Between, scope: _Scope) -> ir.Expr | None:
        parts = self.exprs((node.value, node.low, node.high), scope)
        return ir.Between(*parts, span=node.span) if parts else None

    def expr_InList(self, node: n.InList, scope: _Scope) -> ir.Expr | None:
        value = self.expr(node.value, scope)
        if isinstance(value, ir.SegmentationRef):
            return self.bucket_list(value, node)
        items = self.exprs(node.items, scope)
        if value is None or items is None:
            return None
        return ir.InList(value, items, node.negated, span=node.span)

    def expr_TextMatch(self, node: n.TextMatch, scope: _Scope) -> ir.Expr | None:
        parts = self.exprs((node.value, node.pattern), scope)
        return ir.TextMatch(node.op, *parts, span=node.span) if parts else None

    def expr_IsMissing(self, node: n.IsMissing, scope: _Scope) -> ir.Expr | None:
        value = self.expr(node.value, scope)
        return ir.IsMissing(value, node.negated, span=node.span) if value is not None else None

    def expr_Case(self, node: n.Case, scope: _Scope) -> ir.Expr | None:
        whens = []
        for condition, value in node.whens:
            parts = self.exprs((condition, value), scope)
            if parts is None:
                return None
            whens.append(parts)
        otherwise = None
        if node.otherwise is not None:
            otherwise = self.expr(node.otherwise, scope)
            if otherwise is None:
                return None
        return ir.Case(tuple(whens), otherwise, span=node.span)

    def expr_Rank(self, node: n.Rank, scope: _Scope) -> ir.Expr | None:
        if scope.table is not None:
            self.error(Code.E108, "`top`/`bottom` ranks entities; it cannot be used inside an "
                       "aggregate", node.span)
            return None
        by = self.expr(node.by, scope)
        among = self.expr(node.among, scope) if node.among is not None else None
        if by is None or (node.among is not None and among is None):
            return None
        amount = self.literal(node.amount)
        value = node.amount.value
        if node.percent and not (0 < value <= 100):
            self.error(Code.E002, "a percentage must be above 0 and at most 100", node.amount.span)
            return None
        if not node.percent and not isinstance(value, int):
            self.error(Code.E002, "`top N` needs a whole number", node.amount.span,
                       "for a share write `top 2.5%`")
            return None
        return ir.Rank(node.direction, amount, node.percent, by, among, type=ir.Type.BOOL,
                       span=node.span)

    def expr_Similarity(self, node: n.Similarity, scope: _Scope) -> ir.Expr | None:
        """`similarity to SEED on (…)`: minus the squared distance to the seed segment's
        centroid fitted by `segl discover` (E114 without a current lock file)."""
        if scope.table is not None:
            self.error(Code.E108, "`similarity` ranks entities; it cannot be used inside an "
                       "aggregate", node.span)
            return None
        seed = node.seed.text
        if seed not in self.segment_decls:
            if seed not in self.failed_names:
                self.error(Code.E101, f"unknown segment `{seed}`", node.seed.span,
                           did_you_mean(seed, self.segment_decls))
            return None
        if self.resolve_segment(seed) is None:
            return None
        features = [self.expr(feature, _Scope()) for feature in node.features]
        if any(f is None for f in features):
            return None
        texts = tuple(format_expr(f, SUM) for f in node.features)
        if len(set(texts)) != len(texts):
            self.error(Code.E102, "a feature is listed twice", node.span)
            return None
        key = clusters.similarity_key(seed, texts)
        similarity = m.Similarity(key, seed, tuple(f for f in features if f is not None), texts,
                                  clusters.similarity_fingerprint(seed, texts),
                                  clusters.lock_path_for(node.span.path), span=node.span)
        fit, problem = clusters.read_similarity(similarity)
        self.similarities[key] = dataclasses.replace(similarity, fit=fit)
        if fit is None:
            entry = Path(self.files[-1].source.path).name if self.files else "FILE"
            self.error(Code.E114, problem or "", node.span,
                       f"run `segl discover {entry}` and commit "
                       f"`{Path(similarity.lock_path).name}` with the change")
            return None
        column = "similar_" + similarity.fingerprint[:8]
        return clusters.similarity_value(column, similarity, fit)

    def expr_Windowed(self, node: n.Windowed, scope: _Scope) -> ir.Expr | None:
        if scope.kpi:  # the window applies per entity, before the group's total
            windowed = self.expr_Windowed(node, _Scope())
            return self.kpi_total(windowed) if isinstance(windowed, ir.Aggregate) else windowed
        aggregate = self.expr_Call(node.call, scope)
        if aggregate is None:
            return None
        if not isinstance(aggregate, ir.Aggregate):
            self.error(Code.E111, f"a window applies to an aggregate; `{node.call.function.text}` "
                       "is not one", node.window.span,
                       "e.g. `count(orders) in last 90 days`")
            return None
        table = self.tables[aggregate.table]
        if table.time_column is None:
            self.error(Code.E111, f"`{aggregate.table}` has no time column, so it has no window",
                       node.window.span,
                       f"declare one: `events {aggregate.table} … at <time column>`")
            return None
        window = self.window(node.window)
        if window is None:
            return None
        return ir.Aggregate(aggregate.func, aggregate.table, aggregate.arg, aggregate.filter,
                            window, aggregate.distinct, span=node.span)

    def window(self, node: n.Window) -> ir.Window | None:
        if isinstance(node, n.WindowLast):
            amount = node.amount
            if isinstance(amount, n.Ident):
                param = self.params.get(amount.text)
                if param is None:
                    self.error(Code.E111, f"`{amount.text}` is not a whole-number parameter",
                               amount.span, did_you_mean(amount.text, self.params) or
                               "a window length is a number or a whole-number parameter")
                    return None
                if param.value.type is not ir.Type.INT:
                    self.error(Code.E111, f"parameter `{amount.text}` is "
                               f"{param.value.type.with_article}; a window length needs a whole "
                               "number", amount.span)
                    return None
                amount = param.value.value
                problem = duration_problem(int(amount), node.unit)
                if problem:
                    self.error(Code.E111, f"parameter `{node.amount.text}`"
                               f": {problem}", node.amount.span,
                               "a window is at most 1,000 years long")
                    return None
            if amount <= 0:
                self.error(Code.E111, "a window must be at least 1 " + node.unit, node.span)
                return None
            return ir.WindowLast(int(amount), node.unit)
        if isinstance(node, n.WindowSince):
            start = self.date_value(node.start)
            return ir.WindowRange(start, None) if start else None
        if isinstance(node, n.WindowBefore):
            end = self.date_value(node.end)
            if end == date.min:
                self.error(Code.E111, "nothing is before 0001-01-01: the window is empty",
                           node.span, "write a later date")
                return None
            # `before D` excludes D itself: the last included day is D - 1.
            return ir.WindowRange(None, date.fromordinal(end.toordinal() - 1)) if end else None
        start = self.date_value(node.start)
        end = self.date_value(node.end)
        if start is None or end is None:
            return None
        if end < start:
            self.error(Code.E111, f"the window ends ({end}) before it starts ({start})", node.span)
            return None
        if end == date.max:  # up to the last date there is: no end (whose next day is none)
            return ir.WindowRange(start, None)
        return ir.WindowRange(start, end)

    def date_value(self, node: n.Literal | n.NameRef) -> date | None:
        if isinstance(node, n.Literal):
            return node.value if node.kind == "date" else None
        param = self.params.get(node.name.text)
        if param is not None and param.value.type is not ir.Type.DATE:
            self.error(Code.E111, f"parameter `{node.name.text}` is "
                       f"{param.value.type.with_article}; a window needs a date", node.span)
            return None
        if param is None:
            self.error(Code.E111, f"`{node.name.text}` is not a date parameter", node.span,
                       did_you_mean(node.name.text, self.params) or
                       "write a date (YYYY-MM-DD) or the name of a date parameter")
            return None
        return param.value.value

    def expr_Call(self, node: n.Call, scope: _Scope) -> ir.Expr | None:
        name = node.function.text
        if name in AGGREGATES:
            return self.aggregate(node, scope)
        if node.distinct or node.filter is not None:
            self.error(Code.E108, f"`{name}` is not an aggregate: `distinct` and `where` only "
                       f"apply to {', '.join(AGGREGATES)}", node.span)
            return None
        function = SCALAR_FUNCTIONS.get(name)
        if function is None:
            self.error(Code.E109, f"unknown function `{name}`", node.function.span,
                       did_you_mean(name, [*SCALAR_FUNCTIONS, *AGGREGATES]) or
                       "see docs/language.md#functions for the list")
            return None
        count = len(node.args)
        if count < function.min_args or (function.max_args >= 0 and count > function.max_args):
            expected = str(function.min_args) if function.min_args == function.max_args else \
                f"{function.min_args} or more" if function.max_args < 0 else \
                f"{function.min_args} to {function.max_args}"
            self.error(Code.E110, f"`{name}` takes {expected} argument(s), got {count}", node.span,
                       f"{name}: {function.summary}")
            return None
        args = self.exprs(node.args, scope)
        if args is None:
            return None
        if name == "days_since":
            return ir.Func("days_between", (args[0], ir.AsOf(type=ir.Type.DATE)), span=node.span)
        return ir.Func(name, args, span=node.span)

    def aggregate(self, node: n.Call, scope: _Scope) -> ir.Expr | None:
        if scope.kpi:
            return self.kpi_aggregate(node)
        name = node.function.text
        if scope.table is not None:
            self.error(Code.E108, f"`{name}` cannot be nested inside another aggregate", node.span)
            return None
        entry = catalogue.aggregate(name)
        if len(node.args) != 1 + len(entry.params):
            wanted = "one argument" if not entry.params else f"{1 + len(entry.params)} arguments"
            example = ", ".join(["orders.amount", *(p.name for p in entry.params)])
            self.error(Code.E110, f"`{name}` takes {wanted}, got {len(node.args)}", node.span,
                       f"e.g. `{name}({example})`" if name != "count" else
                       "e.g. `count(orders)` or `count(distinct orders.product_id)`")
            return None
        arg = node.args[0]
        params = self.aggregate_params(entry, node)
        if params is None:
            return None
        table_name = self.aggregated_table(arg)
        if table_name is None:
            self.error(Code.E108, f"cannot tell which related table `{name}` aggregates",
                       arg.span, "name the table: `count(orders)`, `sum(orders.amount)`")
            return None
        if table_name in self.broken:
            return None
        inner = _Scope(table=table_name)
        value: ir.Expr | None = None
        if isinstance(arg, n.NameRef) and arg.name.text == table_name:
            if name != "count":
                self.error(Code.E108,
                           f"`{name}` needs a column, e.g. `{name}({table_name}.amount)`",
                           arg.span)
                return None
            if node.distinct:
                self.error(Code.E108, "`count(distinct …)` needs a column",
                           arg.span, f"e.g. `count(distinct {table_name}.product_id)`")
                return None
        else:
            value = self.expr(arg, inner)
            if value is None:
                return None
        if node.distinct and name != "count":
            self.error(Code.E108, "`distinct` only applies to count", node.span)
            return None
        condition = None
        if node.filter is not None:
            condition = self.expr(node.filter, inner)
            if condition is None:
                return None
        if entry.needs_time and self.tables[table_name].time_column is None:
            self.error(Code.E108, f"`{name}` orders by time, and `{table_name}` has no time column",
                       node.span, f"declare one: `events {table_name} … at <time column>`")
            return None
        return ir.Aggregate(name, table_name, value, condition, None, node.distinct,
                            params, span=node.span)

    def aggregate_params(self, entry: catalogue.AggregateFunction, node: n.Call
                         ) -> tuple[ir.Literal, ...] | None:
        """The constant arguments after an aggregate's value: number literals in range."""
        params = []
        for spec, arg in zip(entry.params, node.args[1:], strict=True):
            value = arg.value if isinstance(arg, n.Literal) and arg.kind == "number" \
                else None
            if value is None or not spec.admits(float(value)):
                self.error(Code.E110, f"`{spec.name}` of `{entry.name}` must be "
                           f"{spec.describe()}", arg.span,
                           f"e.g. `{entry.name}(orders.amount, 0.9)`")
                return None
            params.append(ir.Literal(Decimal(str(value)), type=ir.Type.DECIMAL))
        return tuple(params)

    def aggregated_table(self, arg: n.Expr) -> str | None:
        """The events table an aggregate runs over: named directly or by its columns."""
        if isinstance(arg, n.NameRef) and arg.name.text in self.events_decls:
            return arg.name.text
        found: list[str] = []
        for sub in _walk_ast(arg):
            if isinstance(sub, n.QualifiedRef):
                table = sub.table.text
                if table in self.lookup_decls:
                    table = self.root_table(table)
                if table in self.events_decls and table not in found:
                    found.append(table)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            # lineitem through orders: orders' columns may appear in an aggregate over lineitem
            for table in found:
                decl = self.events_decls[table]
                others = set(found) - {table}
                if isinstance(decl.link, n.ThroughLink) and others == {decl.link.via.text}:
                    return table
        return None


@dataclass(frozen=True)
class _Scope:
    table: str | None = None  # the events table inside an aggregate, None at entity level
    local: dict[str, ir.Expr] | None = None  # a segmentation's scores in its buckets
    kpi: bool = False  # in a KPI: aggregates are over a group of entities


# aggregates that may total a per-entity value over a KPI's group
_GROUP_FUNCTIONS = tuple(a.name for a in catalogue.AGGREGATE_FUNCTIONS.values() if a.of_entities)
_GROUP_NAMES = " and ".join(
    [", ".join(_GROUP_FUNCTIONS[:-1]), _GROUP_FUNCTIONS[-1]]) if len(_GROUP_FUNCTIONS) > 1 else \
    _GROUP_FUNCTIONS[0]


def _outside_totals(expr: ir.Expr) -> ir.Expr | None:
    """A per-entity value of a KPI that no aggregate covers, if any."""
    if isinstance(expr, ir.Total):
        return None
    if isinstance(expr, (ir.Column, ir.FeatureRef, ir.SegmentRef, ir.Aggregate, ir.Rank,
                         ir.SegmentationRef, ir.Score)):
        return expr
    for child in expr.children():
        found = _outside_totals(child)
        if found is not None:
            return found
    return None


def _walk_ast(node):
    yield node
    if isinstance(node, n.Node):
        for value in vars(node).values():
            if isinstance(value, n.Expr):
                yield from _walk_ast(value)
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, n.Expr):
                        yield from _walk_ast(item)
                    elif isinstance(item, tuple):
                        for sub in item:
                            yield from _walk_ast(sub)


def _parse_override(text: str, default: ir.Literal) -> ir.Literal | None:
    try:
        if default.type in (ir.Type.INT, ir.Type.DECIMAL):
            # the same numbers a literal may hold: finite, 64-bit or 38 digits
            number = int(text) if default.type is ir.Type.INT else Decimal(text)
            if isinstance(number, Decimal) and not number.is_finite():
                return None
            if number_problem(number):
                return None
            return ir.Literal(number, type=default.type)
        if default.type is ir.Type.DATE:
            return ir.Literal(date.fromisoformat(text), type=ir.Type.DATE)
        if default.type is ir.Type.TIMESTAMP:
            return ir.Literal(datetime.fromisoformat(text), type=ir.Type.TIMESTAMP)
        if default.type is ir.Type.BOOL:
            if text.lower() in ("true", "false"):
                return ir.Literal(text.lower() == "true", type=ir.Type.BOOL)
            return None
        return ir.Literal(text, type=ir.Type.TEXT)
    except (ValueError, InvalidOperation):
        return None


def tier_labels(score: ir.Score) -> list[str]:
    """Labels of tier_1 (best) .. tier_N: the share of ranked entities each holds for ntile
    and quantile ("Top 10%", "10-20%"), the value range for thresholds (">= 1500")."""
    n = score.bins
    if score.method != "thresholds":
        def percent(i: int) -> str:
            return f"{100 * i / n:.1f}".removesuffix(".0")
        return [f"Top {percent(1)}%" if i == 1 else f"{percent(i - 1)}-{percent(i)}%"
                for i in range(1, n + 1)]
    cuts = [str(t.value) for t in score.thresholds]  # ascending, N - 1 of them
    if score.higher_is_better:
        # tier_1: >= the highest cut; tier_N: under the lowest
        bounds = list(reversed(cuts))
        labels = [f">= {bounds[0]}"]
        labels += [f"{bounds[i]} to < {bounds[i - 1]}" for i in range(1, n - 1)]
        return [*labels, f"< {bounds[-1]}"]
    labels = [f"<= {cuts[0]}"]
    labels += [f"> {cuts[i - 1]} to <= {cuts[i]}" for i in range(1, n - 1)]
    return [*labels, f"> {cuts[-1]}"]
