"""Curriculum by Smoothing (CBS, pairlab/CBS): a depthwise Gaussian blur after every conv,
with a width σ that decays during training. LeRaC's paper compares against it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from shared.errors import ConfigError, check_range


def gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    """A ``size x size`` Gaussian centred on the middle pixel, normalised to sum to 1."""
    if size < 1 or size % 2 == 0:
        raise ConfigError("model.cbs_kernel_size", size, "an odd size >= 1")
    check_range("model.cbs_sigma", sigma, 0.0, low_inclusive=False)
    offsets = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    squared = offsets[:, None] ** 2 + offsets[None, :] ** 2
    kernel = torch.exp(-squared / (2 * sigma**2))
    return (kernel / kernel.sum()).float()


class GaussianSmoothing(nn.Module):
    """Depthwise blur with zero padding ``size // 2``; ``sigma`` is a buffer, so it is checkpointed."""

    def __init__(self, kernel_size: int = 3, sigma: float = 1.0) -> None:
        super().__init__()
        gaussian_kernel(kernel_size, sigma)  # validates both
        self.kernel_size = kernel_size
        self.register_buffer("sigma", torch.tensor(float(sigma)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kernel = gaussian_kernel(self.kernel_size, float(self.sigma)).to(x)
        weight = kernel.expand(x.shape[1], 1, self.kernel_size, self.kernel_size)
        return F.conv2d(x, weight, padding=self.kernel_size // 2, groups=x.shape[1])


def smoothed_convs(model: nn.Module) -> list[str]:
    """The convs CBS blurs: spatial (kernel > 1), non-grouped ones.

    On a ResNet/WRN these are the stem and both convs of every block (not the 1x1 shortcuts),
    as in pairlab/CBS; on CvT, each stage's convolutional patch embedding (its depthwise q/k/v
    projections are left alone).
    """
    return [
        name
        for name, module in model.named_modules()
        if isinstance(module, nn.Conv2d) and max(module.kernel_size) > 1 and module.groups == 1
    ]


def attach_smoothing(
    model: nn.Module, smoothing: GaussianSmoothing
) -> list[torch.utils.hooks.RemovableHandle]:
    """Blur the output of every conv named by :func:`smoothed_convs`; returns the hook handles."""
    modules = dict(model.named_modules())
    return [
        modules[name].register_forward_hook(lambda _module, _inputs, output: smoothing(output))
        for name in smoothed_convs(model)
    ]
