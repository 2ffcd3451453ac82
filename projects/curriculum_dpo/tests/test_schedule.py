"""Spec §11, curriculum schedule: steps-per-level, the official triggers (every 500 steps, at
the step budget, LCM at epoch ends), and the sampler that follows the level."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from curriculum_dpo.callbacks import CurriculumSchedule, curve_area
from curriculum_dpo.data import LevelBatchSampler
from curriculum_dpo.pairs import PairCurriculum
from curriculum_dpo.schedule import OfficialTriggers, StepsPerLevel

from shared.errors import ConfigError


def test_steps_per_level() -> None:
    rule = StepsPerLevel(steps_per_level=40, num_levels=3)
    assert [rule.level(s) for s in (0, 39, 40, 79, 80, 119, 500)] == [0, 0, 1, 1, 2, 2, 2]


def test_official_triggers_every_500_steps_and_at_the_budget() -> None:
    triggers = OfficialTriggers()
    triggers.start(admitted=800, batch_size=8)  # 5 epochs × 100 batches
    assert triggers.budget == 500
    assert [s for s in range(1, 1001) if triggers.after_step(s)][:2] == [500, 501]
    small = OfficialTriggers()
    small.start(admitted=20, batch_size=8)  # 5 × 3 = 15 steps before the first 500
    assert small.budget == 15 and not small.after_step(14) and small.after_step(15)
    assert small.advance(num_levels=2) == 1 and small.advance(num_levels=2) == 1  # saturates


class FakeData:
    def __init__(self, curriculum: PairCurriculum, batch_size: int) -> None:
        self.curriculum, self.batch_size, self.level = curriculum, batch_size, 0

    @property
    def admitted(self) -> np.ndarray:
        return self.curriculum.admitted(self.level)

    def set_level(self, level: int) -> None:
        self.level = min(level, self.curriculum.num_levels - 1)


def _curriculum(cumulative: bool = True) -> PairCurriculum:
    """21 pairs of rank gaps 1..6; levels: gap > 4 (3 pairs), gap > 2 (10), all (21)."""
    scores = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2]
    return PairCurriculum.from_scores(
        ["p"] * 7, scores, tau=0.1, num_levels=3, cumulative=cumulative
    )


def _run(callback: CurriculumSchedule, data: FakeData, steps: int, epoch_every: int = 0):
    module = SimpleNamespace(log=lambda *a, **k: None)
    trainer = SimpleNamespace(datamodule=data, global_step=0)
    callback.on_train_start(trainer, module)
    levels = []
    for step in range(1, steps + 1):
        trainer.global_step = step
        callback.on_train_batch_end(trainer, module, None, None, step - 1)
        if epoch_every and step % epoch_every == 0:
            callback.on_train_epoch_end(trainer, module)
        levels.append(data.level)
    return levels


def test_callback_steps_mode() -> None:
    data = FakeData(_curriculum(), batch_size=2)
    levels = _run(CurriculumSchedule(mode="steps", steps_per_level=3), data, 8)
    assert levels == [0, 0, 1, 1, 1, 2, 2, 2]


def test_callback_official_mode_uses_the_budget_of_the_admitted_set() -> None:
    data = FakeData(_curriculum(), batch_size=2)
    callback = CurriculumSchedule(mode="official", update_frequency=500, epochs=1)
    levels = _run(callback, data, 10)
    # budget 1 × ceil(3/2) = 2 → level 1 after step 2; new budget ceil(10/2) = 5 → level 2 at 5
    assert levels == [0, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    assert callback.state_dict() == {"level": 2, "budget": 11}
    periodic = CurriculumSchedule(mode="official", update_frequency=3, epochs=100)
    assert _run(periodic, FakeData(_curriculum(), batch_size=2), 7) == [0, 0, 1, 1, 1, 2, 2]


def test_callback_lcm_mode_also_advances_at_epoch_end() -> None:
    data = FakeData(_curriculum(), batch_size=2)
    callback = CurriculumSchedule(
        mode="official", update_frequency=500, epochs=50, at_epoch_end=True
    )
    assert _run(callback, data, 6, epoch_every=2) == [0, 1, 1, 2, 2, 2]


def test_callback_refuses_a_trainer_that_keeps_its_dataloader() -> None:
    trainer = SimpleNamespace(reload_dataloaders_every_n_epochs=0)
    with pytest.raises(ConfigError, match="reload_dataloaders_every_n_epochs"):
        CurriculumSchedule().setup(trainer, None, "fit")


def test_sampler_length_follows_the_level_and_a_switch_draws_from_the_new_set() -> None:
    curriculum = _curriculum(cumulative=False)  # disjoint levels: 3, 7 and 11 new pairs
    data = FakeData(curriculum, batch_size=2)
    sampler = LevelBatchSampler(data, torch.Generator().manual_seed(0))
    assert len(sampler) == math.ceil(3 / 2)
    first_epoch = []
    for batch in sampler:
        first_epoch.append(batch)
        data.set_level(2)  # switch inside the epoch
    assert len(first_epoch) == 2  # the epoch keeps the length it started with
    assert set(first_epoch[0]) <= set(curriculum.admitted(0).tolist())
    assert set(first_epoch[1]) <= set(curriculum.admitted(2).tolist())  # the new set, at once
    assert len(sampler) == math.ceil(11 / 2)
    epoch = [i for batch in sampler for i in batch]
    assert sorted(epoch) == sorted(curriculum.admitted(2).tolist())


def test_reward_curve_area_is_the_mean_reward_over_training() -> None:
    # trapezoids over [0, 20] and [20, 60]: (0.5 + 0.7)/2·20 + (0.7 + 0.9)/2·40 = 44 → / 60
    assert curve_area([0, 20, 60], [0.5, 0.7, 0.9]) == pytest.approx(44 / 60)
    assert curve_area([0], [0.4]) == 0.4
