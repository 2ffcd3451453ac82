"""The two discriminability terms of DiscErn, as pure functions over one feature tap.

A *feature* is a channel (filter) of a tap. Its activation on one sample is the mean of ``|x|``
over the spatial positions of a map ``[B, C, H, W]``, over the tokens of a sequence
``[B, N, C]`` (CvT/ViT), or ``|x|`` itself for a vector ``[B, C]``. The absolute value is a
no-op after a ReLU and keeps the per-filter class distribution non-negative elsewhere.

``class_filter_distribution`` turns a batch into ``P [C, K]``: row ``f`` is how filter ``f``'s
mean activation splits over the classes (per-class means, so the class balance of the batch does
not bias it). The Gini term pushes each row towards one class; the KL term asks that the share
of filters owned by each class match a target class distribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

EPS = 1e-10
Target = Literal["batch", "uniform"] | Sequence[float] | torch.Tensor | None


def filter_activations(features: torch.Tensor) -> torch.Tensor:
    """Per-sample filter activations ``[B, C]``: mean ``|x|`` over space or tokens."""
    if features.ndim == 4:
        return features.abs().mean(dim=(2, 3))
    if features.ndim == 3:
        return features.abs().mean(dim=1)
    if features.ndim == 2:
        return features.abs()
    raise ValueError(
        f"a feature tap must be [B, C, H, W], [B, N, C] or [B, C]; got shape {tuple(features.shape)}"
    )


def check_labels(labels: torch.Tensor, num_classes: int) -> None:
    """Raise a clear error for labels outside ``[0, num_classes)`` (one-hot would fail obscurely)."""
    if labels.ndim != 1:
        raise ValueError(f"labels must be a vector [B]; got shape {tuple(labels.shape)}")
    if not labels.numel():
        return
    low, high = torch.stack(torch.aminmax(labels)).tolist()  # one read-back, not four
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"labels must lie in [0, {num_classes}) for num_classes={num_classes}; "
            f"got values in [{low}, {high}]"
        )


@dataclass(frozen=True)
class BatchClasses:
    """The label side of the terms, checked and built once per batch and shared by every tap:
    the one-hot matrix ``[B, K]`` and the number of samples of each class ``[K]``."""

    onehot: torch.Tensor
    counts: torch.Tensor

    @classmethod
    def of(cls, labels: torch.Tensor, num_classes: int) -> BatchClasses:
        """Float32 (exact for any batch size below 2**24); the terms cast it to their dtype.

        On the CPU the label range is checked by ``scatter_`` itself (it rejects indices outside
        ``[0, K)``), so a valid batch costs no extra pass; elsewhere it is checked first, since
        a device-side index error cannot be turned into a clear message.
        """
        onehot = torch.zeros(labels.shape[0], num_classes, device=labels.device)
        if labels.device.type != "cpu" or labels.ndim != 1:
            check_labels(labels, num_classes)
        try:
            onehot.scatter_(1, labels.unsqueeze(1), 1.0)
        except RuntimeError:
            check_labels(labels, num_classes)  # the clear error when the range is the cause
            raise
        return cls(onehot, onehot.sum(dim=0))

    def histogram(self) -> torch.Tensor:
        """The batch's class frequencies ``n_c / B`` (the official ``batch_dist`` target)."""
        return self.counts / max(1, self.onehot.shape[0])


def class_filter_distribution(
    features: torch.Tensor, labels: torch.Tensor, num_classes: int, eps: float = EPS
) -> torch.Tensor:
    """``P [C, K]``: each filter's per-class mean activation, normalised over classes.

    A class absent from the batch gets 0; a dead filter (zero on the whole batch) gets a zero row.
    """
    return distribution_over(features, BatchClasses.of(labels, num_classes), eps)


def distribution_over(
    features: torch.Tensor, classes: BatchClasses, eps: float = EPS
) -> torch.Tensor:
    """:func:`class_filter_distribution` for a batch whose labels are already in ``classes``."""
    activations = filter_activations(features)
    if activations.shape[0] != classes.onehot.shape[0]:
        raise ValueError(
            f"features hold {activations.shape[0]} samples but labels hold {classes.onehot.shape[0]}"
        )
    onehot = classes.onehot.to(activations.dtype)
    class_means = activations.t() @ onehot / (classes.counts.to(activations.dtype) + eps)
    return normalise_rows(class_means, eps)


