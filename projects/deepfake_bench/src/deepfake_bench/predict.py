"""Score files or an external dataset with a trained detector (one row of a run's checkpoint).

``python -m deepfake_bench.predict CKPT [--row NAME] FILE...`` prints P(fake) per image or
video file (videos: the mean over ``--frames`` uniformly sampled frames, as DeepfakeBench).
``python -m deepfake_bench.predict CKPT --dataset biodeepav --root PATH`` scores a registered
external dataset that takes a ``root`` (``biodeepav``, ``image_folders``, ``dfb_manifest``) and
prints its metrics (video-level for videos), or "not run: <dataset> not present at
<path>" when the data is absent (exit status 0: absence is expected on most machines).
``--row all`` scores every row of the checkpoint; ``--config FILE.yaml`` sets any of these
options (``configs/external_biodeepav.yaml``: BioDeepAV, every row, 32 frames per video);
without ``--root`` a dataset is looked for in ``<DATA_ROOT>/<dataset>``.
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
import yaml

from deepfake_bench import catalog  # noqa: F401
from deepfake_bench.data.image_folders import EXTENSIONS, ImageRecord, load_records, read_image
from deepfake_bench.data.videos import VideoRecord, read_video
from deepfake_bench.detectors.base import Detector
from deepfake_bench.metrics import cell_metrics
from deepfake_bench.registry import DATASETS, DETECTORS
from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.errors import ConfigError
from shared.paths import data_root


def load_rows(checkpoint: Path, row: str | None = None) -> tuple[str, list[tuple[str, Detector]]]:
    """``(detector name, [(row name, detector)])`` of a CrossGeneratorMatrix checkpoint: the
    row named ``row``, every row for ``"all"``, the first by default."""
    from deepfake_bench.module import CrossGeneratorMatrix

    module = CrossGeneratorMatrix.load_from_checkpoint(checkpoint, map_location="cpu")
    names = module.row_names
    if row not in (None, "all", *names):
        raise ConfigError("--row", row, f"'all' or one of the checkpoint's rows {names}")
    chosen = names if row == "all" else [row or names[0]]
    detectors = [(n, module.detectors[names.index(n)].eval()) for n in chosen]
    return module.detector_name, detectors


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


def score_dataset(
    detector: Detector, dataset: str, root: Path, size: int = 32, frames: int = 8
) -> dict[str, float | list[float]] | None:
    """Every metric (with 1,000-resample CIs) of ``detector`` on a registered external dataset,
    video-level for videos; ``None`` when the dataset is not at ``root``."""
    try:
        records = DATASETS.build(dataset, root=root)
    except DatasetNotFoundError:
        return None
    if DATASETS.entry(dataset).metadata["modality"] == "image":
        labels, scores = score_images(detector, records, size)
    else:
        labels, scores = score_videos(detector, records, size, frames)
    return cell_metrics(labels, scores, "test", dataset, bootstrap=1000)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--config", type=Path, help="a YAML file setting any option below")
    parser.add_argument("--row", help="the checkpoint row (training generator) to use, or 'all'")
    parser.add_argument("--dataset", help=f"an external dataset: one of {list(DATASETS)}")
    parser.add_argument("--root", type=Path, help="the dataset's folder (<DATA_ROOT>/<dataset>)")
    parser.add_argument("--frames", type=int, default=8, help="frames per video (DFB: 32)")
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, with ``--config``'s values as defaults (the command line wins)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.config is not None:
        options = yaml.safe_load(args.config.read_text()) or {}
        known = {a.dest for a in parser._actions} - {"help", "checkpoint", "files", "config"}
        if unknown := sorted(set(options) - known):
            raise ConfigError(str(args.config), unknown, f"options among {sorted(known)}")
        parser.set_defaults(**options)
        args = parser.parse_args(argv)
    if args.dataset and args.root is None:
        args.root = data_root() / args.dataset
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        name, rows = load_rows(args.checkpoint, args.row)
        size = DETECTORS.entry(name).metadata["input_size"]
        for row, detector in rows:
            if args.dataset:
                metrics = score_dataset(detector, args.dataset, Path(args.root), size, args.frames)
                if metrics is None:
                    print(f"not run: {args.dataset} not present at {args.root}")
                    return 0
                print(json.dumps({"row": row, "dataset": args.dataset, **metrics}, indent=1))
                continue
            prefix = f"{row}\t" if len(rows) > 1 else ""
            for path in args.files:
                print(f"{prefix}{path}\t{score_file(detector, path, size, args.frames):.6f}")
    except (ConfigError, DatasetFormatError, DatasetNotFoundError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
