"""The reproduction scripts end to end on the smoke config: results written, never overwritten."""

from __future__ import annotations

import json
import sys

import pytest
from lerac import reproduce, reproduce_stress

from shared.results import ResultsExistError, load_results


@pytest.mark.slow
def test_reproduce_writes_results_and_refuses_to_overwrite(monkeypatch, tmp_path):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    monkeypatch.delenv("OVERWRITE", raising=False)
    monkeypatch.setattr(sys, "argv", ["reproduce"])
    monkeypatch.setattr(reproduce, "SEEDS", [0])
    monkeypatch.setattr(
        reproduce, "METHODS", {"LeRaC (official)": "smoke.yaml", "LeRaC (paper)": "smoke.yaml"}
    )
    reproduce.main()
    results = load_results(tmp_path / "lerac" / "results.json")
    assert [r.method for r in results.rows] == ["LeRaC (official)", "LeRaC (paper)"] * 2
    assert all(len(r.ours.values) == 1 and 0 <= r.ours.mean <= 100 for r in results.rows)
    assert all(r.paper.value is None for r in results.rows)
    for name in ("test_acc_last.png", "test_acc_best.png", "val_curves.png", "lr_trajectories.png"):
        assert (tmp_path / "lerac" / name).stat().st_size > 0
    with pytest.raises(ResultsExistError):
        reproduce.main()


@pytest.mark.slow
def test_stress_counts_divergence(monkeypatch, tmp_path):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["reproduce_stress"])
    monkeypatch.setattr(reproduce_stress, "SEEDS", [0])
    monkeypatch.setattr(reproduce_stress, "METHODS", {"conventional": "stress_conventional.yaml"})
    monkeypatch.setattr(
        reproduce_stress,
        "run_sweep",
        lambda configs, seeds: reproduce.run_sweep(
            configs, seeds, ["--trainer.max_epochs=3", "--data.init_args.train_per_class=20"]
        ),
    )
    reproduce_stress.main()
    data = json.loads((tmp_path / "lerac" / "stress" / "results.json").read_text())
    flags = [r for r in data["rows"] if r["metric"] == "diverged"]
    assert len(flags) == 1 and flags[0]["ours"]["values"][0] in (0.0, 1.0)
