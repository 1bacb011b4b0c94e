"""`segl discover`: fit the `clusters` segmentations of a file on its data and write their
lock file (docs/discovery.md).

The features are computed by the chosen engine through the ordinary plan (each feature a
per-entity column of the members query), pulled as one column each, scaled in numpy and
clustered by `kmeans.py`. The lock file is written atomically and only from the fit, so the
same data, as_of and seed give the same bytes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from segl.compiler.api import (
    ClusterFit,
    Clusters,
    Code,
    CompileError,
    LockEntry,
    Output,
    Owner,
    SegmentRef,
    Similarity,
    SimilarityEntry,
    SimilarityFit,
    Type,
    lock_text,
    permit_of,
    require_allowed,
)

from . import kmeans
from .api import load, resolve_as_of
from .atomic_files import write_text_atomically
from .cluster_profiles import ClusterProfile, profile
from .discover_features import feature_columns
from .errors import UsageError


@dataclass(frozen=True)
class Candidate:
    """One k of `--k A..B`."""

    k: int
    inertia: float
    silhouette: float


@dataclass(frozen=True)
class Discovered:
    """One segmentation's fit."""

    name: str
    clusters: Clusters
    fit: ClusterFit
    entities: int  # fitted on (with every feature present, or imputed)
    left_out: int  # entities with a missing feature under `missing drop`
    iterations: int
    inertia: float
    silhouette: float
    overall: tuple[float, ...]  # mean of each feature over the fitted entities
    profiles: tuple[ClusterProfile, ...]
    candidates: tuple[Candidate, ...] = ()
    # every entity's cluster (0-based; -1: no_value), in key order, as the SQL will assign it
    assigned: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Holdout:
    """Of the seed members held out of the centroid, how many rank in the top `percent` of
    everyone else (the held-out members and the non-members) by similarity."""

    percent: int
    held_out: int
    in_top: int

    @property
    def lift(self) -> float:
        return (self.in_top / self.held_out) / (self.percent / 100) if self.held_out else 0.0


@dataclass(frozen=True)
class Lookalike:
    """One `similarity to SEED on (…)` fit."""

    similarity: Similarity
    fit: SimilarityFit
    members: int  # seed members fitted on (with every feature present)
    entities: int  # entities with every feature present
    seed_means: tuple[float, ...]  # of each feature over the seed members, own units
    overall: tuple[float, ...]  # over every entity with the features
    holdout: tuple[Holdout, ...] = ()


@dataclass
class Discovery:
    as_of: date
    results: list[Discovered]
    lookalikes: list[Lookalike] = field(default_factory=list)
    lock_files: dict[str, str] = field(default_factory=dict)  # path -> text


