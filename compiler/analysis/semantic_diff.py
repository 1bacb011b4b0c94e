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
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .. import ir
from .. import model as m
from ..semantic.buckets import implies
from ..semantic.loading import LoadedFile
from ..syntax import format_expressions
from ..syntax import nodes as n

NARROWS, WIDENS, SAME, UNKNOWN = "narrows", "widens", "same", "unknown"
BASE_SUFFIX = "@base"

# Changes that do not decide who is a member.
METADATA = frozenset({"label", "description", "owner", "tags", "purpose", "allow",
                      "expect added", "expect removed"})
# Kinds in report order.
KINDS = ("source", "param", "feature", "segment", "segmentation", "bucket", "kpi", "persona",
         "test")


@dataclass(frozen=True)
class Change:
    """One thing that changed in an object. `what`: condition, condition added, condition
    removed, conditions reordered, definition, value, label, description, owner, tags,
    purpose, allow, expect added, expect removed, bucket order, score, location, columns,
    key, segment, …"""

    what: str
    before: str | None = None
    after: str | None = None
    direction: str | None = None  # narrows | widens | same | unknown; None: not about members
    note: str = ""  # why a condition that reads the same changed: "parameter `x`: 4 → 3"


@dataclass(frozen=True)
class ObjectDiff:
    kind: str  # one of KINDS
    name: str  # a bucket is `segmentation.bucket`
    status: str  # added | removed | changed
    changes: tuple[Change, ...] = ()
    direction: str | None = None  # for segments and buckets: who is a member
    through: tuple[str, ...] = ()  # changed dependencies: "feature `orders_1y`"
    label: str | None = None

    @property
    def members_may_change(self) -> bool:
        """False for a segment, segmentation or bucket of which only labels, descriptions,
        owners, tags or expectations changed (or conditions that mean the same)."""
        if self.status != "changed" or self.kind not in ("segment", "segmentation", "bucket"):
            return True
        return bool(self.through) or any(
            c.what not in METADATA and c.direction != SAME for c in self.changes)


@dataclass(frozen=True)
class ModelDiff:
    objects: tuple[ObjectDiff, ...]

    @property
    def changed(self) -> bool:
        return bool(self.objects)

    def of_kind(self, kind: str) -> list[ObjectDiff]:
        return [o for o in self.objects if o.kind == kind]

    def get(self, kind: str, name: str) -> ObjectDiff | None:
        return next((o for o in self.objects if o.kind == kind and o.name == name), None)


# ---------------------------------------------------------------- canonical texts


class Texts:
    """Canonical `.seg` text of an `ir` node, through the AST node it was resolved from
    (found by its span) and `format_expressions.expr`."""

    def __init__(self, files: list[LoadedFile]) -> None:
        self.nodes: dict[tuple[str, int, int], n.Node] = {}
        for file in files:
            for declaration in file.module.declarations:
                for node in _ast_nodes(declaration):
                    if isinstance(node, n.Expr):
                        key = (node.span.path, node.span.start, node.span.end)
                        self.nodes.setdefault(key, node)

    def of(self, expr: ir.Expr) -> str:
        span = expr.span
        if span is None:
            return repr(expr)
        node = self.nodes.get((span.path, span.start, span.end))
        if isinstance(node, n.Expr):
            try:
                return format_expressions.expr(node)
            except TypeError:
                pass
        return re.sub(r"\s+", " ", span.text).strip()


def _ast_nodes(node: object) -> Iterator[n.Node]:
    if isinstance(node, n.Node):
        yield node
        for field in dataclasses.fields(node):
            yield from _ast_nodes(getattr(node, field.name))
    elif isinstance(node, tuple):
        for item in node:
            yield from _ast_nodes(item)


def _subject(text_of: Texts, expr: ir.Expr) -> str | None:
    """What a condition is about (`orders_1y` in `orders_1y >= 4`): a changed condition is
    paired with the removed one about the same thing."""
    match expr:
        case ir.Compare(left=left, right=right):
            side = right if isinstance(left, ir.Literal) else left
            return text_of.of(side)
        case ir.Between(value=value) | ir.InList(value=value) | ir.TextMatch(value=value) | \
                ir.IsMissing(value=value):
            return text_of.of(value)
        case ir.Rank(by=by):
            return "rank by " + text_of.of(by)
        case ir.SegmentRef(name=name):
            return name.removesuffix(BASE_SUFFIX)
        case ir.Not(operand=operand):
            inner = _subject(text_of, operand)
            return f"not {inner}" if inner else None
    return None


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
        deps[("persona", name)] = {("segment", persona.segment)}
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
        out[("persona", name)] = (persona.segment, persona.profile)
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


