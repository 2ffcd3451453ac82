"""Training data with per-image patch probabilities: ``(image, label, probs)`` batches.

:class:`SaliencyDataModule` wraps any of the shared classification DataModules. At set-up it
computes the Sobel patch probabilities of every *un-augmented* training image in batches, or
loads them from a cache on disk, and its training loader yields ``(x, y, p)`` as the official
dataset classes do. Validation and test loaders are the wrapped module's own.

The cache file (``<data_root>/cache/cbm/<name>-n<n>-<size>px.pt`` by default) records the
settings and a fingerprint of the training set; one that does not match the current data is
refused with an error, never used or overwritten silently (``refresh_cache: true`` rewrites it).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from cbm.model import check_grid
from cbm.saliency import sobel_patch_saliency
from shared.data.errors import DatasetFormatError
from shared.data.image_files import ImageFileDataset, load_rgb
from shared.data.in_memory import TensorImageDataset
from shared.errors import ConfigError, check_range
from shared.paths import data_root

CACHE_FORMAT = 2
"""Bump when the saliency computation changes, so older caches are refused."""


class SaliencyCacheMismatch(DatasetFormatError):
    """A cache file holds probabilities made for other data or settings."""

    def __init__(self, path: Path, found: str, expected: str) -> None:
        super().__init__(path, found, expected)
        self.args = (
            f"{self.args[0]} This saliency cache was made for other data or settings. Delete the "
            "file, set `data.init_args.refresh_cache: true` to rewrite it, or give this data its "
            "own `data.init_args.cache_name`.",
        )


class WithProbabilities(Dataset):
    """``dataset[i] + (probs[i],)``: the official ``(image, label, p)`` items."""

    def __init__(self, dataset: Dataset, probs: torch.Tensor) -> None:
        if len(dataset) != len(probs):
            raise ValueError(f"{len(dataset)} images but {len(probs)} probability rows")
        self.dataset, self.probs = dataset, probs

    def __len__(self) -> int:
        return len(self.probs)

    def __getitem__(self, index: int) -> tuple:
        return (*self.dataset[index], self.probs[index])


def raw_image_batches(dataset: Dataset, size: int, chunk: int = 256) -> Iterator[torch.Tensor]:
    """The un-augmented training images ``[b, 3, h, w]`` at their stored scale, in order.

    In-memory sets come as stored (the saliency resizes them in batches, 8-bit ones exactly as
    PIL's bilinear filter would); image files are decoded and resized to ``size`` one by one
    with PIL, like torchvision's ``Resize`` in the official datasets.
    """
    if isinstance(dataset, TensorImageDataset):
        for start in range(0, len(dataset), chunk):
            yield dataset.images[start : start + chunk]
    elif isinstance(dataset, ImageFileDataset):
        for start in range(0, len(dataset), chunk):
            arrays = []
            for index in range(start, min(start + chunk, len(dataset))):
                if dataset.images is not None:
                    image = dataset.images[index]
                else:
                    image = load_rgb(dataset.samples[index][0])
                resized = image.resize((size, size), Image.Resampling.BILINEAR)
                arrays.append(np.asarray(resized))
            yield torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
    else:
        raise TypeError(
            f"cannot read raw training images from {type(dataset).__name__}: expected the shared "
            "TensorImageDataset (in-memory sets) or ImageFileDataset (image files)"
        )


def dataset_fingerprint(dataset: Dataset) -> str:
    """SHA-256 of what identifies the training set: its pixels and labels (in-memory sets) or
    its files' last two path parts, sizes and labels (image files), in order."""
    digest = hashlib.sha256()
    if isinstance(dataset, TensorImageDataset):
        digest.update(str((tuple(dataset.images.shape), dataset.images.dtype)).encode())
        digest.update(dataset.images.contiguous().numpy().tobytes())
        digest.update(dataset.labels.numpy().tobytes())
    elif isinstance(dataset, ImageFileDataset):
        for path, label in dataset.samples:
            path = Path(path)
            digest.update(
                f"{path.parent.name}/{path.name}:{path.stat().st_size}:{label}\n".encode()
            )
    else:
        raise TypeError(f"cannot fingerprint {type(dataset).__name__}")
    return digest.hexdigest()


def compute_probabilities(dataset: Dataset, patches: int, size: int) -> torch.Tensor:
    """Sobel patch probabilities ``[N, n²]`` float32 of every image of ``dataset``, in order."""
    check_grid(size, size, patches, field="data.patches")
    rows = [
        sobel_patch_saliency(batch, patches, size) for batch in raw_image_batches(dataset, size)
    ]
    return torch.cat(rows)


def _atomic_save(payload: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(handle)
    torch.save(payload, temporary)
    os.replace(temporary, path)


def load_or_compute(
    dataset: Dataset, patches: int, size: int, path: Path | None, refresh: bool = False
) -> torch.Tensor:
    """The probabilities from the cache at ``path`` if it matches, else computed (and cached)."""
    key = {"format": CACHE_FORMAT, "patches": patches, "size": size, "num_images": len(dataset)}
    fingerprint = dataset_fingerprint(dataset)
    if path is not None and path.exists() and not refresh:
        try:
            cached = torch.load(path, weights_only=True)
        except Exception as error:
            raise SaliencyCacheMismatch(
                path, f"an unreadable file ({error})", "a saliency cache"
            ) from error
        found = {k: cached.get(k) for k in key} | {"fingerprint": cached.get("fingerprint")}
        expected = key | {"fingerprint": fingerprint}
        if found != expected:
            diff = {k: (found[k], expected[k]) for k in expected if found[k] != expected[k]}
            raise SaliencyCacheMismatch(
                path,
                ", ".join(f"{k}={v[0]!r}" for k, v in diff.items()),
                ", ".join(f"{k}={v[1]!r}" for k, v in diff.items())
                + " for the current training set",
            )
        probs = cached["probs"]
        if tuple(probs.shape) != (len(dataset), patches * patches):
            raise SaliencyCacheMismatch(
                path,
                f"probabilities of shape {tuple(probs.shape)}",
                f"{(len(dataset), patches * patches)}",
            )
        return probs
    probs = compute_probabilities(dataset, patches, size)
    if path is not None:
        _atomic_save({**key, "fingerprint": fingerprint, "probs": probs}, path)
    return probs


class SaliencyDataModule(pl.LightningDataModule):
    """A classification DataModule whose training batches carry Sobel patch probabilities.

    Args:
        data: the wrapped DataModule (digits, CIFAR, Tiny ImageNet, Food-101, image folders).
        patches: patches per side ``n`` (official: 4); must match the model's.
        prob_size: resolution the probabilities are computed at (official: 64 for CIFAR, 224
            for Food-101); ``None`` uses the wrapped module's ``image_size``.
        cache: keep the probabilities on disk; ``cache_dir`` defaults to
            ``<data_root>/cache/cbm``, ``cache_name`` to the wrapped class's name.
        refresh_cache: recompute and rewrite an existing cache instead of refusing a mismatch.

    Batches are drawn with the wrapped module's ``loader`` settings (``drop_last`` included:
    the official Tiny ImageNet loader drops the last incomplete batch).
    """

    def __init__(
        self,
        data: pl.LightningDataModule,
        patches: int = 4,
        prob_size: int | None = None,
        cache: bool = True,
        cache_dir: str | None = None,
        cache_name: str | None = None,
        refresh_cache: bool = False,
    ) -> None:
        super().__init__()
        check_range("data.patches", patches, 1)
        if prob_size is not None:
            check_range("data.prob_size", prob_size, 2)
        if getattr(data, "crop_padding", 0):
            raise ConfigError(
                "data.init_args.data.init_args.crop_padding",
                data.crop_padding,
                "0 with precomputed saliency",
                "Random crops and flips move the pixels but not the cached patch probabilities. "
                "The official pipeline has no augmentation; to train with it, use the plain "
                "DataModule and `model.init_args.probs_source: sobel_online`, which computes "
                "the probabilities from each augmented batch.",
            )
        self.data, self.patches, self.prob_size = data, patches, prob_size
        self.cache, self.cache_dir, self.cache_name = cache, cache_dir, cache_name
        self.refresh_cache = refresh_cache
        self.probs: torch.Tensor | None = None

    @property
    def num_classes(self) -> int:
        return self.data.num_classes

    @property
    def saliency_size(self) -> int:
        return self.prob_size or self.data.image_size

    def cache_path(self) -> Path | None:
        if not self.cache:
            return None
        folder = Path(self.cache_dir) if self.cache_dir else data_root() / "cache" / "cbm"
        name = self.cache_name or type(self.data).__name__.lower()
        return folder / f"{name}-n{self.patches}-{self.saliency_size}px.pt"

    def prepare_data(self) -> None:
        self.data.prepare_data()

    def setup(self, stage: str | None = None) -> None:
        self.data.setup(stage)
        if stage in (None, "fit") and self.probs is None:
            train = self.data.datasets["train"]
            self.probs = load_or_compute(
                train, self.patches, self.saliency_size, self.cache_path(), self.refresh_cache
            )

    def train_dataloader(self) -> DataLoader:
        loader = self.data.train_dataloader()
        with_probs = WithProbabilities(loader.dataset, self.probs)
        return self.data.loader.dataloader(with_probs, train=True, sampler=loader.sampler)

    def val_dataloader(self) -> DataLoader:
        return self.data.val_dataloader()

    def test_dataloader(self) -> DataLoader:
        return self.data.test_dataloader()
