"""The semantic diff's dependencies between objects and the definitions that changed."""

from __future__ import annotations

import dataclasses

from .. import ir
from .. import model as m

# ---------------------------------------------------------------- dependencies


def _depends_on(expr: ir.Expr | None) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    if expr is None:
        return found
    for node in expr.walk():
        if isinstance(node, ir.FeatureRef):
            found.add(("feature", node.name))
        elif isinstance(node, ir.SegmentRef):
            found.add(("segment", node.name))
        elif isinstance(node, ir.Aggregate | ir.Column):
            found.add(("source", node.table))
        elif isinstance(node, ir.Score):
            found |= _depends_on(node.by)
        elif isinstance(node, ir.SegmentationRef):
            found.add(("segmentation", node.name))
    return found


def _dependencies(model: m.Model) -> dict[tuple[str, str], set[tuple[str, str]]]:
    deps: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for table in model.tables:
        links = {("source", name) for name in (table.through, table.owner) if name}
        deps[("source", table.name)] = links
    for name, feature in model.features.items():
        deps[("feature", name)] = _depends_on(feature.expr)
    for name, segment in model.segments.items():
        deps[("segment", name)] = _depends_on(segment.predicate)
    for name, segmentation in model.segmentations.items():
        found: set[tuple[str, str]] = set()
        for bucket in segmentation.buckets:
            found |= _depends_on(bucket.condition)
        for score in segmentation.scores:
            found |= _depends_on(score.by)
        deps[("segmentation", name)] = found
    for name, kpi in model.kpis.items():
        deps[("kpi", name)] = _depends_on(kpi.expr)
    for name, persona in model.personas.items():
        deps[("persona", name)] = {("segment" if persona.bucket is None else "segmentation",
                                    persona.segment)}
    return deps


# ---------------------------------------------------------------- definitions


def _table_definition(table: m.Table) -> object:
    # Locations compare as written: two folders compared side by side resolve the same
    # relative path to different files, and that is not a change of the definition.
    locations = tuple((loc.kind, loc.target) for loc in table.locations)
    return dataclasses.replace(table, locations=()), locations


def _definitions(model: m.Model) -> dict[tuple[str, str], object]:
    """What decides each object's members or values (not labels or descriptions)."""
    out: dict[tuple[str, str], object] = {}
    for table in model.tables:
        out[("source", table.name)] = _table_definition(table)
    for name, param in model.params.items():
        out[("param", name)] = param.value
    for name, feature in model.features.items():
        out[("feature", name)] = feature.expr
    for name, segment in model.segments.items():
        out[("segment", name)] = segment.conditions
    for name, segmentation in model.segmentations.items():
        out[("segmentation", name)] = (
            tuple((b.name, b.condition) for b in segmentation.buckets), segmentation.scores)
    for name, kpi in model.kpis.items():
        out[("kpi", name)] = kpi.expr
    for name, persona in model.personas.items():
        out[("persona", name)] = (persona.target, persona.profile)
    for name, test in model.tests.items():
        out[("test", name)] = (test.as_of, test.rows, test.expects)
    return out


def _changed_definitions(base: m.Model, head: m.Model) -> set[tuple[str, str]]:
    """Objects whose own definition differs, plus (to a fixed point) every object depending on
    one: those mean something else in the head version."""
    before, after = _definitions(base), _definitions(head)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    deps = {**_dependencies(base), **_dependencies(head)}
    grew = True
    while grew:
        grew = False
        for key, uses in deps.items():
            if key not in changed and uses & changed:
                changed.add(key)
                grew = True
    return changed
