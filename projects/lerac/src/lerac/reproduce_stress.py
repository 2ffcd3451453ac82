"""`make reproduce-lerac-stress`: the high-learning-rate stress test, with and without LeRaC.

η⁽⁰⁾ = 0.4 with no warm-up on the digits protocol, seeds 0-9. A run diverges when its training
loss becomes non-finite or its validation accuracy after epoch 3 is within 5 points of chance
(:class:`lerac.callbacks.DivergenceMonitor`). Writes ``results/lerac/stress/``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from lerac.reproduce import METRICS, plot_val_curves
from lerac.sweep import accuracy, run_sweep, val_curve
from shared.results import (
    Measurement,
    PaperValue,
    ResultRow,
    Results,
    results_dir,
    stamp,
    write_results,
)

SEEDS = list(range(10))
METHODS = {"conventional": "stress_conventional.yaml", "LeRaC (official)": "stress_lerac.yaml"}
SETTING = "digits, η⁽⁰⁾ 0.4, no warm-up"
NOTES = [
    "`diverged` is the fraction of seeds whose run diverged (its mean over 0/1 values): a "
    "non-finite training loss, or validation accuracy ≤ 15% (chance 10% + 5 points) after epoch 3.",
    "The paper reports no stress test; this one is the spec's proposed secondary check that "
    "LeRaC acts like a layer-wise warm-up.",
]


def diverged(summary: dict) -> dict:
    """A run's ``divergence.json`` report."""
    return json.loads((Path(summary["run_dir"]) / "divergence.json").read_text())


def main() -> None:
    out = results_dir("lerac/stress")
    start = time.perf_counter()
    runs = run_sweep(METHODS, SEEDS)
    reports = {method: [diverged(s) for s in summaries] for method, summaries in runs.items()}
    rows = []
    for method, summaries in runs.items():
        flags = [1.0 if report["diverged"] else 0.0 for report in reports[method]]
        rows.append(
            ResultRow(
                SETTING, method, "diverged", Measurement.from_values(flags, SEEDS), PaperValue()
            )
        )
        for which, metric in METRICS.items():
            values = [accuracy(s, which) for s in summaries]
            rows.append(ResultRow(SETTING, method, metric, Measurement.from_values(values, SEEDS)))
    reasons = {
        method: {
            seed: report
            for seed, report in zip(SEEDS, method_reports, strict=True)
            if report["diverged"]
        }
        for method, method_reports in reports.items()
    }
    notes = [*NOTES, f"Diverged runs (seed: reason): {json.dumps(reasons)}"]
    results = Results(
        "lerac",
        "LeRaC high-learning-rate stress test (digits)",
        rows,
        stamp("make reproduce-lerac-stress", SEEDS, time.perf_counter() - start),
        notes,
    )
    written = write_results(results, out)
    curves = {m: [val_curve(s["run_dir"]) for s in summaries] for m, summaries in runs.items()}
    written.append(plot_val_curves(curves, out / "val_curves.png", SEEDS))
    print(results.to_markdown())
    print("wrote " + ", ".join(str(p) for p in written))


if __name__ == "__main__":
    main()
