"""The training objectives (official ``HuberCosLoss`` and ``BCECossLoss``).

``pred`` is the unit-norm predicted embedding, ``target`` the prompt's sentence embedding.
Regression: ``(1 - cos)`` averaged over the batch (``CosineEmbeddingLoss`` with target +1) plus
``huber_weight`` x Huber(delta 1) averaged over batch and dimensions. Joint: plus ``bce_weight``
x BCE-with-logits of the vocabulary logits against the multi-hot labels (mean over batch x K).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def cosine_term(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (1 - F.cosine_similarity(pred, target, dim=1)).mean()


def regression_loss(
    pred: torch.Tensor, target: torch.Tensor, huber_weight: float = 1.0
) -> dict[str, torch.Tensor]:
    """The vanilla objective's terms: ``cosine``, ``huber`` and their sum ``loss``."""
    cosine = cosine_term(pred, target)
    huber = F.huber_loss(pred, target, delta=1.0)
    return {"loss": cosine + huber_weight * huber, "cosine": cosine, "huber": huber}


def joint_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    logits: torch.Tensor,
    labels: torch.Tensor,
    bce_weight: float = 0.1,
    huber_weight: float = 1.0,
) -> dict[str, torch.Tensor]:
    """Regression plus ``bce_weight`` x vocabulary BCE (the paper's framework)."""
    terms = regression_loss(pred, target, huber_weight)
    bce = F.binary_cross_entropy_with_logits(logits, labels)
    return {**terms, "loss": terms["loss"] + bce_weight * bce, "bce": bce}


def mean_cosine(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The metric: the mean of per-sample cosines (not the cosine of the means)."""
    return F.cosine_similarity(pred, target, dim=1).mean()
