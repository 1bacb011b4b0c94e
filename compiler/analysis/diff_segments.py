"""The semantic diff of segments and segmentations: conditions, and buckets, narrowed or
widened."""

from __future__ import annotations

from .. import ir
from .. import model as m
from .diff_changes import (
    _expectation_changes,
    _metadata_changes,
    _of,
    _value,
    _verdict,
)
from .diff_results import (
    NARROWS,
    SAME,
    UNKNOWN,
    WIDENS,
    Change,
    ObjectDiff,
)
from .diff_texts import (
    Texts,
    _subject,
)


class SegmentDiffer:
    """Mixed into the differ (semantic_diff.py): segments, segmentations, buckets."""

    def segments(self) -> list[ObjectDiff]:
        before, after = _of(self.base, "segments"), _of(self.head, "segments")
        out = self.added_removed("segment", before, after)
        for name, new in after.items():
            old = before.get(name)
            if old is None:
                continue
            changes = self.condition_changes(old, new)
            changes += _metadata_changes(old, new)
            changes += _expectation_changes(old.expectations, new.expectations)
            through = self.through("segment", name)
            if not changes and not through:
                continue
            direction = None
            if ("segment", name) in self.changed:
                direction = self.direction(self.base_expr(old.predicate), new.predicate)
            out.append(ObjectDiff("segment", name, "changed", tuple(changes), direction, through,
                                  new.label))
        return out

    def conditions(self, segment: m.Segment, texts: Texts, base: bool
                   ) -> list[tuple[str, ir.Expr, str | None]]:
        out = []
        for index, condition in enumerate(segment.conditions):
            if index == 0 and segment.parent:
                text = f"extends {segment.parent}"
            else:
                text = texts.of(condition)
            shown = self.base_expr(condition) if base else condition
            out.append((text, shown, _subject(texts, condition)))
        return out

    def condition_changes(self, old: m.Segment, new: m.Segment) -> list[Change]:
        before = self.conditions(old, self.base_text, True)
        after = self.conditions(new, self.head_text, False)
        changes: list[Change] = []
        unmatched_before = list(before)
        unmatched_after = []
        for item in after:
            twin = next((b for b in unmatched_before if b[0] == item[0]), None)
            if twin is None:
                unmatched_after.append(item)
                continue
            unmatched_before.remove(twin)
            if twin[1] != item[1]:  # reads the same, means something else
                changes.append(Change("condition", twin[0], item[0],
                                      self.direction(twin[1], item[1]),
                                      self.note(twin[0], item[0], item[1])))
        pairs = []
        for item in list(unmatched_after):
            twin = next((b for b in unmatched_before if item[2] and b[2] == item[2]), None)
            if twin is not None:
                pairs.append((twin, item))
                unmatched_before.remove(twin)
                unmatched_after.remove(item)
        if len(unmatched_before) == 1 and len(unmatched_after) == 1:
            pairs.append((unmatched_before.pop(), unmatched_after.pop()))
        for old_item, new_item in pairs:
            changes.append(Change("condition", old_item[0], new_item[0],
                                  self.direction(old_item[1], new_item[1])))
        for item in unmatched_before:
            changes.append(Change("condition removed", item[0], None, WIDENS))
        for item in unmatched_after:
            changes.append(Change("condition added", None, item[0], NARROWS))
        if not changes and [b[0] for b in before] != [a[0] for a in after]:
            changes.append(Change("conditions reordered", " and ".join(b[0] for b in before),
                                  " and ".join(a[0] for a in after), SAME))
        return changes

    # ---- segmentations and their buckets
    def segmentations(self) -> list[ObjectDiff]:
        before, after = _of(self.base, "segmentations"), _of(self.head, "segmentations")
        out = self.added_removed("segmentation", before, after)
        for name, new in after.items():
            if name not in before:
                for bucket in new.buckets:
                    out.append(ObjectDiff("bucket", f"{name}.{bucket.name}", "added",
                                          label=bucket.label))
        for name, old in before.items():
            if name not in after:
                for bucket in old.buckets:
                    out.append(ObjectDiff("bucket", f"{name}.{bucket.name}", "removed",
                                          label=bucket.label))
        for name, new in after.items():
            old = before.get(name)
            if old is None:
                continue
            changes = _metadata_changes(old, new)
            old_scores = {s.name: s for s in old.scores}
            new_scores = {s.name: s for s in new.scores}
            for score in sorted(old_scores.keys() | new_scores.keys()):
                a, b = old_scores.get(score), new_scores.get(score)
                renamed_a = self.base_expr(a) if a is not None else None
                if renamed_a != b:
                    changes.append(Change("score", self.score_text(a, self.base_text),
                                          self.score_text(b, self.head_text), UNKNOWN))
            old_names = [b.name for b in old.buckets]
            new_names = [b.name for b in new.buckets]
            common = [b for b in new_names if b in old_names]
            if [b for b in old_names if b in new_names] != common:
                changes.append(Change("bucket order", ", ".join(old_names),
                                      ", ".join(new_names)))
            through = self.through("segmentation", name)
            if changes or through:
                out.append(ObjectDiff("segmentation", name, "changed", tuple(changes), None,
                                      through, new.label))
            out += self.buckets(name, old, new)
        return out

    def score_text(self, score: ir.Score | None, texts: Texts) -> str | None:
        if score is None:
            return None
        method = score.method
        if method == "thresholds":
            method += f" ({', '.join(_value(t.value) for t in score.thresholds)})"
        better = "higher" if score.higher_is_better else "lower"
        return (f"score {score.name} by {texts.of(score.by)} {better} is better into "
                f"{score.bins} {method}")

    def buckets(self, segmentation: str, old: m.Segmentation, new: m.Segmentation
                ) -> list[ObjectDiff]:
        out = []
        old_buckets = {b.name: b for b in old.buckets}
        new_names = [b.name for b in new.buckets]
        for bucket in old.buckets:
            if bucket.name not in new_names:
                out.append(ObjectDiff("bucket", f"{segmentation}.{bucket.name}", "removed",
                                      label=bucket.label))
        for index, bucket in enumerate(new.buckets):
            name = f"{segmentation}.{bucket.name}"
            previous = old_buckets.get(bucket.name)
            if previous is None:
                out.append(ObjectDiff("bucket", name, "added", label=bucket.label))
                continue
            old_index = [b.name for b in old.buckets].index(bucket.name)
            earlier_old = [self.base_expr(b.condition) for b in old.buckets[:old_index]
                           if b.condition is not None]
            earlier_new = [b.condition for b in new.buckets[:index] if b.condition is not None]
            own_old = self.base_expr(previous.condition) if previous.condition else None
            own_new = bucket.condition
            changes = _metadata_changes(previous, bucket)
            if own_old != own_new:
                before = self.base_text.of(previous.condition) if previous.condition else "else"
                after = self.head_text.of(own_new) if own_new is not None else "else"
                changes.append(Change("condition", before, after,
                                      self.direction(own_old, own_new),
                                      self.note(before, after, own_new) if own_new else ""))
            earlier_changed = earlier_old != earlier_new
            if not changes and not earlier_changed:
                continue
            through = ()
            if earlier_changed:
                through = (f"an earlier bucket of `{segmentation}` (the first that matches "
                           "wins)",)
            narrower = (self.direction(own_old, own_new) in (NARROWS, SAME)
                        and self.covers(earlier_new, earlier_old))
            wider = (self.direction(own_old, own_new) in (WIDENS, SAME)
                     and self.covers(earlier_old, earlier_new))
            direction = _verdict(narrower, wider)
            if own_old == own_new and not earlier_changed:
                direction = None
            elif not changes and direction == SAME:
                continue  # earlier buckets changed, but provably not this one's members
            out.append(ObjectDiff("bucket", name, "changed", tuple(changes), direction, through,
                                  bucket.label))
        return out
