"""Loaders and conversion commands on fixtures written in each dataset's official format."""

import shutil

import cv2
import numpy as np
import pytest

from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.testing import vad_fixtures as fx
from shared.vad import convert
from shared.vad.datasets import (
    load_aedmae,
    load_avenue,
    load_ped2,
    load_shanghaitech,
    load_ubnormal,
    parse_ucsd_gt,
    read_frames,
    read_pixel_masks,
)


def test_avenue(tmp_path):
    labels = fx.write_avenue_fixture(tmp_path)
    train, test = load_avenue(tmp_path, "train"), load_avenue(tmp_path, "test")
    assert [r.name for r in train] == ["01"] and len(train[0]) == 10
    assert [r.name for r in test] == ["01", "02"]
    for record in test:
        assert record.labels.tolist() == labels[record.name].tolist()
    assert read_frames(test[0]).shape == (10, 36, 64, 3)
    assert read_frames(test[0], (32, 64)).shape == (10, 32, 64, 3)
    assert read_pixel_masks(test[0]).any(axis=(1, 2)).tolist() == labels["01"].astype(bool).tolist()


def test_avenue_label_count_mismatch(tmp_path):
    fx.write_avenue_fixture(tmp_path)
    fx.write_avi(tmp_path / "testing_videos" / "02.avi", np.zeros((7, 36, 64, 3), np.uint8))
    with pytest.raises(
        DatasetFormatError,
        match=r"2_label\.mat: found 10 volLabel masks, expected one per frame \(7 frames\)",
    ):
        load_avenue(tmp_path, "test")


def test_missing_dataset_names_the_layout(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"training_videos/01\.avi"):
        load_avenue(tmp_path, "train")


def test_shanghaitech(tmp_path):
    labels = fx.write_shanghaitech_fixture(tmp_path)
    train, test = load_shanghaitech(tmp_path, "train"), load_shanghaitech(tmp_path, "test")
    assert [r.name for r in train] == ["01_001"] and len(train[0]) == 8
    assert test[0].name == "01_0014" and test[0].frame_paths[0].name == "000.jpg"
    assert test[0].labels.tolist() == labels["01_0014"].tolist()
    assert read_frames(test[0], (160, 320)).shape == (8, 160, 320, 3)
    assert read_pixel_masks(test[0]).shape == (8, 48, 86)


def test_missing_frame_is_an_error(tmp_path):
    fx.write_shanghaitech_fixture(tmp_path)
    (tmp_path / "testing" / "frames" / "01_0014" / "003.jpg").unlink()
    with pytest.raises(DatasetFormatError, match=r"missing frames \[3\]"):
        load_shanghaitech(tmp_path, "test")


def test_mixed_frame_sizes_are_an_error(tmp_path):
    fx.write_shanghaitech_fixture(tmp_path)
    cv2.imwrite(
        str(tmp_path / "testing" / "frames" / "01_0014" / "002.jpg"),
        np.zeros((10, 10, 3), np.uint8),
    )
    record = load_shanghaitech(tmp_path, "test")[0]
    with pytest.raises(DatasetFormatError, match="mixed sizes"):
        read_frames(record)


def test_ped2(tmp_path):
    labels = fx.write_ped2_fixture(tmp_path)
    test = load_ped2(tmp_path, "test")
    assert [r.name for r in test] == ["Test001", "Test002"]
    assert (
        test[0].labels.tolist() == [0, 0, 1, 1, 1, 0] == labels["Test001"].tolist()
    )  # [3:5] 1-based
    assert test[1].labels.sum() == 0
    assert read_pixel_masks(test[0]).any(axis=(1, 2)).tolist() == [
        False,
        False,
        True,
        True,
        True,
        False,
    ]
    assert len(load_ped2(tmp_path, "train")[0]) == 6


