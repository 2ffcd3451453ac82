"""The per-block learning-rate plot every run writes."""

from __future__ import annotations

import csv
from pathlib import Path


def read_trajectory(path: Path) -> tuple[list[str], list[int], list[list[float]]]:
    """Group names, optimizer steps and each group's rates from ``lr_trajectory.csv``."""
    with Path(path).open() as handle:
        rows = list(csv.reader(handle))
    names, body = rows[0][3:], rows[1:]
    steps = [int(float(r[0])) for r in body]
    series = [[float(r[3 + i]) for r in body] for i in range(len(names))]
    return names, steps, series


def plot_lr_trajectory(csv_path: Path, png_path: Path, title: str | None = None, ax=None) -> Path:
    """Step plot (log scale) of every group's rate against the optimizer step, shallow to deep."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, steps, series = read_trajectory(csv_path)
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6, 3.6))
    colours = plt.get_cmap("viridis")
    for index, (name, values) in enumerate(zip(names, series, strict=True)):
        colour = colours(index / max(1, len(names) - 1))
        ax.step(steps, values, where="post", label=name, color=colour, linewidth=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("learning rate")
    ax.set_title(title or Path(csv_path).parent.name, fontsize=9)
    ax.legend(fontsize=6, ncol=2 if len(names) > 8 else 1, loc="lower right")
    if own:
        fig.tight_layout()
        fig.savefig(png_path, dpi=100)
        plt.close(fig)
    return Path(png_path)
