"""The detector contract every registered detector keeps, whatever its modality.

``forward(x)`` takes a batch of the detector's modality (images: float (B, 3, H, W) in [0, 1])
and returns one logit per item, larger = more fake; :meth:`Detector.predict_proba` is its
sigmoid, P(fake). Detectors that are not (only) trained by gradient steps override
:meth:`Detector.prepare`, which the LightningModule calls once with the whole training split
before the first step: a closed-form fit (``spectrum_lr``) or self-supervised pretraining on
the real images only (``probe_lite``). ``augment`` is the detector's own training
augmentation (CNNDetection's blur + JPEG), applied to uint8 batches.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from shared.errors import ConfigError


class Detector(nn.Module):
    """Base class: one logit per item; ``modality`` says what ``forward`` accepts."""

    modality: ClassVar[str] = "image"
    trains_by_gradient: ClassVar[bool] = True

    def prepare(self, reals: Tensor, fakes: Tensor) -> None:
        """Fit what is not learnt by gradient steps; uint8 batches of the training split."""

    def augment(self, images: Tensor, generator: torch.Generator) -> Tensor:
        """The training augmentation of uint8 (B, C, H, W) images (none by default)."""
        return images

    def predict_proba(self, x: Tensor) -> Tensor:
        """P(fake) in [0, 1] per item."""
        return torch.sigmoid(self.forward(x))

    def check_modality(self, modality: str, field: str = "model.init_args.detector") -> None:
        """A clear error when a track feeds this detector data it cannot read."""
        if modality != self.modality:
            raise ConfigError(
                field,
                type(self).__name__,
                f"a detector for {modality} data",
                f"This detector reads {self.modality} data only.",
            )


def as_float_images(images: Tensor) -> Tensor:
    """uint8 (B, C, H, W) -> float32 in [0, 1]; float input passes unchanged."""
    return images.float().div(255) if images.dtype == torch.uint8 else images


class Normalize(nn.Module):
    """Per-channel ``(x - mean) / std`` with the original model's constants as buffers."""

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
