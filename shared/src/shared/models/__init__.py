"""Backbones used by two or more projects."""

from shared.models.resnet_cifar import BasicBlock, CifarResNet, cifar_resnet18, digits_resnet

__all__ = ["BasicBlock", "CifarResNet", "cifar_resnet18", "digits_resnet"]
