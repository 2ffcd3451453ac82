"""Seeded, stratified splits, so every project carves the same data the same way."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import train_test_split


def stratified_split(
    labels: Sequence[int] | np.ndarray, fractions: Sequence[float], seed: int = 0
) -> list[np.ndarray]:
    """Split indices into len(fractions) stratified parts (fractions sum to 1).

    Parts are carved one after another with scikit-learn's ``train_test_split``: the first part
    from everything, the second from what is left, and so on.
    """
    labels = np.asarray(labels)
    if not np.isclose(sum(fractions), 1.0) or any(f <= 0 for f in fractions):
        raise ValueError(f"fractions must be positive and sum to 1, got {list(fractions)}")
    remaining = np.arange(len(labels))
    left = 1.0
    parts = []
    for fraction in fractions[:-1]:
        part, remaining = train_test_split(
            remaining,
            train_size=fraction / left,
            stratify=labels[remaining],
            random_state=seed,
        )
        parts.append(np.sort(part))
        left -= fraction
    parts.append(np.sort(remaining))
    return parts


def per_class_subset(
    labels: Sequence[int] | np.ndarray, per_class: int, seed: int = 0
) -> np.ndarray:
    """Indices of ``per_class`` examples of every class, drawn with a fixed seed."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if len(members) < per_class:
            raise ValueError(f"class {cls} has {len(members)} examples, fewer than {per_class}")
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))
