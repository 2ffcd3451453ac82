"""The reproduction's curriculum figure, drawn from the run records' difficulty scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shared.plots import pyplot
from shared.sweep import Records


def plot_difficulty(records: Records, out: Path, seed: int = 0) -> Path:
    """For every run that recorded a cosine history (seed ``seed``): the distribution of its
    difficulty score (the weighted mean cosine the curriculum sorts by) for the images that show
    their prompt and for those drawn from another scene. The curriculum helps only where the two
    separate."""
    plt = pyplot()
    arms = [a for a in records.sweep.arms if "difficulty" in records[a.key, seed].arrays]
    fig, axes = plt.subplots(1, len(arms), figsize=(3.2 * len(arms), 3.0), squeeze=False)
    for ax, arm in zip(axes[0], arms, strict=True):
        arrays = records[arm.key, seed].arrays
        scores, noisy = arrays["difficulty"], arrays["is_mismatched"].astype(bool)
        bins = np.linspace(min(scores.min(), 0.0), 1.0, 31)
        ax.hist(scores[~noisy], bins=bins, alpha=0.6, label="shows its prompt")
        ax.hist(scores[noisy], bins=bins, alpha=0.6, label="another scene")
        ax.set_title(arm.key, fontsize=9)
        ax.set_xlabel("difficulty score (weighted cosine)", fontsize=8)
    axes[0][0].set_ylabel("training images")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"Cosine histories of the runs without curriculum, seed {seed}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
