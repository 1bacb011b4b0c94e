"""Each cluster's profile (docs/discovery.md): its size and share, the mean of every
feature in its own units, and that mean's index against everyone profiled (100 = average).

`segl discover` profiles the fit (the entities it fitted on, labelled by the fit);
`segl report` profiles the assignment as of its date: the features computed by the engine
as discover computes them, a missing value imputed with the lock file's mean under
`missing mean` (what assignment does), and each entity's bucket read from the members
table, so the profile describes exactly the entities the page counts in each cluster."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from segl.compiler.api import Clusters, Output, Owner, permit_of, require_allowed

from . import sql
from .api import Evaluation
from .discover_features import feature_columns


@dataclass(frozen=True)
class ClusterProfile:
    name: str  # cluster_1 …
    size: int
    share: float
    means: tuple[float, ...]  # of each feature, in its own units
    index: tuple[float | None, ...]  # 100 * mean / mean of everyone profiled (None: mean 0)


@dataclass(frozen=True)
class SegmentationProfile:
    """The clusters of one segmentation as assigned on the report's date."""

    name: str
    clusters: Clusters
    entities: int  # profiled: every entity in a cluster (not `no_value`)
    overall: tuple[float, ...]  # mean of each feature over them
    profiles: tuple[ClusterProfile, ...]


def profile(x: np.ndarray, labels: np.ndarray, k: int
            ) -> tuple[tuple[float, ...], tuple[ClusterProfile, ...]]:
    """(mean of each feature over all rows, each cluster's profile); `labels` 0-based."""
    overall = x.mean(axis=0)
    profiles = []
    for i in range(k):
        rows = x[labels == i]
        means = rows.mean(axis=0) if len(rows) else np.full(x.shape[1], np.nan)
        profiles.append(ClusterProfile(
            f"cluster_{i + 1}", len(rows), len(rows) / x.shape[0] if len(x) else 0.0,
            floats(means), tuple(None if o == 0 or np.isnan(m) else float(100 * m / o)
                                 for m, o in zip(means, overall, strict=True))))
    return floats(overall), tuple(profiles)


def assigned_profiles(evaluation: Evaluation, command: str, engine: str = "duckdb",
                      engine_options: dict[str, object] | None = None
                      ) -> list[SegmentationProfile]:
    """The profile of every fitted `clusters` segmentation the evaluation assigned. The
    feature means leave in the output: the segmentation must allow them (E504)."""
    model = evaluation.compilation.model
    targets = {name: model.segmentations[name].clusters for name in evaluation.segmentations
               if model.segmentations[name].clusters is not None
               and model.segmentations[name].clusters.fit is not None}
    if not targets:
        return []
    require_allowed(model, [Output(permit_of(model, Owner.SEGMENTATION, name),
                                   "cluster profiles", spec.features, command)
                            for name, spec in targets.items()])
    columns = feature_columns(evaluation.compilation,
                              {name: spec.features for name, spec in targets.items()},
                              evaluation.as_of, evaluation.connection, engine,
                              engine_options or {})
    buckets = _buckets(evaluation, list(targets))
    found = []
    for name, spec in targets.items():
        x = columns[name]
        if spec.missing == "mean":
            x = np.where(np.isnan(x), np.array(spec.fit.mean), x)
        numbers = {f"cluster_{i + 1}": i for i in range(spec.k)}
        label = buckets.get_column(name).replace_strict(
            numbers, default=-1, return_dtype=pl.Int64).to_numpy()
        if len(label) != len(x):
            raise AssertionError(f"{len(label)} entities assigned, {len(x)} profiled")
        inside = label >= 0
        overall, profiles = profile(x[inside], label[inside], spec.k)
        found.append(SegmentationProfile(name, spec, int(inside.sum()), overall, profiles))
    return found


def _buckets(evaluation: Evaluation, names: list[str]) -> pl.DataFrame:
    """Each segmentation's bucket per entity, in key order (the order of the features)."""
    key = evaluation.plan.key
    query = sql.select(*(sql.col(n) for n in names),
                       source=sql.table_ref(evaluation.table)).order_by(sql.col(key))
    return sql.frame(evaluation.connection, query)


def floats(values) -> tuple[float, ...]:
    return tuple(float(v) for v in values)
