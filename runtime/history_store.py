"""The membership history table (docs/time.md): its shape, and replacing its rows in one
transaction.

    <table>        (entity, object, group, valid_from, valid_to): one row per interval
    <table>_dates  (object, as_of): every date recorded for each segment and segmentation

`entity` has the entity key's type; `object` is a segment or segmentation name; `group` is
`member` for a segment and the bucket name for a segmentation. An interval says: at every
recorded date of the object from `valid_from` up to (not including) `valid_to`, the entity
was in that group. `valid_to` is the first recorded date at which it was not (it left, moved
to another bucket, or was no longer an entity); NULL while it still was at the object's
latest recorded date.

Intervals are always rebuilt from points (entity, object, group, as_of): the table's own
points at the dates it keeps, plus the points just computed for the dates recomputed. So a
date recorded twice gives the same rows (idempotent), a date recomputed after late data
repairs every interval it touches, and a date inserted between two others splits them.
Every statement is a sqlglot tree through `sql.py`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb
from sqlglot import exp

from . import sql
from .errors import OutputError, UsageError

DEFAULT_TABLE = "segl_history"
MEMBER = "member"  # the group of a segment's members
TARGET = "segl_target"  # the catalog the history file is attached as
# Working tables in the computing connection (temporary: never written to the target)
POINTS, NEW_DATES, ALL_POINTS, ALL_DATES, DATE_INDEX, INTERVALS = (
    "segl_points", "segl_new_dates", "segl_all_points", "segl_all_dates", "segl_date_index",
    "segl_intervals")
ENTITY, OBJECT, GROUP, VALID_FROM, VALID_TO, AS_OF = (
    "entity", "object", "group", "valid_from", "valid_to", "as_of")
HISTORY_COLUMNS = (ENTITY, OBJECT, GROUP, VALID_FROM, VALID_TO)


def quiet(connection: duckdb.DuckDBPyConnection) -> None:
    """No DuckDB progress bar on the terminal while the long queries run."""
    sql.execute(connection, exp.Set(expressions=[exp.SetItem(this=exp.EQ(
        this=sql.col("enable_progress_bar"), expression=exp.false()))]))


def dates_table(table: str) -> str:
    return f"{table}_dates"


def attach(connection: duckdb.DuckDBPyConnection, path: str, read_only: bool = False) -> None:
    """The history file as catalog TARGET of the connection (created when missing, unless
    `read_only`). Raises OutputError (writing) or UsageError (reading) naming the file."""
    alias = exp.Alias(this=sql.text(path), alias=sql.ident(TARGET))
    expressions = [exp.AttachOption(this=exp.var("READ_ONLY"))] if read_only else None
    try:
        if not read_only:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        sql.execute(connection, exp.Attach(this=alias, exists=False, expressions=expressions))
    except (OSError, duckdb.Error) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        error = UsageError if read_only else OutputError
        raise error(f"cannot open the history file `{path}`: {reason}") from None


def detach(connection: duckdb.DuckDBPyConnection) -> None:
    sql.execute(connection, exp.Detach(this=sql.ident(TARGET), exists=True))


def exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the attached file holds `table` and its dates table."""
    query = sql.select(sql.count_all(), source=sql.table_ref("information_schema", "tables"))
    query = query.where(exp.and_(
        exp.EQ(this=sql.col("table_catalog"), expression=sql.text(TARGET)),
        exp.In(this=sql.col("table_name"),
               expressions=[sql.text(table), sql.text(dates_table(table))])), copy=False)
    return sql.fetch_one(connection, query)[0] == 2


def points_of(members: str, key: str, segments: Sequence[str], segmentations: Sequence[str],
              day: date | None) -> exp.Expression:
    """(entity, object, group, as_of) of one evaluation's members table: one row per member
    of each segment, one per entity and segmentation. `day` None: a members table of many
    dates, whose `as_of` column says each row's (runtime/multi_date.py)."""
    when = _date(day) if day is not None else sql.col(AS_OF)
    parts = [sql.select(sql.aliased(sql.col(key), ENTITY), sql.aliased(sql.text(s), OBJECT),
                        sql.aliased(sql.text(MEMBER), GROUP), sql.aliased(when.copy(), AS_OF),
                        source=sql.table_ref(members)).where(sql.col(s), copy=False)
             for s in segments]
    parts += [sql.select(sql.aliased(sql.col(key), ENTITY), sql.aliased(sql.text(s), OBJECT),
                         sql.aliased(exp.cast(sql.col(s), "VARCHAR"), GROUP),
                         sql.aliased(when.copy(), AS_OF), source=sql.table_ref(members))
              for s in segmentations]
    query: exp.Expression = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False, copy=False)
    return query


def new_dates(connection: duckdb.DuckDBPyConnection, objects: Sequence[str],
              days: Sequence[date]) -> None:
    """NEW_DATES: (object, as_of) for each object and date being recorded now."""
    sql.execute(connection, sql.create_table(NEW_DATES, [
        sql.column_def(OBJECT, sql.data_type("VARCHAR")),
        sql.column_def(AS_OF, sql.data_type("DATE"))], temporary=True))
    sql.execute_many(connection, sql.insert_values(NEW_DATES, [OBJECT, AS_OF]),
                     [(o, d) for o in objects for d in days])


