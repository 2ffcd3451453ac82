"""Every config in configs/ is parsed, instantiated and trained for one batch, shrunk; paper
configs on tiny fixtures written in each dataset's official on-disk layout."""

from pathlib import Path

import pytest
from cbm.callbacks import MaskingCurriculum
from cbm.data import SaliencyDataModule
from cbm.module import CBMClassifier

from shared.cli import ReproCLI
from shared.errors import ConfigError
from shared.models.cvt import CvT13
from shared.testing.cifar_fixture import write_cifar_fixture
from shared.testing.image_fixtures import (
    write_flat_image_folder_fixture,
    write_food101_fixture,
    write_image_folder_fixture,
    write_tiny_imagenet_fixture,
)

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
DEFAULT = CONFIGS / "default.yaml"
PAPER = sorted((CONFIGS / "paper").glob("*.yaml"))
ABLATIONS = sorted((CONFIGS / "ablations").glob("*.yaml"))
FIXTURE_CLASSES = 3
ONE_BATCH = [
    "--trainer.limit_train_batches=1",
    "--trainer.limit_val_batches=1",
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
]
SHRINK_BACKBONE = {
    "resnet18": ["--model.init_args.backbone.args.widths=[4, 8, 8, 8]"],
    "wrn": [
        "--model.init_args.backbone.args.depth=10",
        "--model.init_args.backbone.args.widen_factor=1",
    ],
    "cvt13": [
        "--model.init_args.backbone.args.embed_dim=[8, 16, 24]",
        "--model.init_args.backbone.args.depth=[1, 2, 3]",
        "--model.init_args.backbone.args.num_heads=[1, 2, 3]",
    ],
}


def write_fixture(dataset: str, root: Path) -> list[str]:
    """Write the dataset's fixture under ``root``; return the overrides its class count needs.

    Tiny ImageNet and Food-101 keep their official class counts (the fixture uses a few of the
    classes); an image folder's count is read from its folders, so the config must follow it
    (the model takes it from the data).
    """
    folder_classes = [f"--data.init_args.data.init_args.num_classes={FIXTURE_CLASSES}"]
    if dataset in ("cifar10", "cifar100"):
        write_cifar_fixture(root, dataset, per_file=8)
        return []
    if dataset == "tiny_imagenet":
        write_tiny_imagenet_fixture(root, classes=FIXTURE_CLASSES)
        return []
    if dataset == "food101":
        write_food101_fixture(root, classes=FIXTURE_CLASSES)
        return []
    if dataset == "sea_animals":
        write_flat_image_folder_fixture(root / "sea_animals", counts=(10, 10, 10))
        return folder_classes
    folder = {"sport_balls": "sport_balls", "ahe": "architectural_heritage_elements"}[dataset]
    write_image_folder_fixture(root / folder)
    return folder_classes


def fit_one_batch(files: list[Path], overrides: list[str]) -> ReproCLI:
    args = [arg for file in files for arg in ("--config", str(file))] + ONE_BATCH + overrides
    cli = ReproCLI("cbm", files[-1].stem, args=args)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return cli


@pytest.mark.slow
@pytest.mark.parametrize("config", PAPER, ids=[p.stem for p in PAPER])
def test_paper_config_trains_one_batch_shrunk(config: Path, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    arch, dataset = config.stem.split("_", 1)
    overrides = write_fixture(dataset, tmp_path / "data")
    overrides += SHRINK_BACKBONE[arch] + [
        "--trainer.max_epochs=1",
        f"--data.init_args.data.init_args.data_root={tmp_path / 'data'}",
        "--data.init_args.data.init_args.loader.batch_size=4",
        f"--data.init_args.cache_dir={tmp_path / 'cache'}",
    ]
    if arch == "cvt13":  # random init: the pretrained weights cannot be downloaded here
        # (jsonargparse turns a command-line `null` for `str | None` into "None", so edit a copy)
        text = config.read_text().replace("pretrained: microsoft/cvt-13", "pretrained: null")
        config = tmp_path / config.name
        config.write_text(text)
    cli = fit_one_batch([config], overrides)
    assert isinstance(cli.model, CBMClassifier) and isinstance(cli.datamodule, SaliencyDataModule)
    curriculum = next(c for c in cli.trainer.callbacks if isinstance(c, MaskingCurriculum))
    assert curriculum.ratios[0] in (0.07, 0.10)  # the official "40" or "60" cycle starts there
    assert cli.datamodule.probs is not None and cli.datamodule.probs.shape[1] == 16
    assert cli.trainer.global_step == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "config", [DEFAULT, CONFIGS / "smoke.yaml", *ABLATIONS], ids=lambda p: p.stem
)
def test_digits_config_trains_one_batch(config: Path, tmp_path):
    files = [config] if config.parent == CONFIGS else [DEFAULT, config]
    overrides = ["--trainer.max_epochs=8", f"--data.init_args.cache_dir={tmp_path}"]
    cli = fit_one_batch(files, overrides)
    assert cli.trainer.global_step == 8
    curriculum = next(c for c in cli.trainer.callbacks if isinstance(c, MaskingCurriculum))
    assert len(curriculum.ratios) == 8


def test_ablation_files_change_only_what_they_name(tmp_path):
    base = ReproCLI(
        "cbm", "default", args=["--config", str(DEFAULT), f"--data.init_args.cache_dir={tmp_path}"]
    )
    files = ["--config", str(DEFAULT), "--config", str(CONFIGS / "ablations" / "random.yaml")]
    random = ReproCLI("cbm", "random", args=files)
    assert base.model.probs_source == "sobel" and random.model.probs_source == "uniform"
    for cli in (base, random):
        assert cli.model.lr_scheduler.keywords["milestones"] == [8, 12]
    patches = ReproCLI(
        "cbm",
        "patches8",
        args=["--config", str(DEFAULT), "--config", str(CONFIGS / "ablations" / "patches8.yaml")],
    )
    assert patches.model.masking.patches == patches.datamodule.patches == 8


@pytest.mark.slow
def test_cvt_rows_say_clearly_that_the_pretrained_weights_are_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache, whatever this machine holds
    cvt_rows = [p for p in PAPER if p.stem.startswith("cvt13")]
    assert len(cvt_rows) == 7
    for config in cvt_rows:
        text = config.read_text()
        assert "pretrained: microsoft/cvt-13" in text and "without them" in text, config
    with pytest.raises(ConfigError, match=r"(?s)pretrained.*CvT-13-224x224-IN-1k\.pth"):
        CvT13(num_classes=10, pretrained="microsoft/cvt-13")


def test_a_bad_choice_names_the_field_and_the_allowed_values(capsys):
    from shared.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(CONFIGS.parent, ["--model.init_args.probs_source=sobell"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith(
        "error: the configuration was rejected: Config field `model.init_args.probs_source` is "
        "'sobell', expected one of 'sobel', 'sobel_online', 'uniform'."
    )
