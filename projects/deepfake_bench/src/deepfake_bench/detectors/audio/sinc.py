"""A learnable sinc band-pass filter bank (SincNet; the front end of RawNet2 and AASIST).

Filter i passes [f1_i, f2_i] Hz: taps h[n] = (2 f2 / sr) sinc(2 f2 n / sr) − (2 f1 / sr)
sinc(2 f1 n / sr) for n = −(K−1)/2 … (K−1)/2 (the ideal band-pass, unit gain in its band),
times a symmetric Hamming window. The lower edge f1 = |low| and the width |band| are the
learnt parameters, initialised mel-spaced: n + 1 edges equally spaced on the mel scale
between ``min_hz`` and ``max_hz``. An even kernel size is made odd (the originals do too).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from deepfake_bench.detectors.audio.base import SAMPLE_RATE


def mel_edges(n_filters: int, min_hz: float, max_hz: float) -> Tensor:
    """``n_filters + 1`` band edges (Hz) equally spaced on the mel scale."""
    to_mel = lambda hz: 2595 * math.log10(1 + hz / 700)  # noqa: E731
    mels = torch.linspace(to_mel(min_hz), to_mel(max_hz), n_filters + 1, dtype=torch.float64)
    return (700 * (10 ** (mels / 2595) - 1)).float()


class SincConv(nn.Module):
    """(B, T) or (B, 1, T) waveforms -> (B, n_filters, T − K + 1) band-passed signals."""

    def __init__(
        self,
        n_filters: int = 20,
        kernel_size: int = 129,
        min_hz: float = 30.0,
        max_hz: float = 7900.0,
        sample_rate: int = SAMPLE_RATE,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size + (kernel_size % 2 == 0)
        self.sample_rate = sample_rate
        edges = mel_edges(n_filters, min_hz, max_hz)
        self.low_hz = nn.Parameter(edges[:-1].clone())
        self.band_hz = nn.Parameter(edges.diff())
        half = (self.kernel_size - 1) / 2
        self.register_buffer("n", torch.arange(-half, half + 1), persistent=False)
        self.register_buffer(
            "window", torch.hamming_window(self.kernel_size, periodic=False), persistent=False
        )

    def bands(self) -> tuple[Tensor, Tensor]:
        """The (f1, f2) edges in Hz, each (n_filters,), clipped to [0, Nyquist]."""
        low = self.low_hz.abs()
        return low, (low + self.band_hz.abs()).clamp(max=self.sample_rate / 2)

    def filters(self) -> Tensor:
        """(n_filters, kernel_size) windowed band-pass taps."""
        low, high = (edge[:, None] * 2 / self.sample_rate for edge in self.bands())
        taps = high * torch.sinc(high * self.n) - low * torch.sinc(low * self.n)
        return taps * self.window

    def forward(self, x: Tensor) -> Tensor:
        x = x.unsqueeze(1) if x.ndim == 2 else x
        return F.conv1d(x, self.filters().unsqueeze(1))
