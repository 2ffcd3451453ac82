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
        losses = [float(r["train/loss"]) for r in csv.DictReader(handle) if r.get("train/loss")]
    assert len(losses) == 8 and all(math.isfinite(v) for v in losses)
    assert (run / "lr_trajectory.png").stat().st_size > 0
    assert summary["last"]["test/acc"] > 0
