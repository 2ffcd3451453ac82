"""Score files or an external dataset with a trained detector (one row of a run's checkpoint).

``python -m deepfake_bench.predict CKPT [--row NAME] FILE...`` prints P(fake) per image or
video file (videos: the mean over ``--frames`` uniformly sampled frames, as DeepfakeBench).
``python -m deepfake_bench.predict CKPT --dataset biodeepav --root PATH`` scores a registered
external dataset that takes a ``root`` (``biodeepav``, ``image_folders``, ``dfb_manifest``) and
prints its metrics (video-level for videos), or "not run: <dataset> not present at
<path>" when the data is absent (exit status 0: absence is expected on most machines).
Inputs are resized to the detector's input size (DFB-Synth: 32 px).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from deepfake_bench import catalog  # noqa: F401
from deepfake_bench.data.image_folders import EXTENSIONS, ImageRecord, load_records, read_image
from deepfake_bench.data.videos import VideoRecord, read_video
from deepfake_bench.detectors.base import Detector
from deepfake_bench.metrics import cell_metrics
from deepfake_bench.registry import DATASETS, DETECTORS
from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.errors import ConfigError


def load_row(checkpoint: Path, row: str | None = None) -> tuple[str, str, Detector]:
    """``(row name, detector name, detector)`` of a CrossGeneratorMatrix checkpoint (the first
    row by default)."""
    from deepfake_bench.module import CrossGeneratorMatrix

    module = CrossGeneratorMatrix.load_from_checkpoint(checkpoint, map_location="cpu")
    names = module.row_names
    if row is not None and row not in names:
        raise ConfigError("--row", row, f"one of the checkpoint's rows {names}")
    index = names.index(row) if row else 0
    return names[index], module.detector_name, module.detectors[index].eval()


def _resize(frames: np.ndarray, size: int) -> np.ndarray:
    import cv2

    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames])


def score_file(detector: Detector, path: Path, size: int = 32, frames: int = 8) -> float:
    """P(fake) of one image, or of one video as the mean of its frames' P(fake)."""
    path = Path(path)
    if path.suffix.lower() in EXTENSIONS:
        images = _resize(read_image(path)[None], size)
    else:
        images = read_video(VideoRecord(path.stem, -1, path), frames, size)
    return score_frames(detector, images)


@torch.no_grad()
def score_frames(detector: Detector, frames: np.ndarray) -> float:
    """Mean P(fake) of uint8 (T, H, W, 3) frames scored by an image detector."""
    batch = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).contiguous()
    return float(detector.predict_proba(batch).mean())


def score_videos(
    detector: Detector, records: Sequence[VideoRecord], size: int = 32, frames: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """Video labels and video-level P(fake) (mean over frames) of every record."""
    scores = [score_frames(detector, read_video(r, frames, size)) for r in records]
    return np.array([r.label for r in records]), np.array(scores)


def score_images(
    detector: Detector, records: Sequence[ImageRecord], size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Image labels and P(fake) of every record (resized to ``size``)."""
    images = load_records(list(records), size)
    scores = [score_frames(detector, images[i : i + 1]) for i in range(len(images))]
    return np.array([r.label for r in records]), np.array(scores)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--row", help="the checkpoint row (training generator) to use")
    parser.add_argument("--dataset", help=f"an external dataset: one of {list(DATASETS)}")
    parser.add_argument("--root", type=Path, help="the external dataset's folder")
    parser.add_argument("--frames", type=int, default=8, help="frames per video (DFB: 32)")
    args = parser.parse_args(argv)
    try:
        row, name, detector = load_row(args.checkpoint, args.row)
        size = DETECTORS.entry(name).metadata["input_size"]
        if args.dataset:
            try:
                records = DATASETS.build(args.dataset, root=args.root)
            except DatasetNotFoundError:
                print(f"not run: {args.dataset} not present at {args.root}")
                return 0
            if DATASETS.entry(args.dataset).metadata["modality"] == "image":
                labels, scores = score_images(detector, records, size)
            else:
                labels, scores = score_videos(detector, records, size, args.frames)
            metrics = cell_metrics(labels, scores, "test", args.dataset, bootstrap=1000)
            print(json.dumps({"row": row, "dataset": args.dataset, **metrics}, indent=1))
            return 0
        for path in args.files:
            print(f"{path}\t{score_file(detector, path, size, args.frames):.6f}")
    except (ConfigError, DatasetFormatError, DatasetNotFoundError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
