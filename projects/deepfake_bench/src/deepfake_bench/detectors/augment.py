"""CNNDetection's training augmentation, scaled to the benchmark's patch size.

Wang et al. (CVPR 2020) blur with σ ~ U[0, 3] and JPEG-compress with quality ~ U{30..100}, each
with probability p (the "Blur+JPEG (0.5)" model), then random-crop and flip. At 32 px the blur
range is scaled to σ ~ U[0, 1.5] and the crop is a reflect-padded shift of up to 2 px.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch import Tensor


@dataclass(frozen=True)
class BlurJpeg:
    """Args:
    p_blur: probability of a Gaussian blur.
    sigma_max: blur σ ~ U[0, sigma_max] (CNNDetection: 3 at 224 px).
    p_jpeg: probability of JPEG re-compression.
    quality: inclusive range of the JPEG quality.
    crop_padding: reflect padding before a random crop back to size (0: none).
    flip: random horizontal flip.
    """

    p_blur: float = 0.5
    sigma_max: float = 1.5
    p_jpeg: float = 0.5
    quality: tuple[int, int] = (30, 100)
    crop_padding: int = 2
    flip: bool = True

    def __call__(self, images: Tensor, generator: torch.Generator) -> Tensor:
        """uint8 (B, C, H, W) -> uint8, augmented per image; seeded by ``generator``."""
        rng = np.random.default_rng(int(torch.randint(2**31, (1,), generator=generator)))
        arrays = images.permute(0, 2, 3, 1).cpu().numpy()
        out = np.empty_like(arrays)
        for i, image in enumerate(arrays):
            out[i] = self.one(np.ascontiguousarray(image), rng)
        return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()

    def one(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One HWC uint8 image."""
        if rng.random() < self.p_blur:
            sigma = rng.uniform(0, self.sigma_max)
            if sigma > 0:
                image = cv2.GaussianBlur(image, (0, 0), sigmaX=sigma, sigmaY=sigma)
        if rng.random() < self.p_jpeg:
            quality = int(rng.integers(self.quality[0], self.quality[1] + 1))
            _, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
            image = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED).reshape(image.shape)
        if self.crop_padding:
            p = self.crop_padding
            h, w = image.shape[:2]
            padded = np.pad(image, ((p, p), (p, p), (0, 0)), mode="reflect")
            top, left = rng.integers(0, 2 * p + 1, size=2)
            image = padded[top : top + h, left : left + w]
        if self.flip and rng.random() < 0.5:
            image = image[:, ::-1]
        return image


CNNDETECTION_AUGMENTATION = BlurJpeg()
"""Blur + JPEG at p = 0.5, σ ≤ 1.5 (at 32 px), crop (reflect pad 2) and flip."""
