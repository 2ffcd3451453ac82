"""A shuffling sampler whose order depends only on (seed, epoch), so a resumed run sees the
same batches as an uninterrupted one."""

from __future__ import annotations

from collections.abc import Iterator, Sized

import torch
from torch.utils.data import RandomSampler


class EpochSeededSampler(RandomSampler):
    """Random permutation drawn from ``seed + epoch``; Lightning calls :meth:`set_epoch`.

    Subclassing ``RandomSampler`` tells Lightning the loader shuffles, so under DDP it is
    replaced by a ``DistributedSampler`` that is itself seeded per epoch.
    """

    def __init__(self, data_source: Sized, seed: int = 0) -> None:
        super().__init__(data_source)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        yield from torch.randperm(len(self.data_source), generator=generator).tolist()
