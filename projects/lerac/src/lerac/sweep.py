"""Run configs × seeds in one process through the project's CLI and read back what they wrote."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from shared.cli import main

PROJECT_DIR = Path(__file__).resolve().parents[2]
CONFIGS = PROJECT_DIR / "configs"


def run_sweep(
    configs: dict[str, str], seeds: list[int], extra: list[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """``{method: [run summary per seed]}`` for ``{method: config file name}``; ``extra`` are
    command-line overrides added to every run."""
    summaries: dict[str, list[dict[str, Any]]] = {method: [] for method in configs}
    for seed in seeds:  # seeds outermost, so an interrupted sweep still compares like with like
        for method, name in configs.items():
            print(f"[lerac] {method} seed {seed}", flush=True)
            args = ["--config", str(CONFIGS / name), "--seed_everything", str(seed)]
            args += ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
            args += extra or []
            summary = main(PROJECT_DIR, args)
            if summary is None:
                raise RuntimeError(f"{method} (seed {seed}) produced no result")
            summaries[method].append(summary)
    return summaries


def accuracy(summary: dict[str, Any], which: str) -> float:
    """Test accuracy in percent at the last (``"last"``) or best-validation (``"best"``) epoch."""
    return 100.0 * float(summary[which]["test/acc"])


def val_curve(run_dir: str | Path) -> list[float]:
    """Validation accuracy (%) after each epoch, from the run's ``metrics.csv``."""
    with (Path(run_dir) / "metrics.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("val/acc")]
    return [100.0 * float(r["val/acc"]) for r in sorted(rows, key=lambda r: int(r["epoch"]))]
