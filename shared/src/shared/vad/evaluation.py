"""From per-frame scores and pixel maps of a test set to the four numbers VAD papers report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from shared.vad.filters import normalise_per_video, temporal_filter
from shared.vad.metrics import MacroConvention, macro_auc, micro_auc
from shared.vad.rbdc import Detection, Track, detection_curves, regions_from_map


@dataclass(frozen=True)
class PostProcess:
    """Temporal filter (``support`` taps, ``sigma``) then optional per-video normalisation."""

    support: int = 11
    sigma: float = 3.0
    normalise: bool = False

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        filtered = temporal_filter(scores, self.support, self.sigma)
        return normalise_per_video(filtered) if self.normalise else filtered


def frame_metrics(
    labels: Sequence[np.ndarray],
    scores: Sequence[np.ndarray],
    post: PostProcess,
    convention: MacroConvention = "pad",
) -> dict[str, float]:
    """Micro/macro AUC of the raw scores and of the post-processed ones."""
    processed = [post(s) for s in scores]
    return {
        "micro_auc": micro_auc(labels, processed),
        "macro_auc": macro_auc(labels, processed, convention),
        "micro_auc_raw": micro_auc(labels, scores),
        "macro_auc_raw": macro_auc(labels, scores, convention),
    }


def smooth_maps(maps: np.ndarray, sigma: float) -> np.ndarray:
    """Spatial Gaussian on each (H, W) map of a (T, H, W) stack."""
    return ndimage.gaussian_filter(maps, sigma=(0, sigma, sigma)) if sigma > 0 else maps


def region_metrics(
    maps: Sequence[np.ndarray],
    tracks: Sequence[Track],
    names: Sequence[str],
    levels: int = 20,
    quantile_range: tuple[float, float] = (0.95, 0.9995),
) -> dict[str, float]:
    """RBDC/TBDC of region detections taken from pixel maps (one (T, H, W) stack per video).

    Regions: connected components at ``levels`` thresholds set at quantiles of all test map
    values (our default; the papers did not release theirs).
    """
    pooled = np.concatenate([m.ravel() for m in maps])
    thresholds = np.quantile(pooled, np.linspace(*quantile_range, levels))
    detections: list[Detection] = []
    for name, stack in zip(names, maps, strict=True):
        for frame, anomaly_map in enumerate(stack):
            detections += regions_from_map(anomaly_map, thresholds, name, frame)
    curves = detection_curves(tracks, detections, sum(len(m) for m in maps))
    return {"rbdc": curves.rbdc, "tbdc": curves.tbdc}
