"""Captioners: images in ``[0, 1]`` -> one caption each, the white-box U-Net's text context.

The official U-Net reads a BLIP caption of each image (``captions/<stem>.txt``, made offline) as
its cross-attention context: the context comes from the **image**, never from its prompt (that
would leak the label). :class:`BlipCaptioner` loads a real BLIP by hub id or path; on a CPU without
weights :class:`ColourCaptioner` names the image's background and foreground colours from its
pixels, and :class:`ConstantCaptioner` gives every image the same text (a context that carries
no information at all).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from shared.hub import require_pretrained
from shared.registry import Registry

CAPTIONERS: Registry[nn.Module] = Registry("captioner", "model.init_args.backbone.args.captioner")
PALETTE = {
    "red": (0.85, 0.1, 0.1), "green": (0.1, 0.65, 0.2), "blue": (0.15, 0.3, 0.85),
    "yellow": (0.95, 0.85, 0.1), "orange": (0.98, 0.55, 0.1), "purple": (0.55, 0.15, 0.65),
    "pink": (1.0, 0.7, 0.8), "brown": (0.5, 0.3, 0.1), "black": (0.0, 0.0, 0.0),
    "white": (1.0, 1.0, 1.0), "gray": (0.5, 0.5, 0.5), "cyan": (0.1, 0.8, 0.85),
}  # fmt: skip
"""The colour names :class:`ColourCaptioner` chooses from (RGB in ``[0, 1]``)."""


class Captioner(nn.Module):
    """``forward(images [B, 3, H, W] in [0, 1]) -> B captions``; ``words`` are the words its
    captions use (a tiny tokenizer is built over them), empty when open-ended."""

    words: tuple[str, ...] = ()

    def forward(self, images: torch.Tensor) -> list[str]:
        raise NotImplementedError


class ConstantCaptioner(Captioner):
    """The same ``text`` for every image."""

    def __init__(self, text: str = "an image") -> None:
        super().__init__()
        self.text = text
        self.words = tuple(text.split())

    def forward(self, images: torch.Tensor) -> list[str]:
        return [self.text] * len(images)


class ColourCaptioner(Captioner):
    """Captions "a {foreground} shape on a {background} background" (nearest :data:`PALETTE`).

    The background is the per-channel median of the image's one-pixel border; the foreground is
    the mean of the pixels farther than ``threshold`` (Euclidean, RGB in ``[0, 1]``) from it (the
    background itself when there are none)."""

    words = (*PALETTE, "a", "shape", "on", "background")

    def __init__(self, threshold: float = 0.25) -> None:
        super().__init__()
        self.threshold = threshold
        self.register_buffer("palette", torch.tensor(list(PALETTE.values())), persistent=False)

    def name(self, colour: torch.Tensor) -> str:
        return list(PALETTE)[int((self.palette - colour).norm(dim=1).argmin())]

    def forward(self, images: torch.Tensor) -> list[str]:
        captions = []
        for image in images.float():
            border = torch.cat([image[:, 0], image[:, -1], image[:, :, 0], image[:, :, -1]], 1)
            background = border.median(dim=1).values
            far = (image - background[:, None, None]).norm(dim=0) > self.threshold
            foreground = image[:, far].mean(1) if far.any() else background
            captions.append(
                f"a {self.name(foreground)} shape on a {self.name(background)} background"
            )
        return captions


class BlipCaptioner(Captioner):
    """A frozen BLIP captioning model (``BlipForConditionalGeneration``) by hub id or folder,
    greedy decoding of at most ``max_new_tokens`` tokens; images are resized (bicubic) and
    normalised as its image processor says, on the images' device."""

    def __init__(
        self,
        pretrained: str = "Salesforce/blip-image-captioning-large",
        max_new_tokens: int = 30,
    ) -> None:
        super().__init__()
        from transformers import BlipForConditionalGeneration, BlipProcessor

        field = "model.init_args.backbone.args.captioner_args.pretrained"
        source = require_pretrained(pretrained, library="transformers", field=field)
        self.processor = BlipProcessor.from_pretrained(source)
        self.model = BlipForConditionalGeneration.from_pretrained(source)
        self.model.eval().requires_grad_(False)
        self.max_new_tokens = max_new_tokens
        processor = self.processor.image_processor
        self.size = (processor.size["height"], processor.size["width"])
        self.register_buffer("mean", torch.tensor(processor.image_mean).view(1, -1, 1, 1), False)
        self.register_buffer("std", torch.tensor(processor.image_std).view(1, -1, 1, 1), False)

    def train(self, mode: bool = True) -> BlipCaptioner:
        super().train(mode)
        self.model.eval()
        return self

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> list[str]:
        pixels = F.interpolate(images.float(), self.size, mode="bicubic", antialias=True)
        pixels = ((pixels.clamp(0, 1) - self.mean) / self.std).to(self.model.dtype)
        ids = self.model.generate(pixel_values=pixels, max_new_tokens=self.max_new_tokens)
        return [c.strip() for c in self.processor.batch_decode(ids, skip_special_tokens=True)]


CAPTIONERS.register(
    "blip", BlipCaptioner, paper="BLIP (official: captions/<stem>.txt made offline)"
)
CAPTIONERS.register("colours", ColourCaptioner, paper="none: a pixel-rule stand-in for CPU runs")
CAPTIONERS.register(
    "constant", ConstantCaptioner, paper="none: one text for every image (no information)"
)


def build_captioner(name: str, args: dict[str, Any] | None = None) -> Captioner:
    """The captioner ``name`` of :data:`CAPTIONERS` with its arguments."""
    return CAPTIONERS.build(name, **(args or {}))
