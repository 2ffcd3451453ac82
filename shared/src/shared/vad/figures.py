"""The VAD reproductions' score-curve figure: frame scores of one test video against its labels."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from shared.plots import pyplot


def plot_frame_scores(
    curves: Mapping[str, np.ndarray],
    labels: np.ndarray,
    post: Callable[[np.ndarray], np.ndarray],
    path: Path,
    title: str,
) -> Path:
    """Each raw score series post-processed by ``post`` and min-max scaled for display, over
    the anomalous frames (grey) of the video."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 2.8))
    ax.fill_between(np.arange(len(labels)), 0, labels, color="0.85", step="mid", label="anomalous")
    for name, raw in curves.items():
        filtered = post(raw)
        span = filtered.max() - filtered.min() or 1.0
        ax.plot((filtered - filtered.min()) / span, label=name, lw=1.2)
    ax.set(xlabel="frame", ylabel="score (scaled)", title=title)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
