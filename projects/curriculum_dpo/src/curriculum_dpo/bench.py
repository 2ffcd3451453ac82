"""`make bench`: the cost of Diffusion-DPO over plain LoRA fine-tuning, and stage-1 sampling.

A Diffusion-DPO step on B pairs runs the policy forward and backward on 2B images plus the
reference forward on them; plain ε-MSE fine-tuning on the same 2B images skips the reference,
so the expected time ratio is 1 + F_ref/(F + B) ≈ 1.33 with a backward of about twice a forward
(target ≤ 1.5). Both on the tiny UNet at 8×8 on this machine's CPU.
"""

from __future__ import annotations

import torch

from curriculum_dpo.sampling import ddim_sample
from curriculum_dpo.timed_steps import (
    TINY,
    batch,
    dpo_loss,
    dpo_objective,
    epsilon_loss,
    train_step,
)
from shared.bench import Comparison, Target, Throughput

PAIRS = 8


def _pair():
    objective = dpo_objective(TINY, rank=4)
    tensors = batch(TINY, PAIRS, tokens=8)
    return train_step(objective, epsilon_loss, tensors), train_step(objective, dpo_loss, tensors)


def _sampling():
    objective = dpo_objective(TINY, rank=4)
    context = torch.randn(16, 8, TINY["cross_attention_dim"])
    shape = (4, TINY["sample_size"], TINY["sample_size"])

    def sample() -> None:
        reference, schedule = objective.reference, objective.noise_scheduler
        ddim_sample(reference, schedule, context, context[:1], shape=shape, steps=10, guidance=7.5)

    return sample


def benchmarks() -> list:
    return [
        Comparison(
            f"Diffusion-DPO step / ε-MSE LoRA step (tiny UNet, {2 * PAIRS} images of 8×8)",
            _pair,
            items=2 * PAIRS,
            rounds=10,
            target=Target.at_most(1.5, "expected 1 + F_ref/(F+B) ≈ 1.33"),
            labels=("ε-MSE LoRA step", "Diffusion-DPO step"),
        ),
        Throughput(
            "stage-1 sampling (tiny UNet, 10 DDIM steps, guided)", _sampling, items=16, repeats=5
        ),
    ]
