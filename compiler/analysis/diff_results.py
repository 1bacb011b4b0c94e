"""What `segl diff` reports: verdicts, a change, one object's diff, the model's diff."""

from __future__ import annotations

from dataclasses import dataclass

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
