"""Write tiny image datasets in the exact on-disk layouts of Tiny ImageNet, Food-101, ImageNet
(ILSVRC), Caltech-101 and a generic ImageFolder, so tests load them through the real DataModules.

Every image is a flat gray square whose level encodes the label the loader should give it
(:func:`label_level`), so a test can check the label mapping from the pixels alone. Folder and
list orders are chosen so that a loader indexing classes in the wrong order gets them wrong.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from shared.data.caltech101 import BACKGROUND_CLASS

LEVELS = 6


def label_level(label: int) -> int:
    """Gray level (0..255) of the fixture images of class ``label`` (repeats every 6 labels)."""
    return 20 + 40 * (label % LEVELS)


def _write_image(path: Path, label: int, size: tuple[int, int], mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    level = label_level(label)
    colour = level if mode == "L" else (level, level, level)
    fmt = "PNG" if path.suffix.lower() == ".png" else "JPEG"
    Image.new(mode, size, colour).save(path, format=fmt)


def write_tiny_imagenet_fixture(
    root: Path, classes: int = 3, per_class: int = 4, val_per_class: int = 2, size: int = 64
) -> Path:
    """``<root>/tiny-imagenet-200`` with ``classes`` wnids; ``wnids.txt`` lists them unsorted."""
    folder = Path(root) / "tiny-imagenet-200"
    wnids = sorted(f"n{1_000_000 + 7_919 * i:08d}" for i in range(classes))
    listed = wnids[1:] + wnids[:1]  # the official wnids.txt is not in sorted order either
    (folder / "val" / "images").mkdir(parents=True, exist_ok=True)
    (folder / "wnids.txt").write_text("".join(f"{w}\n" for w in listed))
    (folder / "words.txt").write_text("".join(f"{w}\tclass {w}\n" for w in listed))
    annotations = []
    for label, wnid in enumerate(wnids):
        boxes = []
        for i in range(per_class):
            name = f"{wnid}_{i}.JPEG"
            _write_image(folder / "train" / wnid / "images" / name, label, (size, size))
            boxes.append(f"{name}\t0\t0\t{size - 1}\t{size - 1}\n")
        (folder / "train" / wnid / f"{wnid}_boxes.txt").write_text("".join(boxes))
    for i in range(classes * val_per_class):
        label = (classes - 1 - i) % classes  # interleaved, not grouped by class
        name = f"val_{i}.JPEG"
        _write_image(folder / "val" / "images" / name, label, (size, size))
        annotations.append(f"{name}\t{wnids[label]}\t0\t0\t{size - 1}\t{size - 1}\n")
    (folder / "val" / "val_annotations.txt").write_text("".join(annotations))
    _write_image(folder / "test" / "images" / "test_0.JPEG", 0, (size, size))
    return folder


FOOD101_NAMES = (
    "apple_pie",
    "baby_back_ribs",
    "baklava",
    "beef_carpaccio",
    "beef_tartare",
    "beet_salad",
)


def write_food101_fixture(
    root: Path, classes: int = 3, per_class: int = 4, test_per_class: int = 2, size: int = 32
) -> Path:
    """``<root>/food-101`` with ``images/``, ``meta/{train,test}.json`` (keys unsorted) and ``classes.txt``."""
    folder = Path(root) / "food-101"
    names = list(FOOD101_NAMES[:classes])
    meta = folder / "meta"
    meta.mkdir(parents=True, exist_ok=True)
    splits: dict[str, dict[str, list[str]]] = {"train": {}, "test": {}}
    next_id = 100_000
    for name in reversed(names):
        label = names.index(name)
        for split, count in (("train", per_class), ("test", test_per_class)):
            entries = []
            for _ in range(count):
                entries.append(f"{name}/{next_id}")
                _write_image(folder / "images" / name / f"{next_id}.jpg", label, (size + 8, size))
                next_id += 7
            splits[split][name] = entries
    for split, content in splits.items():
        (meta / f"{split}.json").write_text(json.dumps(content))
        (meta / f"{split}.txt").write_text("".join(f"{e}\n" for v in content.values() for e in v))
    (meta / "classes.txt").write_text("".join(f"{n}\n" for n in names))
    (meta / "labels.txt").write_text("".join(f"{n.replace('_', ' ').title()}\n" for n in names))
    return folder


IMAGENET_WNIDS = ("n01440764", "n01443537", "n01484850", "n01491361", "n01494475", "n01496331")
_VOC_XML = """<annotation>
	<folder>val</folder>
	<filename>{stem}</filename>
	<source>
		<database>ILSVRC_2012</database>
	</source>
	<size>
		<width>{width}</width>
		<height>{height}</height>
		<depth>3</depth>
	</size>
	<segmented>0</segmented>
	<object>
		<name>{wnid}</name>
		<pose>Unspecified</pose>
		<truncated>0</truncated>
		<difficult>0</difficult>
		<bndbox>
			<xmin>1</xmin>
			<ymin>1</ymin>
			<xmax>{width}</xmax>
			<ymax>{height}</ymax>
		</bndbox>
	</object>
