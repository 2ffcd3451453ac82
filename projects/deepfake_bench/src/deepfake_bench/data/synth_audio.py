"""The DataModule of the audio track: DFB-Synth's spoofed-speech tree, or any folder in the
ASVspoof 2019 LA layout (the official LA data itself), read by the same loader.

The "generators" of the cross-generator protocol are the attacks (S01..S04; ASVspoof's A01..A19),
so the matrix module trains one row per attack (or per pooled attack set, e.g. {S01, S02}) and
reports every row against every attack of the eval split: the per-attack EERs of the ASVspoof
challenges. Items are those of :mod:`deepfake_bench.data.protocol_sets` with float32 waveforms of
``max_samples`` samples: the utterance's first ``max_samples``, repeated when it is shorter (the
fixed-length eval input of RawNet2 and AASIST; the detectors crop training windows from it).
Audio is read from disk on access; :meth:`AudioTreeDataModule.split` loads a whole split for
the detectors fitted in closed form (``lfcc_gmm``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch import Tensor

from deepfake_bench.data.asvspoof import SAMPLE_RATE, Utterance, read_asvspoof2019_la, read_audio
from deepfake_bench.data.protocol_sets import Labelled, PairedTrain
from deepfake_bench.synth.audio.tree import AudioTreeConfig, cached_audio_tree
from deepfake_bench.synth.cache import build_seconds
from shared.data.loader import Loader
from shared.errors import check_range

SPLITS = {"train": "train", "val": "dev", "test": "eval"}  # the module's split -> ASVspoof's


def fixed_length(samples: Tensor, length: int) -> Tensor:
    """The first ``length`` samples, the utterance repeated end to end when it is shorter."""
    if len(samples) < length:
        samples = samples.repeat(-(-length // len(samples)))
    return samples[:length]


class Waveforms(Sequence[Tensor]):
    """Utterances read (and cut or repeated to ``length`` samples) when indexed."""

    def __init__(self, paths: Sequence[Path], length: int) -> None:
        self.paths, self.length = list(paths), length

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> Tensor:  # type: ignore[override]
        return fixed_length(torch.from_numpy(read_audio(self.paths[i])), self.length)

    def stack(self) -> Tensor:
        if not self.paths:
            return torch.zeros(0, self.length)
        return torch.stack([self[i] for i in range(len(self))])


@dataclass(frozen=True)
class ProtocolTree:
    """An existing ASVspoof-2019-LA-layout folder in the place of a DFB-Synth build: its hash
    (in every result record) is that of its three protocol files."""

    root: Path
    seed: int = 0

    def digest(self) -> str:
        protocols = sorted((self.root / "ASVspoof2019_LA_cm_protocols").glob("*.txt"))
        digest = hashlib.sha256()
        for path in protocols:
            digest.update(path.read_bytes())
        return digest.hexdigest()[:12]


class AudioTreeDataModule(pl.LightningDataModule):
    """Args:
    benchmark: the DFB-Synth audio tree, built with espeak-ng (or found cached) under
        ``<data_root>/deepfake_bench/audio/<hash>/``.
    root: read this ASVspoof-2019-LA-layout folder instead (e.g. ``<DATA_ROOT>/ASVspoof2019_LA``);
        ``benchmark`` is then unused.
    data_root: where the DFB-Synth cache lives (default: DATA_ROOT or <repo>/data).
    max_samples: every utterance's fixed length (48,000 = 3 s; RawNet2 / AASIST: 64,600).
    build_workers: processes rendering the tree (the output does not depend on it).
    loader: batch size and workers.
    """

    modality = "audio"

    def __init__(
        self,
        benchmark: AudioTreeConfig = AudioTreeConfig(),
        root: str | None = None,
        data_root: str | None = None,
        max_samples: int = 3 * SAMPLE_RATE,
        build_workers: int = 2,
        loader: Loader = Loader(batch_size=32),
    ) -> None:
        super().__init__()
        check_range("data.init_args.max_samples", max_samples, 1024)
        check_range("data.init_args.build_workers", build_workers, 1)
        self.root, self.data_root, self.loader = root, data_root, loader
        self.max_samples, self.build_workers = max_samples, build_workers
        self.benchmark: AudioTreeConfig | ProtocolTree = (
            ProtocolTree(Path(root)) if root else benchmark
        )
        self.generators = (
            [] if root else [*benchmark.seen_attacks, *benchmark.unseen_attacks]
        )
        self.parts: dict[str, tuple[Waveforms, list[Waveforms]]] = {}
        self.folder: Path | None = None
        self.build_seconds: float | None = None  # the build's duration, if this run built it

    def tree(self) -> Path:
        """The folder read: ``root``, or the DFB-Synth build (made now if not cached)."""
        if self.root:
            return Path(self.root)
        assert isinstance(self.benchmark, AudioTreeConfig)
        return cached_audio_tree(self.benchmark, self.data_root, self.build_workers)

    def prepare_data(self) -> None:
        started = time.time()
        folder = self.tree()
        if not self.root and (folder / "COMPLETE").stat().st_mtime >= started:
            self.build_seconds = build_seconds(folder)

    def setup(self, stage: str | None = None) -> None:
        if self.parts:
            return
        self.folder = self.tree()
        utterances = {s: read_asvspoof2019_la(self.folder, SPLITS[s]) for s in SPLITS}
        if self.root:  # the attacks of the official tree, in id order
            found = {u.attack for split in utterances.values() for u in split if u.attack}
            self.generators = sorted(found)
        self.parts = {split: self._parts(found) for split, found in utterances.items()}

    def _parts(self, utterances: Sequence[Utterance]) -> tuple[Waveforms, list[Waveforms]]:
        def of(attack: str | None) -> Waveforms:
            paths = [u.path for u in utterances if u.attack == attack]
            return Waveforms(paths, self.max_samples)

        return of(None), [of(attack) for attack in self.generators]

    def split(self, split: str) -> tuple[Tensor, list[Tensor]]:
        """Bona fide waveforms and the spoofs of every attack (in ``generators`` order) of a
        split, loaded whole (float32 (N, max_samples))."""
        reals, fakes = self.parts[split]
        return reals.stack(), [f.stack() for f in fakes]

    def train_dataloader(self):
        return self.loader.dataloader(PairedTrain(*self.parts["train"]), train=True, shuffle=True)

    def val_dataloader(self):
        return self.loader.dataloader(Labelled(*self.parts["val"]))

    def test_dataloader(self):
        return self.loader.dataloader(Labelled(*self.parts["test"]))
