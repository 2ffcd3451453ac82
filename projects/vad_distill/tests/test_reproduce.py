"""The reproduction end to end, shrunk (one seed, one batch per epoch, short videos), and its
declaration: arms on existing configs, the baselines scored as the student is."""

from pathlib import Path

import pytest
from vad_distill import reproduce

from shared.cli import ReproCLI
from shared.sweep import Record, run
from shared.testing.sweeps import shrunk

PROJECT = Path(__file__).resolve().parents[1]
SHORT = (  # 3 auto-encoder epochs + 1 distillation epoch (w/o AE pre-training: 4), one batch each
    "--trainer.max_epochs=4",
    "--trainer.limit_train_batches=1",
    "--trainer.limit_val_batches=1",
    "--data.init_args.frames=40",
    "--data.init_args.train_videos=3",
    "--data.init_args.test_videos=2",
    "--data.init_args.pseudo_anomalies=1",
    "--data.init_args.loader={batch_size: 16, num_workers: 0}",
)


def test_every_arm_names_existing_configs():
    for arm in reproduce.SWEEP.arms:
        assert arm.configs and all((PROJECT / "configs" / c).is_file() for c in arm.configs)
    official = reproduce.SWEEP.arms[0]
    assert official.key == reproduce.OFFICIAL and official.configs == ("default.yaml",)
    assert official.overrides == (reproduce.CACHE,)  # python train.py, phase 1 shared
    assert reproduce.SWEEP.seeds == (0, 1, 2)
    assert all(arm.seeds == (0,) for arm in reproduce.SWEEP.arms[1:])


def test_baselines_are_scored_with_the_default_configs_filter_and_convention():
    args = ["--config", str(PROJECT / "configs" / "default.yaml")]
    model = ReproCLI(PROJECT.name, "default", instantiate=False, args=args).config.model
    support = model.init_args.filter_support
    assert (support, model.init_args.filter_sigma) == (reproduce.DEMO_POST.support, 3.0)
    assert model.init_args.macro_convention == reproduce.MACRO
    assert model.init_args.adversarial_mode == "official"


@pytest.mark.slow
def test_reproduction_writes_every_row_record_view_and_figure(tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path / "results"))
    monkeypatch.setenv("RUNS_ROOT", str(tmp_path / "runs"))
    results = run(shrunk(reproduce.SWEEP, overrides=SHORT))

    methods = list(dict.fromkeys(r.method for r in results.rows))
    assert methods == [
        "student MIX, official adversarial mode",
        "student S (1x1 head)",
        "student M (max of the 4x4 map)",
        "student L (max of the 16x16 map)",
        "teacher: motion",
        "teacher: appearance",
        "teachers' sum (the ensemble)",
        "student MIX, standard GAN update",
        "student MIX, w/o adversarial term",
        "student MIX, w/o AE pre-training",
        "baseline: motion energy",
        "baseline: pixel z-score",
    ]
    assert {r.metric for r in results.rows} == {m.label for m in reproduce.METRICS}
    assert all(0 <= r.ours.values[0] <= 100 for r in results.rows)
    assert all(r.paper.value is None for r in results.rows)

    out = tmp_path / "results" / "vad_distill"
    records = {p.parent.name: Record.load(p) for p in (out / "records").glob("*/seed0.json")}
    assert len(records) == 6
    phase1 = {name: r.extras["phase1"] for name, r in records.items() if "phase1" in r.extras}
    cache = phase1["official-adversarial-mode"].removeprefix("trained, cached as ")
    assert cache.endswith(".pt")
    assert phase1["standard-gan-update"] == phase1["w-o-adversarial-term"] == f"loaded from {cache}"
    assert phase1["w-o-ae-pre-training"] == "none"
    official = records["official-adversarial-mode"]
    for key in ("L/rbdc", "L/tbdc", "S/spread", "fps_batch1", "fps_batch32", "teachers/micro_auc"):
        assert key in official.values
    assert official.values["fps_batch1"] > 0
    assert {"labels", "curve/MIX", "curve/teachers"} <= set(official.arrays)

    regions = {c.coords["method"] for c in results.cells if c.coords["view"] == "regions"}
    assert {"baseline: motion energy", "student L, w/o AE pre-training"} <= regions
    markdown = (out / "results.md").read_text()
    for view in reproduce.VIEWS:
        assert view.title in markdown
    bar = [n for n in results.notes if n.startswith("Spec §11.3 bar")]
    assert bar[0].startswith("Spec §11.3 bar, official adversarial mode: met in ")
    assert len(bar) == 1 + 4 and all(("met" in n) or ("missed" in n) for n in bar)
    for name in ("micro_auc.png", "frame_scores.png"):
        assert (out / name).stat().st_size > 0
