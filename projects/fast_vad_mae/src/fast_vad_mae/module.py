"""The LightningModule: losses per stage, seeded test-time masking, scoring and VAD metrics."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any, Literal

import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from fast_vad_mae.callbacks import Stage
from fast_vad_mae.losses import SDWeighting, distillation_loss, teacher_loss, token_weights
from fast_vad_mae.model import MaskedAutoencoderCvT, masked_grid_width, patchify, preset
from fast_vad_mae.scoring import (
    discrepancy,
    frame_score,
    map_key,
    pixel_map,
    scorer,
    teacher_error,
)
from shared.classification import checked_optimizer, log_training_terms
from shared.errors import ConfigError, check_range
from shared.optim import InjectedOptimization, LRSchedulerCallable, OptimizerCallable
from shared.vad.evaluator import VideoEvaluator


class OfficialAdamW(torch.optim.AdamW):
    """AdamW with the released settings as defaults (lr 1e-4, betas (0.9, 0.95), weight decay
    0.05; ``configs/configs.py`` of ristea/aed-mae). The module's parameter groups exempt biases
    and norm weights from the decay, as the official code does."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.95),
        weight_decay: float = 0.05,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, weight_decay=weight_decay)


class FastVadMAE(InjectedOptimization, pl.LightningModule):
    """Self-distilled MAE (teacher stage, then student stage via ``TwoStageSchedule``).

    ``frozen_norm_mode="train"`` keeps the official quirk (BatchNorm statistics of frozen blocks
    still update in stage 2); ``"eval"`` freezes them too. ``select_on_test`` reproduces the
    official checkpoint choice (best test micro AUC, scored after every epoch); it is off by
    default and a result selected that way is not a test result. The DataModule provides
    ``test_videos`` (labels, and tracks when RBDC/TBDC can be computed), in test-loader order.

    Args:
        preset_name: the model preset (``tiny``, ``avenue_p16``, ...; see ``model.preset``).
        img_size: overrides the preset's input size (H, W).
        mask_ratio: the share of tokens masked, in training and at test time.
        optimizer: the optimiser (official: AdamW, no decay on biases and norm weights).
        lr_scheduler: a learning-rate schedule (official: none).
        motion_weighted: weight the teacher's loss by the motion gradient.
        sd_loss_weighting: the student's loss over tokens: ``masked_mean`` or ``motion``.
        cls_head: add the anomaly classification head of the paper.
        cls_loss_weight: its loss weight.
        scorer_name: the scorer whose metrics are logged as ``test/*``.
        extra_scorers: more scorers, logged as ``test/<name>/*``.
        frozen_norm_mode: BatchNorm statistics of the frozen blocks in stage 2.
        test_seed: seed of the test-time masks.
        test_masks: mask draws averaged per test frame.
        compute_regions: compute RBDC/TBDC (needs tracks).
        select_on_test: the official checkpoint choice on the test set (not a test result).
    """

    def __init__(
        self,
        preset_name: str = "tiny",
        img_size: tuple[int, int] | None = None,
        mask_ratio: float = 0.5,
        optimizer: OptimizerCallable = OfficialAdamW,
        lr_scheduler: LRSchedulerCallable | None = None,
        motion_weighted: bool = True,
        sd_loss_weighting: SDWeighting = "masked_mean",
        cls_head: bool = False,
        cls_loss_weight: float = 1.0,
        scorer_name: str = "demo",
        extra_scorers: tuple[str, ...] = (),
        frozen_norm_mode: Literal["train", "eval"] = "train",
        test_seed: int = 0,
        test_masks: int = 1,
        compute_regions: bool = True,
        select_on_test: bool = False,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["optimizer", "lr_scheduler"])
        self.optimizer, self.lr_scheduler = optimizer, lr_scheduler
        checked_optimizer(optimizer)
        overrides = {"img_size": tuple(img_size)} if img_size is not None else {}
        self.model = MaskedAutoencoderCvT(preset(preset_name, **overrides), cls_head=cls_head)
        masked_grid_width(self.model.grid, mask_ratio)
        for name in (scorer_name, *extra_scorers):
            scorer(name)
        if sd_loss_weighting not in ("masked_mean", "motion"):
            raise ConfigError(
                "model.sd_loss_weighting", sd_loss_weighting, "'masked_mean' or 'motion'"
            )
        if frozen_norm_mode not in ("train", "eval"):
            raise ConfigError("model.frozen_norm_mode", frozen_norm_mode, "'train' or 'eval'")
        check_range("model.test_masks", test_masks, 1)
        self.stage: Stage = "teacher"
        self.monitor = "val/micro_auc" if select_on_test else None
        self.monitor_mode = "max"
        self.test_results: dict[str, Any] = {}

    # ----------------------------------------------------------------- training
    def start_student_stage(self) -> None:
        if self.stage != "student":
            self.stage = "student"
            self.model.freeze_backbone()

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["stage"] = self.stage

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if checkpoint.get("stage") == "student":
            self.start_student_stage()

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        if self.stage == "student" and self.hparams.frozen_norm_mode == "eval":
            for name, module in self.model.named_children():
                module.train(name.startswith("decoder_student"))

    def _loss(
        self, batch: dict[str, torch.Tensor], generator: torch.Generator | None = None
    ) -> dict[str, torch.Tensor]:
        hp = self.hparams
        student = self.stage == "student"
        out = self.model(batch["x"], hp.mask_ratio, with_student=student, generator=generator)
        p = self.model.patch_size
        if not student:
            loss = teacher_loss(
                out.teacher, batch["y"], out.mask, batch["g"], p, hp.motion_weighted
            )
            terms = {"teacher": loss}
            if out.cls_logit is not None:
                terms["cls"] = F.binary_cross_entropy_with_logits(out.cls_logit, batch["augmented"])
                loss = loss + hp.cls_loss_weight * terms["cls"]
        else:
            weights = (
                token_weights(batch["g"], batch["y"], p)
                if hp.sd_loss_weighting == "motion"
                else None
            )
            loss = distillation_loss(
                out.student, out.teacher, out.mask, hp.sd_loss_weighting, weights
            )
            terms = {"distill": loss}
        return {"loss": loss, **terms}

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        terms = self._loss(batch)
        log_training_terms(self, terms, batch_size=len(batch["x"]))
        return terms["loss"]

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        generator = torch.Generator(batch["x"].device).manual_seed(
            self.hparams.test_seed + batch_idx
        )
        saved = self.stage
        self.stage = "teacher"  # the held-out reconstruction loss, in both stages
        terms = self._loss(batch, generator)
        self.stage = saved
        self.log("val/loss", terms["teacher"], batch_size=len(batch["x"]))
        self.log("val/stage", float(saved == "student"), batch_size=len(batch["x"]))

    def on_validation_epoch_end(self) -> None:
        if self.hparams.select_on_test and not self.trainer.sanity_checking:
            evaluator = self._score_loader(self.trainer.datamodule.test_dataloader())
            name = self.hparams.scorer_name
            metrics = self._metrics(evaluator, regions=False, only=(name,))[name]
            self.log("val/micro_auc", metrics["micro_auc"])

    def parameter_groups(self) -> list[dict[str, Any]]:
        """Weight decay (the optimiser's) on weight matrices and kernels; none on biases and
        norm weights, as the official ``param_groups_weight_decay``."""
        decay, no_decay = [], []
        for name, parameter in self.model.named_parameters():
            if parameter.requires_grad:
                (no_decay if parameter.ndim <= 1 or name.endswith(".bias") else decay).append(
                    parameter
                )
        return [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]

    # ------------------------------------------------------------------ scoring
    @torch.no_grad()
    def score_batch(
        self, batch: dict[str, torch.Tensor], batch_idx: int
    ) -> dict[str, torch.Tensor]:
        """Per-frame score components and the paper's pixel map, averaged over ``test_masks`` draws."""
        hp = self.hparams
        target = batch["y"].clone()
        target[:, 3] = -1.0  # at test time the map channel is all normal
        tokens = patchify(target, self.model.patch_size)
        sums: dict[str, torch.Tensor] = defaultdict(lambda: 0)
        map_keys, weights = self.map_keys, scorer(hp.scorer_name).weights
        grid, patch = self.model.grid, self.model.patch_size
        for draw in range(hp.test_masks):
            seed = hp.test_seed * 1_000_003 + batch_idx * 101 + draw
            generator = torch.Generator(target.device).manual_seed(seed)
            out = self.model(batch["x"], hp.mask_ratio, with_student=True, generator=generator)
            for error in ("L1", "L2"):
                key = error.lower()
                sums[f"e_{key}"] = sums[f"e_{key}"] + teacher_error(out, tokens, error)
                sums[f"d_{key}"] = sums[f"d_{key}"] + discrepancy(out, error)
            for key in map_keys:
                source = out if key == "map" else replace(out, student=None)
                sums[key] = sums[key] + pixel_map(source, target, patch, grid, weights)
        return {k: v / hp.test_masks for k, v in sums.items()}

    @property
    def map_keys(self) -> set[str]:
        """The pixel maps to keep (memory: T x H x W per video each): those the paper scorers
        read, and with region metrics those of every scorer."""
        names = (self.hparams.scorer_name, *self.hparams.extra_scorers)
        return {
            map_key(n) for n in names if self.hparams.compute_regions or scorer(n).kind == "paper"
        }

    def evaluator(self) -> VideoEvaluator:
        """A fresh evaluator of this module's scorers (the first one is ``test/*``)."""
        names = (self.hparams.scorer_name, *self.hparams.extra_scorers)
        return VideoEvaluator({n: frame_score(n) for n in names}, convention="pad")

    def _feed(
        self, evaluator: VideoEvaluator, batch: dict[str, torch.Tensor], batch_idx: int
    ) -> None:
        evaluator.update(batch["video"], batch["frame"], **self.score_batch(batch, batch_idx))

    def _score_loader(self, loader: Any) -> VideoEvaluator:
        was_training = self.training
        self.eval()
        evaluator = self.evaluator()
        for i, batch in enumerate(loader):
            self._feed(evaluator, {k: v.to(self.device) for k, v in batch.items()}, i)
        self.train(was_training)
        return evaluator

    def _metrics(
        self, evaluator: VideoEvaluator, regions: bool, only: tuple[str, ...] | None = None
    ) -> dict[str, dict[str, float]]:
        """Frame metrics of every scorer (or ``only`` these), and region metrics when asked and
        the test videos have tracks."""
        videos = self.trainer.datamodule.test_videos
        order = sorted(evaluator.videos())
        return evaluator.compute(
            labels={v: videos[v].labels for v in order},
            tracks=[t for v in order for t in videos[v].tracks],
            names={v: videos[v].name for v in order},
            regions=regions,
            only=only,
        )

    def on_test_epoch_start(self) -> None:
        self.test_evaluator = self.evaluator()

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._feed(self.test_evaluator, batch, batch_idx)

    def on_test_epoch_end(self) -> None:
        metrics = self._metrics(self.test_evaluator, self.hparams.compute_regions)
        self.test_results = {"per_video": self.test_evaluator.videos(), "metrics": metrics}
        for index, (name, values) in enumerate(metrics.items()):
            prefix = "test" if index == 0 else f"test/{name}"
            for key, value in values.items():
                self.log(f"{prefix}/{key}", value)
