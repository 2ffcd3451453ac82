"""DataModules: the official fast-aed layout on disk (paper configs), and the embedded ShapesVAD
demo, whose frames and in-project teacher maps are written in that same layout to a temporary
folder and read back by the same :class:`~vad_distill.data.TeacherMapDataset`."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytorch_lightning as pl
from torch.utils.data import DataLoader

from shared.data.loader import Loader
from shared.errors import check_range
from shared.paths import data_root
from shared.vad.rbdc import Track
from shared.vad.shapes import VERSION, ShapesVADConfig, SyntheticVideo, generate, paste_anomaly
from vad_distill.data import ChannelOrder, MapLayout, TeacherMapDataset, check_teachers
from vad_distill.teachers.build import build_teacher_maps


class _MapDataModule(pl.LightningDataModule):
    """Shared loaders; subclasses set ``train_layout``, ``test_layout`` (``val_layout``)."""

    def __init__(
        self,
        image_size: tuple[int, int],
        channel_order_test: ChannelOrder,
        official_transpose: bool,
        validate_on_test: bool,
        loader: Loader,
    ) -> None:
        super().__init__()
        self.image_size = tuple(image_size)
        self.channel_order_test = channel_order_test
        self.official_transpose = official_transpose
        self.validate_on_test, self.loader = validate_on_test, loader
        self.datasets: dict[str, TeacherMapDataset] = {}
        self.val_layout: MapLayout | None = None
        self.test_tracks: list[Track] = []

    def _dataset(self, layout: MapLayout, order: ChannelOrder, ae: bool) -> TeacherMapDataset:
        return TeacherMapDataset(layout, self.image_size, order, self.official_transpose, ae)

    def _build(self) -> None:
        if self.datasets:
            return
        self.datasets["train"] = self._dataset(self.train_layout, "train_order", True)
        self.datasets["test"] = self._dataset(self.test_layout, self.channel_order_test, False)
        if self.val_layout is not None:
            self.datasets["val"] = self._dataset(self.val_layout, "train_order", False)

    @property
    def teachers(self) -> tuple[str, ...]:
        return tuple(self.train_layout.teachers)

    @property
    def test_video_names(self) -> list[str]:
        return self.datasets["test"].videos

    def settings(self) -> dict[str, Any]:
        """What the training batches depend on (part of the phase-1 cache key)."""
        return {
            "image_size": list(self.image_size),
            "official_transpose": self.official_transpose,
            "loader": asdict(self.loader),
        }

    def setup(self, stage: str | None = None) -> None:
        self._build()
        check_teachers(self.datasets["test"].teachers, self.teachers, "data test teachers")

    def train_dataloader(self) -> DataLoader:
        return self.loader.dataloader(self.datasets["train"], train=True, shuffle=True)

    def val_dataloader(self) -> DataLoader | list:
        if self.validate_on_test:
            return self.loader.dataloader(self.datasets["test"])
        if "val" in self.datasets:
            return self.loader.dataloader(self.datasets["val"])
        return []

    def test_dataloader(self) -> DataLoader:
        return self.loader.dataloader(self.datasets["test"])


class FastAedDataModule(_MapDataModule):
    """A dataset in the released loaders' layout (spec §8), e.g. Avenue at 640x360. Relative
    paths are under ``root`` (default: ``DATA_ROOT``, else ``<repo>/data``), as the keys of the
    official ``config.json`` (``av_train_data_path`` ...) are.

    Args:
        train_frames: ``<video>/<frame>.png`` folders of the training split.
        test_frames: the same for the test split.
        test_labels: ``<video>.txt`` (or ``<video[:2]>.txt``) frame labels.
        train_teachers: teacher name -> map root of the training frames (in teacher order).
        test_teachers: teacher name -> map root of the test frames (same names).
        root: the folder relative paths start from.
        image_size: (H, W) of every frame (official: 360, 640; resize ShanghaiTech first).
        channel_order_test: ``train_order`` or the released Avenue test order ``official_avenue``.
        official_transpose: the released (C, W, H) axes (for official checkpoints).
        validate_on_test: serve the test split as validation (only for ``select_on_test``).
        loader: batch size and workers (official batch 48).
    """

    def __init__(
        self,
        train_frames: str,
        test_frames: str,
        test_labels: str,
        train_teachers: dict[str, str],
        test_teachers: dict[str, str],
        root: str | None = None,
        image_size: tuple[int, int] = (360, 640),
        channel_order_test: ChannelOrder = "train_order",
        official_transpose: bool = False,
        validate_on_test: bool = False,
        loader: Loader = Loader(batch_size=48, persistent_workers=False),
    ) -> None:
        super().__init__(
            image_size, channel_order_test, official_transpose, validate_on_test, loader
        )
        base = data_root(root)
        self.train_layout = MapLayout(
            base / train_frames, {k: base / v for k, v in train_teachers.items()}
        )
        self.test_layout = MapLayout(
            base / test_frames, {k: base / v for k, v in test_teachers.items()}, base / test_labels
        )

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "train_frames": str(self.train_layout.frames)}


def _write_video(root: Path, video: SyntheticVideo | tuple[str, np.ndarray]) -> None:
    name, frames = (video.name, video.frames) if isinstance(video, SyntheticVideo) else video
    folder = root / name
    folder.mkdir(parents=True)
    for t, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{t}.png"), frame)


def pseudo_anomalous(
    videos: list[SyntheticVideo], count: int, seed: int, length: int = 20
) -> list[tuple[str, np.ndarray]]:
    """``count`` copies of training videos, each with one pasted diamond or bar (shapes absent
    at test time) moving across ``length`` frames in the middle of the video."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        frames = videos[i % len(videos)].frames.copy()
        start = int(rng.integers(0, max(len(frames) - length, 1)))
        span = range(start, min(start + length, len(frames)))
        edited, _ = paste_anomaly([frames[t] for t in span], [t - start for t in span], rng)
        frames[start : start + len(edited)] = np.stack(edited)
        out.append((f"pseudo_{i:02d}", frames))
    return out


