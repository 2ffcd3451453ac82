"""Frame scores at the three scales (``trainer.py``): S = the 1x1 head, M and L = the maxima of
the 4x4 and 16x16 maps, MIX = their mean; and the 16x16 map as a pixel map for region metrics."""

from __future__ import annotations

import torch
import torch.nn.functional as F

SCORES = ("S", "M", "L", "MIX")


def frame_scores(small: torch.Tensor, medium: torch.Tensor, high: torch.Tensor) -> dict:
    """(B,) scores S, M, L, MIX from the student's (B, 1), (B, 1, 4, 4), (B, 1, 16, 16)."""
    s, m, h = small[:, 0], medium.amax(dim=(1, 2, 3)), high.amax(dim=(1, 2, 3))
    return {"S": s, "M": m, "L": h, "MIX": (s + m + h) / 3}


def pixel_maps(high: torch.Tensor, size: tuple[int, int], transposed: bool) -> torch.Tensor:
    """(B, H, W) maps: the 16x16 head upsampled bilinearly to the frame size (H, W), back in
    image orientation when the model ran on the official transposed layout."""
    if transposed:
        high = high.transpose(-1, -2)
    return F.interpolate(high, size=size, mode="bilinear", align_corners=False)[:, 0]
