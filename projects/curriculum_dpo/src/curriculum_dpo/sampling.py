"""Classifier-free-guided DDIM sampling for a UNet in pixel or latent space: what the diffusers
pipeline does, written out so the tiny pixel-space model of the embedded run (which has no VAE)
samples the same way."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def ddim_sample(
    unet: nn.Module,
    noise_scheduler,
    context: torch.Tensor,
    uncond_context: torch.Tensor,
    *,
    shape: tuple[int, ...],
    steps: int,
    guidance: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``len(context)`` samples of ``shape`` (per sample) after ``steps`` DDIM steps (eta 0) with
    guidance ε_u + g·(ε_c − ε_u), on the DDIM schedule of ``noise_scheduler``'s betas."""
    from diffusers import DDIMScheduler

    scheduler = DDIMScheduler.from_config(
        noise_scheduler.config, set_alpha_to_one=False, clip_sample=False
    )
    scheduler.set_timesteps(steps)
    device = context.device
    x = torch.randn((len(context), *shape), generator=generator).to(device)
    x = x * scheduler.init_noise_sigma
    both = torch.cat([uncond_context.expand_as(context), context])
    for t in scheduler.timesteps:
        eps_u, eps_c = unet(torch.cat([x, x]), t, both).sample.chunk(2)
        x = scheduler.step(eps_u + guidance * (eps_c - eps_u), t, x).prev_sample
    return x


def to_images(x: torch.Tensor) -> torch.Tensor:
    """Model space [−1, 1] → images in [0, 1]."""
    return (x / 2 + 0.5).clamp(0, 1)


def to_model_space(images: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] → [−1, 1], as Stable Diffusion's training transform normalises."""
    return images * 2 - 1
