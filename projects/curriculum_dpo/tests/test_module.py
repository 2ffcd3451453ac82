"""The LightningModule on the toy base: log 2 at the first step, 25 % empty prompts by default
(all or none at the extremes), frozen everything but the LoRA, bad settings refused."""

from __future__ import annotations

import math

import pytest
import torch
from curriculum_dpo.module import CurriculumDPO

from shared.diffusion import encode_prompts
from shared.errors import ConfigError


@pytest.fixture(scope="module")
def module() -> CurriculumDPO:
    return CurriculumDPO(base="toy-smoke", lora_rank=2)


def test_only_the_lora_trains_and_the_first_loss_is_log2(module) -> None:
    trainable = [n for n, p in module.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    assert module.hparams.empty_prompt_rate == 0.25 and module.objective.beta == 2000
    images = torch.rand(4, 3, 8, 8)
    out = module.compute_loss((images[:2], images[2:], ["red", "blue"]))
    assert out["loss"].item() == pytest.approx(math.log(2), abs=1e-6)
    assert out["inside"].abs().max().item() == 0.0


def test_empty_prompts_replace_captions_at_the_configured_rate(module) -> None:
    empty = encode_prompts(module.parts.tokenizer, module.text_encoder, [""])
    torch.manual_seed(0)
    module.hparams.empty_prompt_rate = 1.0
    blank = module._context(["red", "blue"], blank=True)
    assert torch.allclose(blank, empty.expand(2, -1, -1), atol=1e-5)
    module.hparams.empty_prompt_rate = 0.25
    blanked = [
        torch.allclose(c, empty[0], atol=1e-5)
        for _ in range(100)
        for c in module._context(["red"] * 8, True)
    ]
    assert 0.15 < sum(blanked) / len(blanked) < 0.35
    assert not torch.allclose(module._context(["red"], blank=False)[0], empty[0], atol=1e-3)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"model\.lora_targets"):
        CurriculumDPO(base="toy-smoke", lora_targets=["to_q", "not_a_module"])
    with pytest.raises(ConfigError, match=r"model\.empty_prompt_rate"):
        CurriculumDPO(base="toy-smoke", empty_prompt_rate=1.5)
