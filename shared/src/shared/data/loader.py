"""How batches are drawn, in one typed object that every DataModule takes as ``loader``.

Configs set it as ``data.init_args.loader: {batch_size: 64, num_workers: 4}``; a DataModule's
own default object supplies the values a config leaves out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from torch.utils.data import DataLoader, Dataset, Sampler

from shared.errors import check_range


def default_sampler_seed() -> int:
    """The run's global seed (set by Lightning's ``seed_everything``), so shuffling follows it."""
    return int(os.environ.get("PL_GLOBAL_SEED", 0))


@dataclass(frozen=True)
class Loader:
    """DataLoader settings shared by the training, validation and test loaders.

    Args:
        batch_size: samples per batch.
        num_workers: loader worker processes (0: load in the training process).
        persistent_workers: keep the workers alive between epochs (only with workers).
        pin_memory: page-locked host memory, for faster copies to a GPU.
        drop_last: drop the last incomplete training batch.
        sampler_seed: seed of the epoch-seeded training shuffle (default: the run's seed).
    """

    batch_size: int = 64
    num_workers: int = 0
    persistent_workers: bool = True
    pin_memory: bool = False
    drop_last: bool = False
    sampler_seed: int | None = None

    def __post_init__(self) -> None:
        check_range("data.init_args.loader.batch_size", self.batch_size, 1)
        check_range("data.init_args.loader.num_workers", self.num_workers, 0)

    @property
    def seed(self) -> int:
        """The shuffling seed: ``sampler_seed``, else the run's global seed."""
        return self.sampler_seed if self.sampler_seed is not None else default_sampler_seed()

    def dataloader(
        self,
        dataset: Dataset,
        train: bool = False,
        sampler: Sampler | None = None,
        shuffle: bool = False,
    ) -> DataLoader:
        """A loader over ``dataset``; ``train`` applies ``drop_last``."""
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=shuffle,
            sampler=sampler,
            num_workers=self.num_workers,
            persistent_workers=self.persistent_workers and self.num_workers > 0,
            pin_memory=self.pin_memory,
            drop_last=self.drop_last and train,
        )
