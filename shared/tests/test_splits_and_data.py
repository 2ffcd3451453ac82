"""The digits protocol, the CIFAR reader on a fixture in the official layout, splits, sampler."""

import pickle

import numpy as np
import pytest
import torch

from shared.data import DatasetFormatError, DatasetNotFoundError
from shared.data.cifar import CIFARDataModule, read_cifar
from shared.data.digits import DigitsDataModule
from shared.data.samplers import EpochSeededSampler
from shared.data.splits import per_class_subset, stratified_split
from shared.errors import ConfigError
from shared.testing.cifar_fixture import write_cifar_fixture


def test_stratified_split_sizes_and_class_balance():
    labels = np.repeat(np.arange(4), 10)  # 4 classes x 10
    train, val, test = stratified_split(labels, (0.6, 0.2, 0.2), seed=0)
    assert (len(train), len(val), len(test)) == (24, 8, 8)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(40))
    for part, per_class in ((train, 6), (val, 2), (test, 2)):
        assert np.bincount(labels[part]).tolist() == [per_class] * 4


def test_stratified_split_is_seeded():
    labels = np.repeat(np.arange(3), 20)
    a = stratified_split(labels, (0.5, 0.5), seed=1)
    b = stratified_split(labels, (0.5, 0.5), seed=1)
    c = stratified_split(labels, (0.5, 0.5), seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_split_fractions_must_sum_to_one():
    with pytest.raises(ValueError, match="sum to 1"):
        stratified_split([0, 1], (0.5, 0.4))


def test_per_class_subset_takes_exactly_k_per_class():
    labels = np.array([0] * 5 + [1] * 7)
    chosen = per_class_subset(labels, 3, seed=0)
    assert np.bincount(labels[chosen]).tolist() == [3, 3]
    with pytest.raises(ValueError, match="fewer than 6"):
        per_class_subset(labels, 6)


def test_digits_protocol_split_sizes_shape_and_normalisation():
    dm = DigitsDataModule()
    dm.setup()
    sizes = {name: len(ds) for name, ds in dm.datasets.items()}
    assert sizes == {"train": 1078, "val": 359, "test": 360}  # 60/20/20 of 1797, stratified
    image, label = dm.datasets["train"][0]
    assert image.shape == (3, 16, 16) and label.dtype == torch.long
    assert torch.equal(image[0], image[1]) and torch.equal(image[1], image[2])
    # pixel 0 of digits is 0 -> normalised (0 - 0.5) / 0.5 = -1 ; values stay in [-1, 1]
    assert image.min() >= -1.0 and image.max() <= 1.0


def test_digits_train_per_class_keeps_val_and_test():
    dm = DigitsDataModule(train_per_class=20)
    dm.setup()
    assert len(dm.datasets["train"]) == 200
    assert np.bincount(dm.datasets["train"].labels.numpy()).tolist() == [20] * 10
    assert len(dm.datasets["val"]) == 359 and len(dm.datasets["test"]) == 360


def test_sampler_order_depends_only_on_seed_and_epoch():
    data = list(range(10))
    a, b = EpochSeededSampler(data, seed=3), EpochSeededSampler(data, seed=3)
    b.set_epoch(1)
    first, second = list(a), list(b)
    a.set_epoch(1)
    assert list(a) == second and first != second and sorted(first) == data


@pytest.mark.parametrize("name,classes", [("cifar10", 10), ("cifar100", 100)])
def test_cifar_reader_on_official_pickle_layout(tmp_path, name, classes):
    write_cifar_fixture(tmp_path, name, per_file=12)
    images, labels = read_cifar(tmp_path, name, "train")
    files = 5 if name == "cifar10" else 1
    assert images.shape == (12 * files, 3, 32, 32) and images.dtype == np.uint8
    assert labels[:3].tolist() == [0, 1, 2]
    dm = CIFARDataModule(name=name, data_root=str(tmp_path), val_fraction=0.0)
    dm.setup()
    assert dm.num_classes == classes
    assert dm.datasets["val"] is not None and len(dm.datasets["test"]) == 12
    image, _ = dm.datasets["train"][0]
    expected = (torch.from_numpy(images[0]).float() / 255 - 0.5) / 0.5
    torch.testing.assert_close(image, expected)


def test_cifar_pixel_layout_is_channel_major(tmp_path):
    """A CIFAR row stores 1024 red, then 1024 green, then 1024 blue values."""
    folder = write_cifar_fixture(tmp_path, "cifar10", per_file=1)
    row = np.zeros(3072, dtype=np.uint8)
    row[1024] = 200  # first green pixel
    batch = {b"data": row[None], b"labels": [3]}
    (folder / "test_batch").write_bytes(pickle.dumps(batch))
    images, labels = read_cifar(tmp_path, "cifar10", "test")
    assert images[0, 1, 0, 0] == 200 and images[0, 0, 0, 0] == 0 and labels.tolist() == [3]


def test_cifar_missing_folder_names_it_and_the_source(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        read_cifar(tmp_path, "cifar10", "train")
    message = str(info.value)
    assert str(tmp_path / "cifar-10-batches-py") in message and "cs.toronto.edu" in message


def test_cifar_corrupt_pickle_names_the_file(tmp_path):
    folder = write_cifar_fixture(tmp_path, "cifar10", per_file=2)
    (folder / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(DatasetFormatError, match="data_batch_3"):
        read_cifar(tmp_path, "cifar10", "train")


def test_cifar_unknown_name_and_bad_fraction_are_config_errors():
    with pytest.raises(ConfigError, match=r"data\.name"):
        CIFARDataModule(name="cifar11")
    with pytest.raises(ConfigError, match=r"data\.val_fraction"):
        CIFARDataModule(val_fraction=1.0)
