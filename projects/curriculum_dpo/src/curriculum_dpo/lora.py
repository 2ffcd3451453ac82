"""LoRA adapters on a diffusers UNet through peft, with the official target lists, and their
export in the diffusers format that ``StableDiffusionPipeline.load_lora_weights`` reads and, for
the LCM, in the kohya format the official LCM scripts convert to (which diffusers reads too)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from shared.errors import ConfigError

# ``config/args_sd.py`` (attention projections) and ``config/args_lcm.py`` (every linear/conv).
SD_TARGETS = ("to_q", "to_k", "to_v", "to_out.0")
LCM_TARGETS = (
    *SD_TARGETS,
    "proj_in",
    "proj_out",
    "ff.net.0.proj",
    "ff.net.2",
    "conv1",
    "conv2",
    "conv_shortcut",
    "downsamplers.0.conv",
    "upsamplers.0.conv",
    "time_emb_proj",
)
TARGETS = {"sd": SD_TARGETS, "lcm": LCM_TARGETS}
ADAPTER = "dpo"
KOHYA_FILE = "pytorch_lora_weights_kohya.safetensors"  # not picked by load_lora_weights(folder)


def _matches(module_name: str, target: str) -> bool:
    return module_name == target or module_name.endswith("." + target)


def add_lora(
    unet: torch.nn.Module,
    targets: Sequence[str] | str = "sd",
    *,
    rank: int = 8,
    alpha: float | None = None,
    init: str | bool = "gaussian",
    field: str = "model.lora_targets",
) -> torch.nn.Module:
    """Freeze ``unet`` and add a trainable LoRA (B = 0, so the adapted UNet starts equal to the
    base) on ``targets`` (a preset name, ``sd`` or ``lcm``, or module-name suffixes). ``alpha``
    defaults to ``rank`` (both official configs). A target no module of the UNet ends with is a
    :class:`ConfigError` (peft only fails when none matches)."""
    from peft import LoraConfig

    names = TARGETS[targets] if isinstance(targets, str) and targets in TARGETS else targets
    if isinstance(names, str):
        raise ConfigError(field, names, f"one of {sorted(TARGETS)} or a list of module names")
    modules = [name for name, _ in unet.named_modules()]
    missing = [t for t in names if not any(_matches(m, t) for m in modules)]
    if missing:
        raise ConfigError(
            field,
            list(names),
            "target modules that exist in the base UNet",
            f"No module name ends with {missing}; the UNet has e.g. "
            f"{[m for m in modules if m.count('.') >= 5][:3]}.",
        )
    unet.requires_grad_(False)
    config = LoraConfig(
        r=rank,
        lora_alpha=alpha if alpha is not None else rank,
        init_lora_weights=init,
        target_modules=list(names),
    )
    unet.add_adapter(config, adapter_name=ADAPTER)
    return unet


def lora_state_dict(unet: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The adapter's weights with peft's key names (``...lora_A.weight``), which diffusers'
    loaders read. (Converting them to the older ``lora.down`` names, as the official script
    does, loses the attention projections on reload once convolutions are targets too, as in
    the LCM list: diffusers 0.42 then reads them back as attention processors.)"""
    from peft.utils import get_peft_model_state_dict

    return get_peft_model_state_dict(unet, adapter_name=ADAPTER)


def kohya_state_dict(unet: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The adapter with kohya keys, as the official LCM validation and generation convert it:
    ``lora_unet_<module path, dots as underscores>.lora_down.weight`` (A), ``.lora_up.weight``
    (B) and ``.alpha``, the adapter's ``lora_alpha`` (8 in the official LCM config; diffusers'
    ``convert_state_dict_to_kohya`` would write the rank instead)."""
    alpha = float(unet.peft_config[ADAPTER].lora_alpha)
    kohya = {}
    for key, weight in lora_state_dict(unet).items():
        module, _, factor = key.partition(".lora_")
        name = "lora_unet_" + module.replace(".", "_")
        if factor == "A.weight":
            kohya[f"{name}.lora_down.weight"] = weight
            kohya[f"{name}.alpha"] = torch.tensor(alpha)
        elif factor == "B.weight":
            kohya[f"{name}.lora_up.weight"] = weight
        else:
            raise ValueError(f"LoRA key {key!r}: expected a lora_A or lora_B weight")
    return kohya


def save_lora(unet: torch.nn.Module, folder: str | Path, kohya: bool = False) -> Path:
    """Write ``pytorch_lora_weights.safetensors`` into ``folder``, loadable into a stock pipeline
    with ``pipeline.load_lora_weights(folder)``; ``kohya`` also writes the kohya-key copy
    (:data:`KOHYA_FILE`, loaded with ``weight_name=KOHYA_FILE``)."""
    from diffusers import StableDiffusionPipeline
    from safetensors.torch import save_file

    folder = Path(folder)
    StableDiffusionPipeline.save_lora_weights(folder, unet_lora_layers=lora_state_dict(unet))
    if kohya:
        weights = {k: v.detach().contiguous() for k, v in kohya_state_dict(unet).items()}
        save_file(weights, str(folder / KOHYA_FILE))
    return folder / "pytorch_lora_weights.safetensors"
