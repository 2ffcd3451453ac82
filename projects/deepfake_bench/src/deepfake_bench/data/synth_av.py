"""The DataModule of DFB-Synth's audio-visual track (built or loaded from the cache in ``setup``).

The clips are read the way real FakeAVCeleb data would be: :func:`read_fakeavceleb` lists the
build's ``meta_data.csv``, :func:`read_av_clip` decodes each mp4; only the split and
DFB-Synth's own method name come from the build's ``clips.csv`` (FakeAVCeleb has neither).
Every batch is ``(video, audio, kind, column)``: uint8 (B, T, 3, H, W) frames, float32 (B, S)
16 kHz audio, the FakeAVCeleb 4-way class (0 real, 1 fake video, 2 fake audio, 3 both) and the
clip's column: the index of its method in ``methods``, −1 for ID reals, −2 for the reals of
the new real source (the OOD test set). The test loader holds the ID and the OOD test sets.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import ConcatDataset, Dataset, TensorDataset

from deepfake_bench.data.av_clips import read_av_clip
from deepfake_bench.data.fakeavceleb import read_fakeavceleb
from deepfake_bench.synth.av.face import N_FRAMES, N_SAMPLES, SIZE
from deepfake_bench.synth.av.manipulations import METHOD_NAMES
from deepfake_bench.synth.av.tree import REAL, SPLITS, SynthAVConfig, build_av, read_clips_table
from deepfake_bench.synth.cache import build_seconds
from shared.data.errors import DatasetFormatError
from shared.data.loader import Loader
from shared.errors import check_range

ID_REAL, NEW_REAL = -1, -2  # the columns of the two real sources

Clips = tuple[Tensor, Tensor, Tensor, Tensor]  # videos, audios, kinds, columns


def empty_clips() -> Clips:
    return (torch.zeros(0, N_FRAMES, 3, SIZE, SIZE, dtype=torch.uint8),
            torch.zeros(0, N_SAMPLES), torch.zeros(0, dtype=torch.long),
            torch.zeros(0, dtype=torch.long))  # fmt: skip


class SynthAVDataModule(pl.LightningDataModule):
    """Args:
    benchmark: what the build holds (identities, clip counts, generators, seed).
    data_root: where ``deepfake_bench/av/<hash>/`` lives (default: DATA_ROOT or <repo>/data).
    build_workers: processes rendering the build (the output does not depend on it).
    loader: batch size and workers.
    """

    modality = "audio_visual"

    def __init__(
        self,
        benchmark: SynthAVConfig = SynthAVConfig(),  # noqa: B008  (frozen, immutable)
        data_root: str | None = None,
        build_workers: int = 2,
        loader: Loader = Loader(batch_size=16),
    ) -> None:
        super().__init__()
        check_range("data.init_args.build_workers", build_workers, 1)
        self.benchmark, self.data_root, self.loader = benchmark, data_root, loader
        self.build_workers = build_workers
        self.methods = list(METHOD_NAMES)
        self.clips: dict[str, Clips] = {}
        self.folder: Path | None = None  # the build's folder, once set up
        self.build_seconds: float | None = None  # the build's duration, if this run built it

    def prepare_data(self) -> None:
        started = time.time()
        folder = build_av(self.benchmark, self.data_root, self.build_workers)
        if (folder / "COMPLETE").stat().st_mtime >= started:
            self.build_seconds = build_seconds(folder)

    def setup(self, stage: str | None = None) -> None:
        if self.clips:
            return
        folder = self.folder = build_av(self.benchmark, self.data_root, self.build_workers)
        table = read_clips_table(folder)
        found: dict[str, list] = {split: [] for split in SPLITS}
        for record in read_fakeavceleb(folder):
            row = table.get(record.name)
            if row is None or row["type"] != record.type:
                raise DatasetFormatError(
                    folder / "clips.csv", f"no row of type {record.type} for {record.name}",
                    "one row per clip of meta_data.csv (a build of deepfake_bench.synth.av)",
                )  # fmt: skip
            if row["method"] == REAL:
                column = NEW_REAL if row["split"] == "test_ood" else ID_REAL
            else:
                column = self.methods.index(row["method"])
            video, audio = read_av_clip(record.source, N_FRAMES, N_SAMPLES)
            found[row["split"]].append((video, audio, record.four_way, column))
        self.clips = {split: self._stack(items) for split, items in found.items()}

    @staticmethod
    def _stack(items: list) -> Clips:
        if not items:
            return empty_clips()
        videos, audios, kinds, columns = zip(*items, strict=True)
        return (torch.from_numpy(np.stack(videos)).permute(0, 1, 4, 2, 3).contiguous(),
                torch.from_numpy(np.stack(audios)), torch.tensor(kinds, dtype=torch.long),
                torch.tensor(columns, dtype=torch.long))  # fmt: skip

    def split(self, name: str) -> Clips:
        """``(videos, audios, kinds, columns)`` of a whole split (train, val, test, test_ood)."""
        if name not in SPLITS:
            raise KeyError(f"split {name!r}: expected one of {list(SPLITS)}")
        return self.clips[name]

    def dataset(self, *names: str) -> Dataset:
        return ConcatDataset([TensorDataset(*self.split(name)) for name in names])

    def train_dataloader(self):
        return self.loader.dataloader(self.dataset("train"), train=True, shuffle=True)

    def val_dataloader(self):
        return self.loader.dataloader(self.dataset("val"))

    def test_dataloader(self):
        return self.loader.dataloader(self.dataset("test", "test_ood"))
