"""Experiments and the holdout, resolved: arms as consecutive ranges of slots, and the
segmentation and segment they are evaluated as (docs/experiments.md).

A slot is `ir.Slot`: 0..9999 from a hash of the salt and the entity key, the same on every
engine. Arms take consecutive ranges in the order written (control 10% -> slots 0..999), so a
new member never moves anyone else and changing one arm's share moves only the members
between its old and new boundary (and, when the shares before a later arm change, that
arm's boundary too: put the arms whose share may change last).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal

from .. import ir
from .. import model as m
from ..codes import Code
from ..diagnostics import did_you_mean
from ..source import Span
from ..syntax import nodes as n

HOLDOUT = "holdout"  # the segment a `holdout` declaration is evaluated as
OUTSIDE = "outside"  # the last bucket of an experiment: not in any arm

Report = Callable[..., None]  # (code, message, span, *hints)

T = ir.Type


def slots(percent: int | Decimal, span: Span | None, what: str, report: Report) -> int | None:
    """A share in percent as a number of slots (1% = 100 slots), or None after an error."""
    value = Decimal(percent) * m.SLOTS / 100
    if value <= 0 or value != value.to_integral_value():
        report(Code.E112, f"{what} must be a positive share in hundredths of a percent "
               f"(0.01% to 100%), not {percent}%", span,
               "a share is a whole number of slots out of 10000: 0.01% is one slot")
        return None
    return int(value)


def slot_of(model_entity: m.Table, salt: str) -> ir.Slot:
    key = ir.Column(model_entity.name, model_entity.key or "", type=_key_type(model_entity))
    return ir.Slot(salt, key, type=T.INT)


def _key_type(entity: m.Table) -> ir.Type:
    column = entity.column(entity.key or "")
    return column.type if column is not None else T.ANY


def resolve_holdout(decl: n.Holdout, entity: m.Table, report: Report
                    ) -> tuple[m.Holdout, m.Segment] | None:
    high = slots(decl.share.value, decl.share.span, "the holdout", report)
    salt = _salt(decl.salt, report)
    if high is None or salt is None:
        return None
    if high >= m.SLOTS:
        report(Code.E112, "a holdout of 100% would leave no one to contact", decl.share.span,
               "a holdout is usually 1% to 10%")
        return None
    holdout = m.Holdout(salt, high, decl.span)
    condition = ir.Compare(ir.CompareOp.LT, slot_of(entity, salt),
                           ir.Literal(high, type=T.INT), type=T.BOOL, span=decl.span)
    segment = m.Segment(HOLDOUT, "Global holdout", "kept out of every experiment and export",
                        None, (), None, (condition,), decl.span)
    return holdout, segment


def resolve_experiment(decl: n.Experiment, entity: m.Table, segments: dict[str, m.Segment],
                       holdout: m.Holdout | None, report: Report,
                       feature_of: Callable[[str], m.Feature | None] | None = None,
                       feature_names: Collection[str] = ()
                       ) -> tuple[m.Experiment, m.Segmentation] | None:
    """`feature_of`: the resolver's feature (resolved on demand) of a name in
    `feature_names`, for the declared KPIs."""
    ok = _check_kpis(decl, segments, feature_of, feature_names, report)
    if decl.segment.text not in segments:
        report(Code.E101, f"unknown segment `{decl.segment.text}`", decl.segment.span,
               did_you_mean(decl.segment.text, segments))
        ok = False
    salt = _salt(decl.salt, report)
    arms: list[m.Arm] = []
    low = 0
    seen: set[str] = set()
    for arm in decl.arms:
        if arm.name.text in seen or arm.name.text == OUTSIDE:
            report(Code.E112, f"arm `{arm.name.text}` appears twice in experiment "
                   f"`{decl.name.text}`" if arm.name.text in seen else
                   f"`{OUTSIDE}` names the members of no arm", arm.name.span,
                   "give each arm its own name")
            ok = False
            continue
        seen.add(arm.name.text)
        width = slots(arm.share.value, arm.share.span, f"the share of arm `{arm.name.text}`",
                      report)
        if width is None:
            ok = False
            continue
        arms.append(m.Arm(arm.name.text, low, low + width))
        low += width
    if low > m.SLOTS:
        report(Code.E112, f"the arms of experiment `{decl.name.text}` add up to "
               f"{Decimal(low) / 100}%, more than 100%", decl.name.span,
               "shares are of the segment's members: they add up to at most 100%")
        ok = False
    stratify = decl.stratify.text if decl.stratify is not None else None
    if stratify is not None and entity.column(stratify) is None:
        report(Code.E101, f"`{stratify}` is not a column of `{entity.name}`: an experiment is "
               "stratified by a column of the entity", decl.stratify.span,
               did_you_mean(stratify, [c.name for c in entity.columns]))
        ok = False
    if not ok or salt is None:
        return None
    experiment = m.Experiment(decl.name.text, decl.label, decl.segment.text, salt,
                              tuple(arms), decl.span, stratify,
                              tuple(dict.fromkeys(k.text for k in decl.kpis)))
    return experiment, segmentation_for(experiment, entity, holdout)


def segmentation_for(experiment: m.Experiment, entity: m.Table,
                     holdout: m.Holdout | None) -> m.Segmentation:
    """Bucket ARM when the entity is in the segment, not in the holdout, and its slot (its
    stratified slot, under `stratify by`) is in the arm's range; else `outside`."""
    span = experiment.span
    slot: ir.Expr = slot_of(entity, experiment.salt)
    member: list[ir.Expr] = [ir.SegmentRef(experiment.segment, type=T.BOOL, span=span)]
    if holdout is not None:
        member.append(ir.Not(ir.SegmentRef(HOLDOUT, type=T.BOOL, span=span), type=T.BOOL,
                             span=span))
    if experiment.stratify is not None:
        column = entity.column(experiment.stratify)
        stratum = ir.Column(entity.name, experiment.stratify,
                            type=column.type if column is not None else T.ANY, span=span)
        among = member[0] if len(member) == 1 else \
            ir.Logic(ir.LogicOp.AND, tuple(member), type=T.BOOL, span=span)
        assert isinstance(slot, ir.Slot)
        slot = ir.StratifiedSlot(experiment.salt, slot.key, stratum, among, type=T.INT,
                                 span=span)
    buckets = []
    for arm in experiment.arms:
        in_range = [ir.Compare(ir.CompareOp.GE, slot, ir.Literal(arm.low, type=T.INT),
                               type=T.BOOL, span=span),
                    ir.Compare(ir.CompareOp.LT, slot, ir.Literal(arm.high, type=T.INT),
                               type=T.BOOL, span=span)]
        condition = ir.Logic(ir.LogicOp.AND, (*member, *in_range), type=T.BOOL, span=span)
        buckets.append(m.Bucket(arm.name, None, condition, span))
    buckets.append(m.Bucket(OUTSIDE, "Not in the experiment", None, span))
    return m.Segmentation(experiment.name, experiment.label, tuple(buckets), span)


