"""`segl diff` without data: what changed between two compiled versions of a project, object
by object, in `.seg` terms.

Two versions are compared on their resolved models, so formatting, comments, the order of
declarations and the file a declaration lives in do not count; a parameter's new value
does (it is substituted into every condition using it). A changed segment lists which of its
conditions changed, printed canonically by `formatter.py`, and is also changed when a
feature, segment or source it depends on changed. Whether a change narrows or widens a
segment (or a segmentation bucket) is proved with `buckets.implies`, conservatively:
`unknown` when the proof cannot tell.

To compare across versions, every name whose definition changed is renamed in the base
version (`loyal` -> `loyal@base`), so that `FeatureRef("orders_1y")` in both versions only
compares equal when the feature means the same thing in both.

The results are diff_results.py's; canonical texts, dependencies and the small
comparisons are diff_texts.py, diff_dependencies.py and diff_changes.py; segments and
segmentations compare in diff_segments.py."""

from __future__ import annotations

import dataclasses
import re

from .. import ir
from .. import model as m
from ..semantic.buckets import implies
from ..semantic.loading import LoadedFile
from .diff_changes import (
    _any,
    _keys,
    _label,
    _literal,
    _metadata_changes,
    _of,
    _param,
    _rows,
    _table_changes,
    _tables,
    _value,
    _verdict,
)
from .diff_dependencies import (
    _changed_definitions,
    _dependencies,
    _depends_on,
)
from .diff_results import (
    BASE_SUFFIX,
    Change,
    ModelDiff,
    ObjectDiff,
)
from .diff_segments import SegmentDiffer
from .diff_texts import (
    Texts,
)

# ---------------------------------------------------------------- the diff


def diff_models(base: m.Model | None, head: m.Model | None,
                base_files: list[LoadedFile] | None = None,
                head_files: list[LoadedFile] | None = None) -> ModelDiff:
    """Every object added, removed or changed from `base` to `head` (either may be None: a
    file that does not exist in that version)."""
    return _Differ(base, head, base_files or [], head_files or []).run()


