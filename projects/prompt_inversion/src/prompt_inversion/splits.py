"""Train/validation/test splits of image–prompt pairs.

DiffusionDB holds many images of the same prompt (users re-ran prompts with other seeds). A random
split puts copies of a prompt on both sides, so a model can score by recognising the prompt of a
near-duplicate it trained on. ``grouped_split`` keeps every copy of a prompt on one side (a
departure; how the paper split is not known). ``official_validation_split`` is the official
code's ``train_test_split(test_size=0.1, random_state=42)`` of the training rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import train_test_split


def grouped_split(
    prompts: Sequence[str | None], fractions: Sequence[float], seed: int = 0
) -> list[np.ndarray]:
    """Indices of ``len(fractions)`` parts; all images of one prompt land in the same part.

    The distinct prompts (sorted, so the input order does not matter) are shuffled with ``seed``
    and dealt out until each part holds its share of images.
    """
    if not np.isclose(sum(fractions), 1.0) or any(f < 0 for f in fractions):
        raise ValueError(f"fractions must be non-negative and sum to 1, got {list(fractions)}")
    keys = ["\0missing" if p is None else p for p in prompts]
    groups: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    order = sorted(groups)
    rng = np.random.default_rng(seed)
    shuffled = [order[i] for i in rng.permutation(len(order))]
    bounds = np.cumsum(fractions) * len(keys)
    parts: list[list[int]] = [[] for _ in fractions]
    taken, part = 0, 0
    for key in shuffled:
        while part < len(fractions) - 1 and taken >= bounds[part] - 1e-9:
            part += 1
        parts[part].extend(groups[key])
        taken += len(groups[key])
    return [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]


def official_validation_split(
    count: int, test_size: float = 0.1, random_state: int = 42
) -> tuple[np.ndarray, np.ndarray]:
    """``(train, validation)`` row indices as the official scripts split the training CSV."""
    train, val = train_test_split(np.arange(count), test_size=test_size, random_state=random_state)
    return np.asarray(train), np.asarray(val)
