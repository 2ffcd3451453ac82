"""Samples as the official loaders build them: neighbours, scaling, gradients, augmented twins."""

import numpy as np
import pytest
import torch
from fast_vad_mae.aedmae_data import AedMaeDataModule
from fast_vad_mae.data import ClipDataset, VideoFrames

from shared.data.errors import DatasetFormatError
from shared.data.loader import Loader
from shared.testing.vad_fixtures import write_aedmae_fixture


def _video(length: int = 8) -> VideoFrames:
    frames = np.stack([np.full((4, 4, 3), 10 * t, np.uint8) for t in range(length)])
    return VideoFrames("v", frames)


def test_inputs_targets_and_gradients():
    sample = ClipDataset([_video()], stride=3)[4]
    # channels: frame 1, frame 4, frame 7 (BGR each), scaled by (v - 127.5) / 127.5
    expected = [(10 * t - 127.5) / 127.5 for t in (1, 4, 7)]
    assert sample["x"][::3, 0, 0].tolist() == pytest.approx(expected)
    assert sample["y"][:3, 0, 0].tolist() == pytest.approx([expected[1]] * 3)
    assert sample["y"][3].eq(-1).all()  # the map channel of a normal sample
    assert sample["g"][:, 0, 0].tolist() == [20.0, 20.0, 20.0]  # |frame 3 - frame 5|, not scaled


def test_missing_neighbours_are_the_current_frame():
    dataset = ClipDataset([_video()], stride=3)
    first, last = dataset[0], dataset[7]
    assert first["x"][0, 0, 0] == first["x"][3, 0, 0]  # frame -3 -> frame 0
    assert last["x"][6, 0, 0] == last["x"][3, 0, 0]  # frame 10 -> frame 7
    assert first["g"][0, 0, 0].item() == 10.0  # |frame 0 - frame 1|


def test_pasting_keeps_the_target_clean_and_marks_the_map():
    torch.manual_seed(0)
    frames = np.zeros((8, 64, 64, 3), np.uint8)
    from shared.vad.shapes import paste_anomaly

    dataset = ClipDataset([VideoFrames("v", frames)], paste_probability=1.0, paster=paste_anomaly)
    sample = dataset[4]
    assert sample["augmented"].item() == 1.0
    assert sample["y"][:3].eq(-1).all()  # clean target frame
    painted = sample["y"][3] > 0
    assert painted.any() and torch.equal(painted, sample["x"][3] > -1)


def _aedmae(tmp_path, paste_probability: float = 0.0) -> AedMaeDataModule:
    """The fixture written under ``tmp_path``, at 32 x 64, in the main process."""
    return AedMaeDataModule(
        data_root=str(tmp_path / "data"),
        gt_root=str(tmp_path / "gt"),
        img_size=(32, 64),
        paste_probability=paste_probability,
        loader=Loader(batch_size=2),
    )


def test_aedmae_twins_feed_augmented_samples(tmp_path):
    write_aedmae_fixture(tmp_path / "data", tmp_path / "gt")
    data = _aedmae(tmp_path, paste_probability=1.0)
    data.setup()
    sample = data.train_dataloader().dataset[3]
    twin = data.splits["train"][0].augmented[3]
    assert sample["augmented"].item() == 1.0
    assert torch.allclose(
        sample["x"][3:6], torch.from_numpy(twin).float().movedim(-1, 0).sub(127.5).div(127.5)
    )
    mask = data.splits["train"][0].augmented_masks[3].astype(np.float32) / 255
    assert torch.allclose(sample["y"][3], torch.from_numpy(mask) * 2 - 1)
    assert data.test_videos[0].labels.tolist() == [0, 1, 1, 0, 0, 0, 1]


def test_aedmae_without_twins_is_a_clear_error(tmp_path):
    import shutil

    write_aedmae_fixture(tmp_path / "data", tmp_path / "gt")
    shutil.rmtree(tmp_path / "data" / "train" / "masks_abnormal")
    data = AedMaeDataModule(
        data_root=str(tmp_path / "data"), gt_root=str(tmp_path / "gt"), loader=Loader()
    )
    with pytest.raises(DatasetFormatError, match="masks_abnormal"):
        data.setup()


def test_aedmae_reads_the_stored_gradients_resized_like_the_frames(tmp_path):
    import cv2

    write_aedmae_fixture(tmp_path / "data", tmp_path / "gt")  # gradients2 holds random images
    data = _aedmae(tmp_path)
    data.setup()
    stored = cv2.imread(str(tmp_path / "data" / "train" / "gradients2" / "01" / "3.png"))
    expected = torch.from_numpy(cv2.resize(stored, (64, 32))).float().movedim(-1, 0)
    sample = data.train_dataloader().dataset[3]
    assert torch.equal(sample["g"], expected)
    video = data.splits["train"][0]
    computed = np.abs(video.frames[2].astype(np.float32) - video.frames[4].astype(np.float32))
    assert not np.array_equal(video.gradient(3), computed)  # not the on-the-fly gradient
    assert data.test_videos[0].gradients is None
    assert "g" not in data.test_dataloader().dataset[0]  # scoring reads no gradients


def test_aedmae_gradients_for_only_some_videos_is_a_clear_error(tmp_path):
    import shutil

    write_aedmae_fixture(tmp_path / "data", tmp_path / "gt")
    train = tmp_path / "data" / "train"
    for folder in ("frames", "frames_abnormal", "masks_abnormal"):
        shutil.copytree(train / folder / "01", train / folder / "02")
    with pytest.raises(DatasetFormatError, match=r"gradients2/02.*compute-gradients"):
        _aedmae(tmp_path).setup()
