"""The AST of the activation declarations: experiments and their arms, the holdout, exports
and the suppression list (docs/experiments.md, docs/activation.md). Reached as `nodes.X`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .node_base import Ident, Node

if TYPE_CHECKING:
    from .nodes import Literal, Location


@dataclass(frozen=True)
class Arm(Node):
    """One arm of an experiment: its name and its share of the segment, in percent."""

    name: Ident
    share: Literal


@dataclass(frozen=True)
class Experiment(Node):
    """`experiment NAME on SEGMENT salt "…" [stratify by COLUMN] { ARM N% … [kpis (K, …)] }`
    (docs/experiments.md)."""

    name: Ident
    label: str | None
    segment: Ident
    salt: Literal
    arms: tuple[Arm, ...]
    stratify: Ident | None = None
    kpis: tuple[Ident, ...] = ()  # read out per arm (features or segments)


@dataclass(frozen=True)
class Holdout(Node):
    """`holdout N% salt "…"`: entities kept out of every experiment and export."""

    share: Literal
    salt: Literal


class ClauseKind(StrEnum):
    """Which clause of an export block: its value is the clause's first word as the
    resolver's messages name it (`require consent`, `to`)."""

    TRAITS = "traits"
    CONSENT = "require consent"
    PURPOSE = "purpose"
    CHANNEL = "via"
    TARGET = "to"
    MODE = "mode"


@dataclass(frozen=True)
class ExportClause(Node):
    """One clause of an export block: `kind` which (ClauseKind); `names` the traits or the
    consent column, `text` the purpose, channel, path or mode, `format` the target's (csv,
    parquet, jsonl, table)."""

    kind: ClauseKind
    names: tuple[Ident, ...] = ()
    text: str = ""
    format: str = ""
    tag: str = ""  # `require TAG column`: the tag written (must be `consent`)


@dataclass(frozen=True)
class Export(Node):
    """`export NAME from SEGMENT { traits (…) require consent COL purpose "…" via "…"
    to csv|parquet|jsonl|table "…" }` (docs/activation.md)."""

    name: Ident
    segment: Ident
    clauses: tuple[ExportClause, ...]


@dataclass(frozen=True)
class Suppression(Node):
    """`suppression from LOCATION key COLUMN`: keys left out of every export."""

    locations: tuple[Location, ...]
    key: Ident
