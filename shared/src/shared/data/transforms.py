"""Tensor-level image transforms used by the in-memory datasets (no PIL round trip)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear resize of ``[N, C, H, W]`` to ``size x size`` (no-op when already that size)."""
    if images.shape[-2:] == (size, size):
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


def normalize(
    images: torch.Tensor, mean: float | tuple[float, ...], std: float | tuple[float, ...]
):
    """Channel-wise ``(x - mean) / std`` on ``[N, C, H, W]``."""
    mean_t = torch.as_tensor(mean, dtype=images.dtype).reshape(1, -1, 1, 1)
    std_t = torch.as_tensor(std, dtype=images.dtype).reshape(1, -1, 1, 1)
    return (images - mean_t) / std_t


def random_crop_flip(image: torch.Tensor, padding: int, generator: torch.Generator | None = None):
    """CIFAR-style augmentation of one ``[C, H, W]`` image: zero-pad, random crop, random h-flip."""
    _, height, width = image.shape
    padded = F.pad(image, (padding, padding, padding, padding))
    top, left = torch.randint(0, 2 * padding + 1, (2,), generator=generator).tolist()
    out = padded[:, top : top + height, left : left + width]
    if torch.rand((), generator=generator) < 0.5:
        out = out.flip(-1)
    return out
