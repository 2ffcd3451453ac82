"""Frame-level AUCs with the conventions of the VAD papers.

Micro AUC pools every test frame; macro AUC averages per-video AUCs. Single-class videos need a
convention: ``pad`` (aed-mae / sspcab: prepend label 0 with score 0, append label 1 with score 1)
or ``nan_is_one`` (no padding, an undefined AUC counts as 1.0).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from sklearn.metrics import auc, roc_curve

from shared.errors import ConfigError

MacroConvention = Literal["pad", "nan_is_one"]


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC by ``roc_curve`` + trapezoids (ties count one half); NaN when one class is absent."""
    labels = np.asarray(labels).astype(int)
    if labels.min() == labels.max():
        return float("nan")
    fpr, tpr, _ = roc_curve(labels, np.asarray(scores, dtype=np.float64))
    return float(auc(fpr, tpr))


def micro_auc(labels: Sequence[np.ndarray], scores: Sequence[np.ndarray]) -> float:
    """AUC of all frames pooled (videos in the given order); undefined -> 1.0 as aed-mae does."""
    value = roc_auc(np.concatenate(labels), np.concatenate(scores))
    return 1.0 if np.isnan(value) else value


def macro_auc(
    labels: Sequence[np.ndarray], scores: Sequence[np.ndarray], convention: MacroConvention = "pad"
) -> float:
    """Mean of per-video AUCs under ``convention`` (see the module docstring)."""
    if convention not in ("pad", "nan_is_one"):
        raise ConfigError("macro convention", convention, "'pad' or 'nan_is_one'")
    values = []
    for video_labels, video_scores in zip(labels, scores, strict=True):
        if convention == "pad":
            video_labels = np.concatenate(([0], video_labels, [1]))
            video_scores = np.concatenate(([0.0], video_scores, [1.0]))
        value = roc_auc(video_labels, video_scores)
        values.append(1.0 if np.isnan(value) and convention == "nan_is_one" else value)
    return float(np.nanmean(values))