def test_ucsd_ground_truth_ranges(tmp_path):
    script = tmp_path / "UCSDped2.m"
    script.write_text(
        "TestVideoFile{4}.gt_frame = [1:2, 5:6];\nTestVideoFile{7}.gt_frame = [61:62];\n"
    )
    assert parse_ucsd_gt(script) == {4: [0, 1, 4, 5], 7: [60, 61]}
    script.write_text("nothing here\n")
    with pytest.raises(DatasetFormatError, match="gt_frame"):
        parse_ucsd_gt(script)


def test_ubnormal_and_sequence_cutting(tmp_path):
    labels = fx.write_ubnormal_fixture(tmp_path)
    record = load_ubnormal(tmp_path, "train")[0]
    assert record.labels.tolist() == labels[record.name].tolist()
    written = convert.cut_ubnormal(tmp_path, tmp_path / "sequences", (64, 32))
    sequence = tmp_path / "sequences" / record.name
    # object 1 (900 px) keeps its three frames; object 2 (100 px) is under the size floor
    assert sorted(p.name for p in (sequence / "sequence_0001" / "masks").iterdir()) == [
        "0.png",
        "1.png",
        "2.png",
    ]
    assert not (sequence / "sequence_0002").exists() and len(written) == 3
    mask = cv2.imread(str(sequence / "sequence_0001" / "masks" / "0.png"), cv2.IMREAD_GRAYSCALE)
    assert mask.shape == (32, 64) and mask.max() == 255


@pytest.mark.parametrize("padded", [False, True])
def test_aedmae_layout(tmp_path, padded):
    labels = fx.write_aedmae_fixture(tmp_path / "root", tmp_path / "gt", padded=padded)
    train = load_aedmae(tmp_path / "root", "train")[0]
    assert set(train.extras) == {"gradients2", "frames_abnormal", "masks_abnormal"}
    assert [int(p.stem) for p in train.frame_paths] == list(range(7))
    test = load_aedmae(tmp_path / "root", "test", tmp_path / "gt")[0]
    assert test.labels.tolist() == labels["01"].tolist()


def test_aedmae_label_count_mismatch(tmp_path):
    fx.write_aedmae_fixture(tmp_path / "root", tmp_path / "gt")
    np.savetxt(tmp_path / "gt" / "01.txt", [0, 1], fmt="%d")
    with pytest.raises(
        DatasetFormatError, match=r"01\.txt: found 2 labels, expected one per frame \(7 frames\)"
    ):
        load_aedmae(tmp_path / "root", "test", tmp_path / "gt")


def test_conversion_to_aedmae_layout(tmp_path):
    labels = fx.write_ped2_fixture(tmp_path / "ped2")
    assert convert.extract_frames("ped2", tmp_path / "ped2", tmp_path / "out") == 18
    assert sorted(p.name for p in (tmp_path / "out" / "test" / "frames" / "Test001").iterdir())[
        :2
    ] == ["0.png", "1.png"]
    convert.convert_labels("ped2", tmp_path / "ped2", tmp_path / "gt")
    loaded = load_aedmae(tmp_path / "out", "test", tmp_path / "gt")
    assert [r.labels.tolist() for r in loaded] == [
        labels["Test001"].tolist(),
        labels["Test002"].tolist(),
    ]
    assert convert.compute_gradients(tmp_path / "out" / "test" / "frames", tmp_path / "grad") == 12


def test_gradient_images_use_neighbours_and_repeat_ends():
    frames = np.array([10, 50, 20, 80], np.uint8).reshape(4, 1, 1, 1)
    assert convert.gradient_images(frames).ravel().tolist() == [40, 10, 30, 60]


def test_paste_ubnormal_writes_augmented_twins(tmp_path):
    fx.write_ubnormal_fixture(tmp_path / "ub")
    convert.cut_ubnormal(tmp_path / "ub", tmp_path / "seq", (64, 36))
    fx.write_aedmae_fixture(tmp_path / "root", tmp_path / "gt")
    for kind in ("frames_abnormal", "masks_abnormal"):
        shutil.rmtree(tmp_path / "root" / "train" / kind)
    # the 900-px object scaled from 128x72 to 64x36 keeps 225 px: under the 1666-px limit
    assert convert.paste_ubnormal(tmp_path / "root", tmp_path / "seq") == 7
    record = load_aedmae(tmp_path / "root", "train")[0]
    mask = cv2.imread(str(record.extras["masks_abnormal"][0]), cv2.IMREAD_GRAYSCALE)
    assert mask.shape == (36, 64) and (mask > 127).sum() > 0
    with pytest.raises(DatasetFormatError, match="no usable sequences"):
        convert.paste_ubnormal(tmp_path / "root", tmp_path / "seq", max_pixels=10)


