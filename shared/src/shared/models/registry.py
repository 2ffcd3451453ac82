"""Backbones by name, with the metadata a config or a contract test needs (timm-style registry).

``build_backbone("wrn", num_classes=100)`` builds an entry with its paper defaults; keyword
arguments override them. Every entry carries ``test_kwargs``, the smallest settings that still
exercise its code, so the contract test covers a new entry the moment it is registered.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from shared.errors import ConfigError
from shared.models.cvt import CvT13
from shared.models.resnet_cifar import cifar_resnet18, digits_resnet
from shared.models.wide_resnet import WideResNet


@dataclass(frozen=True)
class BackboneSpec:
    """How to build a backbone, and what it expects."""

    builder: Callable[..., nn.Module]
    input_size: int
    paper: str
    test_kwargs: dict[str, Any] = field(default_factory=dict)
    test_input_size: int | None = None


BACKBONES: dict[str, BackboneSpec] = {
    "digits_resnet": BackboneSpec(
        digits_resnet,
        16,
        "the repository's digits protocol (CIFAR ResNet, widths 16-128, 1 block per stage)",
    ),
    "cifar_resnet18": BackboneSpec(
        cifar_resnet18, 32, "He et al., CVPR 2016 (CIFAR form: 3x3 stem, no max-pool)"
    ),
    "wrn": BackboneSpec(
        WideResNet,
        32,
        "Zagoruyko & Komodakis, BMVC 2016; WRN-52-2, dropout 0.3 as in the LeRaC/CBM code",
        test_kwargs={"depth": 10, "widen_factor": 1},
    ),
    "cvt13": BackboneSpec(
        CvT13,
        224,
        "Wu et al., ICCV 2021 (CvT-13)",
        test_kwargs={
            "image_size": 32,
            "embed_dim": (8, 16, 24),
            "depth": (1, 2, 3),
            "num_heads": (1, 2, 3),
        },
        test_input_size=32,
    ),
}


def build_backbone(name: str, num_classes: int, **kwargs: Any) -> nn.Module:
    """Build the registered backbone ``name`` with a ``num_classes``-way head."""
    if name not in BACKBONES:
        raise ConfigError("model.backbone.name", name, f"one of {sorted(BACKBONES)}")
    builder = BACKBONES[name].builder
    accepted = set(inspect.signature(builder).parameters) - {"num_classes"}
    if unknown := sorted(set(kwargs) - accepted):
        raise ConfigError(
            f"model.backbone.{unknown[0]}",
            kwargs[unknown[0]],
            f"one of the {name} arguments {sorted(accepted)}",
        )
    return builder(num_classes=num_classes, **kwargs)
