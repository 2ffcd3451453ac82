"""LeRaC's curriculum, the official CvT cosine hand-off, an lr recorder and a divergence monitor."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Literal

import pytorch_lightning as pl
import torch

from lerac.schedules import official_update, paper_lr, timm_cosine, update_points
from shared.errors import ConfigError, check_range

CAP_TOLERANCE = 1e-9


def _optimizer(trainer: pl.Trainer) -> torch.optim.Optimizer:
    return trainer.optimizers[0]


def _group_name(group: dict[str, Any], index: int) -> str:
    return str(group.get("name", f"group{index}"))


def _run_dir(trainer: pl.Trainer) -> Path:
    """The run folder (created if missing) that the callbacks write their files into."""
    out = Path(trainer.log_dir or trainer.default_root_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out


class LeRaC(pl.Callback):
    """Raises each block's learning rate from its own start to η⁽⁰⁾ (the optimiser's ``lr``).

    ``mode="official"``: the official ``update_lr`` (every group ×``scale`` unless that reaches
    ``stop_lr``) after the in-epoch update points and at the end of every epoch before
    ``stop_update_epoch`` (1-based), so shallow blocks arrive first. η⁽⁰⁾ is the optimiser's
    learning rate. ``mode="paper"``: the closed
    form per iteration ``t <= k`` (``k`` iterations, or ``k_epochs`` epochs of them), every block
    arriving at ``t = k``. Afterwards the module's step decay (or :class:`DelayedCosine`) acts on
    the current rates; fit start refuses settings where the two would overlap.
    """

    def __init__(
        self,
        mode: Literal["official", "paper"] = "official",
        scale: float = 10.0,
        update_per_epoch: int = 1,
        stop_update_epoch: int = 20,
        stop_lr: float | None = None,
        k: int | None = None,
        k_epochs: int | None = None,
    ) -> None:
        if mode not in ("official", "paper"):
            raise ConfigError("LeRaC.mode", mode, "'official' or 'paper'")
        check_range("LeRaC.scale", scale, 1.0, low_inclusive=False)
        check_range("LeRaC.stop_update_epoch", stop_update_epoch, 1)
        update_points(8, update_per_epoch)  # validates update_per_epoch
        if mode == "paper":
            if (k is None) == (k_epochs is None):
                raise ConfigError(
                    "LeRaC.k / LeRaC.k_epochs", (k, k_epochs), "exactly one of them in paper mode"
                )
            check_range(
                "LeRaC.k" if k is not None else "LeRaC.k_epochs",
                k if k is not None else k_epochs,
                1,
            )
        if stop_lr is not None:
            check_range("LeRaC.stop_lr", stop_lr, 0.0, low_inclusive=False)
        self.mode, self.scale = mode, scale
        self.update_per_epoch, self.stop_update_epoch = update_per_epoch, stop_update_epoch
        self.stop_lr_setting, self.k_setting, self.k_epochs = stop_lr, k, k_epochs
        self.eta0 = self.stop_lr = 0.0
        self.k = 0
        self.points: frozenset[int] = frozenset()

    # -- set-up and checks (once the loaders exist) --
    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        groups = _optimizer(trainer).param_groups
        if any("lerac_start" not in g for g in groups):
            raise ConfigError(
                "model.class_path",
                type(pl_module).__name__,
                "lerac.module.LeRaCClassifier (its optimizer groups carry the blocks' start rates)",
            )
        self.eta0 = float(_optimizer(trainer).defaults["lr"])
        self.stop_lr = self.stop_lr_setting if self.stop_lr_setting is not None else 1.1 * self.eta0
        length = int(trainer.num_training_batches)
        self.points = update_points(length, self.update_per_epoch)
        self.k = self.k_setting if self.k_setting is not None else (self.k_epochs or 0) * length
        starts = [float(g["lerac_start"]) for g in groups]
        names = [_group_name(g, i) for i, g in enumerate(groups)]
        self._check_starts(names, starts)
        if self.mode == "official":
            self._check_official(names, starts, length)
        # The first epoch whose end may decay the rates without the curriculum acting after it.
        free_from = self.stop_update_epoch if self.mode == "official" else self.k // length + 1
        self._check_handoff(trainer, pl_module, free_from)

    def _check_starts(self, names: list[str], starts: list[float]) -> None:
        cap = self.eta0 * (1 + CAP_TOLERANCE)
        for name, start in zip(names, starts, strict=True):
            if not 0 < start <= cap:
                raise ConfigError(
                    f"LeRaC start rate of `{name}`", start, f"a rate in (0, η⁽⁰⁾ = {self.eta0}]"
                )
        if self.mode == "paper":
            for i in range(1, len(starts)):
                (a, ra), (b, rb) = (names[i - 1], starts[i - 1]), (names[i], starts[i])
                if rb > ra * (1 + CAP_TOLERANCE):
                    raise ConfigError(
                        "model.grouping / model.clf_lr",
                        {a: ra, b: rb},
                        "start rates non-increasing from input to output in paper mode",
                        "The paper's curriculum needs η₁⁽⁰⁾ ≥ η₂⁽⁰⁾ ≥ … ≥ ηₙ⁽⁰⁾; lower clf_lr or use mode: official.",
                    )

    def _check_official(self, names: list[str], starts: list[float], length: int) -> None:
        """Every group must end at η⁽⁰⁾, within the update points before ``stop_update_epoch``."""
        needed = []
        for name, start in zip(names, starts, strict=True):
            lr, count = start, 0
            while (nxt := official_update(lr, self.scale, self.stop_lr)) != lr:
                lr, count = nxt, count + 1
            if abs(lr - self.eta0) > CAP_TOLERANCE * self.eta0:
                raise ConfigError(
                    f"LeRaC rates of `{name}`",
                    {"start": start, "ends_at": lr, "stop_lr": self.stop_lr},
                    f"a start of η⁽⁰⁾·scale^-n and stop_lr in (η⁽⁰⁾, η⁽⁰⁾·scale], so it ends at η⁽⁰⁾ = {self.eta0}",
                )
            needed.append(count)
        per_epoch = len([p for p in self.points if 1 <= p <= length]) + 1
        available = (self.stop_update_epoch - 1) * per_epoch
        if max(needed) > available:
            raise ConfigError(
                "LeRaC.stop_update_epoch",
                self.stop_update_epoch,
                f"room for {max(needed)} update points ({per_epoch} per epoch, {length} batches)",
                f"Only {available} update points happen before epoch {self.stop_update_epoch}.",
            )

    def _check_handoff(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, free_from: int
    ) -> None:
        """The post-curriculum schedule may only act once the curriculum has stopped for good.

        A decay at the end of epoch ``m`` must not be followed by an update (official: ``m >=
        stop_update_epoch``; Lightning steps the module's scheduler before epoch-end callbacks)
        or by a closed-form value (paper: ``m·L > k``); otherwise the curriculum would undo it.
        The module's schedule must be a step decay or none (read from the optimiser's actual
        schedulers, so what is checked is what runs).
        """
        for config in trainer.lr_scheduler_configs:
            scheduler = config.scheduler
            if not isinstance(scheduler, torch.optim.lr_scheduler.MultiStepLR):
                raise ConfigError(
                    "model.lr_scheduler",
                    type(scheduler).__name__,
                    "a step decay (torch.optim.lr_scheduler.MultiStepLR) or null with LeRaC",
                    "A schedule from epoch 0 (e.g. a cosine) would scale the curriculum too; use "
                    "lr_scheduler: null and the lerac.callbacks.DelayedCosine callback (the "
                    "official CvT hand-off).",
                )
            milestones = sorted(scheduler.milestones)
            if milestones and min(milestones) < free_from:
                raise ConfigError(
                    "model.lr_scheduler.milestones",
                    milestones,
                    f"decays from the end of epoch {free_from} on, after the curriculum's last update",
                )
        for callback in trainer.callbacks:
            if isinstance(callback, DelayedCosine) and callback.start_epoch < free_from:
                raise ConfigError(
                    "DelayedCosine.start_epoch",
                    callback.start_epoch,
                    f"an epoch >= {free_from}, after the curriculum's last update",
                )

    # -- the curriculum --
    def update(self, optimizer: torch.optim.Optimizer) -> None:
        """The official ``update_lr``: every group ×scale unless that reaches ``stop_lr``."""
        for group in optimizer.param_groups:
            group["lr"] = official_update(group["lr"], self.scale, self.stop_lr)

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if self.mode != "paper" or trainer.global_step > self.k:
            return
        for group in _optimizer(trainer).param_groups:
            group["lr"] = paper_lr(group["lerac_start"], self.eta0, trainer.global_step, self.k)

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if (
            self.mode == "official"
            and trainer.current_epoch + 1 < self.stop_update_epoch
            and batch_idx + 1 in self.points
        ):
            self.update(_optimizer(trainer))

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # The official end-of-epoch update of epoch e (1-based), done before epoch e + 1's first
        # batch: after the module's epoch scheduler step, as in the official loop, and after the
        # epoch's checkpoint, so a resumed run does not miss it.
        finished = trainer.current_epoch
        if self.mode == "official" and 1 <= finished < self.stop_update_epoch:
            self.update(_optimizer(trainer))


class DelayedCosine(pl.Callback):
    """The official CvT-from-scratch schedule: a timm cosine created at the end of epoch
    ``start_epoch`` (1-based) with the then-current rates as its bases, stepped with
    ``epoch - start_epoch`` after each later epoch. Use it with ``lr_scheduler: null``.
    """

    def __init__(
        self, start_epoch: int, lr_min: float = 5e-5, t_initial: int | None = None
    ) -> None:
        check_range("DelayedCosine.start_epoch", start_epoch, 0)
        check_range("DelayedCosine.lr_min", lr_min, 0.0)
        if t_initial is not None:
            check_range("DelayedCosine.t_initial", t_initial, 1)
        self.start_epoch, self.lr_min, self.t_initial = start_epoch, lr_min, t_initial
        self.bases: list[float] | None = None

    @property
    def reads_max_epochs(self) -> str | None:
        if self.t_initial is not None:
            return None
        return "lerac.callbacks.DelayedCosine (its length defaults to trainer.max_epochs)"

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.lr_scheduler_configs:
            raise ConfigError(
                "model.lr_scheduler",
                type(trainer.lr_scheduler_configs[0].scheduler).__name__,
                "null (a constant rate) with DelayedCosine",
                "Two schedules would both scale the rates.",
            )

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # The step after epoch e (1-based), applied before epoch e + 1 (after its checkpoint).
        finished = trainer.current_epoch
        if finished < self.start_epoch:
            return
        groups = _optimizer(trainer).param_groups
        if self.bases is None:
            self.bases = [float(g["lr"]) for g in groups]
        t_initial = self.t_initial or int(trainer.max_epochs)
        for group, base in zip(groups, self.bases, strict=True):
            group["lr"] = timm_cosine(base, finished - self.start_epoch, t_initial, self.lr_min)

    def state_dict(self) -> dict[str, Any]:
        return {"bases": self.bases}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.bases = state_dict.get("bases")


class LRTrajectory(pl.Callback):
    """Records every group's rate at each change and writes ``lr_trajectory.{csv,png}``."""

    def __init__(self, filename: str = "lr_trajectory") -> None:
        self.filename = filename
        self.rows: list[list[float]] = []
        self.names: list[str] = []

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        groups = _optimizer(trainer).param_groups
        self.names = [_group_name(g, i) for i, g in enumerate(groups)]

    def _record(self, trainer: pl.Trainer, batch_idx: int) -> None:
        lrs = [float(g["lr"]) for g in _optimizer(trainer).param_groups]
        if not self.rows or self.rows[-1][3:] != lrs:
            row = [trainer.global_step, trainer.current_epoch + 1, batch_idx + 1, *lrs]
            self.rows.append(row)

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self._record(trainer, batch_idx)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self.rows or not trainer.is_global_zero:
            return
        self.rows.append([trainer.global_step, trainer.current_epoch, 0, *self.rows[-1][3:]])
        out = _run_dir(trainer)
        csv_path = out / f"{self.filename}.csv"
        with csv_path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["step", "epoch", "batch", *self.names])
            writer.writerows(self.rows)
        from lerac.plots import plot_lr_trajectory

        plot_lr_trajectory(csv_path, out / f"{self.filename}.png")

    def state_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "names": self.names}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rows, self.names = state_dict["rows"], state_dict["names"]


