"""Backbones used by two or more projects; :mod:`shared.models.registry` builds them by name."""

from shared.models.cvt import CvT13, convert_microsoft_cvt_state_dict
from shared.models.registry import BACKBONES, Backbone
from shared.models.resnet_cifar import BasicBlock, CifarResNet, cifar_resnet18, digits_resnet
from shared.models.wide_resnet import WideBasic, WideResNet

__all__ = [
    "BACKBONES",
    "Backbone",
    "BasicBlock",
    "CifarResNet",
    "CvT13",
    "WideBasic",
    "WideResNet",
    "cifar_resnet18",
    "convert_microsoft_cvt_state_dict",
    "digits_resnet",
]
