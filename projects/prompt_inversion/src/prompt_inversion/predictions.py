"""Per-model predicted embeddings on the training and test sets, saved after training: the
inputs of the ensemble and of the kernel step (the official ``features/features_<model>.joblib``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from shared.data.errors import DatasetFormatError

PREDICTIONS_FILE = "predictions.npz"
SPLITS = ("train", "test")
FIELDS = ("embeddings", "targets", "stems")


@torch.no_grad()
def embed(pl_module: pl.LightningModule, loader: DataLoader) -> tuple[torch.Tensor, torch.Tensor]:
    """``(predicted embeddings, targets)`` of every item of ``loader``, in order, in eval mode."""
    was_training = pl_module.training
    pl_module.eval()
    embeddings, targets = [], []
    for images, target, _, _ in loader:
        embeddings.append(pl_module(images.to(pl_module.device))[0].float().cpu())
        targets.append(target.float())
    pl_module.train(was_training)
    return torch.cat(embeddings), torch.cat(targets)


class SavePredictions(pl.Callback):
    """At the end of fitting (the last weights), write ``predictions.npz`` to the run folder:
    ``train_embeddings``, ``train_targets``, ``train_stems`` and the same for ``test``, for
    ``python -m prompt_inversion.ensemble``.

    Args:
        path: where to write (default: the run folder).
    """

    def __init__(self, path: str | None = None) -> None:
        super().__init__()
        self.path = path

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        data = trainer.datamodule
        loaders = {"train": data.history_dataloader(), "test": data.test_dataloader()}
        arrays = {}
        for split, loader in loaders.items():
            embeddings, targets = embed(pl_module, loader)
            arrays[f"{split}_embeddings"] = embeddings.numpy()
            arrays[f"{split}_targets"] = targets.numpy()
            arrays[f"{split}_stems"] = np.asarray([s.stem for s in data.datasets[split].samples])
        path = Path(self.path) if self.path else Path(trainer.log_dir or ".") / PREDICTIONS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **arrays)


def read_predictions(path: Path) -> dict[str, np.ndarray]:
    """A ``predictions.npz``, checked for every split's fields and matching lengths."""
    if not path.is_file():
        raise DatasetFormatError(
            path, "no such file", "the predictions.npz that SavePredictions writes in a run folder"
        )
    with np.load(path) as stored:
        arrays = {k: stored[k] for k in stored.files}
    for split in SPLITS:
        missing = [f"{split}_{f}" for f in FIELDS if f"{split}_{f}" not in arrays]
        if missing:
            raise DatasetFormatError(path, f"no {missing}", f"the arrays {SPLITS} x {FIELDS}")
        lengths = {len(arrays[f"{split}_{f}"]) for f in FIELDS}
        if len(lengths) > 1:
            raise DatasetFormatError(
                path, f"{split} arrays of lengths {sorted(lengths)}", "one row per image"
            )
    return arrays
