"""The weighted ensemble of several models' predicted embeddings (``ensemble_experiments/``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from prompt_inversion.kernel import unit

OFFICIAL_WEIGHTS = {
    "clip_mlp_images": 1.5,
    "clip_mlp_images_2": 1.2,
    "vit_gpt2": 0.4,
    "unet": 0.4,
    "vit_images": 0.2,
    "swin_images": 1.0,
    "knn": 0.6,
}
"""The official weights, by the names of the official feature files."""


def weighted_ensemble(
    predictions: Mapping[str, np.ndarray], weights: Mapping[str, float]
) -> np.ndarray:
    """``sum_m w_m unit(pred_m) / sum_m w_m``: each model's predictions are L2-normalised first;
    the mean is not re-normalised (the cosine metric is scale-free)."""
    missing = sorted(set(predictions) - set(weights))
    if missing:
        raise KeyError(f"no weight for {missing}; weights are given for {sorted(weights)}")
    total = sum(weights[name] for name in predictions)
    return sum(weights[name] * unit(np.asarray(p)) for name, p in predictions.items()) / total
