"""Image datasets held in memory as tensors, and the DataModule base the small sets share."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset

from shared.data.samplers import EpochSeededSampler
from shared.data.transforms import normalize, random_crop_flip, resize
from shared.errors import ConfigError, check_range


class TensorImageDataset(Dataset):
    """``images`` ``[N, C, H, W]`` in ``[0, max_value]`` -> normalised float images and labels.

    Resizing, normalisation and the optional crop/flip happen per item, so uint8 storage stays
    small whatever the training resolution.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        *,
        max_value: float,
        image_size: int,
        mean: Sequence[float],
        std: Sequence[float],
        crop_padding: int = 0,
    ) -> None:
        if images.ndim != 4 or len(images) != len(labels):
            raise ValueError(
                f"expected images [N, C, H, W] and N labels, got {tuple(images.shape)} "
                f"and {tuple(labels.shape)}"
            )
        self.images, self.labels = images, labels.long()
        self.max_value, self.image_size = max_value, image_size
        self.mean, self.std = tuple(mean), tuple(std)
        self.crop_padding = crop_padding

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.images[index].float().unsqueeze(0) / self.max_value
        image = normalize(resize(image, self.image_size), self.mean, self.std)[0]
        if self.crop_padding:
            image = random_crop_flip(image, self.crop_padding)
        return image, self.labels[index]


def default_sampler_seed() -> int:
    """The run's global seed (set by Lightning's ``seed_everything``), so shuffling follows it."""
    return int(os.environ.get("PL_GLOBAL_SEED", 0))


class InMemoryImageDataModule(pl.LightningDataModule):
    """Base for datasets small enough to hold in memory: subclasses fill the three splits.

    Subclasses implement :meth:`load_splits`, returning ``{"train"|"val"|"test": (images,
    labels)}``, and set :attr:`num_classes`. The training loader shuffles with an
    :class:`EpochSeededSampler`, so resumed runs see the same batches.
    """

    num_classes: int
    max_value: float = 255.0

    def __init__(
        self,
        image_size: int,
        batch_size: int = 64,
        num_workers: int = 0,
        mean: tuple[float, float, float] = (0.5, 0.5, 0.5),
        std: tuple[float, float, float] = (0.5, 0.5, 0.5),
        crop_padding: int = 0,
        sampler_seed: int | None = None,
    ) -> None:
        super().__init__()
        check_range("data.image_size", image_size, 1)
        check_range("data.batch_size", batch_size, 1)
        check_range("data.num_workers", num_workers, 0)
        check_range("data.crop_padding", crop_padding, 0)
        for field, values in (("data.mean", mean), ("data.std", std)):
            if len(values) != 3:
                raise ConfigError(field, values, "three per-channel values")
        if min(std) <= 0:
            raise ConfigError("data.std", std, "positive values")
        self.image_size, self.batch_size, self.num_workers = image_size, batch_size, num_workers
        self.mean, self.std, self.crop_padding = mean, std, crop_padding
        self.sampler_seed = sampler_seed
        self.datasets: dict[str, TensorImageDataset] = {}

    def load_splits(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        for split, (images, labels) in self.load_splits().items():
            self.datasets[split] = TensorImageDataset(
                images,
                labels,
                max_value=self.max_value,
                image_size=self.image_size,
                mean=self.mean,
                std=self.std,
                crop_padding=self.crop_padding if split == "train" else 0,
            )

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        dataset = self.datasets[split]
        seed = self.sampler_seed if self.sampler_seed is not None else default_sampler_seed()
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=EpochSeededSampler(dataset, seed) if shuffle else None,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