def rebuild(connection: duckdb.DuckDBPyConnection, table: str, had_table: bool) -> None:
    """INTERVALS and ALL_DATES from the new points and the table's kept points."""
    points: exp.Expression = sql.select(exp.Star(), source=sql.table_ref(POINTS))
    dates: exp.Expression = sql.select(exp.Star(), source=sql.table_ref(NEW_DATES))
    if had_table:
        points = exp.union(points, _kept_points(table), distinct=False, copy=False)
        dates = exp.union(dates, _kept_dates(table), distinct=True, copy=False)
    sql.execute(connection, sql.create_table_as(ALL_POINTS, points))
    sql.execute(connection, sql.create_table_as(ALL_DATES, dates))
    by_object = _window_spec([sql.col(OBJECT)], [sql.col(AS_OF)])
    sql.execute(connection, sql.create_table_as(DATE_INDEX, sql.select(
        sql.col(OBJECT), sql.col(AS_OF),
        sql.aliased(_over(exp.RowNumber(), by_object), "idx"),
        sql.aliased(_over(exp.Lead(this=sql.col(AS_OF)), by_object), "next_as_of"),
        source=sql.table_ref(ALL_DATES))))
    # Consecutive recorded dates in one group: idx minus the row number within the group is
    # constant along a run (gaps and islands).
    within = _window_spec([sql.col(ENTITY, "p"), sql.col(OBJECT, "p"), sql.col(GROUP, "p")],
                          [sql.col("idx", "d")])
    islands = sql.select(
        sql.col(ENTITY, "p"), sql.col(OBJECT, "p"), sql.col(GROUP, "p"), sql.col(AS_OF, "p"),
        sql.aliased(exp.Sub(this=sql.col("idx", "d"), expression=_over(exp.RowNumber(), within)),
                    "island"),
        source=sql.table_as(ALL_POINTS, "p")).join(
            sql.table_as(DATE_INDEX, "d"), on=_same("p", "d", OBJECT, AS_OF), copy=False)
    runs = sql.select(
        sql.col(ENTITY), sql.col(OBJECT), sql.col(GROUP),
        sql.aliased(exp.Min(this=sql.col(AS_OF)), VALID_FROM),
        sql.aliased(exp.Max(this=sql.col(AS_OF)), "last_seen"),
        source=sql.subquery(islands, "i")).group_by(
            sql.col(ENTITY), sql.col(OBJECT), sql.col(GROUP), sql.col("island"), copy=False)
    intervals = sql.select(
        sql.col(ENTITY, "r"), sql.col(OBJECT, "r"), sql.col(GROUP, "r"),
        sql.col(VALID_FROM, "r"), sql.aliased(sql.col("next_as_of", "d"), VALID_TO),
        source=sql.subquery(runs, "r")).join(
            sql.table_as(DATE_INDEX, "d"),
            on=exp.and_(exp.EQ(this=sql.col(OBJECT, "r"), expression=sql.col(OBJECT, "d")),
                        exp.EQ(this=sql.col("last_seen", "r"), expression=sql.col(AS_OF, "d"))),
            copy=False)
    sql.execute(connection, sql.create_table_as(INTERVALS, intervals))


