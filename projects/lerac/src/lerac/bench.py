"""`make bench`: the cost of LeRaC per training step.

The same model and batch are trained with one optimizer group (conventional) and with LeRaC's
per-block groups plus the callbacks' per-step work (official and paper modes, lr recording),
interleaved in one process (``shared.bench`` times, records and prints them).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from lerac.callbacks import LeRaC, LRTrajectory
from lerac.groups import lerac_param_groups
from shared.bench import Comparison, Target
from shared.models import digits_resnet

TARGET = Target.at_most(1.02)


@dataclass
class StepView:
    """What the callbacks read from a Trainer, advanced by hand in the timed loop."""

    optimizers: list[torch.optim.Optimizer]
    num_training_batches: int
    callbacks: list[Any] = field(default_factory=list)
    global_step: int = 0
    current_epoch: int = 0
    lr_scheduler_configs: list[Any] = field(default_factory=list)  # no module schedule


def _step(model: nn.Module, optimizer: torch.optim.Optimizer, images, labels) -> None:
    optimizer.zero_grad(set_to_none=True)
    F.cross_entropy(model(images), labels).backward()
    optimizer.step()


def step_pair(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, mode: str
) -> tuple[Any, Any]:
    """(conventional step, LeRaC step) closures on ``model`` itself, each with its own optimizer
    (one module object for both sides: two copies can differ by several percent in speed
    through their memory placement alone)."""
    plain = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    groups = lerac_param_groups(
        model, "resnet", eta0=0.1, min_lr=1e-5, clf_lr=1e-3 if mode == "official" else 1e-5
    )
    grouped = torch.optim.SGD(groups, lr=0.1, momentum=0.9, weight_decay=5e-4)
    # "Epochs" of 8 steps with 4 update points each, and a curriculum that never ends inside
    # the benchmark, so the official update path (and the paper's closed form) is always timed.
    batches = 8
    if mode == "official":
        lerac = LeRaC(mode, update_per_epoch=4, stop_update_epoch=10**9)
    else:
        lerac = LeRaC(mode, k=10**9)
    recorder = LRTrajectory()
    view = StepView([grouped], batches, [lerac, recorder])
    module = None  # the callbacks read the trainer's optimiser and schedulers, not the module
    lerac.on_train_start(view, module)
    recorder.on_train_start(view, module)

    def conventional() -> None:
        _step(model, plain, images, labels)

    def with_lerac() -> None:
        index = view.global_step % batches
        lerac.on_train_batch_start(view, module, None, index)
        recorder.on_train_batch_start(view, module, None, index)
        _step(model, grouped, images, labels)
        view.global_step += 1
        lerac.on_train_batch_end(view, module, None, None, index)

    return conventional, with_lerac


def comparisons(
    build_model: Callable[[], nn.Module],
    image_size: int,
    batch: int,
    device: torch.device | str = "cpu",
    rounds: int = 15,
    number: int = 5,
    label: str = "digits ResNet, batch 64, 16 px",
) -> list[Comparison]:
    """Official and paper mode against a conventional step on one model and batch, each round
    timing ``number`` steps of each side (one step is milliseconds: single steps jitter); each
    mode trains its own copy of the model."""

    @cache
    def setup() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
        model = build_model().to(device).train()
        generator = torch.Generator().manual_seed(0)
        images = torch.randn(batch, 3, image_size, image_size, generator=generator).to(device)
        labels = torch.randint(0, model.num_classes, (batch,), generator=generator).to(device)
        return model, images, labels

    def pair(mode: str) -> tuple[Callable[[], None], Callable[[], None]]:
        model, images, labels = setup()
        return step_pair(copy.deepcopy(model), images, labels, mode)

    return [
        Comparison(
            f"train step, LeRaC {mode} / conventional ({label})",
            partial(pair, mode),
            batch,
            rounds=rounds,
            number=number,
            target=TARGET,
            detail="B = per-block groups + LeRaC callback + lr recording",
        )
        for mode in ("official", "paper")
    ]


def benchmarks() -> list[Comparison]:
    """Digits-protocol model and batch on the CPU (64 images, 16 px)."""
    return comparisons(partial(digits_resnet, 10), 16, 64)
