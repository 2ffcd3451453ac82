"""The five pieces of a Stable Diffusion model as one value: built tiny for tests and embedded
runs, or loaded from a pipeline repository, then encoded, noised and denoised the same way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from shared.diffusion.pretrained import (
    PathOrName,
    load_noise_scheduler,
    load_text_encoder,
    load_tokenizer,
    load_unet,
    load_vae,
)
from shared.diffusion.tiny import tiny_text_encoder, tiny_unet, tiny_vae
from shared.diffusion.tokenizer import tiny_tokenizer


@dataclass
class DiffusionParts:
    """Tokenizer, text encoder, VAE, UNet and the training noise schedule (``DDPMScheduler``)."""

    tokenizer: Any
    text_encoder: Any
    vae: Any
    unet: Any
    noise_scheduler: Any

    def pipeline(self, scheduler: Any = None):
        """A ``StableDiffusionPipeline`` over these parts (no safety checker), sampling with
        ``scheduler`` (default: DDIM on the training schedule's betas, with Stable Diffusion's
        ``set_alpha_to_one=False`` and no sample clipping)."""
        from diffusers import DDIMScheduler, StableDiffusionPipeline

        if scheduler is None:
            scheduler = DDIMScheduler.from_config(
                self.noise_scheduler.config, set_alpha_to_one=False, clip_sample=False
            )
        return StableDiffusionPipeline(
            vae=self.vae,
            text_encoder=self.text_encoder,
            tokenizer=self.tokenizer,
            unet=self.unet,
            scheduler=scheduler,
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )


def sd_noise_scheduler(num_train_timesteps: int = 1000):
    """Stable Diffusion's training schedule: scaled-linear betas 0.00085 → 0.012 over 1000 steps,
    ε-prediction, no sample clipping."""
    from diffusers import DDPMScheduler

    return DDPMScheduler(
        num_train_timesteps=num_train_timesteps,
        beta_schedule="scaled_linear",
        beta_start=0.00085,
        beta_end=0.012,
        clip_sample=False,
        steps_offset=1,
    )


def tiny_parts(
    folder: str | Path,
    words: Iterable[str],
    *,
    image_size: int = 16,
    hidden_size: int = 32,
    block_out_channels: Sequence[int] = (32, 64),
    max_length: int = 77,
    time_cond_proj_dim: int | None = None,
    seed: int = 0,
) -> DiffusionParts:
    """A complete tiny Stable Diffusion: ``image_size`` px RGB images, latents at half that size,
    text embeddings of width ``hidden_size``; the tokenizer files are written to ``folder``. Each
    model draws from its own seed (``seed``, ``seed + 1``, ``seed + 2``)."""
    if image_size % 2:
        raise ValueError(f"image_size must be even (the VAE halves it), not {image_size}")
    tokenizer = tiny_tokenizer(folder, words, max_length=max_length)
    return DiffusionParts(
        tokenizer=tokenizer,
        text_encoder=tiny_text_encoder(tokenizer, hidden_size=hidden_size, seed=seed),
        vae=tiny_vae(sample_size=image_size, seed=seed + 1),
        unet=tiny_unet(
            sample_size=image_size // 2,
            cross_attention_dim=hidden_size,
            block_out_channels=block_out_channels,
            time_cond_proj_dim=time_cond_proj_dim,
            seed=seed + 2,
        ),
        noise_scheduler=sd_noise_scheduler(),
    )


def load_parts(
    name_or_path: PathOrName, *, field: str, dtype: torch.dtype | None = None
) -> DiffusionParts:
    """Every part of a diffusers Stable Diffusion repository (hub id or folder), from its
    ``tokenizer/``, ``text_encoder/``, ``vae/``, ``unet/`` and ``scheduler/`` subfolders."""
    return DiffusionParts(
        tokenizer=load_tokenizer(name_or_path, field=field),
        text_encoder=load_text_encoder(name_or_path, field=field, dtype=dtype),
        vae=load_vae(name_or_path, field=field, dtype=dtype),
        unet=load_unet(name_or_path, field=field, dtype=dtype),
        noise_scheduler=load_noise_scheduler(name_or_path, field=field),
    )


def encode_prompts(tokenizer: Any, text_encoder: Any, prompts: Sequence[str]) -> torch.Tensor:
    """The UNet's conditioning: the text encoder's last hidden state of the prompts padded to the
    tokenizer's length, as Stable Diffusion trains (``[len(prompts), max_length, hidden]``)."""
    ids = tokenizer(
        list(prompts),
        padding="max_length",
        max_length=tokenizer.model_max_length,
        truncation=True,
        return_tensors="pt",
    ).input_ids
    device = next(text_encoder.parameters()).device
    return text_encoder(ids.to(device))[0]
