"""The `sample` command: a grid of each prompt without and with a LoRA, from the same seeds."""

from __future__ import annotations

import torch
from curriculum_dpo.bases import load_base
from curriculum_dpo.lora import add_lora, save_lora
from curriculum_dpo.sample import main, render


def test_grid_of_base_and_lora_rows(tmp_path) -> None:
    unet = add_lora(load_base("toy-smoke").unet, "sd", rank=2)
    with torch.no_grad():
        for name, p in unet.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 1.0)
    save_lora(unet, tmp_path / "lora")
    images = render("toy-smoke", tmp_path / "lora", ["red", "blue"], per_prompt=2, steps=2)
    assert images.shape == (8, 3, 8, 8)
    base_red, lora_red, base_blue = images[0:2], images[2:4], images[4:6]
    assert not torch.allclose(base_red, lora_red)  # the adapter changes the samples
    assert not torch.allclose(base_red, base_blue)  # the prompt does too
    again = render("toy-smoke", tmp_path / "lora", ["red"], per_prompt=2, steps=2)
    assert torch.equal(again[:2], base_red)  # same seeds, same base samples
    args = ["--base", "toy-smoke", "--lora", str(tmp_path / "lora"), "--prompts", "red"]
    out = main([*args, "--per_prompt", "2", "--steps", "1", "--out", str(tmp_path / "grid.png")])
    from PIL import Image

    assert Image.open(out).size == (2 * 8 + 3, 2 * 8 + 3)  # 2 × 2 tiles, 1 px padding


def test_the_lcm_sampler_draws_other_samples_from_the_same_seeds(tmp_path) -> None:
    unet = add_lora(load_base("toy-smoke").unet, "lcm", rank=2)
    save_lora(unet, tmp_path / "lora")  # B = 0: the LoRA rows equal the base rows
    ddim = render("toy-smoke", tmp_path / "lora", ["red"], per_prompt=1, steps=2)
    lcm = render("toy-smoke", tmp_path / "lora", ["red"], per_prompt=1, steps=2, sampler="lcm")
    assert lcm.shape == ddim.shape == (2, 3, 8, 8)
    assert torch.allclose(lcm[0], lcm[1], atol=1e-5)
    assert not torch.allclose(lcm[0], ddim[0])  # LCM steps, not DDIM's
