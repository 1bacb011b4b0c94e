"""`segl snapshot`: record who is in which segment and bucket at each date into the
membership history table (`history_store.py`, docs/time.md).

Every date is evaluated in one query (one pass over each events table, on the chosen engine:
runtime/multi_date.py); its members become points (entity, object, group, as_of) in the
computing DuckDB connection."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from segl.compiler.api import Compilation, member_outputs, require_allowed, select_segments

from . import api, history_store, history_targets, sql
from .errors import OutputError, UsageError


@dataclass(frozen=True)
class SnapshotResult:
    into: str
    table: str
    dates: list[date]
    objects: list[str]
    rows: int  # intervals in the table after the run
    recorded: int  # dates the table holds, all objects together


def snapshot(path: str | Path, days: Sequence[date], into: str,
             table: str = history_store.DEFAULT_TABLE, segments: list[str] | None = None,
             params: dict[str, str] | None = None, database: str | None = None,
             engine: str = "duckdb", engine_options: dict[str, object] | None = None,
             progress: Callable[[str], None] | None = None) -> SnapshotResult:
    """Evaluate every (or the chosen) segment and segmentation at each of `days` and record
    them into `table` of `into` (a DuckDB file, or a PostgreSQL, SQLite or Spark target:
    history_targets.py), replacing what it held for those objects at those dates.
    Raises CompileError, DataError, UsageError, OutputError."""
    if not days:
        raise UsageError("no dates to record")
    compilation, connection = api.load(path, params, database)
    model = compilation.require_ok()
    objects = select_segments(model, segments)
    if not objects:
        raise UsageError(f"`{compilation.path}` declares no segment or segmentation to record")
    require_allowed(model, member_outputs(
        model, objects, "segl snapshot",
        "or record the others only: `segl snapshot --segment NAME …`"))
    target = history_targets.parse_target(into)
    evaluate_points(path, compilation, connection, days, objects, engine, engine_options,
                    progress)
    if progress:
        progress(f"Writing {table} in {target.label}…")
    remote = target.kind is not history_targets.TargetKind.DUCKDB
    with history_targets.opened(target, engine_options, lock=table) as store:
        try:
            had_table = history_targets.load(connection, target, table,
                                             history_store.key_type(connection), store)
            try:
                history_store.rebuild(connection, table, had_table)
            except duckdb.Error as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise OutputError(f"`{table}` in `{target.label}` is not a segl history "
                                  f"table ({reason}); it is unchanged") from None
            if store is not None:
                history_targets.write(connection, store, table)
            else:
                history_store.replace_rows(connection, table)
            rows, recorded = history_targets.counts(connection, remote, table)
        finally:
            history_store.detach(connection)
    return SnapshotResult(target.label, table, sorted(days), objects, rows, recorded)


def evaluate_points(path: str | Path, compilation: Compilation,
                    connection: duckdb.DuckDBPyConnection, days: Sequence[date],
                    objects: list[str], engine: str = "duckdb",
                    engine_options: dict[str, object] | None = None,
                    progress: Callable[[str], None] | None = None) -> None:
    """POINTS (entity, object, group, as_of) of `objects` at each of `days`, and NEW_DATES,
    in the connection's temporary tables: every date in one pass over each events table
    (runtime/multi_date.py)."""
    from .multi_date import evaluate_dates

    history_store.quiet(connection)
    if progress:
        progress(f"Evaluating {len(days)} dates in one pass…")
    evaluation = evaluate_dates(path, days, objects, compilation=compilation,
                                connection=connection, engine=engine,
                                engine_options=engine_options)
    points = history_store.points_of(evaluation.table, evaluation.key, evaluation.segments,
                                     evaluation.segmentations, None)
    sql.execute(connection, sql.create_table_as(history_store.POINTS, points))
    history_store.new_dates(connection, objects, sorted(days))
