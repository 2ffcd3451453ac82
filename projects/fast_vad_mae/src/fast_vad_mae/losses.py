"""Training objectives: motion-weighted teacher reconstruction and self-distillation."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from fast_vad_mae.model import patchify

SDWeighting = Literal["masked_mean", "motion"]
ANOMALY_BOOST_FLOOR = 128.0


def token_weights(gradients: torch.Tensor, target: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Per-token motion weights (B, L) that sum to one per sample (paper Eq. 1-2).

    ``gradients`` (B, 3, H, W) in 0..255; ``target`` (B, 4, H, W) whose last channel is the
    anomaly map in [-1, 1]. Pasted-anomaly pixels (clipped map) are added to the gradient with
    magnitude max(128, max gradient of the sample) so they always dominate, as the code does.
    The caller's tensor is not modified (the official code adds in place).
    """
    anomaly = target[:, 3:].clamp(0.0, 1.0)
    peak = gradients.amax(dim=(1, 2, 3), keepdim=True).clamp(min=ANOMALY_BOOST_FLOOR)
    boosted = gradients + anomaly * peak
    weights = F.max_pool2d(boosted, patch_size).mean(1).flatten(1)
    return weights / weights.sum(dim=1, keepdim=True)


def token_mse(pred: torch.Tensor, target_tokens: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each token over its p*p*C values: (B, L)."""
    return ((pred - target_tokens) ** 2).mean(dim=-1)


def teacher_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor,
    gradients: torch.Tensor | None,
    patch_size: int,
    motion_weighted: bool = True,
) -> torch.Tensor:
    """Stage-1 loss. Motion-weighted: sum over batch and tokens of w * mse (summed, not averaged,
    over the batch, as released). Otherwise the plain MAE loss: mean mse over removed tokens."""
    errors = token_mse(pred, patchify(target, patch_size))
    if motion_weighted:
        if gradients is None:
            raise ValueError("the motion-weighted loss needs the gradient tensor")
        return (errors * token_weights(gradients, target, patch_size)).sum()
    return (errors * mask).sum() / mask.sum()


def distillation_loss(
    student: torch.Tensor,
    teacher: torch.Tensor,
    mask: torch.Tensor,
    weighting: SDWeighting = "masked_mean",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Stage-2 loss between student and (detached) teacher predictions.

    ``masked_mean`` (released code): mean token mse over removed tokens. ``motion`` (paper text):
    the teacher loss's form, sum of w * mse with the motion weights ``weights``.
    """
    errors = token_mse(student, teacher.detach())
    if weighting == "masked_mean":
        return (errors * mask).sum() / mask.sum()
    if weights is None:
        raise ValueError("sd_loss_weighting='motion' needs the token weights")
    return (errors * weights).sum()
