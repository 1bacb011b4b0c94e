"""KPIs over a range of dates (`segl kpis --as-of D1..D2 --every month`, the report's time
section; docs/time.md): each date's KPIs per group exactly as `segl kpis --as-of D` gives
them, one row per date, group and KPI.

On the SQL engines every date is evaluated in one pass (`multi_date.evaluate_dates` with the
KPI components, then one KPI query grouped by date: `kpi_dates.kpi_tables`). Polars, a file
the one pass refuses (E301: event sequences, correlated aggregates) and a date without any
entity are evaluated one date at a time (`many_dates.each_date`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from segl.compiler.api import Code, CompileError

from . import api
from .kpi_dates import kpi_tables
from .kpis import GroupKpis, kpi_table
from .many_dates import each_date
from .multi_date import evaluate_dates

Progress = Callable[[str], None] | None
LOOPED_ENGINES = ("polars",)  # no one-pass KPIs: one evaluation per date


@dataclass(frozen=True)
class KpiPoint:
    as_of: date
    group: str  # "all", a segment, or "segmentation.bucket"
    kind: str  # "all" | "segment" | "bucket"
    label: str
    members: int
    entities: int  # every entity at that date
    kpi: str
    value: object  # None when missing (0 / 0)
    index: float | None  # value / everyone's value x 100


def kpi_trend(path: str | Path, days: Sequence[date], segments: list[str] | None = None,
              kpis: list[str] | None = None, params: dict[str, str] | None = None,
              database: str | None = None, engine: str = "duckdb",
              engine_options: dict[str, object] | None = None,
              progress: Progress = None, one_pass: bool = True) -> list[KpiPoint]:
    """Every (or the chosen) KPI of every group at each date, ordered by group (everyone,
    the segments, the buckets), KPI (as declared) and date. `one_pass=False`: one
    evaluation per date (what the one pass is compared with). Raises CompileError (E504 for
    a KPI that may not leave), DataError, UsageError."""
    compilation, connection = api.load(path, params, database)
    model = compilation.require_ok()
    names = kpis if kpis is not None else list(model.kpis)
    found: list[KpiPoint] = []

    def add(day: date, groups: list[GroupKpis], entities: int) -> None:
        found.extend(KpiPoint(day, group.name, group.kind, group.label, group.size,
                              entities, name, group.values[name], group.index[name])
                     for group in groups for name in names)

    done: dict[date, list[GroupKpis]] = {}
    if one_pass and engine not in LOOPED_ENGINES and days:
        if progress:
            progress(f"Evaluating {len(set(days))} dates in one pass…")
        try:
            evaluation = evaluate_dates(path, days, segments, compilation=compilation,
                                        connection=connection, engine=engine,
                                        engine_options=engine_options, kpis=True)
            done = kpi_tables(evaluation, names)
        except CompileError as refused:
            if not refused.diagnostics or any(d.code is not Code.E301
                                               for d in refused.diagnostics):
                raise
    for day, groups in done.items():
        add(day, groups, groups[0].size)  # everyone's row: every entity at that date
    rest = sorted(set(days) - set(done))
    for evaluation in each_date(path, rest, segments, params, database, engine,
                                engine_options, kpis=True, progress=progress,
                                compilation=compilation, connection=connection):
        add(evaluation.as_of, kpi_table(evaluation, names), evaluation.entities)
    groups = list(dict.fromkeys(p.group for p in found))
    order = {name: index for index, name in enumerate(groups)}
    kpi_order = {name: index for index, name in enumerate(dict.fromkeys(p.kpi for p in found))}
    return sorted(found, key=lambda p: (order[p.group], kpi_order[p.kpi], p.as_of))
