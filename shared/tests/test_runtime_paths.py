"""Paths resolve from the repository root; threads and precision follow the documented order."""

import os
import random
from pathlib import Path

import pytest
import torch

from shared import paths, runtime
from shared.errors import ConfigError, check_range


def test_repo_root_is_the_workspace_root_whatever_the_cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("REPO_ROOT", raising=False)
    paths.repo_root.cache_clear()
    monkeypatch.chdir(tmp_path)
    root = paths.repo_root()
    assert (root / "uv.lock").is_file() and (root / "shared" / "src" / "shared").is_dir()
    assert Path(paths.__file__).resolve().is_relative_to(root)
    paths.repo_root.cache_clear()


def test_data_root_order(monkeypatch, tmp_path):
    monkeypatch.delenv("DATA_ROOT", raising=False)
    assert paths.data_root() == paths.repo_root() / "data"
    monkeypatch.setenv("DATA_ROOT", str(tmp_path))
    assert paths.data_root() == tmp_path
    assert paths.data_root(tmp_path / "x") == tmp_path / "x"


def test_threads_order(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("REPRO_THREADS", "2")
        assert runtime.configure_threads() == 2
        assert runtime.configure_threads(1) == 1
        monkeypatch.delenv("REPRO_THREADS")
        monkeypatch.setenv("CI", "true")
        torch.set_num_threads(2)
        assert runtime.configure_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_seed_everything_repeats_draws():
    runtime.seed_everything(7)
    first = (random.random(), torch.rand(3))
    runtime.seed_everything(7)
    second = (random.random(), torch.rand(3))
    assert first[0] == second[0] and torch.equal(first[1], second[1])
    assert os.environ["PYTHONHASHSEED"] == "7"


def test_cpu_precision_is_full():
    if not torch.cuda.is_available():
        assert runtime.precision() == "32-true" and runtime.accelerator() == "cpu"


def test_check_range_messages():
    assert check_range("model.lr", 0.1, 0.0, low_inclusive=False) == 0.1
    with pytest.raises(ConfigError, match=r"`model.lr` is 0.0, expected a value in \(0.0, inf\]"):
        check_range("model.lr", 0.0, 0.0, low_inclusive=False)
    with pytest.raises(ConfigError, match="nan"):
        check_range("x", float("nan"))
