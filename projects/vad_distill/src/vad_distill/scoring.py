"""Frame scores at the three scales (``trainer.py``): S = the 1x1 head, M and L = the maxima of
the 4x4 and 16x16 maps, MIX = their mean; the 16x16 map as a pixel map for region metrics; and
the series the test reports (the teachers' own 1x1 scores and their sum beside the student's)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

from shared.vad.evaluation import PostProcess
from shared.vad.evaluator import FrameScore, PixelMaps, Video

SCORES = ("S", "M", "L", "MIX")


def frame_scores(small: torch.Tensor, medium: torch.Tensor, high: torch.Tensor) -> dict:
    """(B,) scores S, M, L, MIX from the student's (B, 1), (B, 1, 4, 4), (B, 1, 16, 16)."""
    s, m, h = small[:, 0], medium.amax(dim=(1, 2, 3)), high.amax(dim=(1, 2, 3))
    return {"S": s, "M": m, "L": h, "MIX": (s + m + h) / 3}


def pixel_maps(high: torch.Tensor, size: tuple[int, int], transposed: bool) -> torch.Tensor:
    """(B, H, W) maps: the 16x16 head upsampled bilinearly to the frame size (H, W), back in
    image orientation when the model ran on the official transposed layout."""
    if transposed:
        high = high.transpose(-1, -2)
    return F.interpolate(high, size=size, mode="bilinear", align_corners=False)[:, 0]


def _teacher(k: int, video: Video) -> np.ndarray:
    return video["teachers"][:, k]


def _ensemble(video: Video) -> np.ndarray:
    return video["teachers"].sum(1)


def evaluation_scores(
    teachers: Sequence[str], post: PostProcess, maps: PixelMaps
) -> dict[str, FrameScore]:
    """S, M, L (with region metrics from ``maps``) and MIX of the collected student scores, then
    ``teacher_<name>`` (column k of the collected ``teachers`` 1x1 scores) and ``teachers``
    (their sum), all post-processed by ``post``."""
    series = {name: FrameScore(name, post, maps if name == "L" else None) for name in SCORES}
    for k, name in enumerate(teachers):
        series[f"teacher_{name}"] = FrameScore(partial(_teacher, k), post)
    series["teachers"] = FrameScore(_ensemble, post)
    return series
