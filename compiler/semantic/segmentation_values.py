"""Segmentations as values (issue 13 item 3), a part of the resolver (`resolve.py`).

`rfm` is the name of the entity's bucket (`ir.SegmentationRef`, text, never missing);
`rfm is champions`, `rfm in (champions, loyal)`, `rfm not in (…)` and `rfm = "champions"`
compare it with bucket names, each checked against the segmentation (E101 with "did you
mean"); `rfm.r` is a score (`ir.Score`, 1..bins, missing without a value) and `rfm.scores`
all its digits. Segmentations are resolved where they are used, like features, so a cycle
through one (`rfm` bucketed by a feature that reads `rfm`) is E103 at the reference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import ir
from .. import model as m
from ..codes import Code
from ..diagnostics import did_you_mean
from ..source import Span
from ..syntax import nodes as n

if TYPE_CHECKING:
    from .bind_names import _Scope


class SegmentationValues:
    """Mixed into the resolver: it provides `error`, `enter`, `expr`, `in_progress`,
    `broken`, `failed_names`, `segmentation_decls`, `segmentations`, `resolve_segmentation`."""

    def resolve_segmentation_named(self, name: str, span: Span | None
                                   ) -> m.Segmentation | None:
        if name in self.segmentations:
            return self.segmentations[name]
        if name in self.broken:
            return None
        if self.enter("segmentation", name, span):
            return None
        segmentation = self.resolve_segmentation(self.segmentation_decls[name])
        self.in_progress.pop()
        if segmentation is None:
            self.broken.add(name)
            return None
        self.segmentations[name] = segmentation
        return segmentation

    def segmentation_value(self, name: str, span: Span | None) -> ir.Expr | None:
        if self.resolve_segmentation_named(name, span) is None:
            return None
        return ir.SegmentationRef(name, type=ir.Type.TEXT, span=span)

    def segmentation_score(self, node: n.QualifiedRef) -> ir.Expr | None:
        """`rfm.r`: the score `r` of segmentation `rfm`; `rfm.scores`: all its digits."""
        name, score_name = node.table.text, node.column.text
        segmentation = self.resolve_segmentation_named(name, node.table.span)
        if segmentation is None:
            return None
        scores = {score.name: score for score in segmentation.scores}
        if score_name in scores:
            return ir.Score(**{f: getattr(scores[score_name], f) for f in (
                "segmentation", "name", "by", "higher_is_better", "bins", "method",
                "thresholds")}, type=ir.Type.INT, span=node.span)
        if score_name == "scores" and scores:
            return ir.Func("score_code", tuple(scores.values()), type=ir.Type.TEXT,
                           span=node.span)
        buckets = [b.name for b in segmentation.buckets]
        hint = did_you_mean(score_name, [*scores, *(["scores"] if scores else [])])
        if score_name in buckets:
            hint = f"`{score_name}` is a bucket: write `{name} is {score_name}`"
        self.error(Code.E101, f"segmentation `{name}` has no score `{score_name}`",
                   node.column.span, hint or (
                       f"its scores: {', '.join(scores)}" if scores else
                       f"`{name}` declares no `score`; its buckets: {', '.join(buckets)}"))
        return None

    def bucket(self, ref: ir.SegmentationRef, text: str, span: Span | None) -> ir.Expr | None:
        """The bucket name `text` of `ref`'s segmentation as a text literal, or E101."""
        segmentation = self.segmentations[ref.name]
        names = [b.name for b in segmentation.buckets]
        if text in names:
            return ir.Literal(text, type=ir.Type.TEXT, span=span)
        self.error(Code.E101, f"segmentation `{ref.name}` has no bucket `{text}`", span,
                   did_you_mean(text, names) or f"its buckets: {', '.join(names)}")
        return None

    def expr_IsBucket(self, node: n.IsBucket, scope: _Scope) -> ir.Expr | None:
        value = self.expr(node.value, scope)
        if value is None:
            return None
        if not isinstance(value, ir.SegmentationRef):
            self.error(Code.E201, f"`is {node.bucket.text}` compares a segmentation with one of "
                       "its buckets, and this is not a segmentation", node.value.span,
                       "e.g. `rfm is champions`; a missing value is `is missing`")
            return None
        bucket = self.bucket(value, node.bucket.text, node.bucket.span)
        if bucket is None:
            return None
        return ir.Compare(ir.CompareOp.EQ, value, bucket, type=ir.Type.BOOL, span=node.span)

    def bucket_list(self, value: ir.SegmentationRef, node: n.InList) -> ir.Expr | None:
        """`rfm in (champions, loyal)`: each item a bucket name (or its name as a string)."""
        items = []
        for item in node.items:
            if isinstance(item, n.NameRef):
                text = item.name.text
            elif isinstance(item, n.Literal) and item.kind == "string":
                text = item.value
            else:
                self.error(Code.E201, f"`{value.name}` is a bucket name: list the buckets it "
                           "may be", item.span, f"e.g. `{value.name} in (champions, loyal)`")
                return None
            bucket = self.bucket(value, text, item.span)
            if bucket is None:
                return None
            items.append(bucket)
        return ir.InList(value, tuple(items), node.negated, type=ir.Type.BOOL, span=node.span)

    def profile_bucket(self, name: str, field_: n.PersonaField) -> ir.Literal | None:
        """A persona's `rfm "champions"`: one of the segmentation's buckets, as text."""
        ref = self.segmentation_value(name, field_.name.span)
        if ref is None:
            return None
        value = field_.value
        if not isinstance(value, n.Literal) or value.kind != "string":
            first = self.segmentations[name].buckets[0].name
            self.error(Code.E201, f"`{name}` is a segmentation: give the persona's bucket as "
                       "a string", field_.span, f'e.g. `{name} "{first}"`')
            return None
        return self.bucket(ref, value.value, value.span)

    def persona_bucket(self, decl: n.Persona) -> bool:
        """`persona … for styles is cluster_3`: a segmentation and one of its buckets."""
        return self.bucket_of(decl.segment, decl.bucket) is not None

    def bucket_of(self, segmentation: n.Ident, bucket: n.Ident) -> ir.Expr | None:
        """`S is B` outside an expression (a persona's or a lookalike's seed): the test
        `S = "B"`, or E101 for an unknown segmentation or bucket."""
        name = segmentation.text
        if name not in self.segmentation_decls:
            if name not in self.failed_names:
                self.error(Code.E101, f"unknown segmentation `{name}`", segmentation.span,
                           did_you_mean(name, self.segmentation_decls))
            return None
        ref = self.segmentation_value(name, segmentation.span)
        if ref is None:
            return None
        literal = self.bucket(ref, bucket.text, bucket.span)
        if literal is None:
            return None
        return ir.Compare(ir.CompareOp.EQ, ref, literal, type=ir.Type.BOOL, span=bucket.span)

    def bucket_literals(self, left: ir.Expr, right: ir.Expr) -> bool:
        """`rfm = "champions"`: the text must be one of the buckets (else E101)."""
        for ref, other in ((left, right), (right, left)):
            if isinstance(ref, ir.SegmentationRef) and isinstance(other, ir.Literal) \
                    and isinstance(other.value, str):
                return self.bucket(ref, other.value, other.span) is not None
        return True
