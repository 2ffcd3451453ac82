"""Food-101 in the layout of the official ``food-101.tar.gz`` (the one torchvision's ``Food101`` reads).

Classes are indexed in sorted order of the ``meta/train.json`` keys, as torchvision does; the
official 75,750 / 25,250 train/test lists are used as given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.data.errors import DatasetFormatError, require_dir
from shared.data.image_files import ImageFileDataModule, Sample, require_file

FOOD101_FOLDER = "food-101"
FOOD101_LAYOUT = (
    "food-101/{images/<class>/<id>.jpg, meta/train.json, meta/test.json, meta/classes.txt} "
    '(json: {"<class>": ["<class>/<id>", ...]})'
)
FOOD101_SOURCE = "http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz (extract it)"


def read_split(path: Path) -> dict[str, list[str]]:
    """The ``{class: ["class/id", ...]}`` mapping of ``meta/train.json`` or ``meta/test.json``."""
    try:
        split = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise DatasetFormatError(
            path, f"invalid JSON ({error})", 'a {"<class>": ["<class>/<id>", ...]} object'
        ) from error
    if not isinstance(split, dict) or not all(isinstance(v, list) for v in split.values()):
        raise DatasetFormatError(
            path, f"a {type(split).__name__}", 'a {"<class>": ["<class>/<id>", ...]} object'
        )
    return split


class Food101DataModule(ImageFileDataModule):
    """Food-101 from ``<data_root>/food-101``: 101 classes, resized to ``image_size`` (64 officially)."""

    dataset_name = "Food-101"
    num_classes = 101

    def __init__(self, image_size: int = 64, **kwargs: Any) -> None:
        super().__init__(image_size=image_size, **kwargs)

    def list_samples(self) -> dict[str, list[Sample]]:
        folder = require_dir(
            self.data_dir / FOOD101_FOLDER, self.dataset_name, FOOD101_LAYOUT, FOOD101_SOURCE
        )
        images = require_dir(folder / "images", self.dataset_name, FOOD101_LAYOUT, FOOD101_SOURCE)
        meta = {
            name: require_file(
                folder / "meta" / name, self.dataset_name, FOOD101_LAYOUT, FOOD101_SOURCE
            )
            for name in ("train.json", "test.json", "classes.txt")
        }
        train, test = read_split(meta["train.json"]), read_split(meta["test.json"])
        classes = sorted(train)
        listed = sorted(meta["classes.txt"].read_text().split())
        for path, found in ((meta["test.json"], sorted(test)), (meta["classes.txt"], listed)):
            if found != classes:
                raise DatasetFormatError(
                    path,
                    f"classes {found[:5]}... ({len(found)})",
                    f"the {len(classes)} classes of train.json",
                )
        if len(classes) > self.num_classes:
            raise DatasetFormatError(
                meta["train.json"], f"{len(classes)} classes", f"at most {self.num_classes}"
            )
        class_index = {name: index for index, name in enumerate(classes)}
        splits = {}
        for split, entries, source in (
            ("train", train, meta["train.json"]),
            ("test", test, meta["test.json"]),
        ):
            samples = []
            for name, ids in entries.items():
                for entry in ids:
                    path = images / f"{entry}.jpg"
                    if not path.is_file():
                        raise DatasetFormatError(
                            source,
                            f"entry {entry!r} with no file {path}",
                            "an existing image per entry",
                        )
                    samples.append((path, class_index[name]))
            splits[split] = samples
        return splits
