"""Videos as the frame-level detectors read them: a fixed number of frames per video.

A video is either an mp4 (decoded with PyAV, frames sampled uniformly) or a folder of extracted
frames (DeepfakeBench's preprocessing output; sorted by name, sampled uniformly). DeepfakeBench
uses 32 frames per video (``fixed_num_frames``); a video with fewer frames gives all it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from shared.data.errors import DatasetFormatError
from deepfake_bench.data.image_folders import read_image


@dataclass(frozen=True)
class VideoRecord:
    name: str
    label: int  # 1 = fake
    source: Path | tuple[Path, ...]  # an mp4 file or the video's frame files
    dataset: str = ""


def uniform_indices(total: int, n: int) -> np.ndarray:
    """``n`` evenly spaced indices into ``total`` frames (all of them when fewer)."""
    if total <= n:
        return np.arange(total)
    return np.linspace(0, total - 1, n).round().astype(int)


def decode_mp4(path: Path) -> list[np.ndarray]:
    """Every frame of an mp4 as uint8 RGB; an undecodable file is a DatasetFormatError."""
    import av

    try:
        with av.open(str(path)) as container:
            return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    except (av.error.FFmpegError, IndexError) as error:
        raise DatasetFormatError(path, f"no decodable video stream ({error})", "an mp4") from error


def read_video(record: VideoRecord, n_frames: int = 8, size: int | None = None) -> np.ndarray:
    """uint8 (T, H, W, 3) with T = min(n_frames, frames in the video), resized to ``size``."""
    if isinstance(record.source, Path):
        frames = decode_mp4(record.source)
        frames = [frames[i] for i in uniform_indices(len(frames), n_frames)]
    else:
        paths = record.source
        frames = [read_image(paths[i]) for i in uniform_indices(len(paths), n_frames)]
    if not frames:
        raise DatasetFormatError(Path(str(record.source)), "no frames", "at least one frame")
    if size is not None:
        frames = [cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames]
    return np.stack(frames)
