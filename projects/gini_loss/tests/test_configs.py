"""Every config is instantiated and trained, shrunk, on fixture data in the official on-disk
formats (CIFAR-100 pickles, the Caltech-101 folder tree); the official recipe is checked as written."""

import math
from pathlib import Path

import pytest
import yaml

from shared.cli import main
from shared.testing.cifar_fixture import write_cifar_fixture
from shared.testing.image_fixtures import write_caltech101_fixture

PROJECT_DIR = Path(__file__).resolve().parents[1]
CONFIGS = sorted((PROJECT_DIR / "configs").rglob("*.yaml"))
BACKBONE = "--model.init_args.backbone.args"
SHRINK = {
    "digits_resnet": [],
    "cifar_resnet": [f"{BACKBONE}.widths=[4,4,8,8]", f"{BACKBONE}.blocks=[1,1,1,1]"],
    "discern_resnet50": [f"{BACKBONE}.width=4", f"{BACKBONE}.blocks=[1,1,1,1]"],
    "cvt13": [
        f"{BACKBONE}.embed_dim=[8,16,24]",
        f"{BACKBONE}.depth=[1,2,3]",
        f"{BACKBONE}.num_heads=[1,2,3]",
        f"{BACKBONE}.image_size=32",
    ],
}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    write_cifar_fixture(root, "cifar100", per_file=1300)  # 8% validation >= one per class
    write_caltech101_fixture(root, classes=3, per_class=10)
    return root


def load(name: str) -> dict:
    return yaml.safe_load((PROJECT_DIR / "configs" / name).read_text())


def test_official_resnet50_recipe_is_written_as_in_the_official_script():
    config = load("paper/cifar100_resnet50.yaml")
    model, data = config["model"]["init_args"], config["data"]["init_args"]
    assert config["model"]["class_path"] == "gini_loss.module.DiscErnClassifier"
    assert model["backbone"] == {"name": "discern_resnet50", "args": {"dropout": 0.4}}
    assert (model["taps"], model["lambdas_gini"], model["lambdas_kl"]) == (["conv5"], [0.5], [0.5])
    assert (model["start_epoch"], model["target"]) == (10, "batch")
    assert model["optimizer"] == {
        "class_path": "torch.optim.SGD",
        "init_args": {"lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4},
    }
    assert model["lr_scheduler"] == {
        "class_path": "torch.optim.lr_scheduler.MultiStepLR",
        "init_args": {"milestones": [60, 120, 160, 200], "gamma": 0.2},
    }
    assert config["trainer"]["max_epochs"] == 250
    assert (data["loader"]["batch_size"], round(50_000 * data["val_fraction"])) == (200, 4000)
    assert (data["mean"], data["std"], data["crop_padding"]) == ([0.0] * 3, [1.0] * 3, 4)


def test_default_is_the_digits_protocol_with_the_issue_settings():
    model = load("default.yaml")["model"]["init_args"]
    assert model["backbone"] == {"name": "digits_resnet"}
    assert (model["taps"], model["lambdas_gini"], model["lambdas_kl"]) == (["layer4"], [0.5], [0.5])
    milestones = model["lr_scheduler"]["init_args"]["milestones"]
    assert (model["start_epoch"], milestones) == (3, [8, 12])


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_config_trains_shrunk_on_fixture_data(config: Path, data_root: Path):
    raw = yaml.safe_load(config.read_text())
    backbone = raw["model"]["init_args"].get("backbone", {"name": "digits_resnet"})["name"]
    data_class = raw["data"]["class_path"]
    args = [
        "--config", str(config),
        "--threads=1",
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=2",
        "--trainer.limit_val_batches=1",
        "--trainer.limit_test_batches=1",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        "--model.init_args.start_epoch=1",
        "--data.init_args.loader.batch_size=16",
        *SHRINK[backbone],
    ]  # fmt: skip
    if "digits" not in data_class:
        args += [f"--data.init_args.data_root={data_root}", "--data.init_args.image_size=32"]
    summary = main(PROJECT_DIR, args)
    assert summary is not None and summary["epochs"] == 1
    for split in ("last", "best"):
        assert 0.0 <= summary[split]["test/acc"] <= 1.0
        assert 0.0 <= summary[split]["test/feature_gini"] <= 1.0


@pytest.mark.slow
def test_smoke_run_logs_all_terms_and_the_total_is_the_ce_during_warm_up():
    import csv

    summary = main(PROJECT_DIR, ["--config", str(PROJECT_DIR / "configs" / "smoke.yaml")])
    rows = list(csv.DictReader((Path(summary["run_dir"]) / "metrics.csv").open()))
    steps = [r for r in rows if r.get("train/loss_step")]
    assert len(steps) == 8  # 2 epochs x 4 batches, logged every step
    assert len([r for r in rows if r.get("train/gini_epoch")]) == 2  # and each term per epoch
    for row in steps:
        loss, ce, gini, kl = (float(row[f"train/{k}_step"]) for k in ("loss", "ce", "gini", "kl"))
        assert all(map(math.isfinite, (loss, ce, gini, kl))) and 0 < gini < 1
        if int(row["epoch"]) == 0:  # start_epoch 2: epoch 1 (1-based) is pure CE
            assert loss == pytest.approx(ce, rel=1e-6)
        else:
            assert loss == pytest.approx(ce + 0.5 * gini + 0.5 * kl, rel=1e-5)
