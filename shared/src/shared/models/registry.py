"""Backbones by name: the way a config names one (``backbone: {name: wrn, args: {depth: 52}}``).

The class count is not part of a backbone's arguments: the module passes the dataset's (linked
from the DataModule by the CLI), so it is stated once. Every entry records its input size and
where the architecture comes from, and ``test_kwargs`` small enough for the contract test.
A project registers its own backbones in its model module (e.g. gini_loss's ResNet-50).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from shared.errors import ConfigError
from shared.models.cvt import CvT13
from shared.models.resnet_cifar import CifarResNet, cifar_resnet18, digits_resnet
from shared.models.wide_resnet import WideResNet
from shared.registry import Registry

BACKBONES: Registry[nn.Module] = Registry("backbone", "model.backbone")


@dataclass(frozen=True)
class Backbone:
    """A backbone named in :data:`BACKBONES`, with its builder's arguments.

    Args:
        name: the registered name (``digits_resnet``, ``cifar_resnet18``, ``wrn``, ``cvt13``, ...).
        args: keyword arguments of that builder, other than ``num_classes``.
    """

    name: str = "digits_resnet"
    args: dict[str, Any] = field(default_factory=dict)

    def build(self, num_classes: int) -> nn.Module:
        """The backbone with a ``num_classes``-way head."""
        if "num_classes" in self.args:
            raise ConfigError(
                "model.backbone.args.num_classes",
                self.args["num_classes"],
                "no class count here",
                "The class count comes from the DataModule (set the data's, if it has one).",
            )
        return BACKBONES.build(self.name, num_classes=num_classes, **self.args)


def torchvision_resnet18(num_classes: int = 1000, **kwargs: Any) -> nn.Module:
    """torchvision's ImageNet ResNet-18 (7x7 stem and max-pool), randomly initialised."""
    from torchvision.models import resnet18

    return resnet18(num_classes=num_classes, **kwargs)


def torchvision_wide_resnet50_2(num_classes: int = 1000, width_per_group: int = 128) -> nn.Module:
    """torchvision's Wide ResNet-50-2, random init: its ResNet class with the same blocks and
    names (``width_per_group`` 128 is ``wide_resnet50_2`` exactly; smaller only for tests)."""
    from torchvision.models.resnet import Bottleneck, ResNet

    return ResNet(
        Bottleneck, [3, 4, 6, 3], num_classes=num_classes, width_per_group=width_per_group
    )


BACKBONES.register(
    "digits_resnet",
    digits_resnet,
    input_size=16,
    paper="the repository's digits protocol (CIFAR ResNet, widths 16-128, 1 block per stage)",
)
BACKBONES.register(
    "cifar_resnet",
    CifarResNet,
    input_size=32,
    paper="He et al., CVPR 2016, CIFAR form (3x3 stem, no max-pool); widths and blocks given",
    test_kwargs={"widths": (4, 4, 8, 8), "blocks": (1, 1, 1, 1)},
)
BACKBONES.register(
    "cifar_resnet18", cifar_resnet18, input_size=32, paper="He et al., CVPR 2016 (CIFAR form)"
)
BACKBONES.register(
    "wrn",
    WideResNet,
    input_size=32,
    paper="Zagoruyko & Komodakis, BMVC 2016; WRN-52-2, dropout 0.3 as in the LeRaC/CBM code",
    test_kwargs={"depth": 10, "widen_factor": 1},
)
BACKBONES.register(
    "cvt13",
    CvT13,
    input_size=224,
    paper="Wu et al., ICCV 2021 (CvT-13)",
    test_kwargs={
        "image_size": 32,
        "embed_dim": (8, 16, 24),
        "depth": (1, 2, 3),
        "num_heads": (1, 2, 3),
    },
    test_input_size=32,
)
BACKBONES.register(
    "torchvision_resnet18",
    torchvision_resnet18,
    input_size=224,
    paper="He et al., CVPR 2016 (ImageNet form, torchvision)",
    test_input_size=32,
)
BACKBONES.register(
    "torchvision_wide_resnet50_2",
    torchvision_wide_resnet50_2,
    input_size=224,
    paper="Zagoruyko & Komodakis, BMVC 2016 (ImageNet WRN-50-2, torchvision)",
    test_kwargs={"width_per_group": 8},
    test_input_size=32,
)
