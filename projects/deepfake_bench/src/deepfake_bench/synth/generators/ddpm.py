"""``ddpm``: a tiny ε-prediction diffusion model (Ho et al. 2020) sampled with DDIM (η = 0).

UNet with two resolutions (base 16 channels, GroupNorm 8, SiLU, sinusoidal time embedding added
in every residual block), T = 100 steps with β linear from 1e-4 to 0.04, MSE on ε; DDIM
(Song et al. 2021) with 25 evenly spaced steps, x̂₀ clipped to [-1, 1]."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepfake_bench.synth.generators.base import ImageGenerator, seeded, to_uint8, train_steps


def time_embedding(t: Tensor, dim: int) -> Tensor:
    """Sinusoidal embedding of integer steps: (B,) -> (B, dim)."""
    freqs = torch.exp(-math.log(10000) * torch.arange(dim // 2) / (dim // 2))
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], 1)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, tdim: int) -> None:
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(8, cin), nn.Conv2d(cin, cout, 3, 1, 1)
        self.time = nn.Linear(tdim, cout)
        self.norm2, self.conv2 = nn.GroupNorm(8, cout), nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: Tensor, temb: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x))) + self.time(temb)[:, :, None, None]
        return self.conv2(F.silu(self.norm2(h))) + self.skip(x)


class TinyUNet(nn.Module):
    """(B, 3, H, W), steps (B,) -> predicted noise (B, 3, H, W); resolutions H and H/2."""

    def __init__(self, base: int = 16) -> None:
        super().__init__()
        self.tdim = 4 * base
        self.time_mlp = nn.Sequential(
            nn.Linear(base, self.tdim), nn.SiLU(), nn.Linear(self.tdim, self.tdim)
        )
        self.base = base
        self.inc = nn.Conv2d(3, base, 3, 1, 1)
        self.down1 = ResBlock(base, base, self.tdim)
        self.downsample = nn.Conv2d(base, base, 3, 2, 1)
        self.down2 = ResBlock(base, 2 * base, self.tdim)
        self.mid = ResBlock(2 * base, 2 * base, self.tdim)
        self.up = nn.Conv2d(2 * base, 2 * base, 3, 1, 1)
        self.up1 = ResBlock(3 * base, base, self.tdim)
        self.out = nn.Sequential(nn.GroupNorm(8, base), nn.SiLU(), nn.Conv2d(base, 3, 3, 1, 1))

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        temb = self.time_mlp(time_embedding(t, self.base))
        h1 = self.down1(self.inc(x), temb)
        h2 = self.mid(self.down2(self.downsample(h1), temb), temb)
        up = self.up(F.interpolate(h2, scale_factor=2, mode="nearest"))
        return self.out(self.up1(torch.cat([up, h1], 1), temb))


class DDPM(ImageGenerator):
    """Args:
    steps: training steps (Adam 1e-3, batch 32).
    timesteps: diffusion length T.
    sample_steps: DDIM steps.
    base: UNet base width.
    """

    def __init__(
        self, steps: int = 400, timesteps: int = 100, sample_steps: int = 25, base: int = 16
    ) -> None:
        self.steps, self.timesteps, self.sample_steps, self.base = (
            steps,
            timesteps,
            sample_steps,
            base,
        )
        betas = torch.linspace(1e-4, 0.04, timesteps, dtype=torch.float64)
        self.alpha_bar = torch.cumprod(1 - betas, 0).float()

    def loss(self, model: nn.Module, x0: Tensor) -> Tensor:
        t = torch.randint(self.timesteps, (len(x0),))
        noise = torch.randn_like(x0)
        ab = self.alpha_bar[t][:, None, None, None]
        return F.mse_loss(model(ab.sqrt() * x0 + (1 - ab).sqrt() * noise, t), noise)

    def fit(self, reals: np.ndarray, seed: int) -> DDPM:
        with seeded(seed):
            self.model = TinyUNet(self.base)
            train_steps(self.model, reals, self.steps, 32, self.loss, 1e-3)
        self.model.eval()
        return self

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator, size: int = 32) -> Tensor:
        x = torch.randn(n, 3, size, size, generator=generator)
        steps = torch.linspace(self.timesteps - 1, 0, self.sample_steps).round().long().tolist()
        for i, t in enumerate(steps):
            ab = self.alpha_bar[t]
            ab_prev = self.alpha_bar[steps[i + 1]] if i + 1 < len(steps) else torch.tensor(1.0)
            eps = self.model(x, torch.full((n,), t))
            x0 = ((x - (1 - ab).sqrt() * eps) / ab.sqrt()).clamp(-1, 1)
            x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps
        return x

    def generate(self, n: int, sources: np.ndarray | None, seed: int) -> np.ndarray:
        generator = torch.Generator().manual_seed(seed)
        chunks = [self.sample(min(128, n - i), generator) for i in range(0, n, 128)]
        return to_uint8(torch.cat(chunks))
