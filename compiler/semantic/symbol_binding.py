"""Build the name index (`symbols.py`) of a compilation: collect definitions, then bind every
name written in every loaded file.

A name binds as the resolver binds it (compiler/semantic/resolve.py):
inside an aggregate, a column of
the aggregated table, else a parameter; at entity level, a score of the segmentation (in its
buckets), a column of the entity, then a declared name. The walk is over the AST rather than
the resolved model so that a declaration the resolver rejected still has its names indexed;
`tests/symbols/test_index.py` checks the two agree on every reference the resolver binds.
A name bound to nothing declared is taken for a column of the table in scope (a column known
only from the data).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .. import model as m
from ..catalogue import AGGREGATES, SCALAR_FUNCTIONS
from ..syntax import nodes as n
from .loading import LoadedFile
from .symbols import (
    Occurrence,
    Space,
    Symbol,
    SymbolIndex,
    SymbolKey,
    SymbolKind,
    file_key,
    sorted_occurrences,
)

_DECLARATION_KINDS = {
    n.Entity: SymbolKind.ENTITY, n.Events: SymbolKind.EVENTS, n.Lookup: SymbolKind.LOOKUP,
    n.Param: SymbolKind.PARAM, n.Feature: SymbolKind.FEATURE, n.Segment: SymbolKind.SEGMENT,
    n.Segmentation: SymbolKind.SEGMENTATION, n.Kpi: SymbolKind.KPI,
    n.Persona: SymbolKind.PERSONA, n.Test: SymbolKind.TEST,
    n.Experiment: SymbolKind.EXPERIMENT, n.Export: SymbolKind.EXPORT,
}


def build_index(files: list[LoadedFile], model: m.Model | None) -> SymbolIndex:
    builder = _Builder(files, model)
    builder.run()
    declarations: dict[str, list[Symbol]] = {}
    for symbol in builder.top_level:
        if symbol.name_span is not None:
            declarations.setdefault(file_key(symbol.name_span.path), []).append(symbol)
    return SymbolIndex(builder.symbols, sorted_occurrences(builder.occurrences), declarations,
                       builder.children, builder.entity, frozenset(builder.events))


def _global(name: str) -> SymbolKey:
    return SymbolKey(Space.GLOBAL, name)


def _column(table: str, name: str) -> SymbolKey:
    return SymbolKey(Space.COLUMN, name, table)


@dataclass(frozen=True)
class _Scope:
    table: str | None = None  # inside an aggregate over this table
    segmentation: str | None = None  # in a bucket: the segmentation's scores are names


class _Builder:
    def __init__(self, files: list[LoadedFile], model: m.Model | None) -> None:
        self.files = files
        self.model = model
        self.symbols: dict[SymbolKey, Symbol] = {}
        self.children: dict[SymbolKey, list[Symbol]] = {}
        self.top_level: list[Symbol] = []
        self.occurrences: list[Occurrence] = []
        self.entity: str | None = None
        self.events: dict[str, n.Events] = {}
        self.lookups: dict[str, n.Lookup] = {}
        self.scores: dict[str, set[str]] = {}  # segmentation -> its score names

    def run(self) -> None:
        # (a holdout and the suppression list have no name: nothing refers to them)
        declarations = [d for f in self.files for d in f.module.declarations
                        if not isinstance(d, n.Import | n.Holdout | n.Suppression)]
        for decl in declarations:
            self.define(decl)
        self.add_model_columns()
        for decl in declarations:
            self.bind_declaration(decl)

    # ---------------------------------------------------------------- definitions
    def occurrence(self, key: SymbolKey, ident: n.Ident, is_definition: bool = False) -> None:
        # names the parser made up (a tiers segmentation's `tier` score and `no_value`
        # bucket) carry the whole declaration's span: they are written nowhere
        if ident.span.text.strip("`") == ident.text:
            self.occurrences.append(Occurrence(key, ident.span, is_definition))

    def add(self, symbol: Symbol, ident: n.Ident | None, parent: SymbolKey | None) -> None:
        if symbol.key not in self.symbols:
            self.symbols[symbol.key] = symbol
            if parent is None:
                self.top_level.append(symbol)
            else:
                self.children.setdefault(parent, []).append(symbol)
        if ident is not None:
            self.occurrence(symbol.key, ident, is_definition=True)

    def define(self, decl: n.Declaration) -> None:
        kind = _DECLARATION_KINDS[type(decl)]
        key = _global(decl.name.text)
        label = getattr(decl, "label", None)
        description = getattr(decl, "description", None)
        if isinstance(decl, n.Persona):
            description = next((f.value.value for f in decl.fields
                                if f.name.text == "description"
                                and isinstance(f.value, n.Literal)), None)
        self.add(Symbol(key, kind, decl.name.span, decl, label, description,
                        self.type_of(kind, decl.name.text)), decl.name, None)
        if isinstance(decl, n.Entity) and self.entity is None:
            self.entity = decl.name.text
        elif isinstance(decl, n.Events):
            self.events.setdefault(decl.name.text, decl)
        elif isinstance(decl, n.Lookup):
            self.lookups.setdefault(decl.name.text, decl)
        if isinstance(decl, (n.Entity, n.Events, n.Lookup)):
            for column in decl.columns:
                self.add(self.column_symbol(decl.name.text, column.name.text, column.name,
                                            column), column.name, key)
        if isinstance(decl, n.Segmentation):
            self.define_segmentation(decl, key)
        if isinstance(decl, n.Experiment):  # its arms are the buckets of its segmentation
            for arm in decl.arms:
                self.add(Symbol(SymbolKey(Space.BUCKET, arm.name.text, decl.name.text),
                                SymbolKind.BUCKET, arm.name.span, arm, type="bool"),
                         arm.name, key)

    def define_segmentation(self, decl: n.Segmentation, key: SymbolKey) -> None:
        name = decl.name.text
        self.scores[name] = {s.name.text for s in decl.scores}
        for score in decl.scores:
            self.add(Symbol(SymbolKey(Space.SCORE, score.name.text, name), SymbolKind.SCORE,
                            score.name.span, score, type="int"), score.name, key)
        buckets = list(decl.buckets)
        if (decl.tiers or decl.clusters) and self.model and name in self.model.segmentations:
            # tier_1 .. tier_N (cluster_1 .. cluster_K) exist in the model only: they are
            # defined by the declaration
            buckets = [n.Bucket(n.Ident(b.name, span=decl.name.span), b.label, None,
                                span=decl.span)
                       for b in self.model.segmentations[name].buckets]
        else:
            buckets.append(decl.otherwise)
        for bucket in buckets:
            self.add(Symbol(SymbolKey(Space.BUCKET, bucket.name.text, name), SymbolKind.BUCKET,
                            bucket.name.span, bucket, bucket.label, type="bool"),
                     bucket.name if bucket.name.span.text.strip("`") == bucket.name.text
                     else None, key)

    def column_symbol(self, table: str, name: str, ident: n.Ident | None,
                      node: n.Node | None) -> Symbol:
        return Symbol(_column(table, name), SymbolKind.COLUMN,
                      ident.span if ident else None, node, type=self.column_type(table, name))

    def add_model_columns(self) -> None:
        """Columns the data has but the files do not declare (key columns included)."""
        if self.model is None:
            return
        for table in self.model.tables:
            parent = _global(table.name)
            for column in table.columns:
                key = _column(table.name, column.name)
                if key not in self.symbols:
                    self.add(self.column_symbol(table.name, column.name, None, None), None,
                             parent)

    def type_of(self, kind: SymbolKind, name: str) -> str | None:
        model = self.model
        if model is None:
            return None
        if kind is SymbolKind.FEATURE and name in model.features:
            return model.features[name].type.value
        if kind is SymbolKind.SEGMENT:
            return "bool"
        if kind is SymbolKind.PARAM and name in model.params:
            return model.params[name].value.type.value
        if kind is SymbolKind.KPI and name in model.kpis:
            return model.kpis[name].expr.type.value
        return None

    def column_type(self, table: str, name: str) -> str | None:
        found = self.model.table(table) if self.model else None
        column = found.column(name) if found else None
        return column.type.value if column else None

    # ---------------------------------------------------------------- references
    def column_ref(self, table: str, ident: n.Ident) -> None:
        key = _column(table, ident.text)
        if key not in self.symbols:  # first named by a key/link clause: defined there
            self.add(self.column_symbol(table, ident.text, ident, None), None,
                     _global(table))
        self.occurrence(key, ident)

    def bind_declaration(self, decl: n.Declaration) -> None:
        name = decl.name.text
        if isinstance(decl, n.Entity):
            self.column_ref(name, decl.key)
        elif isinstance(decl, n.Events):
            if isinstance(decl.link, n.KeyLink):
                self.column_ref(name, decl.link.column)
            else:
                self.occurrence(_global(decl.link.via.text), decl.link.via)
                self.column_ref(name, decl.link.column)
                self.column_ref(decl.link.via.text, decl.link.via_column)
            if decl.time_column is not None:
                self.column_ref(name, decl.time_column)
        elif isinstance(decl, n.Lookup):
            self.column_ref(name, decl.key)
            self.occurrence(_global(decl.owner.text), decl.owner)
            self.column_ref(decl.owner.text, decl.owner_column)
        elif isinstance(decl, (n.Feature, n.Kpi)):
            self.expr(decl.expr, _Scope())
        elif isinstance(decl, n.Segment):
            if decl.extends is not None:
                self.occurrence(_global(decl.extends.text), decl.extends)
            if decl.where is not None:
                self.expr(decl.where, _Scope())
            for expectation in decl.expectations:
                if expectation.other is not None:
                    self.occurrence(_global(expectation.other.text), expectation.other)
        elif isinstance(decl, n.Segmentation):
            for score in decl.scores:
                self.expr(score.by, _Scope())
            for feature in decl.clusters.features if decl.clusters else ():
                self.expr(feature, _Scope())
            for bucket in decl.buckets:
                if bucket.condition is not None:
                    self.expr(bucket.condition, _Scope(segmentation=name))
        elif isinstance(decl, n.Persona):
            self.occurrence(_global(decl.segment.text), decl.segment)
            if decl.bucket is not None:  # `for styles is cluster_3`
                self.occurrence(SymbolKey(Space.BUCKET, decl.bucket.text, decl.segment.text),
                                decl.bucket)
            for field_ in decl.fields:
                if field_.name.text not in m.PERSONA_TEXT_FIELDS:
                    self.name(field_.name, _Scope())
        elif isinstance(decl, n.Experiment):
            self.occurrence(_global(decl.segment.text), decl.segment)
            if decl.stratify is not None and self.entity:  # a column of the entity
                self.column_ref(self.entity, decl.stratify)
            for kpi in decl.kpis:  # a feature or a segment
                self.name(kpi, _Scope())
        elif isinstance(decl, n.Export):
            self.occurrence(_global(decl.segment.text), decl.segment)
            for clause in decl.clauses:
                for ident in clause.names:
                    self.name(ident, _Scope())
        elif isinstance(decl, n.Test):
            for rows in decl.rows:
                self.occurrence(_global(rows.table.text), rows.table)
                for column in rows.columns:
                    self.column_ref(rows.table.text, column)
            for expect in decl.expects:
                self.occurrence(_global(expect.segment.text), expect.segment)
                if expect.bucket is not None:
                    self.occurrence(SymbolKey(Space.BUCKET, expect.bucket.text,
                                              expect.segment.text), expect.bucket)

    def name(self, ident: n.Ident, scope: _Scope) -> None:
        """A bare name: bound as the resolver binds it."""
        text = ident.text
        if scope.segmentation and (text in self.scores.get(scope.segmentation, ())
                                   or text == "scores"):
            if text != "scores":
                self.occurrence(SymbolKey(Space.SCORE, text, scope.segmentation), ident)
            return
        if scope.table is not None:
            if _column(scope.table, text) not in self.symbols and _global(text) in self.symbols:
                self.occurrence(_global(text), ident)  # a parameter (anything else is E108)
            else:
                self.column_ref(scope.table, ident)
        elif self.entity and _column(self.entity, text) in self.symbols:
            self.occurrence(_column(self.entity, text), ident)
        elif _global(text) in self.symbols:
            self.occurrence(_global(text), ident)
        elif self.entity:
            self.column_ref(self.entity, ident)

    def segmentation_named(self, node: n.Node, scope: _Scope) -> str | None:
        """The segmentation a value names at entity level (`rfm` in `rfm is champions`)."""
        if not isinstance(node, n.NameRef) or scope.table is not None:
            return None
        text = node.name.text
        if scope.segmentation and text in self.scores.get(scope.segmentation, ()):
            return None
        if self.entity and _column(self.entity, text) in self.symbols:
            return None
        symbol = self.symbols.get(_global(text))
        return text if symbol is not None and symbol.kind is SymbolKind.SEGMENTATION else None

    def buckets(self, node: n.IsBucket | n.InList, scope: _Scope) -> bool:
        """`rfm is champions`, `rfm in (champions, "loyal")`: the names are rfm's buckets."""
        segmentation = self.segmentation_named(node.value, scope)
        if segmentation is None:
            return False
        self.expr(node.value, scope)
        if isinstance(node, n.IsBucket):
            self.occurrence(SymbolKey(Space.BUCKET, node.bucket.text, segmentation), node.bucket)
            return True
        for item in node.items:
            if isinstance(item, n.NameRef):
                self.occurrence(SymbolKey(Space.BUCKET, item.name.text, segmentation),
                                item.name)
        return True

    def expr(self, node: n.Node, scope: _Scope) -> None:
        if isinstance(node, n.NameRef):
            self.name(node.name, scope)
        elif isinstance(node, (n.IsBucket, n.InList)) and self.buckets(node, scope):
            return
        elif isinstance(node, n.QualifiedRef) and node.table.text in self.scores \
                and scope.table is None and _global(node.table.text) in self.symbols \
                and self.symbols[_global(node.table.text)].kind is SymbolKind.SEGMENTATION:
            self.occurrence(_global(node.table.text), node.table)  # `rfm.r`: a score
            if node.column.text in self.scores[node.table.text]:
                self.occurrence(SymbolKey(Space.SCORE, node.column.text, node.table.text),
                                node.column)
        elif isinstance(node, n.QualifiedRef):
            self.occurrence(_global(node.table.text), node.table)
            self.column_ref(node.table.text, node.column)
        elif isinstance(node, n.Call):
            self.call(node, scope)
        elif isinstance(node, n.Similarity):
            self.occurrence(_global(node.seed.text), node.seed)
            if node.bucket is not None:
                self.occurrence(SymbolKey(Space.BUCKET, node.bucket.text, node.seed.text),
                                node.bucket)
            for feature in node.features:
                self.expr(feature, scope)
        elif isinstance(node, n.WindowLast):
            if isinstance(node.amount, n.Ident):
                self.occurrence(_global(node.amount.text), node.amount)
        elif isinstance(node, (n.WindowSince, n.WindowBefore, n.WindowRange)):
            for value in (getattr(node, f.name) for f in fields(node)):
                if isinstance(value, n.NameRef):
                    self.occurrence(_global(value.name.text), value.name)
        else:
            for child in _children(node):
                self.expr(child, scope)

    def call(self, node: n.Call, scope: _Scope) -> None:
        function = node.function.text
        if function in AGGREGATES or function in SCALAR_FUNCTIONS:
            self.occurrence(SymbolKey(Space.FUNCTION, function), node.function)
        inner = scope
        if function in AGGREGATES and len(node.args) >= 1:
            table = self.aggregated_table(node.args[0])
            if table is not None:
                inner = _Scope(table=table)  # a segmentation's scores are not row values
        for arg in node.args:
            self.expr(arg, inner)
        if node.filter is not None:
            self.expr(node.filter, inner)
        step = node.sequence
        if step is not None:  # `… then [no|first] TABLE [where …] [within N]`
            self.occurrence(_global(step.table.text), step.table)
            if step.filter is not None:
                self.expr(step.filter, _Scope(table=step.table.text))
            if step.within is not None:
                self.expr(step.within, scope)

    def aggregated_table(self, arg: n.Expr) -> str | None:
        """The events table an aggregate runs over (resolve.py's `aggregated_table`)."""
        if isinstance(arg, n.NameRef) and arg.name.text in self.events:
            return arg.name.text
        found: list[str] = []
        for sub in _walk(arg):
            if isinstance(sub, n.QualifiedRef):
                table = self.root_table(sub.table.text)
                if table in self.events and table not in found:
                    found.append(table)
        if len(found) == 1:
            return found[0]
        for table in found:  # lines through orders: orders' columns may appear too
            link = self.events[table].link
            if isinstance(link, n.ThroughLink) and set(found) - {table} == {link.via.text}:
                return table
        return None

    def root_table(self, name: str) -> str:
        seen = set()
        while name in self.lookups and name not in seen:
            seen.add(name)
            name = self.lookups[name].owner.text
        return name


def _children(node: n.Node):
    for f in fields(node):
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        if isinstance(value, n.Node):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, n.Node):
                    yield item
                elif isinstance(item, tuple):
                    yield from (x for x in item if isinstance(x, n.Node))


def _walk(node: n.Node):
    yield node
    for child in _children(node):
        yield from _walk(child)
