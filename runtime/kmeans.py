"""k-means for `segl discover`: seeded k-means++ start, Lloyd iterations, silhouette on a
seeded sample. Pure numpy over a dense matrix of scaled features (rows in key order).

Deterministic by construction: the only random draws come from Python's `random.Random(seed)`
(whose `random()` stream Python keeps stable across versions), distances are summed feature
by feature without BLAS (elementwise numpy arithmetic is correctly rounded everywhere), and
the centroids returned are sums in row order (`np.bincount`). The same rows and seed give
the same centroids, bit for bit.

Fast without giving that up: Lloyd's iterations skip the rows that provably keep their
cluster (Hamerly's bounds, with a slack far above rounding), recompute only the others
(each on contiguous feature columns), and keep each cluster's sums up to date with the rows
that moved instead of summing every row again.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

MAX_ITERATIONS = 300


@dataclass(frozen=True)
class Fit:
    centroids: np.ndarray  # k x d, in the order of `order_clusters`
    labels: np.ndarray  # cluster index (0-based) of each row
    inertia: float  # sum of squared distances to the nearest centroid
    iterations: int


def squared_distances(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """n x k squared Euclidean distances, each summed feature by feature in order (the
    arithmetic the assignment SQL does)."""
    out = np.empty((x.shape[0], centroids.shape[0]))
    for j, centroid in enumerate(centroids):
        total = np.zeros(x.shape[0])
        for f in range(x.shape[1]):
            difference = x[:, f] - centroid[f]
            total += difference * difference
        out[:, j] = total
    return out


def nearest(x: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's nearest centroid (ties: the lowest index) and its squared distance: a
    running minimum over the centroids, each distance summed feature by feature."""
    columns = [np.ascontiguousarray(x[:, f]) for f in range(x.shape[1])]
    labels = np.zeros(x.shape[0], dtype=np.int64)
    best = np.full(x.shape[0], np.inf)
    total = np.empty(x.shape[0])
    difference = np.empty(x.shape[0])
    for j, centroid in enumerate(centroids):
        total.fill(0.0)
        for column, c in zip(columns, centroid, strict=True):
            np.subtract(column, c, out=difference)
            np.multiply(difference, difference, out=difference)
            total += difference
        closer = total < best  # strictly: a tie keeps the lower index
        best[closer] = total[closer]
        labels[closer] = j
    return labels, best


