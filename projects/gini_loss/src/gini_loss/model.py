"""The official CIFAR ResNet-50 of the DiscErn code (its only shipped experiment).

A 3x3 stride-1 stem without max-pool, bottleneck stages of 3/4/6/3 blocks with widths
64/128/256/512 (x4 out), the stride on the 3x3 conv, a 1x1 projection shortcut on the first block
of every stage (stage 1 too, since 64 != 256 channels), global average pooling, dropout 0.4 and
the classifier: 23.7M parameters for 100 classes. Module names follow the official code
(``conv1`` stem, stages ``conv2``..``conv5``, ``dropout``, ``fc``), so the official tap
``conv_layers=[5]`` is the tap ``"conv5"`` here.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from shared.errors import ConfigError
from shared.models.registry import BACKBONES

EXPANSION = 4


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (strided) -> 1x1 (x4), each with BN; ReLU after the residual sum."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1, project: bool = False) -> None:
        super().__init__()
        out_planes = planes * EXPANSION
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out_planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.shortcut = nn.Sequential()
        if project:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_planes),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet50(nn.Module):
    """The official CIFAR ResNet-50; ``width``/``blocks`` exist only to shrink it in tests."""

    def __init__(
        self,
        num_classes: int = 100,
        dropout: float = 0.4,
        width: int = 64,
        blocks: Sequence[int] = (3, 4, 6, 3),
    ) -> None:
        super().__init__()
        if len(blocks) != 4 or min(blocks) < 1 or width < 1 or num_classes < 1:
            raise ConfigError(
                "model.backbone", (num_classes, width, list(blocks)), "positive sizes, four stages"
            )
        if not 0.0 <= dropout < 1.0:
            raise ConfigError("model.backbone.dropout", dropout, "a value in [0, 1)")
        self.num_classes = num_classes
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, width, 3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        )
        in_planes = width
        for stage, count in enumerate(blocks, start=2):
            planes = width * 2 ** (stage - 2)
            stride = 1 if stage == 2 else 2
            layers = [Bottleneck(in_planes, planes, stride, project=True)]
            in_planes = planes * EXPANSION
            layers += [Bottleneck(in_planes, planes) for _ in range(count - 1)]
            self.add_module(f"conv{stage}", nn.Sequential(*layers))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_planes, num_classes)
        self.feature_dim = in_planes

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled ``conv5`` features ``[B, 2048]`` (before dropout and the classifier)."""
        out = self.conv5(self.conv4(self.conv3(self.conv2(self.conv1(x)))))
        return torch.flatten(F.adaptive_avg_pool2d(out, 1), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(self.forward_features(x)))


BACKBONES.register(
    "discern_resnet50",
    CifarResNet50,
    input_size=32,
    paper="the official DiscErn code's CIFAR ResNet-50 (bottleneck 3/4/6/3, dropout 0.4)",
    test_kwargs={"width": 4, "blocks": (1, 1, 1, 1)},
)
