"""The sweep runner: job order, records, resume, refusal of foreign records, results from records."""

import dataclasses
import json

import numpy as np
import pytest

from shared.results import load_results
from shared.sweep import Arm, Metric, Record, Records, Run, Sweep, build_results, run
from shared.testing.tiny_project import make_tiny_project

ACC = Metric("last/test/acc", "test acc, last epoch (%)", scale=100)


def _record(method, seed, value, commit="c1", date="2026-12-01T00:00:0{}+00:00"):
    return Record(
        arm=method, seed=seed, config_hash="h", code="k", commit=commit, dirty=False,
        date=date.format(seed), wall_time_s=1.5, machine={"cpu": "x", "cores": 2, "threads": 1,
        "torch": "t", "gpu": None}, run_dir=None, values={"last/test/acc": value},
    )  # fmt: skip


def test_jobs_run_seed_by_seed_with_per_arm_seeds():
    sweep = Sweep("p", "t", (Arm("a"), Arm("b", seeds=(0,)), Arm("c")), (0, 1), (ACC,))
    assert [(arm.method, s) for arm, s in sweep.jobs()] == [
        ("a", 0), ("b", 0), ("c", 0), ("a", 1), ("c", 1),
    ]  # fmt: skip
    assert Arm("CE + 0.5 Gini (official)").slug == "ce-0-5-gini-official"


def test_sub_studies_get_run_folders_of_their_own():
    main = Sweep("p", "t", (Arm("conventional"),), (0,), (ACC,))
    stress = Sweep("p", "t", (Arm("conventional"),), (0,), (ACC,), name="p/stress")
    assert main.run_name(main.arms[0]) == "conventional"
    assert stress.run_name(stress.arms[0]) == "stress-conventional"
    assert stress.run_command == "make reproduce-p" and main.results_name == "p"


def test_arms_must_be_told_apart():
    with pytest.raises(ValueError, match=r"\['CE'\] appear twice"):
        Sweep("p", "t", (Arm("CE", setting="a"), Arm("CE", setting="b")), (0,), (ACC,))
    sweep = Sweep("p", "t", (Arm("CE"), Arm("CE", setting="b", name="CE, small")), (0,), (ACC,))
    assert [a.slug for a in sweep.arms] == ["ce", "ce-small"]
    with pytest.raises(ValueError, match="collide"):
        Sweep("p", "t", (Arm("a b"), Arm("a-b")), (0,), (ACC,))


def test_results_come_from_the_records_alone():
    sweep = Sweep("p", "title", (Arm("a"), Arm("b", seeds=(1,))), (0, 1), (ACC,), setting="s")
    records = Records(
        sweep,
        {
            ("a", 0): _record("a", 0, 0.90, "c1"),
            ("a", 1): _record("a", 1, 0.80, "c2"),
            ("b", 1): _record("b", 1, 0.70, "c2"),
        },
    )
    results = build_results(sweep, records)
    a, b = results.rows
    assert (a.method, a.ours.values, a.ours.mean) == ("a", [90.0, 80.0], pytest.approx(85.0))
    assert (b.ours.values, b.ours.seeds) == ([70.0], [1])
    assert results.stamp.run_commits == ["c1", "c2"] and results.stamp.git_commit == "c2"
    assert results.stamp.wall_time_s == 4.5 and results.stamp.date.endswith("01+00:00")
    with pytest.raises(KeyError, match="recorded no 'missing'"):
        records.values(sweep.arms[0], "missing", [0])


def test_a_record_round_trips_with_its_arrays(tmp_path):
    record = _record("a", 0, 0.5)
    record.extras = {"curve": [1.0, 2.0]}
    record.arrays = {"map": np.arange(6, dtype=np.float32).reshape(2, 3)}
    record.save(tmp_path / "a" / "seed0.json")
    loaded = Record.load(tmp_path / "a" / "seed0.json")
    assert loaded.values == record.values and loaded.extras == {"curve": [1.0, 2.0]}
    np.testing.assert_array_equal(loaded.arrays["map"], record.arrays["map"])


def _baseline(run: Run) -> dict:
    if run.arm.train:
        return {"val_curve": run.epoch_curve("val/acc")}
    return {"last/test/acc": 0.25, "scores": np.ones(3)}


