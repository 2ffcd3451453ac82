"""Caltech-101 in the layout of the official ``101_ObjectCategories`` archive (torchvision's layout).

``BACKGROUND_Google`` is dropped as torchvision does, leaving 8,677 images in 101 classes
indexed in case-sensitive sorted folder order. Caltech-101 has no official split, so the images
are split once, stratified by class and seeded by ``split_seed``: ``test_fraction`` for test,
``val_fraction`` for validation, the rest for training (defaults 70/10/20, seed 0).
Grayscale images are converted to RGB.
"""

from __future__ import annotations

from typing import Any

from shared.data.errors import DatasetFormatError, require_dir
from shared.data.image_files import (
    ImageFileDataModule,
    Sample,
    class_samples,
    labels_of,
    subfolders,
)
from shared.data.splits import stratified_split

CALTECH101_LAYOUT = "caltech101/101_ObjectCategories/<class>/image_*.jpg"
CALTECH101_SOURCE = (
    "https://data.caltech.edu/records/mzrjq-6wc02 (caltech-101.zip; extract "
    "101_ObjectCategories.tar.gz into caltech101/)"
)
BACKGROUND_CLASS = "BACKGROUND_Google"


class Caltech101DataModule(ImageFileDataModule):
    """Caltech-101 from ``<data_root>/caltech101``, resized to ``image_size x image_size``."""

    dataset_name = "Caltech-101"
    num_classes = 101

    def __init__(self, image_size: int = 224, test_fraction: float = 0.2, **kwargs: Any) -> None:
        super().__init__(image_size=image_size, **kwargs)
        self.test_fraction = self.check_test_fraction(test_fraction, allow_zero=False)

    def list_samples(self) -> dict[str, list[Sample]]:
        folder = require_dir(
            self.data_dir / "caltech101" / "101_ObjectCategories",
            self.dataset_name,
            CALTECH101_LAYOUT,
            CALTECH101_SOURCE,
        )
        classes = [name for name in subfolders(folder) if name != BACKGROUND_CLASS]
        if len(classes) > self.num_classes:
            raise DatasetFormatError(
                folder, f"{len(classes)} class folders", f"at most {self.num_classes}"
            )
        samples = class_samples(folder, classes)
        if self.val_fraction == 0:
            return self.hold_out_test(samples, self.test_fraction)
        fractions = (
            1 - self.test_fraction - self.val_fraction,
            self.val_fraction,
            self.test_fraction,
        )
        parts = stratified_split(labels_of(samples), fractions, self.split_seed)
        return {
            name: [samples[i] for i in part]
            for name, part in zip(("train", "val", "test"), parts, strict=True)
        }
