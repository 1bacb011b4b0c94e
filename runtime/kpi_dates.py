"""KPIs at many dates in one pass (issue 11 item 2, docs/time.md): the KPI query over the
members of every date (`multi_date.evaluate_dates` with the KPI components), grouped by the
date too, so one query gives each date's groups exactly as `kpis.kpi_table` gives them for
a separate `segl kpis --as-of D`."""

from __future__ import annotations

from datetime import date

from segl.compiler.api import AsOf, kpi_select

from . import sql
from .kpis import GroupKpis, allowed_kpis, kpi_groups
from .multi_date import DatedEvaluation


def kpi_tables(evaluation: DatedEvaluation, names: list[str] | None = None,
               command: str = "segl kpis") -> dict[date, list[GroupKpis]]:
    """Each date's groups (everyone, the segments, each segmentation's buckets), in date
    order, from one KPI query grouped by (date, group). A date with no entity at all is
    left out (it has no row to group): the caller evaluates it alone, as `segl kpis --as-of
    D` would give it. Raises CompileError (E504) for a KPI that may not leave."""
    chosen = allowed_kpis(evaluation, names, command)
    query = kpi_select(evaluation.plan, "duckdb", AsOf.many(evaluation.dates),
                       evaluation.table)
    by_date: dict[date, list[tuple]] = {}
    for row in sql.fetch_all(evaluation.connection, query):
        by_date.setdefault(row[0], []).append(row[1:])
    return {day: kpi_groups(evaluation, by_date[day], chosen)
            for day in evaluation.dates if day in by_date}
