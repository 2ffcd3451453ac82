"""The image-classification LightningModule the classification projects build on.

Defaults are the digits protocol's optimisation: SGD (lr 0.1, momentum 0.9, weight decay 5e-4)
with the learning rate divided by 10 after epochs 8 and 12. A method changes what it must by
overriding :meth:`ImageClassifier.compute_loss` (extra loss terms), :meth:`parameter_groups`
(per-block rates) or by adding callbacks (schedules, curricula).
"""

from __future__ import annotations

from typing import Any, Literal

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from shared.errors import ConfigError, check_range
from shared.models.resnet_cifar import digits_resnet

OptimizerName = Literal["sgd", "adamax", "adam", "adamw"]
ScheduleName = Literal["multistep", "cosine", "constant"]


class ImageClassifier(pl.LightningModule):
    """A backbone trained with cross-entropy; accuracy on train/val/test.

    ``monitor``/``monitor_mode`` name the validation metric that picks the best checkpoint.
    """

    monitor = "val/acc"
    monitor_mode = "max"

    def __init__(
        self,
        backbone: nn.Module | None = None,
        num_classes: int = 10,
        optimizer: OptimizerName = "sgd",
        lr: float = 0.1,
        momentum: float = 0.9,
        weight_decay: float = 5e-4,
        lr_schedule: ScheduleName = "multistep",
        milestones: list[int] | None = None,
        gamma: float = 0.1,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__()
        check_range("model.num_classes", num_classes, 1)
        check_range("model.lr", lr, 0.0, low_inclusive=False)
        check_range("model.momentum", momentum, 0.0, 1.0, high_inclusive=False)
        check_range("model.weight_decay", weight_decay, 0.0)
        check_range("model.gamma", gamma, 0.0, 1.0, low_inclusive=False)
        if optimizer not in OptimizerName.__args__:
            raise ConfigError("model.optimizer", optimizer, f"one of {OptimizerName.__args__}")
        if lr_schedule not in ScheduleName.__args__:
            raise ConfigError("model.lr_schedule", lr_schedule, f"one of {ScheduleName.__args__}")
        self.save_hyperparameters(ignore=["backbone"])
        self.backbone = backbone if backbone is not None else digits_resnet(num_classes)
        backbone_classes = getattr(self.backbone, "num_classes", num_classes)
        if backbone_classes != num_classes:
            raise ConfigError(
                "model.num_classes", num_classes, f"{backbone_classes}, the backbone's class count"
            )
        self.num_classes = num_classes
        self.milestones = [8, 12] if milestones is None else sorted(milestones)
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
        self.log("train/loss", loss, prog_bar=True)
        for name, value in terms.items():
            self.log(f"train/{name}", value)
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

    def parameter_groups(self) -> list[dict[str, Any]]:
        """Optimizer parameter groups; one group at the base rate unless a method says otherwise."""
        return [{"params": [p for p in self.parameters() if p.requires_grad]}]

    def build_optimizer(self) -> torch.optim.Optimizer:
        groups, hp = self.parameter_groups(), self.hparams
        if hp.optimizer == "sgd":
            return torch.optim.SGD(
                groups, lr=hp.lr, momentum=hp.momentum, weight_decay=hp.weight_decay
            )
        if hp.optimizer == "adamax":
            return torch.optim.Adamax(groups, lr=hp.lr, weight_decay=hp.weight_decay)
        if hp.optimizer == "adam":
            return torch.optim.Adam(groups, lr=hp.lr, weight_decay=hp.weight_decay)
        return torch.optim.AdamW(groups, lr=hp.lr, weight_decay=hp.weight_decay)

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = self.build_optimizer()
        if self.hparams.lr_schedule == "constant":
            return {"optimizer": optimizer}
        if self.hparams.lr_schedule == "cosine":
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
                optimizer, T_max=max(1, self.trainer.max_epochs or 1), eta_min=self.hparams.min_lr
            )
        else:
            scheduler = torch.optim.lr_scheduler.MultiStepLR(
                optimizer, milestones=self.milestones, gamma=self.hparams.gamma
            )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"},
        }
