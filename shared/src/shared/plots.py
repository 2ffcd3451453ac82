"""Results figures people can trust: every seed shown, the mean with a labelled spread, and an
axis that never runs past the metric's range.

A dot plot rather than bars: each seed is a dot, the mean a wide tick with an error bar of one
sample standard deviation over the seeds (said in the legend). The axis may be zoomed on the data
(the dots show the scale of the differences) but is clipped to the metric's ``limits``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from shared.results import Results


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (reproductions draw without a screen)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def value_axis(values: list[float], limits: tuple[float, float]) -> tuple[float, float]:
    """Axis range around ``values`` with some room, never outside ``limits``."""
    low, high = min(values), max(values)
    room = max((high - low) * 0.2, (limits[1] - limits[0]) * 0.01)
    return max(limits[0], low - room), min(limits[1], high + room)


def draw_metric(
    ax, results: Results, metric: str, limits: tuple[float, float], ylabel: str | None = None
) -> None:
    """Onto ``ax``: one column per (setting, method) row of ``metric``, per-seed dots, mean ± 1 s.d."""
    plt = pyplot()
    rows = [r for r in results.rows if r.metric == metric]
    if not rows:
        raise ValueError(f"no rows with metric {metric!r}")
    methods = list(dict.fromkeys(r.method for r in rows))
    colours = {m: plt.get_cmap("tab10")(i % 10) for i, m in enumerate(methods)}
    settings = list(dict.fromkeys(r.setting for r in rows))
    positions, labels, groups, x = [], [], [], 0.0
    for setting in settings:
        first = x
        for row in (r for r in rows if r.setting == setting):
            values = row.ours.values
            offsets = [(i - (len(values) - 1) / 2) * 0.06 for i in range(len(values))]
            colour = colours[row.method]
            ax.scatter([x + o for o in offsets], values, s=16, color=colour, alpha=0.75, zorder=3)
            ax.errorbar(
                x + 0.3, row.ours.mean, yerr=row.ours.std, fmt="_", markersize=14,
                color=colour, capsize=4, linewidth=1.4, zorder=2,
            )  # fmt: skip
            positions.append(x + 0.15)
            labels.append("\n".join(textwrap.wrap(row.method, 16)))
            x += 1.0
        groups.append(((first + x - 1.0) / 2 + 0.15, setting))
        x += 0.6
    ax.set_xticks(positions, labels, fontsize=7)
    ax.set_ylim(*value_axis([v for r in rows for v in r.ours.values], limits))
    ax.set_ylabel(ylabel or metric, fontsize=8)
    n = "/".join(map(str, sorted({len(r.ours.values) for r in rows})))
    ax.set_title(
        f"{results.title}\n{metric}: dots = seeds (n = {n}), tick and bar = mean ± 1 s.d.",
        fontsize=8,
    )
    if len(settings) > 1:
        for centre, setting in groups:
            ax.text(centre, -0.2, setting, transform=ax.get_xaxis_transform(), ha="center",
                    va="top", fontsize=7, style="italic")  # fmt: skip
    ax.grid(axis="y", alpha=0.3)


def plot_metric(
    results: Results,
    metric: str,
    path: Path,
    limits: tuple[float, float] = (0.0, 100.0),
    ylabel: str | None = None,
) -> Path:
    """The figure of :func:`draw_metric`, saved to ``path``."""
    plt = pyplot()
    count = sum(r.metric == metric for r in results.rows)
    fig, ax = plt.subplots(figsize=(max(4.5, 0.9 * count + 1.5), 4.0))
    draw_metric(ax, results, metric, limits, ylabel)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
