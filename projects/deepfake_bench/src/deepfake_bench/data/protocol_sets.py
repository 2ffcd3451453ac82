"""The cross-generator protocol's datasets, for any track (images, waveforms).

Training items pair one real item with one fake item of *every* generator, so each row of the
matrix gets a class-balanced batch of its own generator(s) from one loader: ``(real, fakes
(K, ...))``, fake i of generator k = its item i mod n_k. Validation and test items are ``(item,
label, generator index)`` with index −1 for reals and −2 for the reals of a new real source, so
each column can be read against either real set. The parts may be tensors or any sequence of
equally shaped tensors (e.g. audio read from disk on access).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

Items = Sequence[Tensor]


class PairedTrain(Dataset):
    """A generator without training items (an attack of eval only) fills its slot with zeros;
    the module refuses a row that would train on it."""

    def __init__(self, reals: Items, fakes: Sequence[Items]) -> None:
        self.reals, self.fakes = reals, list(fakes)

    def __len__(self) -> int:
        return len(self.reals)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        real = self.reals[i]
        return real, torch.stack(
            [f[i % len(f)] if len(f) else torch.zeros_like(real) for f in self.fakes]
        )


class Labelled(Dataset):
    """Reals (generator index −1), the fakes of generator k (index k) and, when given, the reals
    of a new real source (index −2)."""

    def __init__(self, reals: Items, fakes: Sequence[Items], novel: Items | None = None) -> None:
        self.parts = [(reals, 0.0, -1), *((f, 1.0, k) for k, f in enumerate(fakes))]
        if novel is not None:
            self.parts.append((novel, 0.0, -2))
        self.offsets = np.cumsum([0] + [len(items) for items, _, _ in self.parts])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor, Tensor]:
        if not 0 <= i < len(self):
            raise IndexError(i)
        part = int(np.searchsorted(self.offsets, i, side="right")) - 1
        items, label, generator = self.parts[part]
        return items[i - int(self.offsets[part])], torch.tensor(label), torch.tensor(generator)
