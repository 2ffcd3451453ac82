"""Every config in configs/ loads and instantiates, shrunk; a shrunk fit runs each one's checks.

Paper configs read tiny fixtures in each dataset's official on-disk layout through the real
DataModules; backbones are shrunk (CIFAR WRN depth 10; torchvision's WRN-50-2 becomes a ResNet-50
of group width 8, the same 3/4/6/3 blocks and names; a small CvT) and the CvT checkpoint is dropped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from lerac.module import LeRaCClassifier

from shared.cli import ReproCLI
from shared.testing.cifar_fixture import write_cifar_fixture
from shared.testing.image_fixtures import (
    write_food101_fixture,
    write_imagenet200_fixture,
    write_tiny_imagenet_fixture,
)

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
DIGITS = sorted(CONFIGS.glob("*.yaml"))
PAPER = sorted((CONFIGS / "paper").glob("*.yaml"))
FIT = [
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=4",
    "--trainer.limit_val_batches=1",
    "--trainer.limit_test_batches=1",
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lerac-data")
    write_cifar_fixture(root, "cifar10", per_file=4)
    write_cifar_fixture(root, "cifar100", per_file=8)
    write_tiny_imagenet_fixture(root, classes=3, per_class=4, val_per_class=2, size=64)
    write_food101_fixture(root, classes=3, per_class=4, test_per_class=2)
    write_imagenet200_fixture(root, classes=3, per_class=4, val_per_class=2)
    return root


def shrunk_paper_config(path: Path, root: Path, out: Path) -> Path:
    """The paper config on the fixture data, 32 px, batch 2, with a small backbone."""
    config = yaml.safe_load(path.read_text())
    config["data"]["init_args"] |= {"data_root": str(root), "image_size": 32}
    config["data"]["init_args"]["loader"] |= {"batch_size": 2}
    backbone = config["model"]["init_args"]["backbone"]
    backbone.setdefault("args", {})
    if backbone["name"] == "wrn":
        backbone["args"] |= {"depth": 10, "widen_factor": 1}
    if backbone["name"] == "torchvision_wide_resnet50_2":  # same blocks and names, narrower
        backbone["args"] |= {"width_per_group": 8}
    if backbone["name"] == "cvt13":
        backbone["args"] |= {
            "image_size": 32,
            "embed_dim": [8, 16, 24],
            "depth": [1, 2, 3],
            "num_heads": [1, 2, 3],
            "pretrained": None,
        }
    target = out / path.name
    target.write_text(yaml.safe_dump(config))
    return target


def build(path: Path, extra: list[str], monkeypatch) -> ReproCLI:
    monkeypatch.setattr(sys, "argv", ["train.py"])
    return ReproCLI("lerac", path.stem, args=["--config", str(path), *extra])


def test_every_paper_row_has_three_methods():
    stems = {p.stem.rsplit("_", 1)[0] for p in PAPER}
    assert len(stems) == 19  # 5 ResNet-18 + 5 WRN + 5 CvT scratch + 4 CvT pretrained
    for stem in stems:
        assert {p.stem for p in PAPER if p.stem.startswith(stem + "_")} >= {
            f"{stem}_{m}" for m in ("conventional", "cbs", "lerac")
        }


@pytest.mark.parametrize("path", DIGITS, ids=[p.stem for p in DIGITS])
def test_digits_configs_instantiate(path, monkeypatch):
    cli = build(path, [], monkeypatch)
    assert cli.datamodule.num_classes == cli.model.num_classes == 10
    if isinstance(cli.model, LeRaCClassifier):
        rates = cli.model.start_rates()
        assert rates["stem"] == cli.model.optimizer.keywords["lr"]
        assert rates["layer4.0"] < rates["layer1.0"] < rates["stem"]


@pytest.mark.parametrize("path", PAPER, ids=[p.stem for p in PAPER])
def test_paper_configs_instantiate(path, data_root, tmp_path, monkeypatch):
    cli = build(shrunk_paper_config(path, data_root, tmp_path), [], monkeypatch)
    if isinstance(cli.model, LeRaCClassifier):
        groups = cli.model.parameter_groups()
        assert sum(len(g["params"]) for g in groups) == len(list(cli.model.backbone.parameters()))


@pytest.mark.slow
@pytest.mark.parametrize("path", DIGITS + PAPER, ids=[p.stem for p in DIGITS + PAPER])
def test_configs_fit_shrunk(path, data_root, tmp_path, monkeypatch):
    if path.parent.name == "paper":
        path = shrunk_paper_config(path, data_root, tmp_path)
    cli = build(path, FIT, monkeypatch)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert cli.trainer.global_step == 4
    assert (Path(cli.trainer.log_dir) / "lr_trajectory.csv").is_file()
