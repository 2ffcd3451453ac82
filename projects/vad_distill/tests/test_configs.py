"""Every config in configs/ is parsed by the repository CLI and run, shrunk, in-process; the
paper configs on a fixture in the official layout, with their released settings checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from vad_distill.fixtures import write_fast_aed

from shared.cli import ReproCLI

PROJECT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((PROJECT / "configs").rglob("*.yaml"))
FOLDERS = {"avenue": "avenue", "shanghaitech": "shanghai", "ped2": "ped2"}
SHRINK = [
    "--trainer.max_epochs=2",
    "--trainer.limit_train_batches=1",
    "--trainer.limit_val_batches=1",
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
    "--model.init_args.ae_epochs=1",
]


def test_every_config_is_covered():
    assert {p.relative_to(PROJECT / "configs").as_posix() for p in CONFIGS} == {
        "default.yaml",
        "smoke.yaml",
        "paper/avenue.yaml",
        "paper/shanghaitech.yaml",
        "paper/ped2.yaml",
    }


def _paper_args(tmp_path: Path, dataset: str) -> list[str]:
    paths = write_fast_aed(tmp_path / dataset, size=(64, 64))
    teachers = {s: ", ".join(f"{k}: {v}" for k, v in paths[f"{s}_teachers"].items())
                for s in ("train", "test")}  # fmt: skip
    return [
        "--model.init_args.preset_name=tiny",
        f"--data.init_args.root={tmp_path}",
        f"--data.init_args.train_teachers={{{teachers['train']}}}",
        f"--data.init_args.test_teachers={{{teachers['test']}}}",
        "--data.init_args.image_size=[64, 64]",
        "--data.init_args.loader={batch_size: 4, num_workers: 0}",
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda p: p.relative_to(PROJECT / "configs").as_posix()
)
def test_config_runs_shrunk(config, tmp_path):
    args = ["--config", str(config), *SHRINK]
    paper = config.parent.name == "paper"
    if paper:
        args += _paper_args(tmp_path, FOLDERS[config.stem])
    else:
        args += [
            "--data.init_args.frames=24",
            "--data.init_args.train_videos=3",
            "--data.init_args.test_videos=1",
            "--data.init_args.pseudo_anomalies=1",
        ]
    cli = ReproCLI(PROJECT.name, config.stem, args=args)
    summary = cli.fit_and_test()
    assert 0.0 <= summary["last"]["test/micro_auc"] <= 1.0
    assert {"test/S/micro_auc", "test/M/micro_auc", "test/L/micro_auc"} <= set(summary["last"])
    if not paper:  # the demo filter of spec §11.3, scores reported raw and filtered
        hp = cli.model.hparams
        assert (hp.filter_support, hp.filter_sigma) == (11, 3.0)
        series = ("S", "M", "L", "MIX", "teacher_motion", "teacher_appearance", "teachers")
        for name in series:
            for key in ("micro_auc", "macro_auc", "micro_auc_raw", "macro_auc_raw"):
                assert f"test/{name}/{key}" in summary["last"]
    if paper:
        hp = cli.model.hparams
        assert hp.select_on_test is False and cli.model.monitor is None
        assert (hp.adversarial_mode, hp.adv_weight, hp.start_adv_epoch) == ("official", 0.1, 0)
        assert (hp.filter_support, hp.filter_sigma, hp.macro_convention) == (
            301,
            21.0,
            "nan_is_one",
        )
        for factory, lr in ((cli.model.optimizer, 1e-4), (cli.model.ae_optimizer, 1e-3),
                            (cli.model.discriminator_optimizer, 1e-4)):  # fmt: skip
            assert factory.keywords == {"lr": lr, "weight_decay": 5e-6}
        assert cli.model.lr_scheduler.keywords == {"step_size": 10, "gamma": 0.5}
        expected = "official_avenue" if config.stem == "avenue" else "train_order"
        assert cli.datamodule.channel_order_test == expected


@pytest.mark.slow
def test_select_on_test_monitors_the_test_mix_auc(tmp_path):
    args = ["--config", str(PROJECT / "configs/paper/avenue.yaml"), *SHRINK,
            *_paper_args(tmp_path, "avenue"), "--model.init_args.select_on_test=true",
            "--data.init_args.validate_on_test=true"]  # fmt: skip
    cli = ReproCLI(PROJECT.name, "avenue", args=args)
    summary = cli.fit_and_test()
    assert summary["monitor"] == "val/micro_auc" and 0.0 <= summary["best_val"] <= 1.0
