"""Drive LeRaC's callbacks through Lightning's hook order without training anything.

Per epoch Lightning calls ``on_train_epoch_start``, then for each batch ``on_train_batch_start``,
the optimizer step and ``on_train_batch_end``; after the last batch it steps the module's
epoch-interval scheduler (then validates and checkpoints), then calls ``on_train_epoch_end``.
The smoke and resume tests check real runs against this order.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch


class FakeModule(SimpleNamespace):
    """What the callbacks read from a LightningModule (``num_classes``), plus the schedule the
    module would build (``schedule``, ``milestones``), which the fake trainer then holds."""


def make_module(lr: float, lr_schedule: str = "multistep", milestones=(8, 12)) -> FakeModule:
    """``lr`` is η⁽⁰⁾: the callbacks read it from the optimiser, whose default it must be."""
    return FakeModule(lr=lr, schedule=lr_schedule, milestones=list(milestones), num_classes=10)


def _schedulers(module: FakeModule, optimizer, scheduler) -> list:
    """The trainer's ``lr_scheduler_configs``: the given scheduler, or one of the module's kind
    for the callbacks' hand-off checks to inspect (only a given scheduler is ever stepped)."""
    if scheduler is None and module.schedule == "multistep":
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, module.milestones, 0.1)
    elif scheduler is None and module.schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    return [] if scheduler is None else [SimpleNamespace(scheduler=scheduler)]


def simulate(callbacks, optimizer, module, epochs: int, batches: int, scheduler=None):
    """Run the hooks; returns ``{(epoch, step): [lr per group]}`` as seen *by* each step."""
    assert optimizer.defaults["lr"] == module.lr, "η⁽⁰⁾ is the optimiser's default rate"
    trainer = SimpleNamespace(
        optimizers=[optimizer],
        lr_scheduler_configs=_schedulers(module, optimizer, scheduler),
        num_training_batches=batches,
        global_step=0,
        current_epoch=0,
        callbacks=list(callbacks),
        max_epochs=epochs,
        callback_metrics={},
    )
    for callback in callbacks:
        if hasattr(callback, "on_train_start"):
            callback.on_train_start(trainer, module)
    seen = {}
    for epoch in range(epochs):
        trainer.current_epoch = epoch
        for callback in callbacks:
            callback.on_train_epoch_start(trainer, module)
        for batch_idx in range(batches):
            for callback in callbacks:
                callback.on_train_batch_start(trainer, module, None, batch_idx)
            seen[(epoch + 1, batch_idx + 1)] = [g["lr"] for g in optimizer.param_groups]
            optimizer.step()  # no gradients: a no-op that keeps the scheduler's order check quiet
            trainer.global_step += 1
            for callback in callbacks:
                callback.on_train_batch_end(
                    trainer, module, {"loss": torch.tensor(0.0)}, None, batch_idx
                )
        if scheduler is not None:
            scheduler.step()
        for callback in callbacks:
            callback.on_train_epoch_end(trainer, module)
    return seen


def optimizer_for(groups) -> torch.optim.Optimizer:
    """SGD over the groups (never stepped: only the rates matter here)."""
    return torch.optim.SGD(groups, lr=groups[0]["lr"], momentum=0.9)


@pytest.fixture
def sim():
    return SimpleNamespace(simulate=simulate, module=make_module, optimizer=optimizer_for)
