"""KPIs per segment, per segmentation bucket and over every entity, each with its index
(the group's value / the value over every entity x 100). One query over the evaluated members:
the per-entity components of every KPI are columns of it, totalled per group with FILTER."""

from __future__ import annotations

from dataclasses import dataclass

from segl.compiler.to_sql import AsOf, SqlGenerator, col

from .api import Evaluation


@dataclass
class GroupKpis:
    kind: str  # "all" | "segment" | "bucket"
    name: str  # the segment, "segmentation.bucket", or "all"
    label: str
    size: int
    values: dict[str, object]  # KPI -> value (None when missing, e.g. 0 / 0)
    index: dict[str, float | None]  # KPI -> value / overall value * 100


def kpi_table(evaluation: Evaluation) -> list[GroupKpis]:
    """One grouped pass over the members: GROUPING SETS of everyone, each segment column
    and each segmentation column. (One FILTER per group and KPI made DuckDB aggregate the
    table once per pair: 12x slower with 60 of them.)"""
    model = evaluation.compilation.model
    generator = SqlGenerator(evaluation.plan, "duckdb", AsOf("date", evaluation.as_of),
                             "absolute")
    names = [name for name, _ in evaluation.plan.kpis]
    columns = [*evaluation.segments, *evaluation.segmentations]
    quoted = [col(c).sql("duckdb") for c in columns]
    values = [generator.value(kpi).sql("duckdb") for _, kpi in evaluation.plan.kpis]
    select = [*(f"GROUPING({q})" for q in quoted), *quoted, "count(*)", *values]
    sets = ", ".join(["()", *(f"({q})" for q in quoted)])
    rows = evaluation.connection.execute(
        f"SELECT {', '.join(select)} FROM {evaluation.table} GROUP BY GROUPING SETS ({sets})"
    ).fetchall()
    found: dict[tuple[str, object], tuple] = {}
    for row in rows:
        flags, keys, rest = row[:len(columns)], row[len(columns):2 * len(columns)], \
            row[2 * len(columns):]
        grouped = [i for i, flag in enumerate(flags) if flag == 0]
        key = ("", None) if not grouped else (columns[grouped[0]], keys[grouped[0]])
        found[key] = rest
    empty = (0, *([None] * len(names)))
    results = [_group("all", "all", "", found.get(("", None), empty), names)]
    for name in evaluation.segments:
        results.append(_group("segment", name, model.segments[name].label or "",
                              found.get((name, True), empty), names))
    for name in evaluation.segmentations:
        for bucket in model.segmentations[name].buckets:
            results.append(_group("bucket", f"{name}.{bucket.name}", bucket.label or "",
                                  found.get((name, bucket.name), empty), names))
    overall = results[0].values
    for group in results:
        for kpi in names:
            value, base = group.values[kpi], overall[kpi]
            group.index[kpi] = None if value is None or not base else \
                float(value) / float(base) * 100
    return results


def _group(kind: str, name: str, label: str, row: tuple, names: list[str]) -> GroupKpis:
    return GroupKpis(kind, name, label, int(row[0]), dict(zip(names, row[1:], strict=True)), {})
