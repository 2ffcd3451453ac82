"""Both reproductions end to end, shrunk to one seed and a few batches."""

from __future__ import annotations

import pytest
from lerac import reproduce, reproduce_stress

from shared.results import load_results
from shared.sweep import run
from shared.testing.sweeps import shrunk

FEW_BATCHES = (
    "--trainer.max_epochs=2",
    "--trainer.limit_train_batches=3",
    "--trainer.limit_val_batches=1",
    "--trainer.limit_test_batches=1",
)


@pytest.mark.slow
def test_reproduction_writes_every_row_and_figure(monkeypatch, tmp_path):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    results = run(shrunk(reproduce.SWEEP, overrides=FEW_BATCHES))
    methods = ["conventional", "CBS", "LeRaC (official)", "LeRaC (paper)"]
    assert [r.method for r in results.rows] == [m for m in methods for _ in reproduce.ACCURACY]
    assert all(len(r.ours.values) == 1 and 0 <= r.ours.mean <= 100 for r in results.rows)
    assert all(r.paper.value is None for r in results.rows)
    assert (
        load_results(tmp_path / "lerac" / "results.json").rows[0].metric
        == "test acc, last epoch (%)"
    )
    for name in ("test_acc_last.png", "test_acc_best.png", "val_curves.png", "lr_trajectories.png"):
        assert (tmp_path / "lerac" / name).stat().st_size > 0


@pytest.mark.slow
def test_stress_counts_divergence(monkeypatch, tmp_path):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    sweep = shrunk(
        reproduce_stress.SWEEP,
        overrides=("--trainer.max_epochs=3", "--data.init_args.train_per_class=20"),
    )
    results = run(sweep)
    flags = [r for r in results.rows if r.metric == "diverged"]
    assert len(flags) == 2 and all(f.ours.values[0] in (0.0, 1.0) for f in flags)
    assert any("Diverged runs" in note for note in results.notes)
    assert (tmp_path / "lerac" / "stress" / "val_curves.png").stat().st_size > 0
