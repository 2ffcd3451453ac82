"""The reproduction end to end, shrunk to a few batches, one seed and short videos."""

import pytest
from fast_vad_mae import reproduce

from shared.sweep import run
from shared.testing.sweeps import shrunk

SHORT = (
    "--trainer.max_epochs=2",
    "--trainer.limit_train_batches=2",
    "--trainer.callbacks.init_args.start_ts_epoch=1",
    "--data.init_args.frames=45",
    "--data.init_args.train_videos=1",
    "--data.init_args.test_videos=2",
)


@pytest.mark.slow
def test_reproduction_writes_every_method_baseline_and_figure(tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    results = run(shrunk(reproduce.SWEEP, overrides=SHORT))
    methods = list(dict.fromkeys(r.method for r in results.rows))
    assert methods == [
        "SD-MAE (teacher + student)",
        "SD-MAE paper pixel-map scorer",
        "w/o student (teacher error only)",
        "w/o motion weighting",
        "w/o synthetic anomalies",
        "baseline: motion energy",
        "baseline: pixel z-score",
    ]
    assert all(0 <= r.ours.values[0] <= 100 for r in results.rows)
    for name in ("micro_auc.png", "frame_scores.png", "anomaly_maps.png"):
        assert (tmp_path / "fast_vad_mae" / name).stat().st_size > 0