</annotation>
"""


def write_imagenet200_fixture(
    root: Path,
    classes: int = 3,
    per_class: int = 4,
    val_per_class: int = 2,
    size: tuple[int, int] = (40, 30),
) -> Path:
    """``<root>/imagenet/ILSVRC`` with ``classes`` train wnids, flat val images and their XMLs."""
    base = Path(root) / "imagenet" / "ILSVRC"
    wnids = IMAGENET_WNIDS[:classes]
    train, val = base / "Data" / "CLS-LOC" / "train", base / "Data" / "CLS-LOC" / "val"
    notes = base / "Annotations" / "CLS-LOC" / "val"
    notes.mkdir(parents=True, exist_ok=True)
    for label, wnid in enumerate(wnids):
        for i in range(per_class):
            _write_image(train / wnid / f"{wnid}_{i + 1}.JPEG", label, size)
    for i in range(classes * val_per_class):
        label = (classes - 1 - i) % classes
        stem = f"ILSVRC2012_val_{i + 1:08d}"
        _write_image(val / f"{stem}.JPEG", label, size)
        (notes / f"{stem}.xml").write_text(
            _VOC_XML.format(stem=stem, width=size[0], height=size[1], wnid=wnids[label])
        )
    return base


CALTECH101_NAMES = ("Faces", "Leopards", "Motorbikes", "accordion", "airplanes", "anchor")


def write_caltech101_fixture(
    root: Path, classes: int = 3, per_class: int = 10, size: tuple[int, int] = (36, 28)
) -> Path:
    """``<root>/caltech101/101_ObjectCategories`` plus ``BACKGROUND_Google`` (which loaders drop).

    Class names mix upper and lower case, as the real ones do (sorted case-sensitively), and the
    first image of the last class is grayscale, as about 0.3% of the real images are.
    """
    folder = Path(root) / "caltech101" / "101_ObjectCategories"
    names = CALTECH101_NAMES[:classes]
    for i in range(2):
        _write_image(folder / BACKGROUND_CLASS / f"image_{i + 1:04d}.jpg", LEVELS - 1, size)
    for label, name in enumerate(names):
        for i in range(per_class):
            mode = "L" if label == classes - 1 and i == 0 else "RGB"
            _write_image(folder / name / f"image_{i + 1:04d}.jpg", label, size, mode)
    return folder


def write_image_folder_fixture(
    root: Path,
    classes: tuple[str, ...] = ("cricket_ball", "football", "golf_ball"),
    per_class: dict[str, int] | None = None,
    size: tuple[int, int] = (30, 30),
) -> Path:
    """``<root>/{train,test[,val]}/<class>/`` with JPEG and PNG files; returns ``root``.

    ``per_class`` maps split -> images per class (default train 4, test 2; add ``val`` for a
    dataset that ships its own validation folder).
    """
    root = Path(root)
    for split, count in (per_class or {"train": 4, "test": 2}).items():
        _write_class_folders(root / split, classes, [count] * len(classes), size)
    return root


def write_flat_image_folder_fixture(
    root: Path,
    classes: tuple[str, ...] = ("clams", "crabs", "dolphin"),
    counts: tuple[int, ...] = (10, 7, 13),
    size: tuple[int, int] = (30, 30),
) -> Path:
    """``<root>/<class>/`` with ``counts[i]`` images of class ``i`` (Sea Animals' layout)."""
    _write_class_folders(Path(root), classes, counts, size)
    return Path(root)


def _write_class_folders(
    folder: Path, classes: tuple[str, ...], counts: Sequence[int], size: tuple[int, int]
) -> None:
    for label, (name, count) in enumerate(zip(classes, counts, strict=True)):
        for i in range(count):
            suffix = ".png" if i % 2 else ".jpg"
            _write_image(folder / name / f"{name}_{i:03d}{suffix}", label, size)
