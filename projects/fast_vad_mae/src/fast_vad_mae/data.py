"""Training and test samples as the official loaders build them, over any set of videos.

A sample is the input ``x`` (9 channels: frames t-3, t, t+3, BGR, scaled to [-1, 1]; missing
neighbours replaced by frame t), the target ``y`` (frame t + the anomaly-map channel, normal = -1)
and the motion gradient ``g`` = |frame(t-1) - frame(t+1)| (0..255, not normalised). With
probability ``paste_probability`` a training sample takes the augmented twin: the three input
frames carry a pasted anomaly, the target frame stays clean and its map channel marks the object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import Dataset

from shared.vad.rbdc import Track

# (frames at offsets, offsets, rng) -> (edited frames, mask at offset 0)
Paster = Callable[
    [list[np.ndarray], list[int], np.random.Generator], tuple[list[np.ndarray], np.ndarray]
]


@dataclass
class VideoFrames:
    """A video at model resolution: uint8 BGR frames (T, H, W, 3) and its test annotations."""

    name: str
    frames: np.ndarray
    labels: np.ndarray | None = None
    tracks: list[Track] = field(default_factory=list)
    masks: np.ndarray | None = None  # (T, H, W) pixel ground truth, when known


def scale(frames: np.ndarray) -> torch.Tensor:
    """uint8 (..., H, W, C) -> float (..., C, H, W) in [-1, 1], the official (v - 127.5) / 127.5."""
    tensor = torch.from_numpy(np.ascontiguousarray(frames)).float()
    return ((tensor - 127.5) / 127.5).movedim(-1, -3)


def motion_gradient(frames: np.ndarray, index: int) -> np.ndarray:
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
    ) -> None:
        if paste_probability > 0 and paster is None:
            raise ValueError("paste_probability > 0 needs a paster")
        self.videos, self.stride = videos, stride
        self.paste_probability, self.paster = paste_probability, paster
        self.index = [(v, t) for v, video in enumerate(videos) for t in range(len(video.frames))]

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, item: int) -> dict[str, torch.Tensor]:
        v, t = self.index[item]
        frames = self.videos[v].frames
        last = len(frames) - 1
        offsets = [-self.stride, 0, self.stride]
        chosen = [frames[t + o] if 0 <= t + o <= last else frames[t] for o in offsets]
        mask = np.zeros(frames.shape[1:3], bool)
        augmented = False
        if self.paste_probability > 0:
            rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, ())))
            if rng.random() < self.paste_probability:
                chosen, mask = self.paster(chosen, offsets, rng)
                augmented = True
        x = scale(np.concatenate(chosen, axis=-1))
        target_map = torch.from_numpy(mask).float()[None] * 2 - 1
        y = torch.cat((scale(frames[t]), target_map))
        g = torch.from_numpy(motion_gradient(frames, t)).movedim(-1, 0)
        return {
            "x": x,
            "y": y,
            "g": g,
            "augmented": torch.tensor(float(augmented)),
            "video": torch.tensor(v),
            "frame": torch.tensor(t),
        }
