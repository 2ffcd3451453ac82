"""Dataset preparation commands the aed-mae users asked for (its issues #2-#6, #14, #21).

``python -m shared.vad.convert <command> ...``:

* ``extract-frames --dataset D --root R --out O``: write ``O/{train,test}/frames/<video>/<k>.png``
  (unpadded, the aed-mae layout) from any supported dataset;
* ``convert-labels --dataset D --root R --out G``: write ``G/<video>.txt`` (one 0/1 per frame);
* ``videos-to-frames --videos V --out O``: ``O/<video>/<k>.png`` for every .avi/.mp4 under V;
* ``compute-gradients --frames F --out G``: ``|frame(k-1) - frame(k+1)|`` per channel as PNG
  (``gradients2``), ends replaced by frame k;
* ``cut-ubnormal --root R --out O --width W --height H``: the abnormal object sequences of UBnormal
  training videos (``O/<video>/sequence_<id>/{anomalies,masks}/<i>.png``), for pasting;
* ``paste-ubnormal --root R --sequences O``: paste them into every training frame of an aed-mae
  layout, writing ``train/frames_abnormal`` and ``train/masks_abnormal``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from shared.data.errors import DatasetFormatError
from shared.vad.datasets import (
    LOADERS,
    VideoRecord,
    frame_index,
    numbered_frames,
    read_frames,
    read_image,
    read_ubnormal_tracks,
)

MIN_OBJECT_PIXELS = (
    267  # the official cut stops when the 3-channel object-pixel count drops under 800
)


def extract_frames(
    dataset: str, root: Path, out: Path, splits: tuple[str, ...] = ("train", "test")
) -> int:
    """Write every frame as ``out/<split>/frames/<video>/<k>.png``; returns the number written."""
    written = 0
    for split in splits:
        for record in LOADERS[dataset](root, split):
            written += _write_frames(read_frames(record), out / split / "frames" / record.name)
    return written


def _write_frames(frames: np.ndarray, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{index}.png"), frame)
    return len(frames)


def videos_to_frames(videos: Path, out: Path) -> int:
    """Every ``.avi``/``.mp4`` under ``videos`` (recursively) -> ``out/<stem>/<k>.png`` (e.g. UBnormal)."""
    written = 0
    for path in sorted(p for p in videos.rglob("*") if p.suffix.lower() in (".avi", ".mp4")):
        written += _write_frames(
            read_frames(VideoRecord(path.stem, video_path=path)), out / path.stem
        )
    return written


def convert_labels(dataset: str, root: Path, out: Path) -> list[Path]:
    """One ``<video>.txt`` of 0/1 frame labels per test video."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for record in LOADERS[dataset](root, "test"):
        path = out / f"{record.name}.txt"
        np.savetxt(path, record.labels, fmt="%d")
        paths.append(path)
    return paths


def gradient_images(frames: np.ndarray) -> np.ndarray:
    """(T, H, W, C) uint8 -> |frame(k-1) - frame(k+1)| (T, H, W, C) uint8."""
    signed = frames.astype(np.int16)
    before = np.concatenate((signed[:1], signed[:-1]))
    after = np.concatenate((signed[1:], signed[-1:]))
    return np.abs(before - after).astype(np.uint8)


def compute_gradients(frames_root: Path, out: Path) -> int:
    """``gradients2`` for every ``<video>/<k>.<ext>`` folder under ``frames_root``."""
    count = 0
    for folder in sorted(p for p in frames_root.iterdir() if p.is_dir()):
        paths = numbered_frames(folder)
        gradients = gradient_images(np.stack([read_image(p) for p in paths]))
        target = out / folder.name
        target.mkdir(parents=True, exist_ok=True)
        for path, gradient in zip(paths, gradients, strict=True):
            cv2.imwrite(str(target / f"{frame_index(path)}.png"), gradient)
            count += 1
    return count


def cut_ubnormal(root: Path, out: Path, size: tuple[int, int]) -> list[Path]:
    """Cut each abnormal object track of the UBnormal training videos into a sequence folder.

    The object keeps its place in the frame (cut on black); a sequence stops at the first frame
    where the object has fewer than :data:`MIN_OBJECT_PIXELS` pixels. ``size`` = (width, height).
    """
    written = []
    for record in LOADERS["ubnormal"](root, "train"):
        if (
            "abnormal" not in record.name
            or record.name.startswith("normal")
            or "tracks" not in record.extras
        ):
            continue
        frames = read_frames(record)
        for object_id, start, end in read_ubnormal_tracks(record.extras["tracks"][0]):
            sequence = out / record.name / f"sequence_{object_id:04d}"
            for index, t in enumerate(range(start, end)):
                mask = read_image(record.extras["segmentation"][t], grayscale=True) == object_id
                if mask.sum() < MIN_OBJECT_PIXELS:
                    break
                for kind, image in (
                    ("anomalies", frames[t] * mask[..., None]),
                    ("masks", mask.astype(np.uint8) * 255),
                ):
                    (sequence / kind).mkdir(parents=True, exist_ok=True)
                    cv2.imwrite(str(sequence / kind / f"{index}.png"), cv2.resize(image, size))
                written.append(sequence / "masks" / f"{index}.png")
    return written


