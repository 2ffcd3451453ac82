"""Training steps to time (``bench.py``, ``gpu_check.py``): a Diffusion-DPO step and a plain
ε-MSE LoRA fine-tuning step on the same 2B images, on a UNet of a given size with random
weights. No jsonargparse and no repository CLI here (the GPU check imports this)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from curriculum_dpo.lora import add_lora
from curriculum_dpo.losses import per_sample_mse
from curriculum_dpo.objectives import DiffusionDPO, frozen_copy

# UNet sizes: Stable Diffusion 1.5's layout, and the tiny one of the tests.
SD15 = {
    "sample_size": 64,
    "block_out_channels": (320, 640, 1280, 1280),
    "down_block_types": ("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    "up_block_types": ("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
    "cross_attention_dim": 768,
    "attention_head_dim": 8,
    "layers_per_block": 2,
}
TINY = {
    "sample_size": 8,
    "block_out_channels": (32, 64),
    "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"),
    "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"),
    "cross_attention_dim": 32,
    "attention_head_dim": 8,
    "layers_per_block": 1,
    "norm_num_groups": 8,
}


def dpo_objective(size: dict, device: str = "cpu", rank: int = 8) -> DiffusionDPO:
    """Diffusion-DPO over a random UNet of ``size`` with the SD LoRA (built on ``device``)."""
    from diffusers import UNet2DConditionModel

    from shared.diffusion.parts import sd_noise_scheduler

    with torch.device(device):
        base = UNet2DConditionModel(**size)
    reference = frozen_copy(base)
    return DiffusionDPO(add_lora(base, "sd", rank=rank), reference, sd_noise_scheduler())


def batch(size: dict, pairs: int, device: str = "cpu", tokens: int = 77):
    """(winners, losers, context) of random latents and text embeddings."""
    g = torch.Generator().manual_seed(0)
    shape = (pairs, 4, size["sample_size"], size["sample_size"])
    context = torch.randn(pairs, tokens, size["cross_attention_dim"], generator=g)
    tensors = (torch.randn(shape, generator=g), torch.randn(shape, generator=g), context)
    return tuple(t.to(device) for t in tensors)


def epsilon_loss(objective: DiffusionDPO, winners, losers, context) -> torch.Tensor:
    """Plain LoRA fine-tuning (ε-MSE) on the same 2B images: no reference pass."""
    x0 = torch.cat([winners, losers])
    t = torch.randint(0, 1000, (len(x0),), device=x0.device)
    noise = torch.randn_like(x0)
    noisy = objective.noise_scheduler.add_noise(x0, noise, t)
    prediction = objective.policy(noisy, t, context.repeat(2, 1, 1)).sample
    return per_sample_mse(prediction, noise).mean()


def dpo_loss(objective: DiffusionDPO, winners, losers, context) -> torch.Tensor:
    return objective(winners, losers, context)["loss"]


def train_step(objective: DiffusionDPO, loss: Callable, tensors) -> Callable[[], None]:
    """One AdamW step of the LoRA parameters on ``loss``."""
    trainable = [p for p in objective.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss(objective, *tensors).backward()
        optimizer.step()

    return step
