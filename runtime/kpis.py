"""KPIs per segment, per segmentation bucket and over every entity, each with its index
(the group's value / the value over every entity x 100). One query over the evaluated members:
the per-entity components of every KPI are columns of it, totalled per group with FILTER."""

from __future__ import annotations

from dataclasses import dataclass

from segl.compiler.to_sql import AsOf, SqlGenerator, col
from sqlglot import exp

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
    model = evaluation.compilation.model
    generator = SqlGenerator(evaluation.plan, "duckdb", AsOf("date", evaluation.as_of),
                             "absolute")
    groups: list[tuple[str, str, str, exp.Expression | None]] = [("all", "all", "", None)]
    for name in evaluation.segments:
        groups.append(("segment", name, model.segments[name].label or "", col(name)))
    for name in evaluation.segmentations:
        for bucket in model.segmentations[name].buckets:
            condition = exp.EQ(this=col(name), expression=exp.Literal.string(bucket.name))
            groups.append(("bucket", f"{name}.{bucket.name}", bucket.label or "", condition))
    columns = []
    for _, _, _, condition in groups:
        size = exp.Count(this=exp.Star())
        columns.append(size if condition is None else
                       exp.Filter(this=size, expression=exp.Where(this=condition.copy())))
        generator.kpi_group = condition
        columns.extend(generator.value(kpi) for _, kpi in evaluation.plan.kpis)
    query = exp.select(*columns).from_(exp.to_table(evaluation.table))
    row = evaluation.connection.execute(query.sql("duckdb")).fetchone()
    names = [name for name, _ in evaluation.plan.kpis]
    width = 1 + len(names)
    results = []
    for index, (kind, name, label, _) in enumerate(groups):
        chunk = row[index * width : (index + 1) * width]
        results.append(GroupKpis(kind, name, label, int(chunk[0]), dict(zip(names, chunk[1:],
                                                                            strict=True)), {}))
    overall = results[0].values
    for group in results:
        for kpi in names:
            value, base = group.values[kpi], overall[kpi]
            group.index[kpi] = None if value is None or not base else \
                float(value) / float(base) * 100
    return results
