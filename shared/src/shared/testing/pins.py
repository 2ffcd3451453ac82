"""Fingerprints of a config's start of training: initial weights and the first training losses.

A refactoring that claims "no behaviour change" pins these for every project's default config
(``tests/test_default_config_pins.py``): the same seed must build bit-identical weights and take
bit-identical first steps before and after it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch


def state_checksum(module: torch.nn.Module) -> str:
    """SHA-256 over every state-dict entry (name, dtype, shape and bytes), in key order."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        value = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{value.dtype}:{tuple(value.shape)}\n".encode())
        digest.update(value.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class LossRecorder(pl.Callback):
    """Keeps the loss of every training batch, exactly (``float.hex``)."""

    def __init__(self) -> None:
        self.losses: list[str] = []

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:  # fmt: skip
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        self.losses.append(float(loss.detach()).hex())


def first_training_steps(
    project_dir: Path, config: str = "configs/default.yaml", steps: int = 3
) -> tuple[str, list[str]]:
    """``(checksum of the initial weights, first ``steps`` training losses)`` of one config."""
    from shared.cli import ReproCLI

    args = [
        "--config", str(Path(project_dir) / config),
        f"--trainer.max_steps={steps}",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
    ]  # fmt: skip
    cli = ReproCLI(Path(project_dir).name, "pins", args=args)
    checksum = state_checksum(cli.model)
    recorder = LossRecorder()
    cli.trainer.callbacks.append(recorder)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return checksum, recorder.losses[:steps]
