"""`segl explain SEGMENT`: each condition of a segment with how many entities pass it alone
and how many remain after it and every condition before it: the funnel an analyst tunes."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from segl.compiler.api import Expr, Segment, select_segments
from sqlglot import exp

from . import sql
from .api import evaluate, load
from .errors import UsageError


@dataclass
class FunnelStep:
    condition: str  # as written in the .seg file
    passing: int  # entities meeting this condition alone
    remaining: int  # entities meeting it and every condition above it


@dataclass
class Funnel:
    segment: str
    entities: int
    steps: list[FunnelStep]


def condition_text(condition: Expr) -> str:
    if condition.span is None:
        return repr(condition)
    return re.sub(r"\s+", " ", condition.span.text).strip()


def condition_texts(segment: Segment) -> list[str]:
    """Each condition of a segment as written; the parent of `extends` comes first."""
    texts = [condition_text(c) for c in segment.conditions]
    if segment.parent:
        texts[0] = f"extends {segment.parent}"
    return texts


def explain(path: str, segment: str, as_of=None, params=None, database=None,
            engine: str = "duckdb", engine_options: dict[str, object] | None = None) -> Funnel:
    """The funnel of `segment`: one probe segment per condition, evaluated with the members
    on `engine` (docs/engines.md); the counts are one query over those members."""
    compilation, connection = load(path, params, database)
    model = compilation.require_ok()
    select_segments(model, [segment])
    if segment in model.segmentations:
        raise UsageError(f"`{segment}` is a segmentation: `segl run -s {segment}` shows how "
                         "many entities each bucket takes")
    conditions = model.segments[segment].conditions
    probes = {}
    for index, condition in enumerate(conditions, 1):
        probes[f"_explain_{index}"] = Segment(
            f"_explain_{index}", None, None, None, (), None, (condition,), condition.span
        )
    probe_model = replace(model, segments={**model.segments, **probes})
    evaluation = evaluate(path, as_of, list(probes), params, database, connection=connection,
                          compilation=replace(compilation, model=probe_model), engine=engine,
                          engine_options=engine_options)
    names = [sql.col(name) for name in probes]
    alone = [sql.count_where(n.copy()) for n in names]
    cumulative = [sql.count_where(exp.and_(*(n.copy() for n in names[: i + 1])))
                  for i in range(len(names))]
    row = sql.fetch_one(connection, sql.select(sql.count_all(), *alone, *cumulative,
                                               source=sql.table_ref(evaluation.table)))
    total, counts = int(row[0]), [int(v) for v in row[1:]]
    k = len(conditions)
    texts = condition_texts(model.segments[segment])
    steps = [FunnelStep(texts[i], counts[i], counts[k + i]) for i in range(k)]
    return Funnel(segment, total, steps)


