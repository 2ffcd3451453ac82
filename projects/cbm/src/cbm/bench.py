"""``make bench`` for CBM: what MaskIn adds to a training step, and batched saliency vs the
official per-image loop (and a leaner one), each pair interleaved in one run on the same inputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cbm.model import MaskIn
from cbm.saliency import sobel_patch_saliency
from cbm.schedules import CYCLE_40
from shared.bench import BenchRecord, compare
from shared.models.resnet_cifar import digits_resnet

PROJECT = "cbm"
STEP_TARGET = 1.10
SALIENCY_TARGET = 5.0


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


def saliency_speedup(
    ours: Callable[[], object],
    loop: Callable[[], object],
    count: int,
    repeats: int,
    baseline: str,
    target: float | None,
) -> BenchRecord:
    """Images/s of ``ours`` over ``loop`` on the same images, interleaved."""
    pair = compare(ours, loop, items=count, repeats=repeats, warmup=1)
    name = f"saliency speed-up, batched torch vs {baseline} ({count} CIFAR-size images at 64 px)"
    return replace(
        pair.record(PROJECT, name, target),
        higher_is_better=True,
        detail=f"ours {pair.a_items_per_s:.0f} images/s, loop {pair.b_items_per_s:.0f} images/s",
    )


def run(count: int = 512, repeats: int = 15) -> list[BenchRecord]:
    torch.manual_seed(0)
    images = torch.rand(64, 3, 16, 16) * 2 - 1
    labels = torch.arange(64) % 10
    probs = sobel_patch_saliency(images, 4)
    plain, masked = train_steps(digits_resnet(10), images, labels, probs, ratio=CYCLE_40[1])
    step = compare(plain, masked, items=64, repeats=repeats, number=5).record(
        PROJECT,
        "train step with MaskIn / without (digits ResNet, batch 64, 16 px, K=6 of 16, rounds of 5 steps)",
        target=STEP_TARGET,
    )

    rng = np.random.default_rng(0)
    cifar_like = rng.integers(0, 256, size=(count, 32, 32, 3), dtype=np.uint8)
    batch = torch.from_numpy(cifar_like).permute(0, 3, 1, 2).contiguous()
    ours = lambda: sobel_patch_saliency(batch, 4, size=64)  # noqa: E731
    loop_repeats = max(3, repeats // 3)
    official = saliency_speedup(
        ours,
        lambda: official_saliency_loop(cifar_like, 64),
        count,
        loop_repeats,
        "the official per-image get_probability",
        SALIENCY_TARGET,
    )
    lean = saliency_speedup(
        ours,
        lambda: lean_saliency_loop(cifar_like, 64),
        count,
        loop_repeats,
        "a lean per-image OpenCV loop (no target)",
        None,
    )
    return [step, official, lean]
