"""The reproduction end to end, shrunk to one batch and one seed."""

import pytest

from shared.sweep import run
from shared.testing.sweeps import shrunk
from deepfake_bench import reproduce


@pytest.mark.slow
def test_reproduction_writes_its_rows_and_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    results = run(shrunk(reproduce.SWEEP))
    assert all(0 <= row.ours.values[0] <= 100 for row in results.rows)
    assert (tmp_path / "deepfake_bench" / "test_acc_last.png").stat().st_size > 0
