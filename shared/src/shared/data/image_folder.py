"""A generic image folder (CBM's transfer sets: Sport Balls, Sea Animals, AHE, ...).

Two layouts: ``<root>/{train,test}/<class>/*`` (optional ``val/``), or, with ``test_fraction``,
a flat ``<root>/<class>/*`` split once, stratified and seeded. The CBM code splits Sea Animals
with ``train_test_split(range(n), targets, stratify=targets, test_size=0.1, random_state=42)``;
``test_fraction: 0.1, split_seed: 42`` draws the same split (same scikit-learn stratified draw,
see the tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.data.errors import DatasetFormatError, require_dir
from shared.data.image_files import (
    ImageFileDataModule,
    Sample,
    class_samples,
    subfolders,
)
from shared.errors import ConfigError

IMAGE_FOLDER_LAYOUT = (
    "<root>/{train,test}/<class>/*.{jpg,jpeg,png} (optional <root>/val/<class>/), "
    "or <root>/<class>/* with data.test_fraction > 0"
)
IMAGE_FOLDER_SOURCE = "your own copy of the dataset"


class ImageFolderDataModule(ImageFileDataModule):
    """Classes are the sorted class sub-folders (ImageFolder order); ``test/`` and ``val/`` must
    hold the same class folders as ``train/``. Without ``val/``, ``val_fraction`` of the training
    images is held out.

    ``root`` is the dataset folder: absolute, or relative to the data root (``data_root`` /
    ``DATA_ROOT`` / ``<repo>/data``), so configs need no machine-specific paths. ``num_classes``
    is read from the folder when not given; when given, the folder must agree.
    """

    def __init__(
        self,
        root: str,
        image_size: int = 224,
        num_classes: int | None = None,
        test_fraction: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(image_size=image_size, **kwargs)
        if not root:
            raise ConfigError("data.root", root, "the dataset folder holding train/ and test/")
        self.folder_name, self.dataset_name = root, Path(root).name
        self.test_fraction = self.check_test_fraction(test_fraction, allow_zero=True)
        self._num_classes = num_classes

    @property
    def folder(self) -> Path:
        path = Path(self.folder_name).expanduser()
        return path if path.is_absolute() else self.data_dir / path

    @property
    def class_root(self) -> Path:
        """Where the class folders are: ``<root>/train``, or ``<root>`` for the flat layout."""
        return self.folder if self.test_fraction > 0 else self.folder / "train"

    def classes(self) -> list[str]:
        return subfolders(
            require_dir(
                self.class_root, self.dataset_name, IMAGE_FOLDER_LAYOUT, IMAGE_FOLDER_SOURCE
            )
        )

    @property
    def num_classes(self) -> int:
        if self._num_classes is None:
            self._num_classes = len(self.classes())
        return self._num_classes

    def list_samples(self) -> dict[str, list[Sample]]:
        classes = self.classes()
        if len(classes) != self.num_classes:
            raise DatasetFormatError(
                self.class_root,
                f"{len(classes)} class folders",
                f"data.num_classes = {self.num_classes}",
            )
        if self.test_fraction > 0:
            if "train" in classes:
                raise DatasetFormatError(
                    self.folder, "a train/ folder", "class folders only (data.test_fraction > 0)"
                )
            return self.hold_out_test(class_samples(self.folder, classes), self.test_fraction)
        splits = {}
        for split in ("train", "val", "test"):
            folder = self.folder / split
            if split == "val" and not folder.is_dir():
                continue
            require_dir(folder, self.dataset_name, IMAGE_FOLDER_LAYOUT, IMAGE_FOLDER_SOURCE)
            if subfolders(folder) != classes:
                raise DatasetFormatError(
                    folder, f"class folders {subfolders(folder)}", f"those of train/: {classes}"
                )
            splits[split] = class_samples(folder, classes)
        return splits
