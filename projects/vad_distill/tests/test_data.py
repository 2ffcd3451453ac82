"""The fast-aed layout loader (spec §11.4, §13.11) and its errors on bad input (issue item 7)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from vad_distill.data import MapLayout, TeacherMapDataset, check_teachers
from vad_distill.datamodules import pseudo_anomalous
from vad_distill.fixtures import TEACHERS, frame_value, teacher_maps, write_fast_aed
from vad_distill.teachers.maps import write_maps

from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.errors import ConfigError
from shared.vad.shapes import ShapesVADConfig, generate


def _layout(paths, split="test"):
    labels = paths["test_labels"] if split == "test" else None
    return MapLayout(paths[f"{split}_frames"], paths[f"{split}_teachers"], labels)


def _grey(x: torch.Tensor, slot: int) -> float:
    """The grey level (v - 127) / 128 of input frame slot 0, 1 or 2, checked constant."""
    values = x[3 * slot : 3 * slot + 3]
    assert torch.all(values == values.flatten()[0])
    return float(values.flatten()[0]) * 128 + 127


def test_shapes_and_axes(fast_aed):
    ours = TeacherMapDataset(_layout(fast_aed), (36, 64))
    official = TeacherMapDataset(_layout(fast_aed), (36, 64), official_transpose=True)
    assert len(ours) == 16 and ours.videos == ["01", "02"] and ours.teachers == TEACHERS
    assert ours[0]["x"].shape == (9, 36, 64) and official[0]["x"].shape == (9, 64, 36)
    assert ours[0]["teacher_1x1"].shape == (2,) and ours[0]["teacher_16x16"].shape == (2, 16, 16)


@pytest.mark.parametrize(
    ("order", "expected"),
    [("train_order", (0, -3, 3)), ("official_avenue", (-3, 0, 3))],
)
def test_channel_order_and_missing_neighbours(fast_aed, order, expected):
    data = TeacherMapDataset(_layout(fast_aed), (36, 64), channel_order=order)
    for t in (0, 4, 7):  # the neighbour is the frame itself where it does not exist
        sample = data[8 + t]  # video "02"
        want = [frame_value(1, t + o if 0 <= t + o < 8 else t) for o in expected]
        assert [_grey(sample["x"], s) for s in range(3)] == want


def test_labels_and_maps_align(fast_aed):
    data = TeacherMapDataset(_layout(fast_aed), (36, 64))
    sample = data[8 + 6]  # video "02", frame 6: abnormal (t >= 5)
    assert (int(sample["video"]), int(sample["frame"]), int(sample["label"])) == (1, 6, 1)
    assert int(data[8 + 4]["label"]) == 0
    for k in range(2):
        want = teacher_maps(1, 6, k)
        assert sample["teacher_1x1"][k] == pytest.approx(float(want["1x1"]))
        np.testing.assert_array_equal(sample["teacher_4x4"][k].numpy(), want["4x4"])


def test_hot_cell_round_trip(tmp_path):
    """§13.11: a 16x16 map with one hot cell at row 2, column 13 is read back at (2, 13), or at
    the transposed (13, 2) in the official layout."""
    paths = write_fast_aed(tmp_path, videos=1, frames=2)
    hot = teacher_maps(0, 0, 0)
    hot["16x16"] = np.zeros((16, 16), np.float32)
    hot["16x16"][2, 13] = 1.0
    write_maps(paths["train_teachers"]["teacher1"], "01", ["0"], [hot])
    for transpose, cell in ((False, (2, 13)), (True, (13, 2))):
        data = TeacherMapDataset(_layout(paths, "train"), (36, 64), official_transpose=transpose)
        got = data[0]["teacher_16x16"][0]
        assert got[cell] == 1.0 and got.sum() == 1.0


def test_ae_target_is_the_current_frame_at_half_size(fast_aed):
    data = TeacherMapDataset(_layout(fast_aed, "train"), (36, 64), ae_target=True)
    target = data[3]["ae_target"]
    assert target.shape == (3, 18, 32)
    assert torch.allclose(target, torch.full_like(target, (frame_value(0, 3) - 127) / 128))


# ---------------------------------------------------------------------------- bad input
def test_missing_map_names_the_file(fast_aed):
    missing = fast_aed["test_teachers"]["teacher2"] / "02" / "4x4" / "5.npy"
    missing.unlink()
    with pytest.raises(DatasetNotFoundError, match=r"teacher2/02/4x4/5\.npy"):
        TeacherMapDataset(_layout(fast_aed), (36, 64))


def test_one_element_vector_1x1_is_rejected(fast_aed):
    path = fast_aed["test_teachers"]["teacher1"] / "01" / "1x1" / "3.npy"
    np.save(path, np.array([0.5], np.float32))
    with pytest.raises(DatasetFormatError, match=r"1x1/3\.npy.*\(1,\).*0-d array"):
        TeacherMapDataset(_layout(fast_aed), (36, 64))


def test_map_of_the_wrong_scale_is_rejected(fast_aed):
    path = fast_aed["test_teachers"]["teacher1"] / "02" / "16x16" / "0.npy"
    np.save(path, np.zeros((4, 4), np.float32))
    with pytest.raises(DatasetFormatError, match=r"16x16/0\.npy.*\(4, 4\).*\(16, 16\)"):
        TeacherMapDataset(_layout(fast_aed), (36, 64))


def test_mixed_frame_sizes_are_rejected(fast_aed):
    cv2.imwrite(str(fast_aed["test_frames"] / "02" / "0.png"), np.zeros((40, 64, 3), np.uint8))
    with pytest.raises(DatasetFormatError, match=r"02/0\.png.*\(40, 64\).*\(36, 64\)"):
        TeacherMapDataset(_layout(fast_aed), (36, 64))
    cv2.imwrite(str(fast_aed["test_frames"] / "02" / "0.png"), np.zeros((36, 64, 3), np.uint8))
    cv2.imwrite(str(fast_aed["test_frames"] / "01" / "3.png"), np.zeros((36, 60, 3), np.uint8))
    data = TeacherMapDataset(_layout(fast_aed), (36, 64))  # only a later frame differs
    with pytest.raises(DatasetFormatError, match=r"01/3\.png.*\(36, 60\)"):
        data[3]


def test_label_count_mismatch_names_the_file(fast_aed):
    np.savetxt(fast_aed["test_labels"] / "01.txt", np.zeros(7), fmt="%d")
    with pytest.raises(DatasetFormatError, match=r"01\.txt.*7 labels"):
        TeacherMapDataset(_layout(fast_aed), (36, 64))


def test_teacher_count_differing_from_the_config():
    check_teachers(("a", "b"), ("a", "b"), "data teachers")
    with pytest.raises(ConfigError, match=r"3 teachers.*the 2 teachers"):
        check_teachers(("a", "b", "c"), ("a", "b"), "data teachers")


def test_pseudo_anomalous_videos_change_one_window_of_a_copy():
    """The demo's pseudo-anomalies (a departure, configs/default.yaml only): copies of the
    training videos with one pasted shape over at most 20 consecutive frames; the source videos
    are left as they were."""
    videos = generate(ShapesVADConfig(frames=40, train_videos=2, test_videos=1))["train"]
    before = [v.frames.copy() for v in videos]
    pseudo = pseudo_anomalous(videos, 3, seed=0)
    assert [name for name, _ in pseudo] == ["pseudo_00", "pseudo_01", "pseudo_02"]
    for index, (_, frames) in enumerate(pseudo):
        source = before[index % len(videos)]
        changed = np.flatnonzero((frames != source).any(axis=tuple(range(1, frames.ndim))))
        assert 0 < len(changed) <= 20 and changed[-1] - changed[0] < 20
    assert all(np.array_equal(v.frames, b) for v, b in zip(videos, before, strict=True))
    assert pseudo_anomalous(videos, 0, seed=0) == []