def _check_kpis(decl: n.Experiment, segments: dict[str, m.Segment], feature_of,
                feature_names: Collection[str], report: Report) -> bool:
    """A declared KPI is a segment (a rate) or a feature that is a number (a mean) or true or
    false (a rate)."""
    ok = True
    for ident in decl.kpis:
        if ident.text in segments:
            continue
        if ident.text in feature_names and feature_of is not None:
            feature = feature_of(ident.text)
            if feature is None:
                ok = False
            elif feature.type is not T.BOOL and not feature.type.is_numeric and \
                    feature.type is not T.ANY:
                report(Code.E201, f"feature `{ident.text}` is {feature.type.with_article}: a "
                       "readout KPI is a number (a mean) or true/false (a rate)", ident.span,
                       "name a numeric or true/false feature, or a segment")
                ok = False
            continue
        report(Code.E101, f"`{ident.text}` is neither a feature nor a segment: a readout KPI "
               "is one", ident.span, did_you_mean(ident.text, [*segments, *feature_names]))
        ok = False
    return ok


def _salt(literal: n.Literal, report: Report) -> str | None:
    text = str(literal.value)
    if not text.strip():
        report(Code.E112, "a salt must not be empty", literal.span,
               "use a text unique to this experiment, e.g. its name and start date")
        return None
    return text
