"""The curriculum as a callback: it moves the DataModule's pair curriculum to its next level by
the step (or at epoch ends, for the LCM rule) and logs the level and the admitted pair count."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytorch_lightning as pl
import torch

from curriculum_dpo.schedule import OfficialTriggers, StepsPerLevel
from shared.errors import ConfigError


class CurriculumSchedule(pl.Callback):
    """Advance ``trainer.datamodule``'s curriculum level (it must offer ``curriculum``, ``level``,
    ``set_level`` and ``batch_size``; see :class:`curriculum_dpo.data.PreferenceDataModule`).

    Args:
        mode: ``steps`` (``steps_per_level`` steps per level) or ``official`` (every
            ``update_frequency`` steps and at the step budget of ``epochs`` passes over the
            admitted pairs; with ``at_epoch_end`` also after every epoch, as the LCM script).
        steps_per_level: steps per level in ``steps`` mode.
        update_frequency: the official periodic trigger (500).
        epochs: the official budget in passes over the admitted set (5).
        at_epoch_end: the LCM script's extra trigger at each epoch end.
    """

    def __init__(
        self,
        mode: Literal["steps", "official"] = "official",
        steps_per_level: int = 500,
        update_frequency: int = 500,
        epochs: int = 5,
        at_epoch_end: bool = False,
    ) -> None:
        if steps_per_level < 1 or update_frequency < 1 or epochs < 1:
            raise ConfigError(
                "trainer.callbacks.CurriculumSchedule",
                (steps_per_level, update_frequency, epochs),
                "steps_per_level, update_frequency and epochs >= 1",
            )
        self.mode, self.steps_per_level = mode, steps_per_level
        self.triggers = OfficialTriggers(update_frequency, epochs, at_epoch_end)

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit" and trainer.reload_dataloaders_every_n_epochs != 1:
            raise ConfigError(
                "trainer.reload_dataloaders_every_n_epochs",
                trainer.reload_dataloaders_every_n_epochs,
                "1 with a CurriculumSchedule",
                "Each epoch's length is the admitted set's at its start.",
            )

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        data = trainer.datamodule
        if self.mode == "steps":
            data.set_level(self._rule(data).level(trainer.global_step))
        else:
            data.set_level(self.triggers.level)
            if self.triggers.budget == 0:  # a resumed run keeps its budget
                self.triggers.start(len(data.admitted), data.batch_size)

    def _rule(self, data) -> StepsPerLevel:
        return StepsPerLevel(self.steps_per_level, data.curriculum.num_levels)

    def _advance(self, data) -> None:
        data.set_level(self.triggers.advance(data.curriculum.num_levels))
        self.triggers.start(len(data.admitted), data.batch_size)

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        data = trainer.datamodule
        pl_module.log("curriculum/level", float(data.level), on_step=True, on_epoch=False)
        pl_module.log("curriculum/pairs", float(len(data.admitted)), on_step=True, on_epoch=False)
        if self.mode == "steps":
            data.set_level(self._rule(data).level(trainer.global_step))
        elif self.triggers.after_step(trainer.global_step):
            self._advance(data)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.mode == "official" and self.triggers.at_epoch_end:
            self._advance(trainer.datamodule)

    def state_dict(self) -> dict[str, Any]:
        return {"level": self.triggers.level, "budget": self.triggers.budget}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.triggers.level, self.triggers.budget = state_dict["level"], state_dict["budget"]


class RewardCurve(pl.Callback):
    """The reward of fresh samples during training: at step 0 and every ``every_n_steps`` steps,
    the module's mean reward on the DataModule's evaluation items (fixed prompts and seeds),
    logged as ``curve/reward`` and written with its area to ``<run>/reward_curve.json``.

    Args:
        every_n_steps: steps between evaluations.
    """

    def __init__(self, every_n_steps: int = 20) -> None:
        if every_n_steps < 1:
            raise ConfigError("trainer.callbacks.RewardCurve.every_n_steps", every_n_steps, ">= 1")
        self.every_n_steps = every_n_steps
        self.steps: list[int] = []
        self.rewards: list[float] = []

    def _evaluate(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> float:
        data = trainer.datamodule
        was_training = pl_module.training
        pl_module.eval()
        items = data.eval_items()
        size = min(len(data.prompts), 50)
        values = [
            pl_module.mean_reward(pl_module.policy, items[i : i + size], data.reward)
            for i in range(0, len(items), size)
        ]
        pl_module.train(was_training)
        reward = float(torch.stack(values).mean())
        self.steps.append(trainer.global_step)
        self.rewards.append(reward)
        return reward

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self.steps:
            self._evaluate(trainer, pl_module)

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if trainer.global_step % self.every_n_steps == 0:
            reward = self._evaluate(trainer, pl_module)
            pl_module.log("curve/reward", reward, on_step=True, on_epoch=False)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.log_dir and trainer.is_global_zero:
            curve = {
                "steps": self.steps,
                "rewards": self.rewards,
                "area": curve_area(self.steps, self.rewards),
            }
            (Path(trainer.log_dir) / "reward_curve.json").write_text(
                json.dumps(curve, indent=1) + "\n"
            )

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "rewards": self.rewards}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.steps, self.rewards = list(state_dict["steps"]), list(state_dict["rewards"])


def curve_area(steps: list[int], rewards: list[float]) -> float:
    """The area under reward(step) by the trapezoid rule, divided by the step span: the mean
    reward over training (the single value when there is one point)."""
    if len(steps) < 2:
        return float(rewards[0]) if rewards else float("nan")
    return float(np.trapezoid(rewards, steps) / (steps[-1] - steps[0]))
