"""Tiny VAD datasets in the official on-disk formats (Avenue, ShanghaiTech, Ped2, UBnormal,
the aed-mae layout). Each writer returns the frame labels it wrote, per video name."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from scipy.io import savemat

HEIGHT, WIDTH = 36, 64


def _frames(
    rng: np.random.Generator, count: int, height: int = HEIGHT, width: int = WIDTH
) -> np.ndarray:
    return rng.integers(0, 256, size=(count, height, width, 3), dtype=np.uint8)


def _masks(labels: np.ndarray, height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    masks = np.zeros((len(labels), height, width), np.uint8)
    masks[labels.astype(bool), 10:20, 20:30] = 1
    return masks


def write_avi(path: Path, frames: np.ndarray, fps: float = 25.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def _write_images(folder: Path, frames: np.ndarray, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for frame, name in zip(frames, names, strict=True):
        cv2.imwrite(str(folder / name), frame)


def write_avenue_fixture(root: Path, frames: int = 10, seed: int = 0) -> dict[str, np.ndarray]:
    """``training_videos/01.avi``, ``testing_videos/01.avi`` + ``02.avi``, ``testing_label_mask/N_label.mat``."""
    rng = np.random.default_rng(seed)
    write_avi(root / "training_videos" / "01.avi", _frames(rng, frames))
    labels = {"01": (np.arange(frames) >= frames // 2).astype(int), "02": np.zeros(frames, int)}
    for name, video_labels in labels.items():
        write_avi(root / "testing_videos" / f"{name}.avi", _frames(rng, frames))
        cells = np.empty((1, frames), dtype=object)
        for t, mask in enumerate(_masks(video_labels)):
            cells[0, t] = mask
        (root / "testing_label_mask").mkdir(parents=True, exist_ok=True)
        savemat(root / "testing_label_mask" / f"{int(name)}_label.mat", {"volLabel": cells})
    return labels


def write_shanghaitech_fixture(root: Path, frames: int = 8, seed: int = 0) -> dict[str, np.ndarray]:
    """``training/videos/01_001.avi``; ``testing/frames/01_0014/000.jpg...`` with frame/pixel ``.npy`` masks."""
    rng = np.random.default_rng(seed)
    write_avi(root / "training" / "videos" / "01_001.avi", _frames(rng, frames, 48, 86))
    labels = {"01_0014": np.array([0, 0, 1, 1, 1, 0, 0, 0][:frames] + [0] * max(0, frames - 8))}
    for name, video_labels in labels.items():
        _write_images(
            root / "testing" / "frames" / name,
            _frames(rng, frames, 48, 86),
            [f"{t:03d}.jpg" for t in range(frames)],
        )
        for kind, array in (
            ("test_frame_mask", video_labels),
            ("test_pixel_mask", _masks(video_labels, 48, 86)),
        ):
            (root / "testing" / kind).mkdir(parents=True, exist_ok=True)
            np.save(root / "testing" / kind / f"{name}.npy", array)
    return labels


def write_ped2_fixture(root: Path, frames: int = 6, seed: int = 0) -> dict[str, np.ndarray]:
    """``Train/Train001/001.tif``, ``Test/Test001/001.tif`` + ``Test001_gt/001.bmp`` and ``UCSDped2.m``
    with ``TestVideoFile{1}.gt_frame = [3:5];`` (1-based)."""
    rng = np.random.default_rng(seed)
    names = [f"{t + 1:03d}.tif" for t in range(frames)]
    _write_images(root / "Train" / "Train001", _frames(rng, frames)[..., 0], names)
    labels = {"Test001": np.zeros(frames, int), "Test002": np.zeros(frames, int)}
    labels["Test001"][2:5] = 1
    for name, video_labels in labels.items():
        _write_images(root / "Test" / name, _frames(rng, frames)[..., 0], names)
        _write_images(
            root / "Test" / f"{name}_gt",
            _masks(video_labels) * 255,
            [n.replace(".tif", ".bmp") for n in names],
        )
    (root / "Test" / "UCSDped2.m").write_text(
        "TestVideoFile = {};\nTestVideoFile{1}.gt_frame = [3:5];\n"
        + "TestVideoFile{2}.gt_frame = [];\n"
    )
    return labels


def write_ubnormal_fixture(root: Path, frames: int = 6, seed: int = 0) -> dict[str, np.ndarray]:
    """One abnormal training video: frames, object-id segmentation PNGs and ``_tracks.txt``.

    Object 1 (a 30x30 square, 900 px) is abnormal in frames 1-3; object 2 (a 10x10 square,
    100 px, under the 267-pixel floor) in frames 2-4.
    """
    rng = np.random.default_rng(seed)
    video = "abnormal_scene_1_scenario_1"
    _write_images(
        root / "train" / "frames" / video,
        _frames(rng, frames, 72, 128),
        [f"{t:04d}.jpg" for t in range(frames)],
    )
    annotations = root / "train" / "annotations" / f"{video}_annotations"
    annotations.mkdir(parents=True, exist_ok=True)
    for t in range(frames):
        ids = np.zeros((72, 128), np.uint8)
        if 1 <= t < 4:
            ids[5:35, 10:40] = 1
        if 2 <= t < 5:
            ids[50:60, 100:110] = 2
        cv2.imwrite(str(annotations / f"{video}_{t:04d}_gt.png"), ids)
    (annotations / f"{video}_tracks.txt").write_text("1,1,4\n2,2,5\n")
    labels = np.zeros(frames, int)
    labels[1:5] = 1
    return {video: labels}


def write_aedmae_fixture(
    root: Path, gt_root: Path, padded: bool = False, frames: int = 7, seed: int = 0
) -> dict[str, np.ndarray]:
    """The official aed-mae layout (unpadded ``<k>.png`` names, or zero-padded with ``padded``)."""
    rng = np.random.default_rng(seed)
    names = [f"{t:04d}.png" if padded else f"{t}.png" for t in range(frames)]
    for folder in ("frames", "gradients2", "frames_abnormal", "masks_abnormal"):
        _write_images(root / "train" / folder / "01", _frames(rng, frames), names)
    labels = {"01": np.array([0, 1, 1, 0, 0, 0, 1][:frames])}
    gt_root.mkdir(parents=True, exist_ok=True)
    for name, video_labels in labels.items():
        _write_images(
            root / "test" / "frames" / name,
            _frames(rng, frames),
            [n.replace(".png", ".jpg") for n in names],
        )
        np.savetxt(gt_root / f"{name}.txt", video_labels, fmt="%d")
    return labels
