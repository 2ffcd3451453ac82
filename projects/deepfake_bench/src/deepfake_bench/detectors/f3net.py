"""``f3net_lite``: F3Net's frequency-aware decomposition (FAD) branch (Qian et al., ECCV 2020),
as DeepfakeBench runs it (FAD branch only, following github.com/yyk-wew/F3Net).

Per channel, the image goes to the DCT domain (fixed orthonormal DCT-II matrices), is masked by
four bands over the coefficient index i + j — low [0, S // 2.82], mid [S // 2.82, S // 2],
high [S // 2, 2S], all [0, 2S], inclusive at both ends as in the official ``generate_filter``
(so neighbouring bands share their boundary diagonal) — each mask a fixed 0/1 base plus a
learnable residual 2σ(w) − 1 (w ~ N(0, 0.1)), and goes back by the inverse DCT: 12 channels. The
lite path feeds them to ``cnndet_lite``'s trunk; ``size="full"`` to Xception with 12 input
channels and a 2-way head under DeepfakeBench's names (``FAD_head``, ``backbone``), so
``f3net_best.pth`` loads with ``strict=True``. The 2-way logits become one fake logit
l₁ − l₀ (sigmoid of it = softmax(l)[1], DeepfakeBench's probability).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from deepfake_bench.detectors.augment import CNNDETECTION_AUGMENTATION, BlurJpeg
from deepfake_bench.detectors.base import Detector, as_float_images
from deepfake_bench.detectors.cnndet import SmallResNet
from deepfake_bench.detectors.xception import Xception


def dct_matrix(size: int) -> Tensor:
    """Orthonormal DCT-II: row k = c_k cos((j + ½) π k / size)."""
    k = torch.arange(size, dtype=torch.float64).unsqueeze(1)
    j = torch.arange(size, dtype=torch.float64).unsqueeze(0)
    scale = torch.full((size, 1), math.sqrt(2 / size), dtype=torch.float64)
    scale[0] = math.sqrt(1 / size)
    return (scale * torch.cos((j + 0.5) * math.pi * k / size)).float()


def band_mask(start: float, end: float, size: int) -> Tensor:
    """1 where start <= i + j <= end (the official inclusive band), else 0."""
    index = torch.arange(size).unsqueeze(1) + torch.arange(size).unsqueeze(0)
    return ((index >= start) & (index <= end)).float()


class Filter(nn.Module):
    """A fixed band plus a learnable residual 2σ(w) − 1 (``learnable`` as in F3Net)."""

    def __init__(self, size: int, start: float, end: float) -> None:
        super().__init__()
        self.base = nn.Parameter(band_mask(start, end, size), requires_grad=False)
        self.learnable = nn.Parameter(torch.randn(size, size) * 0.1)

    def forward(self, x: Tensor) -> Tensor:
        return x * (self.base + 2 * torch.sigmoid(self.learnable) - 1)


class FADHead(nn.Module):
    """(B, 3, S, S) -> (B, 12, S, S): the four DCT bands of every channel, back in pixels."""

    def __init__(self, size: int) -> None:
        super().__init__()
        dct = dct_matrix(size)
        self._DCT_all = nn.Parameter(dct, requires_grad=False)
        self._DCT_all_T = nn.Parameter(dct.t().contiguous(), requires_grad=False)
        bands = [(0, size // 2.82), (size // 2.82, size // 2), (size // 2, size * 2)]
        self.filters = nn.ModuleList(Filter(size, a, b) for a, b in [*bands, (0, size * 2)])

    def forward(self, x: Tensor) -> Tensor:
        freq = self._DCT_all @ x @ self._DCT_all_T
        return torch.cat([self._DCT_all_T @ f(freq) @ self._DCT_all for f in self.filters], 1)


class F3Net(Detector):
    """Args:
    image_size: side of the square input (the DCT size; DeepfakeBench: 256).
    size: ``lite`` (small ResNet trunk) or ``full`` (Xception, DeepfakeBench names).
    widths: lite trunk widths.
    stem_stride: lite stem stride.
    xception_width: full path channel scale (1.0 = the original; smaller only for tests).
    augmentation: the training augmentation (as ``cnndet_lite``).
    checkpoint: full size only: a DeepfakeBench ``f3net_best.pth`` to load (strict).
    """

    def __init__(
        self,
        image_size: int = 32,
        size: Literal["lite", "full"] = "lite",
        widths: tuple[int, ...] = (32, 64, 128),
        stem_stride: int = 1,
        xception_width: float = 1.0,
        augmentation: BlurJpeg | None = CNNDETECTION_AUGMENTATION,
        checkpoint: str | None = None,
    ) -> None:
        super().__init__()
        self.full, self.augmentation = size == "full", augmentation
        self.FAD_head = FADHead(image_size)
        if self.full:
            self.backbone = Xception(12, 2, xception_width)
            if checkpoint:
                state = torch.load(checkpoint, map_location="cpu", weights_only=True)
                self.load_state_dict(state)
        else:
            self.backbone = SmallResNet(12, widths, 1, stem_stride)

    def augment(self, images: Tensor, generator: torch.Generator) -> Tensor:
        return self.augmentation(images, generator) if self.augmentation else images

    def forward(self, x: Tensor) -> Tensor:
        x = as_float_images(x)
        if self.full:  # DeepfakeBench normalises with mean = std = 0.5
            logits = self.backbone(self.FAD_head((x - 0.5) / 0.5))
            return logits[:, 1] - logits[:, 0]
        return self.backbone(self.FAD_head(x - 0.5))