class DivergenceMonitor(pl.Callback):
    """Marks a run diverged when a training loss is non-finite (and stops it) or when the
    validation accuracy after epoch ``check_epoch`` is within ``margin`` of chance.

    Writes ``divergence.json`` into the run folder.
    """

    def __init__(self, check_epoch: int = 3, margin: float = 0.05) -> None:
        check_range("DivergenceMonitor.check_epoch", check_epoch, 1)
        check_range("DivergenceMonitor.margin", margin, 0.0, 1.0)
        self.check_epoch, self.margin = check_epoch, margin
        self.report: dict[str, Any] = {"diverged": False, "reason": None, "epoch": None}

    def _mark(self, reason: str, epoch: int) -> None:
        if not self.report["diverged"]:
            self.report = {"diverged": True, "reason": reason, "epoch": epoch}

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is not None and not torch.isfinite(loss).all():
            self._mark("non-finite training loss", trainer.current_epoch + 1)
            trainer.should_stop = True

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        epoch = trainer.current_epoch + 1
        accuracy = trainer.callback_metrics.get("val/acc")  # this epoch's: validation ran before
        if epoch != self.check_epoch or accuracy is None:
            return
        chance = 1.0 / pl_module.num_classes
        if float(accuracy) <= chance + self.margin:
            self._mark(f"val accuracy {float(accuracy):.3f} at chance after epoch {epoch}", epoch)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        (_run_dir(trainer) / "divergence.json").write_text(json.dumps(self.report, indent=2) + "\n")

    def state_dict(self) -> dict[str, Any]:
        return dict(self.report)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.report = dict(state_dict)
