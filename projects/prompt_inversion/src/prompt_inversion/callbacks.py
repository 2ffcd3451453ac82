"""Recording the per-sample cosine histories the curriculum orders by."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch.nn.functional as F

from prompt_inversion.predictions import embed
from shared.errors import ConfigError

HISTORY_FILE = "cosine_history.npz"


class CosineHistory(pl.Callback):
    """After each training epoch in ``epochs`` (0-based), run the model over the whole training
    set and append each sample's cosine(prediction, target); at the end of fitting write
    ``cosine_history.npz`` (``cosines [N, R]``, ``stems [N]``, ``epochs [R]``) to the run folder.

    The official scripts record whenever validation improves and weight the records as if that
    happened every epoch; fixed epochs keep the history as long as the weights.

    Args:
        epochs: the epochs to record after (e.g. ``[0, 1, 2, 3, 4]`` for ViT's 5 weights).
        path: where to write (default: the run folder).
    """

    def __init__(self, epochs: list[int], path: str | None = None) -> None:
        super().__init__()
        if not epochs or sorted(set(epochs)) != list(epochs) or epochs[0] < 0:
            raise ConfigError(
                "trainer.callbacks.CosineHistory.epochs", epochs, "increasing epoch numbers >= 0"
            )
        self.epochs, self.path = list(epochs), path
        self.records: list[np.ndarray] = []

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.max_epochs is not None and self.epochs[-1] >= trainer.max_epochs:
            raise ConfigError(
                "trainer.callbacks.CosineHistory.epochs",
                self.epochs,
                f"epochs below trainer.max_epochs ({trainer.max_epochs})",
            )

    def record(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> np.ndarray:
        embeddings, targets = embed(pl_module, trainer.datamodule.history_dataloader())
        return F.cosine_similarity(embeddings, targets, dim=1).numpy()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.current_epoch in self.epochs and not trainer.sanity_checking:
            self.records.append(self.record(trainer, pl_module))

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self.records or not trainer.is_global_zero:
            return
        path = Path(self.path) if self.path else Path(trainer.log_dir or ".") / HISTORY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        stems = [s.stem for s in trainer.datamodule.datasets["train"].samples]
        recorded = self.epochs[: len(self.records)]
        np.savez(
            path,
            cosines=np.stack(self.records, axis=1),
            stems=np.asarray(stems),
            epochs=np.asarray(recorded),
        )
