"""The official learning-rate schedule: cosine annealing stepped every iteration."""

from __future__ import annotations

import torch


class IterationCosineLR(torch.optim.lr_scheduler.CosineAnnealingLR):
    """Cosine from the base rates to ``eta_min`` over every training step of the run.

    The module sets the length to the trainer's estimated stepping batches when training starts
    (:meth:`set_step_budget`) and steps it per batch (the official scripts' ``scheduler.step()``
    after each optimiser step).
    """

    reads_max_epochs = "the per-iteration cosine schedule (its length is the run's step count)"
    interval = "step"

    def __init__(self, optimizer: torch.optim.Optimizer, eta_min: float = 1e-5) -> None:
        super().__init__(optimizer, T_max=1, eta_min=eta_min)

    def set_step_budget(self, steps: int) -> None:
        self.T_max = max(1, int(steps))
