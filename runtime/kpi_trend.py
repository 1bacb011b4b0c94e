"""KPIs over a range of dates (`segl kpis --as-of D1..D2 --every month`, the report's time
section; docs/time.md): each date's KPIs per group exactly as `segl kpis --as-of D` gives
them, one row per date, group and KPI.

The dates are evaluated by `many_dates.each_date`, the seam issue 11 item 2 replaces."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .kpis import kpi_table
from .many_dates import each_date

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
