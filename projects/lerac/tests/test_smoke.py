"""Spec check 9: the smoke config trains two epochs through the real CLI; its lr log shows the
official ×10 step at the epoch boundary (confirming the hook order the other tests simulate)
and the loss stays finite."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import pytest

from shared.cli import main

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_smoke_run_logs_the_curriculum(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["train.py"])
    summary = main(PROJECT, ["--config", str(PROJECT / "configs" / "smoke.yaml")])
    run = Path(summary["run_dir"])
    with (run / "lr_trajectory.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    first, second = rows[0], rows[1]
    assert (first["epoch"], first["batch"], second["epoch"], second["batch"]) == (
        "1",
        "1",
        "2",
        "1",
    )
    assert second["step"] == "4"  # 20 digits per class, batch 64: 4 steps per epoch
    starts = {
        "stem": 0.1,
        "layer1.0": 1e-2,
        "layer2.0": 1e-3,
        "layer3.0": 1e-4,
        "layer4.0": 1e-5,
        "classifier": 1e-4,
    }
    for name, value in starts.items():
        assert math.isclose(float(first[name]), value, rel_tol=1e-9)
        assert math.isclose(float(second[name]), min(0.1, value * 10), rel_tol=1e-9), name
    with (run / "metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    losses = [float(r["train/loss_step"]) for r in rows if r.get("train/loss_step")]
    assert len(losses) == 8 and all(math.isfinite(v) for v in losses)
    assert len([r for r in rows if r.get("train/loss_epoch")]) == 2  # and one mean per epoch
    assert (run / "lr_trajectory.png").stat().st_size > 0
    assert summary["last"]["test/acc"] > 0


@pytest.mark.slow
def test_resumed_run_keeps_the_curriculum(monkeypatch):
    """Stopping after epoch 2 and resuming gives the same per-block rates as one straight run
    (the end-of-epoch update must survive the checkpoint taken at the end of epoch 2)."""
    monkeypatch.setattr(sys, "argv", ["train.py"])
    config = ["--config", str(PROJECT / "configs" / "smoke.yaml")]

    def trajectory(run_dir: str) -> list[tuple[str, ...]]:
        with (Path(run_dir) / "lr_trajectory.csv").open() as handle:
            rows = list(csv.reader(handle))[1:-1]  # drop the closing row (end-of-fit marker)
        return [tuple(r) for r in rows]

    straight = main(PROJECT, [*config, "--trainer.max_epochs=4"])
    main(PROJECT, [*config, "--trainer.max_epochs=2"])
    resumed = main(PROJECT, [*config, "--trainer.max_epochs=4", "--resume"])
    assert trajectory(resumed["run_dir"]) == trajectory(straight["run_dir"])
    assert len(trajectory(straight["run_dir"])) == 4  # epoch starts 1-4: the ×10 steps
