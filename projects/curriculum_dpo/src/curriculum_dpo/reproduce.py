"""`make reproduce-curriculum_dpo`: the reproduction, declared; :func:`shared.sweep.run` runs it."""

from __future__ import annotations

from pathlib import Path

from shared.plots import plot_metric
from shared.results import Results
from shared.sweep import Arm, Metric, Records, Sweep, run

ACCURACY = Metric("last/test/acc", "test acc, last epoch (%)", scale=100)


def figures(results: Results, records: Records, out: Path) -> list[Path]:
    return [plot_metric(results, ACCURACY.label, out / "test_acc_last.png", ACCURACY.limits)]


SWEEP = Sweep(
    project="curriculum_dpo",
    title="Curriculum DPO for diffusion and consistency models on the digits protocol (CPU scale)",
    setting="digits protocol",
    arms=(Arm("method", ("default.yaml",)),),
    seeds=(0, 1, 2, 3, 4),
    metrics=(ACCURACY,),
    figures=figures,
    notes=("The paper reports no digits numbers: paper column not available.",),
)

if __name__ == "__main__":
    run(SWEEP)