def _sequences(root: Path, max_pixels: int) -> list[tuple[tuple[Path, ...], tuple[Path, ...]]]:
    """(object frames, masks) of every cut sequence whose object never exceeds ``max_pixels``."""
    found = []
    for folder in sorted(root.glob("*/sequence_*")):
        objects, masks = numbered_frames(folder / "anomalies"), numbered_frames(folder / "masks")
        if len(objects) != len(masks):
            raise DatasetFormatError(
                folder,
                f"{len(objects)} objects and {len(masks)} masks",
                "one mask per object frame",
            )
        if max((read_image(m, grayscale=True) > 127).sum() for m in masks) <= max_pixels:
            found.append((objects, masks))
    if not found:
        raise DatasetFormatError(
            root,
            "no usable sequences",
            f"<video>/sequence_<id>/{{anomalies,masks}} with objects <= {max_pixels} px",
        )
    return found


def paste_object(frame: np.ndarray, obj: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The official blend: object in grey on 3 channels, 3x3 Gaussian blur, added with uint8
    wrap-around onto the frame whose object pixels were zeroed."""
    grey = cv2.cvtColor(obj, cv2.COLOR_BGR2GRAY)
    blurred = cv2.GaussianBlur(np.repeat(grey[..., None], 3, axis=-1), (3, 3), 0)
    out = frame.copy()
    out[mask > 127] = 0
    return out + blurred  # uint8 addition wraps, as in the official script


def paste_ubnormal(root: Path, sequences: Path, seed: int = 0, max_pixels: int = 1666) -> int:
    """Write ``frames_abnormal`` and ``masks_abnormal`` beside ``<root>/train/frames``.

    Walks each training video in order, taking the next frame of a randomly chosen sequence for
    each target frame (a new random one when a sequence ends); objects and masks are resized to
    the target frame size.
    """
    rng = np.random.default_rng(seed)
    pool = _sequences(sequences, max_pixels)
    written = 0
    for record in LOADERS["aed-mae"](root, "train"):
        objects, masks, position = (), (), 0
        for path in record.frame_paths:
            if position >= len(objects):
                objects, masks = pool[int(rng.integers(len(pool)))]
                position = 0
            frame = read_image(path)
            size = (frame.shape[1], frame.shape[0])
            obj = cv2.resize(read_image(objects[position]), size)
            mask = cv2.resize(read_image(masks[position], grayscale=True), size)
            name = f"{frame_index(path)}.png"
            for kind, image in (
                ("frames_abnormal", paste_object(frame, obj, mask)),
                ("masks_abnormal", mask),
            ):
                (root / "train" / kind / record.name).mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(root / "train" / kind / record.name / name), image)
            position += 1
            written += 1
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m shared.vad.convert", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("extract-frames", "convert-labels"):
        sub = commands.add_parser(name)
        sub.add_argument("--dataset", choices=sorted(set(LOADERS) - {"aed-mae"}), required=True)
        sub.add_argument("--root", type=Path, required=True)
        sub.add_argument("--out", type=Path, required=True)
    sub = commands.add_parser("videos-to-frames")
    sub.add_argument("--videos", type=Path, required=True)
    sub.add_argument("--out", type=Path, required=True)
    sub = commands.add_parser("compute-gradients")
    sub.add_argument("--frames", type=Path, required=True)
    sub.add_argument("--out", type=Path, required=True)
    sub = commands.add_parser("cut-ubnormal")
    sub.add_argument("--root", type=Path, required=True)
    sub.add_argument("--out", type=Path, required=True)
    sub.add_argument("--width", type=int, default=640)
    sub.add_argument("--height", type=int, default=320)
    sub = commands.add_parser("paste-ubnormal")
    sub.add_argument("--root", type=Path, required=True, help="aed-mae layout root (train/frames)")
    sub.add_argument("--sequences", type=Path, required=True, help="output of cut-ubnormal")
    sub.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "extract-frames":
        print(f"wrote {extract_frames(args.dataset, args.root, args.out)} frames under {args.out}")
    elif args.command == "convert-labels":
        print(
            f"wrote {len(convert_labels(args.dataset, args.root, args.out))} label files to {args.out}"
        )
    elif args.command == "videos-to-frames":
        print(f"wrote {videos_to_frames(args.videos, args.out)} frames under {args.out}")
    elif args.command == "compute-gradients":
        print(f"wrote {compute_gradients(args.frames, args.out)} gradient images to {args.out}")
    elif args.command == "cut-ubnormal":
        print(
            f"wrote {len(cut_ubnormal(args.root, args.out, (args.width, args.height)))} object frames to {args.out}"
        )
    elif args.command == "paste-ubnormal":
        written = paste_ubnormal(args.root, args.sequences, seed=args.seed)
        print(f"wrote {written} frames_abnormal/masks_abnormal pairs under {args.root / 'train'}")


if __name__ == "__main__":
    main()
