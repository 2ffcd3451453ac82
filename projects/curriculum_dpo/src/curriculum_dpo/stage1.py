"""Stage 1 in the official on-disk format: n images per prompt sampled by the base model, in the
official order (outer loop over the sample index, inner over prompt batches, so rows interleave
the prompts), written with ``datasets``' ``save_to_disk`` (features ``image``: Image(),
``prompt``: string) and a separate, row-aligned dataset with one float column ``score``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from curriculum_dpo.rewards import score
from shared.data.errors import DatasetFormatError, require_dir

Sampler = Callable[[list[str]], torch.Tensor]  # prompts -> images [B, 3, H, W] in [0, 1]
LAYOUT = "a datasets save_to_disk folder (dataset_info.json, state.json, data-*.arrow)"


def generate(
    sample: Sampler, prompts: Sequence[str], per_prompt: int, batch_size: int
) -> tuple[torch.Tensor, list[str]]:
    """``per_prompt`` images of every prompt, row order = sample index, then prompt order."""
    images, rows = [], []
    for _ in range(per_prompt):
        for start in range(0, len(prompts), batch_size):
            batch = list(prompts[start : start + batch_size])
            images.append(sample(batch))
            rows.extend(batch)
    return torch.cat(images), rows


def _to_pil(images: torch.Tensor) -> list:
    from PIL import Image

    array = (images.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return [Image.fromarray(a) for a in array]


def save_images(folder: str | Path, images: torch.Tensor, prompts: Sequence[str]) -> Path:
    """The image dataset: features ``{"image": Image(), "prompt": string}``."""
    from datasets import Dataset, Features, Image, Value

    features = Features({"image": Image(), "prompt": Value("string")})
    data = {"image": _to_pil(images), "prompt": list(prompts)}
    Dataset.from_dict(data, features=features).save_to_disk(str(folder))
    return Path(folder)


def save_scores(folder: str | Path, scores: Sequence[float]) -> Path:
    """The score dataset: one float column ``score``, row-aligned with the images."""
    from datasets import Dataset, Features, Value

    features = Features({"score": Value("float64")})
    Dataset.from_dict({"score": [float(s) for s in scores]}, features=features).save_to_disk(
        str(folder)
    )
    return Path(folder)


def score_images(reward, folder: str | Path, batch_size: int = 64) -> np.ndarray:
    """Score every row of an image dataset with ``reward`` (checked: finite, one per image)."""
    dataset = load_images(folder)
    values = []
    for start in range(0, len(dataset), batch_size):
        rows = dataset[start : start + batch_size]
        values.append(score(reward, images_tensor(rows["image"]), rows["prompt"]).numpy())
    return np.concatenate(values)


def images_tensor(images: Sequence) -> torch.Tensor:
    """PIL images → ``[B, 3, H, W]`` in [0, 1]."""
    arrays = np.stack([np.asarray(image.convert("RGB")) for image in images])
    return torch.from_numpy(arrays).permute(0, 3, 1, 2).float() / 255


def load_images(folder: str | Path):
    """An image dataset written by :func:`save_images` (or the official generator)."""
    from datasets import load_from_disk

    folder = require_dir(Path(folder), "stage-1 images", LAYOUT, "stage 1 (`generate`)")
    dataset = load_from_disk(str(folder))
    missing = {"image", "prompt"} - set(dataset.column_names)
    if missing:
        raise DatasetFormatError(folder, f"columns {dataset.column_names}", "image and prompt")
    return dataset


def load_scores(folder: str | Path, rows: int) -> np.ndarray:
    """The ``score`` column, which must have one value per image row."""
    from datasets import load_from_disk

    folder = require_dir(Path(folder), "stage-1 scores", LAYOUT, "stage 1 (`score_images`)")
    dataset = load_from_disk(str(folder))
    if "score" not in dataset.column_names:
        raise DatasetFormatError(folder, f"columns {dataset.column_names}", "a `score` column")
    if len(dataset) != rows:
        raise DatasetFormatError(
            folder, f"{len(dataset)} scores for {rows} images", "one score per image row"
        )
    return np.asarray(dataset["score"], dtype=np.float64)