def discover(path: str, as_of: date | str | None = None, params: dict[str, str] | None = None,
             database: str | None = None, engine: str = "duckdb",
             engine_options: dict[str, object] | None = None,
             k_range: tuple[int, int] | None = None, sample: int = 2000,
             holdout: float | None = None) -> Discovery:
    """Fit every `clusters` segmentation and every lookalike's similarity of `path` (its
    lock file may be missing or stale: that is what this fixes). `holdout`: the percentage
    of each seed segment held out to check its lookalikes. Raises CompileError for any
    other definition error."""
    when = resolve_as_of(as_of)
    compilation, connection = load(path, params, database)
    other = [d for d in compilation.errors if d.code != Code.E114]
    if other or compilation.model is None:
        raise CompileError(other or compilation.diagnostics)
    model = compilation.model
    targets = {name: s.clusters for name, s in model.segmentations.items()
               if s.clusters is not None}
    similarities = model.similarities
    if not targets and not similarities:
        raise UsageError(f"`{path}` declares no clusters segmentation "
                         "(segmentation NAME = clusters K on (…) scaled S seed N) and no "
                         "lookalike (top N% by similarity to SEGMENT on (…))")
    require_allowed(model, [Output(permit_of(model, Owner.SEGMENTATION, name),
                                   "centroids and profiles", spec.features, "segl discover")
                            for name, spec in targets.items()] +
                    [Output(_seed_permit(model, s), "centroid", s.features, "segl discover")
                     for s in similarities.values()])
    # a lookalike seeded by a bucket of a clusters segmentation fitted here takes the
    # bucket's members from this fit (the lock file on disk may be missing or stale)
    refitted = {key for key, s in similarities.items()
                if s.seed_bucket is not None and s.seed_bucket[0] in targets}
    wanted = {**{name: spec.features for name, spec in targets.items()},
              **{key: (*s.features, *(() if key in refitted else (s.seed_member,)))
                 for key, s in similarities.items()}}
    columns = feature_columns(compilation, wanted, when, connection, engine,
                              engine_options or {})
    results = [_fit_one(name, spec, columns[name], k_range, sample)
               for name, spec in targets.items()]
    fitted = {result.name: result for result in results}
    for key in refitted:
        segmentation, bucket = similarities[key].seed_bucket
        member = fitted[segmentation].assigned == int(bucket.removeprefix("cluster_")) - 1 \
            if bucket.startswith("cluster_") else np.zeros(len(columns[key]), dtype=bool)
        columns[key] = np.column_stack([columns[key], member.astype(float)])
    lookalikes = [fit_lookalike(s, columns[key], holdout) for key, s in similarities.items()]
    discovery = Discovery(when, results, lookalikes)
    by_file: dict[str, list[LockEntry | SimilarityEntry]] = {}
    for lookalike in lookalikes:
        by_file.setdefault(lookalike.similarity.lock_path, []).append(
            SimilarityEntry(lookalike.similarity, lookalike.fit, when.isoformat(),
                            lookalike.members))
    for result in results:
        sizes = tuple(p.size for p in result.profiles)
        by_file.setdefault(result.clusters.lock_path, []).append(
            LockEntry(result.name, result.clusters, result.fit, when.isoformat(),
                      result.entities, sizes))
    for lock_path, entries in by_file.items():
        source = Path(lock_path).name.removesuffix(".clusters.toml") + ".seg"
        discovery.lock_files[lock_path] = lock_text(entries, source)
    return discovery


def write_lock_files(discovery: Discovery) -> list[tuple[str, bool]]:
    """Write each lock file atomically; (path, changed) for each."""
    written = []
    for path, text in discovery.lock_files.items():
        target = Path(path)
        unchanged = target.is_file() and target.read_text(encoding="utf-8") == text
        if not unchanged:
            write_text_atomically(path, text)
        written.append((path, not unchanged))
    return written


def parse_k_range(text: str) -> tuple[int, int]:
    """`2..10` -> (2, 10)."""
    low, sep, high = text.partition("..")
    try:
        bounds = (int(low), int(high if sep else low))
    except ValueError:
        raise UsageError(f"--k expects a range like 2..10, got `{text}`") from None
    if not 2 <= bounds[0] <= bounds[1] <= 50:
        raise UsageError(f"--k expects 2 <= A <= B <= 50, got `{text}`")
    return bounds


def ir_segment(name: str) -> SegmentRef:
    return SegmentRef(name, type=Type.BOOL)


def _seed_permit(model, similarity: Similarity):
    """Whose `purpose` and `allow` let the seed's centroid leave: the seed segment's, or
    for `similarity to S is B` the segmentation S's."""
    if similarity.seed_bucket is not None:
        return permit_of(model, Owner.SEGMENTATION, similarity.seed_bucket[0])
    return permit_of(model, Owner.SEGMENT, similarity.seed)


