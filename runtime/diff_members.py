"""`segl diff --data`: the members of every segment and bucket in both versions, joined
in DuckDB: who joins, who leaves, example keys, `--by` breakdowns, moves between buckets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from segl.compiler.api import (
    Compilation,
    CompileError,
    Diagnostic,
    breakdown_outputs,
    member_outputs,
    refused,
)
from sqlglot import exp

from . import api, sql
from .bad_data import named_data_errors
from .diff_versions import relabel
from .errors import DataError
from .sources import relation

if TYPE_CHECKING:
    from .diff import DiffRequest, EntryDiff
    from .diff_versions import Version


@dataclass
class MemberDelta:
    kind: str  # segment | bucket
    name: str  # a bucket is `segmentation.bucket`
    before: int | None  # None: not in that version
    after: int | None
    joined: int
    left: int
    stayed: int
    joined_examples: list = field(default_factory=list)
    left_examples: list = field(default_factory=list)
    breakdown: list[tuple[object, int, int]] = field(default_factory=list)  # value, in, out

    @property
    def changed(self) -> bool:
        return bool(self.joined or self.left) or (self.before is None) != (self.after is None)


@dataclass(frozen=True)
class BucketMove:
    """Entities in bucket `source` of a segmentation before and in `target` after."""

    segmentation: str
    source: str
    target: str
    entities: int



# ---------------------------------------------------------------- members


def _members(entry: EntryDiff, base: Compilation | None, head: Compilation | None,
             connection, request: DiffRequest) -> None:
    when = api.resolve_as_of(request.as_of)
    described = (head or base).model
    if request.by and described.entity.column(request.by) is None:
        raise DataError([f"--by: table `{described.entity.name}` has no column `{request.by}` "
                         f"(columns: {', '.join(c.name for c in described.entity.columns)})"])
    tables, outputs, entities = {}, {}, []
    for side, compilation in (("base", base), ("head", head)):
        if compilation is None:
            entities.append(0)
            continue
        evaluation = api.evaluate(compilation.path, when, compilation=compilation,
                                  connection=connection, engine=request.engine,
                                  engine_options=request.engine_options)
        table = f"segl_diff_{side}"
        sql.execute(connection, sql.create_table_as(
            table, sql.select(exp.Star(), source=sql.table_ref(evaluation.table))))
        tables[side] = (table, evaluation.key)
        model = compilation.model
        outputs[side] = (list(evaluation.segments),
                         {s: [b.name for b in model.segmentations[s].buckets]
                          for s in evaluation.segmentations})
        entities.append(evaluation.entities)
    entry.entities = (entities[0], entities[1])
    groups = _groups(outputs)
    if not groups:
        entry.members = []
        return
    sql.execute(connection, sql.create_table_as(ROWS, _joined_rows(tables, groups)))
    entry.members = _member_counts(connection, groups, request.examples)
    if request.by:
        with named_data_errors(lambda: [described.entity]):  # it reads another column
            _breakdowns(entry.members, connection, described, request.by)
    if "base" in tables and "head" in tables:
        shared = [s for s in outputs["base"][1] if s in outputs["head"][1]]
        entry.moves = _moves(connection, tables, shared)


def _require_allowed(sides: tuple[tuple[Compilation | None, Version], ...],
                     request: DiffRequest) -> None:
    """The example keys of every segment and bucket are its members, and `--by` counts them
    by a column: each group's object must allow what that carries (docs/privacy.md), in the
    head version where it has one, else in the base version."""
    refusals: list[Diagnostic] = []
    judged: set[str] = set()
    for compilation, version in sides:
        if compilation is None:
            continue
        model = compilation.model
        names = [name for name in (*model.segments, *model.segmentations) if name not in judged]
        judged.update(names)
        outputs = []
        if request.examples > 0:
            outputs += member_outputs(model, names, "segl diff --data",
                                      "or show no keys: `--examples 0`")
        if request.by:
            outputs += breakdown_outputs(model, names, request.by, "segl diff --data --by",
                                         "or count by a column that is not personal")
        refusals += relabel(refused(model, outputs), version)
    if refusals:
        raise CompileError(refusals)


MOVES_PER_SEGMENTATION = 10


def _moves(connection, tables, segmentations: list[str]) -> list[BucketMove]:
    """The largest flows between buckets of each segmentation in both versions."""
    (base, base_key), (head, head_key) = tables["base"], tables["head"]
    moves = []
    for name in segmentations:
        before, after = sql.col(name, "b"), sql.col(name, "h")
        query = sql.select(before, after, sql.aliased(sql.count_all(), "n"),
                           source=sql.table_as(base, "b"))
        query = query.join(sql.table_as(head, "h"), join_type="inner", copy=False,
                           on=exp.EQ(this=sql.col(base_key, "b"),
                                     expression=sql.col(head_key, "h")))
        query = query.where(exp.NullSafeNEQ(this=before.copy(), expression=after.copy()),
                            copy=False).group_by(before.copy(), after.copy(), copy=False)
        query = query.order_by(exp.Ordered(this=sql.col("n"), desc=True), before.copy(),
                               after.copy(), copy=False).limit(MOVES_PER_SEGMENTATION,
                                                               copy=False)
        rows = sql.fetch_all(connection, query)
        moves += [BucketMove(name, source, target, int(n)) for source, target, n in rows]
    return moves


def _groups(outputs: dict[str, tuple[list[str], dict[str, list[str]]]]
            ) -> list[tuple[str, str, exp.Expression | None, exp.Expression | None]]:
    """(kind, name, membership in base as a condition or None, in head) of every segment
    and bucket of either version."""
    found: dict[tuple[str, str], dict[str, exp.Expression]] = {}
    for side, (segments, segmentations) in outputs.items():
        prefix = "b" if side == "base" else "h"
        for segment in segments:
            found.setdefault(("segment", segment), {})[side] = sql.col(segment, prefix)
        for segmentation, buckets in segmentations.items():
            for bucket in buckets:
                found.setdefault(("bucket", f"{segmentation}.{bucket}"), {})[side] = \
                    exp.EQ(this=sql.col(segmentation, prefix), expression=sql.text(bucket))
    return [(kind, name, sides.get("base"), sides.get("head"))
            for (kind, name), sides in found.items()]


def _joined_rows(tables: dict[str, tuple[str, str]], groups) -> exp.Select:
    """One row per entity of either version: its key and, per group, whether it was a member
    before (`b0`) and after (`h0`)."""
    columns = []
    for index, (_, _, before, after) in enumerate(groups):
        for side, condition in (("b", before), ("h", after)):
            columns.append(sql.aliased(exp.Coalesce(
                this=condition if condition is not None else exp.false(),
                expressions=[exp.false()]), f"{side}{index}"))
    base = tables.get("base")
    head = tables.get("head")
    if base and head:
        key: exp.Expression = exp.Coalesce(this=sql.col(base[1], "b"),
                                           expressions=[sql.col(head[1], "h")])
        query = sql.select(sql.aliased(key, "segl_key"), *columns,
                           source=sql.table_as(base[0], "b"))
        return query.join(sql.table_as(head[0], "h"), join_type="full", copy=False,
                          on=exp.EQ(this=sql.col(base[1], "b"), expression=sql.col(head[1], "h")))
    table, alias = (head, "h") if head else (base, "b")
    return sql.select(sql.aliased(sql.col(table[1], alias), "segl_key"), *columns,
                      source=sql.table_as(table[0], alias))


ROWS = "segl_diff_rows"


def _long_rows(groups) -> exp.Select:
    """The joined rows in long form: per entity and group, the group's index `g` and whether
    the entity was a member before (`b`) and after (`h`): DuckDB zips the UNNESTs."""
    def column_list(prefix: str) -> exp.Expression:
        return exp.Unnest(expressions=[exp.Array(
            expressions=[sql.col(f"{prefix}{index}") for index in range(len(groups))])])

    return sql.select(sql.col("segl_key"),
                      sql.aliased(exp.Unnest(expressions=[
                          exp.func("range", sql.number(len(groups)))]), "g"),
                      sql.aliased(column_list("b"), "b"), sql.aliased(column_list("h"), "h"),
                      source=sql.table_ref(ROWS))


def _member_counts(connection, groups, examples: int) -> list[MemberDelta]:
    """Per group: members before and after, joined, left, stayed, and the smallest keys of
    those who joined and left, counted in one grouped pass over the long form (seven
    aggregates grouped by group, not seven per group: issue 15 item 6)."""
    n = sql.number(max(int(examples), 1))  # min(x, 0) is an error; 0 examples are cut below
    b, h = sql.col("b"), sql.col("h")

    def where(condition: exp.Expression, aggregate: exp.Expression) -> exp.Expression:
        return exp.Filter(this=aggregate, expression=exp.Where(this=condition))

    joined = exp.and_(h.copy(), exp.Not(this=b.copy()))
    left = exp.and_(b.copy(), exp.Not(this=h.copy()))
    query = sql.select(
        sql.col("g"), sql.count_where(b.copy()), sql.count_where(h.copy()),
        sql.count_where(joined.copy()), sql.count_where(left.copy()),
        sql.count_where(exp.and_(b.copy(), h.copy())),
        # the n smallest keys, without collecting every key first
        where(joined, exp.Min(this=sql.col("segl_key"), count=n.copy())),
        where(left, exp.Min(this=sql.col("segl_key"), count=n.copy())),
        source=sql.subquery(_long_rows(groups), "long")).group_by(sql.col("g"))
    found = {int(row[0]): row[1:] for row in sql.fetch_all(connection, query)}
    deltas = []
    for index, (kind, name, before, after) in enumerate(groups):
        values = found.get(index, (0, 0, 0, 0, 0, None, None))
        deltas.append(MemberDelta(
            kind, name, int(values[0]) if before is not None else None,
            int(values[1]) if after is not None else None,
            int(values[2]), int(values[3]), int(values[4]), list(values[5] or [])[:examples],
            list(values[6] or [])[:examples]))
    return deltas


BREAKDOWN_ROWS = 10


def _breakdowns(deltas: list[MemberDelta], connection, model, attribute: str) -> None:
    """Joiners and leavers of each changed group, counted by a column of the entity."""
    entity = model.entity
    values = sql.select(sql.aliased(sql.col(entity.key), "segl_key"),
                        sql.aliased(sql.col(attribute), "value"),
                        source=relation(entity.locations[0]))
    sql.execute(connection, sql.create_table_as(_BY, values))
    for index, delta in enumerate(deltas):
        if not (delta.joined or delta.left):
            continue
        b, h = sql.col(f"b{index}", "j"), sql.col(f"h{index}", "j")
        counts = sql.select(
            sql.col("value", "e"),
            sql.aliased(sql.count_where(exp.and_(h.copy(), exp.Not(this=b.copy()))), "joined"),
            sql.aliased(sql.count_where(exp.and_(b.copy(), exp.Not(this=h.copy()))), "gone"),
            source=sql.table_as(ROWS, "j"))
        counts = counts.join(sql.table_as(_BY, "e"), join_type="left", using=["segl_key"],
                             copy=False)
        counts = counts.where(exp.NEQ(this=h.copy(), expression=b.copy()), copy=False)
        counts = counts.group_by(sql.col("value", "e"), copy=False)
        query = sql.select(exp.Star(), source=sql.subquery(counts)).order_by(
            exp.Ordered(this=exp.Add(this=sql.col("joined"), expression=sql.col("gone")),
                        desc=True),
            exp.Ordered(this=sql.col("value"), nulls_first=False), copy=False,
        ).limit(BREAKDOWN_ROWS, copy=False)
        result = sql.fetch_all(connection, query)
        delta.breakdown = [(value, int(joined), int(left)) for value, joined, left in result]


_BY = "segl_diff_by"
