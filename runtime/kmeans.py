"""k-means for `segl discover`: seeded k-means++ start, Lloyd iterations, silhouette on a
seeded sample. Pure numpy over a dense matrix of scaled features (rows in key order).

Deterministic by construction: the only random draws come from Python's `random.Random(seed)`
(whose `random()` stream Python keeps stable across versions), distances are summed feature
by feature without BLAS, and centroids are sums in row order (`np.bincount`). The same rows
and seed give the same centroids, bit for bit.
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
    closest = squared_distances(x, np.array(centres))[:, 0]
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
            distance = np.minimum(closest, squared_distances(x, x[candidate][None, :])[:, 0])
            potential = float(distance.sum())
            if potential < best_potential:
                best_potential, best, best_distance = potential, candidate, distance
        centres.append(x[best])
        closest = best_distance
    return np.array(centres, dtype=float)


def lloyd(x: np.ndarray, initial: np.ndarray, max_iterations: int = MAX_ITERATIONS
          ) -> tuple[np.ndarray, np.ndarray, int]:
    """Lloyd iterations from `initial` until no row changes cluster: each centroid the mean
    of its rows. An emptied cluster takes the row farthest from its own centroid."""
    centroids = initial.copy()
    k = centroids.shape[0]
    labels, distances = nearest(x, centroids)
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (reported)
        centroids = _means(x, labels, distances, k)
        new_labels, distances = nearest(x, centroids)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return centroids, labels, iterations


def _means(x: np.ndarray, labels: np.ndarray, distances: np.ndarray, k: int) -> np.ndarray:
    counts = np.bincount(labels, minlength=k)
    labels = labels.copy()
    for empty in np.flatnonzero(counts == 0):
        far = int(np.argmax(distances))
        counts[labels[far]] -= 1
        labels[far] = empty
        counts[empty] = 1
        distances = distances.copy()
        distances[far] = -1.0
    sums = np.column_stack([np.bincount(labels, weights=x[:, f], minlength=k)
                            for f in range(x.shape[1])])
    return sums / counts[:, None]


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
