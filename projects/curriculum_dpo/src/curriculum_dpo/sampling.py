"""Sampling for a UNet in pixel or latent space, as the diffusers pipelines do, written out so the
tiny pixel-space model of the embedded run (which has no VAE) samples the same way: classifier-free
guided DDIM (Stable Diffusion's pipeline) and LCM multistep sampling (the latent consistency
model pipeline)."""

from __future__ import annotations

import torch
from torch import nn

from curriculum_dpo.losses import guidance_embedding


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


@torch.no_grad()
def lcm_sample(
    unet: nn.Module,
    noise_scheduler,
    context: torch.Tensor,
    *,
    shape: tuple[int, ...],
    steps: int,
    guidance: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``len(context)`` samples of ``shape`` after ``steps`` LCM steps, as diffusers'
    ``LatentConsistencyModelPipeline`` draws them (the official stage 1 of the LCM): the
    ``LCMScheduler`` on ``noise_scheduler``'s config, one conditional pass per step (no
    unconditional pass: the guidance was distilled into the model and enters through
    ``timestep_cond``, the embedding of w = ``guidance`` − 1, the pipeline's shift from the
    ε_u + g·(ε_c − ε_u) scale to the LCM one), fresh noise between steps, and the last step's
    denoised estimate returned. A UNet without ``time_cond_proj_dim`` (the embedded toy model) is
    fed no embedding, so ``guidance`` does not act on it."""
    from diffusers import LCMScheduler

    scheduler = LCMScheduler.from_config(noise_scheduler.config)
    scheduler.set_timesteps(steps)
    device, dtype = context.device, context.dtype
    x = torch.randn((len(context), *shape), generator=generator).to(device, dtype)
    x = x * scheduler.init_noise_sigma
    dim = unet.config.time_cond_proj_dim
    w = torch.full((len(context),), guidance - 1.0)
    cond = guidance_embedding(w, dim).to(device, dtype) if dim else None
    for t in scheduler.timesteps:
        eps = unet(x, t, context, timestep_cond=cond).sample
        x, denoised = scheduler.step(eps, t, x, generator=generator, return_dict=False)
    return denoised


def to_images(x: torch.Tensor) -> torch.Tensor:
    """Model space [−1, 1] → images in [0, 1]."""
    return (x / 2 + 0.5).clamp(0, 1)


def to_model_space(images: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] → [−1, 1], as Stable Diffusion's training transform normalises."""
    return images * 2 - 1
