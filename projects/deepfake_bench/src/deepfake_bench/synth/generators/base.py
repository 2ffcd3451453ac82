"""The generator contract: ``fit`` on real-train patches, then ``generate`` fakes, seeded.

Patches are uint8 (n, 32, 32, 3). ``generate(n, sources, seed)`` gets ``n`` fresh real crops of
the split being generated (train fakes from train photos, test fakes from test photos); the
re-synthesis generators (``upsample_nn``, ``conv_ae``) transform them, the sampling ones
(``pca_gauss``, ``dcgan``, ``ddpm``) ignore them. The same seed gives the same output.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor


class ImageGenerator:
    """Base class; ``output_shape`` is one item's shape."""

    output_shape: ClassVar[tuple[int, ...]] = (32, 32, 3)
    needs_sources: ClassVar[bool] = False

    def fit(self, reals: np.ndarray, seed: int) -> ImageGenerator:
        return self

    def generate(self, n: int, sources: np.ndarray | None, seed: int) -> np.ndarray:
        raise NotImplementedError


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """torch's global RNG seeded inside, restored after (fitting does not disturb the run)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def to_unit(images: np.ndarray) -> Tensor:
    """uint8 (n, H, W, 3) -> float (n, 3, H, W) in [-1, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1)


def to_uint8(images: Tensor) -> np.ndarray:
    """float (n, 3, H, W) in [-1, 1] -> uint8 (n, H, W, 3), rounded and clipped."""
    pixels = images.detach().add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).contiguous().numpy()


def train_steps(
    model: torch.nn.Module, reals: np.ndarray, steps: int, batch: int, loss_fn, lr: float
) -> None:
    """Adam steps on random real batches (the shared loop of the learnt reconstructors)."""
    data = to_unit(reals)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        x = data[torch.randint(len(data), (batch,))]
        loss = loss_fn(model, x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
