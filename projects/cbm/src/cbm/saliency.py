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

CPU_CHUNK = 16
"""Images per pass on the CPU: small enough that every temporary stays in the L2 cache."""


def sobel_magnitude(images: torch.Tensor) -> torch.Tensor:
    """``[B, C, H, W]`` -> per-channel gradient magnitude ``[B, C, H, W]`` (float32 for integers).

    OpenCV's ``Sobel(ksize=3)`` is separable: a ``[-1, 0, 1]`` difference along one axis and a
    ``[1, 2, 1]`` smoothing along the other, done here with shifted slices and in-place sums.
    ``F.pad(mode="reflect")`` mirrors without repeating the edge pixel, i.e. OpenCV's
    ``BORDER_REFLECT_101``; so a linear ramp has zero gradient in its first and last column.
    8-bit images are filtered in 16-bit integers (|gx|, |gy| <= 4·255, so exact, and half the
    memory traffic of float32); the squares and the root are float32, where 2·1020² is still exact.
    """
    height, width = images.shape[-2:]
    if height < 2 or width < 2:
        raise ValueError(
            f"Sobel saliency needs images of at least 2x2 pixels, got {height}x{width}"
        )
    if images.dtype == torch.uint8:
        working = torch.int16
    elif images.is_floating_point():
        working = images.dtype
    else:
        working = torch.float32
    values = images.to(working, memory_format=torch.contiguous_format)
    padded = F.pad(values, (1, 1, 1, 1), mode="reflect")
    across = padded[..., :, 2:] - padded[..., :, :-2]
    gx = (across[..., :-2, :] + across[..., 2:, :]).add_(across[..., 1:-1, :], alpha=2)
    down = padded[..., 2:, :] - padded[..., :-2, :]
    gy = (down[..., :, :-2] + down[..., :, 2:]).add_(down[..., :, 1:-1], alpha=2)
    if not gx.is_floating_point():
        gx, gy = gx.float(), gy.float()
    return gx.mul_(gx).addcmul_(gy, gy).sqrt_()


def patch_probabilities(magnitude: torch.Tensor, patches: int) -> torch.Tensor:
    """Mean magnitude per patch (row-major ids ``p1·n + p2``), normalised; ``[B, n²]`` float32.

    An image without any gradient (constant) gets uniform probabilities; the official code
    divides by zero there and its ``torch.multinomial`` call then fails.
    """
    batch, height, width = magnitude.shape[0], *magnitude.shape[-2:]
    check_grid(height, width, patches, field="patches")
    cell = (height // patches, width // patches)
    scores = F.avg_pool2d(magnitude, cell).mean(1).reshape(batch, patches * patches)
    totals = scores.sum(1, keepdim=True)
    uniform = torch.full_like(scores, 1.0 / (patches * patches))
    probs = torch.where(
        totals > 0, scores / totals.clamp_min(torch.finfo(scores.dtype).tiny), uniform
    )
    return probs.to(torch.float32)


def resize_for_saliency(images: torch.Tensor, size: int | None) -> torch.Tensor:
    """Bilinear resize to ``size × size``; ``None`` keeps the stored resolution.

    8-bit images are resized in 8 bits with antialiasing, which reproduces PIL's bilinear
    filter (torchvision ``Resize`` on PIL images, as the official code) pixel for pixel when
    enlarging; float images use plain bilinear interpolation, antialiased when shrinking.
    torch has that 8-bit kernel on the CPU only, and it is about twice as fast on channels-last
    input, so 8-bit images are resized on the CPU in that layout and moved back (the cache is
    computed once, so exactness wins over transfer time).
    """
    if size is None or images.shape[-2:] == (size, size):
        return images
    if images.dtype == torch.uint8:
        source = images.cpu().contiguous(memory_format=torch.channels_last)
        resized = F.interpolate(
            source, size=(size, size), mode="bilinear", align_corners=False, antialias=True
        )
        return resized.to(images.device)
    values = images if images.is_floating_point() else images.float()
    shrinking = size < max(images.shape[-2:])
    return F.interpolate(
        values, size=(size, size), mode="bilinear", align_corners=False, antialias=shrinking
    )


def sobel_patch_saliency(
    images: torch.Tensor, patches: int = 4, size: int | None = None, chunk: int | None = None
) -> torch.Tensor:
    """Patch probabilities ``[B, n²]`` of un-augmented images ``[B, C, H, W]`` (any intensity scale).

    Resizes, filters and pools ``chunk`` images at a time (default: ``CPU_CHUNK`` on the CPU,
    the whole batch on an accelerator, whose kernels want large batches).
    """
    if chunk is None:
        chunk = CPU_CHUNK if images.device.type == "cpu" else max(len(images), 1)
    return torch.cat(
        [
            patch_probabilities(sobel_magnitude(resize_for_saliency(part, size)), patches)
            for part in images.split(chunk)
        ]
    )
