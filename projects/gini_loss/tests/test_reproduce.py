"""The reproduction pipeline end to end, shrunk to one batch per epoch and one seed."""

import json
import os

import pytest
from gini_loss.reproduce import ARMS, METRICS, reproduce, run_one


@pytest.mark.slow
def test_reproduce_writes_every_row_the_figure_and_the_paired_notes(tmp_path):
    shrink = [
        "--threads=1",
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=1",
        "--trainer.limit_val_batches=1",
        "--trainer.limit_test_batches=1",
        "--model.init_args.start_epoch=1",
    ]
    results = reproduce([0], shrink, tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert len(data["rows"]) == len(ARMS) * len(METRICS)
    by_key = {(r["setting"], r["method"], r["metric"]): r["ours"] for r in data["rows"]}
    for arm in ARMS:
        gini = by_key[arm.setting, arm.method, METRICS["gini_test"]]["values"][0]
        assert 0 < gini < 100
        assert 0 <= by_key[arm.setting, arm.method, METRICS["probe"]]["values"][0] <= 100
    # with the terms on from the first step, the two arms of a setting train differently
    full_ce, full_loss = ARMS[0], ARMS[1]
    assert (
        by_key[full_ce.setting, full_ce.method, METRICS["gini_train"]]["values"]
        != by_key[full_loss.setting, full_loss.method, METRICS["gini_train"]]["values"]
    )
    assert all(p.stat().st_size > 0 for p in tmp_path.glob("*.png"))
    assert {p.name for p in tmp_path.glob("*.png")} == {
        "accuracy.png",
        "feature_gini.png",
        "filter_class_distributions.png",
    }
    assert sum("minus CE" in note for note in results.notes) == 2 * 4  # 4 loss arms x 2 metrics


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("GINI_LOSS_MECHANISM") != "1",
    reason="spec check 7, off the default CI path (about 2 minutes): set GINI_LOSS_MECHANISM=1",
)
def test_mechanism_train_feature_gini_is_lower_with_the_loss_over_three_seeds():
    """Direction only (the spec's pilot difference was small): 10 epochs, lambda_G = 0.5."""
    ce, loss = ARMS[0], ARMS[1]
    assert (ce.lambda_gini, loss.lambda_gini) == (0.0, 0.5)
    shrink = ["--threads=1", "--trainer.max_epochs=10"]
    means = {}
    for arm in (ce, loss):
        values = [run_one(arm, seed, shrink)[0]["gini_train"] for seed in (0, 1, 2)]
        means[arm.method] = sum(values) / len(values)
    assert means[loss.method] < means[ce.method]
