"""Score files or an external dataset with a trained detector (one row of a run's checkpoint).

``python -m deepfake_bench.predict CKPT [--row NAME] FILE...`` prints P(fake) per image, video
or audio file (videos: the mean over ``--frames`` uniformly sampled frames, as DeepfakeBench;
audio: the whole utterance, FLAC or WAV at 16 kHz, repeated up to the detector's crop when shorter).
``python -m deepfake_bench.predict CKPT --dataset biodeepav --root PATH`` scores a registered
external dataset that takes a ``root`` (``biodeepav``, ``image_folders``, ``dfb_manifest``) and
prints its metrics (video-level for videos; for audio also the EER per attack, as ASVspoof
reports it, and with ``--scores FILE`` an ASVspoof score file, ``UTT SCORE`` with high = bona
fide), or "not run: <dataset> not present at <path>" when the data is absent (exit status 0:
absence is expected on most machines). Audio datasets: ``asvspoof2019_la`` (its eval split),
``asvspoof2021_la``, ``asvspoof2021_df``.
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
from deepfake_bench.data.asvspoof import Utterance, read_audio
from deepfake_bench.data.image_folders import EXTENSIONS, ImageRecord, load_records, read_image
from deepfake_bench.data.synth_audio import fixed_length
from deepfake_bench.data.videos import VideoRecord, read_video
from deepfake_bench.detectors.base import Detector
from deepfake_bench.metrics import cell_metrics, eer
from deepfake_bench.registry import DATASETS, DETECTORS
from deepfake_bench.score_files import write_asvspoof_scores
from shared.data.errors import DatasetFormatError, DatasetNotFoundError
from shared.errors import ConfigError
from shared.paths import data_root


def load_rows(checkpoint: Path, row: str | None = None) -> tuple[str, list[tuple[str, Detector]]]:
    """``(detector name, [(row name, detector)])`` of a CrossGeneratorMatrix checkpoint: the
    row named ``row``, every row for ``"all"``, the first by default; of an AVDetection
    checkpoint, its one row (the module itself scores clips, whatever stream it reads)."""
    from deepfake_bench.av_module import AVDetection
    from deepfake_bench.module import CrossGeneratorMatrix

    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)["hyper_parameters"]
    if "train_methods" in saved:
        clips = AVDetection.load_from_checkpoint(checkpoint, map_location="cpu").eval()
        if row not in (None, "all", clips.row):
            raise ConfigError("--row", row, f"'all' or the checkpoint's row {clips.row!r}")
        return clips.detector_name, [(clips.row, clips)]
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


AUDIO_EXTENSIONS = (".flac", ".wav")


@torch.no_grad()
def score_audio(detector: Detector, path: Path) -> float:
    """The logit (larger = faker) of one utterance, whole (repeated up to the training crop)."""
    samples = torch.from_numpy(read_audio(path))
    length = max(len(samples), getattr(detector, "crop", 0))
    return float(detector(fixed_length(samples, length)[None]))


@torch.no_grad()
def score_clip(detector, path: Path) -> float:
    """P(fake) of a talking-head mp4 (video + audio): its first 2 s (50 frames resized to
    64 px, 16 kHz mono audio), as the audio-visual detectors were trained."""
    from deepfake_bench.data.av_clips import read_av_clip
    from deepfake_bench.synth.av.face import N_FRAMES, N_SAMPLES, SIZE

    frames, audio = read_av_clip(Path(path), N_FRAMES, N_SAMPLES)
    video = torch.from_numpy(_resize(frames, SIZE)).permute(0, 3, 1, 2)[None]
    return float(detector.predict_proba(video, torch.from_numpy(audio)[None])[0])


def score_file(detector: Detector, path: Path, size: int = 32, frames: int = 8) -> float:
    """P(fake) of one image, of one video as the mean of its frames' P(fake), or of one
    utterance."""
    path = Path(path)
    if detector.modality == "audio_visual":
        return score_clip(detector, path)
    if detector.modality == "audio":
        if path.suffix.lower() not in AUDIO_EXTENSIONS:
            raise DatasetFormatError(path, f"a {path.suffix!r} file", "FLAC or WAV audio")
        return float(torch.sigmoid(torch.tensor(score_audio(detector, path))))
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


def score_utterances(
    detector: Detector, records: Sequence[Utterance]
) -> tuple[np.ndarray, np.ndarray]:
    """Labels (1 = spoof) and logits of every utterance."""
    from tqdm import tqdm

    scores = [score_audio(detector, r.path) for r in tqdm(records, desc="scoring", unit="utt")]
    return np.array([r.label for r in records]), np.array(scores)


def per_attack_eer(records: Sequence[Utterance], scores: np.ndarray) -> dict[str, float]:
    """EER of each attack's spoofs against every bona fide utterance (ASVspoof's breakdown)."""
    labels = np.array([r.label for r in records])
    bona = labels == 0
    out = {}
    for attack in sorted({r.attack for r in records if r.attack}):
        keep = bona | np.array([r.attack == attack for r in records])
        out[attack] = eer(labels[keep], scores[keep], split="test", generator=attack)[0]
    return out


def score_dataset(
    detector: Detector, dataset: str, root: Path, size: int = 32, frames: int = 8,
    scores_file: Path | None = None,
) -> dict[str, float | list[float]] | None:  # fmt: skip
    """Every metric (with 1,000-resample CIs) of ``detector`` on a registered external dataset,
    video-level for videos, with the per-attack EERs for audio (and its ASVspoof score file
    written to ``scores_file``); ``None`` when the dataset is not at ``root``."""
    modality, reads = DATASETS.entry(dataset).metadata["modality"], detector.modality
    if reads != modality and {reads, modality} - {"image", "video"}:  # frames are images
        raise ConfigError("--dataset", dataset, f"a dataset of the checkpoint's {reads} data")
    try:
        records = DATASETS.build(dataset, root=root)
    except DatasetNotFoundError:
        return None
    if modality != "audio" and scores_file is not None:
        raise ConfigError("--scores", str(scores_file), "an audio dataset (ASVspoof score files)")
    if modality == "audio":
        labels, scores = score_utterances(detector, records)
        if scores_file is not None:
            write_asvspoof_scores(scores_file, [r.utterance for r in records], scores)
        metrics = cell_metrics(labels, scores, "test", dataset, threshold=0.0, bootstrap=1000)
        return {**metrics, **{f"eer/{a}": v for a, v in per_attack_eer(records, scores).items()}}
    if modality == "image":
        labels, scores = score_images(detector, records, size)
    elif modality == "audio_visual":
        labels = np.array([r.label for r in records])
        scores = np.array([score_clip(detector, r.source) for r in records])
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
    parser.add_argument("--scores", type=Path, help="audio: write an ASVspoof score file here")
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
                scores = args.scores
                if scores is not None and len(rows) > 1:  # one file per row
                    scores = scores.with_name(f"{scores.stem}.{row}{scores.suffix}")
                if scores is not None and scores.exists():
                    raise ConfigError("--scores", str(scores), "a file that does not exist yet")
                metrics = score_dataset(
                    detector, args.dataset, Path(args.root), size, args.frames, scores
                )
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
