"""The CIFAR Wide-ResNet exactly as the LeRaC/CBM code builds it (``Wide_ResNet(52, 2, 0.3)``).

Pre-activation blocks (BN-ReLU-conv, dropout, BN-ReLU-conv) with conv biases; the block's
stride sits on its *second* conv and on a 1x1 conv shortcut. Module names follow the official
file (``conv1_initial``, ``layer1..3``, ``bn1_final``, ``linear``), so official state dicts load
and the LeRaC per-block groups key on the same names. Like the official code, no custom weight
init is applied (its ``conv_init`` is defined but never called), and the final BN keeps the
official ``momentum=0.9``. The papers call this model "WRN-50"; it has depth 52, widen 2.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from shared.errors import ConfigError, check_range


class WideBasic(nn.Module):
    """One pre-activation wide block; the official class is ``wide_basic``."""

    def __init__(self, in_planes: int, planes: int, dropout: float, stride: int = 1) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, padding=1, bias=True)
        self.dropout = nn.Dropout(p=dropout)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=True)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.dropout(self.conv1(F.relu(self.bn1(x))))
        out = self.conv2(F.relu(self.bn2(out)))
        return out + self.shortcut(x)


class WideResNet(nn.Module):
    """WRN-``depth``-``widen_factor``: a 3x3 stem, three stages of ``(depth - 4) / 6`` blocks with
    widths ``16k, 32k, 64k`` (stages 2 and 3 halve the resolution), final BN-ReLU, global average
    pool and a linear head."""

    def __init__(
        self, depth: int = 52, widen_factor: int = 2, dropout: float = 0.3, num_classes: int = 10
    ) -> None:
        super().__init__()
        if depth < 10 or (depth - 4) % 6 != 0:
            raise ConfigError(
                "model.backbone.depth", depth, "6n + 4 with n >= 1 (10, 16, ..., 28, ..., 52)"
            )
        check_range("model.backbone.widen_factor", widen_factor, 1)
        check_range("model.backbone.dropout", dropout, 0.0, 1.0, high_inclusive=False)
        check_range("model.backbone.num_classes", num_classes, 1)
        blocks = (depth - 4) // 6
        widths = (16 * widen_factor, 32 * widen_factor, 64 * widen_factor)
        self.num_classes = num_classes
        self.conv1_initial = nn.Conv2d(3, 16, 3, padding=1, bias=True)
        in_planes = 16
        for stage, width in enumerate(widths, start=1):
            layers = []
            for index in range(blocks):
                stride = 2 if stage > 1 and index == 0 else 1
                layers.append(WideBasic(in_planes, width, dropout, stride))
                in_planes = width
            self.add_module(f"layer{stage}", nn.Sequential(*layers))
        self.bn1_final = nn.BatchNorm2d(in_planes, momentum=0.9)
        self.linear = nn.Linear(in_planes, num_classes)
        self.feature_dim = in_planes

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features ``[B, feature_dim]`` before the classifier."""
        out = self.layer3(self.layer2(self.layer1(self.conv1_initial(x))))
        out = F.relu(self.bn1_final(out))
        return torch.flatten(F.adaptive_avg_pool2d(out, 1), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.forward_features(x))
