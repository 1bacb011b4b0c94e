"""runtime/kmeans.py: the same centroids as scikit-learn's KMeans from the same start, a
deterministic k-means++ start, the silhouette as scikit-learn measures it."""

from __future__ import annotations

import numpy as np
import pytest
from segl.runtime import kmeans

sklearn_cluster = pytest.importorskip("sklearn.cluster")
sklearn_metrics = pytest.importorskip("sklearn.metrics")


def blobs(seed: int, n: int = 600, d: int = 4, centres: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(rng.uniform(-4, 4, d), rng.uniform(0.3, 1.5), size=(n, d))
                      for _ in range(centres)])


@pytest.mark.parametrize("seed, k", [(1, 3), (2, 5), (3, 8), (4, 2)])
def test_lloyd_gives_scikit_learns_centroids_from_the_same_start(seed, k):
    x = blobs(seed)
    initial = kmeans.kmeans_plus_plus(x, k, seed)
    centroids, labels, _ = kmeans.lloyd(x, initial)
    reference = sklearn_cluster.KMeans(k, init=initial, n_init=1, tol=0, max_iter=300,
                                       algorithm="lloyd").fit(x)
    assert np.abs(centroids - reference.cluster_centers_).max() < 1e-6
    assert (labels == reference.labels_).all()


def test_fit_numbers_clusters_largest_first_and_reports_inertia():
    x = blobs(7)
    found = kmeans.fit(x, 4, 42)
    sizes = np.bincount(found.labels, minlength=4)
    assert list(sizes) == sorted(sizes, reverse=True)
    reference = sklearn_cluster.KMeans(4, init=found.centroids, n_init=1, tol=0,
                                       algorithm="lloyd").fit(x)
    assert np.abs(reference.cluster_centers_ - found.centroids).max() < 1e-6  # a fixed point
    assert found.inertia == pytest.approx(reference.inertia_, rel=1e-9)


def test_the_start_and_the_fit_are_deterministic_and_depend_on_the_seed():
    x = blobs(11, centres=8)
    first = kmeans.kmeans_plus_plus(x, 6, 42)
    assert np.array_equal(first, kmeans.kmeans_plus_plus(x.copy(), 6, 42))
    assert not np.array_equal(first, kmeans.kmeans_plus_plus(x, 6, 43))
    assert all(any(np.array_equal(c, row) for row in x) for c in first), "centres are rows"
    a, b = kmeans.fit(x, 6, 42), kmeans.fit(x.copy(), 6, 42)
    assert np.array_equal(a.centroids, b.centroids) and np.array_equal(a.labels, b.labels)


def test_nearest_breaks_ties_to_the_lowest_cluster():
    x = np.array([[0.0], [1.0], [2.0]])
    labels, distances = kmeans.nearest(x, np.array([[1.0], [0.0], [2.0], [0.0]]))
    assert list(labels) == [1, 0, 2] and list(distances) == [0.0, 0.0, 0.0]
    labels, _ = kmeans.nearest(np.array([[1.0]]), np.array([[2.0], [0.0]]))
    assert list(labels) == [0]


def test_an_emptied_cluster_takes_the_farthest_row():
    x = np.array([[0.0], [0.1], [0.2], [10.0]])
    centroids, labels, _ = kmeans.lloyd(x, np.array([[0.1], [100.0], [50.0]]))
    assert len(set(labels)) == 3, "no cluster stays empty"
    assert 10.0 in centroids[:, 0], "the farthest row became a cluster of its own"
    assert list(labels).count(labels[3]) == 1


def test_fewer_rows_than_clusters_is_refused():
    with pytest.raises(ValueError, match="cannot make 3 clusters"):
        kmeans.fit(np.zeros((2, 2)), 3, 1)


def test_silhouette_is_scikit_learns_on_all_rows_and_close_on_a_sample():
    x = blobs(5, n=200)
    found = kmeans.fit(x, 5, 1)
    exact = sklearn_metrics.silhouette_score(x, found.labels)
    assert kmeans.silhouette(x, found.labels, 5000, 1) == pytest.approx(exact, abs=1e-9)
    assert kmeans.silhouette(x, found.labels, 400, 1) == pytest.approx(exact, abs=0.05)
    assert kmeans.silhouette(x, found.labels, 400, 1) == kmeans.silhouette(x, found.labels,
                                                                           400, 1)


def plain_lloyd(x: np.ndarray, initial: np.ndarray, max_iterations: int = 300):
    """The textbook iterations the bounded ones must reproduce: every row's distance to
    every centroid (summed feature by feature, ties to the lowest index), every mean summed
    again, the farthest row for an emptied cluster."""
    centroids, k = initial.copy(), initial.shape[0]
    labels, distances = kmeans.nearest(x, centroids)
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007
        counts = np.bincount(labels, minlength=k)
        used, far_to = labels.copy(), distances.copy()
        for empty in np.flatnonzero(counts == 0):
            far = int(np.argmax(far_to))
            counts[used[far]] -= 1
            used[far], counts[empty], far_to[far] = empty, 1, -1.0
        centroids = np.column_stack([np.bincount(used, weights=x[:, f], minlength=k)
                                     for f in range(x.shape[1])]) / counts[:, None]
        new_labels, distances = kmeans.nearest(x, centroids)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return centroids, labels, iterations


def awkward(seed: int) -> tuple[np.ndarray, int]:
    """Data that makes bounds work hard: many exact ties (rounded values), duplicated rows,
    unscaled magnitudes, one to six features, two to eleven clusters."""
    rng = np.random.default_rng(seed)
    n, d, k = int(rng.integers(20, 2500)), int(rng.integers(1, 7)), int(rng.integers(2, 12))
    x = rng.normal(size=(n, d)) * rng.uniform(0.1, 1000)
    if seed % 3 == 0:
        x = np.round(x)
    if seed % 4 == 0:
        x[: n // 2] = x[0]
    return x, k


@pytest.mark.parametrize("seed", range(16))
def test_bounded_lloyd_is_plain_lloyd_bit_for_bit(seed):
    x, k = awkward(seed)
    initial = kmeans.kmeans_plus_plus(x, k, seed)
    for limit in (1, 2, 5, 300):
        expected = plain_lloyd(x, initial, limit)
        found = kmeans.lloyd(x, initial, limit)
        assert np.array_equal(found[0], expected[0]), f"centroids after at most {limit}"
        assert np.array_equal(found[1], expected[1]), f"labels after at most {limit}"
        assert found[2] == expected[2]


def test_bounded_lloyd_empties_and_refills_a_cluster_as_plain_lloyd():
    x = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [55.0]])
    initial = np.array([[0.1], [100.0], [50.0], [-70.0]])
    expected = plain_lloyd(x, initial)
    found = kmeans.lloyd(x, initial)
    assert np.array_equal(found[0], expected[0]) and np.array_equal(found[1], expected[1])
