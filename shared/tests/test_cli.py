"""The shared training entry point: run layout, metrics, --resume, and one-paragraph errors."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from shared.cli import config_name, main
from shared.testing.tiny_project import make_tiny_project

HERE = Path(__file__).parent


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNS_ROOT", str(tmp_path / "runs"))
    return make_tiny_project(tmp_path)


def _weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]


def test_config_name_is_the_last_config_stem():
    assert config_name(["--config", "configs/default.yaml"]) == "default"
    assert config_name(["-c", "a.yaml", "--config=configs/paper/r18_cifar10.yaml"]) == "r18_cifar10"


@pytest.mark.slow
def test_run_layout_metrics_and_what_a_run_prints(project, tmp_path, capsys):
    summary = main(project, [])
    run_dir = tmp_path / "runs" / "tinyproj" / "default" / "version_0"
    assert Path(summary["run_dir"]) == run_dir
    written = json.loads((run_dir / "metrics.json").read_text())
    assert set(written["last"]) == {"test/acc", "test/loss"} and written["epochs"] == 2
    assert written["best_checkpoint"].startswith("best-epoch")
    assert {"config.yaml", "metrics.csv"} <= {p.name for p in run_dir.iterdir()}
    out, err = capsys.readouterr()
    assert out.splitlines()[-5] == "Test metrics, seed 0:"
    assert f"Run folder: {run_dir}" in out
    for noise in ("💡 Tip", "GPU available", "Loaded model weights", "LeafSpec"):
        assert noise not in out + err
    with (run_dir / "metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    for term in ("train/loss_epoch", "train/ce_epoch", "train/acc"):  # a point per epoch, each term
        assert [int(r["epoch"]) for r in rows if r.get(term)] == [0, 1], term
    assert main(project, [])["run_dir"].endswith("version_1")  # a second run never overwrites


@pytest.mark.slow
def test_resume_gives_the_same_weights_as_an_uninterrupted_run(project, tmp_path):
    straight = Path(main(project, [])["run_dir"])
    interrupted = Path(main(project, ["--trainer.max_epochs=1"])["run_dir"])
    # a longer budget is fine where nothing reads it (a step decay); so are run-control flags
    resumed = Path(
        main(project, ["--resume", "--threads=1", "--trainer.enable_progress_bar=false"])["run_dir"]
    )
    assert resumed == interrupted != straight
    a, b = _weights(straight), _weights(resumed)
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6, msg=key)
    # and the interruption really stopped early: epoch-1 weights differ from the final ones
    first = torch.load(interrupted / "checkpoints" / "best-epoch000.ckpt", weights_only=True)
    assert not torch.allclose(first["state_dict"]["backbone.fc.weight"], a["backbone.fc.weight"])


@pytest.mark.slow
def test_resume_refuses_a_config_that_is_not_the_runs(project, tmp_path, capsys):
    cosine = "--model.init_args.lr_scheduler={class_path: shared.optim.CosineAnnealingLR}"
    run_dir = Path(main(project, [cosine, "--trainer.max_epochs=1"])["run_dir"])
    saved = (run_dir / "config.yaml").read_text()
    message = _error_of(
        project, ["--resume", cosine, "--trainer.max_epochs=1", "--seed_everything=3"], capsys
    )
    assert "`seed_everything`: saved 0, now 3" in message and str(run_dir) in message
    message = _error_of(project, ["--resume", "--trainer.max_epochs=1"], capsys)  # no cosine now
    assert "`model.init_args.lr_scheduler.class_path`" in message
    assert "'shared.optim.CosineAnnealingLR', now 'torch.optim.lr_scheduler.MultiStepLR'" in message
    message = _error_of(project, ["--resume", cosine, "--trainer.max_epochs=2"], capsys)
    assert "`trainer.max_epochs` is 2, the run was started with 1" in message
    assert "the cosine schedule" in message
    assert (run_dir / "config.yaml").read_text() == saved  # nothing was rewritten


def _error_of(project, args, capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(project, args)
    assert exit_info.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1  # one paragraph, no traceback
    return errors[0]


def test_resume_without_an_earlier_run_is_an_error(project, capsys):
    message = _error_of(project, ["--resume"], capsys)
    assert "Nothing to resume" in message and "tinyproj" in message


def test_wrong_config_key(project, capsys):
    message = _error_of(project, ["--model.init_args.learning_rate=0.1"], capsys)
    assert "`learning_rate`" in message and "--print_config" in message


def test_value_out_of_range(project, capsys):
    message = _error_of(project, ["--model.init_args.optimizer.init_args.lr=-1"], capsys)
    assert message == (
        "error: Config field `model.optimizer.init_args.lr` is -1.0, expected a value in "
        "(0.0, inf]."
    )
    message = _error_of(project, ["--model.init_args.optimizer.init_args.momentum=-1"], capsys)
    assert "`model.optimizer`" in message and "momentum=-1.0" in message
    assert "Invalid momentum value: -1.0" in message


def test_missing_dataset_folder(project, tmp_path, capsys):
    empty = tmp_path / "no-data"
    args = ["--data=shared.data.cifar.CIFARDataModule", f"--data.init_args.data_root={empty}"]
    message = _error_of(project, args, capsys)
    assert str(empty / "cifar-10-batches-py") in message and "cs.toronto.edu" in message
    assert "DATA_ROOT" in message


@pytest.mark.slow
def test_ddp_on_two_cpu_processes(tmp_path):
    """DDP relaunches the command line, so it runs from a standalone script, not pytest."""
    project = make_tiny_project(tmp_path)
    env = {**os.environ, "RUNS_ROOT": str(tmp_path / "runs"), "REPRO_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(HERE / "scripts" / "ddp_train.py"), str(project)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    runs = sorted((tmp_path / "runs" / "tinyproj" / "default").iterdir())
    assert [r.name for r in runs] == ["version_0"]  # both ranks wrote into one run folder
    metrics = json.loads((runs[0] / "metrics.json").read_text())
    assert 0.0 <= metrics["last"]["test/acc"] <= 1.0 and metrics["epochs"] == 2


def test_bad_value_names_the_field_and_what_it_expects(project, capsys):
    message = _error_of(project, ["--data.init_args.loader.batch_size=abc"], capsys)
    assert "Config field `data.init_args.loader.batch_size` is 'abc', expected int" in message


def test_help_ends_with_the_model_and_data_arguments(project, capsys):
    assert main(project, ["--help"]) is None
    text = capsys.readouterr().out
    assert text.startswith("usage: python train.py") and "--resume" in text
    model = text.index("model: shared.classification.ImageClassifier")
    data = text.index("data: shared.data.digits.DigitsDataModule")
    assert model < data
    assert "  optimizer: an optimiser class (class_path + init_args) = shared.optim.SGD()" in text
    assert "set from the DataModule's class count" in text[model:data]
    assert "  loader.batch_size: int = 64\n      samples per batch." in text[data:]
    assert len(text.splitlines()) < 120  # not LightningCLI's ~500 lines of Trainer flags
