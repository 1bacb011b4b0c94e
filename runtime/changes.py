"""What changed over time (`segl history`, `segl transitions`; docs/time.md), from points
(entity, object, group, as_of) at a series of dates: evaluated now (`snapshot.evaluate_points`)
or read from a recorded history table (`history_store.recorded_points`).

- history: for each object, group and date, the size; and from the second date on, how many
  entered the group since the date before and how many left it (with `keys`, who).
- transitions: for one segmentation, how many entities moved from each bucket at the first
  date to each bucket at the second, with row shares; entities only at the second date come
  from "not yet an entity", entities only at the first go to "no longer an entity"."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
from segl.compiler.api import Model, member_outputs, require_allowed, select_segments
from sqlglot import exp

from . import api, history_store, sql
from .errors import UsageError
from .history_store import AS_OF, ENTITY, GROUP, MEMBER, NEW_DATES, OBJECT, POINTS
from .history_targets import load, opened, parse_target
from .snapshot import evaluate_points

NOT_YET = "not yet an entity"
NO_LONGER = "no longer an entity"
ENTERED, LEFT = "entered", "left"
DATE_STEPS, CHANGES = "segl_date_steps", "segl_changes"


@dataclass(frozen=True)
class Source:
    """Where the points come from: `days` evaluated, or a recorded history file (`into`,
    `table`) between `first` and `last`."""

    days: Sequence[date] = ()
    into: str | None = None
    table: str = history_store.DEFAULT_TABLE
    first: date | None = None
    last: date | None = None


@dataclass
class History:
    objects: list[str]
    dates: list[date]
    # (object, group, as_of) -> (size, entered, left); entered/left None at the first date
    rows: list[tuple[str, str, date, int, int | None, int | None]]
    keys: list[tuple[str, str, date, str, object]] = field(default_factory=list)


@dataclass
class Transitions:
    segmentation: str
    first: date
    last: date
    sources: list[str]  # the buckets at `first`, then NOT_YET
    targets: list[str]  # the buckets at `last`, then NO_LONGER
    counts: dict[tuple[str, str], int]

    def row_total(self, source: str) -> int:
        return sum(self.counts.get((source, t), 0) for t in self.targets)

    def column_total(self, target: str) -> int:
        return sum(self.counts.get((s, target), 0) for s in self.sources)


Progress = Callable[[str], None] | None


def history(path: str | Path, source: Source, segments: list[str] | None = None,
            keys: bool = False, params: dict[str, str] | None = None,
            database: str | None = None, engine: str = "duckdb",
            engine_options: dict[str, object] | None = None,
            progress: Progress = None) -> History:
    compilation, connection = api.load(path, params, database)
    model = compilation.require_ok()
    objects = select_segments(model, segments)
    if keys:
        require_allowed(model, member_outputs(
            model, objects, "segl history --keys",
            "or show the others only: `segl history --segment NAME …`"))
    _points(path, compilation, connection, source, objects, engine, engine_options, progress)
    return _history(connection, model, objects, keys)


def transitions(path: str | Path, segmentation: str, source: Source,
                params: dict[str, str] | None = None, database: str | None = None,
                engine: str = "duckdb", engine_options: dict[str, object] | None = None,
                progress: Progress = None) -> Transitions:
    compilation, connection = api.load(path, params, database)
    model = compilation.require_ok()
    select_segments(model, [segmentation])
    if segmentation not in model.segmentations:
        raise UsageError(f"`{segmentation}` is a segment: transitions are between the buckets "
                         "of a segmentation (`segl history --segment` shows a segment's "
                         "entries and exits)")
    _points(path, compilation, connection, source, [segmentation], engine, engine_options,
            progress)
    days = _dates(connection)
    if len(days) < 2:
        raise UsageError("transitions need two dates: --from D1 --to D2"
                         + ("" if source.into is None else " (recorded in the history)"))
    if source.into is not None:
        missing = [str(d) for d in (source.first, source.last) if d not in days]
        if missing:
            raise UsageError(f"the history holds no `{segmentation}` at {', '.join(missing)}; "
                             f"recorded from {days[0]} to {days[-1]}: "
                             f"{', '.join(map(str, days))}")
    return _matrix(connection, model, segmentation, days[0], days[-1])


def over_time(path: str | Path, source: Source, params: dict[str, str] | None = None,
              database: str | None = None, engine: str = "duckdb",
              engine_options: dict[str, object] | None = None,
              progress: Progress = None) -> tuple[History, list[Transitions]]:
    """Every object's history and every segmentation's transitions from the first date to
    the last, from ONE evaluation of the dates (or one read of the recorded history): what
    `history(…)` and `transitions(…)` per segmentation give, without evaluating the two end
    dates again for each segmentation (the report's time section)."""
    compilation, connection = api.load(path, params, database)
    model = compilation.require_ok()
    objects = select_segments(model, None)
    _points(path, compilation, connection, source, objects, engine, engine_options, progress)
    found = _history(connection, model, objects, False)
    days = found.dates
    moves = [] if len(days) < 2 else [_matrix(connection, model, name, days[0], days[-1])
                                       for name in model.segmentations]
    return found, moves


def _dates(connection: duckdb.DuckDBPyConnection) -> list[date]:
    return [row[0] for row in sql.fetch_all(connection, sql.select(
        sql.col(AS_OF), source=sql.table_ref(NEW_DATES)).distinct().order_by(sql.col(AS_OF)))]


def _history(connection: duckdb.DuckDBPyConnection, model: Model, objects: list[str],
             keys: bool) -> History:
    _changes(connection)
    days = _dates(connection)
    sizes = _counts(connection, POINTS, [OBJECT, GROUP, AS_OF])
    moves = _counts(connection, CHANGES, [OBJECT, GROUP, AS_OF, "change"])
    recorded = {(o, d) for o, d in sql.fetch_all(connection, sql.select(
        sql.col(OBJECT), sql.col(AS_OF), source=sql.table_ref(NEW_DATES)))}
    rows = []
    for name in objects:
        object_days = [d for d in days if (name, d) in recorded]
        for group in _groups(model, name, sizes):
            for index, day in enumerate(object_days):
                first = index == 0
                rows.append((name, group, day, sizes.get((name, group, day), 0),
                             None if first else moves.get((name, group, day, ENTERED), 0),
                             None if first else moves.get((name, group, day, LEFT), 0)))
    found = History(objects, days, rows)
    if keys:
        order = {name: index for index, name in enumerate(objects)}
        found.keys = sorted(
            sql.fetch_all(connection, sql.select(
                sql.col(OBJECT), sql.col(GROUP), sql.col(AS_OF), sql.col("change"),
                sql.col(ENTITY), source=sql.table_ref(CHANGES))),
            key=lambda r: (order[r[0]], r[1], r[2], r[3], r[4]))
    return found


def _matrix(connection: duckdb.DuckDBPyConnection, model: Model, segmentation: str,
            first: date, last: date) -> Transitions:
    """The moves of `segmentation`'s entities between its buckets at `first` and `last`,
    from the points table (which may hold other objects too)."""
    joined = sql.select(
        sql.aliased(exp.Coalesce(this=sql.col(GROUP, "a"), expressions=[sql.text(NOT_YET)]),
                    "source"),
        sql.aliased(exp.Coalesce(this=sql.col(GROUP, "b"), expressions=[sql.text(NO_LONGER)]),
                    "target"),
        sql.aliased(sql.count_all(), "entities"), source=_at(segmentation, first, "a"))
    joined = joined.join(_at(segmentation, last, "b"),
                         on=exp.EQ(this=sql.col(ENTITY, "a"), expression=sql.col(ENTITY, "b")),
                         join_type="full", copy=False)
    joined = joined.group_by(sql.col("source"), sql.col("target"), copy=False)
    counts = {(s, t): int(n) for s, t, n in sql.fetch_all(connection, joined)}
    buckets = [b.name for b in model.segmentations[segmentation].buckets]
    return Transitions(segmentation, first, last, [*buckets, NOT_YET], [*buckets, NO_LONGER],
                       counts)


def _points(path, compilation, connection: duckdb.DuckDBPyConnection, source: Source,
            objects: list[str], engine: str, engine_options, progress: Progress) -> None:
    if source.into is None:
        evaluate_points(path, compilation, connection, source.days, objects, engine,
                        engine_options, progress)
        return
    target = parse_target(source.into)
    try:
        with opened(target, engine_options, read_only=True) as store:
            held = load(connection, target, source.table, None, store, read_only=True)
        if not held:
            raise UsageError(f"`{target.label}` holds no history table `{source.table}`")
        try:
            history_store.recorded_points(connection, source.table, objects, source.first,
                                          source.last)
        except duckdb.Error as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UsageError(f"`{source.table}` in `{target.label}` is not a segl history "
                             f"table: {reason}") from None
    finally:
        history_store.detach(connection)


def _changes(connection: duckdb.DuckDBPyConnection) -> None:
    """CHANGES (object, group, as_of, change, entity): who entered and left each group at
    each date since the object's date before."""
    steps = sql.select(
        sql.col(OBJECT), sql.col(AS_OF),
        sql.aliased(exp.Window(this=exp.Lag(this=sql.col(AS_OF)), partition_by=[sql.col(OBJECT)],
                               order=exp.Order(expressions=[exp.Ordered(this=sql.col(AS_OF))]),
                               over="OVER"), "previous"),
        source=sql.table_ref(NEW_DATES))
    sql.execute(connection, sql.create_table_as(DATE_STEPS, steps))
    entered = _moves(ENTERED, here=AS_OF, there="previous")
    left = _moves(LEFT, here="previous", there=AS_OF)
    sql.execute(connection, sql.create_table_as(
        CHANGES, exp.union(entered, left, distinct=False, copy=False)))


def _moves(change: str, here: str, there: str) -> exp.Select:
    """Points at each step's `here` date (`as_of` or `previous`) without a point of the same
    entity in the same group at its `there` date; the row names the step's later date.
    ENTERED: here is the later date; LEFT: here is the earlier one."""
    step = exp.and_(
        exp.EQ(this=sql.col(OBJECT, "s"), expression=sql.col(OBJECT, "h")),
        exp.EQ(this=sql.col(here, "s"), expression=sql.col(AS_OF, "h")),
        exp.Not(this=exp.Is(this=sql.col("previous", "s"), expression=exp.Null())))
    same = exp.and_(
        exp.EQ(this=sql.col(ENTITY, "t"), expression=sql.col(ENTITY, "h")),
        exp.EQ(this=sql.col(OBJECT, "t"), expression=sql.col(OBJECT, "h")),
        exp.EQ(this=sql.col(GROUP, "t"), expression=sql.col(GROUP, "h")),
        exp.EQ(this=sql.col(AS_OF, "t"), expression=sql.col(there, "s")))
    query = sql.select(sql.col(OBJECT, "h"), sql.col(GROUP, "h"),
                       sql.aliased(sql.col(AS_OF, "s"), AS_OF),
                       sql.aliased(sql.text(change), "change"), sql.col(ENTITY, "h"),
                       source=sql.table_as(POINTS, "h"))
    query = query.join(sql.table_as(DATE_STEPS, "s"), on=step, copy=False)
    query = query.join(sql.table_as(POINTS, "t"), on=same, join_type="left", copy=False)
    return query.where(exp.Is(this=sql.col(ENTITY, "t"), expression=exp.Null()), copy=False)


def _at(name: str, day: date, alias: str) -> exp.Subquery:
    """`name`'s points at `day`: (entity, group)."""
    at = exp.and_(exp.EQ(this=sql.col(OBJECT), expression=sql.text(name)),
                  exp.EQ(this=sql.col(AS_OF), expression=exp.cast(
                      sql.text(day.isoformat()), "DATE")))
    return sql.subquery(sql.select(sql.col(ENTITY), sql.col(GROUP), source=sql.table_ref(
        POINTS)).where(at, copy=False), alias)


def _counts(connection: duckdb.DuckDBPyConnection, table: str, by: list[str]) -> dict:
    columns = [sql.col(c) for c in by]
    query = sql.select(*columns, sql.count_all(), source=sql.table_ref(table)).group_by(
        *(c.copy() for c in columns), copy=False)
    return {tuple(row[:-1]): int(row[-1]) for row in sql.fetch_all(connection, query)}


def _groups(model: Model, name: str, sizes: dict) -> list[str]:
    """A segment's one group; a segmentation's buckets in declaration order (then any
    recorded bucket the file no longer declares)."""
    if name in model.segments:
        return [MEMBER]
    declared = [b.name for b in model.segmentations[name].buckets]
    extra = sorted({g for o, g, _ in sizes if o == name and g not in declared})
    return declared + extra
