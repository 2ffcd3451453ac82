"""The official fast-aed layout as a Dataset: frame folders, per-teacher ``.npy`` maps and frame
labels (spec §8)::

    <frames>/<video>/<frame>.png                          frame names int-sortable
    <teacher root>/<video>/{1x1,4x4,16x16}/<frame>.npy    one root per teacher
    <labels>/<video>.txt (or <video[:2]>.txt, Avenue)     one 0/1 per line (test)

A sample is three BGR frames stacked on channels (neighbours at +-3, the frame itself where a
neighbour does not exist), normalised (v - 127) / 128, with every teacher's three maps. The maps
are read and checked once, at construction (a few hundred floats per frame and teacher); a
missing or misshapen file is an error naming it, never a silently shifted pairing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from shared.data.errors import DatasetFormatError, DatasetNotFoundError, require_dir
from shared.errors import ConfigError
from shared.vad.datasets import numbered_frames, read_image
from vad_distill.teachers.maps import SCALES

ChannelOrder = Literal["train_order", "official_avenue"]
LAYOUT = "<frames>/<video>/<frame>.png, <teacher>/<video>/{1x1,4x4,16x16}/<frame>.npy"
SOURCE = "maps written by vad_distill.teachers (or the paper's teachers) in the fast-aed layout"
OFFSETS = {"train_order": (0, -3, 3), "official_avenue": (-3, 0, 3)}


@dataclass(frozen=True)
class MapLayout:
    """Where one split lives: frames, each teacher's map root (in teacher order), labels."""

    frames: Path
    teachers: dict[str, Path]
    labels: Path | None = None


def _load_map(path: Path, scale: str) -> np.ndarray:
    if not path.is_file():
        raise DatasetNotFoundError("teacher maps", path, LAYOUT, SOURCE)
    value = np.load(path)
    side = SCALES[scale]
    expected = () if side == 1 else (side, side)
    if value.shape != expected:
        hint = (
            "a 0-d array (np.save of a scalar); a 1-element vector broadcasts wrongly in the MSE"
            if side == 1
            else f"a ({side}, {side}) array"
        )
        raise DatasetFormatError(path, f"an array of shape {value.shape}", hint)
    return value.astype(np.float32)


def _labels(root: Path, video: str, count: int) -> np.ndarray:
    candidates = [root / f"{video}.txt", root / f"{video[:2]}.txt"]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise DatasetNotFoundError("frame labels", candidates[0], "<labels>/<video>.txt", SOURCE)
    labels = np.loadtxt(path, dtype=np.int64, ndmin=1)
    if len(labels) != count:
        raise DatasetFormatError(path, f"{len(labels)} labels", f"one per frame ({count})")
    return labels


class TeacherMapDataset(Dataset):
    """Samples ``{"x", "teacher_1x1" (K,), "teacher_4x4" (K, 4, 4), "teacher_16x16" (K, 16,
    16), "video", "frame"[, "label"][, "ae_target"]}`` for K teachers.

    Args:
        layout: the split's folders.
        image_size: (H, W) every frame must have (mixed sizes are an error, not resized).
        channel_order: ``train_order`` [t, t-3, t+3] or ``official_avenue`` [t-3, t, t+3] (the
            released Avenue test loader's order).
        official_transpose: (C, W, H) tensors and transposed maps, the released loader's axes
            (needed for official checkpoints); otherwise (C, H, W).
        ae_target: add the phase-1 target, frame t at half size (bicubic, rounded up), normalised.
    """

    def __init__(
        self,
        layout: MapLayout,
        image_size: tuple[int, int],
        channel_order: ChannelOrder = "train_order",
        official_transpose: bool = False,
        ae_target: bool = False,
    ) -> None:
        if channel_order not in OFFSETS:
            raise ConfigError("data.channel_order", channel_order, f"one of {sorted(OFFSETS)}")
        self.image_size, self.offsets = tuple(image_size), OFFSETS[channel_order]
        self.transpose, self.ae_target = official_transpose, ae_target
        frames_root = require_dir(Path(layout.frames), "frames", LAYOUT, SOURCE)
        self.videos = sorted(p.name for p in frames_root.iterdir() if p.is_dir())
        if not self.videos:
            raise DatasetFormatError(frames_root, "no video folders", LAYOUT)
        self.frames: list[tuple[Path, ...]] = []
        self.index: list[tuple[int, int]] = []
        self.labels: list[np.ndarray] = []
        maps: dict[str, list[np.ndarray]] = {s: [] for s in SCALES}
        for v, video in enumerate(self.videos):
            paths = numbered_frames(frames_root / video)
            self._check_size(paths[0])
            self.frames.append(paths)
            self.index += [(v, i) for i in range(len(paths))]
            for scale in SCALES:
                per_teacher = [
                    np.stack([_load_map(Path(r) / video / scale / f"{p.stem}.npy", scale)
                              for p in paths])
                    for r in layout.teachers.values()
                ]  # fmt: skip
                maps[scale].append(np.stack(per_teacher, axis=1))
            if layout.labels is not None:
                self.labels.append(_labels(Path(layout.labels), video, len(paths)))
        self.maps = {s: np.concatenate(m) for s, m in maps.items()}
        self.teachers = tuple(layout.teachers)

    def _check_size(self, path: Path) -> np.ndarray:
        image = read_image(path)
        if image.shape[:2] != self.image_size:
            raise DatasetFormatError(
                path,
                f"a frame of size (H, W) = {image.shape[:2]}",
                f"{self.image_size}, the size the model preset and the other frames have "
                "(resize the dataset first; frames are not resized by the loader)",
            )
        return image

    def __len__(self) -> int:
        return len(self.index)

    def _frame(self, video: int, i: int) -> np.ndarray:
        return self._check_size(self.frames[video][i])

    def __getitem__(self, item: int) -> dict[str, torch.Tensor]:
        video, i = self.index[item]
        count = len(self.frames[video])
        images = [self._frame(video, i + o if 0 <= i + o < count else i) for o in self.offsets]
        x = (np.concatenate(images, axis=-1).astype(np.float32) - 127.0) / 128.0
        sample = {
            "x": self._axes(x),
            "teacher_1x1": torch.from_numpy(self.maps["1x1"][item]),
            "teacher_4x4": self._map(self.maps["4x4"][item]),
            "teacher_16x16": self._map(self.maps["16x16"][item]),
            "video": torch.tensor(video),
            "frame": torch.tensor(i),
        }
        if self.labels:
            sample["label"] = torch.tensor(self.labels[video][i])
        if self.ae_target:
            current = (images[self.offsets.index(0)].astype(np.float32) - 127.0) / 128.0
            h, w = self.image_size  # the decoder's output size: half, rounded up
            sample["ae_target"] = self._axes(
                cv2.resize(current, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_CUBIC)
            )
        return sample

    def _axes(self, image: np.ndarray) -> torch.Tensor:
        """(H, W, C) -> (C, H, W), or (C, W, H) in the official layout."""
        axes = (2, 1, 0) if self.transpose else (2, 0, 1)
        return torch.from_numpy(np.ascontiguousarray(image.transpose(axes)))

    def _map(self, maps: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(
            np.ascontiguousarray(maps.swapaxes(-1, -2) if self.transpose else maps)
        )


def check_teachers(found: Sequence[str], expected: Sequence[str], where: str) -> None:
    """The teacher names (and count) of a split must be the model's."""
    if tuple(found) != tuple(expected):
        raise ConfigError(
            where,
            f"{len(found)} teachers {list(found)}",
            f"the {len(expected)} teachers {list(expected)} of model.teachers",
        )
