"""L101, L102: personal data (`pii` and `sensitive` columns, and lookups joined through
them) is used for a declared purpose or with consent, and leaves segl's outputs only where
its object allows it. Which values are personal, and which outputs are refused, is
compiler/semantic/privacy.py's
to say (docs/privacy.md): the commands refuse exactly what L102 finds.
"""

from __future__ import annotations

from collections.abc import Iterator

from ... import ir
from ...codes import Code
from ...diagnostics import Diagnostic
from ...semantic.privacy import Owner, all_outputs, refusals
from ...syntax import nodes as n
from .context import Context
from .rules import finding

_PURPOSE_HINT = 'add `purpose "why this personal data is needed"`'


def personal_data_without_purpose(context: Context) -> Iterator[Diagnostic]:
    model = context.model
    for segment in model.segments.values():
        used = context.personal_columns(segment.predicate)
        if used and segment.purpose is None and not _requires_consent(
                context, segment.conditions, 0):
            yield finding(
                Code.L101, f"segment `{segment.name}` uses personal data ({', '.join(used)}) "
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
                Code.L101, f"segmentation `{segmentation.name}` uses personal data "
                f"({', '.join(dict.fromkeys(used))}) without a purpose",
                context.name_span(n.Segmentation, segmentation.name, segmentation.span),
                f"{_PURPOSE_HINT} as the first line of the block")
    for kpi in model.kpis.values():
        used = context.personal_columns(kpi.expr)
        if used and kpi.purpose is None:
            yield finding(
                Code.L101, f"KPI `{kpi.name}` uses personal data ({', '.join(used)}) without a "
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
    """What every command would refuse to output (error E504 there): the same facts and
    the same function, over every output of every object."""
    for refusal in refusals(context.model, all_outputs(context.model)):
        permit = refusal.output.permit
        yield finding(Code.L102, refusal.message,
                      context.name_span(_DECLARATIONS[permit.kind], permit.name, permit.span),
                      *refusal.hints)


_DECLARATIONS = {Owner.FEATURE: n.Feature, Owner.SEGMENT: n.Segment,
                 Owner.SEGMENTATION: n.Segmentation, Owner.KPI: n.Kpi, Owner.PERSONA: n.Persona}


CHECKS = {Code.L101: personal_data_without_purpose, Code.L102: personal_data_exported}
