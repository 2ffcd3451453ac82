"""Score post-processing as the aed-mae code does it: a truncated temporal Gaussian and
per-video min-max normalisation."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from shared.errors import ConfigError, check_range


def gaussian_kernel(support: int, sigma: float) -> np.ndarray:
    """The official kernel with ``support`` taps (the code's R - 1, odd): pdf of N(c, sigma^2) at
    s = 1..support, c = s[support // 2 - 1], not renormalised.

    The centre sits one sample before the middle, so an impulse at t peaks at t + 1.
    """
    if support < 3 or support % 2 == 0:
        raise ConfigError("filter support", support, "an odd integer >= 3 (the official R - 1)")
    check_range("filter sigma", sigma, 0.0, low_inclusive=False)
    s = np.arange(1, support + 1, dtype=np.float64)
    return norm.pdf(s, s[support // 2 - 1], sigma)


def temporal_filter(scores: np.ndarray, support: int, sigma: float) -> np.ndarray:
    """Correlate zero-padded frame scores with :func:`gaussian_kernel`; same length as the input."""
    kernel = gaussian_kernel(support, sigma)
    pad = support // 2
    padded = np.pad(np.asarray(scores, dtype=np.float64), pad)
    return np.nan_to_num(np.correlate(padded, kernel, mode="valid"), nan=0.0)


def normalise_per_video(scores: np.ndarray) -> np.ndarray:
    """Min-max to [0, 1] within one video (applied after filtering); a constant video maps to 0."""
    scores = np.asarray(scores, dtype=np.float64)
    span = scores.max() - scores.min()
    return (scores - scores.min()) / span if span > 0 else np.zeros_like(scores)
