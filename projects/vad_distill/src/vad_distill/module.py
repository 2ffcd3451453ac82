"""The LightningModule: phase 1 (auto-encoder pre-training), the weight hand-over, phase 2
(multi-scale distillation with the adversarial term) and scoring at three scales.

Manual optimisation reproduces the released update order per batch (spec §4.2). Only the
auto-encoder's and the student's steps go through Lightning's optimiser wrappers, so
``trainer.global_step`` counts student (or auto-encoder) updates; the discriminators are stepped
on the bare torch optimisers.

Phase 2 starts from the run's seed again (the torch generator is reseeded at the hand-over), so
what it does does not depend on how many random numbers phase 1 drew; with ``ae_cache`` a run
whose phase 1 was made before (same settings, data, seed and code) loads those weights, skips
its phase-1 epochs and then trains exactly as if it had run them.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn

from shared.classification import checked_optimizer, log_training_terms
from shared.errors import ConfigError, check_range
from shared.optim import LRSchedulerCallable, OptimizerCallable
from shared.paths import runs_root
from shared.provenance import code_fingerprint
from shared.vad.evaluation import PostProcess
from shared.vad.evaluator import PixelMaps, VideoEvaluator
from shared.vad.metrics import MacroConvention
from vad_distill.data import check_teachers
from vad_distill.losses import (
    AdversarialMode,
    discriminator_loss,
    generator_loss,
    stage_loss,
    teacher_maps,
)
from vad_distill.model import FrameAutoEncoder, StageDiscriminator, Student, hand_over, preset
from vad_distill.optim import OfficialAdam, OfficialAdamAE, OfficialStepLR
from vad_distill.scoring import evaluation_scores, frame_scores, pixel_maps

Phase = Literal["autoencoder", "distill"]
AE_CACHE_FORMAT = 1  # bump when what a cached phase-1 file holds changes


def phase_for_epoch(epoch: int, ae_epochs: int) -> Phase:
    """Phase 1 for the first ``ae_epochs`` epochs, phase 2 after."""
    return "autoencoder" if epoch < ae_epochs else "distill"


def load_autoencoder_weights(path: str) -> dict[str, torch.Tensor]:
    """A phase-1 state dict: the official ``latest_checkpoint_ae_classic_pretraining.pkl``
    (``{"model_weights": ...}``) or a bare state dict."""
    content = torch.load(path, map_location="cpu", weights_only=True)
    return content.get("model_weights", content)


class VadDistill(pl.LightningModule):
    """Frame-level student distilled from object-level teachers' three-scale maps.

    Args:
        preset_name: the network preset (``avenue_640x360``, ``shanghai_640x360``, ``ped2``,
            ``tiny``).
        teachers: teacher names, in the data's order (the data must provide exactly these).
        teacher_weights: lambda_k per teacher (official: 1.0 each).
        adversarial_mode: ``official`` (detached D output, two D steps per batch), ``standard``
            (a correct GAN update, one D step) or ``off`` (distillation only).
        adv_weight: weight of the generator term (official 0.1).
        start_adv_epoch: first phase-2 epoch (0-based) with the adversarial term (official 0).
        ae_epochs: phase-1 epochs before distillation (0: none in this run).
        pretrained_ae: a phase-1 checkpoint to hand over instead of (or before) phase 1.
        ae_cache: keep the phase-1 weights in ``<runs root>/vad_distill/ae_cache/<key>.pt``,
            ``key`` a hash of everything phase 1 depends on (the network preset, ``ae_epochs``,
            the auto-encoder's optimiser and schedule, the training data's settings, the
            trainer's batch limits, the seed and the project's code); a run with the same key
            loads them and skips its phase-1 epochs. An existing file is never rewritten.
        optimizer: the student's optimiser.
        ae_optimizer: the auto-encoder's optimiser.
        discriminator_optimizer: each discriminator's optimiser (no schedule, as released).
        lr_scheduler: schedule of the student and of the auto-encoder, per epoch of its phase.
        head_bias: dead-head guard: initial bias of the 64->1 convs of the map heads (after the
            hand-over); ``None`` keeps the released initialisation.
        map_activation: last activation of the map heads: ``relu`` as released, or ``sigmoid``
            (a dead-head guard; the state dict is the same).
        filter_support: taps of the temporal Gaussian (official 301).
        filter_sigma: its sigma (official 21).
        macro_convention: single-class videos in the macro AUC (official ``nan_is_one``).
        compute_regions: RBDC/TBDC from the 16x16 maps when the data has tracks.
        select_on_test: the released checkpoint choice (best MIX micro AUC on the test set,
            which the data module then serves as validation); not a test result.
    """

    def __init__(
        self,
        preset_name: str = "tiny",
        teachers: tuple[str, ...] = ("teacher1", "teacher2"),
        teacher_weights: tuple[float, ...] | None = None,
        adversarial_mode: AdversarialMode = "official",
        adv_weight: float = 0.1,
        start_adv_epoch: int = 0,
        ae_epochs: int = 0,
        pretrained_ae: str | None = None,
        ae_cache: bool = False,
        optimizer: OptimizerCallable = OfficialAdam,
        ae_optimizer: OptimizerCallable = OfficialAdamAE,
        discriminator_optimizer: OptimizerCallable = OfficialAdam,
        lr_scheduler: LRSchedulerCallable | None = OfficialStepLR,
        head_bias: float | None = None,
        map_activation: Literal["relu", "sigmoid"] = "relu",
        filter_support: int = 301,
        filter_sigma: float = 21.0,
        macro_convention: MacroConvention = "nan_is_one",
        compute_regions: bool = True,
        select_on_test: bool = False,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(
            ignore=["optimizer", "ae_optimizer", "discriminator_optimizer", "lr_scheduler"]
        )
        self.automatic_optimization = False
        for field, factory in (
            ("model.optimizer", optimizer),
            ("model.ae_optimizer", ae_optimizer),
            ("model.discriminator_optimizer", discriminator_optimizer),
        ):
            checked_optimizer(factory, field)
        self.optimizer, self.ae_optimizer = optimizer, ae_optimizer
        self.discriminator_optimizer, self.lr_scheduler = discriminator_optimizer, lr_scheduler
        if adversarial_mode not in ("official", "standard", "off"):
            raise ConfigError(
                "model.adversarial_mode", adversarial_mode, "'official', 'standard' or 'off'"
            )
        if not teachers:
            raise ConfigError("model.teachers", teachers, "at least one teacher name")
        self.weights = tuple(teacher_weights) if teacher_weights else (1.0,) * len(teachers)
        if len(self.weights) != len(teachers):
            raise ConfigError(
                "model.teacher_weights",
                f"{len(self.weights)} weights",
                f"one per teacher ({len(teachers)}: {list(teachers)})",
            )
        check_range("model.ae_epochs", ae_epochs, 0)
        check_range("model.adv_weight", adv_weight, 0.0)
        self.config = preset(preset_name, map_activation=map_activation)
        self.student = Student(self.config)
        self.autoencoder = FrameAutoEncoder(self.config)
        self.discriminators = nn.ModuleList(StageDiscriminator() for _ in teachers)
        self._guard_heads()
        self.handed_over = False
        self.ae_cache_file: Path | None = None
        self.ae_cached = False  # phase-1 weights were loaded from the cache: skip its epochs
        self.ae_settings: dict[str, Any] = {}
        self.run_seed = 0
        if pretrained_ae is not None:
            self.autoencoder.load_state_dict(load_autoencoder_weights(pretrained_ae))
        self.post = PostProcess(filter_support, filter_sigma)
        self.monitor = "val/micro_auc" if select_on_test else None
        self.monitor_mode = "max"
        self.test_results: dict[str, Any] = {}

    # ----------------------------------------------------------------- phases
    @property
    def phase(self) -> Phase:
        return phase_for_epoch(self.current_epoch, self.hparams.ae_epochs)

    def _guard_heads(self) -> None:
        if self.hparams.head_bias is not None:
            with torch.no_grad():
                for head in (self.student.medium, self.student.high):
                    head[2].bias.fill_(self.hparams.head_bias)

    def start_distillation(self) -> None:
        """Once: cache the phase-1 weights (``ae_cache``), hand the phase-1 backbone to the
        student, re-apply the head guard and reseed the torch generator with the run's seed."""
        if self.handed_over:
            return
        pretrained = self.hparams.ae_epochs > 0 or self.hparams.pretrained_ae is not None
        if self.ae_cache_file is not None and not self.ae_cached:
            self._write_ae_cache(self.ae_cache_file)
        if pretrained:
            hand_over(self.autoencoder, self.student)
            self._guard_heads()
        torch.manual_seed(self.run_seed)
        self.handed_over = True

    # ----------------------------------------------------------- phase-1 cache
    def ae_cache_settings(self) -> dict[str, Any]:
        """What phase 1 depends on (the cache key); call once the optimisers exist."""
        trainer, data = self.trainer, self.trainer.datamodule
        optimizer = self.optimizers()[0].optimizer
        schedules = self.lr_schedulers()
        schedule = schedules[0] if isinstance(schedules, list) else schedules
        return {
            "format": AE_CACHE_FORMAT,
            "code": code_fingerprint("vad_distill"),
            "seed": self.run_seed,
            "network": asdict(self.config),
            "ae_epochs": self.hparams.ae_epochs,
            "optimizer": [type(optimizer).__name__, optimizer.defaults],
            "schedule": None if schedule is None else [
                type(schedule).__name__,
                {k: v for k, v in schedule.state_dict().items() if not k.startswith("_")},
            ],
            "data": data.settings(),
            "trainer": [trainer.limit_train_batches, trainer.accumulate_grad_batches],
        }  # fmt: skip

    @staticmethod
    def ae_cache_path(settings: dict[str, Any]) -> Path:
        """``<runs root>/vad_distill/ae_cache/<hash of settings>.pt``."""
        text = json.dumps(settings, sort_keys=True, default=str)
        key = hashlib.sha256(text.encode()).hexdigest()[:16]
        return runs_root() / "vad_distill" / "ae_cache" / f"{key}.pt"

    def _write_ae_cache(self, path: Path) -> None:
        if path.exists():  # made meanwhile by another run with the same key: never rewritten
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"settings": self.ae_settings, "model_weights": self.autoencoder.state_dict()}
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save(state, temporary)
        os.replace(temporary, path)

    def on_fit_start(self) -> None:
        self.run_seed = torch.initial_seed()
        if not (self.hparams.ae_cache and self.hparams.ae_epochs > 0) or self.handed_over:
            return
        self.ae_settings = self.ae_cache_settings()
        self.ae_cache_file = self.ae_cache_path(self.ae_settings)
        if self.ae_cache_file.is_file():
            stored = torch.load(self.ae_cache_file, map_location="cpu", weights_only=True)
            self.autoencoder.load_state_dict(stored["model_weights"])
            self.ae_cached = True

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> int | None:
        """-1 (Lightning: skip the rest of the epoch) in phase 1 when its weights were cached."""
        return -1 if self.ae_cached and self.phase == "autoencoder" else None

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["handed_over"] = self.handed_over

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.handed_over = checkpoint.get("handed_over", False)

    def setup(self, stage: str) -> None:
        data = self.trainer.datamodule if self._trainer is not None else None
        if data is None:
            return
        check_teachers(data.teachers, self.hparams.teachers, "data teachers")
        if self.hparams.select_on_test and not getattr(data, "validate_on_test", False):
            raise ConfigError(
                "model.select_on_test",
                True,
                "a data module that serves the test split as validation (validate_on_test: true)",
            )
        if tuple(data.image_size) != self.config.image_size:
            raise ConfigError(
                "data.image_size",
                tuple(data.image_size),
                f"{self.config.image_size}, the (H, W) of preset {self.hparams.preset_name!r}",
            )

    def on_train_epoch_start(self) -> None:
        if self.phase == "distill":
            self.start_distillation()

    # ------------------------------------------------------------- optimisers
    def configure_optimizers(self) -> tuple[list, list]:
        optimizers = [
            self.ae_optimizer(self.autoencoder.parameters()),
            self.optimizer(self.student.parameters()),
            *(self.discriminator_optimizer(d.parameters()) for d in self.discriminators),
        ]
        schedules = (
            [self.lr_scheduler(o) for o in optimizers[:2]] if self.lr_scheduler is not None else []
        )
        return optimizers, schedules

    def on_train_epoch_end(self) -> None:
        schedules = self.lr_schedulers()
        if schedules and not (self.ae_cached and self.phase == "autoencoder"):
            schedules[0 if self.phase == "autoencoder" else 1].step()

    # --------------------------------------------------------------- training
    def _teachers(self, batch: dict[str, torch.Tensor]) -> list:
        return [teacher_maps(batch, k) for k in range(len(self.hparams.teachers))]

    def _discriminator_step(self, optimizers: list, real: list, fake: tuple, mode: str) -> None:
        for discriminator, optimizer, maps in zip(
            self.discriminators, optimizers, real, strict=True
        ):
            optimizer.zero_grad()
            self.manual_backward(discriminator_loss(discriminator, maps, fake, mode))
            optimizer.step()

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        ae_opt, student_opt, *disc_opts = self.optimizers()
        size = len(batch["x"])
        if self.phase == "autoencoder":
            loss = F.mse_loss(self.autoencoder(batch["x"]), batch["ae_target"])
            ae_opt.zero_grad()
            self.manual_backward(loss)
            ae_opt.step()
            log_training_terms(self, {"loss": loss, "ae": loss}, batch_size=size)
            return loss
        hp = self.hparams
        student = self.student(batch["x"])
        real = self._teachers(batch)
        adversarial = hp.adversarial_mode != "off" and (
            self.current_epoch - hp.ae_epochs >= hp.start_adv_epoch
        )
        raw = [o.optimizer for o in disc_opts]  # bare torch optimisers: see the module docstring
        if adversarial:  # step 2 (official) / the only D step (standard)
            self._discriminator_step(raw, real, student, hp.adversarial_mode)
        kd = stage_loss(student, real, self.weights)
        terms = {"kd": kd}
        loss = kd
        if adversarial:
            terms["adv"] = generator_loss(self.discriminators, student)
            loss = kd + hp.adv_weight * terms["adv"]
        student_opt.zero_grad()
        self.manual_backward(loss)
        student_opt.step()
        if adversarial and hp.adversarial_mode == "official":  # step 4, on the stale maps
            self._discriminator_step(raw, real, student, "official")
        log_training_terms(self, {"loss": loss, **terms}, batch_size=size)
        return loss

    # ------------------------------------------------------------- evaluation
    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        student = self.student(batch["x"])
        size = len(batch["x"])
        self.log(
            "val/loss", stage_loss(student, self._teachers(batch), self.weights), batch_size=size
        )
        if self.hparams.select_on_test:
            self._feed(self.val_evaluator, batch, student)

    def evaluator(self) -> VideoEvaluator:
        """A fresh evaluator of S, M, L, MIX (L with regions from the upsampled 16x16 map), each
        teacher's 1x1 score and their sum."""
        maps = PixelMaps("high", transform=self._pixel_maps)
        series = evaluation_scores(self.hparams.teachers, self.post, maps)
        return VideoEvaluator(series, self.hparams.macro_convention)

    def _pixel_maps(self, high: np.ndarray) -> np.ndarray:
        data = self.trainer.datamodule
        transposed = getattr(data, "official_transpose", False)
        return pixel_maps(torch.from_numpy(high[:, None]), data.image_size, transposed).numpy()

    @staticmethod
    def _feed(evaluator: VideoEvaluator, batch: dict[str, torch.Tensor], student: tuple) -> None:
        evaluator.update(
            batch["video"],
            batch["frame"],
            **frame_scores(*student),
            high=student[2][:, 0],
            teachers=batch["teacher_1x1"],
            label=batch["label"],
        )

    def on_validation_epoch_start(self) -> None:
        self.val_evaluator = self.evaluator()

    def on_validation_epoch_end(self) -> None:
        if self.hparams.select_on_test and len(self.val_evaluator):
            mix = self.val_evaluator.compute(regions=False, only=("MIX",))["MIX"]
            self.log("val/micro_auc", mix["micro_auc"])

    def on_test_epoch_start(self) -> None:
        self.test_evaluator = self.evaluator()

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._feed(self.test_evaluator, batch, self.student(batch["x"]))

    def on_test_epoch_end(self) -> None:
        data = self.trainer.datamodule
        results = self.test_evaluator.compute(
            tracks=getattr(data, "test_tracks", None) or (),
            names=getattr(data, "test_video_names", None),
            regions=self.hparams.compute_regions,
        )
        metrics = {f"{name}/{k}": v for name, values in results.items() for k, v in values.items()}
        for key in ("micro_auc", "macro_auc", "micro_auc_raw", "macro_auc_raw"):
            metrics[key] = metrics[f"MIX/{key}"]
        self.test_results = {"per_video": self.test_evaluator.videos(), "metrics": metrics}
        for key, value in metrics.items():
            self.log(f"test/{key}", value)
