"""A generic ``{train,test}/<class>/*`` image folder (CBM's transfer sets: Sport Balls, AHE, ...)."""

from __future__ import annotations

from pathlib import Path

from shared.data.errors import DatasetFormatError
from shared.data.image_files import (
    ImageFileDataModule,
    Sample,
    image_files,
    require_dir,
    subfolders,
)
from shared.errors import ConfigError

IMAGE_FOLDER_LAYOUT = "<root>/{train,test}/<class>/*.{jpg,jpeg,png} (optional <root>/val/<class>/)"


class ImageFolderDataModule(ImageFileDataModule):
    """Classes are the sorted ``train/`` sub-folders (ImageFolder order); ``test/`` and ``val/``
    must hold the same class folders. Without ``val/``, ``val_fraction`` of ``train/`` is held out.

    ``root`` is the dataset folder: absolute, or relative to the data root (``data_root`` /
    ``DATA_ROOT`` / ``<repo>/data``), so configs need no machine-specific paths. ``num_classes``
    is read from ``train/`` when not given; when given, the folder must agree.
    """

    def __init__(
        self,
        root: str,
        image_size: int = 224,
        batch_size: int = 64,
        num_workers: int = 0,
        val_fraction: float = 0.1,
        split_seed: int = 0,
        mean: tuple[float, float, float] = (0.5, 0.5, 0.5),
        std: tuple[float, float, float] = (0.5, 0.5, 0.5),
        sampler_seed: int | None = None,
        data_root: str | None = None,
        num_classes: int | None = None,
    ) -> None:
        super().__init__(
            data_root,
            image_size,
            batch_size,
            num_workers,
            val_fraction,
            split_seed,
            mean,
            std,
            sampler_seed,
        )
        if not root:
            raise ConfigError("data.root", root, "the dataset folder holding train/ and test/")
        self.folder_name, self.dataset_name = root, Path(root).name
        self._num_classes = num_classes

    @property
    def folder(self) -> Path:
        path = Path(self.folder_name).expanduser()
        return path if path.is_absolute() else self.data_dir / path

    def classes(self) -> list[str]:
        train = require_dir(
            self.folder / "train",
            self.dataset_name,
            IMAGE_FOLDER_LAYOUT,
            "your own copy of the dataset",
        )
        return subfolders(train)

    @property
    def num_classes(self) -> int:
        if self._num_classes is None:
            self._num_classes = len(self.classes())
        return self._num_classes

    def list_samples(self) -> dict[str, list[Sample]]:
        classes = self.classes()
        if len(classes) != self.num_classes:
            raise DatasetFormatError(
                self.folder / "train",
                f"{len(classes)} class folders",
                f"data.num_classes = {self.num_classes}",
            )
        splits = {}
        for split in ("train", "val", "test"):
            folder = self.folder / split
            if split == "val" and not folder.is_dir():
                continue
            require_dir(
                folder, self.dataset_name, IMAGE_FOLDER_LAYOUT, "your own copy of the dataset"
            )
            if subfolders(folder) != classes:
                raise DatasetFormatError(
                    folder, f"class folders {subfolders(folder)}", f"those of train/: {classes}"
                )
            splits[split] = [
                (path, label)
                for label, name in enumerate(classes)
                for path in image_files(folder / name)
            ]
        return splits
