"""AST -> Model: imports, names, parameters, duplicates, cycles.

Every name in an expression is bound here: to a column of the entity or of a lookup, a
column of an events table (only inside an aggregate), a feature, a segment, a parameter
(substituted by its value) or `as_of`. Problems are collected, never raised one at a time.

The resolver is one class mixed from one module per job: loading.py (files and imports),
resolve_tables.py, resolve_definitions.py, resolve_segmentations.py, bind_names.py and
bind_operations.py (expressions)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from .. import ir
from .. import model as m
from ..codes import Code
from ..diagnostics import Diagnostic, did_you_mean, error
from ..source import SourceFile, Span
from ..syntax import nodes as n
from ..syntax.limits import number_problem
from . import namespaces
from .bind_names import NameBinding
from .bind_operations import OperationBinding
from .experiments import HOLDOUT
from .exports import check_consent, resolve_export, resolve_suppression
from .loading import LoadedFile, TextReader, load_files, read_from_disk
from .resolve_definitions import DefinitionResolution
from .resolve_segmentations import SegmentationResolution
from .resolve_tables import TableResolution
from .segmentation_values import SegmentationValues

# Column names segl gives its own query's columns (see Resolver.check_own_names).
_OWN_NAME = re.compile(r"_(rank|kpi|explain|col)_\d+|_score_.*|_cluster_.*|_persona_.*|_readout_.*"
                       r"|_ranked_.*|_(key|position|count|as_of|rank_as_of)|segl_(kind|group|members)")


SchemaProvider = Callable[[m.Table], "dict[str, ir.Type] | None"]


_UNIT_WORDS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}


@dataclass
class Resolution:
    model: m.Model | None
    diagnostics: list[Diagnostic]
    files: list[LoadedFile] = field(default_factory=list)


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


class _Resolver(SegmentationValues, TableResolution, DefinitionResolution,
                SegmentationResolution, NameBinding, OperationBinding):
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
        self.kpi_names: dict[str, Span] = {}  # KPIs named like another declaration
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
        space = namespaces.namespace(kind)  # KPIs have their own (`namespaces.py`)
        declared = {key: value for key, value in self.declared.items()
                    if namespaces.namespace(value[0]) == space}
        same = next((key for key in declared if key.casefold() == name.text.casefold()), None)
        if same is not None:
            first_kind, first_span = declared[same]
            renamed = namespaces.free_name(name.text, kind, {k.casefold() for k in declared})
            message = f"`{name.text}` is already defined (as a {first_kind})" \
                if name.text in declared else \
                f"`{name.text}` and the {first_kind} `{same}` differ only in case"
            reason = namespaces.why(kind, first_kind) if kind != first_kind else \
                f"two {kind}s cannot share a name"
            diagnostic = error(
                Code.E102, message, name.span,
                (f"{reason}; rename this {kind}, e.g. `{renamed}`" if name.text in declared
                 else "every entity, table, parameter, feature and segment needs its own "
                 "name; SQL engines do not tell names apart by case"),
            )
            self.diagnostics.append(
                Diagnostic(diagnostic.code, diagnostic.severity, diagnostic.message,
                           diagnostic.span, diagnostic.hints,
                           ((first_span, "first defined here"),))
            )
            return
        if name.text in self.declared:  # a KPI beside another kind: kept apart by kind
            if space == "kpi":
                self.kpi_names[name.text] = name.span
            else:
                self.kpi_names[name.text] = self.declared[name.text][1]
                self.declared[name.text] = (kind, name.span)
        else:
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
        rankings `_rank_1`, scores `_score_rfm_r`, KPI parts `_kpi_1`, a ranking's columns
        `_key`, `_position`, `_count`, `_rank_as_of` (Polars: `_ranked_rank_1_position`), the
        date of many `_as_of`, renamed entity columns `_col_1`, the probes of
        `segl explain` and `segl persona`, the KPI query's `segl_kind`, `segl_group` and
        `segl_members`. A definition named like one would be two columns of one name (an
        engine error, or on Polars one column silently replacing the other)."""
        owners = [name.casefold() for name, (kind, _) in self.declared.items()
                  if kind in ("entity", "events", "lookup", "segmentation", "kpi")]
        owners += [name.casefold() for name in self.kpi_names]
        for name, (_, span) in self.declared.items():
            folded = name.casefold()
            if _OWN_NAME.fullmatch(folded) or any(folded.startswith(owner + "__")
                                                  for owner in owners):
                self.error(Code.E105, f"`{name}` is a name segl gives one of its own columns",
                           span, "choose another: segl names columns `<table>__m1`, "
                           "`<lookup>__<column>`, `<segmentation>__<score>`, `<kpi>__index`, "
                           "`_rank_1`, `_score_…`, `_kpi_1`, `_key`, `_position`, `_count`, "
                           "`_as_of` and `segl_kind`")

    def check_shadowing(self, name: n.Ident) -> None:
        entity = self.tables[self.entity_decl.name.text]
        folded = name.text.casefold()
        column = next((c.name for c in entity.columns if c.name.casefold() == folded), None)
        if column is not None:
            what = "is also" if column == name.text else \
                f"differs only in case from `{column}`,"
            self.error(Code.E105, f"`{name.text}` {what} a column of `{entity.name}`", name.span,
                       f"rename it (e.g. `{name.text}_value`) so every name means one thing")


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
