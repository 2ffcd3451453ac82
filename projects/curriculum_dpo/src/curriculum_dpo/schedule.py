"""When the curriculum moves to its next level: pure rules, stepped by
:class:`curriculum_dpo.callbacks.CurriculumSchedule` (so they are tested without training).

- :class:`StepsPerLevel`: level(step) = min(step // K, B − 1), equal budgets per level.
- :class:`OfficialTriggers`: the official loops' ``update_cl()`` calls: every
  ``update_frequency`` (500) optimiser steps, and whenever the step reaches the step budget
  (``epochs`` × batches of the admitted set), after which the budget is recomputed from the new,
  larger set; the LCM loop also advances at the end of every epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class StepsPerLevel:
    """K optimiser steps per level, then the last level until the end."""

    steps_per_level: int
    num_levels: int

    def level(self, step: int) -> int:
        return min(step // self.steps_per_level, self.num_levels - 1)


@dataclass
class OfficialTriggers:
    """The official level changes. ``budget`` is ``max_train_steps`` as the SD script keeps it:
    ``epochs`` × ceil(admitted pairs / batch size), recomputed after each change. Both triggers
    firing on one step advance one level."""

    update_frequency: int = 500
    epochs: int = 5
    at_epoch_end: bool = False
    level: int = 0
    budget: int = 0

    def start(self, admitted: int, batch_size: int) -> None:
        self.budget = self.epochs * math.ceil(admitted / batch_size)

    def after_step(self, step: int) -> bool:
        """Whether to advance after optimiser step ``step`` (1-based, as ``global_step`` after the
        update)."""
        return step % self.update_frequency == 0 or step >= self.budget

    def advance(self, num_levels: int) -> int:
        """The next level (saturating at the last); call :meth:`start` with its set after."""
        self.level = min(self.level + 1, num_levels - 1)
        return self.level
