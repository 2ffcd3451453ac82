"""`python -m curriculum_dpo.gpu_check`: one bf16 Diffusion-DPO step of a Stable-Diffusion-1.5-
sized UNet (random weights, LoRA r=8 on the attention projections, frozen reference) on 2 pairs
of 64×64 latents, as JSON lines (run by tools/gpu_check.py with the GPU machine's own stack: no
jsonargparse here)."""

from __future__ import annotations

import sys

from curriculum_dpo.timed_steps import SD15, batch, dpo_objective
from shared import gpucheck
from shared.gpucheck import GpuCheck, TrainStep

PAIRS = 2


def build(size: dict = SD15, device: str = "cuda"):
    """(objective, winners ⧺ losers, context) for :class:`TrainStep`."""
    import torch

    objective = dpo_objective(size, device=device)
    winners, losers, context = batch(size, PAIRS, device=device)
    return objective, torch.cat([winners, losers]), context


def loss(objective, images, context):
    winners, losers = images.chunk(2)
    return objective(winners, losers, context)["loss"]


def checks() -> list[GpuCheck]:
    return [TrainStep("Diffusion-DPO, SD-1.5-sized UNet, 2 pairs of 64×64 latents", build, loss)]


if __name__ == "__main__":
    sys.exit(gpucheck.main("curriculum_dpo", checks))
