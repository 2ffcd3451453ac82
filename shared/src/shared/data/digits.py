"""scikit-learn's digits under the repository's digits protocol (the embedded default).

The protocol, shared by lerac, cbm and gini_loss so their numbers compare: the 1,797 8x8
images, a stratified 60/20/20 train/val/test split with seed 0 (1,078 / 359 / 360 images),
bilinear upsampling to 16x16, three identical channels, normalised with mean 0.5 and std 0.5.
"""

from __future__ import annotations

import numpy as np
import torch

from shared.data.in_memory import InMemoryImageDataModule
from shared.data.loader import Loader
from shared.data.splits import per_class_subset, stratified_split
from shared.errors import check_range

DIGITS_MAX_VALUE = 16.0


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The raw digits: images ``[1797, 8, 8]`` with values 0..16, labels ``[1797]``."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images.astype(np.float32), digits.target.astype(np.int64)


class DigitsDataModule(InMemoryImageDataModule):
    """The digits protocol as a DataModule (data ships inside scikit-learn: nothing to download).

    Args:
        image_size: side of the square images (bilinear upsampling of the 8x8 originals).
        split_seed: seed of the stratified 60/20/20 split.
        train_per_class: keep only that many training images per class (seeded), for the
            reduced-training-set variants; validation and test are unchanged.
        loader: batch size, workers and shuffling seed of the loaders.
    """

    num_classes = 10
    max_value = DIGITS_MAX_VALUE

    def __init__(
        self,
        image_size: int = 16,
        split_seed: int = 0,
        train_per_class: int | None = None,
        loader: Loader = Loader(),
    ) -> None:
        super().__init__(image_size=image_size, loader=loader)
        if train_per_class is not None:
            check_range("data.train_per_class", train_per_class, 1)
        self.split_seed, self.train_per_class = split_seed, train_per_class

    def load_splits(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        images, labels = load_digits_arrays()
        train, val, test = stratified_split(labels, (0.6, 0.2, 0.2), seed=self.split_seed)
        if self.train_per_class is not None:
            train = train[per_class_subset(labels[train], self.train_per_class, self.split_seed)]
        rgb = torch.from_numpy(images).unsqueeze(1).expand(-1, 3, -1, -1).contiguous()
        targets = torch.from_numpy(labels)
        return {
            name: (rgb[idx], targets[idx])
            for name, idx in zip(("train", "val", "test"), (train, val, test), strict=True)
        }
