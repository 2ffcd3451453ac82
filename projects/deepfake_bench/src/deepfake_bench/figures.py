"""The reproduction's figures, drawn from its per-cell records (:class:`shared.results.Cell`)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from shared.plots import draw_metric, pyplot
from shared.results import Cell, Results


def _matching(cells: Sequence[Cell], **where: str) -> list[Cell]:
    return [c for c in cells if all(c.coords.get(k) == v for k, v in where.items())]


def _mean(cells: Sequence[Cell], metric: str) -> float:
    if not cells:
        raise ValueError(f"no cells to average {metric!r} over")
    return statistics.fmean(c.values[metric] for c in cells)


SCALES = {  # metric -> colour range (chance to perfect) and colour map (bright = better)
    "auc": (50.0, 100.0, "viridis"),
    "eer": (50.0, 0.0, "viridis"),
}


def plot_heat_maps(
    cells: Sequence[Cell], detectors: Sequence[str], generators: Sequence[str], out: Path,
    metric: str = "auc", protocol: str = "matrix", what: str = "generator",
) -> Path:  # fmt: skip
    """One heat map per detector: ``metric`` (%) of each train (row) x test (column) generator
    (or attack), the mean over seeds, clean, against the reals of the training source."""
    plt = pyplot()
    chance, perfect, cmap = SCALES[metric]
    fig, axes = plt.subplots(1, len(detectors), figsize=(3.6 * len(detectors), 3.8))
    for ax, detector in zip(np.atleast_1d(axes), detectors, strict=True):
        base = dict(protocol=protocol, detector=detector, perturbation="none")
        chosen = _matching(cells, **base, real_source="training_source")
        seeds = sorted({c.seed for c in chosen})
        matrix = np.array(
            [
                [100 * _mean(_matching(chosen, train=row, test=col), metric) for col in generators]
                for row in generators
            ]
        )
        ax.imshow(matrix, vmin=min(chance, perfect), vmax=max(chance, perfect),
                  cmap=cmap if perfect > chance else f"{cmap}_r")  # fmt: skip
        middle = (chance + perfect) / 2
        for (i, j), value in np.ndenumerate(matrix):
            dark = value < middle if perfect > chance else value > middle
            ax.text(j, i, f"{value:.0f}", ha="center", va="center",
                    color="white" if dark else "black", fontsize=8)  # fmt: skip
        ax.set_xticks(range(len(generators)), generators, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(generators)), generators, fontsize=8)
        ax.set_title(f"{detector} (seeds {seeds})", fontsize=9)
        ax.set_xlabel(f"test {what}", fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel(f"training {what}", fontsize=8)
    fig.suptitle(
        f"{metric.upper()} (%), mean over seeds; colour scale {chance:.0f} (chance) to "
        f"{perfect:.0f}", fontsize=10,
    )  # fmt: skip
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_method_heat_map(
    cells: Sequence[Cell], detectors: Sequence[str], methods: Sequence[str], out: Path
) -> Path:
    """Audio-visual track: AUC (%) of each detector (row) on each method (column), mean over
    seeds, against the ID reals (left) and the new real source (right)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.5 * len(detectors) + 2.4))
    for ax, (source, label) in zip(
        axes, (("training_source", "ID reals"), ("novel", "new real source")), strict=True
    ):
        chosen = _matching(cells, protocol="av", real_source=source, perturbation="none")
        matrix = np.array(
            [[100 * _mean(_matching(chosen, detector=d, test=m), "auc") for m in methods]
             for d in detectors]
        )  # fmt: skip
        ax.imshow(matrix, vmin=50, vmax=100, cmap="viridis", aspect="auto")
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, f"{value:.0f}", ha="center", va="center",
                    color="white" if value < 75 else "black", fontsize=8)  # fmt: skip
        ax.set_xticks(range(len(methods)), methods, rotation=35, ha="right", fontsize=7)
        ax.set_yticks(range(len(detectors)), detectors, fontsize=8)
        ax.set_title(f"against the {label}", fontsize=9)
    fig.suptitle("AUC (%) per manipulation, mean over seeds; 50 = chance", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_id_vs_ood(cells: Sequence[Cell], detectors: Sequence[str], out: Path) -> Path:
    """Per detector and seed: the ID and OOD AUC (%) of its matrix with their 95 % bootstrap
    intervals (whiskers), seeds side by side."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.9 * len(detectors) + 1.5, 3.8))
    for index, detector in enumerate(detectors):
        chosen = sorted(
            _matching(cells, protocol="summary", detector=detector, perturbation="none"),
            key=lambda c: c.seed,
        )
        for k, cell in enumerate(chosen):
            for offset, key, colour, label in (
                (-0.18, "auc_id", "tab:blue", "ID (seen generator)"),
                (0.18, "auc_ood", "tab:red", "OOD (unseen generators)"),
            ):
                x = index + offset + 0.06 * (k - (len(chosen) - 1) / 2)
                low, high = (100 * v for v in cell.ci95[key])
                value = 100 * cell.values[key]
                ax.errorbar(x, value, [[value - low], [high - value]], fmt="o", color=colour,
                            ms=4, capsize=2, label=label if index == k == 0 else None)  # fmt: skip
    ax.set_xticks(range(len(detectors)), detectors)
    ax.set_ylabel("AUC (%)")
    ax.axhline(50, color="grey", lw=0.8, ls=":", label="chance")
    ax.set_ylim(0, 100)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title("ID vs OOD AUC per seed, whiskers: 95 % bootstrap CI (test set resampled)",
                 fontsize=9)  # fmt: skip
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_robustness(
    cells: Sequence[Cell], detectors: Sequence[str], perturbations: Sequence[str], out: Path
) -> Path:
    """ID (solid) and OOD (dashed) AUC (%) per test-time perturbation, the mean over seeds."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    columns = ["none", *perturbations]
    for detector, colour in zip(detectors, plt.rcParams["axes.prop_cycle"].by_key()["color"],
                                strict=False):  # fmt: skip
        for key, style in (("auc_id", "-"), ("auc_ood", "--")):
            values = [
                100 * _mean(_matching(cells, protocol="summary", detector=detector,
                                      perturbation=p), key)
                for p in columns
            ]  # fmt: skip
            ax.plot(columns, values, style, marker="o", ms=3, color=colour,
                    label=f"{detector} {'ID' if key == 'auc_id' else 'OOD'}")  # fmt: skip
    ax.axhline(50, color="grey", lw=0.8, ls=":")
    ax.set_ylim(0, 100)
    ax.set_ylabel("AUC (%), mean over seeds")
    ax.set_xlabel("test-time perturbation")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_results_panels(results: Results, labels: Sequence[str], out: Path, title: str) -> Path:
    """One dot-plot panel per metric label (:func:`shared.plots.draw_metric`), side by side."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(labels), figsize=(4.2 * len(labels), 3.8), sharey=True)
    for ax, label in zip(np.atleast_1d(axes), labels, strict=True):
        draw_metric(ax, results, label, (0.0, 100.0))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
