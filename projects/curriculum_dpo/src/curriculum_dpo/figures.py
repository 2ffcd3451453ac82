"""The reproduction's reward-vs-step figure, drawn from the run records' curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shared.plots import pyplot
from shared.sweep import Records


def plot_reward_curves(records: Records, out: Path, key: str = "reward_curve") -> Path:
    """Mean reward of fresh samples against the DPO step: one thin line per seed and a thick
    mean line per arm (every seed's curve is evaluated at the same steps)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for arm, colour in zip(records.sweep.arms, colours, strict=False):
        curves = [records[arm.key, seed].arrays[key] for seed in records.sweep.seeds_of(arm)]
        steps = curves[0][0]
        if any(not np.array_equal(c[0], steps) for c in curves):
            raise ValueError(f"{arm.key}: the seeds' reward curves are evaluated at other steps")
        for curve in curves:
            ax.plot(curve[0], curve[1], color=colour, lw=0.8, alpha=0.5)
        mean = np.mean([c[1] for c in curves], axis=0)
        ax.plot(steps, mean, color=colour, lw=2.2, marker="o", ms=4,
                label=f"{arm.key} (mean of {len(curves)} seeds)")  # fmt: skip
    ax.set_xlabel("DPO step")
    ax.set_ylabel("mean reward of fresh samples")
    ax.legend(fontsize=8)
    ax.set_title("Reward vs step: thin lines are seeds", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
