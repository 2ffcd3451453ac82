"""Linear-frequency cepstral coefficients, batched in torch (the ASVspoof 2021 LFCC front end).

Frames: 20 ms periodic Hann windows (320 samples) every 10 ms (160), no centre padding, so a
waveform of T samples gives 1 + (T - 320) // 160 frames. Each frame -> 512-point FFT power ->
20 triangular filters with edges equally spaced on a linear 0 - 8 kHz axis -> log -> DCT-II
(orthonormal) -> 20 coefficients, then Δ and ΔΔ (central differences (c[t+1] - c[t-1]) / 2
with edge frames repeated): (B, frames, 60).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from deepfake_bench.detectors.audio.base import SAMPLE_RATE, check_waveforms


def linear_filterbank(n_filters: int, n_fft: int, sample_rate: int) -> Tensor:
    """(n_filters, n_fft // 2 + 1) triangles: filter i rises from edge i to i + 1, falls to
    i + 2, over ``n_filters + 2`` edges equally spaced from 0 Hz to Nyquist."""
    edges = torch.linspace(0, sample_rate / 2, n_filters + 2, dtype=torch.float64)
    freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * sample_rate / n_fft
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - left) / (centre - left)
    falling = (right - freqs) / (right - centre)
    return torch.minimum(rising, falling).clamp_min(0).float()


def dct_matrix(n: int, n_coeffs: int) -> Tensor:
    """(n_coeffs, n) orthonormal DCT-II: row k is cos(π k (2j + 1) / 2n), scaled."""
    k = torch.arange(n_coeffs, dtype=torch.float64)[:, None]
    j = torch.arange(n, dtype=torch.float64)
    basis = torch.cos(math.pi * k * (2 * j + 1) / (2 * n)) * math.sqrt(2 / n)
    basis[0] /= math.sqrt(2)
    return basis.float()


def delta(features: Tensor) -> Tensor:
    """(B, frames, D) -> (c[t+1] - c[t-1]) / 2 with the edge frames repeated."""
    padded = torch.cat([features[:, :1], features, features[:, -1:]], dim=1)
    return (padded[:, 2:] - padded[:, :-2]) / 2


class LFCC(nn.Module):
    """Args:
    win_length, hop_length, n_fft: framing in samples (320 / 160 / 512 at 16 kHz).
    n_filters: linear triangular filters.
    n_coeffs: cepstral coefficients kept.
    deltas: append Δ and ΔΔ (3 × n_coeffs features).
    sample_rate: of the input, in Hz.
    eps: added to the filterbank energies before the log (silence stays finite).
    """

    def __init__(
        self,
        win_length: int = 320,
        hop_length: int = 160,
        n_fft: int = 512,
        n_filters: int = 20,
        n_coeffs: int = 20,
        deltas: bool = True,
        sample_rate: int = SAMPLE_RATE,
        eps: float = 1e-10,
    ) -> None:
        super().__init__()
        self.win_length, self.hop_length, self.n_fft = win_length, hop_length, n_fft
        self.deltas, self.eps = deltas, eps
        self.n_features = n_coeffs * (3 if deltas else 1)
        self.register_buffer("window", torch.hann_window(win_length), persistent=False)
        self.register_buffer(
            "filters", linear_filterbank(n_filters, n_fft, sample_rate), persistent=False
        )
        self.register_buffer("dct", dct_matrix(n_filters, n_coeffs), persistent=False)

    def n_frames(self, samples: int) -> int:
        return 1 + (samples - self.win_length) // self.hop_length

    def forward(self, waveforms: Tensor) -> Tensor:
        """float (B, T) -> (B, 1 + (T - win) // hop, n_features)."""
        check_waveforms(waveforms, self.win_length)
        frames = waveforms.unfold(1, self.win_length, self.hop_length) * self.window
        power = torch.fft.rfft(frames, n=self.n_fft).abs().square()
        cepstra = torch.log(power @ self.filters.T + self.eps) @ self.dct.T
        if not self.deltas:
            return cepstra
        d1 = delta(cepstra)
        return torch.cat([cepstra, d1, delta(d1)], dim=-1)
