"""Stable-Diffusion-shaped parts for tests and embedded runs: tiny random builders of the diffusers
UNet and VAE, the transformers CLIP text encoder and a CLIP tokenizer written from a generated
vocabulary (no download), and the real ones loaded by hub id or path through
:func:`shared.hub.require_pretrained`.

Importing this package imports torch, diffusers and transformers; nothing else in ``shared``
imports it, so projects that do not need diffusion stay light.
"""

from shared.diffusion.parts import (
    DiffusionParts,
    encode_prompts,
    load_parts,
    sd_noise_scheduler,
    tiny_parts,
)
from shared.diffusion.pretrained import (
    load_noise_scheduler,
    load_text_encoder,
    load_tokenizer,
    load_unet,
    load_vae,
)
from shared.diffusion.tiny import tiny_text_encoder, tiny_unet, tiny_vae
from shared.diffusion.tokenizer import tiny_tokenizer, write_tokenizer_files

__all__ = [
    "DiffusionParts",
    "encode_prompts",
    "load_noise_scheduler",
    "load_parts",
    "load_text_encoder",
    "load_tokenizer",
    "load_unet",
    "load_vae",
    "sd_noise_scheduler",
    "tiny_parts",
    "tiny_text_encoder",
    "tiny_tokenizer",
    "tiny_unet",
    "tiny_vae",
    "write_tokenizer_files",
]
