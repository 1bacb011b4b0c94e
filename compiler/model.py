"""The resolved model of a project: every name bound, every import merged.

`semantic/resolve.py` builds it from the AST; `semantic/typecheck.py` returns a copy whose
expressions carry types. Sources keep their span so data errors and dialect errors
point at the declaration.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from . import ir
from .source import Span


@dataclass(frozen=True)
class Location:
    kind: str  # "table" | "parquet" | "csv"
    target: str  # as written
    path: str | None  # absolute path (or glob) for file locations
    span: Span | None = field(default=None, compare=False, repr=False)
    # A table location's name, `[catalog.]schema.table` as its parts (never SQL text).
    table: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: ir.Type
    tags: tuple[str, ...] = ()
    declared: bool = True


@dataclass(frozen=True)
class Table:
    """A source: the entity table, an events table, or a lookup table."""

    name: str
    kind: str  # "entity" | "events" | "lookup"
    locations: tuple[Location, ...]
    columns: tuple[ColumnInfo, ...]
    span: Span | None = field(default=None, compare=False, repr=False)
    # entity and lookup
    key: str | None = None
    # events: the column holding the entity key, or a join through another events table
    entity_key: str | None = None
    through: str | None = None
    through_column: str | None = None
    through_via_column: str | None = None
    time_column: str | None = None
    # lookup: which table and column point at this lookup's key
    owner: str | None = None
    owner_column: str | None = None

    def column(self, name: str) -> ColumnInfo | None:
        return self._by_name.get(name)

    @property
    def _by_name(self) -> dict[str, ColumnInfo]:
        cached = self.__dict__.get("_columns_by_name")
        if cached is None:
            cached = {c.name: c for c in self.columns}
            object.__setattr__(self, "_columns_by_name", cached)
        return cached


@dataclass(frozen=True)
class Param:
    name: str
    value: ir.Literal
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Feature:
    name: str
    label: str | None
    expr: ir.Expr
    span: Span | None = field(default=None, compare=False, repr=False)
    # Which personal columns its values may carry out (`segl run --traits`, docs/privacy.md)
    purpose: str | None = None
    allow: tuple[Allowed, ...] = ()

    @property
    def type(self) -> ir.Type:
        return self.expr.type


@dataclass(frozen=True)
class Allowed:
    """A personal column named in an object's `allow (…)`: its outputs may carry it."""

    table: str
    column: str
    span: Span | None = field(default=None, compare=False, repr=False)
    name: str = field(default="", compare=False)  # as `allow` names it: `email`, `area.region`


@dataclass(frozen=True)
class Expectation:
    kind: str  # "size" | "share" | "overlap"
    op: str  # < <= > >= !=
    value: object  # int or Decimal; a percentage for share and overlap
    other: str | None = None
    span: Span | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        if self.kind == "size":
            return f"size {self.op} {self.value}"
        if self.kind == "share":
            return f"share {self.op} {self.value}%"
        return f"overlap with {self.other} {self.op} {self.value}%"


@dataclass(frozen=True)
class Segment:
    name: str
    label: str | None
    description: str | None
    owner: str | None
    tags: tuple[str, ...]
    parent: str | None
    # The conditions a member must meet, in source order: the parent (if any), then each
    # top-level `and` term of `where`. `segl explain` shows them as a funnel.
    conditions: tuple[ir.Expr, ...]
    span: Span | None = field(default=None, compare=False, repr=False)
    expectations: tuple[Expectation, ...] = ()
    purpose: str | None = None  # why personal data is used (docs/privacy.md)
    allow: tuple[Allowed, ...] = ()  # the personal columns its outputs may carry
    inline: bool = field(default=False, compare=False)  # `segment x = …`: no purpose, no allow

    @property
    def predicate(self) -> ir.Expr:
        if len(self.conditions) == 1:
            return self.conditions[0]
        return ir.Logic("and", self.conditions, type=ir.Type.BOOL)


@dataclass(frozen=True)
class Bucket:
    name: str
    label: str | None
    condition: ir.Expr | None  # None for the `else` bucket, always last
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ClusterFit:
    """What `segl discover` found and wrote to the lock file: per feature the centre and
    scale (the scaled value is (x - center) / scale) and the mean (imputed for a missing
    value with `missing mean`), and the centroids in the scaled space, cluster 1 first."""

    center: tuple[float, ...]
    scale: tuple[float, ...]
    mean: tuple[float, ...]
    centroids: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Clusters:
    """`clusters K on (…) scaled S seed N [missing M]`: k-means buckets (docs/discovery.md)."""

    k: int
    features: tuple[ir.Expr, ...]
    feature_texts: tuple[str, ...]  # each feature as written, blanks collapsed
    scaling: str  # zscore | minmax | none
    seed: int
    missing: str  # drop | mean
    fingerprint: str  # of the declaration: the lock file must carry the same
    lock_path: str  # the lock file next to the declaring `.seg`
    fit: ClusterFit | None = None  # None: no lock file, or a stale one (E114)


