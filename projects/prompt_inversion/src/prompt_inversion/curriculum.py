"""The curriculum's pure parts: difficulty scores from cosine histories and the stage sizes.

A run without curriculum records each training sample's cosine(prediction, target) at fixed
epochs (the official scripts record whenever validation improves and assume that happens every
epoch). The score is the weighted mean of the history, later epochs weighing more; samples are
sorted by score descending (well-aligned pairs first); the curriculum run retrains from scratch
on the prefix ``int(N / stage)`` for stages ``start, start - 1, ..., 1`` (one epoch each), then
on everything.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WEIGHTS = {
    "vit": (0.1, 0.1, 0.2, 0.2, 0.4),
    "swin": (0.1, 0.2, 0.7),
    "unet": (0.05, 0.05, 0.1, 0.1, 0.2, 0.2, 0.3),
    "clip": (0.0, 0.0, 0.0, 0.2, 0.3, 0.5),
}
START_STAGE = {"vit": 3, "swin": 3, "unet": 4, "clip": 2}
"""The official per-model history weights (one per recorded epoch) and first stages."""


def difficulty_scores(histories: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    """``[N]`` weighted mean cosine of ``[N, R]`` histories (``R = len(weights)`` records)."""
    histories = np.asarray(histories, dtype=np.float64)
    if histories.ndim != 2 or histories.shape[1] != len(weights):
        raise ValueError(
            f"histories of shape {histories.shape} do not match {len(weights)} weights"
        )
    return histories @ np.asarray(weights, dtype=np.float64) / float(np.sum(weights))


def easy_first(scores: np.ndarray) -> np.ndarray:
    """Sample indices by score descending (ties: lower index first)."""
    return np.argsort(-np.asarray(scores), kind="stable")


def stage_sizes(count: int, start_stage: int, epochs: int) -> list[int]:
    """Training-set size of each epoch: ``int(N / s)`` for ``s = start, ..., 2``, then N."""
    sizes = [count // stage for stage in range(start_stage, 1, -1)]
    return (sizes + [count] * epochs)[:epochs]
