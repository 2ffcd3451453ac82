"""``upsample_nn`` / ``upsample_bilinear``: downsample x2 by area, upsample x2 again — the
periodic spectral replicas (nearest) or blur (bilinear) of up-convolution, with no learning."""

from __future__ import annotations

import cv2
import numpy as np

from deepfake_bench.synth.generators.base import ImageGenerator


def area_down2(images: np.ndarray) -> np.ndarray:
    """(n, H, W, C) uint8 -> (n, H/2, W/2, C): mean of each 2x2 block, rounded half to even."""
    n, h, w, c = images.shape
    blocks = images.reshape(n, h // 2, 2, w // 2, 2, c).astype(np.float64)
    return np.rint(blocks.mean(axis=(2, 4))).astype(np.uint8)


class Upsample(ImageGenerator):
    """Args:
    mode: ``nearest`` or ``bilinear``.
    """

    needs_sources = True

    def __init__(self, mode: str = "nearest") -> None:
        self.mode = mode

    def generate(self, n: int, sources: np.ndarray | None, seed: int) -> np.ndarray:
        small = area_down2(sources[:n])
        if self.mode == "nearest":
            return small.repeat(2, axis=1).repeat(2, axis=2)
        h, w = sources.shape[1:3]
        return np.stack([cv2.resize(s, (w, h), interpolation=cv2.INTER_LINEAR) for s in small])