class _Differ(SegmentDiffer):
    def __init__(self, base: m.Model | None, head: m.Model | None,
                 base_files: list[LoadedFile], head_files: list[LoadedFile]) -> None:
        self.base = base
        self.head = head
        self.base_text = Texts(base_files)
        self.head_text = Texts(head_files)
        self.changed = _changed_definitions(base, head) if base and head else set()
        self.base_deps = _dependencies(base) if base else {}
        self.head_deps = _dependencies(head) if head else {}
        self.merged = self._merged_model() if base and head else None

    # ---- renaming the base version
    def _renamed(self, kind: str, name: str) -> str:
        return name + BASE_SUFFIX if (kind, name) in self.changed else name

    def base_expr(self, expr: ir.Expr) -> ir.Expr:
        def rename(node: ir.Expr) -> ir.Expr:
            if isinstance(node, ir.FeatureRef):
                return dataclasses.replace(node, name=self._renamed("feature", node.name))
            if isinstance(node, ir.SegmentRef):
                return dataclasses.replace(node, name=self._renamed("segment", node.name))
            if isinstance(node, ir.Column | ir.Aggregate):
                return dataclasses.replace(node, table=self._renamed("source", node.table))
            return node
        return ir.transform(expr, rename)

    def _merged_model(self) -> m.Model:
        """The head model plus the changed base segments and features under their renamed
        names, so that `implies` can expand a reference of either version."""
        assert self.base is not None and self.head is not None
        extra = {}
        for name, segment in self.base.segments.items():
            if ("segment", name) in self.changed:
                conditions = tuple(self.base_expr(c) for c in segment.conditions)
                extra[name + BASE_SUFFIX] = dataclasses.replace(
                    segment, name=name + BASE_SUFFIX, conditions=conditions)
        features = {}
        for name, feature in self.base.features.items():
            if ("feature", name) in self.changed:
                features[name + BASE_SUFFIX] = dataclasses.replace(
                    feature, name=name + BASE_SUFFIX, expr=self.base_expr(feature.expr))
        return dataclasses.replace(self.head, segments={**self.head.segments, **extra},
                                   features={**self.head.features, **features})

    def direction(self, before: ir.Expr | None, after: ir.Expr | None) -> str:
        """`before` already renamed. None stands for "always true" (an `else` bucket)."""
        assert self.merged is not None
        narrower = before is None or (after is not None and implies(after, before, self.merged))
        wider = after is None or (before is not None and implies(before, after, self.merged))
        return _verdict(narrower, wider)

    def covers(self, wide: list[ir.Expr], narrow: list[ir.Expr]) -> bool:
        """Every entity meeting one of `narrow` meets one of `wide`."""
        if not narrow:
            return True
        if not wide:
            return False
        assert self.merged is not None
        return implies(_any(narrow), _any(wide), self.merged)

    def through(self, kind: str, name: str) -> tuple[str, ...]:
        uses = self.head_deps.get((kind, name), set()) | self.base_deps.get((kind, name), set())
        return tuple(f"{k} `{v}`" for k, v in sorted(uses) if (k, v) in self.changed)

    # ---- the run
    def run(self) -> ModelDiff:
        objects: list[ObjectDiff] = []
        objects += self.simple("source", _tables(self.base), _tables(self.head))
        objects += self.simple("param", _of(self.base, "params"), _of(self.head, "params"))
        objects += self.simple("feature", _of(self.base, "features"), _of(self.head, "features"))
        objects += self.segments()
        for kind, attribute in (("segmentation", "segmentations"), ("kpi", "kpis"),
                                ("persona", "personas"), ("test", "tests")):
            if kind == "segmentation":
                objects += self.segmentations()
            else:
                objects += self.simple(kind, _of(self.base, attribute), _of(self.head, attribute))
        return ModelDiff(tuple(objects))

    def added_removed(self, kind: str, before: dict, after: dict) -> list[ObjectDiff]:
        out = []
        for name in after:
            if name not in before:
                out.append(ObjectDiff(kind, name, "added", label=_label(after[name])))
        for name in before:
            if name not in after:
                out.append(ObjectDiff(kind, name, "removed", label=_label(before[name])))
        return out

    def simple(self, kind: str, before: dict, after: dict) -> list[ObjectDiff]:
        out = self.added_removed(kind, before, after)
        for name in after:
            if name not in before:
                continue
            changes = [*self.definition_changes(kind, before[name], after[name]),
                       *_metadata_changes(before[name], after[name])]
            through = self.through(kind, name)
            if changes or through:
                out.append(ObjectDiff(kind, name, "changed", tuple(changes), None, through,
                                      _label(after[name])))
        return out

    def definition_changes(self, kind: str, old, new) -> list[Change]:
        if kind == "source":
            return _table_changes(old, new)
        if kind == "param":
            if old.value != new.value:
                return [Change("value", _value(old.value.value), _value(new.value.value))]
            return []
        if kind in ("feature", "kpi"):
            if self.base_expr(old.expr) == new.expr:
                return []
            before, after = self.base_text.of(old.expr), self.head_text.of(new.expr)
            return [Change("definition", before, after, None,
                           self.note(before, after, new.expr))]
        if kind == "persona":
            changes = []
            if old.segment != new.segment:
                changes.append(Change("segment", old.segment, new.segment))
            for field in sorted(old.profile.keys() | new.profile.keys()):
                a, b = old.profile.get(field), new.profile.get(field)
                if a != b:
                    changes.append(Change(field, _literal(a), _literal(b)))
            for field in sorted(old.text.keys() | new.text.keys()):
                a, b = old.text.get(field), new.text.get(field)
                if a != b:
                    changes.append(Change(field, _value(a), _value(b)))
            return changes
        if kind == "test":
            changes = []
            if old.as_of != new.as_of:
                changes.append(Change("as_of", _value(old.as_of), _value(new.as_of)))
            if old.rows != new.rows:
                changes.append(Change("rows", _rows(old.rows), _rows(new.rows)))
            before = {e.target: e.keys for e in old.expects}
            after = {e.target: e.keys for e in new.expects}
            for target in sorted(before.keys() | after.keys()):
                if before.get(target) != after.get(target):
                    changes.append(Change(f"expect {target}", _keys(before.get(target)),
                                          _keys(after.get(target))))
            return changes
        return []

    def note(self, before: str, after: str, new_expr: ir.Expr) -> str:
        """Why a condition or definition that reads the same means something else."""
        if before != after:
            return ""
        reasons = []
        base_params = self.base.params if self.base else {}
        head_params = self.head.params if self.head else {}
        for name in sorted(base_params.keys() | head_params.keys()):
            a, b = base_params.get(name), head_params.get(name)
            if (a is None or b is None or a.value != b.value) and \
                    re.search(rf"(?<![\w`]){re.escape(name)}(?![\w`])", after):
                reasons.append(f"parameter `{name}`: {_param(a)} → {_param(b)}")
        for kind, name in sorted(_depends_on(new_expr)):
            if (kind, name) in self.changed:
                reasons.append(f"{kind} `{name}` changed")
        return "; ".join(reasons)

    # ---- segments
