"""``conv_ae``: a convolutional autoencoder (3 -> 32 -> 64 -> 8 channels at 8x8, transposed-conv
decoder) trained on real-train patches; its reconstructions of fresh crops are the fakes, like
an LDM decoder's output: smoothing and transposed-conv checkerboards."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from deepfake_bench.synth.generators.base import (
    ImageGenerator,
    seeded,
    to_uint8,
    to_unit,
    train_steps,
)


class AutoEncoder(nn.Module):
    def __init__(self, width: int = 32, bottleneck: int = 8) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, width, 4, 2, 1), nn.ReLU(inplace=True),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.ReLU(inplace=True),
            nn.Conv2d(2 * width, bottleneck, 3, 1, 1),
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.Conv2d(bottleneck, 2 * width, 3, 1, 1), nn.ReLU(inplace=True),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.ReLU(inplace=True),
            nn.ConvTranspose2d(width, 3, 4, 2, 1), nn.Tanh(),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class ConvAE(ImageGenerator):
    """Args:
    steps: training steps (Adam 1e-3, batch 32, MSE).
    width: first encoder width.
    """

    needs_sources = True

    def __init__(self, steps: int = 300, width: int = 32) -> None:
        self.steps, self.width = steps, width

    def fit(self, reals: np.ndarray, seed: int) -> ConvAE:
        with seeded(seed):
            self.model = AutoEncoder(self.width)
            train_steps(self.model, reals, self.steps, 32, lambda m, x: F.mse_loss(m(x), x), 1e-3)
        self.model.eval()
        return self

    @torch.no_grad()
    def generate(self, n: int, sources: np.ndarray | None, seed: int) -> np.ndarray:
        return to_uint8(self.model(to_unit(sources[:n])))
