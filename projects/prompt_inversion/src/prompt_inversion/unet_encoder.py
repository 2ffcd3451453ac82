"""The white-box model: the encoder half of a Stable Diffusion U-Net (official
``unet_enc_experiments`` with ``EncoderUNetModel``).

:class:`UNetEncoder` keeps a diffusers ``UNet2DConditionModel``'s ``conv_in``, ``time_proj``,
``time_embedding``, ``down_blocks`` and ``mid_block`` under the same names, so a full U-Net's
state dict loads into it with ``strict=False`` and only the decoder (:data:`DECODER_PREFIXES`)
left over; it runs them at timestep 0 with a text context, max-pools globally and projects the
mid block's channels to 384 (:class:`~prompt_inversion.model.PromptPredictor` L2-normalises).

:class:`WhiteBoxUNet` is the backbone: image in ``[-1, 1]`` -> the frozen VAE's latent (the
posterior mean times the VAE's scaling factor) and, from the **same image**, a caption
(:mod:`prompt_inversion.captioner`) tokenised and encoded by the frozen text encoder -> the
encoder. The prompt never reaches it: the forward takes nothing but the image.
"""

from __future__ import annotations

import tempfile
from typing import Any, NamedTuple

import torch
from torch import nn

from prompt_inversion.captioner import Captioner, build_captioner
from prompt_inversion.target import EMBEDDING_DIM
from shared.diffusion import (
    encode_prompts,
    load_text_encoder,
    load_tokenizer,
    load_unet,
    load_vae,
    tiny_parts,
)
from shared.errors import ConfigError

