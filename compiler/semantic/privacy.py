"""Personal data: which values segl can output are personal, and which outputs are allowed.

The one owner of the rules in docs/privacy.md. The resolver asks it whether a purpose says
something and whether an `allow` names personal data; `segl lint` (L101, L102) and every
command that writes or prints data ask it the same questions, so they cannot disagree.

- A column is personal when it is declared `pii` or `sensitive`, or when it is a column of a
  lookup joined through a personal column (`lookup area … for customer.postcode`).
- A value is derived from the personal columns its expression reads, through the features it
  uses; a reference to another segment brings the personal data of that segment which that
  segment does not allow itself (what it allows, its members may already carry).
- An output belongs to one object (a segment, segmentation, KPI or persona). It is allowed
  when every personal column it is derived from is covered by the object's `allow (…)`, which
  needs a `purpose`. Allowing a lookup's join column covers the lookup's columns that are
  personal only through it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from .. import ir
from .. import model as m
from ..codes import Code
from ..diagnostics import CompileError, Diagnostic, error
from ..plan import ranked_expressions
from ..source import Span
from ..syntax import format_expressions

PERSONAL_TAGS = ("pii", "sensitive")

# The code of a refused output: commands exit 2 with it (docs/privacy.md).
REFUSED = Code.E504

# ---------------------------------------------------------------- purposes

# Bidirectional overrides and isolates: text that reads differently from what it holds.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Words that fill the slot without saying why.
_PLACEHOLDERS = frozenset({"todo", "tbd", "tba", "fixme", "xxx", "na", "none", "null", "nil",
                           "unknown", "purpose", "why", "because", "yes"})


def purpose_problem(text: str) -> str | None:
    """Why `text` is not a purpose, or None when it is one: one line of words, not blank,
    not a placeholder."""
    if any(unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS for c in text):
        return ("a purpose is one line of plain text: this one holds a control character "
                "(a newline, a tab) or a bidirectional override")
    if not any(c.isalpha() for c in text):
        return "a purpose must say in words why the data is needed: this one has no words"
    if re.sub(r"[\W_]+", "", text.casefold()) in _PLACEHOLDERS:
        return f"`{text.strip()}` is a placeholder, not a purpose"
    return None


# ---------------------------------------------------------------- personal columns

TableOf = Callable[[str], "m.Table | None"]


@dataclass(frozen=True)
class PersonalColumn:
    """A column whose values are personal data: tagged itself (`tags`), or a column of a
    lookup joined through a personal column (`through`), or both."""

    table: str
    column: str
    tags: tuple[str, ...]
    through: PersonalColumn | None
    entity: bool  # a column of the entity: named without its table

    @property
    def name(self) -> str:
        """As an `allow (…)` names it: `postcode` on the entity, `area.region` elsewhere."""
        column = format_expressions.name(self.column)
        return column if self.entity else f"{format_expressions.name(self.table)}.{column}"

    def covered_by(self, allowed: Iterable[tuple[str, str]]) -> bool:
        """Allowed by name, or personal only through a join column that is allowed."""
        allowed = set(allowed)
        if (self.table, self.column) in allowed:
            return True
        return not self.tags and self.through is not None and self.through.covered_by(allowed)

    def describe(self) -> str:
        """`postcode` (pii); `area.region` (through `postcode`, pii)."""
        return f"`{self.name}` ({self._why()})"

    def _why(self) -> str:
        reasons = list(self.tags)
        if self.through is not None:
            reasons.append(f"through `{self.through.name}`, {self.through._why()}")
        return "; ".join(reasons)


def personal_column(table_of: TableOf, table: str, column: str,
                    depth: int = 0) -> PersonalColumn | None:
    """The column as personal data, or None when it is not personal. `table_of` finds a
    table by name (`Model.table`, or the resolver's tables while it builds the model)."""
    source = table_of(table)
    if source is None:
        return None
    info = source.column(column)
    tags = tuple(t for t in PERSONAL_TAGS if info is not None and t in info.tags)
    through = None
    # depth: lookups that hang off each other in a loop are an error the resolver reports
    if source.kind == "lookup" and source.owner and source.owner_column and depth < 32:
        through = personal_column(table_of, source.owner, source.owner_column, depth + 1)
    if not tags and through is None:
        return None
    return PersonalColumn(table, column, tags, through, source.kind == "entity")


def personal_columns(model: m.Model) -> list[PersonalColumn]:
    """Every declared column that is personal data, source by source."""
    found = []
    for table in model.tables:
        for info in table.columns:
            column = personal_column(model.table, table.name, info.name)
            if column is not None:
                found.append(column)
    return found


# ---------------------------------------------------------------- what a value is derived from


@dataclass(frozen=True)
class Use:
    """A personal column a value is derived from, and where it was found: "" (in the value's
    own expression), "feature `age`", "segment `minors`"."""

    column: PersonalColumn
    via: str = ""

    def describe(self) -> str:
        return self.column.describe() + (f" in {self.via}" if self.via else "")


class Facts:
    """The personal data of the values of one model, each segment worked out once."""

    def __init__(self, model: m.Model) -> None:
        self.model = model
        self._segments: dict[str, tuple[Use, ...]] = {}
        self._columns: dict[tuple[str, str], PersonalColumn | None] = {}

    def column(self, table: str, column: str) -> PersonalColumn | None:
        key = (table, column)
        if key not in self._columns:
            self._columns[key] = personal_column(self.model.table, table, column)
        return self._columns[key]

    def uses(self, exprs: Iterable[ir.Expr], follow_segments: bool = True) -> tuple[Use, ...]:
        """The personal columns `exprs` are derived from, once each, in the order found.
        `follow_segments=False`: what the expressions read themselves (and through their
        features), not what referenced segments read (each segment answers for its own)."""
        exprs = tuple(exprs)
        if follow_segments:
            for name in self._segment_refs(exprs):
                self._segment_uses(name)
        return self._direct(exprs, follow_segments)

    def segment_uses(self, name: str) -> tuple[Use, ...]:
        """What a segment's membership is derived from."""
        return self._segment_uses(name)

    def _nodes(self, exprs: tuple[ir.Expr, ...]) -> Iterator[tuple[ir.Expr, str]]:
        """Every node of `exprs` and of the features they use, in source order, with the
        outermost feature it was reached through. Iterative: nesting depth is unbounded."""
        seen: set[str] = set()
        stack: list[tuple[ir.Expr, str]] = [(e, "") for e in reversed(exprs)]
        while stack:
            node, via = stack.pop()
            yield node, via
            if isinstance(node, ir.FeatureRef) and node.name not in seen:
                seen.add(node.name)
                feature = self.model.features.get(node.name)
                if feature is not None:
                    stack.append((feature.expr, via or f"feature `{node.name}`"))
            elif isinstance(node, ir.SegmentationRef) and "#" + node.name not in seen:
                # its bucket depends on everything its buckets and scores read
                seen.add("#" + node.name)
                segmentation = self.model.segmentations.get(node.name)
                if segmentation is not None:
                    reads = [b.condition for b in segmentation.buckets if b.condition is not None]
                    reads += [score.by for score in segmentation.scores]
                    stack.extend((e, via or f"segmentation `{node.name}`")
                                 for e in reversed(reads))
            stack.extend((child, via) for child in reversed(list(node.children())))

    def _segment_refs(self, exprs: tuple[ir.Expr, ...]) -> list[str]:
        return list(dict.fromkeys(node.name for node, _ in self._nodes(exprs)
                                  if isinstance(node, ir.SegmentRef)))

    def _segment_uses(self, name: str) -> tuple[Use, ...]:
        # Referenced segments first (post-order, without recursion: chains can be long).
        pending = [(name, False)]
        while pending:
            current, ready = pending.pop()
            if current in self._segments:
                continue
            segment = self.model.segments.get(current)
            if segment is None:
                self._segments[current] = ()
                continue
            refs = [r for r in self._segment_refs(segment.conditions)
                    if r not in self._segments and r != current]
            if ready or not refs:
                self._segments[current] = self._direct(segment.conditions, True)
            else:
                pending.append((current, True))
                pending.extend((ref, False) for ref in refs)
        return self._segments[name]

    def _direct(self, exprs: tuple[ir.Expr, ...], follow_segments: bool) -> tuple[Use, ...]:
        found: dict[PersonalColumn, Use] = {}
        for node, via in self._nodes(exprs):
            if isinstance(node, ir.Column):
                column = self.column(node.table, node.name)
                if column is not None:
                    found.setdefault(column, Use(column, via))
            elif isinstance(node, ir.SegmentRef) and follow_segments:
                permit = permit_of(self.model, Owner.SEGMENT, node.name)
                for use in self._segments.get(node.name, ()):
                    if not permit.covers(use.column):
                        found.setdefault(use.column, Use(use.column, via or
                                                         f"segment `{node.name}`"))
        return tuple(found.values())


# ---------------------------------------------------------------- objects and their outputs


class Owner(StrEnum):
    """The kinds of object an output belongs to, and that declare `purpose` and `allow`."""

    FEATURE = "feature"
    SEGMENT = "segment"
    SEGMENTATION = "segmentation"
    KPI = "KPI"
    PERSONA = "persona"


@dataclass(frozen=True)
class Permit:
    """What an object declares about personal data: why, and which columns its outputs may
    carry. Future outputs (exports, traits) build their own from their declaration."""

    kind: Owner | str
    name: str
    purpose: str | None
    allow: frozenset[tuple[str, str]]
    span: Span | None = None
    where: str = ""  # where the declarations go, for the hint: " (block form)"

    def covers(self, column: PersonalColumn) -> bool:
        return self.purpose is not None and column.covered_by(self.allow)


_WHERE = {Owner.FEATURE: " after its expression", Owner.SEGMENT: "",
          Owner.KPI: " after its expression",
          Owner.SEGMENTATION: " before its scores and buckets", Owner.PERSONA: ""}


def permit_of(model: m.Model, kind: Owner, name: str) -> Permit:
    objects = {Owner.FEATURE: model.features, Owner.SEGMENT: model.segments,
               Owner.SEGMENTATION: model.segmentations, Owner.KPI: model.kpis,
               Owner.PERSONA: model.personas}[kind]
    obj = objects.get(name)
    if obj is None:
        return Permit(kind, name, None, frozenset())
    where = _WHERE[kind]
    if isinstance(obj, m.Segment) and obj.inline:
        where = f" (written as a block: `segment {name} {{ purpose … allow … where … }}`)"
    return Permit(kind, name, obj.purpose, frozenset((a.table, a.column) for a in obj.allow),
                  obj.span, where)


@dataclass(frozen=True)
class Output:
    """Something a command writes or prints, derived from `values`, owned by `permit`."""

    permit: Permit
    what: str  # "members", "values", …: read as "the members of segment `x`"
    values: tuple[ir.Expr, ...]
    command: str = ""  # "segl run --out"; "" in lint, which names every command
    instead: str = ""  # how to do without it, for a hint
    counted_by: str = ""  # an output counted by the values of a column: that column


def _key(model: m.Model) -> ir.Column:
    entity = model.entity
    info = entity.column(entity.key or "")
    return ir.Column(entity.name, entity.key or "", type=info.type if info else ir.Type.ANY)


def member_outputs(model: m.Model, names: Iterable[str], command: str = "",
                   instead: str = "") -> list[Output]:
    """Keys with their membership (segments), bucket and scores (segmentations): `segl run
    --out`, `segl test`, the example keys of `segl diff --data`."""
    outputs = []
    for name in names:
        if name in model.segments:
            values = (_key(model), *model.segments[name].conditions)
            outputs.append(Output(permit_of(model, Owner.SEGMENT, name), "members", values,
                                  command, instead))
        elif name in model.segmentations:
            segmentation = model.segmentations[name]
            values = (_key(model), *(b.condition for b in segmentation.buckets
                                     if b.condition is not None), *segmentation.scores)
            outputs.append(Output(permit_of(model, Owner.SEGMENTATION, name),
                                  "buckets and scores", values, command, instead))
    return outputs


def trait_outputs(model: m.Model, names: Iterable[str], command: str = "",
                  instead: str = "") -> list[Output]:
    """Keys with the values of features (`segl run --traits`): each owned by its feature,
    derived from the entity key and the feature's expression."""
    return [Output(permit_of(model, Owner.FEATURE, name), "values",
                   (_key(model), model.features[name].expr), command, instead)
            for name in names if name in model.features]


def breakdown_outputs(model: m.Model, names: Iterable[str], column: str, command: str = "",
                      instead: str = "") -> list[Output]:
    """Counts of a group's joiners and leavers per value of an entity column named on the
    command line (`segl diff --data --by COLUMN`): an aggregate, so the column counts and
    the group's membership does not (its own purpose covers using it)."""
    entity = model.entity
    value = ir.Column(entity.name, column)
    outputs = []
    for name in names:
        kind = Owner.SEGMENT if name in model.segments else Owner.SEGMENTATION
        outputs.append(Output(permit_of(model, kind, name), "joiners and leavers", (value,),
                              command, instead, column))
    return outputs


def kpi_outputs(model: m.Model, names: Iterable[str], command: str = "",
                instead: str = "") -> list[Output]:
    """A KPI's value for each group: derived from its expression."""
    return [Output(permit_of(model, Owner.KPI, name), "values", (model.kpis[name].expr,),
                   command, instead) for name in names if name in model.kpis]


def share_outputs(model: m.Model, segments: Iterable[str], segmentations: Iterable[str],
                  command: str = "", instead: str = "") -> list[Output]:
    """The share of each ranking expression every group holds (`segl kpis`, the report),
    owned by the segment or tiers segmentation that ranks by it."""
    return [Output(permit_of(model, Owner(kind), name), "shares of its ranking expression",
                   (by,), command, instead)
            for kind, name, by in ranked_expressions(model, list(segments), list(segmentations))]


def profile_outputs(model: m.Model, names: Iterable[str], command: str = "",
                    instead: str = "") -> list[Output]:
    """A persona's factsheet: the members' median or commonest values of each profile
    attribute, an entity column or a feature (derived from what the feature uses)."""
    entity = model.entity
    outputs = []
    for name in names:
        persona = model.personas.get(name)
        if persona is None:
            continue
        values = tuple(ir.Column(entity.name, a) if entity.column(a) is not None else
                       ir.FeatureRef(a, type=model.features[a].type) if a in model.features
                       else ir.SegmentationRef(a, type=ir.Type.TEXT)
                       for a in persona.profile
                       if entity.column(a) is not None or a in model.features
                       or a in model.segmentations)
        outputs.append(Output(permit_of(model, Owner.PERSONA, name), "profile values", values,
                              command, instead))
    return outputs


def all_outputs(model: m.Model) -> list[Output]:
    """Every output any command can make of every object: what `segl lint` (L102) checks.
    Shares need no entry: a ranking segment's members are derived from what it ranks by."""
    return [*member_outputs(model, [*model.segments, *model.segmentations]),
            *kpi_outputs(model, model.kpis), *profile_outputs(model, model.personas)]


# ---------------------------------------------------------------- refusing


@dataclass(frozen=True)
class Refusal:
    output: Output
    uses: tuple[Use, ...]  # the personal columns the object does not allow

    @property
    def message(self) -> str:
        output, permit = self.output, self.output.permit
        subject = f"the {output.what} of {permit.kind} `{permit.name}`"
        if output.counted_by:
            subject += f" counted by `{output.counted_by}`"
        uses = ", ".join(use.describe() for use in self.uses)
        if output.command:
            return (f"`{output.command}` would output {subject}, derived from personal data "
                    f"that it does not allow: {uses}")
        return (f"{subject} are derived from personal data that it does not allow: {uses} "
                "(segl refuses to output them)")

    @property
    def hints(self) -> tuple[str, ...]:
        """What to declare, then how to do without the output."""
        permit = self.output.permit
        names = ", ".join(dict.fromkeys(use.column.name for use in self.uses))
        if permit.purpose is None:
            declare = (f"declare why and what in {permit.kind} `{permit.name}`{permit.where}: "
                       f'`purpose "…"` and `allow ({names})`')
        elif permit.allow:
            declare = f"add {names} to the `allow (…)` of {permit.kind} `{permit.name}`"
        else:
            declare = f"declare `allow ({names})` in {permit.kind} `{permit.name}`"
        return tuple(h for h in (declare, self.output.instead) if h)

    def diagnostic(self) -> Diagnostic:
        permit = self.output.permit
        return error(REFUSED, self.message, name_span(permit.span, permit.name), *self.hints)


def name_span(span: Span | None, name: str) -> Span | None:
    """The object's name in its declaration (`segment minors {`: `minors`), where a caret
    shows what is meant; the declaration when the name is not found in it."""
    if span is None:
        return None
    start = span.source.text.find(name, span.start, span.end)
    return span if start < 0 else Span(span.source, start, start + len(name))


def refusals(model: m.Model, outputs: Iterable[Output]) -> list[Refusal]:
    """The outputs that carry personal data their object does not allow."""
    facts = Facts(model)
    found = []
    for output in outputs:
        uses = tuple(use for use in facts.uses(output.values)
                     if not output.permit.covers(use.column))
        if uses:
            found.append(Refusal(output, uses))
    return found


def refused(model: m.Model, outputs: Iterable[Output]) -> list[Diagnostic]:
    """One E504 error per refused output (the same output twice is one error)."""
    return list(dict.fromkeys(r.diagnostic() for r in refusals(model, outputs)))


def require_allowed(model: m.Model, outputs: Iterable[Output]) -> None:
    """Raise CompileError (E504, positioned at each object) when an output is refused."""
    diagnostics = refused(model, outputs)
    if diagnostics:
        raise CompileError(diagnostics)
