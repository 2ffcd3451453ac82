"""Both reproductions end to end, shrunk to one batch per epoch and one seed."""

import pytest
from cbm import reproduce, reproduce_ablations

from shared.results import load_results
from shared.sweep import Record, run
from shared.testing.sweeps import shrunk


def test_every_arm_names_existing_configs():
    for sweep in (reproduce.SWEEP, reproduce_ablations.SWEEP):
        for arm in sweep.arms:
            for config in arm.configs:
                assert (sweep.project_dir / "configs" / config).is_file(), (arm.method, config)


@pytest.mark.slow
def test_reproduction_writes_every_row_in_percent_and_its_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    monkeypatch.setenv("DATA_ROOT", str(tmp_path / "data"))  # the saliency cache
    results = run(shrunk(reproduce.SWEEP))
    methods = ["conventional", "CBM (Sobel, linear repeat)", "random masking"]
    assert [(r.method, r.metric) for r in results.rows] == [
        (m, metric.label) for m in methods for metric in reproduce.METRICS
    ]
    assert all(0 <= r.ours.values[0] <= 100 and r.paper.value is None for r in results.rows)
    record = Record.load(tmp_path / "cbm" / "records" / "random-masking" / "seed0.json")
    row = load_results(tmp_path / "cbm" / "results.json").rows[-1]  # random masking, occluded best
    assert row.ours.values == [100 * record.values["best/test/occluded_acc"]]
    for name in ("test_acc_last.png", "occluded_acc_last.png", "masked_samples.png"):
        assert (tmp_path / "cbm" / name).stat().st_size > 0
