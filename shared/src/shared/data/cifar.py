"""CIFAR-10/100 read from the official "python version" pickles by our own reader.

torchvision's dataset class checks md5 sums of the archive members, so a tiny test fixture in
the same layout could not pass through it; this reader checks the layout instead.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pytorch_lightning.utilities import rank_zero_warn

from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.data.in_memory import InMemoryImageDataModule
from shared.data.splits import stratified_split
from shared.errors import ConfigError, check_range
from shared.paths import data_root as resolve_data_root


@dataclass(frozen=True)
class CifarLayout:
    folder: str
    train_files: tuple[str, ...]
    test_files: tuple[str, ...]
    label_key: bytes
    meta_file: str
    names_key: bytes
    num_classes: int


CIFAR_LAYOUTS = {
    "cifar10": CifarLayout(
        "cifar-10-batches-py",
        tuple(f"data_batch_{i}" for i in range(1, 6)),
        ("test_batch",),
        b"labels",
        "batches.meta",
        b"label_names",
        10,
    ),
    "cifar100": CifarLayout(
        "cifar-100-python", ("train",), ("test",), b"fine_labels", "meta", b"fine_label_names", 100
    ),
}
CIFAR_SOURCE = "https://www.cs.toronto.edu/~kriz/cifar.html (the 'CIFAR python version' archive)"


def cifar_layout(name: str) -> CifarLayout:
    if name not in CIFAR_LAYOUTS:
        raise ConfigError("data.name", name, f"one of {sorted(CIFAR_LAYOUTS)}")
    return CIFAR_LAYOUTS[name]


def _load_pickle(path: Path) -> dict:
    with path.open("rb") as handle:
        try:
            return pickle.load(handle, encoding="bytes")
        except Exception as error:
            raise DatasetFormatError(
                path, f"an unreadable pickle ({error})", "a CIFAR batch"
            ) from error


def read_cifar(root: Path, name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images ``[N, 3, 32, 32]`` uint8 and labels ``[N]`` int64 of one split (``train``/``test``)."""
    layout = cifar_layout(name)
    folder = Path(root) / layout.folder
    files = layout.train_files if split == "train" else layout.test_files
    missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        raise DatasetNotFoundError(
            name.upper(),
            folder,
            f"{layout.folder}/{{{', '.join((*layout.train_files, *layout.test_files))}}} "
            f"(missing: {', '.join(missing)})",
            CIFAR_SOURCE,
        )
    images, labels = [], []
    for file in files:
        batch = _load_pickle(folder / file)
        if b"data" not in batch or layout.label_key not in batch:
            raise DatasetFormatError(
                folder / file, f"keys {sorted(batch)}", f"b'data' and {layout.label_key!r}"
            )
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise DatasetFormatError(
                folder / file, f"data of shape {data.shape}", "[N, 3072] uint8"
            )
        images.append(data.reshape(-1, 3, 32, 32))
        labels.append(np.asarray(batch[layout.label_key], dtype=np.int64))
    images_np, labels_np = np.concatenate(images), np.concatenate(labels)
    if len(images_np) != len(labels_np):
        raise DatasetFormatError(
            folder, f"{len(images_np)} images and {len(labels_np)} labels", "one label per image"
        )
    if labels_np.min() < 0 or labels_np.max() >= layout.num_classes:
        raise DatasetFormatError(
            folder,
            f"labels in [{labels_np.min()}, {labels_np.max()}]",
            f"labels in [0, {layout.num_classes})",
        )
    return images_np, labels_np


class CIFARDataModule(InMemoryImageDataModule):
    """CIFAR-10/100 from ``<data_root>/cifar-10-batches-py`` or ``<data_root>/cifar-100-python``.

    ``val_fraction`` holds out a stratified part of the training set for model selection. The
    official LeRaC/CBM code trains on all 50k images and selects on the test set; reproduce that
    with ``val_fraction: 0`` (validation then *is* the test set, and a warning says so).
    ``crop_padding: 4`` adds the usual pad-crop-flip augmentation.

    Args:
        name: ``cifar10`` or ``cifar100`` (which fixes the class count).
        data_root: folder holding the extracted archive (default: ``$DATA_ROOT``, else ``data/``).
        image_size: side of the images the model sees (32: the stored size).
        val_fraction: share of the training set held out for model selection.
        split_seed: seed of that stratified hold-out.
        kwargs: ``mean``, ``std``, ``crop_padding`` and ``loader`` of
            :class:`~shared.data.in_memory.InMemoryImageDataModule`.
    """

    def __init__(
        self,
        name: str = "cifar10",
        data_root: str | None = None,
        image_size: int = 32,
        val_fraction: float = 0.1,
        split_seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(image_size=image_size, **kwargs)
        self.layout = cifar_layout(name)
        self.num_classes = self.layout.num_classes
        self.name, self.data_root = name, data_root
        self.val_fraction = check_range(
            "data.val_fraction", val_fraction, 0.0, 1.0, high_inclusive=False
        )
        self.split_seed = split_seed

    def load_splits(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        root = resolve_data_root(self.data_root)
        train_x, train_y = read_cifar(root, self.name, "train")
        test_x, test_y = read_cifar(root, self.name, "test")
        test = (torch.from_numpy(test_x), torch.from_numpy(test_y))
        if self.val_fraction == 0:
            rank_zero_warn(
                f"{self.name}: val_fraction=0, so validation is the test set (the official "
                "code's model selection on test). Best-epoch numbers are then optimistic."
            )
            return {
                "train": (torch.from_numpy(train_x), torch.from_numpy(train_y)),
                "val": test,
                "test": test,
            }
        train_idx, val_idx = stratified_split(
            train_y, (1 - self.val_fraction, self.val_fraction), self.split_seed
        )
        return {
            "train": (torch.from_numpy(train_x[train_idx]), torch.from_numpy(train_y[train_idx])),
            "val": (torch.from_numpy(train_x[val_idx]), torch.from_numpy(train_y[val_idx])),
            "test": test,
        }
