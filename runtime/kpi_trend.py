"""KPIs over a range of dates (`segl kpis --as-of D1..D2 --every month`, the report's time
section; docs/time.md): each date's KPIs per group exactly as `segl kpis --as-of D` gives
them, one row per date, group and KPI.

`each_date` is the one place a series of dates is evaluated, one evaluation per date;
computing many dates in one pass over the events (issue 11 item 2) replaces its loop."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import api
from .api import Evaluation
from .kpis import kpi_table

Progress = Callable[[str], None] | None


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


def each_date(path: str | Path, days: Sequence[date], segments: list[str] | None = None,
              params: dict[str, str] | None = None, database: str | None = None,
              engine: str = "duckdb", engine_options: dict[str, object] | None = None,
              kpis: bool = False, progress: Progress = None) -> Iterator[Evaluation]:
    """The evaluation at each of `days`, in date order (one compilation, one connection;
    each evaluation is read before the next replaces its members table)."""
    compilation, connection = api.load(path, params, database)
    compilation.require_ok()
    ordered = sorted(days)
    for number, day in enumerate(ordered, 1):
        if progress:
            progress(f"Evaluating as_of {day} ({number} of {len(ordered)})…")
        yield api.evaluate(path, day, segments, compilation=compilation,
                           connection=connection, kpis=kpis, engine=engine,
                           engine_options=engine_options)


def kpi_trend(path: str | Path, days: Sequence[date], segments: list[str] | None = None,
              kpis: list[str] | None = None, params: dict[str, str] | None = None,
              database: str | None = None, engine: str = "duckdb",
              engine_options: dict[str, object] | None = None,
              progress: Progress = None) -> list[KpiPoint]:
    """Every (or the chosen) KPI of every group at each date, ordered by group (everyone,
    the segments, the buckets), KPI (as declared) and date. Raises CompileError (E504 for
    a KPI that may not leave), DataError, UsageError."""
    found: list[KpiPoint] = []
    for evaluation in each_date(path, days, segments, params, database, engine,
                                engine_options, kpis=True, progress=progress):
        model = evaluation.compilation.model
        names = kpis if kpis is not None else list(model.kpis)
        for group in kpi_table(evaluation, names):
            found += [KpiPoint(evaluation.as_of, group.name, group.kind, group.label,
                               group.size, evaluation.entities, name, group.values[name],
                               group.index[name]) for name in names]
    groups = list(dict.fromkeys(p.group for p in found))
    order = {name: index for index, name in enumerate(groups)}
    kpi_order = {name: index for index, name in enumerate(dict.fromkeys(p.kpi for p in found))}
    return sorted(found, key=lambda p: (order[p.group], kpi_order[p.kpi], p.as_of))
