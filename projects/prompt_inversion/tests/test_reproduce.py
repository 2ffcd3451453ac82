"""The reproduction's pieces: the renderer's label noise, seeded history paths, the two
baselines and the history measures by hand, and the sweep's arm structure."""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
import yaml
from prompt_inversion import reproduce
from prompt_inversion.callbacks import HISTORY_FILE
from prompt_inversion.data import Curriculum, DiffusionDBDataModule
from prompt_inversion.render import (
    MISMATCHED_FILE,
    RenderSettings,
    mismatched_scenes,
    random_scene,
    write_rendered_diffusiondb,
)

from shared.errors import ConfigError

CONFIGS = Path(__file__).parents[1] / "configs"


def test_mismatch_draws_another_colour_and_shape_for_its_share():
    rng = np.random.default_rng(5)
    items = [random_scene(rng) for _ in range(20)]
    drawn = mismatched_scenes(items, RenderSettings(mismatch=0.25))
    assert len(drawn) == 5 and set(drawn) <= set(range(20))
    for index, scene in drawn.items():
        assert scene.colour != items[index].colour and scene.shape != items[index].shape
    assert mismatched_scenes(items, RenderSettings()) == {}


def test_the_rendered_set_records_its_mismatched_images(tmp_path):
    settings = RenderSettings(prompts=10, images_per_prompt=2, parts=1, size=16, mismatch=0.25)
    root = write_rendered_diffusiondb(tmp_path / settings.folder_name, settings)
    names = pq.read_table(root / "metadata.parquet").column("image_name").to_pylist()
    mismatched = json.loads((root / MISMATCHED_FILE).read_text())
    assert len(names) == 20 and len(mismatched) == 5 and set(mismatched) <= set(names)
    assert settings.folder_name.endswith("-16px-s0-mm0.25")
    assert RenderSettings(size=16).folder_name.endswith("-16px-s0")


@pytest.mark.parametrize("share", [-0.1, 1.0])
def test_a_mismatch_share_out_of_range_names_the_field(share):
    with pytest.raises(ConfigError, match=r"render\.mismatch"):
        RenderSettings(mismatch=share)


def test_a_seeded_history_path_reads_the_runs_seed(monkeypatch):
    data = DiffusionDBDataModule(curriculum=Curriculum("runs/seed{seed}.npz"))
    monkeypatch.setenv("PL_GLOBAL_SEED", "3")
    assert data.history_path() == "runs/seed3.npz"
    monkeypatch.delenv("PL_GLOBAL_SEED")
    with pytest.raises(ConfigError, match=r"curriculum\.history"):
        data.history_path()
    assert DiffusionDBDataModule(curriculum=Curriculum("a.npz")).history_path() == "a.npz"


def test_the_baselines_by_hand():
    train = SimpleNamespace(targets=torch.tensor([[1.0, 0.0], [0.0, 1.0]]),
                            images=torch.tensor([[0.0, 0.0], [1.0, 1.0]]))  # fmt: skip
    test = SimpleNamespace(targets=torch.tensor([[1.0, 0.0], [1.0, 1.0]]),
                           images=torch.tensor([[0.1, 0.0], [0.9, 1.0]]))  # fmt: skip
    data = SimpleNamespace(prepare_data=lambda: None, setup=lambda stage: None,
                           datasets={"train": train, "test": test})  # fmt: skip
    cosines = reproduce.baseline_cosines(data)
    # mean [0.5, 0.5]: cosine 1/sqrt(2) with [1, 0] and 1 with [1, 1]
    assert cosines["mean"] == pytest.approx((2**-0.5 + 1.0) / 2)
    # nearest images: train 0 ([1, 0], cosine 1) and train 1 ([0, 1], cosine 1/sqrt(2))
    assert cosines["nearest"] == pytest.approx((1.0 + 2**-0.5) / 2)


