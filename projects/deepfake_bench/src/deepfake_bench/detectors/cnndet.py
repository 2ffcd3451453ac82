"""``cnndet_lite``: CNNDetection (Wang et al., CVPR 2020) at patch scale, and its full size.

Lite: a small ResNet (3x3 stem, three stages of basic blocks, 32/64/128 channels with stride-2
transitions, BN + ReLU, global average pool, Linear -> 1), random init. Full (``size="full"``):
torchvision's ResNet-50 with a one-logit ``fc``, ImageNet normalisation; ``checkpoint`` loads
CNNDetection's released ``{"model": state_dict}`` files, whose keys are torchvision's.
Training recipe (in the config): BCE with logits, Adam, blur + JPEG at p = 0.5, crop, flip.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from deepfake_bench.detectors.augment import CNNDETECTION_AUGMENTATION, BlurJpeg
from deepfake_bench.detectors.base import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    Detector,
    Normalize,
    as_float_images,
)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x: Tensor) -> Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class SmallResNet(nn.Module):
    """The lite trunk: (B, in_channels, H, W) -> one logit per item."""

    def __init__(
        self,
        in_channels: int = 3,
        widths: tuple[int, ...] = (32, 64, 128),
        blocks: int = 1,
        stem_stride: int = 1,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, stem_stride, 1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        layers, cin = [], widths[0]
        for stage, width in enumerate(widths):
            for block in range(blocks):
                layers.append(BasicBlock(cin, width, 2 if stage and not block else 1))
                cin = width
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, 1)

    def forward(self, x: Tensor) -> Tensor:
        features = self.stages(self.stem(x)).mean(dim=(2, 3))
        return self.fc(features).squeeze(1)


class CNNDetection(Detector):
    """Args:
    size: ``lite`` (the small ResNet) or ``full`` (ResNet-50, the original).
    widths: lite stage widths.
    blocks: lite basic blocks per stage.
    stem_stride: lite stem stride (1 at 32 px; 2 halves the cost).
    augmentation: the training blur/JPEG/crop/flip (``None``: none).
    checkpoint: full size only: a CNNDetection ``.pth`` (``{"model": state_dict}``) to load.
    """

    def __init__(
        self,
        size: Literal["lite", "full"] = "lite",
        widths: tuple[int, ...] = (32, 64, 128),
        blocks: int = 1,
        stem_stride: int = 1,
        augmentation: BlurJpeg | None = CNNDETECTION_AUGMENTATION,
        checkpoint: str | None = None,
    ) -> None:
        super().__init__()
        self.augmentation = augmentation
        if size == "full":
            from torchvision.models import resnet50

            self.normalize = Normalize(IMAGENET_MEAN, IMAGENET_STD)
            self.net = resnet50(num_classes=1)
            if checkpoint:
                state = torch.load(checkpoint, map_location="cpu", weights_only=True)
                self.net.load_state_dict(state.get("model", state))
        else:
            self.normalize = Normalize(IMAGENET_MEAN, IMAGENET_STD)
            self.net = SmallResNet(3, widths, blocks, stem_stride)

    def augment(self, images: Tensor, generator: torch.Generator) -> Tensor:
        return self.augmentation(images, generator) if self.augmentation else images

    def forward(self, x: Tensor) -> Tensor:
        return self.net(self.normalize(as_float_images(x))).reshape(len(x))
