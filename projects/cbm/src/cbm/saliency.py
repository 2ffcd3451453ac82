"""Patch saliency from Sobel gradient magnitudes, batched (the official code loops per image).

For every image: per-channel 3x3 Sobel derivatives with reflect-101 borders (OpenCV's default,
which the official ``cv2.Sobel`` calls use), the magnitude ``sqrt(gx² + gy²)``, its mean over
each patch of an ``n × n`` grid (all channels), normalised to sum to 1. The derivatives are
linear, so the probabilities do not depend on the intensity scale ([0, 255] or [0, 1]).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cbm.model import check_grid

SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=torch.float64)
"""OpenCV's ``Sobel(dx=1, dy=0, ksize=3)`` as a cross-correlation kernel; ``dy`` is its transpose."""


def sobel_magnitude(images: torch.Tensor) -> torch.Tensor:
    """``[B, C, H, W]`` -> per-channel gradient magnitude ``[B, C, H, W]`` in float64.

    ``F.pad(mode="reflect")`` mirrors without repeating the edge pixel, i.e. OpenCV's
    ``BORDER_REFLECT_101``; so a linear ramp has zero gradient in its first and last column.
    """
    batch, channels, height, width = images.shape
    if height < 2 or width < 2:
        raise ValueError(
            f"Sobel saliency needs images of at least 2x2 pixels, got {height}x{width}"
        )
    planes = images.to(torch.float64).reshape(batch * channels, 1, height, width)
    padded = F.pad(planes, (1, 1, 1, 1), mode="reflect")
    kernels = torch.stack([SOBEL_X, SOBEL_X.T]).unsqueeze(1).to(images.device)
    gradients = F.conv2d(padded, kernels)
    return gradients.square().sum(1).sqrt().reshape(batch, channels, height, width)


def patch_probabilities(magnitude: torch.Tensor, patches: int) -> torch.Tensor:
    """Mean magnitude per patch (row-major ids ``p1·n + p2``), normalised; ``[B, n²]`` float32.

    An image without any gradient (constant) gets uniform probabilities; the official code
    divides by zero there and its ``torch.multinomial`` call then fails.
    """
    batch, channels, height, width = magnitude.shape
    check_grid(height, width, patches, field="patches")
    cells = magnitude.reshape(
        batch, channels, patches, height // patches, patches, width // patches
    )
    scores = cells.mean(dim=(1, 3, 5)).reshape(batch, patches * patches)
    totals = scores.sum(1, keepdim=True)
    uniform = torch.full_like(scores, 1.0 / (patches * patches))
    probs = torch.where(
        totals > 0, scores / totals.clamp_min(torch.finfo(scores.dtype).tiny), uniform
    )
    return probs.to(torch.float32)


def resize_for_saliency(images: torch.Tensor, size: int | None) -> torch.Tensor:
    """Bilinear, antialiased resize to ``size × size`` (torchvision ``Resize`` on PIL images);
    ``None`` keeps the stored resolution."""
    if size is None or images.shape[-2:] == (size, size):
        return images
    return F.interpolate(
        images.to(torch.float32),
        size=(size, size),
        mode="bilinear",
        align_corners=False,
        antialias=True,
    )


def sobel_patch_saliency(
    images: torch.Tensor, patches: int = 4, size: int | None = None
) -> torch.Tensor:
    """Patch probabilities ``[B, n²]`` of un-augmented images ``[B, C, H, W]`` (any intensity scale)."""
    return patch_probabilities(sobel_magnitude(resize_for_saliency(images, size)), patches)
