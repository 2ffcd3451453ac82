"""The released optimisation settings as defaults (``config.json``, ``config_ae.json``,
``main.py``): Adam with weight decay 5e-6 (lr 1e-4 for the student and each discriminator,
1e-3 for the auto-encoder), StepLR(10, 0.5) per epoch for the student and the auto-encoder."""

from __future__ import annotations

from typing import Any

import torch


class OfficialAdam(torch.optim.Adam):
    """The student's and each discriminator's optimiser."""

    def __init__(self, params: Any, lr: float = 1e-4, weight_decay: float = 5e-6) -> None:
        super().__init__(params, lr=lr, weight_decay=weight_decay)


class OfficialAdamAE(torch.optim.Adam):
    """The phase-1 auto-encoder's optimiser."""

    def __init__(self, params: Any, lr: float = 1e-3, weight_decay: float = 5e-6) -> None:
        super().__init__(params, lr=lr, weight_decay=weight_decay)


class OfficialStepLR(torch.optim.lr_scheduler.StepLR):
    """Halve the learning rate every 10 epochs of a phase."""

    def __init__(self, optimizer: torch.optim.Optimizer, step_size: int = 10, gamma: float = 0.5):
        super().__init__(optimizer, step_size=step_size, gamma=gamma)
