"""The LightningModule: an image classifier trained with the DiscErn objective.

The feature terms come from forward hooks on the named taps, on training batches only; the
validation and test splits report the held-out feature Gini of each tap (``val/feature_gini``,
``test/feature_gini`` averaged over taps, dead filters as ``*/dead_filters``). With both lambda
lists at zero this is the cross-entropy baseline, logging the same quantities.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import torch
from torch import nn

import gini_loss.model  # noqa: F401  (registers the official ResNet-50 as "discern_resnet50")
from gini_loss.losses import EPS, fixed_target
from gini_loss.metric import FeatureGini
from gini_loss.objective import DiscErnObjective
from gini_loss.taps import FeatureTaps
from shared.classification import ImageClassifier
from shared.errors import ConfigError


class DiscErnClassifier(ImageClassifier):
    """``ImageClassifier`` + Gini/KL terms on ``taps`` (names of modules inside ``backbone``).

    Args:
        taps: module names inside the backbone whose outputs the terms read (``layer4``).
        lambdas_gini: the Gini term's weight per tap (0.5).
        lambdas_kl: the KL term's weight per tap (0.5).
        start_epoch: first epoch (1-based) with the terms on; before it, CE alone.
        target: the KL target: ``"batch"`` (the batch's class histogram, official),
            ``"uniform"``, a fixed vector of class frequencies, or ``null`` (no KL term).
        lambda_ce: the cross-entropy's weight.
        eps: the official ``1e-10`` of the class distribution.
        official_eps_order: add ``eps`` after dividing, as the official code.
        kwargs: ``backbone``, ``num_classes``, ``optimizer``, ``lr_scheduler`` of
            :class:`shared.classification.ImageClassifier`.
    """

    def __init__(
        self,
        taps: list[str] | None = None,
        lambdas_gini: list[float] | None = None,
        lambdas_kl: list[float] | None = None,
        start_epoch: int = 3,
        target: Literal["batch", "uniform"] | list[float] | None = "batch",
        lambda_ce: float = 1.0,
        eps: float = EPS,
        official_eps_order: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        num_classes = self.num_classes
        taps = ["layer4"] if taps is None else list(taps)
        if isinstance(target, str) and target not in ("batch", "uniform"):
            raise ConfigError(
                "model.target", target, "'batch', 'uniform', a list of class frequencies or null"
            )
        if isinstance(target, (list, tuple)):
            try:
                fixed_target(list(target), num_classes)
            except ValueError as error:
                raise ConfigError(
                    "model.target",
                    target,
                    f"{num_classes} non-negative class frequencies summing to 1",
                ) from error
        self.taps = FeatureTaps(self.backbone, taps)
        self.objective = DiscErnObjective(
            len(taps),
            [0.5] * len(taps) if lambdas_gini is None else lambdas_gini,
            [0.5] * len(taps) if lambdas_kl is None else lambdas_kl,
            start_epoch,
            target,
            lambda_ce,
            eps,
            official_eps_order,
        )
        self.val_gini = nn.ModuleList(FeatureGini(num_classes, eps) for _ in taps)
        self.test_gini = nn.ModuleList(FeatureGini(num_classes, eps) for _ in taps)

    @contextmanager
    def _tapped(self) -> Iterator[list[torch.Tensor]]:
        """Capture the taps during the block; afterwards every tap must have produced a tensor."""
        with self.taps.capture() as features:
            yield features
        missing = [name for name, tap in zip(self.taps.names, features, strict=True) if tap is None]
        if missing:
            raise ConfigError("model.taps", missing, "modules that run in the backbone's forward")

    def forward_with_taps(self, images: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and the tapped features of one forward pass."""
        with self._tapped() as features:
            logits = self(images)
        return logits, features

    def compute_loss(
        self, images: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        logits, features = self.forward_with_taps(images)
        loss, terms = self.objective(logits, labels, features, self.current_epoch)
        return loss, logits, terms

    def _evaluate(self, batch: tuple[torch.Tensor, torch.Tensor], split: str, metric) -> None:
        """The validation/test step, with each tap's features added to the split's Gini."""
        with self._tapped() as features:
            super()._evaluate(batch, split, metric)
        ginis = self.val_gini if split == "val" else self.test_gini
        for gini, tap in zip(ginis, features, strict=True):
            gini.update(tap, batch[1])

    def _log_gini(self, split: str, ginis: nn.ModuleList) -> None:
        values = torch.stack([metric.compute() for metric in ginis])
        dead = torch.stack([metric.dead_filters() for metric in ginis]).float()
        self.log(f"{split}/feature_gini", values.mean())
        self.log(f"{split}/dead_filters", dead.sum())
        for metric in ginis:
            metric.reset()

    def on_validation_epoch_end(self) -> None:
        self._log_gini("val", self.val_gini)

    def on_test_epoch_end(self) -> None:
        self._log_gini("test", self.test_gini)
