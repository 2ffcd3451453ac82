"""ImageNet-200: the first 200 ImageNet-1k classes (sorted wnids), as the official LeRaC code builds it.

Layout: the ILSVRC (Kaggle "imagenet-object-localization-challenge") tree, with flat validation
images labelled by one PASCAL-VOC XML file each. The official code indexes all train wnids in
ImageFolder order and keeps labels < 200; validation images of other classes are dropped.
The official evaluation transform is ``Resize(256)`` then ``RandomResizedCrop(224)`` (quirk Q7: a
random crop at test time); here ``CenterCrop`` is the default and the quirk is behind
``official_random_eval_crop``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from torchvision import transforms as T

from shared.data.errors import DatasetFormatError, require_dir
from shared.data.image_files import (
    IMAGE_EXTENSIONS,
    ImageFileDataModule,
    Sample,
    Transform,
    image_files,
    subfolders,
)
from shared.data.loader import Loader
from shared.errors import check_range

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGENET_LAYOUT = (
    "imagenet/ILSVRC/{Data/CLS-LOC/train/<wnid>/*.JPEG, Data/CLS-LOC/val/*.JPEG, "
    "Annotations/CLS-LOC/val/<image stem>.xml (object/name = wnid)}"
)
IMAGENET_SOURCE = (
    "https://image-net.org (ILSVRC2012) or Kaggle's imagenet-object-localization-challenge, "
    "which ships exactly this ILSVRC/ tree"
)


def read_val_wnid(path: Path) -> str:
    """The wnid of a validation image: the first ``<name>`` element of its annotation file."""
    try:
        name = next(ET.parse(path).getroot().iter("name"), None)
    except ET.ParseError as error:
        raise DatasetFormatError(
            path, f"invalid XML ({error})", "a PASCAL-VOC annotation"
        ) from error
    if name is None or not (name.text or "").strip():
        raise DatasetFormatError(path, "no <name> element", "<object><name>wnid</name></object>")
    return name.text.strip()


class ImageNet200DataModule(ImageFileDataModule):
    """The first ``num_classes`` (200) sorted wnids of ``<data_root>/imagenet/ILSVRC``.

    Training augmentation as in the official code: RandomResizedCrop, horizontal flip,
    ColorJitter(0.4, 0.4, 0.4), ImageNet mean/std. Evaluation: resize the shorter side to
    ``image_size * 256 / 224`` (256 at 224), then a centre crop (or the official random crop).
    """

    dataset_name = "ImageNet-200"

    def __init__(
        self,
        image_size: int = 224,
        num_classes: int = 200,
        official_random_eval_crop: bool = False,
        mean: tuple[float, float, float] = IMAGENET_MEAN,
        std: tuple[float, float, float] = IMAGENET_STD,
        loader: Loader = Loader(batch_size=256),
        **kwargs: Any,
    ) -> None:
        super().__init__(image_size=image_size, mean=mean, std=std, loader=loader, **kwargs)
        self.num_classes = int(check_range("data.num_classes", num_classes, 1))
        self.official_random_eval_crop = official_random_eval_crop

    def train_transform(self) -> Transform:
        return T.Compose(
            [
                T.RandomResizedCrop(self.image_size),
                T.RandomHorizontalFlip(),
                T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4),
                T.ToTensor(),
                T.Normalize(self.mean, self.std),
            ]
        )

    def eval_transform(self) -> Transform:
        crop = T.RandomResizedCrop if self.official_random_eval_crop else T.CenterCrop
        return T.Compose(
            [
                T.Resize(round(self.image_size * 256 / 224)),
                crop(self.image_size),
                T.ToTensor(),
                T.Normalize(self.mean, self.std),
            ]
        )

    def list_samples(self) -> dict[str, list[Sample]]:
        base = self.data_dir / "imagenet" / "ILSVRC"
        train_dir = self._require(base / "Data" / "CLS-LOC" / "train")
        val_dir = self._require(base / "Data" / "CLS-LOC" / "val")
        notes = self._require(base / "Annotations" / "CLS-LOC" / "val")
        class_index = {wnid: index for index, wnid in enumerate(subfolders(train_dir))}
        kept = [wnid for wnid, index in class_index.items() if index < self.num_classes]
        train = [
            (path, class_index[wnid]) for wnid in kept for path in image_files(train_dir / wnid)
        ]
        test = []
        for path in sorted(p for p in val_dir.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS):
            note = notes / f"{path.stem}.xml"
            if not note.is_file():
                raise DatasetFormatError(
                    path, f"no annotation file {note}", "one XML per validation image"
                )
            wnid = read_val_wnid(note)
            if wnid not in class_index:
                raise DatasetFormatError(
                    note, f"wnid {wnid!r}", f"one of the {len(class_index)} train/ wnids"
                )
            if class_index[wnid] < self.num_classes:
                test.append((path, class_index[wnid]))
        return {"train": train, "test": test}

    def _require(self, folder: Path) -> Path:
        return require_dir(folder, self.dataset_name, IMAGENET_LAYOUT, IMAGENET_SOURCE)