ENCODER_PARTS = ("conv_in", "time_proj", "time_embedding", "down_blocks", "mid_block")
DECODER_PREFIXES = ("up_blocks.", "conv_norm_out.", "conv_out.")
SD2_UNET: dict[str, Any] = {
    "sample_size": 64,
    "in_channels": 4,
    "out_channels": 4,
    "layers_per_block": 2,
    "block_out_channels": (320, 640, 1280, 1280),
    "down_block_types": ("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    "up_block_types": ("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
    "cross_attention_dim": 1024,
    "attention_head_dim": (5, 10, 20, 20),
    "use_linear_projection": True,
}
"""The diffusers config of Stable Diffusion 2's U-Net (ldm ``v2-train.yaml``: model channels 320,
channel mult 1, 2, 4, 4, 2 res blocks, attention at ds 4, 2, 1 with 64-channel heads, linear
spatial transformers, context 1024), for random-weight builds (the GPU check)."""
FIELD = "model.init_args.backbone.args.pretrained"


class UNetEncoder(nn.Module):
    """``(latents [B, 4, h, w], context [B, T, D]) -> [B, 384]``: the U-Net's down and mid blocks
    at ``t = 0``, ``AdaptiveMaxPool2d(1)``, ``Linear(C_mid -> 384)`` (``proj``, the new head)."""

    def __init__(self, unet: nn.Module, out_dim: int = EMBEDDING_DIM) -> None:
        super().__init__()
        for name in ENCODER_PARTS:
            setattr(self, name, getattr(unet, name))
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.proj = nn.Linear(unet.config.block_out_channels[-1], out_dim)

    @classmethod
    def from_config(cls, **config: Any) -> UNetEncoder:
        """A random encoder of a ``UNet2DConditionModel(**config)`` (e.g. :data:`SD2_UNET`)."""
        from diffusers import UNet2DConditionModel

        return cls(UNet2DConditionModel(**config))

    def load_unet_state_dict(self, state: dict[str, torch.Tensor]) -> Any:
        """Load a full U-Net's weights with ``strict=False`` (official); returns the missing
        (the head) and unexpected (the decoder) keys."""
        return self.load_state_dict(state, strict=False)

    def forward(self, latents: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        timesteps = torch.zeros(len(latents), device=latents.device)
        emb = self.time_embedding(self.time_proj(timesteps).to(latents.dtype))
        hidden = self.conv_in(latents)
        for block in self.down_blocks:
            if getattr(block, "has_cross_attention", False):
                hidden, _ = block(hidden_states=hidden, temb=emb, encoder_hidden_states=context)
            else:
                hidden, _ = block(hidden_states=hidden, temb=emb)
        if getattr(self.mid_block, "has_cross_attention", False):
            hidden = self.mid_block(hidden, emb, encoder_hidden_states=context)
        else:
            hidden = self.mid_block(hidden, emb)
        return self.proj(self.pool(hidden).flatten(1))


class WhiteBoxInputs(NamedTuple):
    """What the encoder sees of an image: its latent, its caption and the caption's encoding."""

    latents: torch.Tensor
    captions: list[str]
    context: torch.Tensor


class WhiteBoxUNet(nn.Module):
    """Image in ``[-1, 1]`` -> ``[B, 384]`` through the frozen VAE, captioner and text encoder
    and the trained :class:`UNetEncoder` (the official run precomputes the latents and captions;
    here they are computed on the fly, under ``no_grad``, with the frozen parts in eval mode)."""

    def __init__(
        self,
        encoder: UNetEncoder,
        vae: nn.Module,
        tokenizer: Any,
        text_encoder: nn.Module,
        captioner: Captioner,
    ) -> None:
        super().__init__()
        self.encoder, self.tokenizer = encoder, tokenizer
        self.vae = vae.eval().requires_grad_(False)
        self.text_encoder = text_encoder.eval().requires_grad_(False)
        self.captioner = captioner.eval().requires_grad_(False)
        self.scaling_factor = float(vae.config.scaling_factor)

    def train(self, mode: bool = True) -> WhiteBoxUNet:
        super().train(mode)
        for frozen in (self.vae, self.text_encoder, self.captioner):
            frozen.eval()
        return self

    @torch.no_grad()
    def inputs(self, images: torch.Tensor) -> WhiteBoxInputs:
        """The latent and the caption context of ``images`` (nothing else goes in)."""
        captions = self.captioner((images.float() + 1) / 2)
        vae_dtype = next(self.vae.parameters()).dtype
        latents = self.vae.encode(images.to(vae_dtype)).latent_dist.mean * self.scaling_factor
        context = encode_prompts(self.tokenizer, self.text_encoder, captions)
        return WhiteBoxInputs(latents, captions, context)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        latents, _, context = self.inputs(images)
        return self.encoder(latents, context)


def white_box_unet(
    pretrained: str | None = None,
    captioner: str = "blip",
    captioner_args: dict[str, Any] | None = None,
    tiny: dict[str, Any] | None = None,
) -> WhiteBoxUNet:
    """The white-box backbone from a diffusers Stable Diffusion repository (hub id or folder:
    its ``unet`` initialises the encoder, ``vae``, ``tokenizer`` and ``text_encoder`` stay
    frozen), or from random tiny parts (``tiny``: :func:`shared.diffusion.tiny_parts`'s
    ``image_size``, ``hidden_size``, ``block_out_channels``, ``seed``)."""
    caption_model = build_captioner(captioner, captioner_args)
    if tiny is not None:
        with tempfile.TemporaryDirectory() as folder:  # the tokenizer is read into memory
            parts = tiny_parts(folder, caption_model.words, **_tiny_settings(tiny))
        return WhiteBoxUNet(
            UNetEncoder(parts.unet), parts.vae, parts.tokenizer, parts.text_encoder, caption_model
        )
    if pretrained is None:
        raise ConfigError(
            FIELD,
            None,
            "a diffusers Stable Diffusion repository (hub id such as "
            "stabilityai/stable-diffusion-2-base, or a folder)",
            "The VAE and text encoder stay frozen, so random ones carry nothing; set `tiny` for "
            "small random parts in tests.",
        )
    return WhiteBoxUNet(
        UNetEncoder(load_unet(pretrained, field=FIELD)),  # the decoder is dropped with the rest
        load_vae(pretrained, field=FIELD),
        load_tokenizer(pretrained, field=FIELD),
        load_text_encoder(pretrained, field=FIELD),
        caption_model,
    )


def _tiny_settings(tiny: dict[str, Any]) -> dict[str, Any]:
    allowed = {"image_size", "hidden_size", "block_out_channels", "max_length", "seed"}
    if unknown := sorted(set(tiny) - allowed):
        raise ConfigError(
            f"model.init_args.backbone.args.tiny.{unknown[0]}",
            tiny[unknown[0]],
            f"one of {sorted(allowed)}",
        )
    settings = dict(tiny)
    if "block_out_channels" in settings:
        settings["block_out_channels"] = tuple(settings["block_out_channels"])
    return settings
