"""The shared training entry point: run layout, metrics, --resume, and one-paragraph errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from shared.cli import _config_name, main
from shared.testing.tiny_project import make_tiny_project

HERE = Path(__file__).parent


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNS_ROOT", str(tmp_path / "runs"))
    return make_tiny_project(tmp_path)


def _weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]


def test_config_name_is_the_last_config_stem():
    assert _config_name(["--config", "configs/default.yaml"]) == "default"
    assert (
        _config_name(["-c", "a.yaml", "--config=configs/paper/r18_cifar10.yaml"]) == "r18_cifar10"
    )


@pytest.mark.slow
def test_run_layout_and_metrics(project, tmp_path):
    summary = main(project, [])
    run_dir = tmp_path / "runs" / "tinyproj" / "default" / "version_0"
    assert Path(summary["run_dir"]) == run_dir
    written = json.loads((run_dir / "metrics.json").read_text())
    assert set(written["last"]) == {"test/acc", "test/loss"} and written["epochs"] == 2
    assert written["best_checkpoint"].startswith("best-epoch")
    assert {"config.yaml", "metrics.csv"} <= {p.name for p in run_dir.iterdir()}
    assert main(project, [])["run_dir"].endswith("version_1")  # a second run never overwrites


@pytest.mark.slow
def test_resume_gives_the_same_weights_as_an_uninterrupted_run(project, tmp_path):
    straight = Path(main(project, [])["run_dir"])
    interrupted = Path(main(project, ["--trainer.max_epochs=1"])["run_dir"])
    resumed = Path(main(project, ["--resume"])["run_dir"])
    assert resumed == interrupted != straight
    a, b = _weights(straight), _weights(resumed)
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6, msg=key)
    # and the interruption really stopped early: epoch-1 weights differ from the final ones
    first = torch.load(interrupted / "checkpoints" / "best-epoch000.ckpt", weights_only=True)
    assert not torch.allclose(first["state_dict"]["backbone.fc.weight"], a["backbone.fc.weight"])


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
    message = _error_of(project, ["--model.init_args.lr=-1"], capsys)
    assert message == "error: Config field `model.lr` is -1.0, expected a value in (0.0, inf]."


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
