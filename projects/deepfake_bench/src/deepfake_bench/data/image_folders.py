"""Image datasets on disk: our ``manifest.csv`` and the CNNDetection / UnivFD folder layout.

- ``manifest.csv`` with columns ``path,label,generator,source_id,split`` (DFB-Synth's own);
- ``<root>/<split>/<generator>[/<category>]/{0_real,1_fake}/*.{png,jpg,jpeg,bmp}`` (Wang et al.
  2020, reused by UnivFD), or the flat ``<root>/{real,fake}/...``; extensions in any case.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from shared.data.errors import DatasetFormatError, DatasetNotFoundError

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp"}
MANIFEST_COLUMNS = ("path", "label", "generator", "source_id", "split")
CLASS_FOLDERS = {"0_real": 0, "1_fake": 1}
LAYOUT = (
    "<root>/<split>/<generator>[/<category>]/{0_real,1_fake}/*.png|jpg, <root>/{real,fake}/*, "
    "or <root>/manifest.csv (path,label,generator,source_id,split)"
)


@dataclass(frozen=True)
class ImageRecord:
    path: Path
    label: int  # 1 = fake
    generator: str  # "real" for real images of the flat layout and of our manifest
    source_id: str
    split: str


def read_image(path: Path) -> np.ndarray:
    """uint8 RGB (H, W, 3); an unreadable file is a DatasetFormatError naming it."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise DatasetFormatError(path, "a file no image decoder can read", "a PNG/JPEG/BMP image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_manifest(root: Path) -> list[ImageRecord]:
    """The records of ``<root>/manifest.csv`` (paths relative to ``root``)."""
    path = Path(root) / "manifest.csv"
    if not path.is_file():
        raise DatasetNotFoundError("manifest.csv", root, LAYOUT, "a DFB-Synth build")
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != MANIFEST_COLUMNS:
            raise DatasetFormatError(path, f"columns {reader.fieldnames}", str(MANIFEST_COLUMNS))
        return [
            ImageRecord(Path(root) / r["path"], int(r["label"]), r["generator"], r["source_id"],
                        r["split"])
            for r in reader
        ]  # fmt: skip


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS)


def discover_folders(root: Path, split: str = "test") -> list[ImageRecord]:
    """Records of a CNNDetection-style tree (``<root>/<split>/<generator>/...``, ``split`` may be
    absent) or of a flat ``real``/``fake`` folder; the generator is the folder under the split."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetNotFoundError("image folders", root, LAYOUT, "your own data")
    if {"real", "fake"} <= {p.name for p in root.iterdir()}:
        return [
            ImageRecord(path, label, "real" if not label else "fake", "", split)
            for label, name in ((0, "real"), (1, "fake"))
            for path in _images(root / name)
        ]
    base = root / split if (root / split).is_dir() else root
    records = []
    for class_dir in sorted(base.rglob("*")):
        if class_dir.is_dir() and class_dir.name in CLASS_FOLDERS:
            generator = class_dir.relative_to(base).parts[0]
            label = CLASS_FOLDERS[class_dir.name]
            records += [ImageRecord(p, label, generator, "", split) for p in _images(class_dir)]
    if not records:
        raise DatasetNotFoundError("images in 0_real/1_fake folders", base, LAYOUT, "your data")
    return records


def load_records(records: list[ImageRecord], size: int | None = None) -> np.ndarray:
    """uint8 (n, H, W, 3) of the records' images (resized to ``size`` when given)."""
    images = [read_image(r.path) for r in records]
    if size is not None:
        images = [
            img if img.shape[:2] == (size, size)
            else cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
            for img in images
        ]  # fmt: skip
    return np.stack(images)
