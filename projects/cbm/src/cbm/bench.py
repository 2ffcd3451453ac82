"""``make bench`` for CBM: what MaskIn adds to a training step, and batched saliency vs the
official per-image loop (and a leaner one), each pair interleaved in one run on the same inputs."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cbm.model import MaskIn
from cbm.saliency import sobel_patch_saliency
from cbm.schedules import CYCLE_40
from shared.bench import Comparison, Target
from shared.models.resnet_cifar import digits_resnet

PROJECT = "cbm"
STEP_TARGET = Target.at_most(1.10)
SALIENCY_TARGET = Target.at_least(5.0)


def train_steps(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    probs: torch.Tensor,
    ratio: float,
    patches: int = 4,
    autocast: bool = False,
) -> tuple[Callable[[], None], Callable[[], None]]:
    """Two SGD steps on the same model and batch: without MaskIn, and with it at ``ratio``.

    ``autocast`` runs the forward pass and the loss in bf16 autocast (the masking stays outside).
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    masking = MaskIn(patches).train()
    model.train()

    def step(inputs: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(images.device.type, torch.bfloat16, enabled=autocast):
            loss = F.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()

    return (lambda: step(images)), (lambda: step(masking(images, ratio, probs)))


def official_saliency_loop(images: np.ndarray, size: int, patches: int = 4) -> np.ndarray:
    """The official ``get_probability`` step for step, image by image (the baseline of the target).

    As in ``CroitoruAlin/CBM`` ``data_handlers.py``: a torchvision ``Resize`` on the PIL image,
    ``cv2.Sobel`` in float64, the magnitude moved into a CHW torch tensor and regrouped into
    patches (the official ``einops.rearrange``, written with ``reshape``/``permute`` here, since
    einops is not a dependency), one ``np.mean`` per patch and a Python ``sum``.
    """
    import cv2
    from PIL import Image
    from torchvision import transforms

    cell = size // patches
    out = np.empty((len(images), patches * patches), np.float32)
    for index, image in enumerate(images):
        resized = transforms.Compose([transforms.Resize(size)])(Image.fromarray(image))
        array = np.asarray(resized)
        dx, dy = cv2.Sobel(array, cv2.CV_64F, 1, 0), cv2.Sobel(array, cv2.CV_64F, 0, 1)
        magnitude = torch.Tensor(np.sqrt(dx**2 + dy**2).swapaxes(0, -1).swapaxes(1, 2))
        regrouped = (
            magnitude.reshape(-1, patches, cell, patches, cell)
            .permute(1, 3, 2, 4, 0)
            .reshape(patches * patches, cell, cell, -1)
            .numpy()
        )
        scores = np.asarray([np.mean(regrouped[k]) for k in range(len(regrouped))])
        out[index] = scores / sum(scores)
    return out


def lean_saliency_loop(images: np.ndarray, size: int, patches: int = 4) -> np.ndarray:
    """The least per-image work that gives the same numbers: PIL resize, ``cv2.Sobel``, patch
    means with numpy slicing (a stricter baseline than the official loop)."""
    import cv2
    from PIL import Image

    cell = size // patches
    out = np.empty((len(images), patches * patches), np.float32)
    for index, image in enumerate(images):
        array = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR))
        dx, dy = cv2.Sobel(array, cv2.CV_64F, 1, 0), cv2.Sobel(array, cv2.CV_64F, 0, 1)
        magnitude = np.sqrt(dx**2 + dy**2).astype(np.float32)
        scores = [
            magnitude[r * cell : (r + 1) * cell, c * cell : (c + 1) * cell].mean()
            for r in range(patches)
            for c in range(patches)
        ]
        out[index] = np.asarray(scores) / np.sum(scores)
    return out


def benchmarks(count: int = 512, rounds: int = 15) -> list[Comparison]:
    """The MaskIn step cost (digits model and batch) and the saliency speed-ups over the two
    per-image loops on ``count`` CIFAR-size images, each against the same batched call."""

    def steps() -> tuple[Callable[[], None], Callable[[], None]]:
        torch.manual_seed(0)
        images = torch.rand(64, 3, 16, 16) * 2 - 1
        labels = torch.arange(64) % 10
        probs = sobel_patch_saliency(images, 4)
        return train_steps(digits_resnet(10), images, labels, probs, ratio=CYCLE_40[1])

    @cache
    def cifar_like() -> np.ndarray:
        rng = np.random.default_rng(0)
        return rng.integers(0, 256, size=(count, 32, 32, 3), dtype=np.uint8)

    def saliency(loop: Callable[[np.ndarray, int], np.ndarray]) -> tuple[Callable, Callable]:
        batch = torch.from_numpy(cifar_like()).permute(0, 3, 1, 2).contiguous()
        return (lambda: sobel_patch_saliency(batch, 4, size=64)), (lambda: loop(cifar_like(), 64))

    images = f"{count} CIFAR-size images at 64 px"
    loop_rounds = max(3, rounds // 3)
    return [
        Comparison(
            "train step with MaskIn / without (digits ResNet, batch 64, 16 px, K=6 of 16)",
            steps,
            64,
            rounds=rounds,
            number=5,
            target=STEP_TARGET,
        ),
        Comparison(
            f"saliency speed-up, batched torch vs the official per-image get_probability ({images})",
            partial(saliency, official_saliency_loop),
            count,
            rounds=loop_rounds,
            warmup=1,
            target=SALIENCY_TARGET,
            labels=("ours", "loop"),
        ),
        Comparison(
            f"saliency speed-up, batched torch vs a lean per-image OpenCV loop ({images})",
            partial(saliency, lean_saliency_loop),
            count,
            rounds=loop_rounds,
            warmup=1,
            labels=("ours", "loop"),
        ),
    ]