def replace_rows(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    """Replace the target's rows with INTERVALS and ALL_DATES in one transaction: a failure
    at any point leaves both tables as they were (or absent, as they were)."""
    sql.execute(connection, exp.Transaction())
    try:
        create_tables(connection, table)
        sql.execute(connection, exp.Delete(this=sql.table_ref(TARGET, table)))
        _insert_intervals(connection, table)
        sql.execute(connection, exp.Delete(this=sql.table_ref(TARGET, dates_table(table))))
        sql.execute(connection, exp.Insert(
            this=sql.table_ref(TARGET, dates_table(table)),
            expression=sql.select(sql.col(OBJECT), sql.col(AS_OF),
                                  source=sql.table_ref(ALL_DATES)).order_by(
                sql.col(OBJECT), sql.col(AS_OF), copy=False)))
    except BaseException as exc:
        sql.execute(connection, exp.Rollback())
        if isinstance(exc, duckdb.Error):  # a full disk, a table of another shape
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise OutputError(f"cannot write the history table `{table}`: {reason}; it is "
                              "unchanged") from None
        raise
    sql.execute(connection, exp.Commit())


def _insert_intervals(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    ordered = sql.select(*(sql.col(c) for c in HISTORY_COLUMNS),
                         source=sql.table_ref(INTERVALS)).order_by(
        sql.col(OBJECT), sql.col(ENTITY), sql.col(VALID_FROM), copy=False)
    sql.execute(connection, exp.Insert(this=sql.table_ref(TARGET, table), expression=ordered))


def key_type(connection: duckdb.DuckDBPyConnection) -> str:
    """The DuckDB type of the entity key, read from the points just evaluated."""
    return next(row[1] for row in sql.fetch_all(
        connection, sql.describe(sql.select(sql.col(ENTITY), source=sql.table_ref(POINTS)))))


def create_tables(connection: duckdb.DuckDBPyConnection, table: str,
                  entity_type: str | None = None) -> None:
    """The history table and its dates table in TARGET, unless they are there; the entity
    of `entity_type` (a DuckDB type name), else of the points' key."""
    key_type_name = entity_type or key_type(connection)
    text, day = sql.data_type("VARCHAR"), sql.data_type("DATE")
    columns = [sql.column_def(ENTITY, sql.data_type(key_type_name)),
               sql.column_def(OBJECT, text), sql.column_def(GROUP, text.copy()),
               sql.column_def(VALID_FROM, day), sql.column_def(VALID_TO, day.copy())]
    for name, defs in ((table, columns), (dates_table(table), [
            sql.column_def(OBJECT, text.copy()), sql.column_def(AS_OF, day.copy())])):
        create = sql.create_table(name, defs)
        create.this.set("this", sql.table_ref(TARGET, name))
        create.set("exists", True)
        sql.execute(connection, create)


def recorded_points(connection: duckdb.DuckDBPyConnection, table: str, objects: list[str],
                    first: date | None, last: date | None) -> None:
    """POINTS and NEW_DATES (the dates in view) from the attached table: its points at its
    recorded dates of `objects` from `first` to `last` (both included; None: unbounded), as
    temporary tables of the connection (they outlive detaching the file)."""
    def chosen(query: exp.Select) -> exp.Select:
        conditions = [exp.In(this=sql.col(OBJECT, "d"), expressions=[sql.text(o) for o in objects])]
        if first is not None:
            conditions.append(exp.GTE(this=sql.col(AS_OF, "d"), expression=_date(first)))
        if last is not None:
            conditions.append(exp.LTE(this=sql.col(AS_OF, "d"), expression=_date(last)))
        return query.where(exp.and_(*conditions), copy=False)

    sql.execute(connection, sql.create_table_as(NEW_DATES, chosen(sql.select(
        sql.col(OBJECT, "d"), sql.col(AS_OF, "d"), source=_target(dates_table(table), "d")))))
    sql.execute(connection, sql.create_table_as(POINTS, chosen(_points(table))))


def _points(table: str) -> exp.Select:
    """The table's intervals as points: (entity, object, group) at each recorded date."""
    cover = exp.and_(
        exp.EQ(this=sql.col(OBJECT, "d"), expression=sql.col(OBJECT, "h")),
        exp.GTE(this=sql.col(AS_OF, "d"), expression=sql.col(VALID_FROM, "h")),
        exp.or_(exp.Is(this=sql.col(VALID_TO, "h"), expression=exp.Null()),
                exp.LT(this=sql.col(AS_OF, "d"), expression=sql.col(VALID_TO, "h"))))
    query = sql.select(sql.col(ENTITY, "h"), sql.col(OBJECT, "h"), sql.col(GROUP, "h"),
                       sql.col(AS_OF, "d"), source=_target(table, "h"))
    return query.join(_target(dates_table(table), "d"), on=cover, copy=False)


def _kept_points(table: str) -> exp.Select:
    """The table's points at its recorded dates that are not being recomputed."""
    return _not_new(_points(table), "d")


def _kept_dates(table: str) -> exp.Select:
    return _not_new(sql.select(sql.col(OBJECT, "d"), sql.col(AS_OF, "d"),
                               source=_target(dates_table(table), "d")), "d")


def _not_new(query: exp.Select, alias: str) -> exp.Select:
    """`query` without the rows of (object, as_of) pairs being recomputed."""
    query = query.join(sql.table_as(NEW_DATES, "n"), on=_same(alias, "n", OBJECT, AS_OF),
                       join_type="left", copy=False)
    return query.where(exp.Is(this=sql.col(OBJECT, "n"), expression=exp.Null()), copy=False)


def _target(name: str, alias: str) -> exp.Table:
    table = sql.table_ref(TARGET, name)
    table.set("alias", exp.TableAlias(this=sql.ident(alias)))
    return table


def _same(left: str, right: str, *columns: str) -> exp.Expression:
    return exp.and_(*(exp.EQ(this=sql.col(c, left), expression=sql.col(c, right))
                      for c in columns))


def _window_spec(partition: list[exp.Expression], order: list[exp.Expression]) -> dict:
    return {"partition_by": partition,
            "order": exp.Order(expressions=[exp.Ordered(this=o) for o in order])}


def _over(function: exp.Expression, spec: dict) -> exp.Window:
    return exp.Window(this=function, partition_by=[p.copy() for p in spec["partition_by"]],
                      order=spec["order"].copy(), over="OVER")


def _date(day: date) -> exp.Expression:
    return exp.cast(sql.text(day.isoformat()), "DATE")