def test_the_history_measures_by_hand(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNS_ROOT", str(tmp_path / "runs"))
    stems = [f"img{i}" for i in range(6)]
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    run_dir, root = tmp_path / "run", tmp_path / "data"
    run_dir.mkdir(), root.mkdir()
    np.savez(run_dir / HISTORY_FILE, cosines=np.repeat(scores[:, None], 5, 1),
             stems=np.asarray(stems), epochs=np.arange(7, 12))  # fmt: skip
    (root / MISMATCHED_FILE).write_text(json.dumps(["img1.png", "img5.png"]))
    arm = next(a for a in reproduce.SWEEP.arms if a.key == "vit vanilla")
    run = SimpleNamespace(arm=arm, seed=0, run_dir=run_dir, datamodule=SimpleNamespace(root=root))
    measured = reproduce.history_measures(run)
    # matched 0.9, 0.7, 0.6, 0.5 above mismatched 0.8, 0.4 in 5 of 8 pairs
    assert measured["history/mismatch_auroc"] == pytest.approx(5 / 8)
    assert measured["history/first_stage_mismatched"] == 0.5  # ViT's first stage: 6 // 3
    assert measured["history/mismatched"] == pytest.approx(2 / 6)
    np.testing.assert_allclose(measured["difficulty"], scores, rtol=1e-6)
    filed = tmp_path / "runs" / "prompt_inversion" / "reproduce-histories" / "vit-vanilla"
    assert (filed / "seed0.npz").is_file()


@pytest.mark.parametrize("model", ["vit", "unet"])
def test_every_curriculum_arm_reads_the_history_its_seed_recorded_first(model):
    arms = {a.method: a for a in reproduce.SWEEP.arms if a.key.startswith(f"{model} ")}
    assert list(arms) == ["vanilla", "+ vocabulary", "+ curriculum", "+ both"]
    curriculum = yaml.safe_load((CONFIGS / "reproduce" / f"{model}_curriculum.yaml").read_text())
    named = curriculum["data"]["init_args"]["curriculum"]["history"]
    assert named == f"reproduce-histories/{arms['vanilla'].slug}/seed{{seed}}.npz"
    assert (f"--data.init_args.curriculum.history=reproduce-histories/"
            f"{arms['+ vocabulary'].slug}/seed{{seed}}.npz") in arms["+ both"].overrides  # fmt: skip
    assert reproduce.VANILLA in arms["vanilla"].overrides + arms["+ curriculum"].overrides
    assert reproduce.VANILLA not in arms["+ vocabulary"].overrides + arms["+ both"].overrides
    order = [a.key for a, seed in reproduce.SWEEP.jobs() if seed == 0]
    assert order.index(f"{model} + vocabulary") < order.index(f"{model} + curriculum")


def test_the_ensemble_arms_combine_the_seeds_filed_both_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNS_ROOT", str(tmp_path / "runs"))
    rows = {"vit + both": [[1.0, 0.0], [0.0, 1.0]], "unet + both": [[0.0, 1.0], [1.0, 0.0]]}
    train = np.eye(2)[[0, 1] * 5]
    for key, test in rows.items():
        path = reproduce.filed(reproduce.PREDICTIONS_FOLDER, key, seed=1)
        path.parent.mkdir(parents=True)
        np.savez(path, test_embeddings=np.asarray(test), test_targets=np.eye(2)[[0, 0]],
                 test_stems=np.asarray(["a", "b"]), train_embeddings=train, train_targets=train,
                 train_stems=np.asarray([f"t{i}" for i in range(10)]))  # fmt: skip
    assert path == tmp_path / "runs/prompt_inversion/reproduce-predictions/unet-both/seed1.npz"
    arms = [a for a in reproduce.SWEEP.arms if a.setting == reproduce.ENSEMBLE_SETTING]
    assert [a.method for a in arms] == list(reproduce.ENSEMBLE_ARMS)
    assert all(not a.train and a.seeds == reproduce.UNET_SEEDS for a in arms)
    run = SimpleNamespace(arm=arms[0], seed=1)
    # ViT 0.2 and U-Net 0.4: rows [0.2, 0.4] / 0.6 and [0.4, 0.2] / 0.6 against [1, 0]
    measured = reproduce.measure(run)["last/test/cosine"]
    assert measured == pytest.approx(3 / (2 * np.sqrt(5)))
    with pytest.raises(ConfigError, match=r"kernel\.clusters"):  # 192 centres, 10 images
        reproduce.measure(SimpleNamespace(arm=arms[1], seed=1))
