"""``spectrum_lr``: the azimuthally averaged log power spectrum + logistic regression
(Durall et al. 2020; Frank et al. 2020): a non-deep baseline that sees upsampling replicas.

Grayscale -> 2-D FFT -> log power (centred) -> mean over rings of integer radius (23 bins at
32 px) -> standardise -> logistic regression fitted in closed form by scikit-learn (in
:meth:`SpectrumLR.prepare`); the fitted weights live in a ``Linear`` so the forward pass, the
checkpoint and the metrics path are the same as for every other detector.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from torch import Tensor, nn

from deepfake_bench.detectors.base import Detector, as_float_images

GRAY = (0.299, 0.587, 0.114)


def radial_bins(size: int) -> Tensor:
    """Integer distance of every centred-FFT pixel from the zero frequency: (size, size)."""
    centre = size // 2
    y, x = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    return torch.sqrt(((y - centre) ** 2 + (x - centre) ** 2).double()).floor().long()


def azimuthal_spectrum(images: Tensor, bins: Tensor) -> Tensor:
    """(B, 3, S, S) in [0, 1] -> (B, n_bins) mean log power per ring."""
    gray = torch.einsum("bchw,c->bhw", images, images.new_tensor(GRAY))
    power = torch.fft.fftshift(torch.fft.fft2(gray).abs() ** 2, dim=(-2, -1))
    logpow = torch.log(power + 1e-8).flatten(1)
    n_bins = int(bins.max()) + 1
    flat = bins.flatten().expand_as(logpow)
    sums = logpow.new_zeros(len(logpow), n_bins).scatter_add_(1, flat, logpow)
    counts = torch.bincount(bins.flatten(), minlength=n_bins).to(logpow)
    return sums / counts


class SpectrumLR(Detector):
    """Args:
    image_size: side of the square input (sets the ring count).
    C: inverse L2 strength of the logistic regression.
    """

    trains_by_gradient = False

    def __init__(self, image_size: int = 32, C: float = 1.0) -> None:
        super().__init__()
        self.C = C
        self.register_buffer("bins", radial_bins(image_size), persistent=False)
        n_bins = int(self.bins.max()) + 1
        self.register_buffer("mean", torch.zeros(n_bins))
        self.register_buffer("scale", torch.ones(n_bins))
        self.linear = nn.Linear(n_bins, 1)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def features(self, x: Tensor) -> Tensor:
        return azimuthal_spectrum(as_float_images(x), self.bins)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear((self.features(x) - self.mean) / self.scale).squeeze(1)

    @torch.no_grad()
    def prepare(self, reals: Tensor, fakes: Tensor) -> None:
        features = torch.cat([self.features(reals), self.features(fakes)]).double().numpy()
        labels = np.r_[np.zeros(len(reals)), np.ones(len(fakes))]
        mean, scale = features.mean(0), features.std(0) + 1e-8
        model = LogisticRegression(C=self.C, max_iter=1000)
        model.fit((features - mean) / scale, labels)
        self.mean.copy_(torch.from_numpy(mean))
        self.scale.copy_(torch.from_numpy(scale))
        self.linear.weight.copy_(torch.from_numpy(model.coef_))
        self.linear.bias.copy_(torch.from_numpy(model.intercept_))
