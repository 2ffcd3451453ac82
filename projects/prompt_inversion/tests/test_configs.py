"""Every config in configs/ is parsed, instantiated and trained shrunk (tiny random backbones, a
few batches): the embedded ones on a small rendered set, the paper ones on the DiffusionDB
fixture; curriculum configs read a history of the fixture's training set."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from prompt_inversion.curriculum import WEIGHTS
from prompt_inversion.data import DiffusionDBDataModule
from prompt_inversion.model import BACKBONES
from prompt_inversion.predict import load_model
from prompt_inversion.predictions import PREDICTIONS_FILE, read_predictions
from prompt_inversion.testing import write_diffusiondb

from shared.cli import ReproCLI

pytestmark = pytest.mark.slow
CONFIGS = Path(__file__).resolve().parents[1] / "configs"
PAPER = sorted((CONFIGS / "paper").glob("*.yaml"))
SHRINK = ["--trainer.limit_train_batches=1", "--trainer.limit_val_batches=1", "--trainer.limit_test_batches=1",
          "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
          "--trainer.precision=32-true"]  # fmt: skip
FIXTURE_DATA = ["--data.init_args.image_size=32", "--data.init_args.vocab_size=4",
                "--data.init_args.fractions=[0.5, 0.25, 0.25]", "--data.init_args.loader.batch_size=2",
                "--data.init_args.loader.num_workers=0"]  # fmt: skip


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("paper") / "diffusiondb"
    write_diffusiondb(root)
    return root


def fit(config: Path, overrides: list[str]) -> ReproCLI:
    cli = ReproCLI(
        "prompt_inversion", config.stem, args=["--config", str(config), *SHRINK, *overrides]
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return cli


def tiny_backbone(config: Path) -> list[str]:
    name = yaml.safe_load(config.read_text())["model"]["init_args"]["backbone"]["name"]
    return [
        f"--model.init_args.backbone.args={json.dumps(dict(BACKBONES.entry(name).test_kwargs))}"
    ]


@pytest.mark.parametrize("name", ["default", "smoke", "unet"])
def test_embedded_configs_train_on_a_small_rendered_set(name, tmp_path, monkeypatch):
    monkeypatch.setenv("RUNS_ROOT", str(tmp_path / "runs"))
    render = (
        "--data.init_args.render={prompts: 24, images_per_prompt: 2, parts: 2, size: 32, seed: 0}"
    )
    cli = fit(
        CONFIGS / f"{name}.yaml",
        [render, "--data.init_args.vocab_size=8", "--trainer.max_epochs=1"],
    )
    assert cli.trainer.global_step == 1
    assert np.isfinite(cli.trainer.callback_metrics["train/loss_epoch"].item())
    model = load_model(Path(cli.trainer.checkpoint_callback.dirpath) / "last.ckpt")
    assert model.vocabulary == list(cli.datamodule.vocabulary.words) and model.image_size == 32


@pytest.mark.parametrize("config", PAPER, ids=[p.stem for p in PAPER])
def test_paper_configs_train_shrunk(config, fixture_root, tmp_path, monkeypatch):
    monkeypatch.setenv("RUNS_ROOT", str(tmp_path / "runs"))
    spec = yaml.safe_load(config.read_text())
    overrides = [f"--data.init_args.root={fixture_root}", *FIXTURE_DATA, *tiny_backbone(config)]
    curriculum = spec["data"]["init_args"].get("curriculum")
    if curriculum:
        data = DiffusionDBDataModule(
            str(fixture_root), image_size=32, vocab_size=4, fractions=(0.5, 0.25, 0.25)
        )
        data.setup("fit")
        stems = [s.stem for s in data.datasets["train"].samples]
        records = len(WEIGHTS[curriculum["model"]])
        history = tmp_path / "cosine_history.npz"
        np.savez(history, cosines=np.random.default_rng(0).random((len(stems), records)), stems=np.asarray(stems),
                 epochs=np.arange(records))  # fmt: skip
        overrides.append(f"--data.init_args.curriculum.history={history}")
    cli = fit(config, overrides)
    assert cli.trainer.current_epoch == spec["trainer"]["max_epochs"]
    assert cli.model.objective == (
        "joint" if config.stem.endswith(("vocab", "both")) else "vanilla"
    )
    if not curriculum:  # the vanilla runs record one history column per official weight
        model = config.stem.split("_")[0]
        record = np.load(Path(cli.trainer.log_dir) / "cosine_history.npz")
        assert record["cosines"].shape[1] == len(WEIGHTS[model])
    saved = read_predictions(Path(cli.trainer.log_dir) / PREDICTIONS_FILE)  # for the ensemble
    assert saved["test_embeddings"].shape == (len(cli.datamodule.datasets["test"]), 384)
    assert len(saved["train_stems"]) == len(cli.datamodule.datasets["train"])
    if config.stem.startswith("unet"):  # the white-box classifier reads the unit embedding
        assert cli.model.net.classifier_input == "normalized"
    if config.stem == "unet_vocab":  # predict rebuilds the white-box model from its checkpoint
        reloaded = load_model(Path(cli.trainer.checkpoint_callback.dirpath) / "last.ckpt")
        images = torch.rand(2, 3, 32, 32)
        assert torch.equal(reloaded(images)[0], cli.model.eval()(images)[0])
