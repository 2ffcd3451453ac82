"""Image datasets held in memory as tensors, and the DataModule base the small sets share."""

from __future__ import annotations

from collections.abc import Sequence

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset

from shared.data.loader import Loader
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


class InMemoryImageDataModule(pl.LightningDataModule):
    """Base for datasets small enough to hold in memory: subclasses fill the three splits.

    Subclasses implement :meth:`load_splits`, returning ``{"train"|"val"|"test": (images,
    labels)}``, and set :attr:`num_classes`. The training loader shuffles with an
    :class:`EpochSeededSampler`, so resumed runs see the same batches.

    Args:
        image_size: side of the square images the model sees.
        mean: per-channel normalisation mean.
        std: per-channel normalisation standard deviation.
        crop_padding: pad-and-crop plus horizontal-flip augmentation of the training images
            (0: none).
        loader: batch size, workers and shuffling seed of the loaders.
    """

    num_classes: int
    max_value: float = 255.0

    def __init__(
        self,
        image_size: int,
        mean: tuple[float, float, float] = (0.5, 0.5, 0.5),
        std: tuple[float, float, float] = (0.5, 0.5, 0.5),
        crop_padding: int = 0,
        loader: Loader = Loader(),
    ) -> None:
        super().__init__()
        check_range("data.image_size", image_size, 1)
        check_range("data.crop_padding", crop_padding, 0)
        for field, values in (("data.mean", mean), ("data.std", std)):
            if len(values) != 3:
                raise ConfigError(field, values, "three per-channel values")
        if min(std) <= 0:
            raise ConfigError("data.std", std, "positive values")
        self.image_size, self.mean, self.std = image_size, mean, std
        self.crop_padding, self.loader = crop_padding, loader
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
        sampler = EpochSeededSampler(dataset, self.loader.seed) if shuffle else None
        return self.loader.dataloader(dataset, train=shuffle, sampler=sampler)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
