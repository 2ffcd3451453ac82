"""The file-based DataModules on tiny fixtures written in each dataset's official layout.

Fixture images are flat gray squares whose level encodes the expected label
(``label_level``), so every label the loader returns is checked against the pixels it returns.
"""

from __future__ import annotations

import re
import warnings

import pytest
import torch
from sklearn.model_selection import train_test_split

from shared.data.caltech101 import Caltech101DataModule
from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.data.food101 import Food101DataModule
from shared.data.image_folder import ImageFolderDataModule
from shared.data.imagenet200 import IMAGENET_MEAN, IMAGENET_STD, ImageNet200DataModule
from shared.data.loader import Loader
from shared.data.tiny_imagenet import TinyImageNetDataModule
from shared.testing.image_fixtures import (
    label_level,
    write_caltech101_fixture,
    write_flat_image_folder_fixture,
    write_food101_fixture,
    write_image_folder_fixture,
    write_imagenet200_fixture,
    write_tiny_imagenet_fixture,
)


def pixel_labels(images: torch.Tensor, mean=(0.5,) * 3, std=(0.5,) * 3) -> torch.Tensor:
    """Invert the normalisation and read the label back from the (flat) gray level."""
    raw = images * torch.tensor(std).view(1, 3, 1, 1) + torch.tensor(mean).view(1, 3, 1, 1)
    level = raw.mean(dim=(1, 2, 3)) * 255
    return torch.round((level - label_level(0)) / (label_level(1) - label_level(0))).long()


