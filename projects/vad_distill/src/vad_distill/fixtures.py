"""Tiny datasets in the official fast-aed layout (spec §8), for tests and examples: constant
frames whose grey level names their video and index, and distinct maps per frame and teacher."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vad_distill.teachers.maps import write_maps

TEACHERS = ("teacher1", "teacher2")


def frame_value(video: int, t: int) -> int:
    """The grey level of frame ``t`` of video ``video`` (so channels can be told apart)."""
    return 40 * video + 10 * t


def teacher_maps(video: int, t: int, k: int) -> dict[str, np.ndarray]:
    """Distinct maps per (video, frame, teacher): 1x1 a 0-d array, 4x4 and 16x16 ramps."""
    base = 0.01 * (100 * video + 10 * t + k)
    return {
        "1x1": np.array(base, np.float32),
        "4x4": base + np.arange(16, dtype=np.float32).reshape(4, 4) / 100,
        "16x16": base + np.arange(256, dtype=np.float32).reshape(16, 16) / 1000,
    }


def write_fast_aed(
    root: Path, videos: int = 2, frames: int = 8, size: tuple[int, int] = (36, 64)
) -> dict[str, Path]:
    """Frames ``<root>/<split>/frames/<0v>/<t>.png``, maps ``<root>/<split>/<teacher>/...``,
    test labels ``<root>/test/labels/<0v>.txt`` (frame t of video v abnormal when t >= 5)."""
    paths = {}
    for split in ("train", "test"):
        for v in range(videos):
            name = f"{v + 1:02d}"
            folder = root / split / "frames" / name
            folder.mkdir(parents=True)
            for t in range(frames):
                cv2.imwrite(
                    str(folder / f"{t}.png"), np.full((*size, 3), frame_value(v, t), np.uint8)
                )
            for k, teacher in enumerate(TEACHERS):
                maps = [teacher_maps(v, t, k) for t in range(frames)]
                write_maps(root / split / teacher, name, [str(t) for t in range(frames)], maps)
            if split == "test":
                labels = root / "test" / "labels"
                labels.mkdir(parents=True, exist_ok=True)
                np.savetxt(labels / f"{name}.txt", (np.arange(frames) >= 5).astype(int), fmt="%d")
        paths[f"{split}_frames"] = root / split / "frames"
        paths[f"{split}_teachers"] = {t: root / split / t for t in TEACHERS}
    paths["test_labels"] = root / "test" / "labels"
    return paths
