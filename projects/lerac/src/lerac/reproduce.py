"""`make reproduce-lerac`: conventional vs CBS vs LeRaC (official) vs LeRaC (paper) on the digits
protocol, seeds 0-4 (:func:`shared.sweep.run` does the running, recording and writing).

Reported: test accuracy at the last and at the best-validation epoch, the validation curves, and
the per-block learning-rate trajectories of both LeRaC modes (seed 0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lerac.plots import plot_lr_modes, plot_val_curves, read_trajectory
from shared.plots import plot_metric
from shared.results import Results
from shared.sweep import Arm, Metric, Records, Run, Sweep, run

ACCURACY = (
    Metric("last/test/acc", "test acc, last epoch (%)", scale=100),
    Metric("best/test/acc", "test acc, best-val epoch (%)", scale=100),
)
NOTES = (
    "The paper's numbers are for CIFAR/Tiny ImageNet/ImageNet-200/Food-101 with ResNet-18, WRN "
    "and CvT-13; none is for this digits protocol, so the paper column is empty.",
    "LeRaC (official): stem 0.1, layer1.0 1e-2, layer2.0 1e-3, layer3.0 1e-4, layer4.0 1e-5, "
    "fc 1e-4, ×10 at each epoch end until capped (all at 0.1 from epoch 5). LeRaC (paper): "
    "the same starts with fc 1e-5, closed-form geometric ramp to 0.1 over 4 epochs of "
    "iterations. CBS: σ 1, ×0.9 every 5 epochs, 3x3 kernel. All: SGD 0.1, momentum 0.9, "
    "wd 5e-4, batch 64, ÷10 after epochs 8 and 12.",
)


def curves(run: Run) -> dict[str, Any]:
    """Validation accuracy per epoch, and the learning-rate trajectory where one was logged."""
    measured: dict[str, Any] = {"val_acc": [100 * v for v in run.epoch_curve("val/acc")]}
    trajectory = run.run_dir / "lr_trajectory.csv"
    if run.arm.method.startswith("LeRaC") and trajectory.is_file():
        measured["lr_trajectory"] = read_trajectory(trajectory)
    return measured


def val_curves(records: Records) -> dict[str, list[list[float]]]:
    """Every arm's per-seed validation curves."""
    sweep = records.sweep
    return {
        arm.method: [records[arm.key, s].extras["val_acc"] for s in sweep.seeds]
        for arm in sweep.arms
    }


def figures(results: Results, records: Records, out: Path) -> list[Path]:
    seeds = list(records.sweep.seeds)
    paths = [
        plot_metric(results, m.label, out / f"test_acc_{m.key.split('/')[0]}.png", m.limits)
        for m in ACCURACY
    ]
    paths.append(plot_val_curves(val_curves(records), out / "val_curves.png", seeds))
    official = records["LeRaC (official)", seeds[0]].extras["lr_trajectory"]
    paper = records["LeRaC (paper)", seeds[0]].extras["lr_trajectory"]
    paths.append(plot_lr_modes(official, paper, out / "lr_trajectories.png"))
    return paths


SWEEP = Sweep(
    project="lerac",
    title="LeRaC on the digits protocol (CPU mechanism check)",
    setting="digits protocol (CIFAR ResNet 16-128, 16 px, 15 epochs)",
    arms=(
        Arm("conventional", ("digits_conventional.yaml",)),
        Arm("CBS", ("digits_cbs.yaml",)),
        Arm("LeRaC (official)", ("default.yaml",)),
        Arm("LeRaC (paper)", ("digits_lerac_paper.yaml",)),
    ),
    seeds=(0, 1, 2, 3, 4),
    metrics=ACCURACY,
    measure=curves,
    figures=figures,
    notes=NOTES,
)

if __name__ == "__main__":
    run(SWEEP)
