"""Two training-free baselines that any VAD method should beat on ShapesVAD.

* motion energy: the map is |f_t - f_{t-1}|, the frame score its sum;
* per-pixel z-score: the map is |f_t - mean| / (std + eps) with statistics of the normal
  training frames, the frame score its maximum (after a small spatial blur).
"""

from __future__ import annotations

import numpy as np

from shared.vad.evaluation import smooth_maps


def motion_energy(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores (T,), maps (T, H, W)) of a (T, H, W) grayscale video; frame 0 repeats frame 1."""
    video = frames.astype(np.float32) / 255.0
    maps = np.abs(np.diff(video, axis=0, prepend=video[:1]))
    maps[0] = maps[1] if len(maps) > 1 else maps[0]
    return maps.sum(axis=(1, 2)), maps


class PixelZScore:
    """Per-pixel Gaussian model of normal frames."""

    def __init__(self, train_frames: np.ndarray, blur: float = 1.0, eps: float = 0.02) -> None:
        video = train_frames.astype(np.float32) / 255.0
        self.mean, self.std = video.mean(axis=0), video.std(axis=0)
        self.blur, self.eps = blur, eps

    def __call__(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        video = frames.astype(np.float32) / 255.0
        maps = smooth_maps(np.abs(video - self.mean) / (self.std + self.eps), self.blur)
        return maps.max(axis=(1, 2)), maps
