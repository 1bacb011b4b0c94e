"""L101, L102: personal data (`pii` and `sensitive` columns) is used for a declared purpose
or with consent, and does not leave the warehouse in segl's outputs.

"Export" in segl today means what a command writes or prints per entity or per value:
`segl run --out` writes entity keys (and, in the wide shape, every segmentation score),
`segl test` prints keys, and `segl persona` prints the segment members' commonest values of
each profile column.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import ir
from .. import model as m
from .. import nodes as n
from ..diagnostics import Diagnostic
from .context import PERSONAL_TAGS, Context
from .rules import finding

_PURPOSE_HINT = 'add `purpose "why this personal data is needed"`'


def personal_data_without_purpose(context: Context) -> Iterator[Diagnostic]:
    model = context.model
    for segment in model.segments.values():
        used = context.personal_columns(segment.predicate)
        if used and segment.purpose is None and not _requires_consent(
                context, segment.conditions, 0):
            yield finding(
                "L101", f"segment `{segment.name}` uses personal data ({', '.join(used)}) "
                "without a purpose or a consent condition",
                context.name_span(n.Segment, segment.name, segment.span),
                f"{_PURPOSE_HINT} (block form), or require consent in the condition, e.g. "
                "`and consent_marketing` on a column declared `bool consent`")
    for segmentation in model.segmentations.values():
        exprs = [b.condition for b in segmentation.buckets if b.condition is not None]
        used = [c for e in (*exprs, *(s.by for s in segmentation.scores))
                for c in context.personal_columns(e)]
        if used and segmentation.purpose is None:
            yield finding(
                "L101", f"segmentation `{segmentation.name}` uses personal data "
                f"({', '.join(dict.fromkeys(used))}) without a purpose",
                context.name_span(n.Segmentation, segmentation.name, segmentation.span),
                f"{_PURPOSE_HINT} as the first line of the block")
    for kpi in model.kpis.values():
        used = context.personal_columns(kpi.expr)
        if used and kpi.purpose is None:
            yield finding(
                "L101", f"KPI `{kpi.name}` uses personal data ({', '.join(used)}) without a "
                "purpose", context.name_span(n.Kpi, kpi.name, kpi.span),
                f'{_PURPOSE_HINT} after the expression: `kpi {kpi.name} = … purpose "…"`')


def _requires_consent(context: Context, conditions: tuple[ir.Expr, ...], depth: int) -> bool:
    """Does one of these `and`-ed conditions require a `consent` column to be true?"""
    if depth > 20:
        return False
    for condition in conditions:
        for term in ir.conjuncts(condition):
            if _is_consent(context, term):
                return True
            if isinstance(term, ir.SegmentRef) and term.name in context.model.segments:
                parent = context.model.segments[term.name]
                if _requires_consent(context, parent.conditions, depth + 1):
                    return True
            if isinstance(term, ir.FeatureRef) and term.name in context.model.features:
                feature = context.model.features[term.name]
                if _requires_consent(context, (feature.expr,), depth + 1):
                    return True
    return False


def _is_consent(context: Context, term: ir.Expr) -> bool:
    if isinstance(term, ir.Column):
        return "consent" in context.column_tags(term)
    if isinstance(term, ir.Compare) and term.op == "=":
        for column, value in ((term.left, term.right), (term.right, term.left)):
            if isinstance(column, ir.Column) and isinstance(value, ir.Literal) and \
                    value.value is True:
                return "consent" in context.column_tags(column)
    return False


def personal_data_exported(context: Context) -> Iterator[Diagnostic]:
    model = context.model
    entity = model.entity
    key = entity.column(entity.key or "")
    personal = [t for t in (key.tags if key else ()) if t in PERSONAL_TAGS]
    if personal and (model.segments or model.segmentations):
        yield finding(
            "L102", f"the entity key `{entity.key}` is {' and '.join(personal)}: `segl run "
            "--out` writes it for every member", _column_span(context, entity) or entity.span,
            "key the entity by a pseudonymous id and keep the personal value a column")
    for segmentation in model.segmentations.values():
        for score in segmentation.scores:
            used = context.personal_columns(score.by)
            if used:
                yield finding(
                    "L102", f"score `{score.name}` of `{segmentation.name}` is computed from "
                    f"personal data ({', '.join(used)}) and written to `segl run --shape wide` "
                    f"output as `{segmentation.name}__{score.name}`", score.span,
                    "score a value that is not personal, or keep this segmentation out of "
                    "exported runs (`segl run --segment …`)")
    for persona in model.personas.values():
        for attribute in persona.profile:
            column = entity.column(attribute)
            tags = [t for t in (column.tags if column else ()) if t in PERSONAL_TAGS]
            if tags:
                yield finding(
                    "L102", f"persona `{persona.name}` profiles `{attribute}` "
                    f"({', '.join(tags)}): `segl persona` prints the members' commonest values "
                    "of it", _persona_field_span(context, persona, attribute) or persona.span,
                    "profile a feature derived from it (an age band, a region) instead")


def _column_span(context: Context, entity: m.Table):
    decl = context.declaration(n.Entity, entity.name)
    if decl is None:
        return None
    for column in decl.columns:
        if column.name.text == entity.key:
            return column.span
    return decl.key.span


def _persona_field_span(context: Context, persona: m.Persona, attribute: str):
    decl = context.declaration(n.Persona, persona.name)
    if decl is None:
        return None
    return next((f.span for f in decl.fields if f.name.text == attribute), None)


CHECKS = {"L101": personal_data_without_purpose, "L102": personal_data_exported}