def kmeans_plus_plus(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Greedy k-means++ (Arthur and Vassilvitskii; as scikit-learn does it): the first
    centre a row drawn uniformly, each next one the best of 2 + ln(k) candidates drawn with
    probability proportional to the squared distance to the nearest centre so far."""
    rng = random.Random(seed)
    n = x.shape[0]
    trials = 2 + int(math.log(k))
    centres = [x[min(int(rng.random() * n), n - 1)]]
    columns = [np.ascontiguousarray(x[:, f]) for f in range(x.shape[1])]
    closest = _to_point(columns, centres[0])
    for _ in range(1, k):
        cumulative = np.cumsum(closest)
        total = float(cumulative[-1])
        if total <= 0:  # fewer distinct rows than clusters: repeat a row
            centres.append(centres[-1])
            continue
        draws = [rng.random() * total for _ in range(trials)]
        candidates = np.minimum(np.searchsorted(cumulative, draws, side="right"), n - 1)
        best_potential, best = math.inf, None
        for candidate in candidates:
            distance = np.minimum(closest, _to_point(columns, x[candidate]))
            potential = float(distance.sum())
            if potential < best_potential:
                best_potential, best, best_distance = potential, candidate, distance
        centres.append(x[best])
        closest = best_distance
    return np.array(centres, dtype=float)


def _to_point(columns: list[np.ndarray], point: np.ndarray) -> np.ndarray:
    """Squared distance of every row to `point`, summed feature by feature."""
    total = np.zeros(columns[0].size)
    difference = np.empty(columns[0].size)
    for column, value in zip(columns, point, strict=True):
        np.subtract(column, value, out=difference)
        np.multiply(difference, difference, out=difference)
        total += difference
    return total


def lloyd(x: np.ndarray, initial: np.ndarray, max_iterations: int = MAX_ITERATIONS
          ) -> tuple[np.ndarray, np.ndarray, int]:
    """Lloyd iterations from `initial` until no row changes cluster: each centroid the mean
    of its rows. An emptied cluster takes the row farthest from its own centroid.

    Hamerly's bounds skip the rows that provably keep their cluster: each row carries an
    upper bound on the distance to its own centroid and a lower bound on the distance to
    any other, loosened by how far the centroids move. Only a row whose bounds come closer
    than a safety slack (far above any rounding error) gets its distance to its own
    centroid computed again, and if that does not settle it, to every centroid, exactly as
    `nearest` computes them: a skipped row's exact distances would have chosen the same
    cluster. Between iterations each cluster's sums change by the rows that moved; the
    centroids returned are summed again in row order. So the result is that of plain Lloyd
    iterations (the tests compare them bit for bit); only the work differs."""
    centroids = initial.copy()
    k = centroids.shape[0]
    columns = [np.ascontiguousarray(x[:, f]) for f in range(x.shape[1])]
    slack = _slack(x)
    labels, upper, lower = _assign(columns, centroids, np.arange(x.shape[0]))
    counts = np.bincount(labels, minlength=k)
    sums = _sums(columns, labels, k)
    iterations, result = 0, centroids
    for iterations in range(1, max_iterations + 1):
        previous = centroids
        centroids = (sums / counts[:, None] if counts.all()
                     else _means(columns, labels, previous, k))
        own, others = _moves(previous, centroids)
        upper += np.take(own, labels)  # (np.take: a faster gather than indexing)
        lower -= np.take(others, labels)
        bound = np.maximum(lower, np.take(_half_separation(centroids), labels))
        bound -= slack
        check = np.flatnonzero(upper >= bound)
        if check.size:
            upper[check] = np.sqrt(_own_distances(columns, centroids, labels, check))
            check = check[upper[check] >= bound[check]]
        if check.size == 0:
            break
        found, upper[check], lower[check] = _assign(columns, centroids, check)
        was = np.take(labels, check)
        moved = found != was
        if not moved.any():
            break
        if iterations == max_iterations:  # as plain Lloyd: the means before the last move
            result = _means(columns, labels, previous, k)
        rows, was, found = check[moved], was[moved], found[moved]
        counts += np.bincount(found, minlength=k) - np.bincount(was, minlength=k)
        for f, column in enumerate(columns):
            values = np.take(column, rows)
            sums[:, f] += (np.bincount(found, weights=values, minlength=k)
                           - np.bincount(was, weights=values, minlength=k))
        labels[rows] = found
    else:
        return result, labels, iterations
    # the sums were kept up to date row by row; the centroids returned are recomputed in
    # row order, so they do not depend on the path the iterations took
    return _means(columns, labels, previous, k), labels, iterations


def _slack(x: np.ndarray) -> float:
    """How far apart a row's bounds must be to prove it keeps its cluster: far above the
    rounding of any distance or bound here (all are at most twice the largest row norm, and
    each iteration adds a few roundings of 1e-16 relative), so a skipped row's exact
    distances would have chosen the same cluster, ties included."""
    largest = float(np.sqrt((x * x).sum(axis=1).max())) if x.size else 0.0
    return 1e-8 * (1.0 + largest) if math.isfinite(largest) else math.inf


def _moves(old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster j: how far j's centroid moved, and the farthest any other moved."""
    shift = np.sqrt(((new - old) ** 2).sum(axis=1))
    others = np.full(len(shift), shift.max())
    top = int(np.argmax(shift))
    others[top] = np.delete(shift, top).max() if len(shift) > 1 else 0.0
    return shift, others


def _half_separation(centroids: np.ndarray) -> np.ndarray:
    """Per centroid, half the distance to the nearest other one: a row nearer than that to
    its centroid is nearer to it than to any other (the triangle inequality)."""
    if centroids.shape[0] == 1:
        return np.array([np.inf])
    apart = np.sqrt(((centroids[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(apart, np.inf)
    return apart.min(axis=1) / 2


def _own_distances(columns: list[np.ndarray], centroids: np.ndarray, labels: np.ndarray,
                   rows: np.ndarray) -> np.ndarray:
    """Squared distance of each of `rows` to its own centroid, summed feature by feature."""
    mine = np.take(labels, rows)
    total = np.zeros(rows.size)
    for f, column in enumerate(columns):
        difference = np.take(column, rows) - np.take(centroids[:, f], mine)
        total += difference * difference
    return total


def _assign(columns: list[np.ndarray], centroids: np.ndarray, rows: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nearest centroid of `rows` (as `nearest`: the lowest index of the smallest
    squared distance summed feature by feature), the distance to it and the distance to the
    second nearest."""
    every = rows.size == columns[0].size
    picked = columns if every else [np.take(column, rows) for column in columns]
    labels = np.zeros(rows.size, dtype=np.int64)
    best = np.full(rows.size, np.inf)
    second = np.full(rows.size, np.inf)
    total, difference = np.empty(rows.size), np.empty(rows.size)
    for j, centroid in enumerate(centroids):
        total.fill(0.0)
        for column, c in zip(picked, centroid, strict=True):
            np.subtract(column, c, out=difference)
            np.multiply(difference, difference, out=difference)
            total += difference
        closer = total < best  # strictly: a tie keeps the lower index
        np.minimum(second, np.where(closer, best, total), out=second)
        best[closer] = total[closer]
        labels[closer] = j
    return labels, np.sqrt(best), np.sqrt(second)


def _means(columns: list[np.ndarray], labels: np.ndarray, centroids: np.ndarray, k: int
           ) -> np.ndarray:
    """Each cluster's mean (sums in row order). An empty cluster takes the row farthest
    from the centroid it is assigned to (the squared distance as `nearest` computes it)."""
    counts = np.bincount(labels, minlength=k)
    if (counts == 0).any():
        distances = np.zeros(labels.size)
        for f, column in enumerate(columns):
            difference = column - centroids[labels, f]
            distances += difference * difference
        labels = labels.copy()
        for empty in np.flatnonzero(counts == 0):
            far = int(np.argmax(distances))
            counts[labels[far]] -= 1
            labels[far] = empty
            counts[empty] = 1
            distances[far] = -1.0
    return _sums(columns, labels, k) / counts[:, None]


def _sums(columns: list[np.ndarray], labels: np.ndarray, k: int) -> np.ndarray:
    """k x d: each cluster's sum of each feature, added in row order."""
    return np.column_stack([np.bincount(labels, weights=column, minlength=k)
                            for column in columns])


def order_clusters(centroids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The cluster numbering of the lock file: largest cluster first, ties by centroid
    coordinates, so the same clusters get the same numbers however k-means++ started."""
    sizes = np.bincount(labels, minlength=centroids.shape[0])
    keys = sorted(range(centroids.shape[0]),
                  key=lambda i: (-int(sizes[i]), tuple(float(v) for v in centroids[i])))
    return np.array(keys, dtype=np.int64)


def fit(x: np.ndarray, k: int, seed: int) -> Fit:
    """k-means on the rows of `x`, clusters numbered by `order_clusters`."""
    if x.shape[0] < k:
        raise ValueError(f"{x.shape[0]} entities cannot make {k} clusters")
    centroids, labels, iterations = lloyd(x, kmeans_plus_plus(x, k, seed))
    order = order_clusters(centroids, labels)
    centroids = centroids[order]
    labels, distances = nearest(x, centroids)  # renumbered (and exactly as assigned)
    return Fit(centroids, labels, float(distances.sum()), iterations)


def silhouette(x: np.ndarray, labels: np.ndarray, sample: int, seed: int) -> float:
    """The mean silhouette of a seeded sample of rows (all rows when fewer): for each, how
    much nearer its own cluster is than the next nearest, from -1 to 1."""
    n = x.shape[0]
    rows = np.arange(n) if n <= sample else np.array(
        sorted(random.Random(seed).sample(range(n), sample)))
    points, groups = x[rows], labels[rows]
    clusters = np.unique(groups)
    if len(clusters) < 2:
        return 0.0
    scores = np.zeros(len(rows))
    for start in range(0, len(rows), 1024):
        block = np.sqrt(squared_distances(points[start:start + 1024], points))
        mean_to = np.column_stack([block[:, groups == c].sum(axis=1) for c in clusters])
        sizes = np.array([(groups == c).sum() for c in clusters], dtype=float)
        own = np.searchsorted(clusters, groups[start:start + 1024])
        own_size = sizes[own]
        a = mean_to[np.arange(len(own)), own] / np.maximum(own_size - 1, 1)
        others = mean_to / sizes
        others[np.arange(len(own)), own] = np.inf
        b = others.min(axis=1)
        s = (b - a) / np.maximum(np.maximum(a, b), 1e-300)
        scores[start:start + 1024] = np.where(own_size > 1, s, 0.0)
    return float(scores.mean())