@pytest.mark.slow
def test_a_sweep_records_resumes_and_refuses_foreign_records(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path / "results"))
    monkeypatch.delenv("OVERWRITE", raising=False)
    project = make_tiny_project(tmp_path)
    sweep = Sweep(
        "tinyproj", "Tiny sweep", (
            Arm("plain"),
            Arm("slower", overrides=("--model.init_args.optimizer.init_args.lr=0.01",)),
            Arm("baseline", configs=(), seeds=(0,), train=False),
        ), (0, 1), (ACC,), setting="digits 8 px", measure=_baseline, project_root=project,
    )  # fmt: skip
    results = run(sweep)
    out = tmp_path / "results" / "tinyproj"
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0] == "tinyproj: 5 runs, 0 recorded earlier in " + str(out / "records") + ", 5 to run"
    )
    assert lines[1].startswith("[tinyproj 1/5] plain · seed 0 · ") and "left" in lines[1]
    assert [(r.method, len(r.ours.values)) for r in results.rows] == [
        ("plain", 2), ("slower", 2), ("baseline", 1),
    ]  # fmt: skip
    assert results.rows[2].ours.values == [25.0]
    record = json.loads((out / "records" / "plain" / "seed1.json").read_text())
    assert len(record["extras"]["val_curve"]) == 2 and record["run_dir"].endswith("version_1")
    assert not list((tmp_path / "runs").rglob("*.ckpt"))  # measured, then deleted
    assert (out / "records" / "baseline" / "seed0.npz").is_file()
    written = (out / "results.json").read_text()

    run(sweep)  # complete: nothing runs, the same results are written again
    assert "5 recorded earlier" in capsys.readouterr().out
    assert (out / "results.json").read_text() == written

    (out / "records" / "slower" / "seed1.json").unlink()  # an interrupted sweep continues
    run(sweep)
    assert ", 1 to run" in capsys.readouterr().out
    assert (
        load_results(out / "results.json").rows[1].ours.values[0] == results.rows[1].ours.values[0]
    )

    seeded = dataclasses.replace(sweep, arms=(Arm("plain", overrides=("--seed_everything=5",)),))
    monkeypatch.setenv("OVERWRITE", "1")
    with pytest.raises(SystemExit):
        run(seeded)
    assert "list seeds in the arm's `seeds`" in capsys.readouterr().err
    assert (out / "records" / "plain" / "seed0.json").is_file()  # a bad sweep clears nothing
    monkeypatch.delenv("OVERWRITE")
    changed = dataclasses.replace(
        sweep, arms=(Arm("plain", overrides=("--trainer.max_epochs=1",)), *sweep.arms[1:])
    )
    with pytest.raises(SystemExit) as refused:
        run(changed)
    assert refused.value.code == 2
    assert "plain seed 0 was made with another config" in capsys.readouterr().err

    stored = json.loads((out / "records" / "plain" / "seed0.json").read_text())
    (out / "records" / "plain" / "seed0.json").write_text(json.dumps({**stored, "code": "other"}))
    with pytest.raises(SystemExit):
        run(sweep)
    error = capsys.readouterr().err
    assert "plain seed 0 was made at" in error and "by other code" in error
    assert "OVERWRITE=1" in error

    monkeypatch.setenv("OVERWRITE", "1")
    run(sweep)
    assert "0 recorded earlier" in capsys.readouterr().out


def test_a_runs_cells_carry_its_seed_and_provenance():
    sweep = Sweep("p", "title", (Arm("a"),), (0, 1), (ACC,), setting="s")
    stored = {}
    for seed in (0, 1):
        record = _record("a", seed, 0.5)
        record.extras["cells"] = [
            {"coords": {"test": "x"}, "values": {"auc": 0.25 * (seed + 1)}, "ci95": {}}
        ]
        stored["a", seed] = record
    cells = build_results(sweep, Records(sweep, stored)).cells
    assert [(c.seed, c.values["auc"]) for c in cells] == [(0, 0.25), (1, 0.5)]
    assert cells[1].run == {
        "arm": "a", "config_hash": "h", "git_commit": "c1", "wall_seconds": 1.5,
        "machine": "x, 2 cores, 1 thread(s) (torch t)",
    }  # fmt: skip
