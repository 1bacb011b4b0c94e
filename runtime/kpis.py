"""KPIs per segment, per segmentation bucket and over every entity, each with its index
(the group's value / the value over every entity x 100). The per-entity components of every
KPI are columns of the members table; the compiler's KPI query totals them per group."""

from __future__ import annotations

from dataclasses import dataclass

from segl.compiler.api import AsOf, kpi_outputs, kpi_select, require_allowed, share_outputs

from . import sql
from .api import Evaluation


@dataclass
class GroupKpis:
    kind: str  # "all" | "segment" | "bucket"
    name: str  # the segment, "segmentation.bucket", or "all"
    label: str
    size: int
    values: dict[str, object]  # KPI -> value (None when missing, e.g. 0 / 0)
    index: dict[str, float | None]  # KPI -> value / overall value * 100


def kpi_table(evaluation: Evaluation, names: list[str] | None = None,
              command: str = "segl kpis") -> list[GroupKpis]:
    """Every group's size, KPIs and indexes: the compiler's KPI query (one GROUPING SETS
    pass over the members table) run on the evaluation's DuckDB connection. Groups come back
    in order: everyone, the segments, then each segmentation's buckets (an empty bucket too).
    `names`: the KPIs (and shares) to return, default all planned; each must be allowed to
    leave (docs/privacy.md), or CompileError (E504) names what to declare."""
    chosen = allowed_kpis(evaluation, names, command)
    query = kpi_select(evaluation.plan, "duckdb", AsOf("date", evaluation.as_of),
                       evaluation.table)
    rows = sql.fetch_all(evaluation.connection, query)
    return kpi_groups(evaluation, rows, chosen)


def allowed_kpis(evaluation, names: list[str] | None, command: str) -> list[str]:
    """The planned KPIs among `names` (default all), once each may leave (E504 if not).
    `evaluation`: an Evaluation or a DatedEvaluation (runtime/kpi_dates.py)."""
    model = evaluation.compilation.model
    planned = [name for name, _ in evaluation.plan.kpis]
    chosen = planned if names is None else [name for name in planned if name in names]
    shares = [name for name in chosen if name in evaluation.plan.shares]
    require_allowed(model, [
        *kpi_outputs(model, chosen, command),
        *(share_outputs(model, evaluation.segments, evaluation.segmentations, command)
          if shares else ())])
    return chosen


def kpi_groups(evaluation, rows: list[tuple], chosen: list[str]) -> list[GroupKpis]:
    """The groups in order from the KPI query's `rows` (kind, group, members, the KPIs,
    their indexes) of one date."""
    model = evaluation.compilation.model
    planned = [name for name, _ in evaluation.plan.kpis]
    found = {(kind, name): row for row in rows for kind, name in [row[:2]]}
    width = len(planned)

    def group(kind: str, name: str, label: str) -> GroupKpis:
        row = found.get((kind, name))
        if row is None:  # a bucket nobody is in
            return GroupKpis(kind, name, label, 0, dict.fromkeys(chosen),
                             dict.fromkeys(chosen))
        values, indexes = row[3:3 + width], row[3 + width:]
        return GroupKpis(kind, name, label, int(row[2]),
                         {k: v for k, v in zip(planned, values, strict=True) if k in chosen},
                         {k: v for k, v in zip(planned, indexes, strict=True) if k in chosen})

    results = [group("all", "all", "")]
    for name in evaluation.segments:
        results.append(group("segment", name, model.segments[name].label or ""))
    for name in evaluation.segmentations:
        for bucket in model.segmentations[name].buckets:
            results.append(group("bucket", f"{name}.{bucket.name}", bucket.label or ""))
    return results


