"""``pca_gauss``: a linear-Gaussian generator — PCA on flattened real patches, then
z ~ N(0, diag λ) decoded; low-pass by construction (no high-frequency components)."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from deepfake_bench.synth.generators.base import ImageGenerator


class PCAGauss(ImageGenerator):
    """Args:
    n_components: principal components kept (``None``: all).
    """

    def __init__(self, n_components: int | None = 64) -> None:
        self.n_components = n_components

    def fit(self, reals: np.ndarray, seed: int) -> PCAGauss:
        self.pca = PCA(self.n_components, random_state=seed).fit(
            reals.reshape(len(reals), -1).astype(np.float64)
        )
        return self

    def reconstruct(self, images: np.ndarray) -> np.ndarray:
        """Project onto the components and back, in float (exact with all components)."""
        flat = images.reshape(len(images), -1).astype(np.float64)
        return self.pca.inverse_transform(self.pca.transform(flat)).reshape(images.shape)

    def generate(self, n: int, sources: np.ndarray | None, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((n, self.pca.n_components_)) * np.sqrt(self.pca.explained_variance_)
        flat = self.pca.inverse_transform(z)
        return np.clip(np.rint(flat), 0, 255).astype(np.uint8).reshape(n, *self.output_shape)
