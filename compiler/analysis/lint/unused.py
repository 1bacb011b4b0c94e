"""L401, L402: features and parameters that nothing uses.

A feature is used when a feature, segment, segmentation (bucket or score), KPI or persona
profile refers to it; `segl run` writes segments, not features. A parameter is used where
its name appears in an expression or a window. Both are judged over every file that loads
the declaring file (see `Rule.whole_project`)."""

from __future__ import annotations

from collections.abc import Iterator

from ... import ir
from ...codes import Code
from ...diagnostics import Diagnostic
from ...semantic.loading import is_library_file
from ...syntax import nodes as n
from .context import Context
from .rules import finding


def _expressions(context: Context) -> Iterator[ir.Expr]:
    model = context.model
    for feature in model.features.values():
        yield feature.expr
    for segment in model.segments.values():
        yield from segment.conditions
    for segmentation in model.segmentations.values():
        yield from (b.condition for b in segmentation.buckets if b.condition is not None)
        yield from segmentation.scores
    for kpi in model.kpis.values():
        yield kpi.expr


def unused_feature(context: Context) -> Iterator[Diagnostic]:
    used = {node.name for expr in _expressions(context) for node in expr.walk()
            if isinstance(node, ir.FeatureRef)}
    used.update(a for persona in context.model.personas.values() for a in persona.profile)
    used.update(t.name for export in context.model.exports.values()
                for t in (*export.traits, *((export.consent,) if export.consent else ())))
    for feature in context.model.features.values():
        if feature.name in used or (feature.span and is_library_file(feature.span.path)):
            continue
        yield finding(Code.L401, f"feature `{feature.name}` is not used by any segment, "
                      "segmentation, KPI, persona, export or other feature",
                      context.name_span(n.Feature, feature.name, feature.span),
                      "delete it, or use it")


def _ast_names(node: object) -> Iterator[str]:
    """Every name an expression of the AST mentions, windows included."""
    if isinstance(node, n.NameRef):
        yield node.name.text
    elif isinstance(node, n.WindowLast) and isinstance(node.amount, n.Ident):
        yield node.amount.text
    if isinstance(node, n.Node):
        for value in vars(node).values():
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                for sub in item if isinstance(item, tuple) else (item,):
                    if isinstance(sub, n.Node) and not isinstance(sub, n.Ident):
                        yield from _ast_names(sub)


def unused_parameter(context: Context) -> Iterator[Diagnostic]:
    used: set[str] = set()
    for file in context.files:
        for decl in file.module.declarations:
            if not isinstance(decl, n.Param):
                used.update(_ast_names(decl))
    for param in context.model.params.values():
        if param.name in used or (param.span and is_library_file(param.span.path)):
            continue
        yield finding(Code.L402, f"parameter `{param.name}` is not used anywhere",
                      context.name_span(n.Param, param.name, param.span),
                      "delete it; an override of it (--param, segl.toml) changes nothing")


CHECKS = {Code.L401: unused_feature, Code.L402: unused_parameter}
