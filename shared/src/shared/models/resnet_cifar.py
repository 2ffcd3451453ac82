"""CIFAR-style ResNet: 3x3 stem without max-pool, four stages of basic blocks, global average.

Module names (``conv1``, ``bn1``, ``layer1..4``, ``fc``) follow the convention the papers'
per-block rules (LeRaC groups, feature taps) key on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from shared.errors import ConfigError


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 conv-BN) shortcut."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


def official_resnet_init(model: nn.Module) -> None:
    """The CBM code's ResNet initialisation: Kaiming-normal (fan-in, ReLU) convolutions, BN
    weight 1 / bias 0, linear weights N(0, 0.01) with zero bias (``init: official``)."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0.0, 0.01)
            nn.init.zeros_(module.bias)


class CifarResNet(nn.Module):
    """ResNet with configurable widths and blocks per stage; stages 2-4 halve the resolution.

    ``init`` keeps PyTorch's default initialisation (``pytorch``, what the digits protocol
    uses) or applies the official CBM code's (``official``, see :func:`official_resnet_init`).
    """

    def __init__(
        self,
        num_classes: int = 10,
        widths: Sequence[int] = (64, 128, 256, 512),
        blocks: Sequence[int] = (2, 2, 2, 2),
        in_channels: int = 3,
        init: Literal["pytorch", "official"] = "pytorch",
    ) -> None:
        super().__init__()
        if len(widths) != 4 or len(blocks) != 4:
            raise ConfigError("model.backbone.widths/blocks", (widths, blocks), "four stages each")
        if num_classes < 1 or min(widths) < 1 or min(blocks) < 1:
            raise ConfigError("model.backbone", (num_classes, widths, blocks), "positive sizes")
        self.num_classes = num_classes
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        in_planes = widths[0]
        for stage, (width, count) in enumerate(zip(widths, blocks, strict=True), start=1):
            stride = 1 if stage == 1 else 2
            layers = []
            for index in range(count):
                layers.append(BasicBlock(in_planes, width, stride if index == 0 else 1))
                in_planes = width
            self.add_module(f"layer{stage}", nn.Sequential(*layers))
        self.fc = nn.Linear(in_planes, num_classes)
        self.feature_dim = in_planes
        if init == "official":
            official_resnet_init(self)
        elif init != "pytorch":
            raise ConfigError("model.backbone.init", init, "'pytorch' or 'official'")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features ``[B, feature_dim]`` before the classifier."""
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return torch.flatten(F.adaptive_avg_pool2d(out, 1), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x))


def digits_resnet(num_classes: int = 10) -> CifarResNet:
    """The digits-protocol backbone: widths 16/32/64/128, one basic block per stage."""
    return CifarResNet(num_classes, widths=(16, 32, 64, 128), blocks=(1, 1, 1, 1))


def cifar_resnet18(num_classes: int = 10) -> CifarResNet:
    """ResNet-18 in its CIFAR form (widths 64..512, two blocks per stage)."""
    return CifarResNet(num_classes, widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2))