def _fit_one(name: str, spec: Clusters, raw: np.ndarray, k_range: tuple[int, int] | None,
             sample: int) -> Discovered:
    present = ~np.isnan(raw)
    counts = present.sum(axis=0)
    if (counts == 0).any():
        empty = spec.feature_texts[int(np.flatnonzero(counts == 0)[0])]
        raise UsageError(f"clusters `{name}`: `{empty}` has no value for any entity")
    means = np.array([raw[present[:, j], j].mean() for j in range(raw.shape[1])])
    left_out = 0
    complete = np.ones(len(raw), dtype=bool)
    if spec.missing == "mean":
        x = np.where(present, raw, means)
    else:
        complete = present.all(axis=1)
        left_out = int((~complete).sum())
        x = raw[complete]
    if x.shape[0] < spec.k:
        raise UsageError(f"clusters `{name}`: {x.shape[0]} entities with values cannot make "
                         f"{spec.k} clusters")
    center, scale = _scaling(spec.scaling, x)
    z = (x - center) / scale
    found = kmeans.fit(z, spec.k, spec.seed)
    fit = ClusterFit(_floats(center), _floats(scale), _floats(means),
                     tuple(_floats(c) for c in found.centroids))
    candidates = ()
    if k_range is not None:
        candidates = tuple(_candidate(z, k, spec.seed, sample) for k in
                           range(k_range[0], k_range[1] + 1) if k <= z.shape[0])
    overall, profiles = profile(x, found.labels, spec.k)
    assigned = np.full(len(raw), -1, dtype=np.int64)
    assigned[complete] = found.labels
    return Discovered(name, spec, fit, x.shape[0], left_out, found.iterations, found.inertia,
                      kmeans.silhouette(z, found.labels, sample, spec.seed), overall,
                      profiles, candidates, assigned)


def fit_lookalike(similarity: Similarity, columns: np.ndarray, holdout: float | None
                  ) -> Lookalike:
    """The seed's centroid in z-scores (over every entity with all the features), and with
    `holdout`, how well the rest of the seed finds the held-out part."""
    raw, member = columns[:, :-1], columns[:, -1] == 1
    complete = ~np.isnan(raw).any(axis=1)
    x, member = raw[complete], member[complete]
    members = int(member.sum())
    if members == 0:
        raise UsageError(f"{similarity.key}: `{similarity.seed}` has no member with every "
                         "feature present")
    center, scale = _scaling("zscore", x)
    z = (x - center) / scale
    centroid = z[member].mean(axis=0)
    fit = SimilarityFit(_floats(center), _floats(scale), _floats(centroid))
    checks = _holdout(similarity, z, member, holdout) if holdout else ()
    return Lookalike(similarity, fit, members, x.shape[0], _floats(x[member].mean(axis=0)),
                     _floats(x.mean(axis=0)), checks)


HOLDOUT_TOPS = (1, 5, 10, 20)


def _holdout(similarity: Similarity, z: np.ndarray, member: np.ndarray, percent: float
             ) -> tuple[Holdout, ...]:
    """Hold out `percent` of the seed (seeded by the declaration), fit the centroid on the
    rest, rank the held-out members among the non-members by similarity (ties by key)."""
    rng = random.Random(int(similarity.fingerprint, 16))
    seed_rows = [int(i) for i in np.flatnonzero(member)]
    count = min(len(seed_rows) - 1, max(1, round(len(seed_rows) * percent / 100)))
    if count < 1:
        return ()
    held = np.array(sorted(rng.sample(seed_rows, count)))
    kept = np.setdiff1d(np.array(seed_rows), held)
    centroid = z[kept].mean(axis=0)
    pool = np.union1d(np.flatnonzero(~member), held)
    distance = kmeans.squared_distances(z[pool], centroid[None, :])[:, 0]
    order = pool[np.lexsort((pool, distance))]  # nearest first, ties by key order
    is_held = np.isin(order, held)
    checks = []
    for top in HOLDOUT_TOPS:
        n_top = math.ceil(len(order) * top / 100)
        checks.append(Holdout(top, count, int(is_held[:n_top].sum())))
    return tuple(checks)


def _scaling(method: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(center, scale) of each feature: zscore the mean and the population standard
    deviation, minmax the minimum and the range, none 0 and 1; a scale of 0 becomes 1."""
    if method == "zscore":
        center, scale = x.mean(axis=0), x.std(axis=0)
    elif method == "minmax":
        center, scale = x.min(axis=0), x.max(axis=0) - x.min(axis=0)
    else:
        center, scale = np.zeros(x.shape[1]), np.ones(x.shape[1])
    return center, np.where(scale == 0, 1.0, scale)


def _candidate(z: np.ndarray, k: int, seed: int, sample: int) -> Candidate:
    found = kmeans.fit(z, k, seed)
    return Candidate(k, found.inertia, kmeans.silhouette(z, found.labels, sample, seed))


def _floats(values) -> tuple[float, ...]:
    return tuple(float(v) for v in values)
