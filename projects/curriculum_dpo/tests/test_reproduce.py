"""The reproduction end to end, shrunk to the toy-smoke base, a few steps and one seed."""

from __future__ import annotations

import pytest
from curriculum_dpo import reproduce

from shared.results import load_results
from shared.sweep import Record, run
from shared.testing.sweeps import shrunk


def test_every_arm_names_existing_configs() -> None:
    for arm in reproduce.SWEEP.arms:
        for config in arm.configs:
            assert (reproduce.SWEEP.project_dir / "configs" / config).is_file()


@pytest.mark.slow
def test_reproduction_writes_both_arms_and_its_figure(
    tmp_path, monkeypatch, toy_smoke_overrides
) -> None:
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    results = run(shrunk(reproduce.SWEEP, overrides=tuple(toy_smoke_overrides)))
    methods = [arm.method for arm in reproduce.SWEEP.arms]
    assert [(r.method, r.metric) for r in results.rows] == [
        (m, metric.label) for m in methods for metric in reproduce.METRICS
    ]
    assert all(0 <= r.ours.values[0] <= 1 and r.paper.value is None for r in results.rows)
    record = Record.load(tmp_path / "curriculum_dpo" / "records" / "plain-dpo" / "seed0.json")
    row = load_results(tmp_path / "curriculum_dpo" / "results.json").rows[0]
    assert row.ours.values == [record.values["reward_area"]]
    assert (tmp_path / "curriculum_dpo" / "reward_area.png").stat().st_size > 0
    assert (tmp_path / "curriculum_dpo" / "reward_curves.png").stat().st_size > 0


def test_reward_curves_of_one_arm_must_share_their_steps(tmp_path) -> None:
    import dataclasses

    import numpy as np
    from curriculum_dpo.figures import plot_reward_curves

    from shared.sweep import Records

    sweep = dataclasses.replace(reproduce.SWEEP, arms=reproduce.SWEEP.arms[:1], seeds=(0, 1))
    arm = sweep.arms[0].key

    def record(steps):
        return Record(arm, 0, "h", "k", "c", False, "d", 1.0, {}, None, {},
                      arrays={"reward_curve": np.array([steps, [0.2, 0.4, 0.5]])})  # fmt: skip

    same = Records(sweep, {(arm, 0): record([0, 10, 20]), (arm, 1): record([0, 10, 20])})
    assert plot_reward_curves(same, tmp_path / "ok.png").stat().st_size > 0
    other = Records(sweep, {(arm, 0): record([0, 10, 20]), (arm, 1): record([0, 5, 20])})
    with pytest.raises(ValueError, match="evaluated at other steps"):
        plot_reward_curves(other, tmp_path / "bad.png")
