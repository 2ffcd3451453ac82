"""Teacher maps: object scores painted into a frame-size map, max-pooled to 16x16, 4x4 and 1x1
and stored in the official per-frame ``.npy`` layout
``<root>/<video>/{1x1,4x4,16x16}/<frame>.npy`` (1x1 a 0-d array; the others (rows, columns) in
image orientation)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

SCALES = {"1x1": 1, "4x4": 4, "16x16": 16}


def paint(
    boxes: Sequence[tuple[int, int, int, int]], scores: Sequence[float], shape: tuple[int, int]
) -> np.ndarray:
    """(H, W) map holding each box's score (inclusive corners), the maximum where boxes
    overlap, 0 elsewhere."""
    canvas = np.zeros(shape, np.float32)
    for (x0, y0, x1, y1), score in zip(boxes, scores, strict=True):
        region = canvas[y0 : y1 + 1, x0 : x1 + 1]
        np.maximum(region, score, out=region)
    return canvas


def pool(full: np.ndarray) -> dict[str, np.ndarray]:
    """Adaptive max pooling of an (H, W) map to the three official scales (1x1 as 0-d)."""
    tensor = torch.from_numpy(np.ascontiguousarray(full, np.float32))[None, None]
    out = {k: F.adaptive_max_pool2d(tensor, s)[0, 0].numpy() for k, s in SCALES.items()}
    out["1x1"] = out["1x1"].reshape(())
    return out


def write_maps(root: Path, video: str, frame_names: Sequence[str], maps: Sequence[dict]) -> None:
    """One ``.npy`` per frame and scale, named like the frame (``<frame>.npy``)."""
    for scale in SCALES:
        folder = Path(root) / video / scale
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame_maps in zip(frame_names, maps, strict=True):
            np.save(folder / f"{name}.npy", frame_maps[scale].astype(np.float32))
