"""The objectives of both phases and the adversarial terms (``utils/losses.py`` and
``trainer.py`` of the official code).

Teacher maps arrive stacked over teachers: 1x1 (B, K), 4x4 (B, K, 4, 4), 16x16 (B, K, 16, 16);
teacher k's three maps, shaped like the student's outputs, are :func:`teacher_maps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Maps = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # (1x1 (B,1), 4x4 (B,1,4,4), 16x16)
AdversarialMode = Literal["official", "standard", "off"]


def teacher_maps(batch: dict[str, torch.Tensor], k: int) -> Maps:
    """Teacher ``k``'s (1x1, 4x4, 16x16) maps with the student's shapes."""
    return (
        batch["teacher_1x1"][:, k : k + 1],
        batch["teacher_4x4"][:, k : k + 1],
        batch["teacher_16x16"][:, k : k + 1],
    )


def stage_loss(student: Maps, teachers: Sequence[Maps], weights: Sequence[float]) -> torch.Tensor:
    """L_KD = sum_k w_k [MSE(s, T_k^1) + MSE(m, T_k^4) + MSE(h, T_k^16)], element means."""
    total = student[0].new_zeros(())
    for weight, maps in zip(weights, teachers, strict=True):
        for prediction, target in zip(student, maps, strict=True):
            if prediction.shape != target.shape:
                raise ValueError(
                    f"student {tuple(prediction.shape)} vs teacher {tuple(target.shape)}"
                )
            total = total + weight * F.mse_loss(prediction, target)
    return total


def _judge(discriminator: nn.Module, maps: Maps) -> torch.Tensor:
    one, four, sixteen = maps
    return discriminator(sixteen, four, one)


def generator_loss(discriminators: Sequence[nn.Module], student: Maps) -> torch.Tensor:
    """L_adv = sum_k BCE(D_k(student maps), 1): gradients reach the student through each D."""
    total = student[0].new_zeros(())
    for discriminator in discriminators:
        out = _judge(discriminator, student)
        total = total + F.binary_cross_entropy(out, torch.ones_like(out))
    return total


def discriminator_loss(
    discriminator: nn.Module, real: Maps, fake: Maps, mode: AdversarialMode
) -> torch.Tensor:
    """BCE(D(teacher), 1) + BCE(D(student), 0).

    ``official``: the released trainer detaches the discriminator's *output* on the student
    maps, so the fake term has no gradient and D learns from the teacher maps alone.
    ``standard``: the student maps (inputs) are detached, so D learns from both terms and no
    gradient reaches the student.
    """
    out_real = _judge(discriminator, real)
    loss = F.binary_cross_entropy(out_real, torch.ones_like(out_real))
    if mode == "official":
        out_fake = _judge(discriminator, fake).detach()
    else:
        out_fake = _judge(discriminator, tuple(t.detach() for t in fake))
    return loss + F.binary_cross_entropy(out_fake, torch.zeros_like(out_fake))
