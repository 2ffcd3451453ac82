"""The figure of masked training samples at each stage of the 5-epoch curriculum cycle."""

from __future__ import annotations

from pathlib import Path

import torch

from cbm.data import SaliencyDataModule
from cbm.model import MaskIn, masked_patch_count
from cbm.schedules import CYCLE_40, fibonacci_cycle
from shared.data.digits import DigitsDataModule
from shared.plots import pyplot


def plot_masked_samples(path: Path, samples: int = 8, seed: int = 0) -> Path:
    """Rows: the clean digits, their Sobel patch probabilities, then one row per cycle stage
    (the official "40" cycle), each drawn with MaskIn exactly as in training; gray = masked."""
    plt = pyplot()

    data = SaliencyDataModule(DigitsDataModule(image_size=16), patches=4, cache=False)
    data.setup("fit")
    dataset = data.data.datasets["train"]
    images = torch.stack([dataset[i][0] for i in range(samples)])
    probs = data.probs[:samples]
    masking = MaskIn(4).train()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        stages = [(r, masking(images, r, probs)) for r in fibonacci_cycle(*CYCLE_40)]
    stage_rows = [(f"r={r:.3f}, K={masked_patch_count(r, 4)}", x) for r, x in stages]
    rows = [("clean", images), ("p (Sobel)", None), *stage_rows]
    fig, axes = plt.subplots(len(rows), samples, figsize=(1.1 * samples, 1.15 * len(rows)))
    for column in range(samples):
        for row, (label, batch) in enumerate(rows):
            ax = axes[row, column]
            if batch is None:
                ax.imshow(probs[column].reshape(4, 4), cmap="magma", vmin=0)
            else:
                ax.imshow((batch[column, 0] * 0.5 + 0.5).clamp(0, 1), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if column == 0:
                ax.set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle(
        "CBM on digits: masked training samples per epoch of the 5-epoch cycle", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
