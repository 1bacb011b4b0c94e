"""The AST: what the user wrote, as frozen dataclasses, every node with its span.

Nothing here knows what a name refers to or what type an expression has: that is the
resolver's and the type checker's job. One class per construct of `grammar/seg.lark`; the
base classes are in node_base.py, the activation declarations (experiments, holdout,
exports, suppression) in activation_nodes.py, and all are reached as `nodes.X`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .activation_nodes import Arm as Arm
from .activation_nodes import ClauseKind as ClauseKind
from .activation_nodes import Experiment as Experiment
from .activation_nodes import Export as Export
from .activation_nodes import ExportClause as ExportClause
from .activation_nodes import Holdout as Holdout
from .activation_nodes import Suppression as Suppression
from .node_base import Ident as Ident
from .node_base import Node as Node

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Expr(Node):
    pass


@dataclass(frozen=True)
class Literal(Expr):
    value: object  # int | Decimal | str | bool | date | datetime
    kind: str  # "number" | "string" | "date" | "timestamp" | "bool"


@dataclass(frozen=True)
class Duration(Expr):
    amount: int
    unit: str  # "day" | "week" | "month" | "year"


@dataclass(frozen=True)
class NameRef(Expr):
    name: Ident


@dataclass(frozen=True)
class QualifiedRef(Expr):
    table: Ident
    column: Ident


@dataclass(frozen=True)
class AsOfRef(Expr):
    pass


@dataclass(frozen=True)
class Call(Expr):
    function: Ident
    args: tuple[Expr, ...]
    distinct: bool = False
    filter: Expr | None = None
    sequence: SequenceStep | None = None  # `… then [no|first] table [where …] [within N]`


class StepKind(StrEnum):
    """How a sequence's second step follows the first, as written."""

    THEN = "then"
    THEN_NO = "then no"
    THEN_FIRST = "then first"


@dataclass(frozen=True)
class SequenceStep(Node):
    """The second step of an event sequence: `then orders`, `then no orders within 7 days`,
    `then first orders where …` (docs/language.md#sequences)."""

    kind: StepKind
    table: Ident
    filter: Expr | None
    within: WindowLast | None


@dataclass(frozen=True)
class WindowLast(Node):
    amount: int | Ident  # a number or a parameter name
    unit: str


@dataclass(frozen=True)
class WindowSince(Node):
    start: Literal | NameRef


@dataclass(frozen=True)
class WindowBefore(Node):
    end: Literal | NameRef


@dataclass(frozen=True)
class WindowRange(Node):
    start: Literal | NameRef
    end: Literal | NameRef


@dataclass(frozen=True)
class WindowPeriod(Node):
    """`in this month` (back 0), `in last quarter` (back 1): a calendar period."""

    unit: str  # month, quarter or year, as written (checked by the resolver)
    back: int


@dataclass(frozen=True)
class WindowPrevious(Node):
    """`in previous 90 days`: the 90 days before the last 90 days."""

    amount: int
    unit: str


@dataclass(frozen=True)
class WindowEach(Node):
    """`in each of the last 3 months`: each of the 3 calendar periods before as_of's."""

    amount: int
    unit: str  # as written (checked by the resolver)


Window = WindowLast | WindowSince | WindowBefore | WindowRange | WindowPeriod | WindowPrevious \
    | WindowEach


@dataclass(frozen=True)
class Windowed(Expr):
    call: Call
    window: Window


@dataclass(frozen=True)
class Unary(Expr):
    op: str  # "not" | "-"
    operand: Expr


@dataclass(frozen=True)
class Logic(Expr):
    """`a and b and c` (or `or`) as one node with every operand, however long the chain: no
    stage recurses once per term. A parenthesised chain inside another stays its own node."""

    op: str  # "and" | "or"
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Binary(Expr):
    op: str  # "+" "-" "*" "/" "=" "!=" "<" "<=" ">" ">="
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Between(Expr):
    value: Expr
    low: Expr
    high: Expr


@dataclass(frozen=True)
class InList(Expr):
    value: Expr
    items: tuple[Expr, ...]
    negated: bool


@dataclass(frozen=True)
class TextMatch(Expr):
    op: str  # "contains" | "starts_with" | "ends_with" | "like"
    value: Expr
    pattern: Expr


@dataclass(frozen=True)
class IsMissing(Expr):
    value: Expr
    negated: bool  # True for `is present`


@dataclass(frozen=True)
class IsBucket(Expr):
    """`rfm is champions`: a segmentation's bucket compared with one of its bucket names."""

    value: Expr
    bucket: Ident


@dataclass(frozen=True)
class Case(Expr):
    whens: tuple[tuple[Expr, Expr], ...]
    otherwise: Expr | None


@dataclass(frozen=True)
class Rank(Expr):
    direction: str  # "top" | "bottom"
    amount: Literal
    percent: bool
    by: Expr
    among: Expr | None


@dataclass(frozen=True)
class Similarity(Expr):
    """`similarity to SEGMENT on (f1, …)`, what a lookalike ranks by: nearness to the
    segment's centroid in the scaled features, fitted by `segl discover`."""

    seed: Ident
    features: tuple[Expr, ...]
    bucket: Ident | None = None  # `similarity to styles is cluster_2`: a bucket's members


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Location(Node):
    kind: str  # "table" | "parquet" | "csv"
    target: str


