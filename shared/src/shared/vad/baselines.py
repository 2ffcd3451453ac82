"""Two training-free baselines that any VAD method should beat on ShapesVAD.

* motion energy: the map is |f_t - f_{t-1}|, the frame score its sum;
* per-pixel z-score: the map is |f_t - mean| / (std + eps) with statistics of the normal
  training frames, the frame score its maximum (after a small spatial blur).
"""

from __future__ import annotations

import numpy as np

from shared.vad.evaluation import PostProcess, frame_metrics, region_metrics, smooth_maps
from shared.vad.shapes import SyntheticVideo


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


BASELINES = ("motion energy", "pixel z-score")


def evaluate_baseline(
    name: str, splits: dict[str, list[SyntheticVideo]]
) -> tuple[dict[str, float], list[np.ndarray]]:
    """Frame and region metrics and the raw per-video frame scores of baseline ``name`` on a
    benchmark's ``{"train", "test"}`` videos (:func:`shared.vad.shapes.generate`)."""
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; have {BASELINES}")
    test = splits["test"]
    if name == "motion energy":
        score = motion_energy
    else:
        score = PixelZScore(np.concatenate([v.frames for v in splits["train"]]))
    outputs = [score(v.frames) for v in test]
    scores = [o[0] for o in outputs]
    metrics = {
        **frame_metrics([v.labels for v in test], scores, PostProcess()),
        **region_metrics(
            [o[1] for o in outputs], [t for v in test for t in v.tracks], [v.name for v in test]
        ),
    }
    return metrics, scores
