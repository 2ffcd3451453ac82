"""Training and test samples as the official loaders build them, over any set of videos.

A sample is the input ``x`` (9 channels: frames t-3, t, t+3, BGR, scaled to [-1, 1]; missing
neighbours replaced by frame t), the target ``y`` (frame t + the anomaly-map channel, normal = -1)
and the motion gradient ``g`` = |frame(t-1) - frame(t+1)| (0..255, not normalised; the stored
``gradients2`` image when the dataset has one). With
probability ``paste_probability`` a training sample takes the augmented twin: the three input
frames carry a pasted anomaly, the target frame stays clean and its map channel marks the object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from shared.vad.datasets import read_image
from shared.vad.rbdc import Track

# (frames at offsets, offsets, rng) -> (edited frames, mask at offset 0)
Paster = Callable[
    [list[np.ndarray], list[int], np.random.Generator], tuple[list[np.ndarray], np.ndarray]
]


class LazyFrames:
    """Image files read on access and resized to ``size`` = (H, W): an array-like (T, H, W, C)."""

    def __init__(
        self, paths: tuple[Path, ...], size: tuple[int, int], grayscale: bool = False
    ) -> None:
        self.paths, self.size, self.grayscale = paths, tuple(size), grayscale

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> np.ndarray:
        image = read_image(self.paths[index], grayscale=self.grayscale)
        return cv2.resize(image, (self.size[1], self.size[0]))


@dataclass
class VideoFrames:
    """A video at model resolution, BGR uint8 (T, H, W, 3) in memory or lazily read, with its
    test annotations and, for aed-mae data, the augmented twin, its masks and the stored motion
    gradients."""

    name: str
    frames: np.ndarray | LazyFrames
    labels: np.ndarray | None = None
    tracks: list[Track] = field(default_factory=list)
    masks: np.ndarray | None = None  # (T, H, W) pixel ground truth, when known
    augmented: LazyFrames | None = None  # frames_abnormal
    augmented_masks: LazyFrames | None = None  # masks_abnormal (0/255, grayscale)
    gradients: LazyFrames | None = None  # gradients2, computed at full resolution

    def gradient(self, index: int) -> np.ndarray:
        """Frame ``index``'s motion gradient (H, W, 3) float32: the stored ``gradients2`` image,
        resized like the frames, as the official loader reads it; without one, computed from
        the resized frames."""
        if self.gradients is not None:
            return self.gradients[index].astype(np.float32)
        return motion_gradient(self.frames, index)


def scale(frames: np.ndarray) -> torch.Tensor:
    """uint8 (..., H, W, C) -> float (..., C, H, W) in [-1, 1], the official (v - 127.5) / 127.5."""
    tensor = torch.from_numpy(np.ascontiguousarray(frames)).float()
    return ((tensor - 127.5) / 127.5).movedim(-1, -3)


def motion_gradient(frames: np.ndarray | LazyFrames, index: int) -> np.ndarray:
    """|frame(i-1) - frame(i+1)| per channel, with the video's ends replaced by frame i."""
    last = len(frames) - 1
    before, after = frames[max(index - 1, 0)], frames[min(index + 1, last)]
    return np.abs(before.astype(np.float32) - after.astype(np.float32))


class ClipDataset(Dataset):
    """Every frame of every video as one sample (see the module docstring)."""

    def __init__(
        self,
        videos: list[VideoFrames],
        stride: int = 3,
        paste_probability: float = 0.0,
        paster: Paster | None = None,
        gradients: bool = True,
    ) -> None:
        """``gradients``: whether samples carry ``g``; the training and validation losses read
        it, test-time scoring does not (and on real data each one costs image reads)."""
        self.videos, self.stride, self.gradients = videos, stride, gradients
        self.paste_probability, self.paster = paste_probability, paster
        if paste_probability > 0 and paster is None and any(v.augmented is None for v in videos):
            raise ValueError(
                "paste_probability > 0 needs a paster or augmented twins for every video"
            )
        self.index = [(v, t) for v, video in enumerate(videos) for t in range(len(video.frames))]

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, item: int) -> dict[str, torch.Tensor]:
        v, t = self.index[item]
        video = self.videos[v]
        frames = video.frames
        offsets = [-self.stride, 0, self.stride]
        indices = [t + o if 0 <= t + o < len(frames) else t for o in offsets]
        centre = frames[t]
        mask = np.zeros(centre.shape[:2], np.float32)
        augmented = False
        if self.paste_probability > 0:
            rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, ())))
            augmented = bool(rng.random() < self.paste_probability)
        source = video.augmented if augmented and video.augmented is not None else frames
        # frame t is decoded once when no twin is used (a paster edits copies)
        chosen = [centre if source is frames and i == t else source[i] for i in indices]
        if augmented and video.augmented is not None:
            mask = video.augmented_masks[t].astype(np.float32) / 255.0  # bilinear-resized 0/255
        elif augmented:
            chosen, mask = self.paster(chosen, offsets, rng)
        x = scale(np.concatenate(chosen, axis=-1))
        target_map = torch.from_numpy(np.asarray(mask, np.float32))[None] * 2 - 1
        y = torch.cat((scale(centre), target_map))
        sample = {
            "x": x,
            "y": y,
            "augmented": torch.tensor(float(augmented)),
            "video": torch.tensor(v),
            "frame": torch.tensor(t),
        }
        if self.gradients:
            sample["g"] = torch.from_numpy(video.gradient(t)).movedim(-1, 0)
        return sample
