"""Image datasets stored as files on disk (JPEG/PNG), and the DataModule base they share.

A subclass only says where its files are and which class each belongs to
(:meth:`ImageFileDataModule.list_samples`); decoding, the seeded stratified hold-out, the
transforms and the loaders live here once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image, UnidentifiedImageError
from pytorch_lightning.utilities import rank_zero_warn
from torch.utils.data import Dataset
from torchvision import transforms as T

from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.data.in_memory import InMemoryImageDataModule
from shared.data.splits import stratified_split
from shared.errors import ConfigError, check_range
from shared.paths import data_root as resolve_data_root

# The extensions torchvision's ImageFolder accepts, compared case-insensitively like it does.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
Sample = tuple[Path, int]
Transform = Callable[[Image.Image], torch.Tensor]


def load_rgb(path: Path) -> Image.Image:
    """Decode one image fully and convert it to RGB (grayscale and CMYK files exist in the wild)."""
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as error:
        raise DatasetFormatError(
            path, f"an unreadable image ({error})", "a decodable image file"
        ) from error


def require_file(path: Path, name: str, layout: str, source: str) -> Path:
    if not path.is_file():
        raise DatasetNotFoundError(name, path.parent, f"{layout} (missing: {path.name})", source)
    return path


def subfolders(folder: Path) -> list[str]:
    """Names of the sub-directories, sorted as ImageFolder sorts its classes (case-sensitive)."""
    return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())


def image_files(folder: Path) -> list[Path]:
    """Image files below ``folder`` (recursively, like ImageFolder), in sorted order."""
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
    )


def labels_of(samples: Sequence[Sample]) -> list[int]:
    return [label for _, label in samples]


class ImageFileDataset(Dataset):
    """``(path, label)`` pairs -> ``(transform(image), label)``; ``preload`` decodes all up front.

    Preloading keeps the decoded images in RAM (as the official Tiny ImageNet loader does) and
    surfaces a corrupt file at set-up instead of mid-epoch.
    """

    def __init__(
        self, samples: Sequence[Sample], transform: Transform, preload: bool = False
    ) -> None:
        self.samples = list(samples)
        self.transform = transform
        self.images = [load_rgb(path) for path, _ in self.samples] if preload else None

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.samples[index]
        image = self.images[index] if self.images is not None else load_rgb(path)
        return self.transform(image), label


def class_samples(folder: Path, classes: Sequence[str]) -> list[Sample]:
    """``(path, label)`` for every image in ``folder/<class>/``, labels in ``classes`` order."""
    return [
        (path, label) for label, name in enumerate(classes) for path in image_files(folder / name)
    ]


class ImageFileDataModule(InMemoryImageDataModule):
    """Base for file-based datasets: subclasses implement :meth:`list_samples`.

    ``list_samples`` returns ``{"train": [...], "test": [...]}`` and, for datasets with their own
    validation split, ``"val"``. Otherwise ``val_fraction`` of the training samples is held out,
    stratified and seeded by ``split_seed``, for model selection; ``val_fraction: 0`` reproduces
    the official codes' selection on the test split (validation *is* test), with a warning.
    Default transforms: resize to ``image_size x image_size`` and normalise, no augmentation.
    Loaders, sampler and argument checks are those of :class:`InMemoryImageDataModule`.

    Args:
        data_root: folder that holds the dataset (default: ``$DATA_ROOT``, else ``data/``).
        image_size: side of the square images the model sees.
        val_fraction: share of the training images held out for model selection (0: the test
            split stands in, as in the official codes).
        split_seed: seed of the stratified hold-outs.
        preload: decode the training and validation images into RAM at set-up.
        kwargs: ``mean``, ``std`` and ``loader`` of
            :class:`~shared.data.in_memory.InMemoryImageDataModule`.
    """

    dataset_name = "dataset"
    num_classes: int

    def __init__(
        self,
        data_root: str | None = None,
        image_size: int = 64,
        val_fraction: float = 0.1,
        split_seed: int = 0,
        preload: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(image_size=image_size, **kwargs)
        if self.crop_padding:
            raise ConfigError(
                "data.crop_padding",
                self.crop_padding,
                "0 for image-file datasets",
                "Their transforms are their own (see the DataModule's train_transform); "
                "pad-crop-flip applies to the in-memory sets (CIFAR, digits).",
            )
        self.data_root = data_root
        self.val_fraction = check_range(
            "data.val_fraction", val_fraction, 0.0, 1.0, high_inclusive=False
        )
        self.split_seed, self.preload = split_seed, preload

    def check_test_fraction(self, test_fraction: float, allow_zero: bool) -> float:
        """``test_fraction`` of the training images held out as the test split (for datasets
        without one): in ``[0, 1)`` (or ``(0, 1)``), and below 1 together with ``val_fraction``."""
        check_range(
            "data.test_fraction",
            test_fraction,
            0.0,
            1.0,
            low_inclusive=allow_zero,
            high_inclusive=False,
        )
        if test_fraction + self.val_fraction >= 1:
            raise ConfigError(
                "data.test_fraction + data.val_fraction",
                test_fraction + self.val_fraction,
                "less than 1",
            )
        return test_fraction

    def hold_out_test(self, samples: list[Sample], test_fraction: float) -> dict[str, list[Sample]]:
        """A seeded (``split_seed``), stratified train/test split of ``samples``."""
        train, test = stratified_split(
            labels_of(samples), (1 - test_fraction, test_fraction), self.split_seed
        )
        return {"train": [samples[i] for i in train], "test": [samples[i] for i in test]}

    @property
    def data_dir(self) -> Path:
        return resolve_data_root(self.data_root)

    def list_samples(self) -> dict[str, list[Sample]]:
        raise NotImplementedError

    def train_transform(self) -> Transform:
        return self.eval_transform()

    def eval_transform(self) -> Transform:
        return T.Compose(
            [
                T.Resize((self.image_size, self.image_size)),
                T.ToTensor(),
                T.Normalize(self.mean, self.std),
            ]
        )

    def split_samples(self) -> dict[str, list[Sample]]:
        """The three splits: the listed ones, plus the validation hold-out or the test stand-in."""
        splits = self.list_samples()
        if "val" in splits:
            return splits
        train = splits["train"]
        if self.val_fraction == 0:
            rank_zero_warn(
                f"{self.dataset_name}: val_fraction=0, so validation is the test split (the "
                "official code's model selection on test). Best-epoch numbers are then optimistic."
            )
            return {**splits, "val": splits["test"]}
        train_idx, val_idx = stratified_split(
            labels_of(train), (1 - self.val_fraction, self.val_fraction), self.split_seed
        )
        return {
            **splits,
            "train": [train[i] for i in train_idx],
            "val": [train[i] for i in val_idx],
        }

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        splits = self.split_samples()
        for split, samples in splits.items():
            if not samples:
                raise DatasetFormatError(
                    self.data_dir, f"no {split} images", f"{self.dataset_name} images"
                )
            transform = self.train_transform() if split == "train" else self.eval_transform()
            # Preload what is drawn from the training set, as the official Tiny ImageNet code does.
            preload = self.preload and split != "test" and samples is not splits["test"]
            self.datasets[split] = ImageFileDataset(samples, transform, preload=preload)
