"""`make bench`: the cost of the two extra terms over a plain cross-entropy training step.

One backbone (the same module object, so the same weights and memory), one batch, A (CE only,
``ImageClassifier``) and B (CE + Gini + KL on the tap, ``DiscErnClassifier``) timed interleaved in
one process, each round averaging several steps: the extra terms cost a few percent of a
millisecond-scale CPU step, less than the jitter of timing single steps. Inference is unchanged by design:
the hooks exist only during the loss computation (tested in ``tests/test_module.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial

import torch
import torch.nn.functional as F
from torch import nn

from gini_loss.module import DiscErnClassifier
from shared.bench import Comparison, Target
from shared.classification import ImageClassifier
from shared.models import cifar_resnet18, digits_resnet

TARGET = Target.at_most(1.05)


class TapFloor(DiscErnClassifier):
    """The cheapest loss that reads the same tap: CE plus a tiny multiple of the tap's sum.

    Its cost over CE is what any feature loss on the tap pays before computing anything (the
    hooks and a second gradient path into the tapped module), so the line separates that
    floor from the cost of the Gini and KL terms themselves.
    """

    def compute_loss(
        self, images: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        logits, features = self.forward_with_taps(images)
        floor = torch.stack([tap.sum() for tap in features]).sum()
        return F.cross_entropy(logits, labels) + 1e-8 * floor, logits, {}


def objective_alone(
    module: DiscErnClassifier, images: torch.Tensor, labels: torch.Tensor
) -> Callable[[], None]:
    """Forward and backward of the objective alone (CE + Gini + KL, terms on) on the logits and
    taps of one stored forward pass. Timed in rounds of back-to-back calls with no network in
    between, its operations run mostly warm in the caches: about the cost the terms would have
    if they were not run between convolutions."""
    with torch.no_grad():
        logits, features = module.forward_with_taps(images)
    inputs = [logits.requires_grad_(), *(tap.requires_grad_() for tap in features)]
    epoch = module.objective.start_epoch

    def step() -> None:
        loss = module.objective(inputs[0], labels, inputs[1:], epoch)[0]
        torch.autograd.grad(loss, inputs)

    return step


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
    """(CE-only step, CE + Gini + KL step) on the same ``backbone`` (each with its own SGD state)."""
    backbone = backbone.to(images.device)
    plain = ImageClassifier(backbone=backbone, num_classes=num_classes)
    discern = DiscErnClassifier(
        backbone=backbone, num_classes=num_classes, taps=taps, start_epoch=1
    )
    return (
        training_step(plain.train(), images, labels, autocast),
        training_step(discern.train(), images, labels, autocast),
    )


def model_steps(
    build: Callable[[], nn.Module], classes: int, size: int, control: bool
) -> Callable[[], dict[str, Callable[[], None]]]:
    """The timed steps on one backbone object and batch, built once when first asked for: ``ce``
    and ``discern`` (each with its own SGD state), and with ``control`` also ``second_ce``,
    ``floor`` (:class:`TapFloor`) and ``alone`` (:func:`objective_alone`)."""

    @cache
    def steps() -> dict[str, Callable[[], None]]:
        backbone = build()
        torch.manual_seed(0)
        images, labels = torch.randn(64, 3, size, size), torch.arange(64) % classes
        ce, discern = step_pair(backbone, classes, ["layer4"], images, labels)
        built = {"ce": ce, "discern": discern}
        if control:
            built["second_ce"] = training_step(
                ImageClassifier(backbone=backbone, num_classes=classes).train(), images, labels
            )
            built["floor"] = training_step(
                TapFloor(backbone=backbone, num_classes=classes, taps=["layer4"]).train(),
                images,
                labels,
            )
            built["alone"] = objective_alone(
                DiscErnClassifier(backbone=backbone, num_classes=classes, taps=["layer4"]).train(),
                images,
                labels,
            )
        return built

    return steps


CONTROLS = [
    ("control: CE / CE", "second_ce"),
    ("tap floor: CE + 1e-8*sum(tap) / CE", "floor"),
    ("objective alone, back to back / CE train step", "alone"),
]


def _pair(
    steps: Callable[[], dict[str, Callable[[], None]]], key: str
) -> tuple[Callable[[], None], Callable[[], None]]:
    built = steps()
    return built["ce"], built[key]


def benchmarks() -> list[Comparison]:
    """The digits protocol's ResNet (what the reproduction trains; a ~15 ms CPU step, so the
    fixed cost of the terms shows most), with a control (the CE step against a second CE step on
    the same backbone: the noise floor of the ratio), the tap floor (:class:`TapFloor`) and the
    objective alone (:func:`objective_alone`), and the CIFAR ResNet-18 of the paper configs."""
    declared = []
    for name, build, classes, size, rounds, number, tap, control in (
        ("digits ResNet, batch 64, 16x16", partial(digits_resnet, 10), 10, 16, 61, 5, "[64, 128, 2, 2]", True),
        ("CIFAR ResNet-18, batch 64, 32x32", partial(cifar_resnet18, 100), 100, 32, 11, 1, "[64, 512, 4, 4]", False),
    ):  # fmt: skip
        steps = model_steps(build, classes, size, control)
        same = "same backbone and batch"
        declared += [
            Comparison(f"{label} ({name}, CPU)", partial(_pair, steps, key), 64, rounds, number, detail=same)
            for label, key in CONTROLS
            if control
        ]  # fmt: skip
        declared.append(
            Comparison(
                f"train step, CE+Gini+KL / CE ({name}, CPU)",
                partial(_pair, steps, "discern"),
                64,
                rounds,
                number,
                target=TARGET,
                detail=f"{same}; tap layer4 {tap}",
            )
        )
    return declared