def full_split(dm, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    dataset = dm.datasets[split]
    images, labels = zip(*(dataset[i] for i in range(len(dataset))), strict=True)
    return torch.stack(images), torch.tensor(labels)


def check_labels_match_pixels(dm, split: str, mean=(0.5,) * 3, std=(0.5,) * 3) -> torch.Tensor:
    images, labels = full_split(dm, split)
    assert images.shape[1:] == (3, dm.image_size, dm.image_size)
    assert torch.equal(pixel_labels(images, mean, std), labels)
    return labels


def test_label_level_round_trip():
    # levels 20, 60, 100, ...: normalised with 0.5/0.5 the level 60 is 60/255*2-1
    image = torch.full((1, 3, 2, 2), 60 / 255 * 2 - 1)
    assert pixel_labels(image).tolist() == [1]


def test_tiny_imagenet_splits_and_sorted_wnid_labels(tmp_path):
    folder = write_tiny_imagenet_fixture(tmp_path, classes=3, per_class=4, val_per_class=2)
    wnids_file = (folder / "wnids.txt").read_text().split()
    assert wnids_file != sorted(wnids_file)  # the loader must not index in file order
    dm = TinyImageNetDataModule(
        data_root=str(tmp_path), image_size=16, loader=Loader(batch_size=4), val_fraction=0.25
    )
    dm.setup("fit")
    assert dm.num_classes == 200
    assert {k: len(v) for k, v in dm.datasets.items()} == {"train": 9, "val": 3, "test": 6}
    assert sorted(check_labels_match_pixels(dm, "val").tolist()) == [0, 1, 2]  # stratified
    assert sorted(check_labels_match_pixels(dm, "train").tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    # val_annotations.txt lists the labels 2, 1, 0, 2, 1, 0 (see the fixture writer)
    assert check_labels_match_pixels(dm, "test").tolist() == [2, 1, 0, 2, 1, 0]
    assert dm.datasets["train"].images is not None and dm.datasets["test"].images is None
    images, labels = next(iter(dm.train_dataloader()))
    assert (
        images.shape == (4, 3, 16, 16)
        and images.dtype == torch.float32
        and labels.dtype == torch.long
    )


def test_val_fraction_zero_validates_on_test_with_a_warning(tmp_path):
    write_tiny_imagenet_fixture(tmp_path, classes=2, per_class=3)
    dm = TinyImageNetDataModule(
        data_root=str(tmp_path), image_size=8, val_fraction=0, preload=False
    )
    with pytest.warns(UserWarning, match="validation is the test split"):
        dm.setup("fit")
    assert len(dm.datasets["train"]) == 6
    assert dm.datasets["val"].samples == dm.datasets["test"].samples


def test_tiny_imagenet_errors(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"tiny-imagenet-200.*cs231n"):
        TinyImageNetDataModule(data_root=str(tmp_path)).setup("fit")
    folder = write_tiny_imagenet_fixture(tmp_path, classes=2, per_class=2)
    corrupt = sorted((sorted((folder / "train").iterdir())[0] / "images").iterdir())[1]
    corrupt.write_bytes(b"not a jpeg")
    with pytest.raises(DatasetFormatError, match=re.escape(corrupt.name)):
        TinyImageNetDataModule(data_root=str(tmp_path), val_fraction=0.5).setup("fit")
    corrupt.unlink()
    annotations = folder / "val" / "val_annotations.txt"
    annotations.write_text(annotations.read_text() + "val_9.JPEG\tn99999999\t0\t0\t1\t1\n")
    with pytest.raises(DatasetFormatError, match="n99999999"):
        TinyImageNetDataModule(data_root=str(tmp_path), val_fraction=0.5).setup("fit")


def test_food101_official_lists_and_sorted_classes(tmp_path):
    write_food101_fixture(tmp_path, classes=3, per_class=4, test_per_class=2)
    dm = Food101DataModule(data_root=str(tmp_path), image_size=12, val_fraction=0.25)
    dm.setup("fit")
    assert dm.num_classes == 101
    assert {k: len(v) for k, v in dm.datasets.items()} == {"train": 9, "val": 3, "test": 6}
    assert sorted(check_labels_match_pixels(dm, "test").tolist()) == [0, 0, 1, 1, 2, 2]
    check_labels_match_pixels(dm, "train")
    baklava = [
        label for path, label in dm.datasets["test"].samples if path.parent.name == "baklava"
    ]
    assert baklava == [2, 2]  # sorted: apple_pie 0, baby_back_ribs 1, baklava 2


def test_food101_errors(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="food-101"):
        Food101DataModule(data_root=str(tmp_path)).setup("fit")
    folder = write_food101_fixture(tmp_path, classes=2, per_class=2, test_per_class=1)
    corrupt = sorted((folder / "images" / "apple_pie").iterdir())[0]
    corrupt.write_bytes(b"\xff\xd8 truncated")
    dm = Food101DataModule(data_root=str(tmp_path), image_size=8, val_fraction=0.5)
    dm.setup("fit")  # not preloaded: the file is read when its item is drawn
    with pytest.raises(DatasetFormatError, match=re.escape(corrupt.name)):
        for split in ("train", "val", "test"):
            full_split(dm, split)
    (folder / "meta" / "test.json").write_text("[1, 2]")
    with pytest.raises(DatasetFormatError, match=r"test\.json"):
        Food101DataModule(data_root=str(tmp_path)).setup("fit")


def test_imagenet200_keeps_the_first_wnids_and_reads_val_xml(tmp_path):
    write_imagenet200_fixture(tmp_path, classes=3, per_class=4, val_per_class=2)
    dm = ImageNet200DataModule(
        data_root=str(tmp_path), image_size=16, num_classes=2, val_fraction=0.25
    )
    dm.setup("fit")
    # train: 2 kept classes x 4 = 8 -> 6 train + 2 val; test: the 4 val images of the kept classes
    assert {k: len(v) for k, v in dm.datasets.items()} == {"train": 6, "val": 2, "test": 4}
    assert check_labels_match_pixels(dm, "test", IMAGENET_MEAN, IMAGENET_STD).tolist() == [
        1,
        0,
        1,
        0,
    ]
    assert sorted(check_labels_match_pixels(dm, "val", IMAGENET_MEAN, IMAGENET_STD).tolist()) == [
        0,
        1,
    ]
    images, labels = full_split(dm, "train")  # colour jitter changes levels: check shape and range
    assert images.shape == (6, 3, 16, 16) and set(labels.tolist()) == {0, 1}


def test_imagenet200_eval_crop_flag(tmp_path):
    names = lambda dm: [type(t).__name__ for t in dm.eval_transform().transforms]  # noqa: E731
    honest = ImageNet200DataModule(data_root=str(tmp_path), image_size=224)
    official = ImageNet200DataModule(
        data_root=str(tmp_path), image_size=224, official_random_eval_crop=True
    )
    assert names(honest)[:2] == ["Resize", "CenterCrop"]
    assert names(official)[:2] == ["Resize", "RandomResizedCrop"]
    assert honest.eval_transform().transforms[0].size == 256


def test_imagenet200_errors(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="ILSVRC"):
        ImageNet200DataModule(data_root=str(tmp_path)).setup("fit")
    base = write_imagenet200_fixture(tmp_path, classes=2, per_class=2, val_per_class=1)
    note = base / "Annotations" / "CLS-LOC" / "val" / "ILSVRC2012_val_00000001.xml"
    note.write_text(
        note.read_text().replace("n01440764", "n09999999").replace("n01443537", "n09999999")
    )
    with pytest.raises(DatasetFormatError, match="n09999999"):
        ImageNet200DataModule(data_root=str(tmp_path), val_fraction=0.5).setup("fit")
    note.unlink()
    with pytest.raises(DatasetFormatError, match=r"ILSVRC2012_val_00000001\.xml"):
        ImageNet200DataModule(data_root=str(tmp_path), val_fraction=0.5).setup("fit")


def test_caltech101_drops_background_and_splits_stratified(tmp_path):
    write_caltech101_fixture(tmp_path, classes=3, per_class=10)
    dm = Caltech101DataModule(data_root=str(tmp_path), image_size=16)
    dm.setup("fit")
    assert dm.num_classes == 101
    # 30 images (background dropped): 20% test = 6, 10% val = 3, the rest 21, stratified
    sizes = {k: len(v) for k, v in dm.datasets.items()}
    assert sizes == {"train": 21, "val": 3, "test": 6}
    assert sorted(check_labels_match_pixels(dm, "test").tolist()) == [0, 0, 1, 1, 2, 2]
    assert sorted(check_labels_match_pixels(dm, "val").tolist()) == [0, 1, 2]
    check_labels_match_pixels(dm, "train")  # includes the grayscale image, now 3 channels
    all_paths = [p for split in dm.datasets.values() for p, _ in split.samples]
    assert len(set(all_paths)) == 30 and all("BACKGROUND" not in str(p) for p in all_paths)
    # case-sensitive sort: Faces 0, Leopards 1, Motorbikes 2
    assert {p.parent.name: y for p, y in dm.datasets["test"].samples} == {
        "Faces": 0,
        "Leopards": 1,
        "Motorbikes": 2,
    }


def test_caltech101_split_follows_the_seed(tmp_path):
    write_caltech101_fixture(tmp_path, classes=2, per_class=10)

    def test_paths(seed: int) -> list:
        dm = Caltech101DataModule(data_root=str(tmp_path), image_size=8, split_seed=seed)
        return [p for p, _ in dm.split_samples()["test"]]

    assert test_paths(0) == test_paths(0)
    assert test_paths(0) != test_paths(1)


def test_caltech101_errors(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="101_ObjectCategories"):
        Caltech101DataModule(data_root=str(tmp_path)).setup("fit")
    with pytest.raises(ValueError, match="test_fraction"):
        Caltech101DataModule(test_fraction=0.95, val_fraction=0.1)


def test_image_folder_holds_out_val_or_uses_its_own(tmp_path):
    write_image_folder_fixture(tmp_path / "balls", per_class={"train": 4, "test": 2})
    dm = ImageFolderDataModule(
        root="balls", data_root=str(tmp_path), image_size=8, val_fraction=0.25
    )
    assert dm.num_classes == 3
    dm.setup("fit")
    assert {k: len(v) for k, v in dm.datasets.items()} == {"train": 9, "val": 3, "test": 6}
    assert sorted(check_labels_match_pixels(dm, "test").tolist()) == [0, 0, 1, 1, 2, 2]
    write_image_folder_fixture(tmp_path / "own_val", per_class={"train": 2, "val": 1, "test": 1})
    dm = ImageFolderDataModule(root=str(tmp_path / "own_val"), image_size=8)
    dm.setup("fit")
    assert {k: len(v) for k, v in dm.datasets.items()} == {"train": 6, "val": 3, "test": 3}
    check_labels_match_pixels(dm, "val")


def test_flat_image_folder_reproduces_the_official_sea_animals_split(tmp_path):
    write_flat_image_folder_fixture(tmp_path / "sea", counts=(10, 7, 13))
    dm = ImageFolderDataModule(
        root=str(tmp_path / "sea"), image_size=8, test_fraction=0.1, split_seed=42, val_fraction=0.1
    )
    splits = dm.split_samples()
    # 30 images: ceil(0.1 * 30) = 3 test; 27 left: 24 train + 3 val
    assert [len(splits[k]) for k in ("train", "val", "test")] == [24, 3, 3]
    # the CBM code's call, on the same ImageFolder-ordered list (sorted classes, sorted files)
    ordered = [
        p
        for name in ("clams", "crabs", "dolphin")
        for p in sorted((tmp_path / "sea" / name).iterdir())
    ]
    targets = [0] * 10 + [1] * 7 + [2] * 13
    _, official_test = train_test_split(range(30), stratify=targets, test_size=0.1, random_state=42)
    assert sorted(p for p, _ in splits["test"]) == sorted(ordered[i] for i in official_test)
    dm.setup("fit")
    assert sorted(check_labels_match_pixels(dm, "test").tolist()) == [0, 1, 2]


def test_image_folder_errors(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="missing_set"):
        ImageFolderDataModule(root="missing_set", data_root=str(tmp_path)).setup("fit")
    write_image_folder_fixture(tmp_path / "balls", per_class={"train": 2, "test": 1})
    with pytest.raises(DatasetFormatError, match="num_classes = 4"):
        ImageFolderDataModule(root=str(tmp_path / "balls"), num_classes=4).setup("fit")
    (tmp_path / "balls" / "test" / "football").rename(tmp_path / "balls" / "test" / "soccer")
    with pytest.raises(DatasetFormatError, match="soccer"):
        ImageFolderDataModule(root=str(tmp_path / "balls")).setup("fit")


def test_shuffling_follows_the_sampler_seed(tmp_path):
    write_image_folder_fixture(tmp_path, per_class={"train": 4, "test": 1})

    def first_labels(seed: int) -> list[int]:
        dm = ImageFolderDataModule(
            root=str(tmp_path),
            image_size=4,
            val_fraction=0,
            loader=Loader(batch_size=12, sampler_seed=seed),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dm.setup("fit")
        return next(iter(dm.train_dataloader()))[1].tolist()

    assert first_labels(3) == first_labels(3)
    assert sorted(first_labels(3)) == sorted(first_labels(4)) == [0] * 4 + [1] * 4 + [2] * 4


@pytest.mark.slow
def test_a_file_datamodule_trains_a_registered_backbone(tmp_path):
    from pytorch_lightning import Trainer

    from shared.classification import ImageClassifier
    from shared.models.registry import Backbone

    write_caltech101_fixture(tmp_path, classes=3, per_class=10)
    data = Caltech101DataModule(data_root=str(tmp_path), image_size=32, loader=Loader(batch_size=8))
    model = ImageClassifier(Backbone("wrn", {"depth": 10, "widen_factor": 1}), num_classes=101)
    trainer = Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
    )
    trainer.fit(model, datamodule=data)
    (result,) = trainer.test(model, datamodule=data, verbose=False)
    assert trainer.global_step == 3  # 21 training images, batch 8
    assert 0.0 <= result["test/acc"] <= 1.0


def test_image_file_datasets_refuse_an_augmentation_they_would_not_apply(tmp_path):
    from shared.errors import ConfigError

    with pytest.raises(ConfigError, match=r"data.crop_padding.*image-file datasets"):
        Caltech101DataModule(data_root=str(tmp_path), crop_padding=4)
