"""LoRA through peft: the official target lists attach to a diffusers UNet, a missing target is
a ConfigError, and the saved adapter loads into a stock StableDiffusionPipeline."""

from __future__ import annotations

import pytest
import torch
from curriculum_dpo.lora import LCM_TARGETS, SD_TARGETS, add_lora, save_lora

from shared.diffusion import tiny_parts, tiny_unet
from shared.errors import ConfigError


def test_sd_and_lcm_targets_exist_in_a_diffusers_unet() -> None:
    assert SD_TARGETS == ("to_q", "to_k", "to_v", "to_out.0")
    assert len(LCM_TARGETS) == 14
    unet = add_lora(tiny_unet(block_out_channels=(16, 32), time_cond_proj_dim=8), "lcm", rank=2)
    trainable = {
        n.split(".lora_")[0].rsplit(".", 1)[-1]
        for n, p in unet.named_parameters()
        if p.requires_grad
    }
    assert {"to_q", "conv1", "conv_shortcut", "time_emb_proj", "proj_in"} <= trainable
    assert all("lora_" in n for n, p in unet.named_parameters() if p.requires_grad)


def test_a_target_missing_from_the_unet_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"No module name ends with \['to_qkv'\]") as error:
        add_lora(tiny_unet(block_out_channels=(16, 32)), ["to_q", "to_qkv"])
    assert error.value.field == "model.lora_targets"


def test_saved_lora_loads_into_a_stock_pipeline(tmp_path) -> None:
    parts = tiny_parts(tmp_path / "tok", ["a cat"], block_out_channels=(16, 32), max_length=8)
    unet = add_lora(parts.unet, "sd", rank=4)
    with torch.no_grad():
        for name, p in unet.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)  # as if trained
    x, t, context = torch.randn(1, 4, 8, 8), torch.tensor([500]), torch.randn(1, 8, 32)
    trained = unet(x, t, context).sample
    file = save_lora(unet, tmp_path / "lora")
    assert file.name == "pytorch_lora_weights.safetensors"
    fresh = tiny_parts(tmp_path / "tok2", ["a cat"], block_out_channels=(16, 32), max_length=8)
    pipe = fresh.pipeline()
    base = pipe.unet(x, t, context).sample
    pipe.load_lora_weights(tmp_path / "lora")
    loaded = pipe.unet(x, t, context).sample
    assert not torch.allclose(base, trained)
    assert torch.allclose(loaded, trained, atol=1e-5)
    pipe.set_progress_bar_config(disable=True)
    image = pipe(["a cat"], num_inference_steps=1, height=16, width=16, output_type="pt").images
    assert image.shape == (1, 3, 16, 16)