TEACHERS = ("motion", "appearance")  # the in-project teachers, in the order of their maps


class ShapesVADDataModule(_MapDataModule):
    """The demo: ShapesVAD (``shared.vad.shapes``), teachers fitted in the project.

    Teachers ``motion`` and ``appearance`` are fitted on the normal training videos; training
    maps are cross-fitted; ``pseudo_anomalies`` extra training videos with pasted shapes (a
    departure from the paper, which trains on normal frames only) give the student anomalous
    targets to learn from. Frames and maps go to a temporary folder in the official layout.

    Args:
        version: the frozen benchmark version.
        benchmark_seed: seed of the videos.
        frames: frames per video.
        train_videos: normal training videos.
        test_videos: test videos (with anomalies).
        pseudo_anomalies: pseudo-anomalous training videos.
        folds: cross-fitting folds over the training videos.
        official_transpose: the released (C, W, H) axes.
        loader: batch size and workers.
    """

    def __init__(
        self,
        version: int = VERSION,
        benchmark_seed: int = 0,
        frames: int = 150,
        train_videos: int = 6,
        test_videos: int = 6,
        pseudo_anomalies: int = 3,
        folds: int = 3,
        official_transpose: bool = False,
        loader: Loader = Loader(batch_size=32, persistent_workers=False),
    ) -> None:
        self.config = ShapesVADConfig(
            version=version, frames=frames, train_videos=train_videos,
            test_videos=test_videos, seed=benchmark_seed,
        )  # fmt: skip
        size = (self.config.size, self.config.size)
        super().__init__(size, "train_order", official_transpose, False, loader)
        check_range("data.pseudo_anomalies", pseudo_anomalies, 0)
        check_range("data.folds", folds, 2, train_videos)
        self.pseudo_anomalies, self.folds = pseudo_anomalies, folds

    @property
    def teachers(self) -> tuple[str, ...]:
        return TEACHERS

    def settings(self) -> dict[str, Any]:
        benchmark = {**asdict(self.config), "pseudo_anomalies": self.pseudo_anomalies}
        return {**super().settings(), "benchmark": benchmark, "folds": self.folds}

    def _build(self) -> None:
        if self.datasets:
            return
        self._tmp = tempfile.TemporaryDirectory(prefix="vad_distill_shapes_")
        root = Path(self._tmp.name)
        splits = generate(self.config)
        pseudo = pseudo_anomalous(splits["train"], self.pseudo_anomalies, self.config.seed)
        for split, videos in (("train", [*splits["train"], *pseudo]), ("val", splits["val"]),
                              ("test", splits["test"])):  # fmt: skip
            for video in videos:
                _write_video(root / split / "frames", video)
        labels = root / "test" / "labels"
        labels.mkdir()
        for video in splits["test"]:
            np.savetxt(labels / f"{video.name}.txt", video.labels, fmt="%d")
        teachers = {k: root / "maps" / k for k in TEACHERS}

        def stems(name: str, frames: np.ndarray) -> tuple[str, np.ndarray, list[str]]:
            return name, frames, [str(t) for t in range(len(frames))]

        build_teacher_maps(
            [stems(v.name, v.frames) for v in splits["train"]],
            [
                stems(*p)
                for p in (*pseudo, *((v.name, v.frames) for v in (*splits["val"], *splits["test"])))
            ],
            teachers,
            self.folds,
        )
        self.train_layout = MapLayout(root / "train" / "frames", teachers)
        self.val_layout = MapLayout(root / "val" / "frames", teachers)
        self.test_layout = MapLayout(root / "test" / "frames", teachers, labels)
        self.test_tracks = [t for v in splits["test"] for t in v.tracks]
        super()._build()