def normalise_rows(class_means: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Per-filter class distribution from per-class mean activations ``[C, K]``."""
    return class_means / (class_means.sum(dim=1, keepdim=True) + eps)


def gini_per_filter(distribution: torch.Tensor) -> torch.Tensor:
    """Gini impurity ``1 - sum_c p_fc^2`` of every row of ``P`` (a dead filter's zero row gives 1)."""
    return 1.0 - distribution.pow(2).sum(dim=1)


def gini_impurity_loss(
    features: torch.Tensor, labels: torch.Tensor, num_classes: int, eps: float = EPS
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean Gini impurity over filters, and ``P``. 0 when every filter fires for one class."""
    distribution = class_filter_distribution(features, labels, num_classes, eps)
    return gini_per_filter(distribution).mean(), distribution


def batch_class_histogram(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The batch's class frequencies ``n_c / B`` (the official ``batch_dist`` target)."""
    return BatchClasses.of(labels, num_classes).histogram()


def fixed_target(
    target: Target, num_classes: int, like: torch.Tensor | None = None
) -> torch.Tensor:
    """A KL target that does not depend on the batch, validated: ``"uniform"`` or a vector of
    ``num_classes`` non-negative values summing to 1, in the dtype and on the device of ``like``
    (float32 on the CPU by default)."""
    like = torch.zeros(()) if like is None else like
    if isinstance(target, str):
        if target == "uniform":
            return torch.full((num_classes,), 1.0 / num_classes).to(like)
        if target == "batch":
            raise ValueError("the 'batch' target is the batch's histogram, not a fixed target")
        raise ValueError(f"target must be 'batch', 'uniform', a vector or None; got {target!r}")
    vector = torch.as_tensor(target).to(like)
    if (
        vector.shape != (num_classes,)
        or vector.min() < 0
        or not torch.isclose(vector.sum(), torch.ones(()).to(like))
    ):
        raise ValueError(
            f"a fixed KL target must be {num_classes} non-negative values summing to 1; got {vector.tolist()}"
        )
    return vector


def resolve_target(
    target: Target, classes: BatchClasses, like: torch.Tensor
) -> torch.Tensor | None:
    """The KL target ``pi`` for this batch: its histogram, uniform, a fixed vector, or None."""
    if target is None:
        return None
    if isinstance(target, str) and target == "batch":
        return classes.histogram().to(like)
    return fixed_target(target, classes.onehot.shape[1], like)


def feature_class_kl(
    distribution: torch.Tensor,
    target: torch.Tensor,
    eps: float = EPS,
    official_eps_order: bool = True,
) -> torch.Tensor:
    """``KL(target || q)`` with ``q_c`` the share of the filters' mass that goes to class ``c``.

    ``official_eps_order`` adds ``eps`` after dividing by the total, as the official code does
    (``q`` then sums to ``1 + K*eps/S``); otherwise ``q = (q~ + eps) / (S + K*eps)`` sums to 1.
    Classes with zero target mass contribute nothing.
    """
    mass = distribution.sum(dim=0)
    total = mass.sum()
    if official_eps_order:
        q = (mass + eps) / total
    else:
        q = (mass + eps) / (total + eps * mass.numel())
    return F.kl_div(q.log(), target, reduction="sum")


def kl_to_target(
    distribution: torch.Tensor,
    classes: BatchClasses,
    target: Target,
    eps: float = EPS,
    official_eps_order: bool = True,
) -> torch.Tensor:
    """:func:`feature_class_kl` against ``target`` resolved for this batch; 0 when it is None."""
    resolved = resolve_target(target, classes, distribution)
    if resolved is None:
        return distribution.new_zeros(())
    return feature_class_kl(distribution, resolved, eps, official_eps_order)


class GiniImpurityLoss(nn.Module):
    """Module form of :func:`gini_impurity_loss` (returns the loss only)."""

    def __init__(self, eps: float = EPS) -> None:
        super().__init__()
        self.eps = eps

    def forward(
        self, features: torch.Tensor, labels: torch.Tensor, num_classes: int
    ) -> torch.Tensor:
        return gini_impurity_loss(features, labels, num_classes, self.eps)[0]


class FeatureClassKL(nn.Module):
    """Module form of :func:`feature_class_kl` computed from a tap: ``target`` is ``"batch"``
    (the batch histogram, the official setting), ``"uniform"``, a fixed vector, or ``None``
    (the term is 0)."""

    def __init__(
        self, target: Target = "batch", eps: float = EPS, official_eps_order: bool = True
    ) -> None:
        super().__init__()
        self.target, self.eps, self.official_eps_order = target, eps, official_eps_order

    def forward(
        self, features: torch.Tensor, labels: torch.Tensor, num_classes: int
    ) -> torch.Tensor:
        classes = BatchClasses.of(labels, num_classes)
        distribution = distribution_over(features, classes, self.eps)
        return kl_to_target(distribution, classes, self.target, self.eps, self.official_eps_order)
