"""Unsupervised domain-adaptive kernel learning (arXiv v1 only; ``transductive_kernel/``).

Training-set predictions are clustered (bisecting k-means); each centre becomes a sample whose
target is the sentence embedding of the training image nearest to it. Every sample (centre or
test image) is represented by its kernel similarities to all landmarks (centres and test
predictions), ``k(a, b) = exp(-gamma (1 - cos(a, b)) / 2)``, and a linear kernel ridge regression
maps these rows to targets. The official code applies ``k <- exp(-gamma (1 - k) / 2)`` once per
outer-loop row (N times in a row), which drives every entry to 1; ``official_repeats`` reproduces
that.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import BisectingKMeans
from sklearn.kernel_ridge import KernelRidge


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True).clip(min=1e-12)


def kernel_similarity(
    a: np.ndarray, b: np.ndarray, gamma: float = 0.01, official_repeats: int = 1
) -> np.ndarray:
    """``exp(-gamma (1 - cos) / 2)`` between rows of ``a`` and ``b``, applied
    ``official_repeats`` times (1: the intended kernel)."""
    k = unit(a) @ unit(b).T
    for _ in range(official_repeats):
        k = np.exp(-gamma * (1 - k) / 2)
    return k


def kernel_ridge_predictions(
    train_features: np.ndarray,
    train_targets: np.ndarray,
    test_features: np.ndarray,
    clusters: int = 10_000,
    gamma: float = 0.01,
    alpha: float = 10.0,
    seed: int = 0,
    official_repeats: int = 1,
) -> np.ndarray:
    """The "krr" feature of the test images (``[M, 384]``), from unlabelled test predictions."""
    kmeans = BisectingKMeans(n_clusters=clusters, init="k-means++", random_state=seed)
    kmeans.fit(unit(train_features))
    centres = unit(kmeans.cluster_centers_)
    nearest = np.argmax(centres @ unit(train_features).T, axis=1)
    landmarks = np.concatenate([centres, unit(test_features)])
    rows = lambda x: kernel_similarity(x, landmarks, gamma, official_repeats)  # noqa: E731
    ridge = KernelRidge(alpha=alpha, kernel="linear").fit(rows(centres), train_targets[nearest])
    return ridge.predict(rows(unit(test_features)))
