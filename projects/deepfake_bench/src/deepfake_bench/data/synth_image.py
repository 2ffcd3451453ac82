"""The DataModule of DFB-Synth's image track (built or loaded from the cache in ``setup``).

Items are those of :mod:`deepfake_bench.data.protocol_sets` with uint8 (3, H, W) patches: training
``(real, fakes (K, 3, H, W))``, validation and test ``(image, label, generator index)``; the
same real test set faces every generator's column, and a new real source (if the build has
one) is scored too (index −2).
"""

from __future__ import annotations

import time
import numpy as np
import pytorch_lightning as pl
import torch

from deepfake_bench.data.image_folders import load_records, read_manifest
from deepfake_bench.data.protocol_sets import Labelled, PairedTrain
from deepfake_bench.synth.build import (
    NOVEL_SPLIT,
    REAL,
    SPLITS,
    SynthImageConfig,
    build,
)
from deepfake_bench.synth.cache import build_seconds
from shared.data.loader import Loader


def to_chw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()


class SynthImageDataModule(pl.LightningDataModule):
    """Args:
    benchmark: what the build holds (generators, held-out photos, sizes, seed).
    data_root: where ``deepfake_bench/synth/<hash>/`` lives (default: DATA_ROOT or <repo>/data).
    loader: batch size and workers.
    """

    modality = "image"

    def __init__(
        self,
        benchmark: SynthImageConfig = SynthImageConfig(),
        data_root: str | None = None,
        loader: Loader = Loader(batch_size=64),
    ) -> None:
        super().__init__()
        self.benchmark, self.data_root, self.loader = benchmark, data_root, loader
        self.generators = list(benchmark.generators)
        self.arrays: dict[tuple[str, str], torch.Tensor] = {}
        self.folder = None  # the build's folder, once set up
        self.build_seconds: float | None = None  # the build's duration, if this run built it

    def prepare_data(self) -> None:
        started = time.time()
        folder = build(self.benchmark, self.data_root)
        if (folder / "COMPLETE").stat().st_mtime >= started:
            self.build_seconds = build_seconds(folder)

    def setup(self, stage: str | None = None) -> None:
        if self.arrays:
            return
        folder = self.folder = build(self.benchmark, self.data_root)
        groups: dict[tuple[str, str], list] = {}
        for record in read_manifest(folder):
            groups.setdefault((record.split, record.generator), []).append(record)
        self.arrays = {key: to_chw(load_records(records)) for key, records in groups.items()}

    def split(self, split: str) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Real images and the fakes of every generator (in ``generators`` order) of a split."""
        assert split in SPLITS
        empty = torch.zeros(0, 3, 32, 32, dtype=torch.uint8)  # a build asked for 0 items
        return self.arrays.get((split, REAL), empty), [
            self.arrays.get((split, g), empty) for g in self.generators
        ]

    def train_dataloader(self):
        return self.loader.dataloader(PairedTrain(*self.split("train")), train=True, shuffle=True)

    def val_dataloader(self):
        return self.loader.dataloader(Labelled(*self.split("val")))

    def test_dataloader(self):
        novel = self.arrays.get((NOVEL_SPLIT, REAL))
        return self.loader.dataloader(Labelled(*self.split("test"), novel))
