"""The real Stable Diffusion components by hub id or local folder, each through
:func:`shared.hub.require_pretrained` (cached weights load without the network; a missing model
fails within seconds naming the cache and the download command).

``subfolder`` is the component's folder inside a pipeline repository (``unet``, ``vae``, ...); pass
``subfolder=None`` for a folder that holds the component itself.
"""

from __future__ import annotations

import os

import torch

from shared.hub import require_pretrained

PathOrName = str | os.PathLike


def _source(name_or_path: PathOrName, library: str, field: str, subfolder: str | None):
    return require_pretrained(name_or_path, library=library, field=field, subfolder=subfolder)


def load_unet(
    name_or_path: PathOrName,
    *,
    field: str,
    subfolder: str | None = "unet",
    dtype: torch.dtype | None = None,
):
    """``UNet2DConditionModel.from_pretrained`` on a hub id or folder."""
    from diffusers import UNet2DConditionModel

    source = _source(name_or_path, "diffusers", field, subfolder)
    return UNet2DConditionModel.from_pretrained(source, subfolder=subfolder, torch_dtype=dtype)


def load_vae(
    name_or_path: PathOrName,
    *,
    field: str,
    subfolder: str | None = "vae",
    dtype: torch.dtype | None = None,
):
    """``AutoencoderKL.from_pretrained`` on a hub id or folder."""
    from diffusers import AutoencoderKL

    source = _source(name_or_path, "diffusers", field, subfolder)
    return AutoencoderKL.from_pretrained(source, subfolder=subfolder, torch_dtype=dtype)


def load_text_encoder(
    name_or_path: PathOrName,
    *,
    field: str,
    subfolder: str | None = "text_encoder",
    dtype: torch.dtype | None = None,
):
    """``CLIPTextModel.from_pretrained`` on a hub id or folder."""
    from transformers import CLIPTextModel

    source = _source(name_or_path, "transformers", field, subfolder)
    return CLIPTextModel.from_pretrained(source, subfolder=subfolder or "", torch_dtype=dtype)


def load_tokenizer(name_or_path: PathOrName, *, field: str, subfolder: str | None = "tokenizer"):
    """``CLIPTokenizer.from_pretrained`` on a hub id or folder (a tokenizer has no weights file, so
    a cached snapshot is recognised by the pipeline's other components)."""
    from transformers import CLIPTokenizer

    source = require_pretrained(name_or_path, library="transformers", field=field)
    return CLIPTokenizer.from_pretrained(source, subfolder=subfolder or "")


def load_noise_scheduler(
    name_or_path: PathOrName, *, field: str, subfolder: str | None = "scheduler"
):
    """The training noise schedule (``DDPMScheduler``) from a pipeline's scheduler config."""
    from diffusers import DDPMScheduler

    source = require_pretrained(name_or_path, library="diffusers", field=field)
    return DDPMScheduler.from_pretrained(source, subfolder=subfolder)
