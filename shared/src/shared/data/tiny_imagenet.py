"""Tiny ImageNet-200 in the layout of the cs231n ``tiny-imagenet-200.zip``.

Classes are indexed in sorted train-folder order (what torchvision's ImageFolder gives the
official code), not in ``wnids.txt`` order. The labelled ``val/`` split is the test split, as in
the official LeRaC/CBM code; the unlabelled ``test/`` folder is not used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.data.errors import DatasetFormatError, require_dir
from shared.data.image_files import (
    ImageFileDataModule,
    Sample,
    image_files,
    require_file,
    subfolders,
)

TINY_IMAGENET_FOLDER = "tiny-imagenet-200"
TINY_IMAGENET_LAYOUT = (
    "tiny-imagenet-200/{wnids.txt, train/<wnid>/images/*.JPEG, val/images/*.JPEG, "
    "val/val_annotations.txt (tab-separated: file, wnid, 4 box coordinates)}"
)
TINY_IMAGENET_SOURCE = "http://cs231n.stanford.edu/tiny-imagenet-200.zip (unzip it)"


def read_val_annotations(path: Path, class_index: dict[str, int]) -> list[tuple[str, int]]:
    """``(file name, label)`` per line of ``val_annotations.txt``."""
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise DatasetFormatError(
                path, f"line {number} {line!r}", "tab-separated file, wnid, box"
            )
        if fields[1] not in class_index:
            raise DatasetFormatError(
                path, f"wnid {fields[1]!r} on line {number}", "a wnid with a train/ folder"
            )
        entries.append((fields[0], class_index[fields[1]]))
    return entries


class TinyImageNetDataModule(ImageFileDataModule):
    """Tiny ImageNet-200 from ``<data_root>/tiny-imagenet-200`` (64x64 images, 200 classes).

    ``preload`` decodes the training images into RAM at set-up, like the official code (about
    1.2 GB for the full set). The official loaders only resize and normalise (no augmentation).
    One departure: the official training loader drops the last incomplete batch; this one
    keeps it, like every DataModule here.
    """

    dataset_name = "Tiny ImageNet-200"
    num_classes = 200

    def __init__(self, image_size: int = 64, preload: bool = True, **kwargs: Any) -> None:
        super().__init__(image_size=image_size, preload=preload, **kwargs)

    def list_samples(self) -> dict[str, list[Sample]]:
        folder = self._require(self.data_dir / TINY_IMAGENET_FOLDER)
        wnids_file = require_file(
            folder / "wnids.txt", self.dataset_name, TINY_IMAGENET_LAYOUT, TINY_IMAGENET_SOURCE
        )
        train_dir = self._require(folder / "train")
        val_images = self._require(folder / "val" / "images")
        annotations = require_file(
            folder / "val" / "val_annotations.txt",
            self.dataset_name,
            TINY_IMAGENET_LAYOUT,
            TINY_IMAGENET_SOURCE,
        )
        classes = subfolders(train_dir)
        listed = sorted(wnids_file.read_text().split())
        if classes != listed:
            raise DatasetFormatError(
                train_dir,
                f"class folders {classes[:5]}... ({len(classes)})",
                f"the {len(listed)} wnids of {wnids_file}",
            )
        if len(classes) > self.num_classes:
            raise DatasetFormatError(
                train_dir, f"{len(classes)} class folders", f"at most {self.num_classes}"
            )
        class_index = {wnid: index for index, wnid in enumerate(classes)}
        train = [
            (path, class_index[wnid]) for wnid in classes for path in image_files(train_dir / wnid)
        ]
        test = []
        for name, label in read_val_annotations(annotations, class_index):
            path = val_images / name
            if not path.is_file():
                raise DatasetFormatError(
                    annotations, f"{name}, which is not in {val_images}", "one image per line"
                )
            test.append((path, label))
        return {"train": train, "test": test}

    def _require(self, folder: Path) -> Path:
        return require_dir(folder, self.dataset_name, TINY_IMAGENET_LAYOUT, TINY_IMAGENET_SOURCE)
