"""The embedded default data: the ShapesVAD benchmark (``shared.vad.shapes``) as a DataModule."""

from __future__ import annotations

import numpy as np
import pytorch_lightning as pl
from torch.utils.data import DataLoader

from fast_vad_mae.data import ClipDataset, VideoFrames
from shared.data.loader import Loader
from shared.errors import check_range
from shared.vad.shapes import VERSION, ShapesVADConfig, SyntheticVideo, generate, paste_anomaly


def _frames(video: SyntheticVideo) -> VideoFrames:
    bgr = np.repeat(video.frames[..., None], 3, axis=-1)
    return VideoFrames(video.name, bgr, video.labels, video.tracks, video.masks)


class ShapesVADDataModule(pl.LightningDataModule):
    """Train on normal ShapesVAD videos (+ pasted diamonds/bars), validate on a normal video,
    test on the videos with anomalies. The benchmark's own seed is fixed apart from the run seed.

    Args:
        version: the frozen benchmark version.
        benchmark_seed: the seed the videos are generated with.
        frames: frames per video.
        train_videos: normal training videos.
        test_videos: test videos (with anomalies).
        paste_probability: share of training samples with a pasted synthetic anomaly.
        frame_stride: frames between the three input frames.
        loader: batch size and workers of the loaders.
    """

    def __init__(
        self,
        version: int = VERSION,
        benchmark_seed: int = 0,
        frames: int = 150,
        train_videos: int = 6,
        test_videos: int = 6,
        paste_probability: float = 0.25,
        frame_stride: int = 3,
        loader: Loader = Loader(batch_size=32, persistent_workers=False),
    ) -> None:
        super().__init__()
        check_range("data.paste_probability", paste_probability, 0.0, 1.0)
        self.config = ShapesVADConfig(
            version=version,
            frames=frames,
            train_videos=train_videos,
            test_videos=test_videos,
            seed=benchmark_seed,
        )
        self.loader = loader
        self.paste_probability, self.frame_stride = paste_probability, frame_stride
        self.splits: dict[str, list[VideoFrames]] = {}

    def setup(self, stage: str | None = None) -> None:
        if not self.splits:
            self.splits = {k: [_frames(v) for v in vs] for k, vs in generate(self.config).items()}

    @property
    def test_videos(self) -> list[VideoFrames]:
        self.setup()
        return self.splits["test"]

    def _loader(self, dataset: ClipDataset, shuffle: bool) -> DataLoader:
        return self.loader.dataloader(dataset, train=shuffle, shuffle=shuffle)

    def train_dataloader(self) -> DataLoader:
        dataset = ClipDataset(
            self.splits["train"], self.frame_stride, self.paste_probability, paste_anomaly
        )
        return self._loader(dataset, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(ClipDataset(self.splits["val"], self.frame_stride), shuffle=False)

    def test_dataloader(self) -> DataLoader:
        dataset = ClipDataset(self.splits["test"], self.frame_stride, gradients=False)
        return self._loader(dataset, shuffle=False)
