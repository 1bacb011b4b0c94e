"""Binding an expression's names: literals, parameters, `as_of`, columns of the entity,
of lookups and (inside an aggregate) of events tables, features and segments."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .. import ir
from ..codes import Code
from ..diagnostics import did_you_mean
from ..source import Span
from ..syntax import nodes as n


@dataclass(frozen=True)
class _Scope:
    table: str | None = None  # the events table inside an aggregate, None at entity level
    local: dict[str, ir.Expr] | None = None  # a segmentation's scores in its buckets
    kpi: bool = False  # in a KPI: aggregates are over a group of entities


class NameBinding:
    """Mixed into the resolver (resolve.py): `expr` dispatches on the node's class."""

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
                # a correlated condition: the entity's value, the same for each of its rows
                # (`sum(orders.amount where ordered_at > first_order)`; `correlation.py`)
                return self.expr(node, _Scope())
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
        if table_name not in allowed and scope.table is not None and \
                table_name in self.visible_tables(_Scope()):
            return self.expr_QualifiedRef(node, _Scope())  # the entity's value (correlated)
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
