"""Tiny randomly initialised diffusers and transformers models with Stable Diffusion's layout:
the same classes, block types and interfaces, small enough to train on a CPU in a test.

Each builder draws its weights from its own ``seed`` inside a forked random state, so a build is
reproducible and leaves the caller's generator untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def _seeded(seed: int, build):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def tiny_unet(
    *,
    in_channels: int = 4,
    out_channels: int | None = None,
    sample_size: int = 8,
    cross_attention_dim: int = 32,
    block_out_channels: Sequence[int] = (32, 64),
    attention_head_dim: int = 8,
    norm_num_groups: int = 8,
    time_cond_proj_dim: int | None = None,
    seed: int = 0,
):
    """A two-level ``UNet2DConditionModel`` (cross-attention down, plain down; plain up,
    cross-attention up), about 0.8 M parameters. ``time_cond_proj_dim`` adds the guidance-scale
    embedding input of latent consistency models (``timestep_cond``)."""
    from diffusers import UNet2DConditionModel

    return _seeded(
        seed,
        lambda: UNet2DConditionModel(
            sample_size=sample_size,
            in_channels=in_channels,
            out_channels=out_channels or in_channels,
            layers_per_block=1,
            block_out_channels=tuple(block_out_channels),
            down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
            cross_attention_dim=cross_attention_dim,
            attention_head_dim=attention_head_dim,
            norm_num_groups=norm_num_groups,
            time_cond_proj_dim=time_cond_proj_dim,
        ),
    )


def tiny_vae(
    *,
    in_channels: int = 3,
    latent_channels: int = 4,
    block_out_channels: Sequence[int] = (16, 32),
    sample_size: int = 16,
    norm_num_groups: int = 8,
    seed: int = 0,
):
    """An ``AutoencoderKL`` that halves the resolution once per extra block (two blocks: 16 px
    images ↔ 8×8 latents), about 0.17 M parameters."""
    from diffusers import AutoencoderKL

    levels = len(block_out_channels)
    return _seeded(
        seed,
        lambda: AutoencoderKL(
            in_channels=in_channels,
            out_channels=in_channels,
            down_block_types=("DownEncoderBlock2D",) * levels,
            up_block_types=("UpDecoderBlock2D",) * levels,
            block_out_channels=tuple(block_out_channels),
            layers_per_block=1,
            latent_channels=latent_channels,
            norm_num_groups=norm_num_groups,
            sample_size=sample_size,
        ),
    )


def tiny_text_encoder(
    tokenizer,
    *,
    hidden_size: int = 32,
    intermediate_size: int = 37,
    num_attention_heads: int = 4,
    num_hidden_layers: int = 2,
    seed: int = 0,
):
    """A ``CLIPTextModel`` matched to ``tokenizer`` (vocabulary size, prompt length, BOS/EOS/pad
    ids, so the pooled output is read at the EOS token as in CLIP). ``hidden_size`` is the UNet's
    ``cross_attention_dim``."""
    from transformers import CLIPTextConfig, CLIPTextModel

    config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_attention_heads=num_attention_heads,
        num_hidden_layers=num_hidden_layers,
        max_position_embeddings=tokenizer.model_max_length,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return _seeded(seed, lambda: CLIPTextModel(config))
