"""The figures of LeRaC: per-block learning rates (every run writes its own) and the
reproduction's validation curves."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path
from typing import Any

from shared.plots import pyplot


def read_trajectory(path: Path) -> dict[str, Any]:
    """``{"names", "steps", "series"}``: group names, optimizer steps and each group's rates,
    from ``lr_trajectory.csv``."""
    with Path(path).open() as handle:
        rows = list(csv.reader(handle))
    names, body = rows[0][3:], rows[1:]
    steps = [int(float(r[0])) for r in body]
    series = [[float(r[3 + i]) for r in body] for i in range(len(names))]
    return {"names": names, "steps": steps, "series": series}


def draw_lr_trajectory(ax: Any, trajectory: dict[str, Any], title: str) -> None:
    """Step plot (log scale) of every group's rate against the optimizer step, shallow to deep."""
    plt = pyplot()
    names, steps, series = trajectory["names"], trajectory["steps"], trajectory["series"]
    colours = plt.get_cmap("viridis")
    for index, (name, values) in enumerate(zip(names, series, strict=True)):
        colour = colours(index / max(1, len(names) - 1))
        ax.step(steps, values, where="post", label=name, color=colour, linewidth=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("learning rate")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6, ncol=2 if len(names) > 8 else 1, loc="lower right")


def plot_lr_trajectory(csv_path: Path, png_path: Path, title: str | None = None) -> Path:
    """The figure of one run's ``lr_trajectory.csv``."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    draw_lr_trajectory(ax, read_trajectory(csv_path), title or Path(csv_path).parent.name)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return Path(png_path)


def plot_lr_modes(official: dict[str, Any], paper: dict[str, Any], path: Path) -> Path:
    """The two LeRaC modes' trajectories side by side."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    draw_lr_trajectory(axes[0], official, "LeRaC official mode (×10 per epoch)")
    draw_lr_trajectory(axes[1], paper, "LeRaC paper mode (closed form, k = 4 epochs)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def plot_val_curves(curves: dict[str, list[list[float]]], path: Path, seeds: list[int]) -> Path:
    """Mean and min-max band over seeds; runs stopped early (divergence) count while they last."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for method, runs in curves.items():
        epochs = range(1, max(len(r) for r in runs) + 1)
        values = [[r[e - 1] for r in runs if len(r) >= e] for e in epochs]
        means = [statistics.fmean(v) for v in values]
        low, high = [min(v) for v in values], [max(v) for v in values]
        (line,) = ax.plot(epochs, means, marker="o", markersize=3, label=method)
        ax.fill_between(epochs, low, high, color=line.get_color(), alpha=0.15)
    ax.set_xlabel("epoch")
    ax.set_ylabel("val accuracy (%)")
    ax.set_ylim(top=100)
    ax.set_title(f"Validation accuracy: mean line, min-max band over seeds {seeds}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
