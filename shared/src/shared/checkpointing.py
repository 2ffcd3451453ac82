"""Run folders and what a checkpoint must carry for an interrupted run to resume exactly."""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch

from shared.errors import ConfigError

_VERSION = re.compile(r"^version_(\d+)$")


@dataclass(frozen=True)
class RunDir:
    """``runs/<project>/<config>/version_<N>`` and, when resuming, its ``last.ckpt``."""

    path: Path
    version: int
    resume_from: Path | None = None

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"


def _versions(config_dir: Path) -> list[int]:
    if not config_dir.is_dir():
        return []
    return sorted(int(m.group(1)) for p in config_dir.iterdir() if (m := _VERSION.match(p.name)))


def _is_launched_child() -> bool:
    """True in a process that Lightning's DDP launcher started for a non-zero local rank."""
    return int(os.environ.get("LOCAL_RANK", "0")) > 0


def resolve_run_dir(config_dir: Path, resume: bool) -> RunDir:
    """A fresh version folder, or with ``resume`` the latest one and its last checkpoint.

    Lightning's own ``ckpt_path="last"`` only looks inside a new version folder, so it would
    silently start over; here a resume with nothing to resume is an error.
    """
    versions = _versions(config_dir)
    if _is_launched_child() and versions:
        # A DDP worker re-runs the command line after rank 0 created the run folder: join it.
        latest = config_dir / f"version_{versions[-1]}"
        last = latest / "checkpoints" / "last.ckpt"
        return RunDir(latest, versions[-1], last if resume and last.is_file() else None)
    if not resume:
        version = versions[-1] + 1 if versions else 0
        path = config_dir / f"version_{version}"
        path.mkdir(parents=True)
        return RunDir(path, version)
    if not versions:
        raise ConfigError(
            "--resume",
            True,
            f"an earlier run of this config under {config_dir}",
            "Nothing to resume: run without --resume to start one.",
        )
    latest = config_dir / f"version_{versions[-1]}"
    last = latest / "checkpoints" / "last.ckpt"
    if not last.is_file():
        raise ConfigError(
            "--resume",
            True,
            f"a checkpoint at {last}",
            "The latest run saved no checkpoint (it stopped before its first epoch ended); "
            "run without --resume to start over.",
        )
    return RunDir(latest, versions[-1], last)


def _numpy_state_to_plain(state: tuple) -> tuple:
    """NumPy's legacy RNG state with plain Python types, loadable with ``weights_only=True``."""
    name, keys, position, has_gauss, cached = state
    return name, keys.tolist(), int(position), int(has_gauss), float(cached)


class RNGStateCallback(pl.Callback):
    """Stores the Python, NumPy and torch RNG states in checkpoints and restores them on resume,
    so dropout and augmentation draw the same numbers as in an uninterrupted run."""

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        checkpoint["rng_states"] = {
            "python": random.getstate(),
            "numpy": _numpy_state_to_plain(np.random.get_state()),  # noqa: NPY002
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        }

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        states = checkpoint.get("rng_states")
        if not states:
            return
        random.setstate(states["python"])
        name, keys, position, has_gauss, cached = states["numpy"]
        np.random.set_state((name, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached))  # noqa: NPY002
        torch.set_rng_state(states["torch"])
        if states["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(states["cuda"])
