"""Post-hoc views of a trained model: split-level feature Gini and a linear probe on pooled features."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader

from gini_loss.metric import FeatureGini
from gini_loss.module import DiscErnClassifier


@torch.no_grad()
def split_feature_gini(model: DiscErnClassifier, loader: DataLoader) -> list[FeatureGini]:
    """One :class:`FeatureGini` per tap, filled with a whole split (model in eval mode)."""
    model.eval()
    metrics = [FeatureGini(model.num_classes) for _ in model.taps.names]
    for images, labels in loader:
        _, features = model.forward_with_taps(images.to(model.device))
        for metric, tap in zip(metrics, features, strict=True):
            metric.update(tap.cpu(), labels)
    return metrics


@torch.no_grad()
def pooled_features(model: DiscErnClassifier, loader: DataLoader) -> tuple[np.ndarray, np.ndarray]:
    """The backbone's pooled pre-classifier features and the labels of a split."""
    model.eval()
    features, labels = [], []
    for images, targets in loader:
        features.append(model.backbone.forward_features(images.to(model.device)).cpu())
        labels.append(targets)
    return torch.cat(features).numpy(), torch.cat(labels).numpy()


def linear_probe_accuracy(
    train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray]
) -> float:
    """Test accuracy (%) of a standardised multinomial logistic regression fit on ``train``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(*train)
    return 100.0 * float(probe.score(*test))