@dataclass(frozen=True)
class SimilarityFit:
    """What `segl discover` found for a lookalike: per feature the centre and scale (over
    every entity with all features) and the seed segment's centroid in the scaled space."""

    center: tuple[float, ...]
    scale: tuple[float, ...]
    centroid: tuple[float, ...]


@dataclass(frozen=True)
class Similarity:
    """`similarity to SEED on (…)`: a lookalike's ranking value (docs/discovery.md)."""

    key: str  # its section of the lock file: `similarity to SEED on (f1, f2)`
    seed: str  # a segment, or `SEGMENTATION is BUCKET` (then `seed_bucket` is set)
    features: tuple[ir.Expr, ...]
    feature_texts: tuple[str, ...]
    fingerprint: str
    lock_path: str
    fit: SimilarityFit | None = None
    span: Span | None = field(default=None, compare=False, repr=False)
    seed_bucket: tuple[str, str] | None = None  # (segmentation, bucket): its members seed it

    @property
    def seed_member(self) -> ir.Expr:
        """True for a member of the seed: in the segment, or in the bucket."""
        if self.seed_bucket is None:
            return ir.SegmentRef(self.seed, type=ir.Type.BOOL)
        segmentation, bucket = self.seed_bucket
        return ir.Compare(ir.CompareOp.EQ, ir.SegmentationRef(segmentation, type=ir.Type.TEXT),
                          ir.Literal(bucket, type=ir.Type.TEXT), type=ir.Type.BOOL)


@dataclass(frozen=True)
class Segmentation:
    """Every entity in exactly one bucket: the first whose condition holds, else the last."""

    name: str
    label: str | None
    buckets: tuple[Bucket, ...]
    span: Span | None = field(default=None, compare=False, repr=False)
    scores: tuple[ir.Score, ...] = ()
    tiers: bool = False  # `= tiers by …`: one score, one bucket per bin
    purpose: str | None = None
    allow: tuple[Allowed, ...] = ()
    clusters: Clusters | None = None  # `= clusters K on (…)`: nearest centroid


@dataclass(frozen=True)
class Arm:
    """An experiment arm: the members whose slot is in [low, high) (slots 0..9999)."""

    name: str
    low: int
    high: int

    @property
    def share(self) -> float:
        """The arm's share of the experiment's segment, 0..1."""
        return (self.high - self.low) / SLOTS


SLOTS = 10_000  # slots per salt: a share is a whole number of hundredths of a percent


@dataclass(frozen=True)
class Experiment:
    """`experiment NAME on SEGMENT salt "…" { ARM N% … }`: the members of `segment` (outside
    the holdout) split into arms by their slot (docs/experiments.md); evaluated as the
    segmentation of the same name, whose last bucket `outside` holds everyone else."""

    name: str
    label: str | None
    segment: str
    salt: str
    arms: tuple[Arm, ...]
    span: Span | None = field(default=None, compare=False, repr=False)
    stratify: str | None = None  # `stratify by COLUMN`: an entity column
    kpis: tuple[str, ...] = ()  # `kpis (…)`: features or segments read out per arm


@dataclass(frozen=True)
class Holdout:
    """`holdout N% salt "…"`: every entity whose slot for `salt` is below `high`; evaluated
    as the segment `holdout`, kept out of every experiment arm and every export."""

    salt: str
    high: int
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Trait:
    """A value an export writes per member: an entity column or a feature."""

    name: str
    expr: ir.Expr  # ir.Column of the entity, or ir.FeatureRef


@dataclass(frozen=True)
class ExportTarget:
    format: str  # "csv" | "parquet" | "jsonl" | "table"
    target: str  # as written
    path: str | None = None  # files: absolute, inside the declaring file's folder
    table: tuple[str, ...] = ()  # `table "crm.newsletter"`: the name's parts


class ExportMode(enum.Enum):
    """`mode full` (the default): every member kept; `mode changes`: who joined and who left
    since the last export; `mode merge`: a table updated in place (docs/activation.md)."""

    FULL = "full"
    CHANGES = "changes"
    MERGE = "merge"


