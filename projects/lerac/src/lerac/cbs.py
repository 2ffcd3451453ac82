"""Curriculum by Smoothing (CBS, pairlab/CBS): a depthwise Gaussian blur after every conv,
with a width σ that decays during training. LeRaC's paper compares against it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from shared.errors import ConfigError, check_range


def _squared_distances(size: int) -> torch.Tensor:
    """Squared distances (float64) of a ``size x size`` grid from its middle pixel."""
    if size < 1 or size % 2 == 0:
        raise ConfigError("model.cbs_kernel_size", size, "an odd size >= 1")
    offsets = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    return offsets[:, None] ** 2 + offsets[None, :] ** 2


def _normalised_gaussian(squared: torch.Tensor, sigma: float | torch.Tensor) -> torch.Tensor:
    """``exp(-d² / 2σ²)`` over float64 squared distances, normalised to sum to 1, as float32."""
    kernel = torch.exp(-squared / (2 * sigma**2))
    return (kernel / kernel.sum()).float()


def gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    """A ``size x size`` Gaussian centred on the middle pixel, normalised to sum to 1."""
    squared = _squared_distances(size)
    check_range("model.cbs_sigma", sigma, 0.0, low_inclusive=False)
    return _normalised_gaussian(squared, sigma)


class GaussianSmoothing(nn.Module):
    """Depthwise blur with zero padding ``size // 2``; ``sigma`` is a buffer, so it is checkpointed.

    The kernel is rebuilt from the current ``sigma`` on every forward, on the module's device
    (no host sync), bit-identical to :func:`gaussian_kernel`.
    """

    def __init__(self, kernel_size: int = 3, sigma: float = 1.0) -> None:
        super().__init__()
        gaussian_kernel(kernel_size, sigma)  # validates both
        self.kernel_size = kernel_size
        self.register_buffer("sigma", torch.tensor(float(sigma)))
        # Whole numbers, kept as int64 so a module-wide dtype cast leaves them exact.
        self.register_buffer(
            "squared", _squared_distances(kernel_size).to(torch.int64), persistent=False
        )

    def set_sigma(self, sigma: float) -> None:
        """Set σ in place (checked once stored, as the blur will see it)."""
        self.sigma.fill_(sigma)
        check_range("model.cbs_sigma", float(self.sigma), 0.0, low_inclusive=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        squared = self.squared.to(torch.float64)
        kernel = _normalised_gaussian(squared, self.sigma.to(torch.float64)).to(x)
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
