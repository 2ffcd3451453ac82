"""Xception (Chollet 2017) with DeepfakeBench's parameter names, so its released checkpoints
(``xception_best.pth``, ``f3net_best.pth``, release v1.0.1; keys ``backbone.<name>``) load.

Names as in DeepfakeBench ``training/networks/xception.py`` (from FaceForensics++): ``conv1``,
``bn1``, ``conv2``, ``bn2``, ``block1`` ... ``block12`` (each ``rep`` + optional ``skip`` /
``skipbn``; separable convs hold ``conv1`` (depthwise) and ``pointwise``), ``conv3``/``bn3``,
``conv4``/``bn4``, ``last_linear`` and the unused ``adjust_channel`` (kept: it is in the
checkpoints). ``width`` scales every channel count, for tiny tests only (1.0 = the original).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from deepfake_bench.detectors.base import Detector, as_float_images


class SeparableConv2d(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int = 1, stride: int = 1, pad: int = 0):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cin, kernel, stride, pad, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise(self.conv1(x))


class Block(nn.Module):
    """``reps`` ReLU-SepConv-BN units (+ max-pool when strided) and a residual shortcut."""

    def __init__(
        self, cin: int, cout: int, reps: int, stride: int, start_relu: bool, grow_first: bool
    ) -> None:
        super().__init__()
        self.skip = None
        if cin != cout or stride != 1:
            self.skip = nn.Conv2d(cin, cout, 1, stride, bias=False)
            self.skipbn = nn.BatchNorm2d(cout)
        units, channels = [], cin
        if grow_first:
            units.append((cin, cout))
            channels = cout
        units += [(channels, channels)] * (reps - 1)
        if not grow_first:
            units.append((cin, cout))
        rep: list[nn.Module] = []
        for a, b in units:
            rep += [nn.ReLU(inplace=True), SeparableConv2d(a, b, 3, 1, 1), nn.BatchNorm2d(b)]
        if start_relu:
            rep[0] = nn.ReLU(inplace=False)  # the input is the residual: never in place
        else:
            rep = rep[1:]
        if stride != 1:
            rep.append(nn.MaxPool2d(3, stride, 1))
        self.rep = nn.Sequential(*rep)

    def forward(self, x: Tensor) -> Tensor:
        skip = self.skipbn(self.skip(x)) if self.skip is not None else x
        return self.rep(x) + skip


class Xception(nn.Module):
    """(B, in_channels, H, W) -> (B, num_classes) logits; :meth:`features` before the pool."""

    def __init__(self, in_channels: int = 3, num_classes: int = 2, width: float = 1.0) -> None:
        super().__init__()

        def c(n: int) -> int:
            return max(1, round(n * width))

        self.conv1 = nn.Conv2d(in_channels, c(32), 3, 2, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(c(32))
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c(32), c(64), 3, bias=False)
        self.bn2 = nn.BatchNorm2d(c(64))
        self.block1 = Block(c(64), c(128), 2, 2, False, True)
        self.block2 = Block(c(128), c(256), 2, 2, True, True)
        self.block3 = Block(c(256), c(728), 2, 2, True, True)
        for i in range(4, 12):
            setattr(self, f"block{i}", Block(c(728), c(728), 3, 1, True, True))
        self.block12 = Block(c(728), c(1024), 2, 2, True, False)
        self.conv3 = SeparableConv2d(c(1024), c(1536), 3, 1, 1)
        self.bn3 = nn.BatchNorm2d(c(1536))
        self.conv4 = SeparableConv2d(c(1536), c(2048), 3, 1, 1)
        self.bn4 = nn.BatchNorm2d(c(2048))
        self.last_linear = nn.Linear(c(2048), num_classes)
        self.adjust_channel = nn.Sequential(
            nn.Conv2d(c(2048), c(512), 1, 1), nn.BatchNorm2d(c(512)), nn.ReLU(inplace=True)
        )

    def features(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        for i in range(1, 13):
            x = getattr(self, f"block{i}")(x)
        x = self.relu(self.bn3(self.conv3(x)))
        return self.bn4(self.conv4(x))

    def forward(self, x: Tensor) -> Tensor:
        pooled = torch.relu(self.features(x)).mean(dim=(2, 3))
        return self.last_linear(pooled)


class XceptionDetector(Detector):
    """DeepfakeBench's ``xception`` detector (Rössler et al. 2019): Xception on the face crop
    normalised with mean = std = 0.5, a 2-way head read as one fake logit l₁ − l₀; the module is
    ``backbone`` as in DeepfakeBench, so ``xception_best.pth`` loads strictly.

    Args:
        width: channel scale (1.0 = the original; smaller only for tests and CPU runs).
        checkpoint: a DeepfakeBench ``xception_best.pth`` to load.
    """

    def __init__(self, width: float = 1.0, checkpoint: str | None = None) -> None:
        super().__init__()
        self.backbone = Xception(3, 2, width)
        if checkpoint:
            self.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True))

    def forward(self, x: Tensor) -> Tensor:
        logits = self.backbone((as_float_images(x) - 0.5) / 0.5)
        return logits[:, 1] - logits[:, 0]
