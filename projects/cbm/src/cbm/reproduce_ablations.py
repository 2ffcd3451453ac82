"""``make reproduce-cbm-ablations``: the schedule and number-of-patches ablations of CBM on the
digits protocol, seeds 0-4, written to ``results/cbm/ablations/``."""

from __future__ import annotations

from cbm.reproduce import METRICS, NOTES, SETTING, ablation, accuracy_figures
from shared.sweep import Sweep, run

SWEEP = Sweep(
    project="cbm",
    name="cbm/ablations",
    command="make reproduce-cbm-ablations",
    title="CBM ablations on digits",
    setting=SETTING,
    arms=(
        ablation("CBM (Sobel, linear repeat)", None),
        ablation("schedule: static 0.4036", "static"),
        ablation("schedule: linear", "linear"),
        ablation("schedule: log", "log"),
        ablation("schedule: exp", "exp"),
        ablation("schedule: anti-linear", "anti_linear"),
        ablation("2x2 patches", "patches2"),
        ablation("8x8 patches", "patches8"),
        ablation("16 epochs (cycle ends easiest)", "epochs16"),
    ),
    seeds=(0, 1, 2, 3, 4),
    metrics=METRICS,
    figures=accuracy_figures,
    notes=NOTES,
)

if __name__ == "__main__":
    run(SWEEP)
