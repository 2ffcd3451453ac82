"""The two-stage schedule: teacher first, then only the student, from ``start_ts_epoch``."""

from __future__ import annotations

from typing import Literal

import pytorch_lightning as pl

Stage = Literal["teacher", "student"]


def stage_for_epoch(epoch: int, start_ts_epoch: int) -> Stage:
    """Stage 1 (teacher) before ``start_ts_epoch``, stage 2 (student distillation) from it on."""
    return "teacher" if epoch < start_ts_epoch else "student"


class TwoStageSchedule(pl.Callback):
    """Calls the module's ``start_student_stage`` (freeze all but the student, swap the loss)."""

    def __init__(self, start_ts_epoch: int = 100) -> None:
        self.start_ts_epoch = start_ts_epoch

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if stage_for_epoch(trainer.current_epoch, self.start_ts_epoch) == "student":
            pl_module.start_student_stage()
