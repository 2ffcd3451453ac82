"""The LightningModule: the joint (or vanilla) objective, mean test cosine, the vocabulary.

The vocabulary comes from the DataModule at the start of fitting and travels in the checkpoint
(``vocabulary`` key), so a trained model can name its top words without the training data.
"""

from __future__ import annotations

from typing import Any, Literal

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torchmetrics import MeanMetric

from prompt_inversion.losses import joint_loss, regression_loss
from prompt_inversion.model import Backbone, ClassifierInput, PromptPredictor
from prompt_inversion.schedules import IterationCosineLR
from shared.classification import checked_optimizer, log_training_terms
from shared.errors import ConfigError, check_range
from shared.optim import InjectedOptimization, LRSchedulerCallable, OptimizerCallable

Objective = Literal["joint", "vanilla"]
DEFAULT_BACKBONE = Backbone()


class AdamW(torch.optim.AdamW):
    """torch's AdamW with the official settings as defaults (lr 1e-4, weight decay 0.01)."""

    def __init__(self, params: Any, lr: float = 1e-4, weight_decay: float = 0.01) -> None:
        super().__init__(params, lr=lr, weight_decay=weight_decay)


class PromptInversion(InjectedOptimization, pl.LightningModule):
    """Predict the prompt's sentence embedding of an image (+ its vocabulary words).

    Args:
        backbone: the network by name in ``prompt_inversion.model.BACKBONES`` with its arguments.
        num_classes: K, the vocabulary size (the CLI takes it from the DataModule).
        objective: ``joint`` (cosine + Huber + ``bce_weight`` x BCE) or ``vanilla`` (no BCE).
        bce_weight: weight of the vocabulary BCE (official 0.1).
        huber_weight: weight of the Huber term (official 1).
        classifier_input: the classifier reads the ``raw`` vector (black-box models) or the
            ``normalized`` embedding (the white-box U-Net); default: the backbone's own
            placement (its registry entry's).
        optimizer: the optimiser (official AdamW lr 1e-4).
        lr_scheduler: the schedule; ``IterationCosineLR`` steps per batch, others per epoch.
        index_prompts: how many distinct training prompts (with their embeddings, float16) the
            checkpoint keeps for ``predict``'s nearest prompts (0: none).
    """

    monitor = "val/cosine"
    monitor_mode = "max"

    def __init__(
        self,
        backbone: Backbone = DEFAULT_BACKBONE,
        num_classes: int = 1000,
        objective: Objective = "joint",
        bce_weight: float = 0.1,
        huber_weight: float = 1.0,
        classifier_input: ClassifierInput | None = None,
        optimizer: OptimizerCallable = AdamW,
        lr_scheduler: LRSchedulerCallable | None = None,
        index_prompts: int = 20_000,
    ) -> None:
        super().__init__()
        check_range("model.init_args.num_classes", num_classes, 1)
        check_range("model.init_args.bce_weight", bce_weight, 0.0)
        if objective not in Objective.__args__:
            raise ConfigError(
                "model.init_args.objective", objective, f"one of {Objective.__args__}"
            )
        self.optimizer, self.lr_scheduler = optimizer, lr_scheduler
        self.optimizer_defaults = checked_optimizer(optimizer, "model.init_args.optimizer")
        self.save_hyperparameters(ignore=["optimizer", "lr_scheduler"])
        mean, std = backbone.stats
        placement = classifier_input or backbone.classifier_input
        self.net = PromptPredictor(backbone.build(), num_classes, mean, std, placement)
        self.objective, self.bce_weight, self.huber_weight = objective, bce_weight, huber_weight
        self.num_classes = num_classes
        self.index_prompts = index_prompts
        self.vocabulary: list[str] | None = None
        self.image_size: int | None = None
        self.prompt_index: tuple[list[str], torch.Tensor] | None = None
        self.val_cosine, self.test_cosine, self.test_mean_baseline = (
            MeanMetric(),
            MeanMetric(),
            MeanMetric(),
        )
        self.train_mean_target: torch.Tensor | None = None

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.net(images)

    def on_fit_start(self) -> None:
        data = self.trainer.datamodule
        vocabulary = getattr(data, "vocabulary", None)
        if vocabulary is not None:
            if len(vocabulary) != self.num_classes:
                raise ConfigError(
                    "model.init_args.num_classes",
                    self.num_classes,
                    f"{len(vocabulary)}, the vocabulary size",
                )
            self.vocabulary = list(vocabulary.words)
        self.image_size = getattr(data, "image_size", None)
        if self.index_prompts and hasattr(data, "prompt_index"):
            self.prompt_index = data.prompt_index(self.index_prompts)

    def losses(self, batch: tuple) -> dict[str, torch.Tensor]:
        images, targets, labels, _ = batch
        embedding, _, logits = self(images)
        if self.objective == "vanilla":
            return regression_loss(embedding, targets, self.huber_weight)
        return joint_loss(embedding, targets, logits, labels, self.bce_weight, self.huber_weight)

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        terms = self.losses(batch)
        log_training_terms(self, terms, batch_size=len(batch[0]))
        return terms["loss"]

    def _cosines(self, batch: tuple) -> torch.Tensor:
        images, targets = batch[0], batch[1]
        return F.cosine_similarity(self(images)[0], targets, dim=1)

    def validation_step(self, batch: tuple, batch_idx: int) -> None:
        self.val_cosine.update(self._cosines(batch))
        self.log("val/cosine", self.val_cosine, prog_bar=True)

    def on_test_epoch_start(self) -> None:
        data = getattr(self.trainer, "datamodule", None)
        self.train_mean_target = getattr(data, "train_mean_target", None)

    def test_step(self, batch: tuple, batch_idx: int) -> None:
        self.test_cosine.update(self._cosines(batch))
        self.log("test/cosine", self.test_cosine)
        if self.train_mean_target is not None:
            targets = batch[1]
            mean = self.train_mean_target.to(targets).expand_as(targets)
            self.test_mean_baseline.update(F.cosine_similarity(mean, targets, dim=1))
            self.log("test/mean_embedding_cosine", self.test_mean_baseline)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["vocabulary"] = self.vocabulary
        checkpoint["image_size"] = self.image_size
        checkpoint["prompt_index"] = self.prompt_index

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.vocabulary = checkpoint.get("vocabulary")
        self.image_size = checkpoint.get("image_size")
        self.prompt_index = checkpoint.get("prompt_index")

    def step_budget(self) -> int:
        """The run's optimiser steps: from the DataModule's plan when it has one (a curriculum's
        first stages are shorter than the first epoch Lightning extrapolates from)."""
        estimated = int(self.trainer.estimated_stepping_batches)
        data = getattr(self.trainer, "datamodule", None)
        if getattr(data, "curriculum", None) is None or not self.trainer.max_epochs:
            return estimated
        return data.planned_steps(self.trainer.max_epochs)

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = self.optimizer(self.parameter_groups())
        if self.lr_scheduler is None:
            return {"optimizer": optimizer}
        scheduler = self.lr_scheduler(optimizer)
        if isinstance(scheduler, IterationCosineLR):
            scheduler.set_step_budget(self.step_budget())
            return {
                "optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
            }
        if hasattr(scheduler, "set_epoch_budget"):
            scheduler.set_epoch_budget(self.trainer.max_epochs or 1)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"},
        }
