"""`make reproduce-lerac-stress`: the high-learning-rate stress test, with and without LeRaC.

η⁽⁰⁾ = 0.4 with no warm-up on the digits protocol, seeds 0-9. A run diverges when its training
loss becomes non-finite or its validation accuracy after epoch 3 is within 5 points of chance
(:class:`lerac.callbacks.DivergenceMonitor`). Writes ``results/lerac/stress/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lerac.plots import plot_val_curves
from lerac.reproduce import ACCURACY, val_curves
from shared.results import Results
from shared.sweep import Arm, Metric, Records, Run, Sweep, run

NOTES = (
    "`diverged` is the fraction of seeds whose run diverged (its mean over 0/1 values): a "
    "non-finite training loss, or validation accuracy ≤ 15% (chance 10% + 5 points) after epoch 3.",
    "The paper reports no stress test; this one is the spec's proposed secondary check that "
    "LeRaC acts like a layer-wise warm-up.",
)


def divergence(run: Run) -> dict[str, Any]:
    """The run's ``divergence.json`` report (as 0/1 and in full) and its validation curve."""
    report = json.loads((run.run_dir / "divergence.json").read_text())
    return {
        "diverged": 1.0 if report["diverged"] else 0.0,
        "divergence": report,
        "val_acc": [100 * v for v in run.epoch_curve("val/acc")],
    }


def diverged_runs(records: Records) -> list[str]:
    reasons = {
        arm.method: {
            seed: records[arm.key, seed].extras["divergence"]
            for seed in records.sweep.seeds
            if records[arm.key, seed].extras["divergence"]["diverged"]
        }
        for arm in records.sweep.arms
    }
    return [f"Diverged runs (seed: reason): {json.dumps(reasons)}"]


def figures(results: Results, records: Records, out: Path) -> list[Path]:
    seeds = list(records.sweep.seeds)
    return [plot_val_curves(val_curves(records), out / "val_curves.png", seeds)]


SWEEP = Sweep(
    project="lerac",
    name="lerac/stress",
    command="make reproduce-lerac-stress",
    title="LeRaC high-learning-rate stress test (digits)",
    setting="digits, η⁽⁰⁾ 0.4, no warm-up",
    arms=(
        Arm("conventional", ("stress_conventional.yaml",)),
        Arm("LeRaC (official)", ("stress_lerac.yaml",)),
    ),
    seeds=tuple(range(10)),
    metrics=(Metric("diverged", "diverged", limits=(0.0, 1.0)), *ACCURACY),
    measure=divergence,
    figures=figures,
    notes=NOTES,
    record_notes=diverged_runs,
)

if __name__ == "__main__":
    run(SWEEP)