# ---------------------------------------------------------------- the diff


def diff_models(base: m.Model | None, head: m.Model | None,
                base_files: list[LoadedFile] | None = None,
                head_files: list[LoadedFile] | None = None) -> ModelDiff:
    """Every object added, removed or changed from `base` to `head` (either may be None: a
    file that does not exist in that version)."""
    return _Differ(base, head, base_files or [], head_files or []).run()


class _Differ:
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


# ---------------------------------------------------------------- small helpers


def _verdict(narrower: bool, wider: bool) -> str:
    if narrower and wider:
        return SAME
    if narrower:
        return NARROWS
    if wider:
        return WIDENS
    return UNKNOWN


def _any(conditions: list[ir.Expr]) -> ir.Expr:
    if len(conditions) == 1:
        return conditions[0]
    return ir.Logic("or", tuple(conditions), type=ir.Type.BOOL)


def _of(model: m.Model | None, attribute: str) -> dict:
    return dict(getattr(model, attribute)) if model is not None else {}


def _tables(model: m.Model | None) -> dict[str, m.Table]:
    return {t.name: t for t in model.tables} if model is not None else {}


def _label(obj: object) -> str | None:
    return getattr(obj, "label", None)


def _metadata_changes(old: object, new: object) -> list[Change]:
    changes = []
    for attribute in ("label", "description", "owner", "tags", "purpose"):
        if not hasattr(new, attribute):
            continue
        a, b = getattr(old, attribute), getattr(new, attribute)
        if a != b:
            changes.append(Change(attribute, _value(a), _value(b)))
    # which personal data the object's outputs may carry: a reviewer must see it change
    a, b = set(getattr(old, "allow", ())), set(getattr(new, "allow", ()))
    if a != b:
        changes.append(Change("allow", _allowed(a), _allowed(b)))
    return changes


def _allowed(columns: set[m.Allowed]) -> str | None:
    names = sorted(c.name or f"{c.table}.{c.column}" for c in columns)
    return f"({', '.join(names)})" if names else None


def _expectation_changes(old: tuple[m.Expectation, ...], new: tuple[m.Expectation, ...]
                         ) -> list[Change]:
    before = [e.describe() for e in old]
    after = [e.describe() for e in new]
    return ([Change("expect removed", text, None) for text in before if text not in after]
            + [Change("expect added", None, text) for text in after if text not in before])


def _table_changes(old: m.Table, new: m.Table) -> list[Change]:
    changes = []
    if old.kind != new.kind:
        changes.append(Change("kind", old.kind, new.kind))
    before = ", ".join(f"{loc.kind} {format_expressions.string(loc.target)}"
                     for loc in old.locations)
    after = ", ".join(f"{loc.kind} {format_expressions.string(loc.target)}"
                    for loc in new.locations)
    if before != after:
        changes.append(Change("location", before, after))
    for attribute in ("key", "entity_key", "through", "through_column", "through_via_column",
                      "time_column", "owner", "owner_column"):
        a, b = getattr(old, attribute), getattr(new, attribute)
        if a != b:
            changes.append(Change(attribute.replace("_", " "), _value(a), _value(b)))
    old_columns = {c.name: c for c in old.columns}
    new_columns = {c.name: c for c in new.columns}
    for name in new_columns:
        if name not in old_columns:
            changes.append(Change("column added", None, _column(new_columns[name])))
    for name in old_columns:
        if name not in new_columns:
            changes.append(Change("column removed", _column(old_columns[name]), None))
        elif old_columns[name] != new_columns[name]:
            changes.append(Change("column", _column(old_columns[name]),
                                  _column(new_columns[name])))
    return changes


def _column(column: m.ColumnInfo) -> str:
    return " ".join([column.name, column.type.value, *column.tags])


def _value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        return "(" + ", ".join(format_expressions.string(str(v)) for v in value) + ")"
    if isinstance(value, str):
        return format_expressions.string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _literal(literal: ir.Literal | None) -> str | None:
    return None if literal is None else _value(literal.value)


def _param(param: m.Param | None) -> str:
    return "(none)" if param is None else str(_value(param.value.value))


def _rows(rows: tuple[m.TestRows, ...]) -> str:
    return ", ".join(f"{len(block.rows)} {block.table} rows" for block in rows) or "no rows"


def _keys(keys: frozenset | None) -> str | None:
    if keys is None:
        return None
    return "(" + ", ".join(str(k) for k in sorted(keys, key=str)) + ")"
