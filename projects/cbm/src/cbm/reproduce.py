"""``make reproduce-cbm``: conventional training vs CBM vs random masking on the digits protocol.

Each method is ``configs/default.yaml`` (CBM) plus at most one file of ``configs/ablations/``,
seeds 0-4, run by :func:`shared.sweep.run`. Reported: clean test accuracy at the last and at the
best-validation epoch, and test accuracy under a fixed random occlusion of 4 of the 16 patches
(the mechanism-level metric). ``make reproduce-cbm-ablations`` runs the schedule and
number-of-patches ablations (:mod:`cbm.reproduce_ablations`).
"""

from __future__ import annotations

from pathlib import Path

from cbm.figure import plot_masked_samples
from shared.plots import plot_metric
from shared.results import Results
from shared.sweep import Arm, Metric, Records, Sweep, run

SETTING = "digits 16 px, 15 ep"
METRICS = (
    Metric("last/test/acc", "test acc, last epoch (%)", scale=100),
    Metric("best/test/acc", "test acc, best-val epoch (%)", scale=100),
    Metric("last/test/occluded_acc", "occluded test acc, last epoch (%)", scale=100),
    Metric("best/test/occluded_acc", "occluded test acc, best-val epoch (%)", scale=100),
)
NOTES = (
    "Digits protocol (CONTRIBUTING.md): 1,078 / 359 / 360 train/val/test images, 16x16, "
    "CifarResNet 16/32/64/128, SGD 0.1, lr ÷10 after epochs 8 and 12, batch 64, model "
    "selection on val. CBM: the official '40' cycle (0.07 … 0.4036) three times, 4x4 patches, "
    "Sobel probabilities of the 16x16 training image. Occluded accuracy: 4 of the 16 patches of "
    "every test image, drawn uniformly with a fixed seed (the same for every model), set to 0 "
    "after normalisation like the mask. The paper reports no digits numbers, so no paper "
    "column; this is a mechanism check at toy scale, not a reproduction of the paper's tables.",
)


def ablation(method: str, name: str | None) -> Arm:
    """The default config (CBM), plus ``configs/ablations/<name>.yaml`` when given."""
    files = ("default.yaml",) if name is None else ("default.yaml", f"ablations/{name}.yaml")
    return Arm(method, files)


def accuracy_figures(results: Results, records: Records, out: Path) -> list[Path]:
    """Clean and occluded test accuracy at the last epoch, every seed shown."""
    return [
        plot_metric(results, METRICS[0].label, out / "test_acc_last.png"),
        plot_metric(results, METRICS[2].label, out / "occluded_acc_last.png"),
    ]


def figures(results: Results, records: Records, out: Path) -> list[Path]:
    return [
        *accuracy_figures(results, records, out),
        plot_masked_samples(out / "masked_samples.png"),
    ]


SWEEP = Sweep(
    project="cbm",
    title="CBM vs conventional vs random masking on digits",
    setting=SETTING,
    arms=(
        ablation("conventional", "conventional"),
        ablation("CBM (Sobel, linear repeat)", None),
        ablation("random masking", "random"),
    ),
    seeds=(0, 1, 2, 3, 4),
    metrics=METRICS,
    figures=figures,
    notes=NOTES,
)

if __name__ == "__main__":
    run(SWEEP)