def test_paste_ubnormal_through_the_command_line(tmp_path, capsys):
    fx.write_ubnormal_fixture(tmp_path / "ub")
    convert.main(
        [
            "cut-ubnormal",
            "--root",
            str(tmp_path / "ub"),
            "--out",
            str(tmp_path / "seq"),
            "--width",
            "64",
            "--height",
            "36",
        ]
    )
    assert "wrote 3 object frames" in capsys.readouterr().out
    fx.write_aedmae_fixture(tmp_path / "root", tmp_path / "gt")
    for kind in ("frames_abnormal", "masks_abnormal"):
        shutil.rmtree(tmp_path / "root" / "train" / kind)
    convert.main(
        ["paste-ubnormal", "--root", str(tmp_path / "root"), "--sequences", str(tmp_path / "seq")]
    )
    assert "wrote 7 frames_abnormal/masks_abnormal pairs" in capsys.readouterr().out
    record = load_aedmae(tmp_path / "root", "train")[0]
    assert len(record.extras["frames_abnormal"]) == len(record.extras["masks_abnormal"]) == 7
    mask = cv2.imread(str(record.extras["masks_abnormal"][0]), cv2.IMREAD_GRAYSCALE)
    assert mask.shape == (36, 64) and (mask > 127).sum() > 0


def test_paste_object_blends_like_the_official_script():
    frame = np.full((5, 5, 3), 250, np.uint8)
    obj = np.zeros((5, 5, 3), np.uint8)
    obj[2, 2] = 160
    mask = np.zeros((5, 5), np.uint8)
    mask[2, 2] = 255
    out = convert.paste_object(frame, obj, mask)
    blurred = cv2.GaussianBlur(np.full((5, 5, 3), 0, np.uint8) + obj, (3, 3), 0)
    assert out[2, 2, 0] == blurred[2, 2, 0]  # object pixel: zeroed frame + blurred object
    assert out[2, 1, 0] == (250 + int(blurred[2, 1, 0])) % 256  # border: uint8 wrap-around


def test_avenue_to_aedmae_layout_through_the_command_line(tmp_path, capsys):
    labels = fx.write_avenue_fixture(tmp_path / "avenue")
    convert.main(
        [
            "extract-frames",
            "--dataset",
            "avenue",
            "--root",
            str(tmp_path / "avenue"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert "wrote 30 frames" in capsys.readouterr().out  # 1 training + 2 test videos of 10 frames
    convert.main(
        [
            "convert-labels",
            "--dataset",
            "avenue",
            "--root",
            str(tmp_path / "avenue"),
            "--out",
            str(tmp_path / "gt"),
        ]
    )
    assert np.loadtxt(tmp_path / "gt" / "01.txt").tolist() == labels["01"].tolist()
    loaded = load_aedmae(tmp_path / "out", "test", tmp_path / "gt")
    assert [len(r) for r in loaded] == [10, 10] and loaded[1].labels.sum() == 0


def test_ubnormal_labels_convert_for_the_benchmark(tmp_path):
    labels = fx.write_ubnormal_fixture(tmp_path / "ub")
    shutil.copytree(tmp_path / "ub" / "train", tmp_path / "ub" / "test")
    convert.main(
        [
            "convert-labels",
            "--dataset",
            "ubnormal",
            "--root",
            str(tmp_path / "ub"),
            "--out",
            str(tmp_path / "gt"),
        ]
    )
    video = "abnormal_scene_1_scenario_1"
    assert np.loadtxt(tmp_path / "gt" / f"{video}.txt").tolist() == labels[video].tolist()
