"""The mechanism figure: each filter's class distribution, without and with the loss."""

from __future__ import annotations

from pathlib import Path

import torch

from shared.plots import pyplot


def sort_filters(distribution: torch.Tensor) -> torch.Tensor:
    """Rows ordered by dominant class, then by how dominant it is; dead (zero) rows last."""
    top, owner = distribution.max(dim=1)
    owner = torch.where(distribution.sum(dim=1) > 0, owner, distribution.shape[1])
    key = owner.double() * 2 - top.double()  # top in [0, 1], so it only orders within a class
    return distribution[torch.argsort(key, stable=True)]


def plot_filter_distributions(
    panels: list[tuple[str, torch.Tensor]], path: Path, title: str = ""
) -> Path:
    """Heat maps of ``P [filters, classes]``, one panel per (label, P), filters sorted."""
    plt = pyplot()

    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels) + 0.8, 4.6), sharey=True)
    fig.subplots_adjust(top=0.8, bottom=0.12, left=0.13, right=0.82, wspace=0.15)
    axes = [axes] if len(panels) == 1 else list(axes)
    image = None
    for ax, (label, distribution) in zip(axes, panels, strict=True):
        image = ax.imshow(
            sort_filters(distribution).numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=1,
            interpolation="nearest",
        )  # fmt: skip
        ax.set_title(label, fontsize=8)
        ax.set_xlabel("class")
        ax.set_xticks(range(distribution.shape[1]))
    axes[0].set_ylabel("filter (sorted by dominant class)")
    fig.colorbar(image, ax=axes, fraction=0.05, label="share of the filter's activation")
    if title:
        fig.suptitle(title, fontsize=8)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