@dataclass(frozen=True)
class Export:
    """`export NAME from SEGMENT { … }` (docs/activation.md): the segment's members outside
    the holdout and the suppression list, with consent, and their traits."""

    name: str
    segment: str
    traits: tuple[Trait, ...]
    target: ExportTarget
    consent: Trait | None = None
    purpose: str | None = None
    channel: str | None = None
    span: Span | None = field(default=None, compare=False, repr=False)
    name_span: Span | None = field(default=None, compare=False, repr=False)
    mode: ExportMode = ExportMode.FULL


@dataclass(frozen=True)
class Suppression:
    """`suppression from LOCATION key COLUMN`: entity keys no export contains."""

    locations: tuple[Location, ...]
    key: str
    span: Span | None = field(default=None, compare=False, repr=False)


PERSONA_TEXT_FIELDS = ("description", "occupation", "goals", "challenges", "quote",
                       "channels", "photo")


@dataclass(frozen=True)
class Persona:
    """The archetype of a segment: text for people, and a profile (values of entity columns
    or features) that `segl persona` checks against the segment and the data."""

    name: str
    label: str | None
    segment: str  # with `bucket`: the segmentation
    text: dict[str, object]  # description, quote, channels (a tuple) …
    profile: dict[str, ir.Literal]
    span: Span | None = field(default=None, compare=False, repr=False)
    purpose: str | None = None
    allow: tuple[Allowed, ...] = ()
    bucket: str | None = None  # `persona … for styles is cluster_3`

    @property
    def target(self) -> str:
        """What the persona gives a face to: `young_urban`, or `styles is cluster_3`."""
        return self.segment if self.bucket is None else f"{self.segment} is {self.bucket}"


@dataclass(frozen=True)
class Kpi:
    """A measure of a group of entities; its aggregates are `ir.Total`s."""

    name: str
    label: str | None
    expr: ir.Expr
    span: Span | None = field(default=None, compare=False, repr=False)
    purpose: str | None = None
    allow: tuple[Allowed, ...] = ()
    format: str | None = None  # how its values are shown: percent | currency | number
    currency: str | None = None  # `format currency "€"`: its symbol (else segl.toml's)


@dataclass(frozen=True)
class TestRows:
    table: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]  # Python values; None for `missing`


@dataclass(frozen=True)
class TestExpect:
    segment: str
    bucket: str | None  # for a segmentation
    keys: frozenset
    span: Span | None = field(default=None, compare=False, repr=False)

    @property
    def target(self) -> str:
        return f"{self.segment}.{self.bucket}" if self.bucket else self.segment


@dataclass(frozen=True)
class Test:
    """Fixture rows for some tables (the others empty) and the members they must give."""

    name: str
    as_of: object  # date | None
    rows: tuple[TestRows, ...]
    expects: tuple[TestExpect, ...]
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Model:
    files: tuple[str, ...]
    entity: Table
    events: dict[str, Table]
    lookups: dict[str, Table]
    params: dict[str, Param]
    features: dict[str, Feature]
    segments: dict[str, Segment]
    segmentations: dict[str, Segmentation] = field(default_factory=dict)
    tests: dict[str, Test] = field(default_factory=dict)
    kpis: dict[str, Kpi] = field(default_factory=dict)
    personas: dict[str, Persona] = field(default_factory=dict)
    experiments: dict[str, Experiment] = field(default_factory=dict)
    holdout: Holdout | None = None
    exports: dict[str, Export] = field(default_factory=dict)
    suppression: Suppression | None = None
    # lookalikes' `similarity to SEED on (…)`, by lock file section (`segl discover` fits them)
    similarities: dict[str, Similarity] = field(default_factory=dict)

    def table(self, name: str) -> Table | None:
        if name == self.entity.name:
            return self.entity
        return self.events.get(name) or self.lookups.get(name)

    @property
    def tables(self) -> tuple[Table, ...]:
        return (self.entity, *self.events.values(), *self.lookups.values())

    def lookup_chain(self, owner: str) -> list[Table]:
        """Lookups reachable from `owner` (directly or through other lookups), join order."""
        chain: list[Table] = []
        frontier = [owner]
        while frontier:
            current = frontier.pop(0)
            for lookup in self.lookups.values():
                if lookup.owner == current and lookup not in chain:
                    chain.append(lookup)
                    frontier.append(lookup.name)
        return chain
