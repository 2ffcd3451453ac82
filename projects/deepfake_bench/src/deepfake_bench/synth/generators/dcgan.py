"""``dcgan``: Radford et al. (2016) at 32 px — G: z (64) -> 4x4x128 -> 64 -> 32 -> 3 by stride-2
transposed convs with BN + ReLU and tanh; D mirrors it with LeakyReLU(0.2); Adam 2e-4,
β₁ 0.5, the non-saturating GAN loss."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from deepfake_bench.synth.generators.base import ImageGenerator, seeded, to_uint8, to_unit


def generator_net(nz: int, w: int) -> nn.Module:
    return nn.Sequential(
        nn.ConvTranspose2d(nz, 4 * w, 4, 1, 0, bias=False), nn.BatchNorm2d(4 * w), nn.ReLU(True),
        nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(True),
        nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(True),
        nn.ConvTranspose2d(w, 3, 4, 2, 1, bias=False), nn.Tanh(),
    )  # fmt: skip


def discriminator_net(w: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, w, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2, True),
        nn.Conv2d(2 * w, 4 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * w),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(4 * w, 1, 4, 1, 0, bias=False),
    )  # fmt: skip


class DCGAN(ImageGenerator):
    """Args:
    steps: alternating D/G steps.
    batch_size: real and fake images per step.
    nz: latent size.
    width: the last G layer's width (G: 4w, 2w, w; D mirrors).
    """

    def __init__(self, steps: int = 400, batch_size: int = 64, nz: int = 64, width: int = 32):
        self.steps, self.batch_size, self.nz, self.width = steps, batch_size, nz, width

    def fit(self, reals: np.ndarray, seed: int) -> DCGAN:
        with seeded(seed):
            self.netG, netD = generator_net(self.nz, self.width), discriminator_net(self.width)
            opt_g = torch.optim.Adam(self.netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
            opt_d = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
            data, b = to_unit(reals), self.batch_size
            for _ in range(self.steps):
                real = data[torch.randint(len(data), (b,))]
                fake = self.netG(torch.randn(b, self.nz, 1, 1))
                d_real, d_fake = netD(real).flatten(), netD(fake.detach()).flatten()
                loss_d = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
                opt_d.zero_grad()
                loss_d.backward()
                opt_d.step()
                loss_g = F.softplus(-netD(fake).flatten()).mean()  # non-saturating
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
        self.netG.eval()
        return self

    @torch.no_grad()
    def generate(self, n: int, sources: np.ndarray | None, seed: int) -> np.ndarray:
        z = torch.randn(n, self.nz, 1, 1, generator=torch.Generator().manual_seed(seed))
        return to_uint8(self.netG(z))
