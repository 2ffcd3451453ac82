"""`make bench`: the cost of the two extra terms over a plain cross-entropy training step.

Same backbone weights, same batch, A (CE only, ``ImageClassifier``) and B (CE + Gini + KL on the
tap, ``DiscErnClassifier``) timed interleaved in one process. Inference is unchanged by design:
the hooks exist only during the loss computation (tested in ``tests/test_module.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from gini_loss.module import DiscErnClassifier
from shared.bench import BenchRecord, compare
from shared.classification import ImageClassifier
from shared.models import digits_resnet

TARGET = 1.05


def training_step(
    module: ImageClassifier, images: torch.Tensor, labels: torch.Tensor, autocast: bool = False
) -> Callable[[], None]:
    """One forward/backward/SGD step of ``module.compute_loss`` on a fixed batch."""
    optimizer = torch.optim.SGD(module.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(images.device.type, torch.bfloat16, enabled=autocast):
            loss = module.compute_loss(images, labels)[0]
        loss.backward()
        optimizer.step()

    return step


def step_pair(
    backbone: nn.Module, num_classes: int, taps: list[str], images: torch.Tensor, labels: torch.Tensor,
    autocast: bool = False,
) -> tuple[Callable[[], None], Callable[[], None]]:  # fmt: skip
    """(CE-only step, CE + Gini + KL step) on two copies of the same backbone."""
    plain = ImageClassifier(copy.deepcopy(backbone), num_classes).to(images.device)
    discern = DiscErnClassifier(copy.deepcopy(backbone), num_classes, taps=taps, start_epoch=1)
    discern = discern.to(images.device)
    return (
        training_step(plain.train(), images, labels, autocast),
        training_step(discern.train(), images, labels, autocast),
    )


def run() -> list[BenchRecord]:
    torch.manual_seed(0)
    images, labels = torch.randn(64, 3, 16, 16), torch.arange(64) % 10
    ce_step, discern_step = step_pair(digits_resnet(10), 10, ["layer4"], images, labels)
    comparison = compare(ce_step, discern_step, items=64, repeats=21)
    return [
        comparison.record(
            "gini_loss",
            "train step, CE+Gini+KL / CE (digits ResNet, batch 64, 16x16, CPU)",
            target=TARGET,
            detail="same weights and batch; tap layer4 [64, 128, 2, 2]",
        )
    ]
