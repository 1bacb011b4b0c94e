"""The resolver's definitions: features, segments, personas, KPIs (with their
aggregates over groups), permits and tests."""

from __future__ import annotations

import dataclasses

from .. import catalogue, ir
from .. import model as m
from ..catalogue import OverGroup
from ..codes import Code
from ..diagnostics import did_you_mean
from ..syntax import nodes as n
from .bind_names import _Scope
from .privacy import personal_column, purpose_problem

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


class DefinitionResolution:
    """Mixed into the resolver (resolve.py): one method per definition kind."""

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

    def resolve_persona(self, decl: n.Persona) -> m.Persona | None:
        ok = True
        if decl.bucket is not None:  # `for styles is cluster_3`: a segmentation's bucket
            ok = self.persona_bucket(decl)
        elif decl.segment.text not in self.segments:
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
                         decl.span, purpose, allow,
                         decl.bucket.text if decl.bucket is not None else None)

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
        return m.Kpi(decl.name.text, decl.label, expr, decl.span, purpose, allow, decl.display,
                     decl.currency)

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
