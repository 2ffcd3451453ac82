"""Optimisers and learning-rate schedules, injected into modules as LightningCLI callables.

A module takes ``optimizer: OptimizerCallable`` and ``lr_scheduler: LRSchedulerCallable | None``
and calls them itself with its own parameter groups (:class:`InjectedOptimization`), so a method
that needs per-block rates, masked parameters or a frozen part keeps full control while the
config names any torch optimiser and schedule::

    optimizer:
      class_path: torch.optim.SGD
      init_args: {lr: 0.1, momentum: 0.9, weight_decay: 5.0e-4}
    lr_scheduler:
      class_path: torch.optim.lr_scheduler.MultiStepLR
      init_args: {milestones: [8, 12], gamma: 0.1}

Schedules are stepped once per epoch. A schedule whose length is the epoch budget takes it from
the trainer (:class:`CosineAnnealingLR` here), never from a second YAML value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

# LightningCLI's own aliases, spelled out here: importing pytorch_lightning.cli pulls in
# jsonargparse, which the GPU machines' stacks (that import the modules for their checks) lack.
OptimizerCallable = Callable[[Iterable], Optimizer]
LRSchedulerCallable = Callable[[Optimizer], LRScheduler | ReduceLROnPlateau]

__all__ = [
    "SGD",
    "CosineAnnealingLR",
    "InjectedOptimization",
    "LRSchedulerCallable",
    "MultiStepLR",
    "OptimizerCallable",
    "factory_settings",
    "optimizer_defaults",
    "schedule_reads_max_epochs",
]


class SGD(torch.optim.SGD):
    """torch's SGD with the digits protocol's settings as defaults (lr 0.1, momentum 0.9,
    weight decay 5e-4): the default of the shared classifier, so Python callers get the
    protocol too. Configs name ``torch.optim.SGD`` with explicit values."""

    def __init__(
        self,
        params: Any,
        lr: float = 0.1,
        momentum: float = 0.9,
        weight_decay: float = 5e-4,
        nesterov: bool = False,
    ) -> None:
        super().__init__(
            params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov
        )


class MultiStepLR(torch.optim.lr_scheduler.MultiStepLR):
    """torch's step decay with the digits protocol's defaults: ÷10 after epochs 8 and 12."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        milestones: list[int] = [8, 12],  # noqa: B006 (read, never mutated; shown by --help)
        gamma: float = 0.1,
    ) -> None:
        super().__init__(optimizer, milestones=list(milestones), gamma=gamma)


class CosineAnnealingLR(torch.optim.lr_scheduler.CosineAnnealingLR):
    """Cosine annealing from the base rates to ``eta_min`` over the trainer's ``max_epochs``.

    The module sets the length when training starts (:meth:`set_epoch_budget`); until then it is
    one epoch. Setting it after construction is exact: at epoch 0 the rates are the base rates
    whatever ``T_max`` is.
    """

    reads_max_epochs = "the cosine schedule (its length is trainer.max_epochs)"

    def __init__(self, optimizer: torch.optim.Optimizer, eta_min: float = 0.0) -> None:
        super().__init__(optimizer, T_max=1, eta_min=eta_min)

    def set_epoch_budget(self, epochs: int) -> None:
        self.T_max = max(1, int(epochs))


def factory_settings(factory: Any) -> tuple[str, dict[str, Any]]:
    """``(class name, keyword arguments)`` a config gave an optimiser or schedule (the
    ``functools.partial`` LightningCLI builds), for error messages and checks."""
    if isinstance(factory, functools.partial):
        target = next((a for a in factory.args if isinstance(a, type)), factory.func)
        return getattr(target, "__name__", str(target)), dict(factory.keywords)
    return getattr(factory, "__name__", str(factory)), {}


def _probe_optimizer(factory: OptimizerCallable) -> torch.optim.Optimizer:
    return factory([torch.nn.Parameter(torch.zeros(1))])


def optimizer_defaults(factory: OptimizerCallable) -> dict[str, Any]:
    """The settings ``factory`` gives every parameter group (``lr``, ``weight_decay``, ...),
    read from an optimiser built on one throwaway parameter."""
    return dict(_probe_optimizer(factory).defaults)


def schedule_reads_max_epochs(factory: LRSchedulerCallable | None) -> str | None:
    """What in the schedule depends on the epoch budget, or ``None`` (read from an instance
    built on a throwaway optimiser: a schedule class says so with ``reads_max_epochs``)."""
    if factory is None:
        return None
    probe = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    return getattr(factory(probe), "reads_max_epochs", None)


class InjectedOptimization:
    """``configure_optimizers`` from the injected callables, for a LightningModule mixin.

    The optimiser is built over :meth:`parameter_groups` (override it for per-block rates or
    frozen parts), then the schedule over the optimiser, stepped once per epoch.
    """

    optimizer: OptimizerCallable
    lr_scheduler: LRSchedulerCallable | None

    def parameter_groups(self) -> list[dict[str, Any]]:
        """One group of every trainable parameter unless a method says otherwise."""
        return [{"params": [p for p in self.parameters() if p.requires_grad]}]

    @property
    def reads_max_epochs(self) -> str | None:
        """What in this module's optimisation depends on ``trainer.max_epochs`` (or ``None``)."""
        return schedule_reads_max_epochs(self.lr_scheduler)

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = self.optimizer(self.parameter_groups())
        if self.lr_scheduler is None:
            return {"optimizer": optimizer}
        scheduler = self.lr_scheduler(optimizer)
        if hasattr(scheduler, "set_epoch_budget"):
            scheduler.set_epoch_budget(self.trainer.max_epochs or 1)
        config = {"scheduler": scheduler, "interval": "epoch"}
        if isinstance(scheduler, ReduceLROnPlateau):  # it steps on the validation metric
            config["monitor"] = getattr(self, "monitor", None) or "val/loss"
        return {"optimizer": optimizer, "lr_scheduler": config}
