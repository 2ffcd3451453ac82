"""The image-classification LightningModule the classification projects build on.

Defaults are the digits protocol: the digits ResNet, SGD (lr 0.1, momentum 0.9, weight decay
5e-4) with the learning rate divided by 10 after epochs 8 and 12. A method changes what it must
by overriding :meth:`ImageClassifier.compute_loss` (extra loss terms), :meth:`parameter_groups`
(per-block rates) or by adding callbacks (schedules, curricula); the optimiser and the schedule
are injected (:mod:`shared.optim`) and called with the method's own parameter groups.
"""

from __future__ import annotations

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torchmetrics.classification import MulticlassAccuracy

from shared.errors import ConfigError, check_range
from shared.models.registry import Backbone
from shared.optim import (
    SGD,
    InjectedOptimization,
    LRSchedulerCallable,
    MultiStepLR,
    OptimizerCallable,
    factory_settings,
    optimizer_defaults,
)


def log_training_terms(
    module: pl.LightningModule, terms: dict[str, torch.Tensor], batch_size: int | None = None
) -> None:
    """Log ``train/<name>`` per step and as the epoch mean, so ``metrics.csv`` holds at least one
    point per epoch of every term however long the epoch; ``loss`` also goes to the progress bar."""
    for name, value in terms.items():
        module.log(
            f"train/{name}",
            value,
            on_step=True,
            on_epoch=True,
            prog_bar=name == "loss",
            batch_size=batch_size,
        )


def checked_optimizer(factory: OptimizerCallable, field: str = "model.optimizer") -> dict:
    """The optimiser's per-group defaults, after checking that it can be built with a positive
    learning rate (torch's own checks raise a bare ValueError that names no field)."""
    name, given = factory_settings(factory)
    if "lr" in given:
        check_range(f"{field}.init_args.lr", given["lr"], 0.0, low_inclusive=False)
    try:
        defaults = optimizer_defaults(factory)
    except (TypeError, ValueError) as error:
        shown = f"{name}({', '.join(f'{k}={v!r}' for k, v in given.items())})"
        raise ConfigError(field, shown, f"settings {name} accepts ({error})") from error
    check_range(f"{field}.init_args.lr", defaults["lr"], 0.0, low_inclusive=False)
    return defaults


NOT_HYPERPARAMETERS = ["backbone", "optimizer", "lr_scheduler"]
"""Init arguments kept out of ``hparams`` (and so out of checkpoints): modules and callables,
which the run's ``config.yaml`` records instead."""


class ImageClassifier(InjectedOptimization, pl.LightningModule):
    """A backbone trained with cross-entropy; accuracy on train/val/test.

    ``monitor``/``monitor_mode`` name the validation metric that picks the best checkpoint.

    Args:
        backbone: the network, by its name in ``shared.models.BACKBONES`` and its arguments
            (from Python, a built ``nn.Module`` is accepted too).
        num_classes: the class count; the CLI takes it from the DataModule, so configs do not
            state it.
        optimizer: the optimiser, called with :meth:`parameter_groups`.
        lr_scheduler: the learning-rate schedule, stepped once per epoch (``null``: constant).
    """

    monitor = "val/acc"
    monitor_mode = "max"

    def __init__(
        self,
        backbone: Backbone = Backbone(),
        num_classes: int = 10,
        optimizer: OptimizerCallable = SGD,
        lr_scheduler: LRSchedulerCallable | None = MultiStepLR,
    ) -> None:
        super().__init__()
        check_range("model.num_classes", num_classes, 1)
        self.optimizer, self.lr_scheduler = optimizer, lr_scheduler
        self.optimizer_defaults = checked_optimizer(optimizer)
        self.save_hyperparameters(ignore=NOT_HYPERPARAMETERS)
        self.backbone = backbone.build(num_classes) if isinstance(backbone, Backbone) else backbone
        backbone_classes = getattr(self.backbone, "num_classes", num_classes)
        if backbone_classes != num_classes:
            raise ConfigError(
                "model.num_classes", num_classes, f"{backbone_classes}, the backbone's class count"
            )
        self.num_classes = num_classes
        self.train_acc = MulticlassAccuracy(num_classes, average="micro")
        self.val_acc = MulticlassAccuracy(num_classes, average="micro")
        self.test_acc = MulticlassAccuracy(num_classes, average="micro")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.backbone(images)

    def on_fit_start(self) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        data_classes = getattr(datamodule, "num_classes", self.num_classes)
        if data_classes != self.num_classes:
            raise ConfigError(
                "model.num_classes", self.num_classes, f"{data_classes}, the dataset's class count"
            )

    def compute_loss(
        self, images: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Training loss, logits and named loss terms to log. Override to add terms."""
        logits = self(images)
        loss = F.cross_entropy(logits, labels)
        return loss, logits, {"ce": loss}

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        images, labels = batch
        loss, logits, terms = self.compute_loss(images, labels)
        self.train_acc(logits, labels)
        log_training_terms(self, {"loss": loss, **terms})
        self.log("train/acc", self.train_acc, on_step=False, on_epoch=True)
        return loss

    def _evaluate(self, batch: tuple[torch.Tensor, torch.Tensor], split: str, metric) -> None:
        images, labels = batch
        logits = self(images)
        self.log(f"{split}/loss", F.cross_entropy(logits, labels), sync_dist=True)
        metric(logits, labels)
        self.log(f"{split}/acc", metric, prog_bar=split == "val")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val", self.val_acc)

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "test", self.test_acc)
