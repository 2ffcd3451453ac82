"""Every config in configs/ is parsed by the repository CLI and run, shrunk, in-process."""

from pathlib import Path

import pytest

from shared.cli import ReproCLI
from shared.testing.vad_fixtures import write_aedmae_fixture

PROJECT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((PROJECT / "configs").rglob("*.yaml"))
SHRINK = [
    "--trainer.max_epochs=2",
    "--trainer.limit_train_batches=1",
    "--trainer.limit_val_batches=1",
    "--trainer.enable_progress_bar=false",
]


def test_every_config_is_covered():
    assert {p.relative_to(PROJECT / "configs").as_posix() for p in CONFIGS} >= {
        "default.yaml",
        "smoke.yaml",
        "paper/avenue.yaml",
        "paper/shanghaitech.yaml",
        "paper/ped2.yaml",
        "paper/ubnormal.yaml",
    }


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda p: p.relative_to(PROJECT / "configs").as_posix()
)
def test_config_runs_shrunk(config, tmp_path):
    args = ["--config", str(config), *SHRINK]
    if config.parent.name == "paper":
        write_aedmae_fixture(tmp_path / "data", tmp_path / "gt")
        args += [
            "--model.init_args.preset_name=tiny",
            "--model.init_args.img_size=[64, 64]",
            f"--data.init_args.data_root={tmp_path / 'data'}",
            f"--data.init_args.gt_root={tmp_path / 'gt'}",
            "--data.init_args.img_size=[64, 64]",
            "--data.init_args.loader={batch_size: 4, num_workers: 0}",
        ]
    else:
        args += [
            "--data.init_args.frames=30",
            "--data.init_args.train_videos=1",
            "--data.init_args.test_videos=1",
        ]
    cli = ReproCLI(PROJECT.name, config.stem, args=args)
    summary = cli.fit_and_test()
    assert 0.0 <= summary["last"]["test/micro_auc"] <= 1.0
    if config.parent.name == "paper":
        assert cli.model.hparams.select_on_test is False
        settings = cli.model.optimizer.keywords
        assert (settings["lr"], settings["betas"], settings["weight_decay"]) == (
            1e-4,
            (0.9, 0.95),
            0.05,
        )
        assert cli.datamodule.loader.batch_size == 4 and cli.model.monitor is None
