"""The base text-to-image model by name: ``toy`` / ``toy-smoke`` (the embedded pixel-space model,
pretrained and cached on first use) or a diffusers Stable Diffusion repository by hub id or
folder (``stabilityai/stable-diffusion-2-1-base``, ``runwayml/stable-diffusion-v1-5``,
``SimianLuo/LCM_Dreamshaper_v7``), and the images ↔ model-space maps that go with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch

from curriculum_dpo.sampling import ddim_sample, lcm_sample, to_images, to_model_space
from curriculum_dpo.toy import TOY_BASES
from shared.diffusion import (
    DiffusionParts,
    encode_prompts,
    load_noise_scheduler,
    load_parts,
    load_text_encoder,
    load_tokenizer,
    load_unet,
)

SamplerName = Literal["ddim", "lcm"]  # guided DDIM (Stable Diffusion), LCM multistep (consistency)


def load_base(
    name: str, field: str = "model.base", dtype: torch.dtype | None = None
) -> DiffusionParts:
    """The parts of base ``name`` (in ``dtype``; ``None``: as stored); the toy models have no VAE
    (``vae is None``: pixel space)."""
    if name in TOY_BASES:
        folder = TOY_BASES[name].build()
        return DiffusionParts(
            tokenizer=load_tokenizer(folder, field=field),
            text_encoder=load_text_encoder(folder, field=field, dtype=dtype),
            vae=None,
            unet=load_unet(folder, field=field, dtype=dtype),
            noise_scheduler=load_noise_scheduler(folder, field=field),
        )
    return load_parts(name, field=field, dtype=dtype)


def freeze(parts: DiffusionParts) -> DiffusionParts:
    """Every part frozen and in eval mode (the UNet too: LoRA makes its trainable copy)."""
    for module in (parts.text_encoder, parts.vae, parts.unet):
        if module is not None:
            module.requires_grad_(False).eval()
    return parts


@torch.no_grad()
def encode_images(parts: DiffusionParts, images: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] → what the UNet denoises: VAE latents (a sample of the posterior × the
    scaling factor, as the official training) or, without a VAE, pixels in [−1, 1]."""
    x = to_model_space(images)
    if parts.vae is None:
        return x
    return parts.vae.encode(x).latent_dist.sample() * parts.vae.config.scaling_factor


@torch.no_grad()
def decode(parts: DiffusionParts, x: torch.Tensor) -> torch.Tensor:
    """Model space → images in [0, 1]."""
    if parts.vae is not None:
        x = parts.vae.decode(x / parts.vae.config.scaling_factor).sample
    return to_images(x)


def sample_shape(parts: DiffusionParts) -> tuple[int, int, int]:
    config = parts.unet.config
    return (config.in_channels, config.sample_size, config.sample_size)


@torch.no_grad()
def sample_images(
    parts: DiffusionParts,
    unet: torch.nn.Module,
    prompts: Sequence[str],
    *,
    steps: int,
    guidance: float,
    generator: torch.Generator,
    sampler: SamplerName = "ddim",
) -> torch.Tensor:
    """Images in [0, 1] of ``prompts`` from ``unet`` (the base or the fine-tuned one) by guided
    DDIM or, for a consistency model, LCM sampling, through the VAE when the base has one."""
    context = encode_prompts(parts.tokenizer, parts.text_encoder, list(prompts))
    settings = {"shape": sample_shape(parts), "steps": steps, "guidance": guidance}
    if sampler == "lcm":
        x = lcm_sample(unet, parts.noise_scheduler, context, **settings, generator=generator)
    else:
        uncond = encode_prompts(parts.tokenizer, parts.text_encoder, [""])
        x = ddim_sample(
            unet, parts.noise_scheduler, context, uncond, **settings, generator=generator
        )
    return decode(parts, x)
