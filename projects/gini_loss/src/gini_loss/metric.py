"""Held-out feature Gini: the mechanism check, aggregated per class over a whole split.

Per class it sums the filter activations and counts the samples across batches (and across
processes: both states reduce by sum under DDP), so ``compute`` sees the split's per-class mean
activations, not one batch's. Dead filters (zero on every held-out sample) would count as 1 in
the official formula; here they are excluded from the mean and counted separately.
"""

from __future__ import annotations

import torch
from torchmetrics import Metric

from gini_loss.losses import (
    EPS,
    BatchClasses,
    filter_activations,
    gini_per_filter,
    normalise_rows,
)


class FeatureGini(Metric):
    """Mean Gini impurity of the live filters of one tap over all the samples seen.

    The number of filters is taken from the first update (a fresh state has none).
    """

    full_state_update = False
    higher_is_better = False
    is_differentiable = False

    def __init__(self, num_classes: int, eps: float = EPS, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_classes, self.eps = num_classes, eps
        self.add_state("class_sums", default=torch.zeros(0, num_classes), dist_reduce_fx="sum")
        self.add_state("class_counts", default=torch.zeros(num_classes), dist_reduce_fx="sum")

    def update(self, features: torch.Tensor, labels: torch.Tensor) -> None:
        classes = BatchClasses.of(labels, self.num_classes)
        activations = filter_activations(features.detach()).to(self.class_counts.dtype)
        if self.class_sums.numel() == 0:
            self.class_sums = activations.new_zeros(activations.shape[1], self.num_classes)
        self.class_sums += activations.t() @ classes.onehot.to(activations.dtype)
        self.class_counts += classes.counts.to(activations.dtype)

    def class_distribution(self) -> torch.Tensor:
        """``P [C, K]`` over everything seen (dead filters have a zero row)."""
        if self.class_sums.numel() == 0:
            raise RuntimeError("FeatureGini has seen no features yet")
        return normalise_rows(self.class_sums / (self.class_counts + self.eps), self.eps)

    def dead_filters(self) -> torch.Tensor:
        """How many filters never fired."""
        return (self.class_sums.sum(dim=1) == 0).sum()

    def compute(self) -> torch.Tensor:
        distribution = self.class_distribution()
        live = distribution.sum(dim=1) > 0
        if not live.any():
            return distribution.new_tensor(float("nan"))
        return gini_per_filter(distribution[live]).mean()