@dataclass(frozen=True)
class Column(Node):
    name: Ident
    type_name: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Import(Node):
    path: str
    library: bool = False  # `import std.rfm`: a file of segl's standard library


@dataclass(frozen=True)
class Param(Node):
    name: Ident
    value: Literal


@dataclass(frozen=True)
class Entity(Node):
    name: Ident
    locations: tuple[Location, ...]
    key: Ident
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class KeyLink(Node):
    """The events table holds the entity key in `column`."""

    column: Ident


@dataclass(frozen=True)
class ThroughLink(Node):
    """The events table reaches the entity through another events table."""

    via: Ident
    column: Ident
    via_column: Ident


@dataclass(frozen=True)
class Events(Node):
    name: Ident
    locations: tuple[Location, ...]
    link: KeyLink | ThroughLink
    time_column: Ident | None
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Lookup(Node):
    name: Ident
    locations: tuple[Location, ...]
    key: Ident
    owner: Ident
    owner_column: Ident
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Feature(Node):
    name: Ident
    label: str | None
    expr: Expr
    purpose: Purpose | None = None  # what its values may carry out (`segl run --traits`)
    allow: Allow | None = None


@dataclass(frozen=True)
class Purpose(Node):
    """`purpose "…"`: why an object uses personal data (docs/privacy.md)."""

    text: str


@dataclass(frozen=True)
class Allow(Node):
    """`allow (email, area.region)`: the personal columns an object's outputs may carry."""

    columns: tuple[NameRef | QualifiedRef, ...]


@dataclass(frozen=True)
class Expectation(Node):
    """`expect size >= 100`, `expect share <= 20%`, `expect overlap with other < 10%`."""

    kind: str  # "size" | "share" | "overlap"
    op: str
    value: Literal
    other: Ident | None = None


@dataclass(frozen=True)
class Segment(Node):
    name: Ident
    label: str | None
    description: str | None
    owner: str | None
    tags: tuple[str, ...]
    extends: Ident | None
    where: Expr | None
    inline: bool
    expectations: tuple[Expectation, ...] = ()
    purpose: Purpose | None = None  # why personal data is used
    allow: Allow | None = None  # which personal data its outputs may carry


@dataclass(frozen=True)
class Bucket(Node):
    name: Ident
    label: str | None
    condition: Expr | None  # None for the `else` bucket


@dataclass(frozen=True)
class Score(Node):
    name: Ident
    by: Expr
    higher_is_better: bool
    bins: int
    method: str  # "ntile" | "quantile" | "thresholds"
    thresholds: tuple[Literal, ...]


@dataclass(frozen=True)
class Clusters(Node):
    """`clusters K on (f1, f2, …) scaled S seed N [missing M]` (docs/discovery.md): the
    buckets are cluster_1 .. cluster_K, by the nearest centroid of the lock file."""

    k: Literal
    features: tuple[Expr, ...]
    scaling: Ident  # zscore | minmax | none (checked by the parser)
    seed: Literal
    missing: Ident | None  # drop | mean; None: drop


@dataclass(frozen=True)
class Segmentation(Node):
    name: Ident
    label: str | None
    buckets: tuple[Bucket, ...]
    otherwise: Bucket
    scores: tuple[Score, ...] = ()
    # `segmentation x = tiers by e … into N m`: the one score is `tier`, the buckets are
    # made by the resolver (tier_1 .. tier_N, then the `else` bucket no_value)
    tiers: bool = False
    purpose: Purpose | None = None
    allow: Allow | None = None
    clusters: Clusters | None = None


@dataclass(frozen=True)
class TestRows(Node):
    table: Ident
    columns: tuple[Ident, ...]
    rows: tuple[tuple[Literal | None, ...], ...]  # None: `missing`


@dataclass(frozen=True)
class TestExpect(Node):
    segment: Ident  # a segment, or a segmentation with `bucket`
    bucket: Ident | None
    keys: tuple[Literal, ...]


@dataclass(frozen=True)
class Test(Node):
    """Fixture rows and the members they must give: `segl test` runs it."""

    name: Ident
    as_of: Literal | None
    rows: tuple[TestRows, ...]
    expects: tuple[TestExpect, ...]


@dataclass(frozen=True)
class Kpi(Node):
    name: Ident
    label: str | None
    expr: Expr
    purpose: Purpose | None = None
    allow: Allow | None = None
    display: str | None = None  # `format percent|currency|number`
    currency: str | None = None  # `format currency "€"`: the symbol or code


@dataclass(frozen=True)
class PersonaField(Node):
    name: Ident
    value: Literal | tuple[str, ...]


@dataclass(frozen=True)
class Persona(Node):
    name: Ident
    label: str | None
    segment: Ident  # with `bucket`: the segmentation
    fields: tuple[PersonaField, ...]
    purpose: Purpose | None = None
    allow: Allow | None = None
    bucket: Ident | None = None  # `for styles is cluster_3`


Declaration = (Import | Param | Entity | Events | Lookup | Feature | Segment | Segmentation
               | Test | Kpi | Persona | Experiment | Holdout | Export | Suppression)


@dataclass(frozen=True)
class Module:
    """One parsed file."""

    path: str
    declarations: tuple[Declaration, ...]
