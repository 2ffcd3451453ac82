"""The MaskIn block: hide whole image patches, drawn in proportion to their saliency.

A plain ``nn.Module`` with no parameters, placed before the backbone's stem. It is active only
in training mode and zeroes the chosen patches *after* normalisation, so a masked pixel is the
dataset mean (mid-gray for the official mean/std of 0.5), as in the official code.
"""

from __future__ import annotations

import torch
from torch import nn

from shared.errors import ConfigError, check_range

RATIO_FLOOR = 0.07
"""The official code raises any positive ratio below this to this value."""


def masked_patch_count(ratio: float, patches: int, floor: float = RATIO_FLOOR) -> int:
    """``K = int(max(r, floor) · n²)`` for ``r > 0`` (truncated, as the official code), 0 for ``r = 0``."""
    check_range("mask ratio", ratio, 0.0, 1.0)
    if ratio == 0:
        return 0
    return int(max(ratio, floor) * patches * patches)


def check_grid(height: int, width: int, patches: int, field: str = "model.patches") -> None:
    """The ``n × n`` patch grid must tile the image exactly, as in the official rearrange."""
    if patches < 1 or height % patches or width % patches:
        raise ConfigError(
            field,
            patches,
            f"a number of patches per side that divides the image size {height}x{width}",
        )


def mask_patches(images: torch.Tensor, indices: torch.Tensor, patches: int) -> torch.Tensor:
    """Set every channel of the patches ``indices`` ``[B, K]`` of ``images`` ``[B, C, H, W]`` to 0.

    The ``[B, n²]`` keep-mask is broadcast over each patch's pixels (a view, no full-size mask).
    """
    batch, channels, height, width = images.shape
    check_grid(height, width, patches)
    keep = torch.ones(batch, patches * patches, dtype=torch.bool, device=images.device)
    keep.scatter_(1, indices, False)
    cells = images.reshape(batch, channels, patches, height // patches, patches, width // patches)
    zero = torch.zeros((), dtype=images.dtype, device=images.device)
    kept = torch.where(keep.view(batch, 1, patches, 1, patches, 1), cells, zero)
    return kept.reshape(batch, channels, height, width)


class MaskIn(nn.Module):
    """Masks ``K`` distinct patches per image, drawn without replacement with probability ``probs``.

    ``probs`` ``[B, n²]`` are the per-image patch saliencies; ``None`` means uniform, which turns
    CBM into its random-masking ablation. New masks are drawn on every call.
    """

    def __init__(self, patches: int = 4, floor: float = RATIO_FLOOR) -> None:
        super().__init__()
        check_range("model.patches", patches, 1)
        check_range("model.ratio_floor", floor, 0.0, 1.0)
        self.patches, self.floor = patches, floor

    def forward(
        self, images: torch.Tensor, ratio: float, probs: torch.Tensor | None = None
    ) -> torch.Tensor:
        count = masked_patch_count(ratio, self.patches, self.floor)
        if not self.training or count == 0:
            return images
        batch, cells = images.shape[0], self.patches * self.patches
        if probs is None:
            probs = torch.ones(batch, cells, device=images.device)
        if probs.shape != (batch, cells):
            raise ValueError(
                f"patch probabilities have shape {tuple(probs.shape)}, expected {(batch, cells)} "
                f"(one probability per patch of the {self.patches}x{self.patches} grid per image)"
            )
        indices = torch.multinomial(probs.to(images.device), count)
        return mask_patches(images, indices, self.patches)

    def extra_repr(self) -> str:
        return f"patches={self.patches}, floor={self.floor}"
