"""The reproduction's bookkeeping: one row per method and metric, in percent, per seed."""

import pytest
from cbm.reproduce import ABLATIONS, METHODS, METRICS, rows_for


def test_rows_hold_each_seed_in_percent_with_mean_and_sample_std():
    summaries = [
        {
            "last": {"test/acc": 0.90, "test/occluded_acc": 0.50},
            "best": {"test/acc": 0.95, "test/occluded_acc": 0.60},
        },
        {
            "last": {"test/acc": 0.80, "test/occluded_acc": 0.70},
            "best": {"test/acc": 0.85, "test/occluded_acc": 0.40},
        },
    ]
    rows = {row.metric: row for row in rows_for("CBM", summaries, [0, 1])}
    assert list(rows) == list(METRICS)
    last = rows["test acc, last epoch (%)"].ours
    assert last.values == pytest.approx([90.0, 80.0]) and last.mean == pytest.approx(85.0)
    assert last.std == pytest.approx(7.0710678, rel=1e-6)  # sample std of (90, 80)
    assert rows["occluded test acc, best-val epoch (%)"].ours.mean == pytest.approx(50.0)
    assert all(row.paper.value is None for row in rows.values())  # no paper number on digits


def test_every_method_names_an_existing_ablation_config():
    from cbm.reproduce import PROJECT_DIR

    for ablation in [*METHODS.values(), *ABLATIONS.values()]:
        if ablation is not None:
            assert (PROJECT_DIR / "configs" / "ablations" / f"{ablation}.yaml").is_file(), ablation
